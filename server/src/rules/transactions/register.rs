//! `POST /v1/services/{service_id}/tokens/{user_id}/transactions`: the bank registers a
//! transfer for the token to authenticate (9.6).

use softtoken_protocol::{
    ids::UserId,
    transaction::{Amount, Payee, Reference, Transaction, TransactionId, TransactionState},
};

use super::{record, takes_part};
use crate::{
    config::MIN_TRANSACTION_LIFETIME_S,
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{
        tokens,
        transactions::{self, TransactionRow},
    },
};

/// A registration, its values validated and canonical (the HTTP layer converts the wire
/// message, so a bad field is refused before anything is read).
#[derive(Debug, Clone)]
pub struct Registration {
    /// Where the money goes.
    pub payee: Payee,
    /// How much.
    pub amount: Amount,
    /// The bank's text for its customer.
    pub reference: Option<Reference>,
    /// The lifetime asked for, seconds (default: the configured one).
    pub lifetime_s: Option<u32>,
}

/// Registers a transfer for an `active` token, at most the configured number pending per token.
/// Returns the stored row (the reply is built from it).
pub async fn register(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    registration: Registration,
    actor: &str,
) -> Result<TransactionRow, ApiError> {
    let config = state.transactions;
    let lifetime_s = registration.lifetime_s.unwrap_or(config.default_lifetime_s);
    if !(MIN_TRANSACTION_LIFETIME_S..=config.max_lifetime_s).contains(&lifetime_s) {
        return Err(ApiError::BadRequest(format!(
            "lifetime_s must be between {MIN_TRANSACTION_LIFETIME_S} and {}",
            config.max_lifetime_s
        )));
    }
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
        transaction: Transaction {
            id,
            service_id,
            user_id: *user_id,
            payee: registration.payee,
            amount: registration.amount,
            reference: registration.reference,
            expires_at_ms: now.saturating_add(u64::from(lifetime_s) * 1000),
        },
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
