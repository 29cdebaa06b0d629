//! Errors: what a request can fail with ([`ApiError`]; `http/errors.rs` is the one place that
//! turns it into an HTTP reply) and what starting the server can fail with ([`StartupError`]).

use softtoken_protocol::{
    transaction::{TransactionError, TransactionState},
    wire::{self, TokenState},
};

/// A request's failure, as the client sees it: what the rules (and request reading) fail with.
/// Internal causes are logged where they happen and reach the client only as `internal`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 400 `unsupported_version`.
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u64),
    /// 413 `payload_too_large`.
    #[error("request body over {limit} bytes")]
    PayloadTooLarge {
        /// The endpoint's limit.
        limit: usize,
    },
    /// 415 `unsupported_media_type`.
    #[error("the request body must be sent as Content-Type: application/json")]
    UnsupportedMediaType,
    /// 401 `unauthorized`.
    #[error("missing or invalid API key for this service")]
    Unauthorized,
    /// 404 `not_found`.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 401 `activation_failed`.
    #[error("activation failed")]
    ActivationFailed {
        /// Attempts left.
        attempts_left: u32,
    },
    /// 423 `activation_locked`.
    #[error("too many failed activation attempts; the bank must issue a new token")]
    ActivationLocked,
    /// 410 `token_expired`.
    #[error("the token was not set up in time; the bank must issue a new token")]
    TokenExpired,
    /// 410 `token_revoked`.
    #[error("the token was revoked; the bank must issue a new token")]
    TokenRevoked,
    /// 410 `token_replaced`.
    #[error("the token was replaced by a newer token of the same customer (a phone change)")]
    TokenReplaced,
    /// 409 `already_active`.
    #[error("the token is already active on a phone; a new phone needs a new token")]
    AlreadyActive,
    /// 401 `status_denied`.
    #[error("status proof did not verify")]
    StatusDenied,
    /// 409 `conflict`.
    #[error("{0}")]
    Conflict(&'static str),
    /// 401 `proof_denied`: a transaction list proof or decision MAC did not verify (or the
    /// token is unknown or has no seed: indistinguishable).
    #[error("the proof did not verify")]
    ProofDenied,
    /// 423 `token_locked`: the token is not `active` (wrong codes locked it), so it decides
    /// nothing.
    #[error("the token is locked; the bank must unlock it")]
    TokenLocked,
    /// 410 `transaction_expired`.
    #[error("the transaction expired")]
    TransactionExpired,
    /// 409 `transaction_decided`, with the state it has.
    #[error("the transaction is already {state}")]
    TransactionDecided {
        /// Its final state.
        state: TransactionState,
    },
    /// 400 `unsupported_currency`.
    #[error("only JPY amounts are supported")]
    UnsupportedCurrency,
    /// 409 `token_not_active`, with the token's state.
    #[error("the token is {state}; only active tokens take transactions")]
    TokenNotActive {
        /// The token's state.
        state: TokenState,
    },
    /// 409 `too_many_pending`.
    #[error("the token has {max} pending transactions already")]
    TooManyPending {
        /// The cap.
        max: u32,
    },
    /// 429 `rate_limited`.
    #[error("too many requests; retry in {retry_after_s} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after_s: u32,
    },
    /// 500 `internal`.
    #[error("internal error")]
    Internal,
    /// 503 `unavailable`.
    #[error("service unavailable")]
    Unavailable,
    /// 503 `unavailable`: PostgreSQL aborted the write transaction in a conflict with a
    /// concurrent one (a deadlock or serialization failure), and it failed so every time it was
    /// run ([`storage::retry`](crate::storage::retry)); the request may be repeated.
    #[error("service unavailable")]
    WriteConflict,
    /// 503 `unavailable`: SQLite reported the database file damaged. The detail is for the log
    /// (written once, by the HTTP layer), never for the client.
    #[error("service unavailable")]
    StorageCorrupt {
        /// SQLite's message.
        detail: String,
    },
}

impl From<wire::WireError> for ApiError {
    fn from(err: wire::WireError) -> Self {
        match err {
            wire::WireError::TooLarge { limit, .. } => ApiError::PayloadTooLarge { limit },
            wire::WireError::UnsupportedVersion { found } => ApiError::UnsupportedVersion(found),
            wire::WireError::Malformed { reason } => ApiError::BadRequest(reason),
        }
    }
}

