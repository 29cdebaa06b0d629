import Foundation
import SoftToken

extension TestProvider {
    /// A token the bank issued (to `Fixtures.email`, with `Fixtures.activationPassword`), set up
    /// on a new client of this provider with `secretStore` and `clock`: where most tests start.
    public func activatedClient(
        secretStore: SecretStore = MemorySecretStore(), clock: Clock? = nil
    ) async throws -> (client: SoftTokenClient, token: TokenInfo) {
        try await activatedClient(config: config(secretStore: secretStore, clock: clock))
    }

    /// The same on a configuration the test made (and keeps, to open a second client on the
    /// same data directory and store, or to point one elsewhere).
    public func activatedClient(
        config: SoftTokenConfig
    ) async throws -> (client: SoftTokenClient, token: TokenInfo) {
        let issued = try bank.issue(
            email: Fixtures.email, activationPassword: Fixtures.activationPassword)
        let client = try SoftTokenClient(config)
        let token = try await client.activate(
            serviceId: serviceId, userId: issued.userId,
            activationPassword: Fixtures.activationPassword)
        return (client, token)
    }
}
