import SoftTokenFFI

/// The device clock, for tests or an app with its own time source; pass it as
/// `SoftTokenConfig.clock` (`nil` there means the system clock).
public protocol Clock: AnyObject, Sendable {
    /// Now, in unix milliseconds.
    func nowMs() -> Int64
}

/// The app's `Clock` seen as the generated callback interface.
final class ClockAdapter: FfiClock {
    private let clock: Clock

    init(_ clock: Clock) { self.clock = clock }

    func nowMs() -> Int64 { clock.nowMs() }
}
