package dev.softtoken.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import dev.softtoken.OtpCode
import dev.softtoken.SoftTokenClient
import dev.softtoken.SoftTokenException
import dev.softtoken.TokenInfo

/**
 * The ワンタイムパスワード screen of one token: the code, its countdown, what a screen reader is
 * told, and the banners. [tick] is driven from outside (the app's scope, or a test with its own
 * [clock]); nothing here sleeps.
 */
public class CodeState(
    private val client: SoftTokenClient,
    private val strings: Strings,
    token: TokenInfo,
    private val clock: () -> Long,
) {
    /** The token as last read or refreshed. */
    public var token: TokenInfo by mutableStateOf(token)
        private set

    /** The shown code and where it is in its period; `null` when no code can be shown. */
    public var countdown: Countdown? by mutableStateOf(null)
        private set

    /** The clock at the last [tick]. */
    public var nowMs: Long by mutableStateOf(clock())
        private set

    /** Why the code cannot be read, from the library's typed error. */
    public var codeProblem: BannerKind? by mutableStateOf(null)
        private set

    /** The live region's text: changes only at an [Announcement] moment. */
    public var announcement: String by mutableStateOf("")
        private set

    /** The last announcement made (for tests and the live region). */
    public var lastAnnouncement: Announcement? by mutableStateOf(null)
        private set

    private var previousRemainingMs: Long? = null

    private val code: OtpCode? get() = countdown?.code

    /** `1234 5678`, or `null` when no code can be shown. */
    public val groupedCode: String? get() = code?.let { CodeText.grouped(it.code) }

    /** What the copy button copies: `12345678`. */
    public val copyText: String? get() = code?.let { CodeText.copyText(it.code) }

    /** The code's spoken label: the title and the digits one by one. */
    public val spokenLabel: String?
        get() = code?.let { strings.format("code.spoken", "digits" to CodeText.spokenDigits(it.code)) }

    /** The countdown's fill, 1 to 0. */
    public val fraction: Float get() = countdown?.fraction(nowMs) ?: 0f

    /** Whole seconds left. */
    public val remainingSeconds: Int get() = countdown?.remainingSeconds(nowMs) ?: 0

    /** The countdown's own label: "残り 12 秒". */
    public val remainingLabel: String get() = strings.format("code.remaining", "n" to remainingSeconds)

    /** The banners for the token's state and the clock. */
    public val banners: List<Banner> get() = bannersFor(token, codeProblem, strings)

    /**
     * Looks at the clock: reads a new code when none is shown or the period ended (exactly at
     * the boundary), and sets [announcement] at the moments [Announcement.due] names.
     */
    public fun tick() {
        val now = clock()
        nowMs = now
        val shown = countdown
        var changed = false
        if (shown == null || shown.isOver(now)) {
            val before = shown?.code?.code
            readCode(now)
            val after = countdown?.code?.code
            changed = before != null && after != null && after != before
            previousRemainingMs = null
        }
        val current = countdown ?: run {
            // No code to count down: an earlier "10 seconds left" must not stay on screen.
            announcement = ""
            return
        }
        val remaining = current.remainingMs(now)
        val due = Announcement.due(previousRemainingMs, remaining, changed)
        previousRemainingMs = remaining
        if (due != null) announce(due, current.code)
    }

    /** How long the driver waits before the next [tick]. */
    public fun msToNextTick(): Long = countdown?.msToNextTick(nowMs) ?: RETRY_MS

    /** Asks the provider for the token's state (confirmation, revocation, lock) and reads the code again. */
    public suspend fun refresh() {
        try {
            token = client.refresh(token.id)
        } catch (e: SoftTokenException) {
            codeProblem = bannerKindOf(e) ?: codeProblem
        }
        countdown = null
        previousRemainingMs = null
        tick()
    }

    private fun readCode(now: Long) {
        try {
            countdown = Countdown(client.currentCode(token.id), now)
            codeProblem = null
        } catch (e: SoftTokenException) {
            countdown = null
            codeProblem = bannerKindOf(e)
        }
    }

    private fun announce(moment: Announcement, code: OtpCode) {
        lastAnnouncement = moment
        announcement = when (moment) {
            Announcement.NEW_CODE ->
                strings.format("code.announce.new", "digits" to CodeText.spokenDigits(code.code))
            Announcement.TWENTY_SECONDS_LEFT -> strings.format("code.announce.remaining", "n" to 20)
            Announcement.TEN_SECONDS_LEFT -> strings.format("code.announce.remaining", "n" to 10)
        }
    }

    private companion object {
        /** How soon to look again when no code could be read. */
        const val RETRY_MS = 5_000L
    }
}
