//! Errors of the activation handshake.

/// Why a handshake step failed. No variant carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The activation password is empty.
    #[error("the activation password is empty")]
    EmptyPassword,
    /// The activation password is longer than [`MAX_PASSWORD_BYTES`](super::MAX_PASSWORD_BYTES).
    #[error("the activation password is too long")]
    PasswordTooLong,
    /// A handshake message (KE1, KE2, KE3, a stored state or setup) could not be decoded.
    #[error("malformed {what}")]
    Malformed {
        /// Which message or stored value was malformed.
        what: &'static str,
    },
    /// Authentication failed: wrong activation password, or a message was altered in transit.
    /// The two cannot be told apart, by design.
    #[error("authentication failed: wrong activation password or altered message")]
    AuthenticationFailed,
    /// The peer's key confirmation does not match: the two sides did not derive the same seed.
    #[error("key confirmation failed")]
    ConfirmationFailed,
    /// The key-stretching function (Argon2id) could not run, e.g. memory could not be allocated.
    #[error("key stretching (Argon2id) failed")]
    KeyStretching,
    /// An internal cryptographic step failed (should never happen with valid inputs).
    #[error("internal cryptographic failure")]
    Internal,
}

impl HandshakeError {
    /// Maps an opaque-ke error, naming the message that was being processed.
    pub(crate) fn from_opaque(
        err: opaque_ke::errors::ProtocolError,
        what: &'static str,
    ) -> HandshakeError {
        use opaque_ke::errors::{InternalError, ProtocolError};
        match err {
            ProtocolError::InvalidLoginError
            | ProtocolError::ReflectedValueError
            | ProtocolError::LibraryError(InternalError::SealOpenHmacError) => {
                HandshakeError::AuthenticationFailed
            }
            ProtocolError::SerializationError | ProtocolError::SizeError { .. } => {
                HandshakeError::Malformed { what }
            }
            ProtocolError::LibraryError(InternalError::KsfError) => HandshakeError::KeyStretching,
            // A point that does not decode or an identity element is an attacker's or a bug's
            // message, not a wrong password: report it as malformed.
            ProtocolError::LibraryError(InternalError::OprfError(_)) => {
                HandshakeError::Malformed { what }
            }
            ProtocolError::LibraryError(_) | ProtocolError::Custom(_) => HandshakeError::Internal,
        }
    }
}
