//! Verifying a code (認証確認 and every later login), with the replay and lockout rules of
//! `docs/protocol.md` §7.3.

use std::sync::Arc;

use softtoken_protocol::{
    ids::UserId,
    otp_input::parse_otp,
    wire::{TokenState, VerifyResponse, VerifyResult},
};

use super::{
    replacement::{self, Predecessors},
    transactions::{self, count_token_failure},
};
use crate::{
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{
        WriteTx,
        accept::accept_step_and_commit,
        audit::{self, AuditEvent},
        batcher::AcceptJob,
        retry,
        tokens::{self, TokenRow},
    },
};

/// `POST /v1/services/{service_id}/tokens/{user_id}/verify`.
///
/// The whole check runs in one transaction on the single writing connection, so the replay
/// check and the update of the last accepted step cannot interleave with another request.
///
/// This is the provider's hot path, and every statement is a round trip to SQLite's thread
/// (see [`storage`](crate::storage)), so a right code for a token in use first takes
/// `accept_fast`: no read on the writing connection, and the write shared with other requests'
/// (see [`batcher`](crate::storage::batcher)). Anything else — and a right code whose token
/// changed in the meantime — gets the full check, which decides exactly as if the fast path had
/// not been tried (it wrote nothing).
pub async fn verify(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    otp: &str,
    actor: &str,
) -> Result<VerifyResponse, ApiError> {
    if let Some(reply) = accept_fast(state, service, user_id, otp, actor).await? {
        return Ok(reply);
    }
    // Nothing of a failed check is kept: `tx` rolls back whatever it began when dropped. A
    // check PostgreSQL aborted in a conflict runs again (nothing was answered or woken yet).
    let (reply, after) = retry::on_conflict(move || async move {
        let mut tx = state.db.write().await?;
        verify_in(state, &mut tx, service, user_id, otp, actor).await
    })
    .await?;
    // The fast path's next look at this token starts from what the check just saw.
    match after {
        Some(row) => {
            state.remember_token(&row);
        }
        None => state.forget_token(&service.row.service_id, user_id),
    }
    Ok(reply)
}

/// Consecutive wrong codes still allowed after `failures`.
fn failures_left(service: &ServiceCtx, failures: u32) -> u32 {
    service.row.rules.max_failures.saturating_sub(failures)
}

/// The common case, a right code for a token in use, without a read on the writing connection:
/// the token comes from the cache ([`ServerState::cached_token`]) or a reading connection (WAL:
/// beside the writer), the code is checked, and then the batcher records it only if the token
/// is still as seen — which makes the outcome and every write the same as [`verify_in`]'s for a
/// right code, however old the cached row. `None` when this path does not apply or the token
/// changed: the caller runs the full check.
async fn accept_fast(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    otp: &str,
    actor: &str,
) -> Result<Option<VerifyResponse>, ApiError> {
    let service_id = service.row.service_id;
    let now = state.now_ms();
    let token = match state.cached_token(&service_id, user_id) {
        Some(token) => token,
        None => {
            // A failed read only means no shortcut: the full check reads again on the writer.
            let read = state.token_reads.get(&service_id, user_id).await;
            let Some(row) = read.ok().flatten() else {
                return Ok(None);
            };
            state.remember_token(&row)
        }
    };
    // Only a token in use: a confirmation (認証確認) may retire the customer's old token,
    // which needs the full check on the writing connection (see `replacement`).
    let token_state = token.state_at(now);
    if token_state != TokenState::Active {
        return Ok(None);
    }
    let Ok(typed) = parse_otp(otp, token.params.digits()) else {
        return Ok(None);
    };
    let Ok(Some(totp)) = state.totp_key(&token) else {
        return Ok(None);
    };
    let Some(step) = totp.verify(typed.as_str(), now / 1000, service.row.rules.verify_window)
    else {
        return Ok(None);
    };

    let job = AcceptJob {
        seen: Arc::clone(&token),
        step,
        now_ms: now,
        actor: actor.to_owned(),
    };
    // A failed batch was logged by the batcher, and nothing of it was kept.
    if !state.accepts.accept(job).await.map_err(|failed| {
        if failed.unavailable {
            ApiError::Unavailable
        } else {
            ApiError::Internal
        }
    })? {
        return Ok(None);
    }
    Ok(Some(VerifyResponse {
        result: VerifyResult::Accepted,
        failures_left: failures_left(service, 0),
        server_time_ms: now,
    }))
}

/// A token row as an accepted code at `step` leaves it (see [`accept_step_and_commit`]).
fn accepted_row(token: &TokenRow, step: u64, now: u64) -> TokenRow {
    let mut row = token.clone();
    if row.state == TokenState::PendingConfirmation {
        row.state = TokenState::Active;
    }
    row.last_step = Some(step);
    row.failures = 0;
    row.last_used_at_ms = Some(now);
    row.confirmed_at_ms = row.confirmed_at_ms.or(Some(now));
    row
}

