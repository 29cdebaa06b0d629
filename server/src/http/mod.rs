//! HTTP: the routes, reading requests, the middleware (time stamp, time limit, per-IP limit)
//! and turning failures into replies (`errors.rs`). Handlers only translate between HTTP and the
//! rules in [`rules`](crate::rules); bank endpoints take a [`BankKey`](crate::auth::BankKey),
//! which authenticates them before anything else runs.

mod bank;
mod device;
mod drain;
mod errors;
mod middleware;
mod transactions;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::to_bytes,
    extract::{FromRef, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use softtoken_protocol::wire::{self, MAX_WAIT_S};

use crate::{
    auth::{AuthFailures, KeyCache},
    error::ApiError,
    rate_limit::RateLimiter,
    state::ServerState,
};

pub use middleware::SERVER_TIME_HEADER;

/// What the routes share: the provider's state, and what only HTTP needs beside it.
#[derive(Clone)]
struct RouterState {
    state: Arc<ServerState>,
    bank_keys: Arc<KeyCache>,
    bank_failures: Arc<AuthFailures>,
}

impl FromRef<RouterState> for Arc<ServerState> {
    fn from_ref(router: &RouterState) -> Self {
        Arc::clone(&router.state)
    }
}

impl FromRef<RouterState> for Arc<AuthFailures> {
    fn from_ref(router: &RouterState) -> Self {
        Arc::clone(&router.bank_failures)
    }
}

impl FromRef<RouterState> for Arc<KeyCache> {
    fn from_ref(router: &RouterState) -> Self {
        Arc::clone(&router.bank_keys)
    }
}

/// The provider's routes over shared state.
pub fn router(state: Arc<ServerState>) -> Router {
    let limits = &state.limits;
    let (bank_auth_failures_per_minute, bank_auth_failure_burst) = (
        limits.bank_auth_failures_per_minute,
        limits.bank_auth_failure_burst,
    );
    let timeout = Duration::from_secs(limits.request_timeout_secs.max(1));
    let limiter = Arc::new(RateLimiter::new(
        limits.device_requests_per_minute,
        limits.device_burst,
    ));
    let device = Router::new()
        .route("/v1/activations", post(device::start))
        .route(
            "/v1/activations/{activation_id}/finish",
            post(device::finish),
        )
        .route("/v1/tokens/status", post(device::status))
        .route("/v1/tokens/transactions", post(transactions::pending))
        .route("/v1/transactions/decision", post(transactions::decision))
        .route_layer(from_fn_with_state(limiter, middleware::limit_per_ip));
    let bank = Router::new()
        .route("/v1/services/{service_id}/tokens", post(bank::issue))
        .route(
            "/v1/services/{service_id}/tokens/{user_id}",
            get(bank::details),
        )
        .route(
            "/v1/services/{service_id}/tokens/{user_id}/verify",
            post(bank::verify),
        )
        .route(
            "/v1/services/{service_id}/tokens/{user_id}/revoke",
            post(bank::revoke),
        )
        .route(
            "/v1/services/{service_id}/tokens/{user_id}/unlock",
            post(bank::unlock),
        )
        .route(
            "/v1/services/{service_id}/tokens/{user_id}/transactions",
            post(transactions::register),
        )
        .route(
            "/v1/services/{service_id}/tokens/{user_id}/challenge/verify",
            post(transactions::verify_challenge),
        )
        .route(
            "/v1/services/{service_id}/transactions/{transaction_id}/verify",
            post(transactions::verify_code),
        )
        .route(
            "/v1/services/{service_id}/transactions/{transaction_id}/cancel",
            post(transactions::cancel),
        );
    // The long poll may wait up to `MAX_WAIT_S` on purpose: its time limit is the others'
    // plus that wait (the other layers below apply to it as to every route).
    let long_poll_timeout = timeout + Duration::from_secs(u64::from(MAX_WAIT_S));
    let long_poll = Router::new()
        .route(
            "/v1/services/{service_id}/transactions/{transaction_id}",
            get(transactions::read),
        )
        .route_layer(from_fn_with_state(
            long_poll_timeout,
            middleware::limit_time,
        ));
    Router::new()
        .merge(device)
        .merge(bank)
        .route("/healthz", get(healthz))
        .fallback(not_found)
        // Innermost first: the time limit answers with our error, and the time stamp wraps
        // everything, that answer included (it writes every error body).
        .layer(from_fn_with_state(timeout, middleware::limit_time))
        .merge(long_poll)
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::stamp_server_time,
        ))
        // Outermost: whatever was refused before its body was read still reaches an HTTP/2
        // client whole (drain.rs).
        .layer(axum::middleware::from_fn(drain::drain_unread_body))
        .with_state(RouterState {
            state,
            bank_keys: Arc::new(KeyCache::new()),
            bank_failures: Arc::new(AuthFailures::new(
                bank_auth_failures_per_minute,
                bank_auth_failure_burst,
            )),
        })
}

/// `200 ok`, or `503 unavailable` once the database is reported corrupt (by a request or by
/// this check's own read of it).
async fn healthz(State(state): State<Arc<ServerState>>) -> Result<Response, ApiError> {
    if !state.db.is_corrupt() {
        state.db.probe().await?;
    }
    if state.db.is_corrupt() {
        return Err(ApiError::Unavailable);
    }
    let body = serde_json::json!({"status": "ok", "server_time_ms": state.now_ms()});
    Ok(ok(StatusCode::OK, &body))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// Reads a JSON body of at most `limit` bytes into a wire message: the one way every handler
/// with a body (device and bank) reads it.
///
/// The body must be declared `Content-Type: application/json` (parameters such as
/// `; charset=utf-8` allowed), or the request is `415` before anything is read or counted: a
/// web page can make a victim's browser send `text/plain` or form bodies anywhere without
/// asking, but never `application/json` to another origin without the provider's CORS consent
/// (which it never gives), so no page can spend a token's activation attempts.
async fn read_json<T: DeserializeOwned>(request: Request, limit: usize) -> Result<T, ApiError> {
    if !declares_json(request.headers()) {
        return Err(ApiError::UnsupportedMediaType);
    }
    // One byte over the limit is enough to tell "too large" apart without reading a flood.
    let body = to_bytes(request.into_body(), limit.saturating_add(1))
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })?;
    Ok(wire::decode(&body, limit)?)
}

/// Whether the request's `Content-Type` is `application/json`, with or without parameters
/// (media types are case-insensitive, RFC 9110 §8.3.1).
fn declares_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

/// A JSON reply with `status`.
fn ok<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    (status, json_body(value)).into_response()
}

/// A JSON body with its content type.
fn json_body<T: serde::Serialize>(value: &T) -> ([(header::HeaderName, HeaderValue); 1], Vec<u8>) {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        wire::encode(value),
    )
}
