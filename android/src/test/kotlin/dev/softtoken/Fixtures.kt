package dev.softtoken

/** The values the suites share, named as in the Rust test kit's `fixtures`. */
object Fixtures {
    /** The demo service the provider's `--dev` mode creates. */
    const val SERVICE_ID = "10121234"

    /** The activation password the tests issue tokens with. */
    const val ACTIVATION_PASSWORD = "Sakura#2026"

    /** The email the bank issues the tests' tokens to. */
    const val EMAIL = "hanako@example.jp"

    /**
     * [userId] with one body digit changed (the sixth, plus one, modulo 10): its check letters
     * no longer match, as after a typo.
     */
    fun userIdWithTypo(userId: String): String {
        val typo = '0' + (userId[TYPO_AT] - '0' + 1) % 10
        return userId.substring(0, TYPO_AT) + typo + userId.substring(TYPO_AT + 1)
    }

    /** Which body character [userIdWithTypo] changes (0-based). */
    private const val TYPO_AT = 5
}
