import Foundation
import SoftToken

/// A `SecretStore` in memory, implemented in Swift from `SoftToken` alone, as an app would: the
/// Swift twin of the core's `MemorySecretStore`, which the tests and the benchmark use in place
/// of the platform keystore. Not secure storage.
public final class MemorySecretStore: SecretStore, @unchecked Sendable {
    // @unchecked: every access to `values` holds `lock`.
    private let lock = NSLock()
    private var values: [String: Data] = [:]

    /// An empty store.
    public init() {}

    /// The keys stored, sorted.
    public var keys: [String] { lock.withLock { values.keys.sorted() } }

    /// The value under `key`, or `nil`.
    public func get(key: String) throws -> Data? { lock.withLock { values[key] } }

    /// Stores `value` under `key`.
    public func set(key: String, value: Data) throws { lock.withLock { values[key] = value } }

    /// Removes the value under `key`.
    public func delete(key: String) throws { _ = lock.withLock { values.removeValue(forKey: key) } }
}
