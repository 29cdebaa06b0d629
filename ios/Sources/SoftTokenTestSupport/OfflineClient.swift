import Foundation
import SoftToken

extension TestProvider {
    /// A client of a provider that does not exist (port 9, one-second timeouts), with a Swift
    /// in-memory store: a call that reached the network would fail with a network error, so
    /// any other error proves it was decided on the phone.
    public func offlineClient() throws -> SoftTokenClient {
        var configuration = try configuration(store: InMemorySecretStore())
        configuration.providerURL = URL(string: "https://127.0.0.1:9")!
        configuration.connectTimeout = 1
        configuration.requestTimeout = 1
        return try SoftTokenClient(configuration)
    }
}
