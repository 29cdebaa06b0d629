package dev.softtoken

/**
 * One token as the app lists it. Holds no secrets.
 *
 * @property id stable id on this phone (`<service id>-<user id>`), used by every other call.
 * @property serviceId the Service ID (8 digits).
 * @property userId the User ID (16 characters).
 * @property label the user's label, if any.
 * @property algorithm the HMAC algorithm of its codes.
 * @property digits digits per code (8).
 * @property periodSeconds seconds per code (30).
 * @property status its state.
 * @property createdAtMs when it was set up on this phone, unix milliseconds.
 * @property clockOffsetMs provider time minus device time, milliseconds (codes use it).
 * @property clockSkewed whether the device clock is off by more than three minutes (codes are
 *   still right; the app may suggest fixing the clock).
 */
public data class TokenInfo(
    val id: String,
    val serviceId: String,
    val userId: String,
    val label: String?,
    val algorithm: Algorithm,
    val digits: Int,
    val periodSeconds: Int,
    val status: TokenStatus,
    val createdAtMs: Long,
    val clockOffsetMs: Long,
    val clockSkewed: Boolean,
)

internal fun dev.softtoken.ffi.TokenInfo.toKotlin(): TokenInfo = TokenInfo(
    id = id,
    serviceId = serviceId,
    userId = userId,
    label = label,
    algorithm = algorithm,
    digits = digits.toInt(),
    periodSeconds = period.toInt(),
    status = status,
    createdAtMs = createdAtMs.toLong(),
    clockOffsetMs = clockOffsetMs,
    clockSkewed = clockSkewed,
)
