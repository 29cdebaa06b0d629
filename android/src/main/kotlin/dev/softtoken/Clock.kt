package dev.softtoken

import dev.softtoken.ffi.FfiClock

/**
 * The device clock, for tests or an app with its own time source; pass it as
 * [SoftTokenConfig.clock] (`null` there means the system clock). A `fun interface`, so a lambda
 * will do: `Clock { System.currentTimeMillis() }`.
 */
public fun interface Clock {
    /** Now, in unix milliseconds. */
    public fun nowMs(): Long
}

/** The app's [Clock] seen as the generated callback interface. */
internal class ClockAdapter(private val clock: Clock) : FfiClock {
    override fun nowMs(): Long = clock.nowMs()
}
