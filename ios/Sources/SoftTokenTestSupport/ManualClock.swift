import Foundation
import SoftToken

/// A device clock the test moves by hand: given to both the client's config and a screen
/// model, it makes the code change and the countdown's moments happen when the test says,
/// without sleeping. Starts at the system time (so the provider accepts what the phone sends).
public final class ManualClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64

    /// A clock at the system time, or at `startMs`.
    public init(startMs: Int64? = nil) {
        now = startMs ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// Now, unix ms.
    public func nowMs() -> Int64 { lock.withLock { now } }

    /// Sets the time to `ms`.
    public func set(_ ms: Int64) { lock.withLock { now = ms } }

    /// Moves the time by `ms` (may be negative).
    public func advance(_ ms: Int64) { lock.withLock { now += ms } }
}
