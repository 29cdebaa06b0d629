//! The one place a request's failure ([`ApiError`]) becomes an HTTP reply: its status, its
//! `Retry-After`, and its JSON body ([`ErrorBody`]).
//!
//! The body carries the provider's time, which must be the injected clock's, like the
//! `server-time-ms` header. A handler's error has no clock at hand, so [`IntoResponse`] only
//! sets the status and leaves the error in the response's extensions; the outermost middleware
//! ([`render`], called by `stamp_server_time`) reads the clock once and writes both the body and
//! the header from that one reading.

use axum::{
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use softtoken_protocol::wire::{ErrorBody, ErrorCode};

use super::json_body;
use crate::error::ApiError;

/// The status and wire code of each failure.
fn status_and_code(error: &ApiError) -> (StatusCode, ErrorCode) {
    match error {
        ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
        ApiError::UnsupportedVersion(_) => (StatusCode::BAD_REQUEST, ErrorCode::UnsupportedVersion),
        ApiError::PayloadTooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
        }
        ApiError::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        ),
        ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
        ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        ApiError::ActivationFailed { .. } => {
            (StatusCode::UNAUTHORIZED, ErrorCode::ActivationFailed)
        }
        ApiError::ActivationLocked => (StatusCode::LOCKED, ErrorCode::ActivationLocked),
        ApiError::TokenExpired => (StatusCode::GONE, ErrorCode::TokenExpired),
        ApiError::TokenRevoked => (StatusCode::GONE, ErrorCode::TokenRevoked),
        ApiError::TokenReplaced => (StatusCode::GONE, ErrorCode::TokenReplaced),
        ApiError::AlreadyActive => (StatusCode::CONFLICT, ErrorCode::AlreadyActive),
        ApiError::StatusDenied => (StatusCode::UNAUTHORIZED, ErrorCode::StatusDenied),
        ApiError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
        ApiError::ProofDenied => (StatusCode::UNAUTHORIZED, ErrorCode::ProofDenied),
        ApiError::TokenLocked => (StatusCode::LOCKED, ErrorCode::TokenLocked),
        ApiError::TransactionExpired => (StatusCode::GONE, ErrorCode::TransactionExpired),
        ApiError::TransactionDecided { .. } => {
            (StatusCode::CONFLICT, ErrorCode::TransactionDecided)
        }
        ApiError::UnsupportedCurrency => (StatusCode::BAD_REQUEST, ErrorCode::UnsupportedCurrency),
        ApiError::TokenNotActive { .. } => (StatusCode::CONFLICT, ErrorCode::TokenNotActive),
        ApiError::TooManyPending { .. } => (StatusCode::CONFLICT, ErrorCode::TooManyPending),
        ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
        ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        ApiError::Unavailable | ApiError::WriteConflict | ApiError::StorageCorrupt { .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
        }
    }
}

impl IntoResponse for ApiError {
    /// The status and `Retry-After`; the body is written by the outermost middleware, with the
    /// provider's time.
    fn into_response(self) -> Response {
        let (status, _) = status_and_code(&self);
        let mut response = status.into_response();
        if let ApiError::RateLimited { retry_after_s } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// Writes the JSON body of an error reply (one made from an [`ApiError`]), stamped `now_ms`.
/// Other replies are left as they are.
pub(super) fn render(response: &mut Response, now_ms: u64) {
    let Some(error) = response.extensions_mut().remove::<ApiError>() else {
        return;
    };
    let (_, code) = status_and_code(&error);
    let body = ErrorBody {
        error: code,
        message: error.to_string(),
        attempts_left: match error {
            ApiError::ActivationFailed { attempts_left } => Some(attempts_left),
            _ => None,
        },
        retry_after_s: match error {
            ApiError::RateLimited { retry_after_s } => Some(retry_after_s),
            _ => None,
        },
        state: match error {
            ApiError::TransactionDecided { state } => Some(state.as_str().to_owned()),
            ApiError::TokenNotActive { state } => Some(state.as_str().to_owned()),
            _ => None,
        },
        server_time_ms: now_ms,
    };
    let ([(name, value)], bytes) = json_body(&body);
    response.headers_mut().insert(name, value);
    *response.body_mut() = Body::from(bytes);
}
