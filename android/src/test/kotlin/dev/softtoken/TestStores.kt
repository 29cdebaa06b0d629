package dev.softtoken

import java.util.concurrent.ConcurrentHashMap

/**
 * A [SecretStore] in a map, as an app without a keystore (or a test) would write it: the Kotlin
 * twin of the core's `MemorySecretStore`. Not secure storage. Implemented from `dev.softtoken`
 * alone, as an app would.
 */
class MemorySecretStore : SecretStore {
    private val values = ConcurrentHashMap<String, ByteArray>()

    override fun get(key: String): ByteArray? = values[key]?.copyOf()

    override fun set(key: String, value: ByteArray) {
        values[key] = value.copyOf()
        value.fill(0)
    }

    override fun delete(key: String) {
        values.remove(key)?.fill(0)
    }

    /** The keys stored. */
    fun keys(): Set<String> = values.keys.toSet()
}

/** A [SecretStore] whose writes fail, like a keystore that refuses to store. */
class FailingOnSetSecretStore(private val reason: String = "disk full") : SecretStore {
    override fun get(key: String): ByteArray? = null

    override fun set(key: String, value: ByteArray) {
        value.fill(0)
        throw SecretStoreException.Failed(reason)
    }

    override fun delete(key: String) {}
}
