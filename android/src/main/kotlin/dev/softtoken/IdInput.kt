package dev.softtoken

import dev.softtoken.ffi.IdInputProblem as FfiProblem
import dev.softtoken.ffi.IdInputState as FfiState

/**
 * What a typed ID field holds so far, for the setup screen: the one rule, in the Rust core, that
 * the Swift app uses too. Hand-written over the generated enum because Kotlin cannot reach a
 * sealed class's members through a typealias, and apps never import `dev.softtoken.ffi`.
 */
public sealed interface IdInputState {
    /** Nothing typed (or only spaces and hyphens). */
    public data object Empty : IdInputState

    /** Fine so far but too short; [normalized] is what the field may re-display. */
    public data class Incomplete(val normalized: String, val expectedLen: Int) : IdInputState

    /** A valid ID ([normalized] is canonical): [送信] may be enabled for this field. */
    public data class Complete(val normalized: String) : IdInputState

    /** Wrong already: flag the field before anything is sent. */
    public data class Invalid(val problem: IdInputProblem) : IdInputState
}

/** Why a typed ID field is wrong already. Positions are 1-based in the normalised text. */
public sealed interface IdInputProblem {
    /** More characters than an ID has. */
    public data class TooLong(val expectedLen: Int, val found: Int) : IdInputProblem

    /** A character that must be a digit is not. */
    public data class NotADigit(val position: Int) : IdInputProblem

    /** A User ID check character (position 15 or 16) is not a letter A–J. */
    public data class InvalidCheckCharacter(val position: Int) : IdInputProblem

    /** A complete User ID whose check letters do not match its digits: a typo. */
    public data object CheckMismatch : IdInputProblem
}

/** The state of a Service ID field holding [typed] (full-width digits, spaces, hyphens are fine). */
public fun checkServiceIdInput(typed: String): IdInputState =
    dev.softtoken.ffi.checkServiceIdInput(typed).toPublic()

/** The state of a User ID field holding [typed] (full-width, spaces, hyphens, lower case are fine). */
public fun checkUserIdInput(typed: String): IdInputState =
    dev.softtoken.ffi.checkUserIdInput(typed).toPublic()

private fun FfiState.toPublic(): IdInputState = when (this) {
    is FfiState.Empty -> IdInputState.Empty
    is FfiState.Incomplete -> IdInputState.Incomplete(normalized, expectedLen.toInt())
    is FfiState.Complete -> IdInputState.Complete(normalized)
    is FfiState.Invalid -> IdInputState.Invalid(problem.toPublic())
}

private fun FfiProblem.toPublic(): IdInputProblem = when (this) {
    is FfiProblem.TooLong -> IdInputProblem.TooLong(expectedLen.toInt(), found.toInt())
    is FfiProblem.NotADigit -> IdInputProblem.NotADigit(position.toInt())
    is FfiProblem.InvalidCheckCharacter -> IdInputProblem.InvalidCheckCharacter(position.toInt())
    is FfiProblem.CheckMismatch -> IdInputProblem.CheckMismatch
}
