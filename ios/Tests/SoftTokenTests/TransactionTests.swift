import Foundation
import SoftToken
import SoftTokenTestSupport
import XCTest

/// Transaction authentication (取引認証) against the real provider: the bank registers a transfer,
/// the phone lists it, and the user approves, rejects or types its code.
final class TransactionTests: XCTestCase {
    func testThePhoneShowsThePayeeAndAmountAndATapApproves() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let registered = try provider.bank.registerTransaction(
            userId: token.userId, .init(reference: "3月分家賃"))

        let pending = try await client.pendingTransactions(tokenId: token.id)
        let shown = try XCTUnwrap(pending.first)
        XCTAssertEqual(pending.count, 1)
        XCTAssertEqual(shown.id, registered.id)
        XCTAssertEqual(shown.bankCode, "0001")
        XCTAssertEqual(shown.branchCode, "101")
        XCTAssertEqual(shown.accountKind, .ordinary)
        XCTAssertEqual(shown.accountNumber, "1234567")
        XCTAssertEqual(shown.payeeName, "ヤマダ タロウ", "the bank's half-width kana, full-width")
        XCTAssertEqual(shown.amountYen, 1_234_567)
        XCTAssertEqual(shown.reference, "3月分家賃")
        XCTAssertEqual(shown.amountYenSign, "¥1,234,567")
        XCTAssertEqual(shown.amountEnSuffix, "1,234,567円")
        XCTAssertEqual(shown.accountTypeLabel, "普通")
        XCTAssertEqual(shown.accountLine, "普通 1234567")
        let described = String(reflecting: shown)
        XCTAssertFalse(described.contains("ヤマダ") || described.contains("1234567"))

