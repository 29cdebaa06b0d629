import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// A transfer left past its deadline (5 minutes) on the provider's manual clock, moved through
/// the test kit's clock control: no sleeping. The provider's clock is the whole suite's;
/// `ProviderClock.advanced(by:_:)` puts it back before the next test (they run one at a time).
final class TransactionExpiryTests: XCTestCase {
    func testPastItsDeadlineATransferIsExpiredOnThePhoneAndAtTheBank() async throws {
        let provider = try requireProvider()
        // The phone's clock is the provider's, so both see the five minutes pass.
        let clock = try ProviderClock(of: provider)
        let (client, token) = try await provider.activeClient(
            config: provider.config(secretStore: MemorySecretStore(), clock: clock))
        let registered = try provider.bank.registerTransaction(
            userId: token.userId, .init(amountYen: 1_000))
        let shown = try await client.pendingTransactions(tokenId: token.id)
        XCTAssertEqual(shown.map(\.id), [registered.id])

        try await clock.advanced(by: 301) {
            await assertFails(with: "transactionExpired") {
                try client.transactionCode(tokenId: token.id, transactionId: registered.id)
            }
            await assertFails(with: "transactionExpired") {
                try await client.approve(tokenId: token.id, transactionId: registered.id)
            }
            XCTAssertEqual(try provider.bank.transaction(registered.id).state, "expired")
        }
    }
}
