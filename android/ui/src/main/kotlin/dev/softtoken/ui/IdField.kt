package dev.softtoken.ui

import dev.softtoken.IdInputProblem
import dev.softtoken.IdInputState

/**
 * One ID field of the setup screen: what was [typed] and the core's verdict on it ([input],
 * from `checkServiceIdInput` / `checkUserIdInput`, the rule both shells share).
 */
public data class IdField(val typed: String, val input: IdInputState) {
    /** A valid ID: this field allows [送信]. */
    val isComplete: Boolean get() = input is IdInputState.Complete

    /** Wrong already: the field is flagged before anything is sent. */
    val isError: Boolean get() = input is IdInputState.Invalid

    /** The line under the field: how many characters are missing, or what is wrong; none when empty or valid. */
    public fun message(strings: Strings): String? = when (val state = input) {
        IdInputState.Empty, is IdInputState.Complete -> null
        is IdInputState.Incomplete ->
            strings.format("field.incomplete", "n" to (state.expectedLen - state.normalized.length))
        is IdInputState.Invalid -> problemText(state.problem, strings)
    }

    public companion object {
        /** An empty field. */
        public val EMPTY: IdField = IdField("", IdInputState.Empty)
    }
}

private fun problemText(problem: IdInputProblem, strings: Strings): String = when (problem) {
    is IdInputProblem.TooLong ->
        strings.format("field.too_long", "expected" to problem.expectedLen, "found" to problem.found)
    is IdInputProblem.NotADigit -> strings.format("field.not_a_digit", "position" to problem.position)
    is IdInputProblem.InvalidCheckCharacter ->
        strings.format("field.invalid_check_character", "position" to problem.position)
    IdInputProblem.CheckMismatch -> strings["field.check_mismatch"]
}
