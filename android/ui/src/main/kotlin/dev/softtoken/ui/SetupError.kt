package dev.softtoken.ui

import dev.softtoken.SoftTokenException

/** What went wrong with an activation, as the setup screen tells it. */
public enum class SetupProblem {
    WRONG_PASSWORD, LOCKED, EXPIRED, REVOKED, ACTIVE_ELSEWHERE, INVALID_IDS, NETWORK, KEYSTORE, OTHER
}

/**
 * A failed activation as the user reads it: what happened ([message]), what to do ([nextStep]),
 * and whether the screen offers to send again ([canRetry]: the same request may succeed later).
 */
public data class SetupError(
    val problem: SetupProblem,
    val message: String,
    val nextStep: String,
    val canRetry: Boolean,
) {
    public companion object {
        /** The one mapping from the library's typed errors to the setup screen's texts. */
        public fun from(error: SoftTokenException, strings: Strings): SetupError = when (error) {
            is SoftTokenException.WrongActivationPassword -> SetupError(
                SetupProblem.WRONG_PASSWORD,
                strings.format("error.wrong_password", "n" to error.attemptsLeft),
                strings["error.wrong_password.next"],
                canRetry = false,
            )
            is SoftTokenException.ActivationLocked ->
                of(SetupProblem.LOCKED, "error.locked", strings)
            is SoftTokenException.TokenExpired -> of(SetupProblem.EXPIRED, "error.expired", strings)
            // A replaced token, like a revoked one, needs a new token from the bank.
            is SoftTokenException.TokenRevoked, is SoftTokenException.TokenReplaced ->
                of(SetupProblem.REVOKED, "error.revoked", strings)
            is SoftTokenException.AlreadyActiveElsewhere ->
                of(SetupProblem.ACTIVE_ELSEWHERE, "error.active_elsewhere", strings)
            is SoftTokenException.InvalidServiceId -> SetupError(
                SetupProblem.INVALID_IDS, strings["error.invalid_service_id"],
                strings["error.invalid_ids.next"], canRetry = false,
            )
            is SoftTokenException.InvalidUserId -> SetupError(
                SetupProblem.INVALID_IDS, strings["error.invalid_user_id"],
                strings["error.invalid_ids.next"], canRetry = false,
            )
            is SoftTokenException.Network -> of(SetupProblem.NETWORK, "error.network", strings, canRetry = true)
            is SoftTokenException.KeystoreUnavailable ->
                of(SetupProblem.KEYSTORE, "error.keystore", strings, canRetry = true)
            else -> of(SetupProblem.OTHER, "error.other", strings, canRetry = error.isRetryable)
        }

        private fun of(problem: SetupProblem, key: String, strings: Strings, canRetry: Boolean = false) =
            SetupError(problem, strings[key], strings["$key.next"], canRetry)
    }
}
