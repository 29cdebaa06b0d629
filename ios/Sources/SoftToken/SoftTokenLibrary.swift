import SoftTokenFFI

/// Process-wide settings of the native library.
public enum SoftTokenLibrary {
    /// The native library's version (the Rust workspace version), for about screens and bug
    /// reports.
    public static var version: String { SoftTokenFFI.libraryVersion() }

    /// Forwards the library's log records up to `maxLevel` to `logger` (e.g. `os_log`),
    /// replacing any previous logger; `nil` stops forwarding. Records never contain secrets.
    ///
    /// The logger is a closure rather than a protocol named `Logger`, which would clash with
    /// `os.Logger` in every file that imports both. It is called from the library's threads and
    /// must return quickly.
    public static func setLogger(
        maxLevel: LogLevel = .info,
        _ logger: (@Sendable (_ level: LogLevel, _ target: String, _ message: String) -> Void)?
    ) {
        SoftTokenFFI.setLogger(logger: logger.map(LoggerAdapter.init), maxLevel: maxLevel)
    }
}

/// The app's closure seen as the generated callback interface.
private final class LoggerAdapter: FfiLogger {
    let logger: @Sendable (LogLevel, String, String) -> Void

    init(_ logger: @escaping @Sendable (LogLevel, String, String) -> Void) {
        self.logger = logger
    }

    func log(level: LogLevel, target: String, message: String) {
        logger(level, target, message)
    }
}
