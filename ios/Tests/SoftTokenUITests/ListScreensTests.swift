import Foundation
import SoftToken
import SoftTokenTestSupport
import SoftTokenUI
import XCTest

/// The token list and 取引認証 against the real provider.
final class ListScreensTests: XCTestCase {
    @MainActor func testSeveralTokensAreRenamedAndRemovedOnlyAfterConfirmation() async throws {
        let provider = try requireProvider()
        let config = try provider.config(secretStore: MemorySecretStore())
        let (client, first) = try await provider.activatedClient(config: config)
        _ = try await provider.activatedClient(config: config)
        let list = TokensModel(client: client)
        list.reload()
        XCTAssertEqual(list.state.value.tokens.count, 2)
        XCTAssertTrue(list.state.value.canAdd)

        list.rename(tokenId: first.id, label: "  給与口座 ")
        XCTAssertEqual(list.state.value.tokens.first?.label, "給与口座")
        list.rename(tokenId: first.id, label: String(repeating: "x", count: 65))
        XCTAssertNil(list.state.value.notice)
        XCTAssertEqual(list.state.value.tokens.first?.label?.count, TokensModel.maxLabelLength)
        list.rename(tokenId: first.id, label: "給与口座")

        list.askRemove(tokenId: first.id)
        let removal = try XCTUnwrap(list.state.value.removal)
        XCTAssertEqual(removal.warning.key, .tokensRemoveWarning)
        XCTAssertTrue(Strings(.ja).text(removal.warning).contains("元に戻せません"))
        list.cancelRemove()
        XCTAssertEqual(list.state.value.tokens.count, 2, "キャンセル removes nothing")
        list.askRemove(tokenId: first.id)
        list.confirmRemove()
        XCTAssertEqual(list.state.value.tokens.map(\.id).contains(first.id), false)
        XCTAssertEqual(list.state.value.tokens.count, 1)
    }

    @MainActor func testAPendingTransferIsShownApprovedAndItsCodeAndTheOfflineCodeAreMade() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let screen = TransactionsModel(client: client, tokenId: token.id)
        await screen.load()
        XCTAssertEqual(screen.state.value.emptyMessage, Message(.txNone))

        let registered = try provider.bank.registerTransaction(userId: token.userId)
        await screen.load()
        let shown = try XCTUnwrap(screen.state.value.pending.first)
        XCTAssertEqual(shown.payeeName, "ヤマダ タロウ")
        XCTAssertEqual(shown.amountYenSign, "¥1,234,567")
        screen.showCode(registered.id)
        let grouped = try XCTUnwrap(screen.state.value.groupedCode(registered.id))
        XCTAssertEqual(grouped.count, 9)

        await screen.approve(registered.id)
        XCTAssertEqual(screen.state.value.outcome, Message(.txApproved))
        XCTAssertTrue(screen.state.value.pending.isEmpty)
        XCTAssertEqual(try provider.bank.transaction(registered.id).state, "approved")

        let rejected = try provider.bank.registerTransaction(userId: token.userId)
        await screen.load()
        await screen.reject(rejected.id)
        XCTAssertEqual(screen.state.value.outcome, Message(.txRejected))
        XCTAssertEqual(try provider.bank.transaction(rejected.id).state, "rejected")

        screen.setOfflineAccount("１２３-４５６７")
        screen.makeOfflineCode()
        XCTAssertEqual(screen.state.value.offline.code?.count, 8)
        XCTAssertNil(screen.state.value.offline.error)
        screen.setOfflineAccount("12")
        screen.makeOfflineCode()
        XCTAssertNil(screen.state.value.offline.code)
        XCTAssertEqual(screen.state.value.offline.error?.message.key, .txErrorInvalidInput)
    }

    @MainActor func testARelayThatChangesThePayeeShowsTheInterceptionWarningAndNoTransfer() async throws {
        let provider = try requireProvider()
        var config = try provider.config(secretStore: MemorySecretStore())
        let (_, token) = try await provider.activeClient(config: config)
        _ = try provider.bank.registerTransaction(userId: token.userId)
        // The same phone, its traffic now through the tampering relay.
        config.providerUrl = provider.relayUrl
        let screen = TransactionsModel(client: try SoftTokenClient(config), tokenId: token.id)

        await screen.load()
        XCTAssertTrue(screen.state.value.pending.isEmpty, "nothing of it is shown")
        XCTAssertEqual(screen.state.value.notice?.message.key, .txErrorInterception)
        XCTAssertFalse(screen.state.value.isBusy)
    }
}
