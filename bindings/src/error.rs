//! The errors that cross the FFI: [`FfiError`] (everything the core can say, one variant per
//! thing an app can act on) and [`FfiSecretStoreError`] (what a shell's secret store may say).
//! The core's [`CoreError`] is mapped in exactly one place, here.
//!
//! Both carry the `Ffi` prefix because apps never see them: each shell maps `FfiError` onto its
//! one public error (Kotlin `SoftTokenException`, Swift `SoftTokenError`), and its own public
//! secret store error (Kotlin `SecretStoreException`, Swift `SecretStoreError`) onto
//! `FfiSecretStoreError`, so no generated type shares a simple name with a hand-written one.
//!
//! Every variant carries `detail`, the human sentence for logs and fallbacks; apps show their
//! own localized text chosen by the variant. No variant carries a secret.

use softtoken_core::{CoreError, secret_store as core_store};

/// Why a [`crate::SoftToken`] call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FfiError {
    /// The Service ID as typed is invalid (nothing was sent).
    #[error("{detail}")]
    InvalidServiceId {
        /// What is wrong, e.g. "Service ID must be 8 digits, got 7".
        detail: String,
    },
    /// The User ID as typed is invalid, e.g. a typo caught by its check letters (nothing was
    /// sent).
    #[error("{detail}")]
    InvalidUserId {
        /// What is wrong.
        detail: String,
    },
    /// Another input is invalid (empty password, label too long, unknown token id).
    #[error("{detail}")]
    InvalidInput {
        /// What is wrong.
        detail: String,
    },
    /// The activation password is wrong.
    #[error("{detail}")]
    WrongActivationPassword {
        /// Attempts left before the token locks.
        attempts_left: u32,
        /// Human sentence.
        detail: String,
    },
    /// Too many failed activations: the bank must issue a new token.
    #[error("{detail}")]
    ActivationLocked {
        /// Human sentence.
        detail: String,
    },
    /// The token was not set up in time: the bank must issue a new one.
    #[error("{detail}")]
    TokenExpired {
        /// Human sentence.
        detail: String,
    },
    /// The token was revoked: the bank must issue a new one.
    #[error("{detail}")]
    TokenRevoked {
        /// Human sentence.
        detail: String,
    },
    /// The token moved to a new phone (the new phone's 認証確認 retired it): no codes here.
    #[error("{detail}")]
    TokenReplaced {
        /// Human sentence.
        detail: String,
    },
    /// The token is already in use on another phone: a new phone needs a new token.
    #[error("{detail}")]
    AlreadyActiveElsewhere {
        /// Human sentence.
        detail: String,
    },
    /// The provider could not be reached or did not answer in time.
    #[error("{detail}")]
    Network {
        /// Whether trying again later may succeed.
        retryable: bool,
        /// Human sentence.
        detail: String,
    },
    /// The provider's TLS certificate is not the pinned one (or TLS failed).
    #[error("{detail}")]
    Tls {
        /// Human sentence.
        detail: String,
    },
    /// The provider answered something this app does not understand.
    #[error("{detail}")]
    Protocol {
        /// Human sentence.
        detail: String,
    },
    /// The keystore cannot be used now (device locked, keystore not ready): retry later.
    #[error("{detail}")]
    KeystoreUnavailable {
        /// Human sentence.
        detail: String,
    },
    /// The token's seed is gone or unreadable (e.g. a backup restored onto a new phone): set the
    /// token up again. No code is ever shown for it.
    #[error("{detail}")]
    SeedMissing {
        /// Human sentence.
        detail: String,
    },
    /// The token metadata cannot be read (corrupted, or written by a newer app). Nothing was
    /// deleted.
    #[error("{detail}")]
    StorageCorrupted {
        /// Human sentence.
        detail: String,
    },
    /// The device clock is implausible and no provider time is known to correct it.
    #[error("{detail}")]
    ClockImplausible {
        /// Human sentence.
        detail: String,
    },
    /// No token with this id.
    #[error("{detail}")]
    TokenNotFound {
        /// Human sentence.
        detail: String,
    },
    /// The token is locked (too many wrong codes at the bank): the bank must unlock it.
    #[error("{detail}")]
    TokenLocked {
        /// Human sentence.
        detail: String,
    },
    /// No such pending transaction for this token: fetch the list again.
    #[error("{detail}")]
    TransactionNotFound {
        /// Human sentence.
        detail: String,
    },
    /// The transaction expired: the user starts the transfer again at the bank.
    #[error("{detail}")]
    TransactionExpired {
        /// Human sentence.
        detail: String,
    },
    /// The transaction was already decided.
    #[error("{detail}")]
    TransactionDecided {
        /// Its state, e.g. `approved`.
        state: String,
        /// Human sentence.
        detail: String,
    },
    /// A transaction reply did not verify: it may come from an interceptor. Nothing was shown.
    #[error("{detail}")]
    PossibleInterception {
        /// Human sentence.
        detail: String,
    },
    /// A bug in this library (a panic, a runtime failure): report it. Nothing was changed that
    /// a retry cannot repair.
    #[error("{detail}")]
    Internal {
        /// Human sentence.
        detail: String,
    },
}

