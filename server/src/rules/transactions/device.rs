//! The phone's side (9.5): its token's pending transactions, proven by a key derived from the
//! seed and answered under a MAC, and its one-tap decision (署名値).

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    transaction::{Decision, MAC_LEN, Transaction, TransactionId, TransactionState},
    wire::{TokenState, TransactionListResponse},
};

use super::{keys_of, record, takes_part, wake};
use crate::{
    error::ApiError,
    state::ServerState,
    storage::{retry, tokens, transactions},
};

/// A list request, its proof not yet checked.
#[derive(Debug, Clone)]
pub struct ListRequest<'a> {
    /// The token's service.
    pub service_id: ServiceId,
    /// The token.
    pub user_id: UserId,
    /// The phone's nonce (16 bytes).
    pub nonce: &'a [u8],
    /// The phone's clock, covered by the proof.
    pub time_ms: u64,
    /// `HMAC(list_key, …)` (9.5).
    pub proof: &'a [u8],
}

/// `POST /v1/tokens/transactions`: `proof_denied` for an unknown token, a token without a seed
/// or a wrong proof, indistinguishably (as the status call).
pub async fn pending(
    state: &ServerState,
    request: ListRequest<'_>,
) -> Result<TransactionListResponse, ApiError> {
    let mut conn = state.db.read().await?;
    let Some(token) = tokens::get(&mut conn, &request.service_id, &request.user_id).await? else {
        return Err(ApiError::ProofDenied);
    };
    let Some(keys) = keys_of(state, &token)? else {
        return Err(ApiError::ProofDenied);
    };
    if !keys.verify_list_request(request.nonce, request.time_ms, request.proof) {
        return Err(ApiError::ProofDenied);
    }
    let now = state.now_ms();
    let token_state = token.state_at(now);
    let transactions: Vec<Transaction> = if takes_part(token_state) {
        let limit = state.transactions.max_pending_per_token;
        transactions::pending_of_token(&mut conn, &token.service_id, &token.user_id, now, limit)
            .await?
            .into_iter()
            .map(|row| row.transaction)
            .collect()
    } else {
        Vec::new()
    };
    drop(conn);
    Ok(TransactionListResponse::new(
        &keys,
        request.nonce,
        token_state,
        now,
        &transactions,
    ))
}

/// A decision, its MAC not yet checked.
#[derive(Debug, Clone)]
pub struct DecisionRequest<'a> {
    /// The token's service.
    pub service_id: ServiceId,
    /// The token.
    pub user_id: UserId,
    /// The transaction decided.
    pub transaction_id: TransactionId,
    /// Approve or reject.
    pub decision: Decision,
    /// `decision_mac` (9.4).
    pub mac: &'a [u8],
}

/// The decision as taken.
#[derive(Debug, Clone)]
pub struct DecisionTaken {
    /// The transaction.
    pub transaction_id: TransactionId,
    /// `approved` or `rejected`.
    pub state: TransactionState,
    /// The provider's clock, covered by the MAC.
    pub server_time_ms: u64,
    /// `result_mac` (9.4).
    pub mac: [u8; MAC_LEN],
}

/// `POST /v1/transactions/decision`, its checks in the order of 9.5; the transition is
/// exactly-once (of concurrent decisions one wins, the others get `transaction_decided`).
pub async fn decide(
    state: &ServerState,
    request: DecisionRequest<'_>,
    actor: &str,
) -> Result<DecisionTaken, ApiError> {
    // One transaction; run again if PostgreSQL aborted it in a conflict (storage::retry).
    retry::on_conflict(|| decide_once(state, request.clone(), actor)).await
}

/// One run of [`decide`].
async fn decide_once(
    state: &ServerState,
    request: DecisionRequest<'_>,
    actor: &str,
) -> Result<DecisionTaken, ApiError> {
    let (service_id, user_id) = (request.service_id, request.user_id);
    let now = state.now_ms();
    let mut tx = state.db.write().await?;
    let not_found = ApiError::NotFound("transaction");
    let Some(token) = tokens::begin_and_get(&mut tx, &service_id, &user_id).await? else {
        return Err(not_found);
    };
    let Some(row) = transactions::get(&mut tx, &request.transaction_id).await? else {
        return Err(not_found);
    };
    let txn = &row.transaction;
    if txn.service_id != service_id || txn.user_id != user_id {
        return Err(not_found);
    }
    let Some(keys) = keys_of(state, &token)? else {
        return Err(ApiError::ProofDenied);
    };
    let digest = txn.digest();
    let id = &txn.id;
    let ids = (service_id, user_id);
    if !keys.verify_decision(request.decision, &digest, request.mac) {
        record(
            &mut tx,
            now,
            ids,
            id,
            "transaction_decision",
            "proof_denied",
            actor,
        )
        .await?;
        tx.commit().await?;
        return Err(ApiError::ProofDenied);
    }
    let refusal = match (token.state_at(now), row.state_at(now)) {
        (TokenState::Revoked, _) => Some(ApiError::TokenRevoked),
        (TokenState::Replaced, _) => Some(ApiError::TokenReplaced),
        (token_state, _) if !takes_part(token_state) => Some(ApiError::TokenLocked),
        (_, TransactionState::Expired) => Some(ApiError::TransactionExpired),
        (_, TransactionState::Pending) => None,
        (_, state) => Some(ApiError::TransactionDecided { state }),
    };
    if let Some(refusal) = refusal {
        let mut changed = Vec::new();
        if matches!(refusal, ApiError::TransactionExpired)
            && transactions::finish(&mut tx, id, TransactionState::Expired, now).await?
        {
            changed.push(*id);
        }
        let outcome = refusal_outcome(&refusal);
        record(
            &mut tx,
            now,
            ids,
            id,
            "transaction_decision",
            outcome,
            actor,
        )
        .await?;
        tx.commit().await?;
        wake(state, &changed);
        return Err(refusal);
    }
    let decided = request.decision.resulting_state();
    if !transactions::finish(&mut tx, id, decided, now).await? {
        // The transaction was read pending in this same write transaction: unreachable on one
        // writer; on several (issue 15) another decision won.
        return Err(ApiError::TransactionDecided {
            state: TransactionState::Pending,
        });
    }
    record(
        &mut tx,
        now,
        ids,
        id,
        "transaction_decision",
        decided.as_str(),
        actor,
    )
    .await?;
    tx.commit().await?;
    wake(state, &[*id]);
    Ok(DecisionTaken {
        transaction_id: *id,
        state: decided,
        server_time_ms: now,
        mac: keys.result_mac(&digest, decided, now),
    })
}

/// The audit outcome of a refused decision.
fn refusal_outcome(refusal: &ApiError) -> &'static str {
    match refusal {
        ApiError::TokenRevoked => "token_revoked",
        ApiError::TokenReplaced => "token_replaced",
        ApiError::TokenLocked => "token_locked",
        ApiError::TransactionExpired => "expired",
        _ => "already_decided",
    }
}
