import Foundation
import SoftTokenFFI

/// Where the app keeps token seeds when it does not use the platform keystore, e.g.
/// `KeychainSecretStore`; pass it as `SoftTokenConfig.secretStore`.
///
/// Keys are opaque ASCII names (store them verbatim); values are secrets: keep them
/// this-device-only, never log them. Report failures by throwing `SecretStoreError`; the call
/// then fails with `SoftTokenError.keystoreUnavailable` and nothing is left behind. Any other
/// error counts as `SecretStoreError.failed`.
public protocol SecretStore: AnyObject, Sendable {
    /// The value stored under `key`, or `nil` if there is none.
    func get(key: String) throws -> Data?
    /// Stores `value` under `key`, replacing any previous value.
    func set(key: String, value: Data) throws
    /// Removes the value under `key`; removing a key that does not exist succeeds.
    func delete(key: String) throws
}

/// Why a `SecretStore` operation failed. The reason is for logs and must never contain a
/// secret; it reaches the app again in the `SoftTokenError.keystoreUnavailable` the call fails
/// with.
public enum SecretStoreError: Error, Equatable, Sendable {
    /// The store cannot be used right now (device locked, keystore not ready): retry later.
    case unavailable(reason: String)
    /// The store failed; retrying is unlikely to help.
    case failed(reason: String)
}

/// The app's `SecretStore` seen as the generated callback interface.
final class SecretStoreAdapter: FfiSecretStore {
    private let store: SecretStore

    init(_ store: SecretStore) { self.store = store }

    func get(key: String) throws -> Data? { try mapped { try store.get(key: key) } }

    func set(key: String, value: Data) throws {
        try mapped { try store.set(key: key, value: value) }
    }

    func delete(key: String) throws { try mapped { try store.delete(key: key) } }

    /// The one mapping from `SecretStoreError` to the generated error. Anything else reaches
    /// uniffi as it is, which reports it to Rust as a failed store.
    private func mapped<T>(_ operation: () throws -> T) throws -> T {
        do {
            return try operation()
        } catch SecretStoreError.unavailable(let reason) {
            throw FfiSecretStoreError.Unavailable(reason: reason)
        } catch SecretStoreError.failed(let reason) {
            throw FfiSecretStoreError.Failed(reason: reason)
        }
    }
}
