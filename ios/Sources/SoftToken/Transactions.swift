import Foundation
import SoftTokenFFI

/// Transaction authentication (取引認証): the pending transfers, one-tap approve and reject, the
/// transaction code and the offline code.
extension SoftTokenClient {
    /// The token's pending transfers, oldest first, from a list whose provider MAC verified. Only
    /// what this returned can be approved, rejected or given a code. Throws
    /// `SoftTokenError.possibleInterception` when the list did not verify (nothing is returned).
    public func pendingTransactions(tokenId: String) async throws -> [PendingTransaction] {
        try await mapped { try await core.pendingTransactions(tokenId: tokenId) }
    }

    /// Approves with one tap a transfer `pendingTransactions` returned (sends the 署名値).
    /// Returns `.approved`, as the provider's MAC proved it.
    @discardableResult
    public func approve(tokenId: String, transactionId: String) async throws -> DecisionOutcome {
        try await mapped {
            try await core.approveTransaction(tokenId: tokenId, transactionId: transactionId)
        }
    }

    /// Rejects a transfer `pendingTransactions` returned: tells the bank the user does not
    /// recognise it (distinct from letting it expire).
    @discardableResult
    public func reject(tokenId: String, transactionId: String) async throws -> DecisionOutcome {
        try await mapped {
            try await core.rejectTransaction(tokenId: tokenId, transactionId: transactionId)
        }
    }

    /// The 8-digit code of a transfer `pendingTransactions` returned, for the user to type into
    /// the bank's transfer page; valid for its minute. `.transactionNotFound` for an id the last
    /// list did not show.
    public func transactionCode(tokenId: String, transactionId: String) throws -> OtpCode {
        try mapped { try core.transactionCode(tokenId: tokenId, transactionId: transactionId) }
    }

    /// The offline code (振込先専用ワンタイムパスワード) for the payee's account number as the user
    /// typed it and, where the bank asks for it, the amount (full-width digits, spaces, hyphens,
    /// `,`, `¥` and `円` are fine). `.invalidInput` if either is not a number of the right length.
    public func offlineCode(
        tokenId: String, accountNumber: String, amount: String? = nil
    ) throws -> OtpCode {
        try mapped {
            try core.offlineCode(tokenId: tokenId, accountNumber: accountNumber, amount: amount)
        }
    }

    /// How often `pendingTransactionsStream` fetches the list unless told otherwise, seconds.
    public static let defaultPendingPoll: TimeInterval = 5

    /// The pending list while a screen shows it: fetched at once, then every `period` seconds; a list is
    /// yielded when it differs from the last one.
    ///
    /// Like `codes(tokenId:)`, the stream ends with a `SoftTokenError` when a fetch fails (e.g.
    /// the token was revoked, or a list did not verify), and stops when the consuming task is
    /// cancelled.
    public func pendingTransactionsStream(
        tokenId: String, every period: TimeInterval = SoftTokenClient.defaultPendingPoll
    ) -> AsyncThrowingStream<[PendingTransaction], Error> {
        AsyncThrowingStream { continuation in
            let poller = Task {
                do {
                    var last: [PendingTransaction]?
                    while !Task.isCancelled {
                        let list = try await pendingTransactions(tokenId: tokenId)
                        if list != last {
                            continuation.yield(list)
                            last = list
                        }
                        try await Task.sleep(nanoseconds: UInt64(max(0.001, period) * 1e9))
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in poller.cancel() }
        }
    }
}

/// An amount in yen as `¥1,234,567`, as `PendingTransaction.amountYenSign` shows it.
public func formatYenSign(_ yen: Int64) -> String { SoftTokenFFI.formatYenSign(yen: yen) }

/// An amount in yen as `1,234,567円`, as `PendingTransaction.amountEnSuffix` shows it.
public func formatEnSuffix(_ yen: Int64) -> String { SoftTokenFFI.formatEnSuffix(yen: yen) }