impl From<TransactionError> for ApiError {
    /// A refused transaction value: its own code for a currency, else `bad_request` naming the
    /// field (never the value).
    fn from(err: TransactionError) -> Self {
        match err {
            TransactionError::UnsupportedCurrency => ApiError::UnsupportedCurrency,
            TransactionError::Random => {
                tracing::error!("the system random number generator failed");
                ApiError::Internal
            }
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if is_corruption(&err) {
            // Logged once per incident where the state is at hand (the HTTP layer).
            return ApiError::StorageCorrupt {
                detail: err.to_string(),
            };
        }
        if is_write_conflict(&err) {
            // Run again where the transaction is (`storage::retry`); this is the last run's.
            tracing::warn!(error = %err, "write transaction aborted in a conflict");
            return ApiError::WriteConflict;
        }
        if is_unavailable(&err) {
            // The provider is fine and will be again once the database is back (the pool
            // reconnects on its own): 503, not 500.
            tracing::error!(error = %err, "database unavailable");
            return ApiError::Unavailable;
        }
        tracing::error!(error = %err, "database error");
        ApiError::Internal
    }
}

/// SQLSTATE: PostgreSQL broke a deadlock by aborting this transaction.
const DEADLOCK_DETECTED: &str = "40P01";
/// SQLSTATE: the transaction could not be serialized with a concurrent one.
const SERIALIZATION_FAILURE: &str = "40001";

/// Whether `err` is PostgreSQL aborting the transaction in a conflict with a concurrent one (a
/// deadlock it broke, or a serialization failure): the whole transaction was rolled back, and
/// running it again resolves it (`storage::retry`). SQLite reports neither.
pub fn is_write_conflict(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code == DEADLOCK_DETECTED || code == SERIALIZATION_FAILURE),
        _ => false,
    }
}

/// Whether `err` says the database cannot be reached or cannot serve now, rather than that a
/// statement was wrong: no connection within the pool's wait (PostgreSQL down or every
/// connection busy), an I/O or TLS failure on the connection, the pool closed at shutdown,
/// PostgreSQL's SQLSTATE classes for a lost or refused connection (08), an operator
/// intervention such as a shutdown or a cancelled statement (57) and insufficient resources
/// (53), and a write refused by a server that takes none (25006: a standby, or a primary set
/// read-only under the provider; with several hosts the provider then moves to the one that
/// takes writes). SQLite's I/O errors are not among them: they are its own numeric codes, left
/// to [`is_corruption`] and the 500 of any other failure.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.len() == SQLSTATE_LEN
                && (code.starts_with("08")
                    || code.starts_with("57")
                    || code.starts_with("53")
                    || code == READ_ONLY_SQL_TRANSACTION)
        }),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATE `read_only_sql_transaction`.
const READ_ONLY_SQL_TRANSACTION: &str = "25006";

/// Length of a PostgreSQL SQLSTATE (SQLite's codes are decimal numbers of at most four digits,
/// so the two never mix up).
const SQLSTATE_LEN: usize = 5;

impl From<crate::secrets::kek::KekError> for ApiError {
    fn from(err: crate::secrets::kek::KekError) -> Self {
        tracing::error!(error = %err, "secret at rest could not be opened or sealed");
        ApiError::Internal
    }
}

/// Whether `err` is SQLite saying the file is damaged: `SQLITE_CORRUPT` (11) or `SQLITE_NOTADB`
/// (26), extended codes included.
/// (Here, below storage, because turning a database error into an [`ApiError`] needs it.)
pub fn is_corruption(err: &sqlx::Error) -> bool {
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        // A PostgreSQL SQLSTATE may be all digits too (`23505`): never read it as SQLite's.
        .filter(|code| code.len() < SQLSTATE_LEN)
        .and_then(|code| code.parse::<u32>().ok());
    matches!(code.map(|code| code & 0xff), Some(11 | 26))
}

/// Why the server could not start. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration file is missing, unreadable or invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// TLS material is missing or invalid.
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// The key-encryption key is missing, malformed, or not the one the database was created
    /// with.
    #[error("key-encryption key: {0}")]
    Kek(String),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(String),
    /// The mailer could not be set up.
    #[error("mail: {0}")]
    Mail(String),
    /// The listen address could not be bound.
    #[error("listen: {0}")]
    Listen(String),
}
