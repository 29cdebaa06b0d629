package dev.softtoken

import kotlin.test.assertEquals
import org.junit.jupiter.api.Test

/** The setup screen's ID-field rule reaches Kotlin as the core answers it (no provider needed). */
class IdInputTest {
    @Test
    fun `a half-typed full-width service ID is incomplete, a complete one is normalised`() {
        assertEquals(IdInputState.Incomplete("1012", 8), checkServiceIdInput("１０１２ "))
        assertEquals(IdInputState.Complete("10121234"), checkServiceIdInput("1012-1234"))
    }

    @Test
    fun `a user ID typo is flagged before anything is sent`() {
        assertEquals(IdInputState.Complete("12345678901234CI"), checkUserIdInput("1234 5678 9012 34ci"))
        assertEquals(IdInputState.Invalid(IdInputProblem.CheckMismatch), checkUserIdInput("12345678901235CI"))
        assertEquals(
            IdInputState.Invalid(IdInputProblem.NotADigit(3)),
            checkUserIdInput("12x"),
        )
    }
}
