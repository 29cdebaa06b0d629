package dev.softtoken

import java.io.File

/**
 * The real provider `cargo xtask kotlin` starts for this suite (`softtoken-server serve --dev`
 * on 127.0.0.1), found through the environment variables xtask sets.
 */
object TestProvider {
    /** `https://127.0.0.1:PORT`. */
    val url: String by lazy { env("SOFTTOKEN_TEST_PROVIDER_URL") }

    /** The dev CA certificate to pin, PEM. */
    val caPem: String by lazy { File(env("SOFTTOKEN_TEST_CA_PEM")).readText() }

    /** The demo service's bank API key. */
    val apiKey: String by lazy { env("SOFTTOKEN_TEST_API_KEY") }

    /** The demo service, [Fixtures.SERVICE_ID]. */
    val serviceId: String by lazy { env("SOFTTOKEN_TEST_SERVICE_ID") }

    /** The test kit's control of the provider's clock, `http://127.0.0.1:PORT` ([ProviderClock]). */
    val controlUrl: String by lazy { env("SOFTTOKEN_TEST_CONTROL_URL") }

    /**
     * A man in the middle to this provider, `https://127.0.0.1:PORT`, with a certificate the
     * phone trusts: it passes everything on but changes the first transfer of every pending list
     * to pay account `7654321`, leaving the list's MAC as the provider made it
     * (`tests/src/relay.rs`).
     */
    val relayUrl: String by lazy { env("SOFTTOKEN_TEST_RELAY_URL") }

    /** The bank side of the provider, talking to it with the pinned CA. */
    val bank: BankClient by lazy { BankClient(url, caPem, apiKey, serviceId) }

    /**
     * A client of this provider (or of [providerUrl]) with its own [dataDir] and, by default, a
     * [MemorySecretStore]; `null` for [secretStore] is the platform keystore.
     */
    fun client(
        dataDir: File,
        secretStore: SecretStore? = MemorySecretStore(),
        clock: Clock? = null,
        providerUrl: String = url,
    ): SoftTokenClient = SoftTokenClient(
        softTokenConfig(providerUrl, caPem, dataDir) {
            device = DeviceInfo(platform = "android", model = "JVM test", appVersion = "test")
            this.secretStore = secretStore
            this.clock = clock
        },
    )

    private fun env(name: String): String = System.getenv(name)
        ?: error("$name is not set: run the suite with `cargo xtask kotlin`, which starts the provider")
}
