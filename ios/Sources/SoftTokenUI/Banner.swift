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

    /// The banner for a token in `status` whose clock is `clockSkewed` (replaced at
    /// `replacedAtMs`), or `nil` for an active token on a good clock.
    public static func forToken(
        status: TokenStatus, clockSkewed: Bool, replacedAtMs: Int64? = nil
    ) -> Banner? {
        switch status {
        case .pendingConfirmation: return .pendingConfirmation
        case .active: return clockSkewed ? .clockOff : nil
        case .locked: return .locked
        case .revoked: return .revoked
        case .replaced: return .replaced(atMs: replacedAtMs)
        case .expired: return .expired
        case .needsResetup: return .needsResetup
        }
    }

    /// The banner of `token`.
    public static func forToken(_ token: TokenInfo) -> Banner? {
        forToken(
            status: token.status, clockSkewed: token.clockSkewed, replacedAtMs: token.replacedAtMs)
    }

    /// The banner for a code the core refused with `error`, or `nil` when the error is not
    /// about the token's state (a replacement's date from `replacedAtMs`, if known).
    public static func forError(_ error: SoftTokenError, replacedAtMs: Int64? = nil) -> Banner? {
        switch error {
        case .tokenRevoked: return .revoked
        case .tokenReplaced: return .replaced(atMs: replacedAtMs)
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
    public var action: WordKey? { self == .needsResetup ? .bannerSetupAgain : nil }

    /// What the banner says; a replacement's date as `language` writes it, in `timeZone`.
    public func message(_ language: Language, timeZone: TimeZone = .current) -> Message {
        switch self {
        case .pendingConfirmation: return Message(.bannerPending)
        case .revoked: return Message(.bannerRevoked)
        case let .replaced(atMs):
            return Message(
                .bannerReplaced, ["date": atMs.map { Dates.day($0, language, timeZone) } ?? "—"])
        case .locked: return Message(.bannerLocked)
        case .expired: return Message(.bannerExpired)
        case .needsResetup: return Message(.bannerNeedsResetup)
        case .clockOff: return Message(.bannerClockSkewed)
        }
    }
}

/// Dates as the screens write them.
enum Dates {
    /// The day of unix ms `ms` in `timeZone` as `language` writes it: `2026年12月1日`,
    /// `December 1, 2026`.
    static func day(_ ms: Int64, _ language: Language, _ timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: language == .ja ? "ja_JP" : "en_US")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = timeZone
        formatter.dateStyle = .long
        formatter.timeStyle = .none
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
