import Foundation
import SoftToken

extension TestProvider {
    /// A client of a provider that does not exist (port 9, one-second timeouts), with a Swift
    /// in-memory store: a call that reached the network would fail with a network error, so
    /// any other error proves it was decided on the phone.
    public func offlineClient() throws -> SoftTokenClient {
        var config = try self.config(secretStore: MemorySecretStore())
        config.providerUrl = URL(string: "https://127.0.0.1:9")!
        config.connectTimeout = 1
        config.requestTimeout = 1
        return try SoftTokenClient(config)
    }
}
