package dev.softtoken

import dev.softtoken.ffi.FfiException
import dev.softtoken.ffi.InternalException

/**
 * Why a [SoftTokenClient] call failed: one subclass per thing an app can act on. The [message]
 * is the library's human sentence (for logs and fallbacks); apps show their own localized text
 * chosen by the subclass. No exception carries a secret.
 *
 * Mapped from the generated `dev.softtoken.ffi.FfiException` in exactly one place,
 * [toPublic]; the generated exception is kept as the [cause].
 */
public sealed class SoftTokenException(
    /** The human sentence. */
    public val detail: String,
    cause: Throwable?,
) : Exception(detail, cause) {

    /** Whether trying the same call again later may succeed. */
    public open val isRetryable: Boolean get() = false

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

    /** The token moved to a new phone (its 認証確認 retired this one): use the new phone. */
    public class TokenReplaced(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The token is already in use on another phone: a new phone needs a new token. */
    public class AlreadyActiveElsewhere(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /**
     * The provider could not be reached or did not answer in time; [isRetryable] says whether
     * trying again later may succeed.
     */
    public class Network(
        retryable: Boolean,
        detail: String,
        cause: Throwable? = null,
    ) : SoftTokenException(detail, cause) {
        override val isRetryable: Boolean = retryable
    }

    /** The provider's TLS certificate is not the pinned one (or TLS failed). */
    public class Tls(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The provider answered something this library does not understand. */
    public class Protocol(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The keystore cannot be used now (device locked, keystore not ready): retry later. */
    public class KeystoreUnavailable(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause) {
        override val isRetryable: Boolean get() = true
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

    /** The token is locked (too many wrong codes at the bank): the bank must unlock it. */
    public class TokenLocked(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** No such pending transaction for this token: fetch the list again. */
    public class TransactionNotFound(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The transaction expired: the user starts the transfer again at the bank. */
    public class TransactionExpired(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** The transaction was already decided; [state] says how (e.g. `approved`). */
    public class TransactionDecided(public val state: String, detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** A transaction reply did not verify: it may come from an interceptor. Nothing was shown. */
    public class PossibleInterception(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)

    /** A bug in the library: report it. */
    public class Internal(detail: String, cause: Throwable? = null) :
        SoftTokenException(detail, cause)
}

/** The one mapping from the generated error to [SoftTokenException]. */
internal fun FfiException.toPublic(): SoftTokenException = when (this) {
    is FfiException.InvalidServiceId -> SoftTokenException.InvalidServiceId(detail, this)
    is FfiException.InvalidUserId -> SoftTokenException.InvalidUserId(detail, this)
    is FfiException.InvalidInput -> SoftTokenException.InvalidInput(detail, this)
    is FfiException.WrongActivationPassword ->
        SoftTokenException.WrongActivationPassword(attemptsLeft.toInt(), detail, this)
    is FfiException.ActivationLocked -> SoftTokenException.ActivationLocked(detail, this)
    is FfiException.TokenExpired -> SoftTokenException.TokenExpired(detail, this)
    is FfiException.TokenRevoked -> SoftTokenException.TokenRevoked(detail, this)
    is FfiException.TokenReplaced -> SoftTokenException.TokenReplaced(detail, this)
    is FfiException.AlreadyActiveElsewhere -> SoftTokenException.AlreadyActiveElsewhere(detail, this)
    is FfiException.Network -> SoftTokenException.Network(retryable, detail, this)
    is FfiException.Tls -> SoftTokenException.Tls(detail, this)
    is FfiException.Protocol -> SoftTokenException.Protocol(detail, this)
    is FfiException.KeystoreUnavailable -> SoftTokenException.KeystoreUnavailable(detail, this)
    is FfiException.SeedMissing -> SoftTokenException.SeedMissing(detail, this)
    is FfiException.StorageCorrupted -> SoftTokenException.StorageCorrupted(detail, this)
    is FfiException.ClockImplausible -> SoftTokenException.ClockImplausible(detail, this)
    is FfiException.TokenNotFound -> SoftTokenException.TokenNotFound(detail, this)
    is FfiException.TokenLocked -> SoftTokenException.TokenLocked(detail, this)
    is FfiException.TransactionNotFound -> SoftTokenException.TransactionNotFound(detail, this)
    is FfiException.TransactionExpired -> SoftTokenException.TransactionExpired(detail, this)
    is FfiException.TransactionDecided -> SoftTokenException.TransactionDecided(state, detail, this)
    is FfiException.PossibleInterception -> SoftTokenException.PossibleInterception(detail, this)
    is FfiException.Internal -> SoftTokenException.Internal(detail, this)
}

/**
 * Runs a call into the generated bindings, turning its errors into [SoftTokenException]:
 * the generated `FfiException` by [toPublic], a Rust panic (`InternalException`) into
 * [SoftTokenException.Internal]. Cancellation passes through untouched.
 */
internal inline fun <T> ffiCall(block: () -> T): T = try {
    block()
} catch (e: FfiException) {
    throw e.toPublic()
} catch (e: InternalException) {
    throw SoftTokenException.Internal(e.message ?: "internal error in the SoftToken library", e)
}
