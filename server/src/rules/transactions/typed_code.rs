//! `POST /v1/services/{service_id}/transactions/{transaction_id}/verify`: the user typed the
//! transaction code into the bank's page; the bank has it checked against exactly that
//! transaction (9.6). Single-use: of concurrent right codes exactly one is `accepted`.

use softtoken_protocol::{
    otp_input::parse_otp,
    transaction::{CODE_DIGITS, TransactionId, TransactionState, VERIFY_WINDOW},
    wire::{MAX_CODE_ATTEMPTS, TokenState, TransactionVerifyResponse, TransactionVerifyResult},
};

use super::{count_token_failure, keys_of, record, takes_part, wake};
use crate::{
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{retry, tokens, transactions},
};

/// The wire name of a result, which is also its audit outcome.
fn result_name(result: TransactionVerifyResult) -> &'static str {
    match result {
        TransactionVerifyResult::Accepted => "accepted",
        TransactionVerifyResult::Rejected => "rejected",
        TransactionVerifyResult::Replayed => "replayed",
        TransactionVerifyResult::Expired => "expired",
        TransactionVerifyResult::Failed => "failed",
        TransactionVerifyResult::Cancelled => "cancelled",
        TransactionVerifyResult::Decided => "decided",
        TransactionVerifyResult::Locked => "locked",
        TransactionVerifyResult::Revoked => "revoked",
        TransactionVerifyResult::Replaced => "replaced",
    }
}

/// Checks a typed code, in the order of 9.6, in one write transaction.
pub async fn verify(
    state: &ServerState,
    service: &ServiceCtx,
    transaction_id: &TransactionId,
    otp: &str,
    actor: &str,
) -> Result<TransactionVerifyResponse, ApiError> {
    // One transaction; run again if PostgreSQL aborted it in a conflict (storage::retry).
    retry::on_conflict(|| verify_once(state, service, transaction_id, otp, actor)).await
}

/// One run of [`verify`].
async fn verify_once(
    state: &ServerState,
    service: &ServiceCtx,
    transaction_id: &TransactionId,
    otp: &str,
    actor: &str,
) -> Result<TransactionVerifyResponse, ApiError> {
    let max_failures = service.row.rules.max_failures;
    let now = state.now_ms();
    let mut tx = state.db.write().await?;
    let row = transactions::begin_and_get(&mut tx, transaction_id)
        .await?
        .filter(|row| row.transaction.service_id == service.row.service_id)
        .ok_or(ApiError::NotFound("transaction"))?;
    let txn = &row.transaction;
    let ids = (txn.service_id, txn.user_id);
    let token = tokens::get(&mut tx, &txn.service_id, &txn.user_id)
        .await?
        .ok_or(ApiError::Internal)?;
    let mut reply = TransactionVerifyResponse {
        result: TransactionVerifyResult::Rejected,
        state: row.state_at(now),
        attempts_left: row.attempts_left(),
        failures_left: max_failures.saturating_sub(token.failures),
        server_time_ms: now,
    };
    let mut changed = Vec::new();

    // 1. The token, then 2. the transaction: refused, nothing counted.
    let token_state = token.state_at(now);
    let refused = match (token_state, reply.state) {
        (TokenState::Revoked, _) => Some(TransactionVerifyResult::Revoked),
        (TokenState::Replaced, _) => Some(TransactionVerifyResult::Replaced),
        (token_state, _) if !takes_part(token_state) => Some(TransactionVerifyResult::Locked),
        (_, TransactionState::Confirmed) => Some(TransactionVerifyResult::Replayed),
        (_, TransactionState::Expired) => Some(TransactionVerifyResult::Expired),
        (_, TransactionState::Failed) => Some(TransactionVerifyResult::Failed),
        (_, TransactionState::Cancelled) => Some(TransactionVerifyResult::Cancelled),
        (_, TransactionState::Approved | TransactionState::Rejected) => {
            Some(TransactionVerifyResult::Decided)
        }
        (_, TransactionState::Pending) => None,
    };
    if let Some(result) = refused {
        if result == TransactionVerifyResult::Expired
            && transactions::finish(&mut tx, &txn.id, TransactionState::Expired, now).await?
        {
            changed.push(txn.id);
        }
        reply.result = result;
    } else if let Ok(typed) = parse_otp(otp, CODE_DIGITS) {
        let keys = keys_of(state, &token)?.ok_or(ApiError::Internal)?;
        if keys
            .verify_online(txn, typed.as_str(), now / 1000, VERIFY_WINDOW)
            .is_some()
        {
            // 5. Right: exactly once (the guard holds even with several writers).
            if transactions::finish(&mut tx, &txn.id, TransactionState::Confirmed, now).await? {
                tokens::reset_failures(&mut tx, &txn.service_id, &txn.user_id, now).await?;
                reply = TransactionVerifyResponse {
                    result: TransactionVerifyResult::Accepted,
                    state: TransactionState::Confirmed,
                    failures_left: max_failures,
                    ..reply
                };
                changed.push(txn.id);
            } else {
                reply.result = TransactionVerifyResult::Replayed;
            }
        } else {
            // 4. Wrong: one failure for the token and one for the transaction.
            let counted =
                count_token_failure(state, &mut tx, &token, max_failures, now, actor).await?;
            reply.failures_left = max_failures.saturating_sub(counted.failures);
            if counted.locked {
                changed.extend(counted.failed);
                reply.result = TransactionVerifyResult::Locked;
                reply.state = TransactionState::Failed;
            } else {
                let (failures, after) =
                    transactions::count_failure(&mut tx, &txn.id, MAX_CODE_ATTEMPTS, now).await?;
                reply.attempts_left = MAX_CODE_ATTEMPTS.saturating_sub(failures);
                reply.state = after;
                reply.result = if after == TransactionState::Failed {
                    changed.push(txn.id);
                    TransactionVerifyResult::Failed
                } else {
                    TransactionVerifyResult::Rejected
                };
            }
        }
    }
    // (3. Not 8 digits: `rejected`, not counted — the reply as initialised.)
    let outcome = result_name(reply.result);
    record(
        &mut tx,
        now,
        ids,
        &txn.id,
        "transaction_verify",
        outcome,
        actor,
    )
    .await?;
    tx.commit().await?;
    wake(state, &changed);
    Ok(reply)
}
