//! The activation handshake, protocol v1: OPAQUE (RFC 9807) followed by seed derivation and key
//! confirmation.
//!
//! 1. **Issuance** (provider only): the bank hands the provider the activation password the user
//!    chose; [`register`] runs both halves of OPAQUE registration and returns a [`PasswordFile`].
//!    The password is then forgotten: nothing that allows an offline guess without the provider's
//!    OPRF key is kept.
//! 2. **Activation** (app ↔ provider, two HTTP round trips):
//!    - app: [`ClientActivation::start`] → KE1;
//!    - provider: [`ServerActivation::start`] → KE2 (plus the token parameters);
//!    - app: [`ClientActivation::finish`] → KE3 and the client key confirmation; the seed is now
//!      derived but held back in a [`PendingSeed`];
//!    - provider: [`ServerActivation::finish`] checks KE3 and the confirmation, derives the same
//!      seed and answers with its own confirmation;
//!    - app: [`PendingSeed::accept_server_confirmation`] releases the [`Seed`](crate::secret::Seed).
//!
//! The seed never crosses the wire: both sides derive it with HKDF from the OPAQUE session key
//! ([`derive`](mod@derive)). The exact byte layouts are in `docs/protocol.md`.

mod binding;
mod client;
pub mod derive;
mod error;
mod password;
mod registration;
mod server;
mod suite;

pub use binding::{BINDING_LEN, Binding, CREDENTIAL_ID_LEN};
pub use client::{ClientActivation, ClientFinish, PendingSeed};
pub use error::HandshakeError;
pub use password::{MAX_PASSWORD_BYTES, prepare_password};
pub use registration::{PasswordFile, ProviderSetup, register};
pub use server::{ServerActivation, ServerFinish};
pub use suite::{KSF_ITERATIONS, KSF_MEMORY_KIB, KSF_PARALLELISM, KsfV1, SuiteV1};

/// Length of a key-confirmation MAC (HMAC-SHA256), in bytes.
pub const CONFIRMATION_LEN: usize = 32;
