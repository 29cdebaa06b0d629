import Foundation
import SoftTokenFFI

/// The app core: activation, seeds in the keystore, codes, status and re-setup.
///
/// One instance per app is enough; it is safe to use from any thread or task. Every method
/// throws `SoftTokenError`.
///
/// ```swift
/// let client = try SoftTokenClient(SoftTokenConfig(
///     providerUrl: url, providerCaPem: caPem, dataDir: dir,
///     device: DeviceInfo(platform: "ios", model: "iPhone15,2", appVersion: "1.0")))
/// let token = try await client.activate(serviceId: "1012 1234", userId: "12345678901234CI",
///                                       activationPassword: password)
/// for try await code in client.codes(tokenId: token.id) { show(code) }
/// ```
public final class SoftTokenClient: Sendable {
    /// The generated object (thread-safe).
    let core: SoftTokenFFI.SoftToken

    /// Opens the core: metadata directory, keystore, provider client with the pinned CA.
    public init(_ config: SoftTokenConfig) throws {
        let coreConfig = config.coreConfig
        core = try mapped { try SoftTokenFFI.SoftToken(config: coreConfig) }
    }

    /// Sets up a token from what the user typed: Service ID, User ID (full-width digits, spaces
    /// and hyphens are fine; a typo is caught before anything is sent) and the activation
    /// password. Retrying after a lost reply is safe.
    public func activate(
        serviceId: String, userId: String, activationPassword: String
    ) async throws -> TokenInfo {
        try await mapped {
            try await core.activate(
                serviceId: serviceId, userId: userId, activationPassword: activationPassword)
        }
    }

    /// Asks the provider for the token's state (how the app learns of a revocation) and
    /// corrects the clock offset.
    public func refresh(tokenId: String) async throws -> TokenInfo {
        try await mapped { try await core.refresh(tokenId: tokenId) }
    }

    /// Every token on this phone, oldest first.
    public func tokens() throws -> [TokenInfo] {
        try mapped { try core.tokens() }
    }

    /// The code to show now, with its countdown. Refused for a revoked, expired or
    /// set-up-again token.
    public func currentCode(tokenId: String) throws -> OtpCode {
        try mapped { try core.currentCode(tokenId: tokenId) }
    }

    /// Removes a token from this phone: its seed, then its metadata.
    public func remove(tokenId: String) throws {
        try mapped { try core.remove(tokenId: tokenId) }
    }

    /// Sets (or with `nil` clears) a token's label, at most 64 characters.
    @discardableResult
    public func rename(tokenId: String, label: String?) throws -> TokenInfo {
        try mapped { try core.rename(tokenId: tokenId, label: label) }
    }
}
