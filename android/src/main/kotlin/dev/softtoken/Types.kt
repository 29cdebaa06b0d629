package dev.softtoken

// The generated records and enums apps use as they are, under `dev.softtoken`, so apps never
// import `dev.softtoken.ffi`. One definition of each, in Rust (bindings/src/types.rs,
// config.rs, logging.rs): their fields are Kotlin `Int`/`Long`, usable from Java too.

/**
 * One token as the app lists it (no secrets): `id` (used by every other call), `serviceId`,
 * `userId`, `label`, `algorithm`, `digits`, `period` (seconds), `status`, `createdAtMs`,
 * `clockOffsetMs`, `clockSkewed`.
 */
public typealias TokenInfo = dev.softtoken.ffi.TokenInfo

/**
 * The code to show now: `code`, `period` (seconds), `validFromUnix`, `remainingMs`, and
 * `validUntilUnix()`, `remainingFraction()` for the countdown. `toString()` hides the code, so
 * an `OtpCode` may be logged.
 */
public typealias OtpCode = dev.softtoken.ffi.OtpCode

/** What the app tells the provider about the phone: `platform`, `model`, `appVersion`. */
public typealias DeviceInfo = dev.softtoken.ffi.DeviceInfo

/** The state of a token on this phone (pending confirmation, active, locked, revoked, …). */
public typealias TokenStatus = dev.softtoken.ffi.TokenStatus

/** A token's HMAC algorithm. */
public typealias Algorithm = dev.softtoken.ffi.Algorithm

/** Severity of a log record, most severe first. */
public typealias LogLevel = dev.softtoken.ffi.LogLevel
