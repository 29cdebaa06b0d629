//! `POST /v1/services/{service_id}/tokens/{user_id}/transactions`: the bank registers a
//! transfer for the token to authenticate (9.6).

use softtoken_protocol::{
    ids::UserId,
    transaction::{TransactionId, TransactionState},
    wire::{MAX_LIFETIME_S, MIN_LIFETIME_S, RegisterTransactionRequest, Registration},
};

use super::{record, takes_part};
use crate::{
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{
        retry, tokens,
        transactions::{self, TransactionRow},
    },
};

/// Validates and canonicalises a registration (the first bad field is named, never its value).
/// A registration without a lifetime gets the configured default; one with a lifetime must stay
/// within the protocol's bounds (`MIN_LIFETIME_S..=MAX_LIFETIME_S`, checked by
/// [`RegisterTransactionRequest::validate`]) and within the configured `max_lifetime_s`, which
/// the configuration keeps inside those bounds.
fn validate(
    state: &ServerState,
    mut request: RegisterTransactionRequest,
) -> Result<Registration, ApiError> {
    let config = state.transactions;
    request.lifetime_s.get_or_insert(config.default_lifetime_s);
    let registration = request.validate()?;
    if registration.lifetime_s > config.max_lifetime_s {
        return Err(ApiError::BadRequest(format!(
            "lifetime_s must be between {MIN_LIFETIME_S} and {} (this provider's limit; the \
             protocol's is {MAX_LIFETIME_S})",
            config.max_lifetime_s
        )));
    }
    Ok(registration)
}

/// Registers a transfer for an `active` token, at most the configured number pending per token.
/// Returns the stored row (the reply is built from it).
pub async fn register(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    request: RegisterTransactionRequest,
    actor: &str,
) -> Result<TransactionRow, ApiError> {
    // One transaction; run again if PostgreSQL aborted it in a conflict (storage::retry).
    retry::on_conflict(|| register_once(state, service, user_id, request.clone(), actor)).await
}

/// One run of [`register`].
async fn register_once(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    request: RegisterTransactionRequest,
    actor: &str,
) -> Result<TransactionRow, ApiError> {
    let registration = validate(state, request)?;
    let config = state.transactions;
    let id = TransactionId::generate()?;
    let service_id = service.row.service_id;
    let now = state.now_ms();
    let mut tx = state.db.write().await?;
    let token = tokens::begin_and_get(&mut tx, &service_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    let token_state = token.state_at(now);
    if !takes_part(token_state) {
        return Err(ApiError::TokenNotActive { state: token_state });
    }
    let pending = transactions::count_pending(&mut tx, &service_id, user_id, now).await?;
    if pending >= config.max_pending_per_token {
        return Err(ApiError::TooManyPending {
            max: config.max_pending_per_token,
        });
    }
    let row = TransactionRow {
        transaction: registration.into_transaction(id, service_id, *user_id, now),
        state: TransactionState::Pending,
        created_at_ms: now,
        decided_at_ms: None,
        failures: 0,
    };
    transactions::insert(&mut tx, &row).await?;
    let ids = (service_id, *user_id);
    record(&mut tx, now, ids, &id, "transaction_register", "ok", actor).await?;
    tx.commit().await?;
    Ok(row)
}
