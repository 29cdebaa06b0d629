package dev.softtoken

import dev.softtoken.ffi.FfiLogger

/**
 * Receives the library's log records (which never contain secrets), e.g. to write them to
 * Logcat; install it with [SoftTokenLibrary.setLogger]. Called from the library's threads: it
 * must return quickly. A `fun interface`, so a lambda will do.
 */
public fun interface Logger {
    /**
     * One record: its [level], its [target] (a Rust module path such as
     * `softtoken_core::net`) and the [message] with its fields (`message key=value …`).
     */
    public fun log(level: LogLevel, target: String, message: String)
}

/** The app's [Logger] seen as the generated callback interface. */
internal class LoggerAdapter(private val logger: Logger) : FfiLogger {
    override fun log(level: LogLevel, target: String, message: String): Unit =
        logger.log(level, target, message)
}
