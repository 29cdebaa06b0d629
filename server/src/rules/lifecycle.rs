//! What the bank may see and do to a token: details, revocation, unlocking.

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    wire::{DeviceInfo, TokenDetails, TokenState},
};

use super::transactions;
use crate::{
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{
        WriteTx, activations,
        audit::{self, AuditEvent},
        retry,
        tokens::{self, TokenRow},
    },
};

/// What the bank sees of a token as of `now`.
fn view(service: &ServiceCtx, token: &TokenRow, now: u64) -> TokenDetails {
    let rules = &service.row.rules;
    TokenDetails {
        service_id: token.service_id,
        user_id: token.user_id,
        state: token.state_at(now),
        label: token.label.clone(),
        token: token.params,
        issued_at_ms: token.issued_at_ms,
        expires_at_ms: token.expires_at_ms,
        activated_at_ms: token.activated_at_ms,
        confirmed_at_ms: token.confirmed_at_ms,
        revoked_at_ms: token.revoked_at_ms,
        replaced_at_ms: token.replaced_at_ms,
        replaced_by: token.replaced_by,
        last_used_at_ms: token.last_used_at_ms,
        activation_attempts_left: rules
            .max_activation_attempts
            .saturating_sub(token.activation_attempts),
        failures_left: rules.max_failures.saturating_sub(token.failures),
        device: token
            .device_json
            .as_deref()
            .and_then(|json| serde_json::from_str::<DeviceInfo>(json).ok()),
        server_time_ms: now,
    }
}

/// `GET …/tokens/{user_id}`.
pub async fn details(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
) -> Result<TokenDetails, ApiError> {
    let mut conn = state.db.read().await?;
    let token = tokens::get(&mut conn, &service.row.service_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    Ok(view(service, &token, state.now_ms()))
}

/// `POST …/revoke`: final; idempotent. The sealed seed is kept so the app's status call can
/// still be answered (`revoked`).
pub async fn revoke(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    actor: &str,
) -> Result<TokenDetails, ApiError> {
    let service_id = service.row.service_id;
    let now = state.now_ms();
    // Run again if PostgreSQL aborted it in a conflict; only a committed revocation wakes.
    let (details, failed) = retry::on_conflict(move || async move {
        let (mut tx, token) = begin_change(state, &service_id, user_id).await?;
        let mut failed = Vec::new();
        if token.state != TokenState::Revoked {
            tokens::set_state(&mut tx, &service_id, user_id, TokenState::Revoked, now).await?;
            activations::delete_of_token(&mut tx, &service_id, user_id).await?;
            // Its pending transactions fail in the same write (§9.7).
            failed = transactions::fail_pending_of_locked_token(
                &mut tx, service_id, *user_id, now, actor,
            )
            .await?;
        }
        let details = finish_change(tx, service, user_id, "revoke", actor, now).await?;
        Ok::<_, ApiError>((details, failed))
    })
    .await?;
    transactions::wake(state, &failed);
    Ok(details)
}

/// `POST …/unlock`: a locked token goes back to the state wrong codes locked it from
/// (`active`, or `pending_confirmation` if it was never confirmed) with its failure counter reset.
pub async fn unlock(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    actor: &str,
) -> Result<TokenDetails, ApiError> {
    let service_id = service.row.service_id;
    let now = state.now_ms();
    retry::on_conflict(move || async move {
        let (mut tx, _) = begin_change(state, &service_id, user_id).await?;
        if !tokens::unlock(&mut tx, &service_id, user_id).await? {
            return Err(ApiError::Conflict("the token is not locked"));
        }
        finish_change(tx, service, user_id, "unlock", actor, now).await
    })
    .await
}

/// Begins a bank's change to a token: the transaction, and the token as it is in it (one
/// round trip, as verification begins).
async fn begin_change(
    state: &ServerState,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<(WriteTx, TokenRow), ApiError> {
    let mut tx = state.db.write().await?;
    let token = tokens::begin_and_get(&mut tx, service_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    Ok((tx, token))
}

/// Ends a bank's change to a token: audits it (`event` by `actor`), reads the token as the change
/// left it, commits, and returns what the bank sees.
async fn finish_change(
    mut tx: WriteTx,
    service: &ServiceCtx,
    user_id: &UserId,
    event: &str,
    actor: &str,
    now: u64,
) -> Result<TokenDetails, ApiError> {
    let service_id = service.row.service_id;
    audit::record(
        &mut tx,
        now,
        AuditEvent::token(service_id, *user_id, event, "ok", actor),
    )
    .await?;
    let token = tokens::get(&mut tx, &service_id, user_id)
        .await?
        .ok_or(ApiError::Internal)?;
    tx.commit().await?;
    Ok(view(service, &token, now))
}