/// The full check in one transaction, which it ends on success (on error the caller drops the
/// transaction, which rolls it back). Returns the reply and the token row as the check left it,
/// or `None` if it changed the token's state (locked or expired it) — for the fast path's
/// cache.
async fn verify_in(
    state: &ServerState,
    tx: &mut WriteTx,
    service: &ServiceCtx,
    user_id: &UserId,
    otp: &str,
    actor: &str,
) -> Result<(VerifyResponse, Option<TokenRow>), ApiError> {
    let service_id = service.row.service_id;
    let max_failures = service.row.rules.max_failures;
    let now = state.now_ms();
    let Some(token) = tokens::begin_and_get(tx, &service_id, user_id).await? else {
        return Err(ApiError::NotFound("token"));
    };
    let reply = |result: VerifyResult, failures: u32| VerifyResponse {
        result,
        failures_left: failures_left(service, failures),
        server_time_ms: now,
    };
    let audit =
        |outcome: &'static str| AuditEvent::token(service_id, *user_id, "verify", outcome, actor);

    let token_state = token.state_at(now);
    let mut after = Some(token.clone());
    if token_state == TokenState::Expired && token.state != TokenState::Expired {
        tokens::set_state(tx, &service_id, user_id, TokenState::Expired, now).await?;
        after = None;
    }
    let refused = match token_state {
        TokenState::Revoked => Some(VerifyResult::Revoked),
        TokenState::Replaced => Some(VerifyResult::Replaced),
        TokenState::Issued => Some(VerifyResult::NotActivated),
        TokenState::Expired | TokenState::ActivationLocked => Some(VerifyResult::Expired),
        TokenState::Locked => Some(VerifyResult::Locked),
        TokenState::PendingConfirmation | TokenState::Active => None,
    };
    if let Some(result) = refused {
        audit::record(tx, now, audit(token_state.as_str())).await?;
        tx.commit().await?;
        return Ok((reply(result, token.failures), after));
    }

    // A code of the wrong shape cannot be a guess: refuse it without counting a failure.
    let Ok(typed) = parse_otp(otp, token.params.digits()) else {
        audit::record(tx, now, audit("malformed")).await?;
        tx.commit().await?;
        return Ok((reply(VerifyResult::Rejected, token.failures), after));
    };
    let Some(totp) = state.totp_key(&token)? else {
        // Active without a seed cannot happen through the API; refuse rather than accept.
        tracing::error!(%service_id, %user_id, "token in use has no seed");
        return Err(ApiError::Internal);
    };
    let matched = totp.verify(typed.as_str(), now / 1000, service.row.rules.verify_window);

    let Some(step) = matched else {
        // A lock fails the token's pending transactions in the same write (§9.7).
        let counted = count_token_failure(state, tx, &token, max_failures, now, actor).await?;
        let response = if counted.locked {
            (reply(VerifyResult::Locked, counted.failures), None)
        } else {
            audit::record(tx, now, audit("rejected")).await?;
            (reply(VerifyResult::Rejected, counted.failures), after)
        };
        tx.commit().await?;
        transactions::wake(state, &counted.failed);
        return Ok(response);
    };
    // A confirmation retires the customer's token in use, in this transaction; never at a
    // step that token already used (one code per customer per step).
    let mut retired = (Vec::new(), Vec::new());
    if token_state == TokenState::PendingConfirmation {
        match replacement::predecessors(tx, &token, step).await? {
            Predecessors::StepUsed => {
                audit::record(
                    tx,
                    now,
                    audit("replayed").with_detail("step used by the token this one replaces"),
                )
                .await?;
                tx.commit().await?;
                return Ok((reply(VerifyResult::Replayed, token.failures), after));
            }
            // The accept below applies exactly when this holds (same row, same transaction).
            Predecessors::Clear(old) if token.last_step.is_none_or(|last| last < step) => {
                let failed = replacement::retire(tx, &old, user_id, now, actor).await?;
                retired = (old, failed);
            }
            Predecessors::Clear(_) => {}
        }
    }
    // Accepted unless a step at or after this one was accepted before (a replay); audited
    // either way and committed, in one round trip.
    let accepted = accept_step_and_commit(tx, &service_id, user_id, step, now, actor).await?;
    replacement::finish(state, &service_id, &retired.0, &retired.1);
    Ok(if accepted {
        (
            reply(VerifyResult::Accepted, 0),
            Some(accepted_row(&token, step, now)),
        )
    } else {
        (reply(VerifyResult::Replayed, token.failures), after)
    })
}
