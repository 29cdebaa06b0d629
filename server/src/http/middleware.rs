//! The middleware every request passes: the provider's time on every reply (and in every error
//! body), the whole-request time limit, and the per-IP limit of the device endpoints.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::errors;
use crate::{error::ApiError, rate_limit::RateLimiter, state::ServerState};

/// Header on every response: the provider clock, unix milliseconds.
pub const SERVER_TIME_HEADER: &str = "server-time-ms";

/// Every response, errors and framework rejections included, says what time the provider has;
/// an error's body gets the same time, from the same reading of the injected clock.
pub(super) async fn stamp_server_time(
    State(state): State<Arc<ServerState>>,
    request: Request,
    next: Next,
) -> Response {
    // A database SQLite has reported corrupt is not used again (`Db::mark_corrupt`).
    let mut response = if state.db.is_corrupt() && request.uri().path() != "/healthz" {
        ApiError::Unavailable.into_response()
    } else {
        next.run(request).await
    };
    match response.extensions().get::<ApiError>() {
        Some(ApiError::StorageCorrupt { detail }) => state.db.mark_corrupt(detail),
        // The database could not serve (or the request ran out of time waiting for it): with
        // several PostgreSQL hosts, the one that takes writes may have changed (a failover).
        Some(ApiError::Unavailable) => state.db.recheck_target(),
        _ => {}
    }
    let now = state.now_ms();
    errors::render(&mut response, now);
    response.headers_mut().insert(
        HeaderName::from_static(SERVER_TIME_HEADER),
        HeaderValue::from(now),
    );
    response
}

/// A request that takes longer than the configured limit is answered `503 unavailable`.
pub(super) async fn limit_time(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_s = limit.as_secs(), "request timed out");
            ApiError::Unavailable.into_response()
        }
    }
}

/// Per-client-IP token bucket on the device endpoints (no API key protects them).
pub(super) async fn limit_per_ip(
    State(limiter): State<Arc<RateLimiter>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match limiter.check(peer.ip(), Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry) => ApiError::RateLimited {
            retry_after_s: retry.seconds,
        }
        .into_response(),
    }
}
