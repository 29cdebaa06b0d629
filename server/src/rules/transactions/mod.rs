//! Transaction authentication (取引認証, `docs/protocol.md` §9): the bank registers a transfer,
//! the phone lists and decides it or shows a code bound to it, the bank reads the outcome or
//! has a typed code verified; and offline codes bound to a typed account number.
//!
//! | module | rule |
//! |---|---|
//! | [`register`] | the bank registers a transfer (9.6) |
//! | [`device`] | the phone's pending list and its one-tap decision (9.5) |
//! | [`typed_code`] | the bank verifies a typed transaction code (9.6) |
//! | [`outcome`] | the bank reads a transaction (long poll) or cancels it (9.6) |
//! | [`offline`] | the bank verifies an offline challenge code (9.6) |
//!
//! Here: what they share. Transaction details never reach a log; audit records name the
//! transaction by its id (in `detail`) and nothing of its payee, amount or reference.

pub mod device;
pub mod offline;
pub mod outcome;
pub mod register;
pub mod typed_code;

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    secret::Seed,
    transaction::{TransactionId, TransactionKeys},
    wire::TokenState,
};

use crate::{
    error::ApiError,
    state::ServerState,
    storage::{
        WriteTx,
        audit::{self, AuditEvent},
        tokens::TokenRow,
        transactions,
    },
};

/// The token's transaction keys (9.1), from its sealed seed. `None` if it has no seed.
fn keys_of(state: &ServerState, token: &TokenRow) -> Result<Option<TransactionKeys>, ApiError> {
    Ok(state
        .open_seed(token)?
        .map(|seed| keys_from_seed(&Seed::from_slice(&seed), token)))
}

/// The token's transaction keys (9.1) from its opened seed.
fn keys_from_seed(seed: &Seed, token: &TokenRow) -> TransactionKeys {
    TransactionKeys::derive(
        seed,
        token.params.algorithm(),
        &token.service_id,
        &token.user_id,
    )
}

/// An audit record about one transaction: its id in `detail`, nothing of its content.
fn audit_transaction<'a>(
    service_id: ServiceId,
    user_id: UserId,
    id: &'a TransactionId,
    event: &'a str,
    outcome: &'a str,
    actor: &'a str,
) -> AuditEvent<'a> {
    AuditEvent::token(service_id, user_id, event, outcome, actor).with_detail(id.as_str())
}

/// Records a transaction event in `tx`.
async fn record(
    tx: &mut WriteTx,
    now: u64,
    (service_id, user_id): (ServiceId, UserId),
    id: &TransactionId,
    event: &str,
    outcome: &str,
    actor: &str,
) -> Result<(), ApiError> {
    let record = audit_transaction(service_id, user_id, id, event, outcome, actor);
    audit::record(tx, now, record).await?;
    Ok(())
}

/// A token was just locked or revoked in `tx`: its pending transactions fail in the same
/// database transaction (9.7), each audited. Returns their ids, to wake their long polls once
/// `tx` commits ([`wake`]).
pub async fn fail_pending_of_locked_token(
    tx: &mut WriteTx,
    service_id: ServiceId,
    user_id: UserId,
    now: u64,
    actor: &str,
) -> Result<Vec<TransactionId>, ApiError> {
    let failed = transactions::fail_pending_of_token(tx, &service_id, &user_id, now).await?;
    for id in &failed {
        let reason = "token_locked_or_revoked";
        record(
            tx,
            now,
            (service_id, user_id),
            id,
            "transaction_failed",
            reason,
            actor,
        )
        .await?;
    }
    Ok(failed)
}

/// Wakes the long polls of transactions whose state a committed write changed.
pub fn wake(state: &ServerState, changed: &[TransactionId]) {
    for id in changed {
        state.transaction_changes.notify(id);
    }
}

/// Whether a token in `token_state` takes part in transactions (9: only `active` ones).
fn takes_part(token_state: TokenState) -> bool {
    token_state == TokenState::Active
}

/// What counting one wrong code against a token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFailure {
    /// Consecutive failures now.
    pub failures: u32,
    /// Whether this one locked the token.
    pub locked: bool,
    /// Transactions the lock failed (wake them once committed).
    pub failed: Vec<TransactionId>,
}

/// Counts a wrong code (login, transaction or offline) against the token in `tx` (7.3's
/// counter). If that locks the token, its pending transactions fail in the same write and the
/// lockout is audited.
pub async fn count_token_failure(
    state: &ServerState,
    tx: &mut WriteTx,
    token: &TokenRow,
    max_failures: u32,
    now: u64,
    actor: &str,
) -> Result<TokenFailure, ApiError> {
    let (service_id, user_id) = (token.service_id, token.user_id);
    let failures =
        crate::storage::tokens::count_failure(tx, &service_id, &user_id, max_failures).await?;
    if failures < max_failures {
        return Ok(TokenFailure {
            failures,
            locked: false,
            failed: Vec::new(),
        });
    }
    let lockout = AuditEvent::token(service_id, user_id, "lockout", "locked", actor);
    audit::record(tx, now, lockout).await?;
    let failed = fail_pending_of_locked_token(tx, service_id, user_id, now, actor).await?;
    // The login fast path must not answer from the row it cached before the lock.
    state.forget_token(&service_id, &user_id);
    Ok(TokenFailure {
        failures,
        locked: true,
        failed,
    })
}
