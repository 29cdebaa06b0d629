package dev.softtoken

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertSame
import org.junit.jupiter.api.Test
import dev.softtoken.ffi.FfiException
import dev.softtoken.ffi.FfiSecretStoreException
import dev.softtoken.ffi.InternalException

/**
 * The two error mappings of the library: every generated error to its [SoftTokenException], and
 * every [SecretStoreException] an app's store throws to its generated twin, keeping the fields.
 */
class ErrorMappingTest {
    private inline fun <reified T : SoftTokenException> mapsTo(error: Exception): T {
        val mapped = assertFailsWith<T> { ffiCall { throw error } }
        assertSame(error, mapped.cause)
        return mapped
    }

    @Test
    fun `each variant maps to its own exception with the detail as message`() {
        mapsTo<SoftTokenException.InvalidServiceId>(FfiException.InvalidServiceId("a"))
        mapsTo<SoftTokenException.InvalidUserId>(FfiException.InvalidUserId("b"))
        mapsTo<SoftTokenException.InvalidInput>(FfiException.InvalidInput("c"))
        val wrong = mapsTo<SoftTokenException.WrongActivationPassword>(
            FfiException.WrongActivationPassword(3u, "wrong password, 3 attempts left"),
        )
        assertEquals(3, wrong.attemptsLeft)
        assertEquals("wrong password, 3 attempts left", wrong.message)
        mapsTo<SoftTokenException.ActivationLocked>(FfiException.ActivationLocked("d"))
        mapsTo<SoftTokenException.TokenExpired>(FfiException.TokenExpired("e"))
        mapsTo<SoftTokenException.TokenRevoked>(FfiException.TokenRevoked("f"))
        mapsTo<SoftTokenException.AlreadyActiveElsewhere>(FfiException.AlreadyActiveElsewhere("g"))
        assertEquals(true, mapsTo<SoftTokenException.Network>(FfiException.Network(true, "h")).isRetryable)
        assertEquals(false, mapsTo<SoftTokenException.Network>(FfiException.Network(false, "i")).isRetryable)
        mapsTo<SoftTokenException.Tls>(FfiException.Tls("j"))
        mapsTo<SoftTokenException.Protocol>(FfiException.Protocol("k"))
        assertEquals(
            true,
            mapsTo<SoftTokenException.KeystoreUnavailable>(FfiException.KeystoreUnavailable("l")).isRetryable,
        )
        mapsTo<SoftTokenException.SeedMissing>(FfiException.SeedMissing("m"))
        mapsTo<SoftTokenException.StorageCorrupted>(FfiException.StorageCorrupted("n"))
        mapsTo<SoftTokenException.ClockImplausible>(FfiException.ClockImplausible("o"))
        mapsTo<SoftTokenException.TokenNotFound>(FfiException.TokenNotFound("p"))
        mapsTo<SoftTokenException.TokenLocked>(FfiException.TokenLocked("r"))
        mapsTo<SoftTokenException.TransactionNotFound>(FfiException.TransactionNotFound("s"))
        mapsTo<SoftTokenException.TransactionExpired>(FfiException.TransactionExpired("t"))
        assertEquals(
            "approved",
            mapsTo<SoftTokenException.TransactionDecided>(FfiException.TransactionDecided("approved", "u")).state,
        )
        mapsTo<SoftTokenException.PossibleInterception>(FfiException.PossibleInterception("w"))
        val internal = mapsTo<SoftTokenException.Internal>(FfiException.Internal("q"))
        assertEquals("q", internal.detail)
        assertEquals(false, internal.isRetryable)
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

    @Test
    fun `a secret store's exceptions map to the generated ones with their reason`() {
        val store = object : SecretStore {
            override fun get(key: String): ByteArray? = throw SecretStoreException.Unavailable("locked")

            override fun set(key: String, value: ByteArray): Unit =
                throw SecretStoreException.Failed("disk full")

            override fun delete(key: String): Unit = throw IllegalStateException("bug")
        }
        val adapter = SecretStoreAdapter(store)
        val unavailable = assertFailsWith<FfiSecretStoreException.Unavailable> { adapter.get("k") }
        assertEquals("locked", unavailable.reason)
        val failed = assertFailsWith<FfiSecretStoreException.Failed> { adapter.set("k", byteArrayOf(1)) }
        assertEquals("disk full", failed.reason)
        // Anything else reaches uniffi as it is, which reports it to Rust as a failed store.
        assertFailsWith<IllegalStateException> { adapter.delete("k") }
    }
}
