//! The bank's view of a transaction (9.6): read it, perhaps waiting for its outcome (long
//! poll), or cancel it.

use std::time::{Duration, Instant};

use softtoken_protocol::{
    transaction::{TransactionId, TransactionState},
    wire::MAX_WAIT_S,
};

use super::{record, wake};
use crate::{
    error::ApiError,
    notify::RECHECK,
    state::{ServerState, ServiceCtx},
    storage::{
        retry,
        transactions::{self, TransactionRow},
    },
};

/// `GET …/transactions/{id}?wait_s=N`: the transaction as of now, or, while it is pending, as
/// soon as its state changes or `wait_s` passes. Woken in process when this provider changes it;
/// re-read at least every [`RECHECK`] for a change made elsewhere or an expiry nobody wrote.
pub async fn read(
    state: &ServerState,
    service: &ServiceCtx,
    id: &TransactionId,
    wait_s: u64,
) -> Result<TransactionRow, ApiError> {
    if wait_s > u64::from(MAX_WAIT_S) {
        return Err(ApiError::BadRequest(format!(
            "wait_s must be between 0 and {MAX_WAIT_S}"
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(wait_s);
    // Subscribed before the first read, so a change between the read and the wait is not lost.
    let mut changes = state.transaction_changes.subscribe(id);
    loop {
        let row = {
            let mut conn = state.db.read().await?;
            transactions::get(&mut conn, id).await?
        }
        .filter(|row| row.transaction.service_id == service.row.service_id)
        .ok_or(ApiError::NotFound("transaction"))?;
        let left = deadline.saturating_duration_since(Instant::now());
        if row.state_at(state.now_ms()) != TransactionState::Pending || left.is_zero() {
            return Ok(row);
        }
        changes.changed(left.min(RECHECK)).await;
    }
}

/// `POST …/transactions/{id}/cancel`: only a pending transaction; else `409 conflict`.
pub async fn cancel(
    state: &ServerState,
    service: &ServiceCtx,
    id: &TransactionId,
    actor: &str,
) -> Result<TransactionRow, ApiError> {
    // One transaction; run again if PostgreSQL aborted it in a conflict (storage::retry).
    retry::on_conflict(|| cancel_once(state, service, id, actor)).await
}

/// One run of [`cancel`].
async fn cancel_once(
    state: &ServerState,
    service: &ServiceCtx,
    id: &TransactionId,
    actor: &str,
) -> Result<TransactionRow, ApiError> {
    let now = state.now_ms();
    let mut tx = state.db.write().await?;
    let mut row = transactions::begin_and_get(&mut tx, id)
        .await?
        .filter(|row| row.transaction.service_id == service.row.service_id)
        .ok_or(ApiError::NotFound("transaction"))?;
    if row.state_at(now) != TransactionState::Pending
        || !transactions::finish(&mut tx, id, TransactionState::Cancelled, now).await?
    {
        return Err(ApiError::Conflict(
            "only a pending transaction can be cancelled",
        ));
    }
    let ids = (row.transaction.service_id, row.transaction.user_id);
    record(&mut tx, now, ids, id, "transaction_cancel", "ok", actor).await?;
    tx.commit().await?;
    wake(state, &[*id]);
    row.state = TransactionState::Cancelled;
    row.decided_at_ms = Some(now);
    Ok(row)
}
