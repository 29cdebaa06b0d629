import Foundation
import SoftTokenFFI

/// Why a `SoftTokenClient` call failed: one case per thing an app can act on. The Swift twin of
/// Kotlin's `SoftTokenException`.
///
/// `detail` is the library's sentence for logs and fallbacks (English, never a secret); apps
/// show their own localized text chosen by the case.
public enum SoftTokenError: Error, Equatable, Sendable {
    /// The Service ID as typed is invalid (nothing was sent).
    case invalidServiceId(detail: String)
    /// The User ID as typed is invalid, e.g. a typo caught by its check letters (nothing was sent).
    case invalidUserId(detail: String)
    /// Another input is invalid (empty password, label too long).
    case invalidInput(detail: String)
    /// The activation password is wrong; `attemptsLeft` more tries before the token locks.
    case wrongActivationPassword(attemptsLeft: Int, detail: String)
    /// Too many failed activations: the bank must issue a new token.
    case activationLocked(detail: String)
    /// The token was not set up in time: the bank must issue a new one.
    case tokenExpired(detail: String)
    /// The token was revoked: the bank must issue a new one.
    case tokenRevoked(detail: String)
    /// The token moved to a new phone (its 認証確認 retired this one): use the new phone.
    case tokenReplaced(detail: String)
    /// The token is already in use on another phone: a new phone needs a new token.
    case alreadyActiveElsewhere(detail: String)
    /// The provider could not be reached or did not answer in time.
    case network(retryable: Bool, detail: String)
    /// The provider's TLS certificate is not the pinned one (or TLS failed).
    case tls(detail: String)
    /// The provider answered something this app does not understand.
    case `protocol`(detail: String)
    /// The keystore cannot be used now (device locked, keystore not ready): retry later.
    case keystoreUnavailable(detail: String)
    /// The token's seed is gone (e.g. a backup restored onto a new phone): set the token up again.
    case seedMissing(detail: String)
    /// The token metadata cannot be read (corrupted, or written by a newer app). Nothing was deleted.
    case storageCorrupted(detail: String)
    /// The device clock is implausible and no provider time is known to correct it.
    case clockImplausible(detail: String)
    /// No token with this id.
    case tokenNotFound(detail: String)
    /// The token is locked (too many wrong codes at the bank): the bank must unlock it.
    case tokenLocked(detail: String)
    /// No such pending transaction for this token: fetch the list again.
    case transactionNotFound(detail: String)
    /// The transaction expired: the user starts the transfer again at the bank.
    case transactionExpired(detail: String)
    /// The transaction was already decided; `state` says how (e.g. `approved`).
    case transactionDecided(state: String, detail: String)
    /// A transaction reply did not verify: it may come from an interceptor. Nothing was shown.
    case possibleInterception(detail: String)
    /// A bug in the library or its bindings: report it.
    case `internal`(detail: String)

    /// The library's sentence for logs (never a secret).
    public var detail: String {
        switch self {
        case let .invalidServiceId(detail), let .invalidUserId(detail), let .invalidInput(detail),
             let .wrongActivationPassword(_, detail), let .activationLocked(detail),
             let .tokenExpired(detail), let .tokenRevoked(detail), let .tokenReplaced(detail),
             let .alreadyActiveElsewhere(detail), let .network(_, detail), let .tls(detail),
             let .protocol(detail), let .keystoreUnavailable(detail),
             let .seedMissing(detail), let .storageCorrupted(detail),
             let .clockImplausible(detail), let .tokenNotFound(detail), let .tokenLocked(detail),
             let .transactionNotFound(detail), let .transactionExpired(detail),
             let .transactionDecided(_, detail), let .possibleInterception(detail),
             let .internal(detail):
            return detail
        }
    }

    /// Whether trying the same call again later may succeed (a retryable network failure, an
    /// unavailable keystore).
    public var isRetryable: Bool {
        switch self {
        case let .network(retryable, _): return retryable
        case .keystoreUnavailable: return true
        default: return false
        }
    }

    /// Attempts left before the token locks, for a wrong activation password; otherwise `nil`.
    public var attemptsLeft: Int? {
        if case let .wrongActivationPassword(attemptsLeft, _) = self { return attemptsLeft }
        return nil
    }
}

extension SoftTokenError: LocalizedError {
    /// The library's sentence (`detail`).
    public var errorDescription: String? { detail }
}

extension SoftTokenError {
    /// The one place where the generated `FfiError` becomes a `SoftTokenError`.
    init(_ error: FfiError) {
        switch error {
        case let .InvalidServiceId(detail): self = .invalidServiceId(detail: detail)
        case let .InvalidUserId(detail): self = .invalidUserId(detail: detail)
        case let .InvalidInput(detail): self = .invalidInput(detail: detail)
        case let .WrongActivationPassword(attemptsLeft, detail):
            self = .wrongActivationPassword(attemptsLeft: Int(attemptsLeft), detail: detail)
        case let .ActivationLocked(detail): self = .activationLocked(detail: detail)
        case let .TokenExpired(detail): self = .tokenExpired(detail: detail)
        case let .TokenRevoked(detail): self = .tokenRevoked(detail: detail)
        case let .TokenReplaced(detail): self = .tokenReplaced(detail: detail)
        case let .AlreadyActiveElsewhere(detail): self = .alreadyActiveElsewhere(detail: detail)
        case let .Network(retryable, detail): self = .network(retryable: retryable, detail: detail)
        case let .Tls(detail): self = .tls(detail: detail)
        case let .Protocol(detail): self = .protocol(detail: detail)
        case let .KeystoreUnavailable(detail): self = .keystoreUnavailable(detail: detail)
        case let .SeedMissing(detail): self = .seedMissing(detail: detail)
        case let .StorageCorrupted(detail): self = .storageCorrupted(detail: detail)
        case let .ClockImplausible(detail): self = .clockImplausible(detail: detail)
        case let .TokenNotFound(detail): self = .tokenNotFound(detail: detail)
        case let .TokenLocked(detail): self = .tokenLocked(detail: detail)
        case let .TransactionNotFound(detail): self = .transactionNotFound(detail: detail)
        case let .TransactionExpired(detail): self = .transactionExpired(detail: detail)
        case let .TransactionDecided(state, detail):
            self = .transactionDecided(state: state, detail: detail)
        case let .PossibleInterception(detail): self = .possibleInterception(detail: detail)
        case let .Internal(detail): self = .internal(detail: detail)
        }
    }

    /// Any error a generated call threw, as this type (task cancellation passes through).
    static func from(_ error: Error) -> Error {
        switch error {
        case let error as FfiError: return SoftTokenError(error)
        case is CancellationError: return error
        default: return SoftTokenError.internal(detail: String(describing: error))
        }
    }
}

/// Runs a generated call, mapping what it throws.
@inline(__always)
func mapped<T>(_ call: () throws -> T) throws -> T {
    do { return try call() } catch { throw SoftTokenError.from(error) }
}

/// Runs a generated async call, mapping what it throws.
func mapped<T>(_ call: () async throws -> T) async throws -> T {
    do { return try await call() } catch { throw SoftTokenError.from(error) }
}
