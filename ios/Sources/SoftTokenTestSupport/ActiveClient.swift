import Foundation
import SoftToken

extension TestProvider {
    /// `activatedClient`, with its first code confirmed at the bank (認証確認): an `active`
    /// token, which is what takes transfers.
    public func activeClient() async throws -> (client: SoftTokenClient, token: TokenInfo) {
        try await activeClient(config: config(secretStore: MemorySecretStore()))
    }

    /// The same on a configuration the test made.
    public func activeClient(
        config: SoftTokenConfig
    ) async throws -> (client: SoftTokenClient, token: TokenInfo) {
        let (client, token) = try await activatedClient(config: config)
        let confirmed = try bank.verify(
            userId: token.userId, otp: try client.currentCode(tokenId: token.id).code)
        guard confirmed.result == "accepted" else {
            throw BankClientError(message: "認証確認 was \(confirmed.result)")
        }
        return (client, token)
    }
}
