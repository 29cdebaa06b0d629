// The generated records and enums an app uses as they are, under the `SoftToken` module, so
// `import SoftToken` is enough and no app imports `SoftTokenFFI`. One definition of each, in
// Rust (bindings/src/types.rs, config.rs, logging.rs). What apps implement or catch
// (`SecretStore`, `Clock`, `SoftTokenError`, `SecretStoreError`) is hand-written here instead,
// and the generated `Ffi…` twins stay inside this module.

import SoftTokenFFI

/// One token as the app lists it (no secrets).
public typealias TokenInfo = SoftTokenFFI.TokenInfo
/// The code to show now, with what the countdown needs; its description hides the code.
public typealias OtpCode = SoftTokenFFI.OtpCode
/// The state of a token on this phone.
public typealias TokenStatus = SoftTokenFFI.TokenStatus
/// HMAC algorithm of a token.
public typealias Algorithm = SoftTokenFFI.Algorithm
/// What the app tells the provider about the phone.
public typealias DeviceInfo = SoftTokenFFI.DeviceInfo
/// Severity of a log record, most severe first.
public typealias LogLevel = SoftTokenFFI.LogLevel
/// A transfer waiting for the user's decision (取引認証), from a list whose provider MAC
/// verified: the raw fields and, ready to show, `amountYenSign` (`¥1,234,567`),
/// `amountEnSuffix` (`1,234,567円`), `accountTypeLabel` (普通/当座/貯蓄) and `accountLine`
/// (`普通 1234567`). Nothing is masked; its description shows only the id and expiry.
public typealias PendingTransaction = SoftTokenFFI.PendingTransaction
/// The kind of the payee's account (預金種目).
public typealias AccountKind = SoftTokenFFI.AccountKind
/// What became of a one-tap decision, as the provider's MAC proved it.
public typealias DecisionOutcome = SoftTokenFFI.DecisionOutcome
/// What a typed ID field holds so far: `.empty`, `.incomplete` (fine so far), `.complete` (a
/// valid ID; 送信 may be enabled for it) or `.invalid` with its problem (flag the field before
/// anything is sent). The one rule, in the Rust core, that the Kotlin app uses too.
public typealias IdInputState = SoftTokenFFI.IdInputState
/// Why a typed ID field is wrong already: too long, a non-digit, a bad check letter, a typo.
public typealias IdInputProblem = SoftTokenFFI.IdInputProblem

/// The state of a Service ID field holding `typed` (full-width digits, spaces, hyphens are fine).
public func checkServiceIdInput(_ typed: String) -> IdInputState {
    SoftTokenFFI.checkServiceIdInput(typed: typed)
}

/// The state of a User ID field holding `typed` (full-width, spaces, hyphens, lower case are fine).
public func checkUserIdInput(_ typed: String) -> IdInputState {
    SoftTokenFFI.checkUserIdInput(typed: typed)
}
