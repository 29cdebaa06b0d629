package dev.softtoken

/**
 * Where the app keeps token seeds when it does not use the platform keystore: implement it on
 * top of Android Keystore-wrapped storage. Report failures by throwing
 * `dev.softtoken.ffi.SecretStoreException.Unavailable(reason)` ("retry later", e.g. the device
 * is locked) or `dev.softtoken.ffi.SecretStoreException.Failed(reason)`; the call then fails
 * with [SoftTokenException.KeystoreUnavailable]. Keys are opaque ASCII names; values are
 * secrets: never log them.
 */
public typealias SecretStore = dev.softtoken.ffi.SecretStore

/** The device clock (unix milliseconds), for tests or an app with its own time source. */
public typealias Clock = dev.softtoken.ffi.Clock

/** What the app tells the provider about the phone: platform, model, app version. */
public typealias DeviceInfo = dev.softtoken.ffi.DeviceInfo

/** The state of a token on this phone (pending confirmation, active, locked, revoked, …). */
public typealias TokenStatus = dev.softtoken.ffi.TokenStatus

/** A token's HMAC algorithm. */
public typealias Algorithm = dev.softtoken.ffi.Algorithm

/** Severity of a log record. */
public typealias LogLevel = dev.softtoken.ffi.LogLevel

/** Receives the library's log records (which never contain secrets). */
public typealias Logger = dev.softtoken.ffi.Logger
