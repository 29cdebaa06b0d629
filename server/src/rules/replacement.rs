//! A phone change without a gap (`docs/protocol.md` §7.5, "Phone change"): the 認証確認 of a
//! customer's new token retires the token it replaces, in the same write transaction.
//!
//! Re-issuing for a customer whose token is in use leaves that token working; the new token's
//! first accepted code (pending_confirmation → active) then makes every other token of the
//! customer in use (`active` or `locked`) final `replaced`, fails their pending transactions as a
//! revocation does, and audits it. Two rules keep one customer at one code per TOTP step across
//! the switch:
//!
//! - the confirmation refuses (as `replayed`) a step at or below the last step a retiring token
//!   accepted, so the user types the next code;
//! - the retired tokens' accepts require the row still be as seen (the batcher's compare-and-set
//!   on `state`), and the full check reads the state inside the write transaction, so a code of
//!   the old token that loses the race is refused.
//!
//! Confirmations never take the verification fast path (`verification::accept_fast`), so this
//! runs on the writing connection, serialised with every other write (batches included).

use softtoken_protocol::ids::{ServiceId, UserId};
use softtoken_protocol::transaction::TransactionId;

use super::transactions;
use crate::{
    error::ApiError,
    state::ServerState,
    storage::{
        WriteTx,
        audit::{self, AuditEvent},
        tokens::{self, TokenRow},
    },
};

/// What a confirmation at a step finds among the tokens it would retire.
pub enum Predecessors {
    /// None of them accepted this step or a later one: the confirmation may go ahead (and
    /// retires these, possibly none).
    Clear(Vec<TokenRow>),
    /// A token it would retire already accepted this step or a later one: the confirmation is
    /// answered `replayed` (one code per customer per step).
    StepUsed,
}

/// The tokens the confirmation of `token` at `step` retires, read in the write transaction
/// `tx` (begun by `tokens::begin_and_get`).
pub async fn predecessors(
    tx: &mut WriteTx,
    token: &TokenRow,
    step: u64,
) -> Result<Predecessors, ApiError> {
    let in_use =
        tokens::in_use_of_customer(tx, &token.service_id, &token.customer_ref, &token.user_id)
            .await?;
    if in_use
        .iter()
        .any(|old| old.last_step.is_some_and(|last| last >= step))
    {
        return Ok(Predecessors::StepUsed);
    }
    Ok(Predecessors::Clear(in_use))
}

/// Retires `old` in `tx`: state `replaced` by `new` at `now`, pending transactions failed, an
/// audit record (`replace`, `ok`). Returns the failed transactions, to [`finish`] after the
/// commit.
pub async fn retire(
    tx: &mut WriteTx,
    old: &[TokenRow],
    new: &UserId,
    now: u64,
    actor: &str,
) -> Result<Vec<TransactionId>, ApiError> {
    let mut failed = Vec::new();
    for token in old {
        tokens::set_replaced(tx, &token.service_id, &token.user_id, new, now).await?;
        failed.extend(
            transactions::fail_pending_of_locked_token(
                tx,
                token.service_id,
                token.user_id,
                now,
                actor,
            )
            .await?,
        );
        let detail = format!("replaced by {new} at its 認証確認");
        audit::record(
            tx,
            now,
            AuditEvent::token(token.service_id, token.user_id, "replace", "ok", actor)
                .with_detail(&detail),
        )
        .await?;
    }
    Ok(failed)
}

/// After the commit: the retired tokens leave the fast path's cache (their next code takes the
/// full check, which refuses it; the compare-and-set would refuse it anyway) and the failed
/// transactions' waiters wake.
pub fn finish(
    state: &ServerState,
    service_id: &ServiceId,
    old: &[TokenRow],
    failed: &[TransactionId],
) {
    for token in old {
        state.forget_token(service_id, &token.user_id);
    }
    transactions::wake(state, failed);
}
