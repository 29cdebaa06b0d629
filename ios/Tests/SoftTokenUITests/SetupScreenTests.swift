import Foundation
import SoftToken
import SoftTokenTestSupport
import SoftTokenUI
import XCTest

/// 初期設定 against the real provider: typed IDs, 送信, the progress, each failure's notice.
final class SetupScreenTests: XCTestCase {
    @MainActor func testTypedIdsActivateAndTheAppMovesOnToSetupDone() async throws {
        let provider = try requireProvider()
        let issued = try provider.bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let app = AppModel(client: try SoftTokenClient(provider.config(secretStore: MemorySecretStore())))
        XCTAssertEqual(app.screen.value, .setup, "a phone without tokens starts on 初期設定")
        let setup = app.makeSetupModel()
        var busy: [Bool] = []
        setup.state.onChange = { busy.append($0.isBusy) }

        setup.setServiceId("１０１２ １２３４")
        setup.setUserId(spaced(issued.userId))
        setup.setPassword(Fixtures.activationPassword)
        XCTAssertTrue(setup.state.value.canSend)
        await setup.send()

        XCTAssertEqual(busy.suffix(2), [true, false], "the progress shows while activation runs")
        XCTAssertNil(setup.state.value.notice)
        XCTAssertFalse(setup.state.value.hasPassword, "the password is forgotten")
        guard case let .setupDone(token) = app.screen.value else {
            return XCTFail("not on 初期設定完了: \(app.screen.value)")
        }
        XCTAssertEqual(token.userId, issued.userId)
        app.next()
        XCTAssertEqual(app.screen.value, .code(tokenId: token.id), "次へ shows the code")
        app.back()
        XCTAssertEqual(app.screen.value, .code(tokenId: token.id), "home is the first token's code")
    }

    @MainActor func testTheAppOpensEachScreenAndComesBackHome() async throws {
        let app = AppModel(client: try requireProvider().offlineClient())
        XCTAssertEqual(app.screen.value, .setup)
        for screen in [Screen.tokens, .phoneChange, .transactions(tokenId: "x")] {
            app.open(screen)
            XCTAssertEqual(app.screen.value, screen)
            app.back()
            XCTAssertEqual(app.screen.value, .setup, "home without tokens is 初期設定")
        }
        XCTAssertNil(app.makeCodeModel(tokenId: "10121234-missing"))
    }

    @MainActor func testAWrongPasswordSaysHowManyTriesAreLeftAndRetrySendsAgain() async throws {
        let provider = try requireProvider()
        let issued = try provider.bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let setup = SetupModel(client: try SoftTokenClient(provider.config(secretStore: MemorySecretStore())))
        setup.setServiceId(provider.serviceId)
        setup.setUserId(issued.userId)
        setup.setPassword("not-the-password")

        await setup.send()
        XCTAssertEqual(
            setup.state.value.notice?.message, Message(.errorWrongPassword, ["n": "4"]))
        XCTAssertEqual(setup.state.value.notice?.nextStep?.key, .errorWrongPasswordNext)
        await setup.retry()
        XCTAssertEqual(
            setup.state.value.notice?.message, Message(.errorWrongPassword, ["n": "3"]),
            "the retry was sent again")
        setup.setPassword(Fixtures.activationPassword)
        XCTAssertNil(setup.state.value.notice, "typing clears the notice")
    }

    @MainActor func testNoNetworkOffersARetryThatSendsAgain() async throws {
        let provider = try requireProvider()
        var sent = 0
        let client = try provider.offlineClient()
        let setup = SetupModel { serviceId, userId, password in
            sent += 1
            return try await client.activate(
                serviceId: serviceId, userId: userId, activationPassword: password)
        }
        setup.setServiceId(Fixtures.serviceId)
        setup.setUserId("12345678901234CI")
        setup.setPassword(Fixtures.activationPassword)

        await setup.send()
        let notice = try XCTUnwrap(setup.state.value.notice)
        XCTAssertEqual(notice.message.key, .errorNetwork)
        XCTAssertTrue(notice.canRetry)
        await setup.retry()
        XCTAssertEqual(sent, 2, "再送信 re-sends")
        XCTAssertFalse(setup.state.value.isBusy)
    }

    /// `1234-5678-9012-34ci`: how a user may type a User ID.
    private func spaced(_ userId: String) -> String {
        let lower = userId.lowercased()
        var out = ""
        for (index, character) in lower.enumerated() {
            if index > 0 && index % 4 == 0 { out.append("-") }
            out.append(character)
        }
        return out
    }
}
