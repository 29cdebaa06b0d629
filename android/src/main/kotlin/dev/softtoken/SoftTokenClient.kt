package dev.softtoken

import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.flow
import dev.softtoken.ffi.SoftToken

/**
 * The app core: activation, seeds in the keystore, codes, status, and transaction
 * authentication (取引認証). One per app is enough; it is
 * safe to use from any thread. Close it ([close] or `use {}`) when done; calls after that throw
 * [IllegalStateException].
 *
 * Suspending calls run on the library's own threads: call them from any dispatcher, and cancel
 * them by cancelling the coroutine (the work stops with it). The other calls are short (a file
 * read, a keystore read, an HMAC) and may run on the main thread.
 *
 * Every failure is a [SoftTokenException].
 *
 * @param config the provider, data directory, keystore and clock to use.
 * @throws SoftTokenException if the data directory, keystore or provider CA cannot be used.
 */
public class SoftTokenClient(config: SoftTokenConfig) : AutoCloseable {
    private val core: SoftToken = ffiCall { SoftToken(config.toFfi()) }

    /**
     * Sets up a token from what the user typed: [serviceId], [userId] (full-width digits, spaces
     * and hyphens are fine; a typo is caught here before anything is sent) and the
     * [activationPassword] (利用開始パスワード). Retrying after a lost reply is safe.
     *
     * @throws SoftTokenException.WrongActivationPassword with the attempts left, or another
     *   [SoftTokenException].
     */
    public suspend fun activate(
        serviceId: String,
        userId: String,
        activationPassword: String,
    ): TokenInfo = ffiCall { core.activate(serviceId, userId, activationPassword) }

    /**
     * Asks the provider for the token's state (how the app learns of a confirmation or a
     * revocation) and corrects the clock offset.
     */
    public suspend fun refresh(tokenId: String): TokenInfo = ffiCall { core.refresh(tokenId) }

    /** Every token on this phone, oldest first. */
    public fun tokens(): List<TokenInfo> = ffiCall { core.tokens() }

    /**
     * The code to show now, with its countdown.
     *
     * @throws SoftTokenException for a revoked, expired or set-up-again token.
     */
    public fun currentCode(tokenId: String): OtpCode = ffiCall { core.currentCode(tokenId) }

    /**
     * The token's codes as they change: the current code at once, then each new code at its
     * period boundary, each with its [OtpCode.remainingMs]. Time is the core's clock (with the
     * provider offset); the waits are coroutine [delay]s, so tests may run it in virtual time
     * with a [Clock] that follows the test scheduler.
     *
     * The flow never completes by itself; it fails with a [SoftTokenException] when the token
     * can no longer show codes (e.g. revoked after a [refresh]). Collect it while the code is on
     * screen.
     */
    public fun codes(tokenId: String): Flow<OtpCode> = flow {
        var shownFrom: Long? = null
        while (true) {
            val code = currentCode(tokenId)
            if (code.validFromUnix != shownFrom) {
                emit(code)
                shownFrom = code.validFromUnix
            }
            delay(code.remainingMs.coerceAtLeast(1))
        }
    }

    /** Removes a token from this phone: its seed, then its metadata. */
    public fun remove(tokenId: String): Unit = ffiCall { core.remove(tokenId) }

    /** Sets (or with `null` clears) a token's label, at most 64 characters. */
    public fun rename(tokenId: String, label: String?): TokenInfo =
        ffiCall { core.rename(tokenId, label) }

    /**
     * The token's pending transfers (取引認証), oldest first, from a list whose provider MAC
     * verified. Only what this returned can be approved, rejected or given a code.
     *
     * @throws SoftTokenException.PossibleInterception if the list did not verify (nothing of it
     *   is returned), or another [SoftTokenException].
     */
    public suspend fun pendingTransactions(tokenId: String): List<PendingTransaction> =
        ffiCall { core.pendingTransactions(tokenId) }

    /**
     * The pending list while a screen shows it: fetched at once, then every [period]; a list is
     * emitted when it differs from the last one. The waits are coroutine [delay]s on the
     * collector's dispatcher, and each fetch runs on the library's threads.
     *
     * The flow never completes by itself; it fails with a [SoftTokenException] as [codes] does
     * (e.g. the token was revoked, or a list did not verify). Collect it while the list is on
     * screen; cancel the collection to stop polling.
     */
    public fun pendingTransactionsFlow(
        tokenId: String,
        period: Duration = DEFAULT_PENDING_POLL,
    ): Flow<List<PendingTransaction>> = flow {
        while (true) {
            emit(pendingTransactions(tokenId))
            delay(period)
        }
    }.distinctUntilChanged()

    /**
     * Approves with one tap a transfer [pendingTransactions] returned (sends the 署名値).
     *
     * @return [DecisionOutcome.APPROVED], as the provider's MAC proved.
     * @throws SoftTokenException.TransactionNotFound for an id the last list did not show,
     *   [SoftTokenException.TransactionExpired], [SoftTokenException.TransactionDecided], …
     */
    public suspend fun approve(tokenId: String, transactionId: String): DecisionOutcome =
        ffiCall { core.approveTransaction(tokenId, transactionId) }

    /**
     * Rejects a transfer [pendingTransactions] returned: tells the bank the user does not
     * recognise it (distinct from letting it expire).
     */
    public suspend fun reject(tokenId: String, transactionId: String): DecisionOutcome =
        ffiCall { core.rejectTransaction(tokenId, transactionId) }

    /**
     * The 8-digit code of a transfer [pendingTransactions] returned, for the user to type into
     * the bank's transfer page; valid for its minute ([OtpCode.remainingMs]).
     *
     * @throws SoftTokenException.TransactionNotFound for an id the last list did not show.
     */
    public fun transactionCode(tokenId: String, transactionId: String): OtpCode =
        ffiCall { core.transactionCode(tokenId, transactionId) }

    /**
     * The offline code (振込先専用ワンタイムパスワード) for the payee's [accountNumber] as the user
     * typed it and, where the bank asks for it, the [amount] (full-width digits, spaces,
     * hyphens, `,`, `¥` and `円` are fine).
     *
     * @throws SoftTokenException.InvalidInput if either is not a number of the right length.
     */
    public fun offlineCode(tokenId: String, accountNumber: String, amount: String? = null): OtpCode =
        ffiCall { core.offlineCode(tokenId, accountNumber, amount) }

    /** Releases the core. Idempotent; running suspended calls finish first. */
    override fun close(): Unit = core.close()
}

/** How often [SoftTokenClient.pendingTransactionsFlow] fetches the list unless told otherwise. */
public val DEFAULT_PENDING_POLL: Duration = 5.seconds
