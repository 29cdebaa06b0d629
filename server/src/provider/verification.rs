//! Verifying a code (認証確認 and every later login), with the replay and lockout rules of
//! `docs/protocol.md` §7.3.

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    otp_input::parse_otp,
    wire::{TokenState, VerifyResponse, VerifyResult},
};

use std::sync::Arc;

use super::accept_batch::AcceptJob;
use crate::{
    app::{App, ServiceCtx},
    db::WriteTx,
    error::ApiError,
    store::{self, AuditEvent, TokenRow, to_i64},
};

/// `POST /v1/services/{service_id}/tokens/{user_id}/verify`.
///
/// The whole check runs in one transaction on the single writing connection, so the replay
/// check and the update of the last accepted step cannot interleave with another request.
///
/// This is the provider's hot path, and every statement is a round trip to SQLite's thread
/// (see [`crate::db`]), so a right code for a token in use first takes `accept_fast`: no read
/// on the writing connection, and the write shared with other requests' (see
/// [`accept_batch`](super::accept_batch)). Anything else — and a right code whose token changed
/// in the meantime — gets the full check, which decides exactly as if the fast path had not been
/// tried (it wrote nothing).
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
        Ok((reply, after)) => {
            // The fast path's next look at this token starts from what the check just saw.
            match after {
                Some(row) => {
                    app.remember_token(&row);
                }
                None => {
                    if let Ok(service_id) = ServiceId::parse(&service.row.service_id) {
                        app.forget_token(&service_id, user_id);
                    }
                }
            }
            Ok(reply)
        }
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

/// The common case, a right code for a token in use, without a read on the writing connection:
/// the token comes from the cache ([`App::cached_token`]) or a reading connection (WAL: beside
/// the writer), the code is checked, and then the batcher records it only if the token is still
/// as seen — which makes the outcome and every write the same as [`verify_in`]'s for a right
/// code, however old the cached row. `None` when this path does not apply or the token changed:
/// the caller runs the full check.
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
    let token = match app.cached_token(&service_id, user_id) {
        Some(token) => token,
        None => {
            // A failed read only means no shortcut: the full check reads again on the writer.
            let read = match app.db.reader.acquire().await {
                Ok(mut conn) => store::token(&mut conn, &service_id, user_id)
                    .await
                    .ok()
                    .flatten(),
                Err(_) => None,
            };
            let Some(token) = read.and_then(|row| app.remember_token(&row)) else {
                return Ok(None);
            };
            token
        }
    };
    let state = token.state_at(now);
    if !matches!(state, TokenState::Active | TokenState::PendingConfirmation) {
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

    let job = AcceptJob {
        seen: Arc::clone(&token),
        step,
        now_ms: now,
        actor: actor.to_owned(),
    };
    if !app.accepts.accept(job).await? {
        return Ok(None);
    }
    if state == TokenState::PendingConfirmation {
        // The accept confirmed the token: cache it as the write left it, or the next code would
        // find the cached state out of date and take the full check.
        app.remember_token(&accepted_row(&token, step, now));
    }
    Ok(Some(VerifyResponse {
        result: VerifyResult::Accepted,
        failures_left: failures_left(service, 0),
        server_time_ms: now,
    }))
}

/// A token row as an accepted code at `step` leaves it (see [`store::accept_step_audit_commit`]).
fn accepted_row(token: &TokenRow, step: u64, now: u64) -> TokenRow {
    let mut row = token.clone();
    if row.stored_state() == TokenState::PendingConfirmation {
        row.state = TokenState::Active.as_str().to_owned();
    }
    row.last_step = Some(to_i64(step));
    row.failures = 0;
    row.last_used_at_ms = Some(to_i64(now));
    row.confirmed_at_ms = row.confirmed_at_ms.or(Some(to_i64(now)));
    row
}

/// The full check in one transaction; ends it on success (the caller rolls back on error).
/// Returns the reply and the token row as the check left it, or `None` if it changed the
/// token's state (locked or expired it) — for the fast path's cache.
async fn verify_in(
    app: &App,
    tx: &mut WriteTx,
    service: &ServiceCtx,
    user_id: &UserId,
    otp: &str,
    actor: &str,
) -> Result<(VerifyResponse, Option<TokenRow>), ApiError> {
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
    let mut after = Some(token.clone());
    if state == TokenState::Expired && token.stored_state() != TokenState::Expired {
        store::set_state(tx.conn(), sid, uid, TokenState::Expired, now).await?;
        after = None;
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
        return Ok((reply(result, token.failures), after));
    }

    let params = token.params().ok_or(ApiError::Internal)?;
    // A code of the wrong shape cannot be a guess: refuse it without counting a failure.
    let Ok(typed) = parse_otp(otp, params.digits()) else {
        store::audit(tx.conn(), now, audit("malformed")).await?;
        tx.commit().await?;
        return Ok((reply(VerifyResult::Rejected, token.failures), after));
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
            (reply(VerifyResult::Locked, failures), None)
        } else {
            store::audit(tx.conn(), now, audit("rejected")).await?;
            (reply(VerifyResult::Rejected, failures), after)
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
        (
            reply(VerifyResult::Accepted, 0),
            Some(accepted_row(&token, step, now)),
        )
    } else {
        (reply(VerifyResult::Replayed, token.failures), after)
    })
}
