package dev.softtoken

import java.io.File
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import dev.softtoken.ffi.CoreConfig

/**
 * How to open a [SoftTokenClient]. Only the provider and the data directory are required; build
 * it with named arguments or with [softTokenConfig].
 *
 * @property providerUrl the provider's base URL, `https://…`.
 * @property providerCaPem the provider CA certificate(s), PEM. Only these are trusted: no
 *   platform roots.
 * @property dataDir directory for the token metadata file (no secrets), e.g. `context.filesDir`.
 * @property device what the app tells the provider about the phone (shown to the bank).
 * @property secretStore where seeds live: `null` for the platform keystore, or the app's own
 *   [SecretStore].
 * @property clock the device clock: `null` for the system clock.
 * @property connectTimeout TCP + TLS connection timeout.
 * @property requestTimeout whole-request timeout.
 */
public data class SoftTokenConfig(
    val providerUrl: String,
    val providerCaPem: String,
    val dataDir: File,
    val device: DeviceInfo = DeviceInfo(platform = "android"),
    val secretStore: SecretStore? = null,
    val clock: Clock? = null,
    val connectTimeout: Duration = 10.seconds,
    val requestTimeout: Duration = 30.seconds,
) {
    init {
        require(connectTimeout.isPositive()) { "connectTimeout must be positive" }
        require(requestTimeout.isPositive()) { "requestTimeout must be positive" }
    }

    /** Mutable form of [SoftTokenConfig] for [softTokenConfig]; defaults as there. */
    public class Builder internal constructor(
        /** See [SoftTokenConfig.providerUrl]. */
        public var providerUrl: String,
        /** See [SoftTokenConfig.providerCaPem]. */
        public var providerCaPem: String,
        /** See [SoftTokenConfig.dataDir]. */
        public var dataDir: File,
    ) {
        /** See [SoftTokenConfig.device]. */
        public var device: DeviceInfo = DeviceInfo(platform = "android")

        /** See [SoftTokenConfig.secretStore]. */
        public var secretStore: SecretStore? = null

        /** See [SoftTokenConfig.clock]. */
        public var clock: Clock? = null

        /** See [SoftTokenConfig.connectTimeout]. */
        public var connectTimeout: Duration = 10.seconds

        /** See [SoftTokenConfig.requestTimeout]. */
        public var requestTimeout: Duration = 30.seconds

        internal fun build(): SoftTokenConfig = SoftTokenConfig(
            providerUrl, providerCaPem, dataDir, device, secretStore, clock,
            connectTimeout, requestTimeout,
        )
    }

    /** The generated record, with the app's store and clock adapted. */
    internal fun toFfi(): CoreConfig = CoreConfig(
        providerUrl = providerUrl,
        providerCaPem = providerCaPem,
        dataDir = dataDir.path,
        device = device,
        secretStore = secretStore?.let(::SecretStoreAdapter),
        clock = clock?.let(::ClockAdapter),
        connectTimeoutMs = connectTimeout.inWholeMilliseconds.toULong(),
        requestTimeoutMs = requestTimeout.inWholeMilliseconds.toULong(),
    )
}

/**
 * Builds a [SoftTokenConfig]: the required parts as arguments, the rest in [block].
 *
 * ```
 * val config = softTokenConfig(url, caPem, context.filesDir) {
 *     device = DeviceInfo(platform = "android", model = Build.MODEL, appVersion = "1.0")
 * }
 * ```
 */
public fun softTokenConfig(
    providerUrl: String,
    providerCaPem: String,
    dataDir: File,
    block: SoftTokenConfig.Builder.() -> Unit = {},
): SoftTokenConfig = SoftTokenConfig.Builder(providerUrl, providerCaPem, dataDir).apply(block).build()
