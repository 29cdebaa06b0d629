package dev.softtoken.ui

import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.FormatStyle
import java.util.Locale

/**
 * The screens' words in one language, by the keys of `docs/screens/wording.md` (the catalogue the
 * Swift app shares). A state holder picks its texts here so that what a screen says is decided,
 * and tested, without drawing.
 */
public class Strings private constructor(
    /** The language's tag, `ja` or `en`. */
    public val language: String,
    private val texts: Map<String, String>,
    private val locale: Locale,
) {
    /** The text of [key]; the key itself for a key the catalogue lacks (a visible bug, not a crash). */
    public operator fun get(key: String): String = texts[key] ?: key

    /** The text of [key] with each `{name}` of [args] replaced by its value. */
    public fun format(key: String, vararg args: Pair<String, Any>): String =
        args.fold(get(key)) { text, (name, value) -> text.replace("{$name}", value.toString()) }

    /** A provider time (Unix ms) as a date this language writes, e.g. for "moved on {date}". */
    public fun date(unixMs: Long, zone: ZoneId = ZoneId.systemDefault()): String =
        DateTimeFormatter.ofLocalizedDate(FormatStyle.MEDIUM).withLocale(locale)
            .format(Instant.ofEpochMilli(unixMs).atZone(zone))

    /** Every key this language has (for the catalogue check). */
    internal val keys: Set<String> get() = texts.keys

    public companion object {
        /** Japanese, the manual's words. */
        public val JA: Strings = Strings("ja", JAPANESE, Locale.JAPAN)

        /** English. */
        public val EN: Strings = Strings("en", ENGLISH, Locale.UK)

        /** Japanese for a Japanese [locale], English for any other. */
        public fun forLocale(locale: Locale): Strings = if (locale.language == "ja") JA else EN
    }
}
