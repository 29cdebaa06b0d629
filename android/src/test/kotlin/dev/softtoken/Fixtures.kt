package dev.softtoken

import java.io.File

/** The activation password the tests issue tokens with. */
const val PASSWORD = "Sakura#2026"

/** A client on the test provider with its own [dataDir] and (by default) an in-memory store. */
fun testClient(
    dataDir: File,
    secretStore: SecretStore = InMemorySecretStore(),
    clock: Clock? = null,
    providerUrl: String = TestProvider.url,
): SoftTokenClient = SoftTokenClient(
    softTokenConfig(providerUrl, TestProvider.caPem, dataDir) {
        device = DeviceInfo(platform = "android", model = "JVM test", appVersion = "test")
        this.secretStore = secretStore
        this.clock = clock
    },
)
