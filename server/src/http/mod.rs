//! HTTP: the routes, reading requests, the middleware (time stamp, time limit, per-IP limit)
//! and turning failures into replies (`errors.rs`). Handlers only translate between HTTP and the
//! rules in [`rules`](crate::rules); bank endpoints take a [`BankKey`](crate::auth::BankKey),
//! which authenticates them before anything else runs.

mod bank;
mod device;
mod errors;
mod middleware;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::to_bytes,
    extract::{FromRef, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use softtoken_protocol::wire;

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
        );
    Router::new()
        .merge(device)
        .merge(bank)
        .route("/healthz", get(healthz))
        .fallback(not_found)
        // Innermost first: the time limit answers with our error, and the time stamp wraps
        // everything, that answer included (it writes every error body).
        .layer(from_fn_with_state(timeout, middleware::limit_time))
        .layer(from_fn_with_state(
            Arc::clone(&state),
            middleware::stamp_server_time,
        ))
        .with_state(RouterState {
            state,
            bank_keys: Arc::new(KeyCache::new()),
            bank_failures: Arc::new(AuthFailures::new()),
        })
}

async fn healthz(State(state): State<Arc<ServerState>>) -> Response {
    let body = serde_json::json!({"status": "ok", "server_time_ms": state.now_ms()});
    ok(StatusCode::OK, &body)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// Reads a JSON body of at most `limit` bytes into a wire message.
async fn read_json<T: DeserializeOwned>(request: Request, limit: usize) -> Result<T, ApiError> {
    // One byte over the limit is enough to tell "too large" apart without reading a flood.
    let body = to_bytes(request.into_body(), limit.saturating_add(1))
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })?;
    Ok(wire::decode(&body, limit)?)
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
