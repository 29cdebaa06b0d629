package dev.softtoken

/**
 * The code to show now, with what the countdown needs.
 *
 * [toString] does not reveal the code, so an `OtpCode` may be logged.
 *
 * @property code the digits (8 by default).
 * @property periodSeconds seconds per code.
 * @property validFromUnix unix time (provider clock), seconds, at which this code became valid.
 * @property remainingMs milliseconds it stays valid (for the countdown ring).
 */
public class OtpCode(
    public val code: String,
    public val periodSeconds: Int,
    public val validFromUnix: Long,
    public val remainingMs: Long,
) {
    /** Unix time (provider clock), seconds, at which the next code becomes valid. */
    public val validUntilUnix: Long get() = validFromUnix + periodSeconds

    /** The share of the period left, from 1.0 (just started) down to 0.0, for a ring. */
    public val remainingFraction: Float
        get() = (remainingMs.toFloat() / (periodSeconds * 1000f)).coerceIn(0f, 1f)

    override fun equals(other: Any?): Boolean = other is OtpCode &&
        code == other.code && periodSeconds == other.periodSeconds &&
        validFromUnix == other.validFromUnix && remainingMs == other.remainingMs

    override fun hashCode(): Int =
        listOf(code, periodSeconds, validFromUnix, remainingMs).hashCode()

    override fun toString(): String =
        "OtpCode(code=<redacted>, periodSeconds=$periodSeconds, validFromUnix=$validFromUnix, " +
            "remainingMs=$remainingMs)"
}

internal fun dev.softtoken.ffi.OtpCode.toKotlin(): OtpCode = OtpCode(
    code = code,
    periodSeconds = period.toInt(),
    validFromUnix = validFromUnix.toLong(),
    remainingMs = remainingMs.toLong(),
)
