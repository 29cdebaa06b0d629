import Foundation
import SoftToken

/// The offline challenge entry (振込先専用ワンタイムパスワード): the payee's account number and,
/// where the bank asks for it, the amount, typed by the user; the code once made.
public struct OfflineEntry: Equatable, Sendable {
    /// The account number as typed.
    public var accountNumber = ""
    /// The amount as typed (may stay empty).
    public var amount = ""
    /// The code made from them, or `nil`.
    public var code: String?
    /// Why no code could be made, or `nil`.
    public var error: Notice?

    /// Whether the code can be asked for (an account number is typed).
    public var canMakeCode: Bool { !accountNumber.trimmingCharacters(in: .whitespaces).isEmpty }
    /// The code as displayed, `1234 5678`.
    public var grouped: String? { code.map(CodeFace.grouped) }
}

/// What 取引認証 shows.
public struct TransactionsState: Equatable, Sendable {
    /// The pending transfers (payee, amount), oldest first, from a list whose MAC verified.
    public var pending: [PendingTransaction] = []
    /// Whether a call is running (buttons disabled).
    public var isBusy = false
    /// The transaction code shown, by transaction id.
    public var codes: [String: String] = [:]
    /// What became of the last decision (承認しました / 拒否しました), or `nil`.
    public var outcome: Message?
    /// The last failure, or `nil`.
    public var notice: Notice?
    /// The offline challenge entry.
    public var offline = OfflineEntry()

    /// The empty-list text, when nothing is pending.
    public var emptyMessage: Message? { pending.isEmpty ? Message(.txNone) : nil }

    /// The transaction code of `transactionId` as displayed, or `nil`.
    public func groupedCode(_ transactionId: String) -> String? {
        codes[transactionId].map(CodeFace.grouped)
    }
}

/// 取引認証: pending transfers with payee and amount, 承認/拒否, the transaction code, and the
/// offline challenge entry.
@MainActor
public final class TransactionsModel {
    /// What the screen shows.
    public let state = ModelState(TransactionsState())
    private let client: SoftTokenClient
    private let tokenId: String

    /// The screen for `tokenId` (call `load()` to fill it).
    public init(client: SoftTokenClient, tokenId: String) {
        self.client = client
        self.tokenId = tokenId
    }

    /// Fetches the pending list.
    public func load() async {
        await busy { state in
            state.pending = try await self.client.pendingTransactions(tokenId: self.tokenId)
        }
    }

    /// 承認 (one tap), then the list again.
    public func approve(_ transactionId: String) async {
        await decide(transactionId, outcome: .txApproved) {
            try await self.client.approve(tokenId: self.tokenId, transactionId: transactionId)
        }
    }

    /// 拒否, then the list again.
    public func reject(_ transactionId: String) async {
        await decide(transactionId, outcome: .txRejected) {
            try await self.client.reject(tokenId: self.tokenId, transactionId: transactionId)
        }
    }

    /// Shows the transaction code of a listed transfer (to type into the bank's page).
    public func showCode(_ transactionId: String) {
        do {
            let code = try client.transactionCode(tokenId: tokenId, transactionId: transactionId)
            state.update {
                $0.codes[transactionId] = code.code
                $0.notice = nil
            }
        } catch {
            state.update { $0.notice = Notice.forError(error) }
        }
    }

    /// The offline entry's account number changed.
    public func setOfflineAccount(_ typed: String) {
        state.update { $0.offline = OfflineEntry(accountNumber: typed, amount: $0.offline.amount) }
    }

    /// The offline entry's amount changed.
    public func setOfflineAmount(_ typed: String) {
        state.update {
            $0.offline = OfflineEntry(accountNumber: $0.offline.accountNumber, amount: typed)
        }
    }

    /// Makes the offline code from what is typed (a clear error for a wrong number).
    public func makeOfflineCode() {
        let entry = state.value.offline
        guard entry.canMakeCode else { return }
        do {
            let code = try client.offlineCode(
                tokenId: tokenId, accountNumber: entry.accountNumber,
                amount: entry.amount.isEmpty ? nil : entry.amount)
            state.update {
                $0.offline.code = code.code
                $0.offline.error = nil
            }
        } catch {
            // A wrong account number or amount gets the entry's own text.
            let notice = if case .invalidInput = error as? SoftTokenError {
                Notice(.txErrorInvalidInput, nil)
            } else {
                Notice.forError(error)
            }
            state.update {
                $0.offline.code = nil
                $0.offline.error = notice
            }
        }
    }

    private func decide(
        _ transactionId: String, outcome: WordKey, _ call: @escaping () async throws -> DecisionOutcome
    ) async {
        await busy { state in
            _ = try await call()
            state.outcome = Message(outcome)
            state.codes[transactionId] = nil
            state.pending = try await self.client.pendingTransactions(tokenId: self.tokenId)
        }
    }

    /// Runs `change` with the screen busy, then publishes its result or its failure.
    private func busy(_ change: (inout TransactionsState) async throws -> Void) async {
        state.update {
            $0.isBusy = true
            $0.notice = nil
            $0.outcome = nil
        }
        var next = state.value
        do {
            try await change(&next)
        } catch {
            next.notice = Notice.forError(error)
        }
        next.isBusy = false
        state.set(next)
    }
}
