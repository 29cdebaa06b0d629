//! Verifying a code (認証確認 and every later login), with the replay and lockout rules of
//! `docs/protocol.md` §7.3.

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    otp_input::parse_otp,
    wire::{TokenState, VerifyResponse, VerifyResult},
};

use crate::{
    app::{App, ServiceCtx},
    db::WriteTx,
    error::ApiError,
    store::{self, AuditEvent},
};

/// `POST /v1/services/{service_id}/tokens/{user_id}/verify`.
///
/// The whole check runs in one transaction on the single writing connection, so the replay
/// check and the update of the last accepted step cannot interleave with another request.
///
/// This is the provider's hot path, and every statement is a round trip to SQLite's thread
/// (see [`crate::db`]), so a right code for a token in use first takes `accept_fast`: one
/// round trip on the writing connection instead of two. Anything else — and a right code whose
/// token changed in the meantime — gets the full check, which decides exactly as if the fast
/// path had not been tried (it wrote nothing).
pub async fn verify(
    app: &App,
    service: &ServiceCtx,
    user_id: &UserId,
    otp: &str,
    actor: &str,
) -> Result<VerifyResponse, ApiError> {
    if let Some(reply) = accept_fast(app, service, user_id, otp, actor).await? {
        return Ok(reply);
    }
    let mut tx = WriteTx::acquire(&app.db.writer).await?;
    match verify_in(app, &mut tx, service, user_id, otp, actor).await {
        Ok(reply) => Ok(reply),
        Err(err) => {
            // Nothing of a failed check is kept. If even the rollback fails, dropping `tx`
            // closes the connection, which rolls back too.
            if let Err(rollback) = tx.rollback().await {
                tracing::error!(error = %rollback, "rollback after a failed verification failed");
            }
            Err(err)
        }
    }
}

/// Consecutive wrong codes still allowed after `failures`.
fn failures_left(service: &ServiceCtx, failures: i64) -> u32 {
    u32::try_from(service.row.max_failures.saturating_sub(failures).max(0)).unwrap_or(0)
}

/// The common case, a right code for a token in use, with the writing connection held for one
/// round trip: the token is read on a reading connection (WAL: beside the writer), the code
/// checked, and then [`store::accept_step_if_unchanged`] records it only if the token is still
/// as read — which makes the outcome and every write the same as [`verify_in`]'s for a right
/// code. `None` when this path does not apply or the token changed: the caller runs the full
/// check.
async fn accept_fast(
    app: &App,
    service: &ServiceCtx,
    user_id: &UserId,
    otp: &str,
    actor: &str,
) -> Result<Option<VerifyResponse>, ApiError> {
    let Ok(service_id) = ServiceId::parse(&service.row.service_id) else {
        return Ok(None);
    };
    let now = app.now_ms();
    // A failed read only means no shortcut: the full check reads again on the writer.
    let token = match app.db.reader.acquire().await {
        Ok(mut conn) => store::token(&mut conn, &service_id, user_id)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    let Some(token) = token else {
        return Ok(None);
    };
    if !matches!(
        token.state_at(now),
        TokenState::Active | TokenState::PendingConfirmation
    ) {
        return Ok(None);
    }
    let Some(params) = token.params() else {
        return Ok(None);
    };
    let Ok(typed) = parse_otp(otp, params.digits()) else {
        return Ok(None);
    };
    let Ok(Some(totp)) = app.totp_key(&token) else {
        return Ok(None);
    };
    let window = u32::try_from(service.row.verify_window).unwrap_or(1);
    let Some(step) = totp.verify(typed.as_str(), now / 1000, window) else {
        return Ok(None);
    };

    let audit = AuditEvent {
        service_id: Some(service_id.as_str()),
        user_id: Some(user_id.as_str()),
        event: "verify",
        outcome: "accepted",
        actor,
        detail: None,
    };
    let mut tx = WriteTx::acquire(&app.db.writer).await?;
    match store::accept_step_if_unchanged(&mut tx, &token, step, now, audit).await {
        Ok(accepted) => Ok(accepted.then(|| VerifyResponse {
            result: VerifyResult::Accepted,
            failures_left: failures_left(service, 0),
            server_time_ms: now,
        })),
        Err(err) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::error!(error = %rollback, "rollback after a failed verification failed");
            }
            Err(err.into())
        }
    }
}

