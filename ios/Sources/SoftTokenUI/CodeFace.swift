import Foundation

/// How an 8-digit code is shown, copied, spoken and counted down: pure functions, so each rule
/// is tested once and the views only draw.
public enum CodeFace {
    /// The digits in two halves, `12345678` → `1234 5678` (odd lengths put the extra digit in
    /// front).
    public static func grouped(_ digits: String) -> String {
        guard digits.count > 4 else { return digits }
        let split = digits.index(digits.startIndex, offsetBy: (digits.count + 1) / 2)
        return "\(digits[..<split]) \(digits[split...])"
    }

    /// What the copy button puts on the clipboard: the digits alone, so pasting into the bank's
    /// field works (WCAG 2.2 SC 3.3.8) whatever the display adds.
    public static func copyText(_ shown: String) -> String {
        String(shown.filter(\.isNumber))
    }

    /// The digits apart, `1 2 3 4 5 6 7 8`, for the spoken label (each read on its own).
    public static func spokenDigits(_ digits: String) -> String {
        digits.map(String.init).joined(separator: " ")
    }

    /// The countdown at `nowMs` for a code that expires at `expiresAtMs` (device clock) and lasts
    /// `periodMs`.
    public static func countdown(expiresAtMs: Int64, periodMs: Int64, nowMs: Int64) -> Countdown {
        let leftMs = min(max(expiresAtMs - nowMs, 0), periodMs)
        return Countdown(
            fraction: periodMs > 0 ? Double(leftMs) / Double(periodMs) : 0,
            secondsLeft: Int((leftMs + 999) / 1000))
    }

    /// The seconds-left marks at which the countdown speaks (about 20 s and 10 s left).
    public static let announcedSeconds = [20, 10]

    /// What the screen reader should say at this tick, if anything: the new code when it
    /// changed, else a mark of `announcedSeconds` the countdown just reached. Nothing on the
    /// first tick (the screen's own content is read then) and nothing in between, so the
    /// countdown does not chatter every second.
    public static func announcement(
        previousSecondsLeft: Int?, secondsLeft: Int, codeChanged: Bool
    ) -> Announcement? {
        guard let previous = previousSecondsLeft else { return nil }
        if codeChanged { return .newCode }
        for mark in announcedSeconds where previous > mark && secondsLeft <= mark {
            return .secondsLeft(mark)
        }
        return nil
    }
}

/// The countdown of the code shown.
public struct Countdown: Equatable, Sendable {
    /// What is left of the period, 1 (just started) → 0 (over): the ring or bar.
    public let fraction: Double
    /// Whole seconds left, rounded up: the countdown's accessibility value.
    public let secondsLeft: Int
}

/// A moment the countdown speaks (an accessibility announcement).
public enum Announcement: Equatable, Sendable {
    /// The code changed.
    case newCode
    /// About this many seconds are left.
    case secondsLeft(Int)
}
