package dev.softtoken.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import dev.softtoken.SoftTokenClient
import dev.softtoken.SoftTokenException
import dev.softtoken.TokenInfo
import dev.softtoken.TokenStatus

/**
 * The トークン一覧 screen: the contracts on this phone (banks allow up to [MAX_TOKENS]), renaming,
 * and removal behind a confirmation that says it cannot be undone.
 */
public class TokensState(private val client: SoftTokenClient, private val strings: Strings) {
    /** The tokens, oldest first. */
    public var tokens: List<TokenInfo> by mutableStateOf(emptyList())
        private set

    /** The token whose name is being edited, and the text so far. */
    public var renaming: Pair<TokenInfo, String>? by mutableStateOf(null)
        private set

    /** The token the removal dialog asks about; `null` when no dialog is open. */
    public var confirmingRemoval: TokenInfo? by mutableStateOf(null)
        private set

    /** The last failure's text. */
    public var error: String? by mutableStateOf(null)
        private set

    /** Another token may be set up. */
    public val canAdd: Boolean get() = tokens.size < MAX_TOKENS

    /** "3件（最大10件）". */
    public val countLabel: String get() = strings.format("tokens.count", "n" to tokens.size)

    /** Reads the list again. */
    public fun reload() {
        tokens = guard(emptyList()) { client.tokens() }
    }

    /** The name a row shows. */
    public fun displayName(token: TokenInfo): String = token.label ?: strings["tokens.unnamed"]

    /** The status word a row shows (a word, not only a colour). */
    public fun statusLabel(token: TokenInfo): String = strings[statusKey(token.status)]

    public fun startRename(token: TokenInfo) {
        renaming = token to (token.label ?: "")
    }

    public fun onRenameChange(text: String) {
        renaming = renaming?.let { it.first to text }
    }

    /** Saves the edited name (an empty name clears it). */
    public fun saveRename() {
        val (token, text) = renaming ?: return
        guard(Unit) { client.rename(token.id, text.trim().ifEmpty { null }) }
        renaming = null
        reload()
    }

    public fun cancelRename() {
        renaming = null
    }

    /** Opens the confirmation for removing [token]; nothing is removed yet. */
    public fun askRemove(token: TokenInfo) {
        confirmingRemoval = token
    }

    public fun cancelRemove() {
        confirmingRemoval = null
    }

    /** Removes the token the dialog asked about: its seed, then its entry. Cannot be undone. */
    public fun confirmRemove() {
        val token = confirmingRemoval ?: return
        guard(Unit) { client.remove(token.id) }
        confirmingRemoval = null
        reload()
    }

    private inline fun <T> guard(fallback: T, block: () -> T): T = try {
        block().also { error = null }
    } catch (e: SoftTokenException) {
        error = strings["error.other"]
        fallback
    }

    public companion object {
        /** How many contracts a bank allows on one phone. */
        public const val MAX_TOKENS: Int = 10
    }
}

private fun statusKey(status: TokenStatus): String = when (status) {
    TokenStatus.PENDING_CONFIRMATION -> "tokens.status.pending"
    TokenStatus.ACTIVE -> "tokens.status.active"
    TokenStatus.LOCKED -> "tokens.status.locked"
    TokenStatus.REVOKED -> "tokens.status.revoked"
    TokenStatus.EXPIRED -> "tokens.status.expired"
    TokenStatus.NEEDS_RESETUP -> "tokens.status.needs_resetup"
    TokenStatus.REPLACED -> "tokens.status.replaced"
}
