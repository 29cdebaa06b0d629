//! `POST /v1/services/{service_id}/transactions/{transaction_id}/verify`: the user typed the
//! transaction code into the bank's page; the bank has it checked against exactly that
//! transaction (9.6). Single-use: of concurrent right codes exactly one is `accepted`.

use softtoken_protocol::{
    otp_input::parse_otp,
    transaction::{TransactionId, TransactionState},
    wire::TokenState,
};

use super::{
    CODE_WINDOW, MAX_CODE_FAILURES, count_token_failure, keys_of, record, takes_part, wake,
};
use crate::{
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{tokens, transactions},
};

/// Digits of every transaction and offline code, whatever the token's TOTP digits (9.3).
pub const CODE_DIGITS: u8 = 8;

/// What a typed code came to (9.6's `result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeResult {
    /// Right code: the transaction is `confirmed`.
    Accepted,
    /// Wrong code (or not 8 digits: not counted).
    Rejected,
    /// The transaction was already confirmed.
    Replayed,
    /// The transaction's deadline passed.
    Expired,
    /// The transaction failed (3 wrong codes, or its token was locked or revoked).
    Failed,
    /// The bank cancelled it.
    Cancelled,
    /// The phone approved or rejected it already.
    Decided,
    /// The token is locked (perhaps by this code).
    Locked,
    /// The token is revoked.
    Revoked,
}

impl CodeResult {
    /// The wire name (also the audit outcome).
    pub const fn as_str(self) -> &'static str {
        match self {
            CodeResult::Accepted => "accepted",
            CodeResult::Rejected => "rejected",
            CodeResult::Replayed => "replayed",
            CodeResult::Expired => "expired",
            CodeResult::Failed => "failed",
            CodeResult::Cancelled => "cancelled",
            CodeResult::Decided => "decided",
            CodeResult::Locked => "locked",
            CodeResult::Revoked => "revoked",
        }
    }
}

/// The answer to the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeChecked {
    /// What the code came to.
    pub result: CodeResult,
    /// The transaction's state after the check.
    pub state: TransactionState,
    /// Typed codes the transaction still takes.
    pub attempts_left: u32,
    /// Consecutive wrong codes the token still takes (7.3).
    pub failures_left: u32,
}

/// Checks a typed code, in the order of 9.6, in one write transaction.
pub async fn verify(
    state: &ServerState,
    service: &ServiceCtx,
    transaction_id: &TransactionId,
    otp: &str,
    actor: &str,
) -> Result<CodeChecked, ApiError> {
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
    let mut reply = CodeChecked {
        result: CodeResult::Rejected,
        state: row.state_at(now),
        attempts_left: MAX_CODE_FAILURES.saturating_sub(row.failures),
        failures_left: max_failures.saturating_sub(token.failures),
    };
    let mut changed = Vec::new();

    // 1. The token, then 2. the transaction: refused, nothing counted.
    let token_state = token.state_at(now);
    let refused = match (token_state, reply.state) {
        (TokenState::Revoked, _) => Some(CodeResult::Revoked),
        (token_state, _) if !takes_part(token_state) => Some(CodeResult::Locked),
        (_, TransactionState::Confirmed) => Some(CodeResult::Replayed),
        (_, TransactionState::Expired) => Some(CodeResult::Expired),
        (_, TransactionState::Failed) => Some(CodeResult::Failed),
        (_, TransactionState::Cancelled) => Some(CodeResult::Cancelled),
        (_, TransactionState::Approved | TransactionState::Rejected) => Some(CodeResult::Decided),
        (_, TransactionState::Pending) => None,
    };
    if let Some(result) = refused {
        if result == CodeResult::Expired
            && transactions::finish(&mut tx, &txn.id, TransactionState::Expired, now).await?
        {
            changed.push(txn.id);
        }
        reply.result = result;
    } else if let Ok(typed) = parse_otp(otp, CODE_DIGITS) {
        let keys = keys_of(state, &token)?.ok_or(ApiError::Internal)?;
        if keys
            .verify_online(txn, typed.as_str(), now / 1000, CODE_WINDOW)
            .is_some()
        {
            // 5. Right: exactly once (the guard holds even with several writers).
            if transactions::finish(&mut tx, &txn.id, TransactionState::Confirmed, now).await? {
                tokens::reset_failures(&mut tx, &txn.service_id, &txn.user_id, now).await?;
                reply = CodeChecked {
                    result: CodeResult::Accepted,
                    state: TransactionState::Confirmed,
                    failures_left: max_failures,
                    ..reply
                };
                changed.push(txn.id);
            } else {
                reply.result = CodeResult::Replayed;
            }
        } else {
            // 4. Wrong: one failure for the token and one for the transaction.
            let counted =
                count_token_failure(state, &mut tx, &token, max_failures, now, actor).await?;
            reply.failures_left = max_failures.saturating_sub(counted.failures);
            if counted.locked {
                changed.extend(counted.failed);
                reply.result = CodeResult::Locked;
                reply.state = TransactionState::Failed;
            } else {
                let (failures, after) =
                    transactions::count_failure(&mut tx, &txn.id, MAX_CODE_FAILURES, now).await?;
                reply.attempts_left = MAX_CODE_FAILURES.saturating_sub(failures);
                reply.state = after;
                reply.result = if after == TransactionState::Failed {
                    changed.push(txn.id);
                    CodeResult::Failed
                } else {
                    CodeResult::Rejected
                };
            }
        }
    }
    // (3. Not 8 digits: `rejected`, not counted — the reply as initialised.)
    let outcome = reply.result.as_str();
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
