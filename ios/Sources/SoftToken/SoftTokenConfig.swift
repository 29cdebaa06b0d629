import Foundation
import SoftTokenFFI

/// How to open a `SoftTokenClient`. The same fields as Kotlin's `SoftTokenConfig`.
public struct SoftTokenConfig: Sendable {
    /// Provider base URL, `https://…`.
    public var providerUrl: URL
    /// The provider CA certificate(s) to trust, PEM. Only these are trusted: no system roots.
    public var providerCaPem: String
    /// Directory for the token metadata file (no secrets), e.g. Application Support.
    public var dataDir: URL
    /// What the app tells the provider about the phone.
    public var device: DeviceInfo
    /// Where seeds live: `nil` for the platform keystore (the Keychain, this device only), or
    /// the app's own store, e.g. `KeychainSecretStore`.
    public var secretStore: SecretStore?
    /// The device clock: `nil` for the system clock.
    public var clock: Clock?
    /// TCP + TLS connection timeout, seconds.
    public var connectTimeout: TimeInterval
    /// Whole-request timeout, seconds.
    public var requestTimeout: TimeInterval

    /// A configuration with the library's default timeouts (10 s to connect, 30 s per request).
    public init(
        providerUrl: URL,
        providerCaPem: String,
        dataDir: URL,
        device: DeviceInfo,
        secretStore: SecretStore? = nil,
        clock: Clock? = nil,
        connectTimeout: TimeInterval = 10,
        requestTimeout: TimeInterval = 30
    ) {
        self.providerUrl = providerUrl
        self.providerCaPem = providerCaPem
        self.dataDir = dataDir
        self.device = device
        self.secretStore = secretStore
        self.clock = clock
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
    }

    /// The generated record, with the app's store and clock adapted.
    var coreConfig: CoreConfig {
        CoreConfig(
            providerUrl: providerUrl.absoluteString,
            providerCaPem: providerCaPem,
            dataDir: dataDir.path,
            device: device,
            secretStore: secretStore.map(SecretStoreAdapter.init),
            clock: clock.map(ClockAdapter.init),
            connectTimeoutMs: Self.milliseconds(connectTimeout),
            requestTimeoutMs: Self.milliseconds(requestTimeout)
        )
    }

    private static func milliseconds(_ seconds: TimeInterval) -> UInt64 {
        UInt64(max(0, (seconds * 1000).rounded()))
    }
}
