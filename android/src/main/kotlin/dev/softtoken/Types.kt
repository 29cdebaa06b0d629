package dev.softtoken

// The generated records and enums apps use as they are, under `dev.softtoken`, so apps never
// import `dev.softtoken.ffi`. One definition of each, in Rust (bindings/src/types.rs,
// config.rs, logging.rs, transaction.rs): their fields are Kotlin `Int`/`Long`, usable from Java too.

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

/**
 * A transfer waiting for the user's decision (取引認証), from a list whose provider MAC verified:
 * `id`, the payee (`bankCode`, `branchCode`, `accountKind`, `accountNumber`, `payeeName`),
 * `amountYen`, `reference`, `expiresAtMs`, and ready to show `amountYenSign` (`¥1,234,567`),
 * `amountEnSuffix` (`1,234,567円`), `accountTypeLabel` (普通/当座/貯蓄) and `accountLine`
 * (`普通 1234567`). Nothing is masked; `toString()` shows only the id and expiry, so it may be
 * logged.
 */
public typealias PendingTransaction = dev.softtoken.ffi.PendingTransaction

/** The kind of the payee's account (預金種目): ordinary 普通, checking 当座, savings 貯蓄. */
public typealias AccountKind = dev.softtoken.ffi.AccountKind

/** What became of a one-tap decision: approved or rejected, as the provider's MAC proved. */
public typealias DecisionOutcome = dev.softtoken.ffi.DecisionOutcome

/** An amount in yen as `¥1,234,567`, as [PendingTransaction.amountYenSign] shows it. */
public fun formatYenSign(yen: Long): String = dev.softtoken.ffi.formatYenSign(yen)

/** An amount in yen as `1,234,567円`, as [PendingTransaction.amountEnSuffix] shows it. */
public fun formatEnSuffix(yen: Long): String = dev.softtoken.ffi.formatEnSuffix(yen)
