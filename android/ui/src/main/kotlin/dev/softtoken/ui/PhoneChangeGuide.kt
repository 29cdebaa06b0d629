package dev.softtoken.ui

/** One way of moving to a new phone: its [title] and numbered [steps]. */
public data class GuidePath(val title: String, val steps: List<String>)

/**
 * The 機種変更 guide (issue 14 §3): with the old phone at hand the new token retires the old one
 * at its 認証確認, so there is no gap; with the old phone lost the bank revokes it first.
 */
public object PhoneChangeGuide {
    /** The two paths, old phone at hand first. */
    public fun paths(strings: Strings): List<GuidePath> = listOf(
        GuidePath(strings["phone.at_hand.title"], (1..4).map { strings["phone.at_hand.$it"] }),
        GuidePath(strings["phone.lost.title"], (1..3).map { strings["phone.lost.$it"] }),
    )
}
