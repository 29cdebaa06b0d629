#if canImport(Security)
import Foundation
import Security

/// A `SecretStore` in the iOS Keychain: generic passwords under one service name, readable
/// only while the device is unlocked, never synchronised and never migrated to another device
/// (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`, not synchronizable), so a restored backup
/// has no seeds and its tokens say "set up again".
public final class KeychainSecretStore: SecretStore, Sendable {
    private let service: String
    private let accessGroup: String?

    /// A store under `service` (one per app), optionally in a shared keychain access group.
    public init(service: String = "dev.softtoken.seeds", accessGroup: String? = nil) {
        self.service = service
        self.accessGroup = accessGroup
    }

    private func baseQuery(_ key: String) -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: key,
            kSecAttrSynchronizable as String: false,
        ]
        if let accessGroup { query[kSecAttrAccessGroup as String] = accessGroup }
        return query
    }

    /// The value stored under `key`, or `nil`.
    public func get(key: String) throws -> Data? {
        var query = baseQuery(key)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: AnyObject?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        switch status {
        case errSecSuccess: return result as? Data
        case errSecItemNotFound: return nil
        default: throw Self.error(status, "read")
        }
    }

    /// Stores `value` under `key`, replacing any previous value.
    public func set(key: String, value: Data) throws {
        let query = baseQuery(key)
        let attributes: [String: Any] = [
            kSecValueData as String: value,
            kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
        ]
        var status = SecItemUpdate(query as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            let item = query.merging(attributes) { _, new in new }
            status = SecItemAdd(item as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw Self.error(status, "write") }
    }

    /// Removes the value under `key`; removing a missing key succeeds.
    public func delete(key: String) throws {
        let status = SecItemDelete(baseQuery(key) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw Self.error(status, "delete")
        }
    }

    /// A locked device (`errSecInteractionNotAllowed`) is "unavailable, retry later"; anything
    /// else is a failure.
    private static func error(_ status: OSStatus, _ operation: String) -> SecretStoreError {
        let reason = "Keychain \(operation) failed (OSStatus \(status))"
        return status == errSecInteractionNotAllowed
            ? .unavailable(reason: reason) : .failed(reason: reason)
    }
}
#endif
