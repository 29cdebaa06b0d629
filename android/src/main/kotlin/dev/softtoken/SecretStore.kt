package dev.softtoken

import dev.softtoken.ffi.FfiSecretStore
import dev.softtoken.ffi.FfiSecretStoreException

/**
 * Where the app keeps token seeds when it does not use the platform keystore: implement it on
 * top of Android Keystore-wrapped storage and pass it as [SoftTokenConfig.secretStore].
 *
 * Keys are opaque ASCII names (store them verbatim); values are secrets: keep them
 * this-device-only, never log them, and wipe your own copies when done. Report failures by
 * throwing [SecretStoreException]; the call then fails with
 * [SoftTokenException.KeystoreUnavailable] and nothing is left behind. Any other exception
 * counts as [SecretStoreException.Failed].
 */
public interface SecretStore {
    /** The value stored under [key], or `null` if there is none. */
    @Throws(SecretStoreException::class)
    public fun get(key: String): ByteArray?

    /** Stores [value] under [key], replacing any previous value. */
    @Throws(SecretStoreException::class)
    public fun set(key: String, value: ByteArray)

    /** Removes the value under [key]; removing a key that does not exist succeeds. */
    @Throws(SecretStoreException::class)
    public fun delete(key: String)
}

/**
 * Why a [SecretStore] operation failed. The [reason] is for logs and must never contain a
 * secret; it reaches the app again in the [SoftTokenException.KeystoreUnavailable] the call
 * fails with.
 */
public sealed class SecretStoreException(
    /** What went wrong. */
    public val reason: String,
    cause: Throwable?,
) : Exception(reason, cause) {
    /** The store cannot be used right now (device locked, keystore not ready): retry later. */
    public class Unavailable(reason: String, cause: Throwable? = null) :
        SecretStoreException(reason, cause)

    /** The store failed; retrying is unlikely to help. */
    public class Failed(reason: String, cause: Throwable? = null) :
        SecretStoreException(reason, cause)
}

/** The app's [SecretStore] seen as the generated callback interface. */
internal class SecretStoreAdapter(private val store: SecretStore) : FfiSecretStore {
    override fun get(key: String): ByteArray? = mapped { store.get(key) }

    override fun set(key: String, value: ByteArray): Unit = mapped { store.set(key, value) }

    override fun delete(key: String): Unit = mapped { store.delete(key) }

    /** The one mapping from [SecretStoreException] to the generated exception. */
    private inline fun <T> mapped(operation: () -> T): T = try {
        operation()
    } catch (e: SecretStoreException.Unavailable) {
        throw FfiSecretStoreException.Unavailable(e.reason)
    } catch (e: SecretStoreException.Failed) {
        throw FfiSecretStoreException.Failed(e.reason)
    }
}
