import Foundation
import SoftToken

/// The provider `cargo xtask swift` started, read from the environment (see
/// `xtask/src/provider.rs`): its URL and CA, and the bank side of the demo service.
public struct TestProvider: Sendable {
    /// `https://127.0.0.1:PORT`.
    public let url: URL
    /// Path of the dev CA certificate (PEM).
    public let caPath: String
    /// The CA certificate, PEM.
    public let caPem: String
    /// The demo service's bank API key.
    public let apiKey: String
    /// The demo service, `Fixtures.serviceId`.
    public let serviceId: String
    /// The test kit's control of the provider's clock, `http://127.0.0.1:PORT` (`ProviderClock`).
    public let controlUrl: URL
    /// A man in the middle to the provider, `https://127.0.0.1:PORT`, with a certificate the
    /// phone trusts: it passes everything on but changes the first transfer of every pending
    /// list to pay account `7654321`, leaving the list's MAC as the provider made it
    /// (`tests/src/relay.rs`).
    public let relayUrl: URL

    /// Reads the environment; `nil` when the variables are not set (not run by xtask).
    public static func fromEnvironment() throws -> TestProvider? {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["SOFTTOKEN_TEST_PROVIDER_URL"].flatMap(URL.init(string:)),
              let caPath = env["SOFTTOKEN_TEST_CA_PEM"],
              let apiKey = env["SOFTTOKEN_TEST_API_KEY"],
              let serviceId = env["SOFTTOKEN_TEST_SERVICE_ID"],
              let controlUrl = env["SOFTTOKEN_TEST_CONTROL_URL"].flatMap(URL.init(string:)),
              let relayUrl = env["SOFTTOKEN_TEST_RELAY_URL"].flatMap(URL.init(string:))
        else { return nil }
        return TestProvider(
            url: url, caPath: caPath,
            caPem: try String(contentsOfFile: caPath, encoding: .utf8),
            apiKey: apiKey, serviceId: serviceId, controlUrl: controlUrl, relayUrl: relayUrl)
    }

    /// The bank side of this provider.
    public var bank: BankClient { BankClient(provider: self) }

    /// A configuration for a client of this provider with `secretStore` (`nil`: the platform
    /// keystore), `clock` (`nil`: the system clock) and a fresh data directory.
    public func config(secretStore: SecretStore?, clock: Clock? = nil) throws -> SoftTokenConfig {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("softtoken-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return SoftTokenConfig(
            providerUrl: url, providerCaPem: caPem, dataDir: dir,
            device: DeviceInfo(platform: "ios", model: "swift-test", appVersion: "0"),
            secretStore: secretStore, clock: clock)
    }
}
