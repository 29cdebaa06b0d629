package dev.softtoken.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import dev.softtoken.DecisionOutcome
import dev.softtoken.PendingTransaction
import dev.softtoken.SoftTokenClient
import dev.softtoken.SoftTokenException

/**
 * The 取引認証 screen of one token: the pending transfers (payee, amount), 承認/拒否, a transfer's
 * code, and the offline entry (account number and amount → 振込先専用ワンタイムパスワード), through
 * the library's transaction calls.
 */
public class TransactionsState(
    private val client: SoftTokenClient,
    private val strings: Strings,
    private val tokenId: String,
) {
    /** The verified pending list. */
    public var pending: List<PendingTransaction> by mutableStateOf(emptyList())
        private set

    /** What the last decision did, e.g. 承認しました. */
    public var outcome: String? by mutableStateOf(null)
        private set

    /** A transfer's code shown: (transaction id, `1234 5678`). */
    public var transactionCode: Pair<String, String>? by mutableStateOf(null)
        private set

    /** The offline entry's account number, as typed. */
    public var offlineAccount: String by mutableStateOf("")
        private set

    /** The offline entry's amount, as typed (optional). */
    public var offlineAmount: String by mutableStateOf("")
        private set

    /** The offline code, `1234 5678`. */
    public var offlineCode: String? by mutableStateOf(null)
        private set

    /** The last failure's text. */
    public var error: String? by mutableStateOf(null)
        private set

    /** Fetches the pending list (only a list whose MAC verified). */
    public suspend fun load() {
        pending = guard(pending) { client.pendingTransactions(tokenId) }
    }

    /** The payee line: name, bank/branch, account. */
    public fun payeeLine(tx: PendingTransaction): String =
        "${tx.payeeName}  ${tx.bankCode}-${tx.branchCode} ${tx.accountLine}"

    /** The amount as the language writes it. */
    public fun amountLine(tx: PendingTransaction): String =
        if (strings.language == "ja") tx.amountEnSuffix else tx.amountYenSign

    /** 承認. */
    public suspend fun approve(tx: PendingTransaction) {
        decide { client.approve(tokenId, tx.id) }
    }

    /** 拒否. */
    public suspend fun reject(tx: PendingTransaction) {
        decide { client.reject(tokenId, tx.id) }
    }

    /** Shows the transfer's 8-digit code. */
    public fun showCode(tx: PendingTransaction) {
        transactionCode = guard(null) { tx.id to CodeText.grouped(client.transactionCode(tokenId, tx.id).code) }
    }

    public fun onOfflineAccountChange(typed: String) {
        offlineAccount = typed
        offlineCode = null
    }

    public fun onOfflineAmountChange(typed: String) {
        offlineAmount = typed
        offlineCode = null
    }

    /** Makes the offline code from the typed account number and amount. */
    public fun generateOffline() {
        offlineCode = guard(null) {
            CodeText.grouped(client.offlineCode(tokenId, offlineAccount, offlineAmount.ifBlank { null }).code)
        }
    }

    private suspend fun decide(call: suspend () -> DecisionOutcome) {
        val result = guard(null) { call() } ?: return
        outcome = strings[if (result == DecisionOutcome.APPROVED) "tx.approved" else "tx.rejected"]
        transactionCode = null
        load()
    }

    private inline fun <T> guard(fallback: T, block: () -> T): T = try {
        block().also { error = null }
    } catch (e: SoftTokenException) {
        error = errorText(e)
        fallback
    }

    private fun errorText(e: SoftTokenException): String = when (e) {
        is SoftTokenException.TransactionExpired -> strings["tx.error.expired"]
        is SoftTokenException.TransactionDecided -> strings["tx.error.decided"]
        is SoftTokenException.PossibleInterception -> strings["tx.error.interception"]
        is SoftTokenException.InvalidInput -> strings["tx.error.invalid_input"]
        is SoftTokenException.Network -> strings["error.network"]
        else -> strings["error.other"]
    }
}
