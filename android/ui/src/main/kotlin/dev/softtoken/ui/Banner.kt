package dev.softtoken.ui

import dev.softtoken.SoftTokenException
import dev.softtoken.TokenInfo
import dev.softtoken.TokenStatus

/** Why the code screen shows a banner. */
public enum class BannerKind {
    /** Set up; waiting for the first code to be confirmed at the bank (認証確認). */
    PENDING_CONFIRMATION,

    /** Revoked by the bank (トークンの失効). */
    REVOKED,

    /** Too many wrong codes at the bank: ask the bank to unlock. */
    LOCKED,

    /** Not confirmed in time. */
    EXPIRED,

    /** The seed is gone from this phone (a restored backup): set up again. */
    NEEDS_RESETUP,

    /** Moved to a new phone: the new phone's 認証確認 retired this token (final). */
    REPLACED,

    /** The device clock is far off. */
    CLOCK_SKEWED,
}

/** How serious a banner is; each has its own icon and word, never only a colour. */
public enum class Severity { INFO, WARNING, ERROR }

/** What a banner's button does. */
public enum class BannerAction { SET_UP_AGAIN }

/** A banner of the code screen: its [text], [severity] and, where there is one, the next step's button. */
public data class Banner(
    val kind: BannerKind,
    val severity: Severity,
    val text: String,
    val action: BannerAction? = null,
)

/** The banners, in order, for [token] as last known and [codeProblem] from reading its code. */
public fun bannersFor(token: TokenInfo, codeProblem: BannerKind?, strings: Strings): List<Banner> {
    val kinds = buildList {
        statusBanner(token.status)?.let(::add)
        if (codeProblem != null && codeProblem !in this) add(codeProblem)
        if (token.clockSkewed) add(BannerKind.CLOCK_SKEWED)
    }
    return kinds.map { banner(it, token.replacedAtMs, strings) }
}

/** Which banner a code that cannot be read asks for; `null` for a failure that is not the token's state. */
public fun bannerKindOf(error: SoftTokenException): BannerKind? = when (error) {
    is SoftTokenException.TokenRevoked -> BannerKind.REVOKED
    is SoftTokenException.TokenReplaced -> BannerKind.REPLACED
    is SoftTokenException.TokenExpired -> BannerKind.EXPIRED
    is SoftTokenException.SeedMissing -> BannerKind.NEEDS_RESETUP
    is SoftTokenException.TokenLocked -> BannerKind.LOCKED
    is SoftTokenException.ClockImplausible -> BannerKind.CLOCK_SKEWED
    else -> null
}

private fun statusBanner(status: TokenStatus): BannerKind? = when (status) {
    TokenStatus.PENDING_CONFIRMATION -> BannerKind.PENDING_CONFIRMATION
    TokenStatus.REVOKED -> BannerKind.REVOKED
    TokenStatus.LOCKED -> BannerKind.LOCKED
    TokenStatus.EXPIRED -> BannerKind.EXPIRED
    TokenStatus.NEEDS_RESETUP -> BannerKind.NEEDS_RESETUP
    TokenStatus.REPLACED -> BannerKind.REPLACED
    TokenStatus.ACTIVE -> null
}

private fun banner(kind: BannerKind, replacedAtMs: Long?, strings: Strings): Banner = when (kind) {
    BannerKind.PENDING_CONFIRMATION -> Banner(kind, Severity.INFO, strings["banner.pending"])
    BannerKind.REVOKED ->
        Banner(kind, Severity.ERROR, strings["banner.revoked"], BannerAction.SET_UP_AGAIN)
    BannerKind.LOCKED -> Banner(kind, Severity.WARNING, strings["banner.locked"])
    BannerKind.EXPIRED ->
        Banner(kind, Severity.ERROR, strings["banner.expired"], BannerAction.SET_UP_AGAIN)
    BannerKind.NEEDS_RESETUP ->
        Banner(kind, Severity.ERROR, strings["banner.needs_resetup"], BannerAction.SET_UP_AGAIN)
    BannerKind.REPLACED -> Banner(
        kind,
        Severity.ERROR,
        // "moved to a new phone on <date>": the provider's time of the replacement.
        strings.format("banner.replaced", "date" to (replacedAtMs?.let(strings::date) ?: "—")),
    )
    BannerKind.CLOCK_SKEWED -> Banner(kind, Severity.WARNING, strings["banner.clock_skewed"])
}
