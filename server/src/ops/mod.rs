//! What the operator's commands do (`softtoken-server service|key|kek|copy-database …`, and the
//! `--dev` bootstrap): services, bank API keys, the KEK check at startup and KEK rotation, and
//! copying a SQLite provider into PostgreSQL. No SQL is ever needed by hand.

pub mod api_keys;
pub mod copy;
pub mod kek;
pub mod services;

use softtoken_protocol::ids::ServiceId;

/// Why an operator's task failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Invalid input.
    #[error("{0}")]
    Invalid(String),
    /// The service exists already.
    #[error("service {0} already exists")]
    ServiceExists(ServiceId),
    /// No such service.
    #[error("no service {0}")]
    NoService(ServiceId),
    /// No such live API key.
    #[error("no live API key {0}")]
    NoKey(String),
    /// Database failure.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Key-encryption failure.
    #[error("key encryption: {0}")]
    Kek(#[from] crate::secrets::kek::KekError),
}
