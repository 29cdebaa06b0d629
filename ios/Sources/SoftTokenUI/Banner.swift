import Foundation
import SoftToken

/// The banner over the code for a token that is not simply active: what it says, whether the
/// code is still shown, and the action it offers.
public enum Banner: Equatable, Sendable {
    /// Set up; the first code must be typed at the bank's 認証確認 page.
    case pendingConfirmation
    /// Revoked by the bank (final).
    case revoked
    /// Moved to a new phone at `atMs` (unix ms, provider time) (final).
    case replaced(atMs: Int64?)
    /// Too many wrong codes at the bank: the bank must unlock it (codes are still shown).
    case locked
    /// Not confirmed in time (final).
    case expired
    /// The seed is gone from this phone (a restored backup): set up again.
    case needsResetup
    /// The phone's clock is far off (codes are still right, corrected by the provider's time).
    case clockOff

    /// The banner for a token in `status` whose clock is `clockSkewed`, or `nil` for an active
    /// token on a good clock.
    public static func forToken(status: TokenStatus, clockSkewed: Bool) -> Banner? {
        switch status {
        case .pendingConfirmation: return .pendingConfirmation
        case .active: return clockSkewed ? .clockOff : nil
        case .locked: return .locked
        case .revoked: return .revoked
        case .expired: return .expired
        case .needsResetup: return .needsResetup
        }
    }

    /// The banner for a code the core refused with `error`, or `nil` when the error is not
    /// about the token's state.
    public static func forError(_ error: SoftTokenError) -> Banner? {
        switch error {
        case .tokenRevoked: return .revoked
        case .tokenExpired: return .expired
        case .tokenLocked: return .locked
        case .seedMissing: return .needsResetup
        case .clockImplausible: return .clockOff
        default: return nil
        }
    }

    /// Whether the code is still shown under this banner.
    public var showsCode: Bool {
        switch self {
        case .pendingConfirmation, .locked, .clockOff: return true
        case .revoked, .replaced, .expired, .needsResetup: return false
        }
    }

    /// Whether the token can never show codes again (the user needs a new token).
    public var isFinal: Bool {
        switch self {
        case .revoked, .replaced, .expired: return true
        case .pendingConfirmation, .locked, .needsResetup, .clockOff: return false
        }
    }

    /// The action the banner offers, if any.
    public var action: WordKey? { self == .needsResetup ? .setUpAgain : nil }

    /// What the banner says; the replacement date in `timeZone`.
    public func message(timeZone: TimeZone = .current) -> Message {
        switch self {
        case .pendingConfirmation: return Message(.bannerPendingConfirmation)
        case .revoked: return Message(.bannerRevoked)
        case let .replaced(atMs):
            return Message(.bannerReplaced, ["date": atMs.map { Dates.day($0, timeZone) } ?? "—"])
        case .locked: return Message(.bannerLocked)
        case .expired: return Message(.bannerExpired)
        case .needsResetup: return Message(.bannerNeedsResetup)
        case .clockOff: return Message(.bannerClockOff)
        }
    }
}

/// Dates as the screens write them.
enum Dates {
    /// `2026-12-01` (ISO 8601, read the same in ja and en) of unix ms `ms` in `timeZone`.
    static func day(_ ms: Int64, _ timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents(
            [.year, .month, .day], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
