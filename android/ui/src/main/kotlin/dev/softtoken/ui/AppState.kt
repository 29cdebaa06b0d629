package dev.softtoken.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import dev.softtoken.SoftTokenClient
import dev.softtoken.TokenInfo
import dev.softtoken.TokenStatus
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch

/** Which screen is shown. */
public sealed interface Screen {
    /** 初期設定. */
    public data object Setup : Screen

    /** 初期設定完了 for the token just set up. */
    public data class SetupDone(val token: TokenInfo) : Screen

    /** ワンタイムパスワード of one token. */
    public data class Code(val tokenId: String) : Screen

    /** トークン一覧. */
    public data object Tokens : Screen

    /** 取引認証 of one token. */
    public data class Transactions(val tokenId: String) : Screen

    /** 機種変更. */
    public data object PhoneChange : Screen
}

/**
 * The app's root state holder (contract C3): which screen is shown, the way between screens, and
 * the screens' state holders; the client calls run on [scope] (the Activity's or the desktop
 * window's), and the code screen's countdown reads [clock].
 */
public class AppState(
    public val client: SoftTokenClient,
    public val strings: Strings,
    private val scope: CoroutineScope,
    private val clock: () -> Long = System::currentTimeMillis,
) {
    /**
     * The screens, the top one last: one immutable list in one state object, replaced whole by
     * every change, so that a reader on any thread gets one stack or the next, never one half
     * changed. (A `mutableStateListOf` changed by a `clear` and an `add` was seen empty between
     * them by a reader on another thread, even with both inside one `withMutableSnapshot`.)
     */
    private var backStack: List<Screen> by mutableStateOf(listOf(Screen.Setup))

    /** The screen on top. */
    public val screen: Screen get() = backStack.last()

    /** The setup screen's state (a fresh one each time setup opens). */
    public var setup: SetupState by mutableStateOf(newSetup())
        private set

    /** The token list. */
    public val tokens: TokensState = TokensState(client, strings)

    /** The code screen's state, while it is open. */
    public var code: CodeState? by mutableStateOf(null)
        private set

    /** The transaction screen's state, while it is open. */
    public var transactions: TransactionsState? by mutableStateOf(null)
        private set

    private var ticker: Job? = null

    init {
        tokens.reload()
        val first = tokens.tokens.firstOrNull { it.status != TokenStatus.REVOKED } ?: tokens.tokens.firstOrNull()
        if (first != null) openCodeAsRoot(first)
    }

    /** 初期設定完了 →「次へ」: the new token's code, with nothing to go back to. */
    public fun next() {
        val done = screen as? Screen.SetupDone ?: return
        openCodeAsRoot(done.token)
    }

    /** The code of [tokenId] (from the token list). */
    public fun openCode(tokenId: String) {
        val token = tokens.tokens.firstOrNull { it.id == tokenId } ?: return
        showCode(token)
        backStack += Screen.Code(tokenId)
    }

    public fun openTokens() {
        tokens.reload()
        backStack += Screen.Tokens
    }

    public fun openPhoneChange() {
        backStack += Screen.PhoneChange
    }

    /** 取引認証 of the token on screen; fetches its pending list. */
    public fun openTransactions() {
        val tokenId = code?.token?.id ?: return
        val state = TransactionsState(client, strings, tokenId)
        transactions = state
        backStack += Screen.Transactions(tokenId)
        scope.launch { state.load() }
    }

    /** 初期設定 for another token (or again, after a revocation or a restored phone). */
    public fun openSetup() {
        setup = newSetup()
        backStack += Screen.Setup
    }

    /** Asks the provider for the shown token's state. */
    public fun refresh(): Job = scope.launch { code?.refresh() }

    /** There is a screen to go back to. */
    public val canGoBack: Boolean get() = backStack.size > 1

    /** Goes back one screen; `false` on the first screen (the app may close). */
    public fun back(): Boolean {
        if (backStack.size <= 1) return false
        val left = backStack.last()
        backStack = backStack.dropLast(1)
        if (left is Screen.Transactions) transactions = null
        val top = screen
        if (top is Screen.Code && code?.token?.id != top.tokenId) {
            tokens.tokens.firstOrNull { it.id == top.tokenId }?.let(::showCode)
        }
        if (top is Screen.Tokens) tokens.reload()
        return true
    }

    /** Stops the countdown (the screen went away). */
    public fun close() {
        ticker?.cancel()
    }

    private fun newSetup() = SetupState(client, strings, scope) { token ->
        tokens.reload()
        startOver(Screen.SetupDone(token))
    }

    private fun openCodeAsRoot(token: TokenInfo) {
        showCode(token)
        startOver(Screen.Code(token.id))
    }

    /**
     * Makes [root] the only screen, in one write: the setup's callback runs on [scope], which may
     * be another thread than the one reading [screen].
     */
    internal fun startOver(root: Screen) {
        backStack = listOf(root)
    }

    private fun showCode(token: TokenInfo) {
        val state = CodeState(client, strings, token, clock)
        code = state
        ticker?.cancel()
        ticker = scope.launch {
            while (isActive) {
                state.tick()
                delay(state.msToNextTick())
            }
        }
    }
}
