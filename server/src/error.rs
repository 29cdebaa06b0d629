//! Errors: what a request can fail with ([`ApiError`], one place mapping to HTTP) and what
//! starting the server can fail with ([`StartupError`]).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use softtoken_protocol::wire::{self, ErrorBody, ErrorCode};

use softtoken_protocol::clock::{Clock, SystemClock};

/// A request's failure, as the client sees it. Internal causes are logged where they happen
/// and reach the client only as `internal`.
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
    /// 409 `already_active`.
    #[error("the token is already active on a phone; a new phone needs a new token")]
    AlreadyActive,
    /// 401 `status_denied`.
    #[error("status proof did not verify")]
    StatusDenied,
    /// 409 `conflict`.
    #[error("{0}")]
    Conflict(&'static str),
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
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            ApiError::UnsupportedVersion(_) => {
                (StatusCode::BAD_REQUEST, ErrorCode::UnsupportedVersion)
            }
            ApiError::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::ActivationFailed { .. } => {
                (StatusCode::UNAUTHORIZED, ErrorCode::ActivationFailed)
            }
            ApiError::ActivationLocked => (StatusCode::LOCKED, ErrorCode::ActivationLocked),
            ApiError::TokenExpired => (StatusCode::GONE, ErrorCode::TokenExpired),
            ApiError::TokenRevoked => (StatusCode::GONE, ErrorCode::TokenRevoked),
            ApiError::AlreadyActive => (StatusCode::CONFLICT, ErrorCode::AlreadyActive),
            ApiError::StatusDenied => (StatusCode::UNAUTHORIZED, ErrorCode::StatusDenied),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
        }
    }
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

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        ApiError::Internal
    }
}

impl From<crate::kek::KekError> for ApiError {
    fn from(err: crate::kek::KekError) -> Self {
        tracing::error!(error = %err, "secret at rest could not be opened or sealed");
        ApiError::Internal
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: code,
            message: self.to_string(),
            attempts_left: match self {
                ApiError::ActivationFailed { attempts_left } => Some(attempts_left),
                _ => None,
            },
            retry_after_s: match self {
                ApiError::RateLimited { retry_after_s } => Some(retry_after_s),
                _ => None,
            },
            server_time_ms: SystemClock.now_ms(),
        };
        let mut response = (status, json_body(&body)).into_response();
        if let ApiError::RateLimited { retry_after_s } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        response
    }
}

/// A JSON body with its content type.
pub fn json_body<T: serde::Serialize>(
    value: &T,
) -> ([(header::HeaderName, HeaderValue); 1], Vec<u8>) {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        wire::encode(value),
    )
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
