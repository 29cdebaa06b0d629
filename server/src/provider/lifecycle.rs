//! What the bank may see and do to a token: details, revocation, unlocking.

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    wire::{DeviceInfo, TokenDetails, TokenState},
};

use crate::{
    app::App,
    error::ApiError,
    store::{self, AuditEvent, TokenRow, to_u64},
};

fn details(
    token: &TokenRow,
    max_attempts: i64,
    max_failures: i64,
    now: u64,
) -> Result<TokenDetails, ApiError> {
    let (service_id, user_id) = token.ids().ok_or(ApiError::Internal)?;
    let left = |max: i64, used: i64| u32::try_from(max.saturating_sub(used).max(0)).unwrap_or(0);
    Ok(TokenDetails {
        service_id,
        user_id,
        state: token.state_at(now),
        label: token.label.clone(),
        token: token.params().ok_or(ApiError::Internal)?,
        issued_at_ms: to_u64(token.issued_at_ms),
        expires_at_ms: to_u64(token.expires_at_ms),
        activated_at_ms: token.activated_at_ms.map(to_u64),
        confirmed_at_ms: token.confirmed_at_ms.map(to_u64),
        revoked_at_ms: token.revoked_at_ms.map(to_u64),
        last_used_at_ms: token.last_used_at_ms.map(to_u64),
        activation_attempts_left: left(max_attempts, token.activation_attempts),
        failures_left: left(max_failures, token.failures),
        device: token
            .device_json
            .as_deref()
            .and_then(|json| serde_json::from_str::<DeviceInfo>(json).ok()),
        server_time_ms: now,
    })
}

async fn limits(app: &App, service_id: &ServiceId) -> Result<(i64, i64), ApiError> {
    let service = app
        .service(service_id)
        .await?
        .ok_or(ApiError::NotFound("service"))?;
    Ok((
        service.row.max_activation_attempts,
        service.row.max_failures,
    ))
}

/// `GET …/tokens/{user_id}`.
pub async fn get(
    app: &App,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<TokenDetails, ApiError> {
    let (max_attempts, max_failures) = limits(app, service_id).await?;
    let mut conn = app.db.reader.acquire().await?;
    let token = store::token(&mut conn, service_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    details(&token, max_attempts, max_failures, app.now_ms())
}

/// `POST …/revoke`: final; idempotent. The sealed seed is kept so the app's status call can
/// still be answered (`revoked`).
pub async fn revoke(
    app: &App,
    service_id: &ServiceId,
    user_id: &UserId,
    actor: &str,
) -> Result<TokenDetails, ApiError> {
    let (max_attempts, max_failures) = limits(app, service_id).await?;
    let now = app.now_ms();
    let mut tx = app.db.writer.begin().await?;
    let token = store::token(&mut tx, service_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    if token.stored_state() != TokenState::Revoked {
        store::set_state(
            &mut tx,
            service_id.as_str(),
            user_id.as_str(),
            TokenState::Revoked,
            now,
        )
        .await?;
        store::delete_activations_of(&mut tx, service_id.as_str(), user_id.as_str()).await?;
    }
    store::audit(
        &mut tx,
        now,
        AuditEvent::token(service_id.as_str(), user_id.as_str(), "revoke", "ok", actor),
    )
    .await?;
    let token = store::token(&mut tx, service_id, user_id)
        .await?
        .ok_or(ApiError::Internal)?;
    tx.commit().await?;
    details(&token, max_attempts, max_failures, now)
}

/// `POST …/unlock`: a locked token goes back to `active` with its failure counter reset.
pub async fn unlock(
    app: &App,
    service_id: &ServiceId,
    user_id: &UserId,
    actor: &str,
) -> Result<TokenDetails, ApiError> {
    let (max_attempts, max_failures) = limits(app, service_id).await?;
    let now = app.now_ms();
    let mut tx = app.db.writer.begin().await?;
    store::token(&mut tx, service_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    if !store::unlock(&mut tx, service_id.as_str(), user_id.as_str()).await? {
        return Err(ApiError::Conflict("the token is not locked"));
    }
    store::audit(
        &mut tx,
        now,
        AuditEvent::token(service_id.as_str(), user_id.as_str(), "unlock", "ok", actor),
    )
    .await?;
    let token = store::token(&mut tx, service_id, user_id)
        .await?
        .ok_or(ApiError::Internal)?;
    tx.commit().await?;
    details(&token, max_attempts, max_failures, now)
}
