//! HTTP: routes, request reading, the per-IP limit and the `server-time-ms` header. Handlers
//! only translate between HTTP and the rules in `provider/`.

mod bank;
mod device;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::to_bytes,
    extract::{ConnectInfo, Request, State},
    http::{HeaderName, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use softtoken_protocol::wire;

use crate::{
    app::App,
    error::{ApiError, json_body},
};

/// Header on every response: the provider clock, unix milliseconds.
pub const SERVER_TIME_HEADER: &str = "server-time-ms";

/// The provider's routes over shared state.
pub fn router(app: Arc<App>) -> Router {
    let timeout = Duration::from_secs(app.limits.request_timeout_secs.max(1));
    let device = Router::new()
        .route("/v1/activations", post(device::start))
        .route(
            "/v1/activations/{activation_id}/finish",
            post(device::finish),
        )
        .route("/v1/tokens/status", post(device::status))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            limit_per_ip,
        ));
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
        // Innermost first: the time limit answers with our JSON error, and the time stamp
        // wraps everything, that answer included.
        .layer(middleware::from_fn_with_state(timeout, limit_time))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), stamp_server_time))
        .with_state(app)
}

/// A request that takes longer than the configured limit is answered `503 unavailable`.
async fn limit_time(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_s = limit.as_secs(), "request timed out");
            ApiError::Unavailable.into_response()
        }
    }
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let body = serde_json::json!({"status": "ok", "server_time_ms": app.now_ms()});
    (StatusCode::OK, json_body(&body)).into_response()
}

async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// Every response, errors and framework rejections included, says what time the provider has.
async fn stamp_server_time(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        HeaderName::from_static(SERVER_TIME_HEADER),
        HeaderValue::from(app.now_ms()),
    );
    response
}

/// Per-client-IP token bucket on the device endpoints (no API key protects them).
async fn limit_per_ip(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match app.limiter.check(peer.ip(), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry) => ApiError::RateLimited {
            retry_after_s: retry.seconds,
        }
        .into_response(),
    }
}

/// Reads a JSON body of at most `limit` bytes into a wire message.
async fn read_json<T: DeserializeOwned>(request: Request, limit: usize) -> Result<T, ApiError> {
    // One byte over the limit is enough to tell "too large" apart without reading a flood.
    let body = to_bytes(request.into_body(), limit.saturating_add(1))
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })?;
    Ok(wire::decode(&body, limit)?)
}

/// A 200 JSON reply.
fn ok<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    (status, json_body(value)).into_response()
}