/// The full check in one transaction; ends it on success (the caller rolls back on error).
async fn verify_in(
    app: &App,
    tx: &mut WriteTx,
    service: &ServiceCtx,
    user_id: &UserId,
    otp: &str,
    actor: &str,
) -> Result<VerifyResponse, ApiError> {
    let service_id = ServiceId::parse(&service.row.service_id).map_err(|_| ApiError::Internal)?;
    let max_failures = service.row.max_failures;
    let now = app.now_ms();
    let Some(token) = store::begin_and_token(tx, &service_id, user_id).await? else {
        return Err(ApiError::NotFound("token"));
    };
    let (sid, uid) = (service_id.as_str(), user_id.as_str());
    let reply = |result: VerifyResult, failures: i64| VerifyResponse {
        result,
        failures_left: failures_left(service, failures),
        server_time_ms: now,
    };
    let audit = |outcome: &'static str| AuditEvent {
        service_id: Some(sid),
        user_id: Some(uid),
        event: "verify",
        outcome,
        actor,
        detail: None,
    };

    let state = token.state_at(now);
    if state == TokenState::Expired && token.stored_state() != TokenState::Expired {
        store::set_state(tx.conn(), sid, uid, TokenState::Expired, now).await?;
    }
    let refused = match state {
        TokenState::Revoked => Some(VerifyResult::Revoked),
        TokenState::Issued => Some(VerifyResult::NotActivated),
        TokenState::Expired | TokenState::ActivationLocked => Some(VerifyResult::Expired),
        TokenState::Locked => Some(VerifyResult::Locked),
        TokenState::PendingConfirmation | TokenState::Active => None,
    };
    if let Some(result) = refused {
        store::audit(tx.conn(), now, audit(state.as_str())).await?;
        tx.commit().await?;
        return Ok(reply(result, token.failures));
    }

    let params = token.params().ok_or(ApiError::Internal)?;
    // A code of the wrong shape cannot be a guess: refuse it without counting a failure.
    let Ok(typed) = parse_otp(otp, params.digits()) else {
        store::audit(tx.conn(), now, audit("malformed")).await?;
        tx.commit().await?;
        return Ok(reply(VerifyResult::Rejected, token.failures));
    };
    let Some(totp) = app.totp_key(&token)? else {
        // Active without a seed cannot happen through the API; refuse rather than accept.
        tracing::error!(service_id = sid, user_id = uid, "token in use has no seed");
        return Err(ApiError::Internal);
    };
    let window = u32::try_from(service.row.verify_window).unwrap_or(1);
    let matched = totp.verify(typed.as_str(), now / 1000, window);

    let Some(step) = matched else {
        let failures = store::count_failure(tx.conn(), sid, uid, max_failures).await?;
        let response = if failures >= max_failures {
            store::audit(
                tx.conn(),
                now,
                AuditEvent {
                    event: "lockout",
                    ..audit("locked")
                },
            )
            .await?;
            reply(VerifyResult::Locked, failures)
        } else {
            store::audit(tx.conn(), now, audit("rejected")).await?;
            reply(VerifyResult::Rejected, failures)
        };
        tx.commit().await?;
        return Ok(response);
    };
    // Accepted unless a step at or after this one was accepted before (a replay); audited
    // either way and committed, in one round trip.
    let accepted =
        store::accept_step_audit_commit(tx, sid, uid, step, now, audit("accepted"), "replayed")
            .await?;
    Ok(if accepted {
        reply(VerifyResult::Accepted, 0)
    } else {
        reply(VerifyResult::Replayed, token.failures)
    })
}
