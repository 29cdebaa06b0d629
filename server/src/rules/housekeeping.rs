//! The provider's periodic housekeeping (once a minute, `server.rs`): what no request writes.
//!
//! - expired activations are deleted (they are refused anyway; this bounds the table);
//! - pending transactions past their deadline get `expired` written, and their long polls are
//!   woken (the rules already read such a row as expired; this makes the table say so);
//! - transactions created more than `[transactions] retention_days` ago are deleted: their
//!   payee, amount and reference are the customer's data (`docs/protocol.md` §9.7);
//! - used offline challenges older than [`USED_CHALLENGE_KEEP_MS`] are deleted.

use crate::{
    error::ApiError,
    state::ServerState,
    storage::{activations, transactions, used_challenges},
};

/// How long a used offline challenge is remembered. A code of step `s` (one minute) verifies
/// only while the provider's step is at most `s + 1` (9.3), so after two minutes no code of it
/// verifies again; ten leaves room for a provider clock that was moved back a little.
pub const USED_CHALLENGE_KEEP_MS: u64 = 10 * 60 * 1000;

/// What one run removed or wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired activations deleted.
    pub activations: u64,
    /// Pending transactions written `expired`.
    pub expired: usize,
    /// Transactions deleted at the end of their retention.
    pub transactions: u64,
    /// Used offline challenges forgotten.
    pub used_challenges: u64,
}

/// One run, in one database transaction, as of the provider's clock.
pub async fn run(state: &ServerState) -> Result<Swept, ApiError> {
    let now = state.now_ms();
    let mut tx = state.db.write().await?;
    tx.begin().await?;
    let activations = activations::purge_expired(&mut tx, now).await?;
    let expired = transactions::expire_due(&mut tx, now).await?;
    let retained_from = now.saturating_sub(state.transactions.retention_ms());
    let purged = transactions::purge_created_before(&mut tx, retained_from).await?;
    let used =
        used_challenges::purge_before(&mut tx, now.saturating_sub(USED_CHALLENGE_KEEP_MS)).await?;
    tx.commit().await?;
    for id in &expired {
        state.transaction_changes.notify(id);
    }
    Ok(Swept {
        activations,
        expired: expired.len(),
        transactions: purged,
        used_challenges: used,
    })
}
