import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// Activation against the real provider (`cargo xtask swift` starts it), with seeds in a
/// Swift `SecretStore`.
final class ActivationTests: XCTestCase {
    private func provider() throws -> TestProvider {
        guard let provider = try TestProvider.fromEnvironment() else {
            throw XCTSkip("no test provider: run `cargo xtask swift`")
        }
        return provider
    }

    func testActivationCodeAcceptedByTheBankThenActive() async throws {
        let provider = try provider()
        let bank = TestBank(provider: provider)
        let issued = try bank.issue(email: "hanako@example.jp", activationPassword: "Sakura#2026")
        let store = InMemorySecretStore()
        let client = try SoftTokenClient(provider.configuration(store: store))

        // Typed the way a user might: full-width digits and spaces in the Service ID.
        let token = try await client.activate(
            serviceId: "１０１２ １２３４", userId: issued.user_id, activationPassword: "Sakura#2026")
        XCTAssertEqual(token.serviceId, provider.serviceId)
        XCTAssertEqual(token.userId, issued.user_id)
        XCTAssertEqual(token.status, .pendingConfirmation)
        XCTAssertEqual(store.keys.count, 1, "the seed went to the Swift store")
        XCTAssertEqual(try client.tokens().map(\.id), [token.id])

        let code = try client.currentCode(tokenId: token.id)
        XCTAssertEqual(code.code.count, 8)
        XCTAssertTrue(code.code.allSatisfy(\.isNumber))
        XCTAssertLessThanOrEqual(code.remainingMs, UInt64(code.period) * 1000)

        let verification = try bank.verify(userId: issued.user_id, otp: code.code)
        XCTAssertEqual(verification.result, "accepted")

        let refreshed = try await client.refresh(tokenId: token.id)
        XCTAssertEqual(refreshed.status, .active)

        try client.remove(tokenId: token.id)
        XCTAssertEqual(try client.tokens(), [])
        XCTAssertEqual(store.keys, [])
    }

    func testWrongPasswordSaysAttemptsLeft() async throws {
        let provider = try provider()
        let issued = try TestBank(provider: provider)
            .issue(email: "taro@example.jp", activationPassword: "Sakura#2026")
        let client = try SoftTokenClient(provider.configuration(store: InMemorySecretStore()))
        do {
            _ = try await client.activate(
                serviceId: provider.serviceId, userId: issued.user_id,
                activationPassword: "Sakura#2025")
            XCTFail("a wrong password was accepted")
        } catch let error as SoftTokenClientError {
            guard case let .wrongActivationPassword(attemptsLeft, detail) = error else {
                return XCTFail("expected wrongActivationPassword, got \(error)")
            }
            XCTAssertEqual(attemptsLeft, 4)
            XCTAssertEqual(error.attemptsLeft, 4)
            XCTAssertFalse(detail.isEmpty)
            XCTAssertEqual(error.localizedDescription, detail)
            XCTAssertFalse(error.isRetryable)
        }
        XCTAssertEqual(try client.tokens(), [])
    }

    func testSecretStoreFailingOnSetIsAKeystoreError() async throws {
        let provider = try provider()
        let issued = try TestBank(provider: provider)
            .issue(email: "jiro@example.jp", activationPassword: "Sakura#2026")
        let client = try SoftTokenClient(provider.configuration(store: FailingSecretStore()))
        do {
            _ = try await client.activate(
                serviceId: provider.serviceId, userId: issued.user_id,
                activationPassword: "Sakura#2026")
            XCTFail("activation succeeded without storing the seed")
        } catch let error as SoftTokenClientError {
            guard case let .keystoreUnavailable(detail) = error else {
                return XCTFail("expected keystoreUnavailable, got \(error)")
            }
            XCTAssertTrue(detail.contains("device is locked"), detail)
            XCTAssertTrue(error.isRetryable)
        }
        XCTAssertEqual(try client.tokens(), [])
    }
}

/// A Swift store whose writes fail as on a locked iPhone.
private final class FailingSecretStore: SecretStore, @unchecked Sendable {
    func get(key: String) throws -> Data? { nil }
    func set(key: String, value: Data) throws {
        throw SecretStoreError.Unavailable(reason: "device is locked")
    }
    func delete(key: String) throws {}
}
