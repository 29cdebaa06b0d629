package dev.softtoken.ui

import dev.softtoken.OtpCode

/**
 * The code as the screen shows, copies and speaks it; pure functions of the 8 digits.
 */
public object CodeText {
    /** `12345678` → `1234 5678`: two groups of four, easier to read and type. */
    public fun grouped(code: String): String = code.chunked(GROUP).joinToString(" ")

    /** What the copy button puts on the clipboard: the digits alone, so pasting works. */
    public fun copyText(code: String): String = code.filter(Char::isDigit)

    /** The digits one by one (`1 2 3 4 5 6 7 8`), so a screen reader never reads a number. */
    public fun spokenDigits(code: String): String = copyText(code).toList().joinToString(" ")

    private const val GROUP = 4
}

/**
 * Where a shown [code] is in its period, from its `remainingMs` when it was read ([shownAtMs],
 * on the injected clock) and the clock now: the countdown reaches zero exactly at the period
 * boundary, when the next code is due.
 */
public class Countdown(public val code: OtpCode, private val shownAtMs: Long) {
    private val periodMs: Long = code.period * 1_000L

    /** Milliseconds left at [nowMs], between 0 and the period. */
    public fun remainingMs(nowMs: Long): Long =
        (code.remainingMs - (nowMs - shownAtMs)).coerceIn(0, periodMs)

    /** Whole seconds left at [nowMs], rounded up (as a countdown shows them). */
    public fun remainingSeconds(nowMs: Long): Int = ((remainingMs(nowMs) + 999) / 1_000).toInt()

    /** The ring's or bar's fill at [nowMs]: 1 when the code is new, 0 at the boundary. */
    public fun fraction(nowMs: Long): Float = remainingMs(nowMs).toFloat() / periodMs

    /** The period ended at [nowMs]: the next code is due. */
    public fun isOver(nowMs: Long): Boolean = remainingMs(nowMs) == 0L

    /**
     * How long after [nowMs] the screen must look again: at the next whole second of the
     * countdown, and never later than the boundary.
     */
    public fun msToNextTick(nowMs: Long): Long {
        val left = remainingMs(nowMs)
        val toSecond = left % 1_000
        return (if (toSecond == 0L) 1_000L else toSecond).coerceAtMost(left).coerceAtLeast(1)
    }
}

/** A moment the code screen tells a screen reader something, unasked. */
public enum class Announcement {
    /** A new code replaced the one shown. */
    NEW_CODE,

    /** About 20 seconds left. */
    TWENTY_SECONDS_LEFT,

    /** About 10 seconds left. */
    TEN_SECONDS_LEFT,
    ;

    public companion object {
        /**
         * The announcement due when the countdown moves from [previousMs] to [nowMs] ms left
         * (with [codeChanged] when a new code replaced the previous one): only at the code change
         * and when crossing 20 s and 10 s, so a screen reader is not interrupted every second.
         * `null` for the first look at a code ([previousMs] `null`) and every other tick.
         */
        public fun due(previousMs: Long?, nowMs: Long, codeChanged: Boolean): Announcement? = when {
            codeChanged -> NEW_CODE
            previousMs == null -> null
            previousMs > TWENTY_MS && nowMs <= TWENTY_MS -> TWENTY_SECONDS_LEFT
            previousMs > TEN_MS && nowMs <= TEN_MS -> TEN_SECONDS_LEFT
            else -> null
        }

        private const val TWENTY_MS = 20_000L
        private const val TEN_MS = 10_000L
    }
}
