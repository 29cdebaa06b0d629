package dev.softtoken

import dev.softtoken.ffi.InternalException
import dev.softtoken.ffi.SoftTokenException as FfiError

/**
 * Why a [SoftTokenClient] call failed: one subclass per thing an app can act on. The [message]
 * is the library's human sentence (for logs and fallbacks); apps show their own localized text
 * chosen by the subclass. No exception carries a secret.
 *
 * Mapped from the generated `dev.softtoken.ffi.SoftTokenException` in exactly one place,
 * [toKotlin]; the generated exception is kept as the [cause].
 */
public sealed class SoftTokenException(
    /** The human sentence. */
    public val detail: String,
    cause: Throwable?,
) : Exception(detail, cause) {

    /** Whether trying the same call again later may succeed. */
    public open val retryable: Boolean get() = false

    /** The Service ID as typed is invalid (nothing was sent). */
    public class InvalidServiceId(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The User ID as typed is invalid, e.g. a typo caught by its check letters (nothing was sent). */
    public class InvalidUserId(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** Another input is invalid (empty password, label too long). */
    public class InvalidInput(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The activation password is wrong; [attemptsLeft] more tries before the token locks. */
    public class WrongActivationPassword(
        /** Attempts left before the token locks. */
        public val attemptsLeft: Int,
        detail: String,
        cause: Throwable? = null,
    ) : SoftTokenException(detail, cause)

    /** Too many failed activations: the bank must issue a new token. */
    public class ActivationLocked(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The token was not set up in time: the bank must issue a new one. */
    public class TokenExpired(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The token was revoked: the bank must issue a new one. */
    public class TokenRevoked(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The token is already in use on another phone: a new phone needs a new token. */
    public class AlreadyActiveElsewhere(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The provider could not be reached or did not answer in time. */
    public class Network(
        override val retryable: Boolean,
        detail: String,
        cause: Throwable? = null,
    ) : SoftTokenException(detail, cause)

    /** The provider's TLS certificate is not the pinned one (or TLS failed). */
    public class Tls(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The provider answered something this library does not understand. */
    public class Protocol(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The keystore cannot be used now (device locked, keystore not ready): retry later. */
    public class KeystoreUnavailable(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause) {
        override val retryable: Boolean get() = true
    }

    /** The token's seed is gone (e.g. a restored backup): set the token up again. */
    public class SeedMissing(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The token metadata cannot be read (corrupted, or written by a newer app). */
    public class StorageCorrupted(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The device clock is implausible and no provider time is known to correct it. */
    public class ClockImplausible(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** No token with this id on this phone. */
    public class TokenNotFound(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** A bug in the library: report it. */
    public class Internal(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)
}

/** The one mapping from the generated error to [SoftTokenException]. */
internal fun FfiError.toKotlin(): SoftTokenException = when (this) {
    is FfiError.InvalidServiceId -> SoftTokenException.InvalidServiceId(detail, this)
    is FfiError.InvalidUserId -> SoftTokenException.InvalidUserId(detail, this)
    is FfiError.InvalidInput -> SoftTokenException.InvalidInput(detail, this)
    is FfiError.WrongActivationPassword ->
        SoftTokenException.WrongActivationPassword(attemptsLeft.toInt(), detail, this)
    is FfiError.ActivationLocked -> SoftTokenException.ActivationLocked(detail, this)
    is FfiError.TokenExpired -> SoftTokenException.TokenExpired(detail, this)
    is FfiError.TokenRevoked -> SoftTokenException.TokenRevoked(detail, this)
    is FfiError.AlreadyActiveElsewhere -> SoftTokenException.AlreadyActiveElsewhere(detail, this)
    is FfiError.Network -> SoftTokenException.Network(retryable, detail, this)
    is FfiError.Tls -> SoftTokenException.Tls(detail, this)
    is FfiError.Protocol -> SoftTokenException.Protocol(detail, this)
    is FfiError.KeystoreUnavailable -> SoftTokenException.KeystoreUnavailable(detail, this)
    is FfiError.SeedMissing -> SoftTokenException.SeedMissing(detail, this)
    is FfiError.StorageCorrupted -> SoftTokenException.StorageCorrupted(detail, this)
    is FfiError.ClockImplausible -> SoftTokenException.ClockImplausible(detail, this)
    is FfiError.TokenNotFound -> SoftTokenException.TokenNotFound(detail, this)
    is FfiError.Internal -> SoftTokenException.Internal(detail, this)
}

/**
 * Runs a call into the generated bindings, turning its errors into [SoftTokenException]:
 * the generated `SoftTokenException` by [toKotlin], a Rust panic (`InternalException`) into
 * [SoftTokenException.Internal]. Cancellation passes through untouched.
 */
internal inline fun <T> ffiCall(block: () -> T): T = try {
    block()
} catch (e: FfiError) {
    throw e.toKotlin()
} catch (e: InternalException) {
    throw SoftTokenException.Internal(e.message ?: "internal error in the SoftToken library", e)
}
