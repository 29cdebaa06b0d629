//! Bank authentication: the [`BankKey`] extractor. A handler that takes one runs only for a
//! request whose `Authorization: Bearer` key is a live key of the service in its path; nothing
//! else authenticates. Confirmed keys are remembered briefly ([`key_cache`]).

pub mod failures;
pub mod key_cache;

pub use failures::AuthFailures;
pub use key_cache::{KEY_CACHE_TTL, KeyCache};

use std::{net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts, RawPathParams},
    http::{header, request::Parts},
};
use softtoken_protocol::ids::ServiceId;

use crate::{
    error::ApiError,
    secrets::api_key,
    state::{ServerState, ServiceCtx},
    storage::api_keys,
};

/// A request authenticated as a bank acting for the service in its path (`{service_id}`).
///
/// Every failure is the same `unauthorized`: no key, a malformed key, a wrong or revoked key, a
/// key of another service, and a malformed or unknown service (so keys cannot probe for
/// services). The secret is compared in constant time.
///
/// Failures are audited and limited ([`failures`]): a client address or key id that failed too
/// often is answered `429 rate_limited` with `Retry-After` before its key is looked at. A
/// successful check counts nothing.
#[derive(Clone)]
pub struct BankKey {
    /// The service, with its OPAQUE setup opened.
    pub service: Arc<ServiceCtx>,
    /// The audit actor: `bank:<key id>`.
    pub actor: String,
}

impl<S> FromRequestParts<S> for BankKey
where
    S: Send + Sync,
    Arc<ServerState>: FromRef<S>,
    Arc<KeyCache>: FromRef<S>,
    Arc<AuthFailures>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state).await;
        let server = Arc::<ServerState>::from_ref(state);
        let failures = Arc::<AuthFailures>::from_ref(state);
        // No peer address only when the router runs without a listener (in-process tests).
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let key_id = presented.and_then(failures::public_key_id);
        // An address that failed too often is refused before any key is looked at.
        failures.admit_client(client, Instant::now())?;
        let path_service = params.as_ref().ok().and_then(|params| {
            params
                .iter()
                .find_map(|(name, value)| (name == "service_id").then_some(value))
                .and_then(|raw| ServiceId::parse(raw).ok())
        });
        let checked = async {
            let presented = presented.ok_or(ApiError::Unauthorized)?;
            params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
            let service_id = path_service.ok_or(ApiError::Unauthorized)?;
            let cache = Arc::<KeyCache>::from_ref(state);
            let key_id = authenticate(&server, &cache, presented, &service_id).await?;
            let service = server
                .service(&service_id)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            Ok(BankKey {
                service,
                actor: format!("bank:{key_id}"),
            })
        }
        .await;
        if let Err(ApiError::Unauthorized) = &checked {
            failures
                .record(&server, path_service, client, key_id, Instant::now())
                .await?;
            // A key id that failed too often (from any address) answers its failures 429. Only
            // its failures: the right key still passes, so nobody who learns a key id can lock
            // the bank out by failing on it.
            failures.admit_key(key_id, client, Instant::now())?;
        }
        checked
    }
}

/// Checks a presented bank API key for `service_id`; returns the key id. A key `cache`
/// confirmed less than [`KEY_CACHE_TTL`] ago is not read again: a revoked key stops working
/// within that time.
async fn authenticate(
    state: &ServerState,
    cache: &KeyCache,
    presented: &str,
    service_id: &ServiceId,
) -> Result<String, ApiError> {
    let key = api_key::parse(presented).ok_or(ApiError::Unauthorized)?;
    if cache.confirmed(&key, service_id) {
        return Ok(key.key_id.to_owned());
    }
    let mut conn = state.db.read().await?;
    let row = api_keys::get(&mut conn, key.key_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // The secret is compared first and whatever else is wrong answers the same, so a reply
    // tells nothing about which part failed.
    if !key.matches(&row.secret_sha256)
        || row.revoked_at_ms.is_some()
        || row.service_id != *service_id
    {
        return Err(ApiError::Unauthorized);
    }
    cache.confirm(&row.key_id, &row.secret_sha256, &row.service_id);
    Ok(row.key_id)
}
