package dev.softtoken

import dev.softtoken.ffi.libraryVersion
import dev.softtoken.ffi.setLogger as ffiSetLogger

/** Process-wide settings of the native library. */
public object SoftTokenLibrary {
    /** The native library's version, for an about screen and bug reports. */
    public val version: String get() = libraryVersion()

    /**
     * Forwards the library's log records up to [maxLevel] to [logger] (e.g. Logcat), replacing
     * any previous logger; `null` stops forwarding. Records never contain secrets.
     */
    public fun setLogger(logger: Logger?, maxLevel: LogLevel = LogLevel.INFO): Unit =
        ffiSetLogger(logger?.let(::LoggerAdapter), maxLevel)
}
