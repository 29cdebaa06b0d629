//! The one error callers see ([`CoreError`]), small and stable: each variant is one thing a user
//! or an app can act on. Internal errors are mapped into it here, in one place.

use softtoken_protocol::{
    activation::HandshakeError,
    ids::{IdError, IdField},
};

use crate::{keystore::KeystoreError, metadata::MetadataError};

/// What went wrong, as the app should present it. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// The Service ID as typed is invalid (nothing was sent).
    #[error("{reason}")]
    InvalidServiceId {
        /// What is wrong, e.g. "Service ID must be 8 digits, got 7".
        reason: String,
    },
    /// The User ID as typed is invalid, e.g. a typo caught by its check letters (nothing was
    /// sent).
    #[error("{reason}")]
    InvalidUserId {
        /// What is wrong.
        reason: String,
    },
    /// Another input is invalid (empty password, label too long, unknown token id format).
    #[error("{reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// The activation password is wrong.
    #[error("wrong activation password; {attempts_left} attempts left")]
    WrongActivationPassword {
        /// Attempts left before the token locks.
        attempts_left: u32,
    },
    /// Too many failed activations: the bank must issue a new token.
    #[error("too many failed attempts; ask the bank to issue a new token")]
    ActivationLocked,
    /// The token was not set up in time: the bank must issue a new one.
    #[error("the token expired before it was set up; ask the bank to issue a new token")]
    TokenExpired,
    /// The token was revoked: the bank must issue a new one.
    #[error("the token was revoked; ask the bank to issue a new token")]
    TokenRevoked,
    /// The token moved to a new phone (the new phone's 認証確認 retired it): use the new phone.
    #[error("the token moved to a new phone; use the token on the new phone")]
    TokenReplaced,
    /// The token is already in use on a phone: a new phone needs a new token.
    #[error("the token is already in use on another phone; ask the bank to issue a new token")]
    AlreadyActiveElsewhere,
    /// The provider could not be reached or did not answer in time.
    #[error("network problem: {reason}")]
    Network {
        /// Whether trying again later may succeed.
        retryable: bool,
        /// What happened.
        reason: String,
    },
    /// The provider's TLS certificate is not the pinned one (or TLS failed).
    #[error("secure connection failed: {reason}")]
    Tls {
        /// What happened.
        reason: String,
    },
    /// The provider answered something this app does not understand.
    #[error("unexpected reply from the provider: {reason}")]
    Protocol {
        /// What was wrong with it.
        reason: String,
    },
    /// The keystore cannot be used now (device locked, keystore not ready).
    #[error("the secure storage is not available: {reason}")]
    KeystoreUnavailable {
        /// What the platform said.
        reason: String,
    },
    /// The token's seed is gone or unreadable (e.g. a backup restored onto a new phone): the
    /// token must be set up again. No code is ever shown for it.
    #[error("this token must be set up again on this phone")]
    SeedMissing,
    /// The token metadata cannot be read (corrupted, or written by a newer app version).
    /// Nothing was deleted.
    #[error("token storage cannot be read: {reason}")]
    StorageCorrupted {
        /// What is wrong.
        reason: String,
    },
    /// The device clock is implausible and no provider time is known to correct it.
    #[error("the device clock is implausible; connect once to correct it")]
    ClockImplausible,
    /// No token with this id.
    #[error("no such token")]
    TokenNotFound,
    /// Too many wrong codes at the bank: it must unlock the token before it takes part in
    /// transactions again.
    #[error("the token is locked; ask the bank to unlock it")]
    TokenLocked,
    /// The transaction is not pending for this token (never was, or no longer listed): fetch
    /// the list again.
    #[error("no such pending transaction for this token")]
    TransactionNotFound,
    /// The transaction expired before the user decided: start the transfer again at the bank.
    #[error("the transaction expired; start the transfer again at the bank")]
    TransactionExpired,
    /// The transaction was already decided (approved, rejected, confirmed by code, failed or
    /// cancelled by the bank).
    #[error("the transaction was already decided ({state})")]
    TransactionDecided {
        /// Its state, e.g. `approved`.
        state: String,
    },
    /// A reply about transactions did not verify under the token's keys: it may come from an
    /// interceptor. Nothing of it is shown or stored.
    #[error("possible interception: {reason}")]
    PossibleInterception {
        /// What did not verify.
        reason: String,
    },
}

impl CoreError {
    /// Maps an ID parsing error to the field it is about.
    pub(crate) fn from_id(err: &IdError) -> CoreError {
        let reason = err.to_string();
        match err.field() {
            IdField::ServiceId => CoreError::InvalidServiceId { reason },
            IdField::UserId => CoreError::InvalidUserId { reason },
            IdField::Otp => CoreError::InvalidInput { reason },
        }
    }

    /// Maps a handshake failure; `attempts_left` is what the provider said in its KE2 reply.
    pub(crate) fn from_handshake(err: HandshakeError, attempts_left: u32) -> CoreError {
        match err {
            HandshakeError::EmptyPassword | HandshakeError::PasswordTooLong => {
                CoreError::InvalidInput {
                    reason: err.to_string(),
                }
            }
            HandshakeError::AuthenticationFailed if attempts_left == 0 => {
                CoreError::ActivationLocked
            }
            HandshakeError::AuthenticationFailed => {
                CoreError::WrongActivationPassword { attempts_left }
            }
            HandshakeError::Malformed { .. } | HandshakeError::ConfirmationFailed => {
                CoreError::Protocol {
                    reason: err.to_string(),
                }
            }
            HandshakeError::KeyStretching | HandshakeError::Internal => CoreError::Protocol {
                reason: err.to_string(),
            },
        }
    }
}

impl From<KeystoreError> for CoreError {
    fn from(err: KeystoreError) -> Self {
        match err {
            KeystoreError::Unavailable { reason }
            | KeystoreError::Failed { reason }
            | KeystoreError::Unsupported { reason } => CoreError::KeystoreUnavailable { reason },
        }
    }
}

impl From<MetadataError> for CoreError {
    fn from(err: MetadataError) -> Self {
        CoreError::StorageCorrupted {
            reason: err.to_string(),
        }
    }
}
