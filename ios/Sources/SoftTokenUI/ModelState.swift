import Foundation
import SoftToken

/// How every screen model publishes what its screen shows: the current value, a callback and
/// any number of `AsyncStream`s. Plain Swift, not `Observation` or Combine, so the models build
/// and are tested on Linux; a SwiftUI view copies `updates()` into its `@State` in a `.task`.
@MainActor
public final class ModelState<Value: Sendable> {
    /// What the screen shows now.
    public private(set) var value: Value
    /// Called with every new value (after `value` changed), on the main actor.
    public var onChange: ((Value) -> Void)?
    private var continuations: [UUID: AsyncStream<Value>.Continuation] = [:]

    init(_ initial: Value) { value = initial }

    /// The current value at once, then every change, until the consumer stops.
    public func updates() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Value.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        continuation.yield(value)
        continuations[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { @MainActor in self?.continuations[id] = nil }
        }
        return stream
    }

    /// Publishes `new`.
    func set(_ new: Value) {
        value = new
        onChange?(new)
        for continuation in continuations.values { continuation.yield(new) }
    }

    /// Publishes `value` changed by `change`.
    func update(_ change: (inout Value) -> Void) {
        var new = value
        change(&new)
        set(new)
    }
}

/// The device clock for the models when the app passes none.
public final class SystemClock: Clock {
    /// The system clock.
    public init() {}

    /// Now, unix milliseconds.
    public func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
