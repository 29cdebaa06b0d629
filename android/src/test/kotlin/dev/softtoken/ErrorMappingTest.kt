package dev.softtoken

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertSame
import org.junit.jupiter.api.Test
import dev.softtoken.ffi.InternalException
import dev.softtoken.ffi.SoftTokenException as FfiError

/** Every generated error maps to its [SoftTokenException], keeping its fields. */
class ErrorMappingTest {
    private inline fun <reified T : SoftTokenException> mapsTo(error: Exception): T {
        val mapped = assertFailsWith<T> { ffiCall { throw error } }
        assertSame(error, mapped.cause)
        return mapped
    }

    @Test
    fun `each variant maps to its own exception with the detail as message`() {
        mapsTo<SoftTokenException.InvalidServiceId>(FfiError.InvalidServiceId("a"))
        mapsTo<SoftTokenException.InvalidUserId>(FfiError.InvalidUserId("b"))
        mapsTo<SoftTokenException.InvalidInput>(FfiError.InvalidInput("c"))
        val wrong = mapsTo<SoftTokenException.WrongActivationPassword>(
            FfiError.WrongActivationPassword(3u, "wrong password, 3 attempts left"),
        )
        assertEquals(3, wrong.attemptsLeft)
        assertEquals("wrong password, 3 attempts left", wrong.message)
        mapsTo<SoftTokenException.ActivationLocked>(FfiError.ActivationLocked("d"))
        mapsTo<SoftTokenException.TokenExpired>(FfiError.TokenExpired("e"))
        mapsTo<SoftTokenException.TokenRevoked>(FfiError.TokenRevoked("f"))
        mapsTo<SoftTokenException.AlreadyActiveElsewhere>(FfiError.AlreadyActiveElsewhere("g"))
        assertEquals(true, mapsTo<SoftTokenException.Network>(FfiError.Network(true, "h")).retryable)
        assertEquals(false, mapsTo<SoftTokenException.Network>(FfiError.Network(false, "i")).retryable)
        mapsTo<SoftTokenException.Tls>(FfiError.Tls("j"))
        mapsTo<SoftTokenException.Protocol>(FfiError.Protocol("k"))
        assertEquals(
            true,
            mapsTo<SoftTokenException.KeystoreUnavailable>(FfiError.KeystoreUnavailable("l")).retryable,
        )
        mapsTo<SoftTokenException.SeedMissing>(FfiError.SeedMissing("m"))
        mapsTo<SoftTokenException.StorageCorrupted>(FfiError.StorageCorrupted("n"))
        mapsTo<SoftTokenException.ClockImplausible>(FfiError.ClockImplausible("o"))
        mapsTo<SoftTokenException.TokenNotFound>(FfiError.TokenNotFound("p"))
        val internal = mapsTo<SoftTokenException.Internal>(FfiError.Internal("q"))
        assertEquals("q", internal.detail)
        assertEquals(false, internal.retryable)
    }

    @Test
    fun `a panic in the library is an Internal exception`() {
        val mapped = mapsTo<SoftTokenException.Internal>(InternalException("boom"))
        assertEquals("boom", mapped.message)
    }

    @Test
    fun `other exceptions pass through`() {
        val e = IllegalStateException("closed")
        assertIs<IllegalStateException>(assertFailsWith<IllegalStateException> { ffiCall { throw e } })
    }
}