        let outcome = try await client.approve(tokenId: token.id, transactionId: shown.id)
        XCTAssertEqual(outcome, .approved)
        XCTAssertEqual(try provider.bank.transaction(shown.id).state, "approved")
        let after = try await client.pendingTransactions(tokenId: token.id)
        XCTAssertTrue(after.isEmpty)
    }

    func testARejectTellsTheBankTheUserDidNotRecogniseIt() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let registered = try provider.bank.registerTransaction(
            userId: token.userId,
            .init(accountType: "checking", accountNumber: "7654321", amountYen: 50_000))
        let shown = try await client.pendingTransactions(tokenId: token.id)
        XCTAssertEqual(shown.map(\.accountLine), ["当座 7654321"])
        XCTAssertEqual(shown.map(\.amountEnSuffix), ["50,000円"])

        let outcome = try await client.reject(tokenId: token.id, transactionId: registered.id)
        XCTAssertEqual(outcome, .rejected)
        XCTAssertEqual(try provider.bank.transaction(registered.id).state, "rejected")
    }

    func testTheTransactionCodeIsAcceptedOnce() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let registered = try provider.bank.registerTransaction(
            userId: token.userId, .init(amountYen: 9_800))
        _ = try await client.pendingTransactions(tokenId: token.id)

        let code = try client.transactionCode(tokenId: token.id, transactionId: registered.id)
        XCTAssertEqual(code.code.count, 8)
        XCTAssertTrue(code.code.allSatisfy(\.isNumber))
        XCTAssertEqual(code.period, 60)
        XCTAssertEqual(try provider.bank.verifyTransaction(registered.id, otp: code.code).result, "accepted")
        XCTAssertEqual(try provider.bank.transaction(registered.id).state, "confirmed")
        XCTAssertEqual(try provider.bank.verifyTransaction(registered.id, otp: code.code).result, "replayed")
    }

    func testThreeWrongCodesFailTheTransferAndTheRightOneIsRefusedAfter() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let registered = try provider.bank.registerTransaction(
            userId: token.userId, .init(amountYen: 2_000))
        _ = try await client.pendingTransactions(tokenId: token.id)
        let right = try client.transactionCode(tokenId: token.id, transactionId: registered.id).code
        let wrong = right == "00000000" ? "11111111" : "00000000"

        for _ in 0..<2 {
            XCTAssertEqual(try provider.bank.verifyTransaction(registered.id, otp: wrong).result, "rejected")
        }
        XCTAssertEqual(try provider.bank.verifyTransaction(registered.id, otp: wrong).result, "failed")
        XCTAssertEqual(try provider.bank.transaction(registered.id).state, "failed")
        XCTAssertEqual(
            try provider.bank.verifyTransaction(registered.id, otp: right).result, "failed",
            "a failed transfer takes no code")
    }

    func testARevokedTokenFailsItsTransferAndTakesNoNewOne() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        let registered = try provider.bank.registerTransaction(
            userId: token.userId, .init(amountYen: 3_000))
        try provider.bank.revoke(userId: token.userId)
        XCTAssertEqual(try provider.bank.transaction(registered.id).state, "failed")

        // The list's MAC proves the state `revoked` and lists nothing; after that the phone
        // refuses the token's transaction calls without asking.
        let last = try await client.pendingTransactions(tokenId: token.id)
        XCTAssertEqual(last, [])
        await assertFails(with: "tokenRevoked") {
            try await client.pendingTransactions(tokenId: token.id)
        }
        await assertFails(with: "tokenRevoked") {
            try client.transactionCode(tokenId: token.id, transactionId: registered.id)
        }
        XCTAssertThrowsError(
            try provider.bank.registerTransaction(userId: token.userId, .init(amountYen: 1))
        ) { error in
            XCTAssertEqual((error as? BankClientError)?.errorCode, "token_not_active", "\(error)")
        }
    }

    func testARelayThatChangesThePayeeIsPossibleInterceptionAndNothingOfItCanBeActedOn() async throws {
        let provider = try requireProvider()
        var config = try provider.config(secretStore: MemorySecretStore())
        let (client, token) = try await provider.activeClient(config: config)
        let registered = try provider.bank.registerTransaction(
            userId: token.userId, .init(accountNumber: "1234567"))

        // The same phone (data directory and secret store), its traffic now through the relay.
        config.providerUrl = provider.relayUrl
        let relayed = try SoftTokenClient(config)
        await assertFails(with: "possibleInterception") {
            try await relayed.pendingTransactions(tokenId: token.id)
        }
        await assertFails(with: "transactionNotFound") {
            try relayed.transactionCode(tokenId: token.id, transactionId: registered.id)
        }
        await assertFails(with: "transactionNotFound") {
            try await relayed.approve(tokenId: token.id, transactionId: registered.id)
        }
        XCTAssertEqual(try provider.bank.transaction(registered.id).state, "pending", "nothing was decided")

        let genuine = try await client.pendingTransactions(tokenId: token.id)
        XCTAssertEqual(genuine.map(\.accountLine), ["普通 1234567"])
    }

    func testTheStreamYieldsANewTransfer() async throws {
        let provider = try requireProvider()
        let (client, token) = try await provider.activeClient()
        var lists = client.pendingTransactionsStream(tokenId: token.id, every: 0.1)
            .makeAsyncIterator()
        let first = try await lists.next()
        XCTAssertEqual(first, [])
        _ = try provider.bank.registerTransaction(userId: token.userId)
        let second = try await lists.next()
        XCTAssertEqual(second?.map(\.amountYenSign), ["¥1,234,567"])
    }

    func testTheStreamEndsWithTheErrorForAnUnknownToken() async throws {
        let client = try requireProvider().offlineClient()
        do {
            for try await _ in client.pendingTransactionsStream(tokenId: "10121234-missing") {
                XCTFail("a list for an unknown token")
            }
            XCTFail("the stream ended without an error")
        } catch is SoftTokenError {}
    }

    func testOfflineCodesTakeTypedInputAndRefuseWhatIsNotANumber() async throws {
        let (client, token) = try await requireProvider().activatedClient()
        let code = try client.offlineCode(
            tokenId: token.id, accountNumber: "１２３-４５６７", amount: "¥1,234,567")
        XCTAssertEqual(code.code.count, 8)
        XCTAssertEqual(code.period, 60)
        XCTAssertEqual(
            try client.offlineCode(tokenId: token.id, accountNumber: "1234567", amount: "1234567円").code,
            code.code)
        for (account, amount) in [("12345", nil), ("12a4567", nil), ("1234567", "12.5"), ("", nil)] {
            XCTAssertThrowsError(
                try client.offlineCode(tokenId: token.id, accountNumber: account, amount: amount)
            ) { error in
                guard case SoftTokenError.invalidInput = error else {
                    return XCTFail("\(account) \(String(describing: amount)): \(error)")
                }
            }
        }
    }

    func testAnIdNoVerifiedListShowedIsTransactionNotFound() async throws {
        let (client, token) = try await requireProvider().activatedClient()
        XCTAssertThrowsError(
            try client.transactionCode(tokenId: token.id, transactionId: "AAECAwQFBgcICQoLDA0ODw")
        ) { error in
            guard case SoftTokenError.transactionNotFound = error else {
                return XCTFail("\(error)")
            }
        }
    }
}
