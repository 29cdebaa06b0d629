import SoftTokenFFI

/// Forwards the library's log records (never secrets) to `handler`, e.g. `os_log`; `nil`
/// stops forwarding. Records more verbose than `maxLevel` are not produced at all.
///
/// The handler is called from the library's threads and must return quickly.
public func setSoftTokenLogHandler(
    maxLevel: LogLevel = .info,
    _ handler: (@Sendable (_ level: LogLevel, _ target: String, _ message: String) -> Void)?
) {
    SoftTokenFFI.setLogger(logger: handler.map(ClosureLogger.init), maxLevel: maxLevel)
}

/// A closure seen as the generated `Logger` protocol.
private final class ClosureLogger: SoftTokenFFI.Logger {
    let handler: @Sendable (LogLevel, String, String) -> Void

    init(_ handler: @escaping @Sendable (LogLevel, String, String) -> Void) {
        self.handler = handler
    }

    func log(level: LogLevel, target: String, message: String) {
        handler(level, target, message)
    }
}
