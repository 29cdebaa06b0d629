// The generated types an app uses, under the `SoftToken` module, so `import SoftToken` is
// enough. The generated `SoftToken` object and `SoftTokenError` are deliberately not re-exported:
// apps use `SoftTokenClient` and `SoftTokenClientError`.

import SoftTokenFFI

/// One token as the app lists it (no secrets).
public typealias TokenInfo = SoftTokenFFI.TokenInfo
/// The code to show now, with what the countdown needs.
public typealias OtpCode = SoftTokenFFI.OtpCode
/// The state of a token on this phone.
public typealias TokenStatus = SoftTokenFFI.TokenStatus
/// HMAC algorithm of a token.
public typealias Algorithm = SoftTokenFFI.Algorithm
/// What the app tells the provider about the phone.
public typealias DeviceInfo = SoftTokenFFI.DeviceInfo
/// Seed storage the app may provide instead of the platform keystore.
public typealias SecretStore = SoftTokenFFI.SecretStore
/// What a `SecretStore` throws.
public typealias SecretStoreError = SoftTokenFFI.SecretStoreError
/// The device clock, provided by the app or a test.
public typealias Clock = SoftTokenFFI.Clock
/// Severity of a log record.
public typealias LogLevel = SoftTokenFFI.LogLevel

/// This library's version (the Rust workspace version), for about screens and bug reports.
public var softTokenLibraryVersion: String { SoftTokenFFI.libraryVersion() }