impl FfiError {
    /// An internal error with `detail`.
    pub(crate) fn internal(detail: impl Into<String>) -> FfiError {
        FfiError::Internal {
            detail: detail.into(),
        }
    }
}

impl From<CoreError> for FfiError {
    fn from(err: CoreError) -> Self {
        let detail = err.to_string();
        match err {
            CoreError::InvalidServiceId { .. } => FfiError::InvalidServiceId { detail },
            CoreError::InvalidUserId { .. } => FfiError::InvalidUserId { detail },
            CoreError::InvalidInput { .. } => FfiError::InvalidInput { detail },
            CoreError::WrongActivationPassword { attempts_left } => {
                FfiError::WrongActivationPassword {
                    attempts_left,
                    detail,
                }
            }
            CoreError::ActivationLocked => FfiError::ActivationLocked { detail },
            CoreError::TokenExpired => FfiError::TokenExpired { detail },
            CoreError::TokenRevoked => FfiError::TokenRevoked { detail },
            CoreError::TokenReplaced => FfiError::TokenReplaced { detail },
            CoreError::AlreadyActiveElsewhere => FfiError::AlreadyActiveElsewhere { detail },
            CoreError::Network { retryable, .. } => FfiError::Network { retryable, detail },
            CoreError::Tls { .. } => FfiError::Tls { detail },
            CoreError::Protocol { .. } => FfiError::Protocol { detail },
            CoreError::KeystoreUnavailable { .. } => FfiError::KeystoreUnavailable { detail },
            CoreError::SeedMissing => FfiError::SeedMissing { detail },
            CoreError::StorageCorrupted { .. } => FfiError::StorageCorrupted { detail },
            CoreError::ClockImplausible => FfiError::ClockImplausible { detail },
            CoreError::TokenNotFound => FfiError::TokenNotFound { detail },
            CoreError::TokenLocked => FfiError::TokenLocked { detail },
            CoreError::TransactionNotFound => FfiError::TransactionNotFound { detail },
            CoreError::TransactionExpired => FfiError::TransactionExpired { detail },
            CoreError::TransactionDecided { state } => {
                FfiError::TransactionDecided { state, detail }
            }
            CoreError::PossibleInterception { .. } => FfiError::PossibleInterception { detail },
        }
    }
}

/// Why a shell's [`crate::FfiSecretStore`] operation failed. Reasons are for logs and must never
/// contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FfiSecretStoreError {
    /// The store cannot be used right now (device locked, keystore not ready): retry later.
    #[error("secret store unavailable: {reason}")]
    Unavailable {
        /// What made the store unavailable.
        reason: String,
    },
    /// The store failed; retrying is unlikely to help.
    #[error("secret store failed: {reason}")]
    Failed {
        /// What failed.
        reason: String,
    },
}

/// An exception the shell's store threw that is not an `FfiSecretStoreError` (a bug in the shell)
/// counts as a failure of the store: the seed operation fails cleanly instead of crashing.
impl From<uniffi::UnexpectedUniFFICallbackError> for FfiSecretStoreError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FfiSecretStoreError::Failed {
            reason: format!(
                "unexpected error from the app's secret store: {}",
                err.reason
            ),
        }
    }
}

impl From<FfiSecretStoreError> for core_store::SecretStoreError {
    fn from(err: FfiSecretStoreError) -> Self {
        match err {
            FfiSecretStoreError::Unavailable { reason } => {
                core_store::SecretStoreError::Unavailable { reason }
            }
            FfiSecretStoreError::Failed { reason } => {
                core_store::SecretStoreError::Failed { reason }
            }
        }
    }
}
