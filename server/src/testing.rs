//! For tests and benchmarks only, behind the `testing` cargo feature (off by default; the
//! server's own tests and benchmarks turn it on through a dev-dependency on this crate, so
//! `cargo build --release` and the CLI never carry it).
//!
//! [`create_active_tokens`] puts many activated tokens straight into the database, as if each
//! had been issued and activated on a phone, without OPAQUE (no Argon2id, no handshake). The
//! rows are what activation leaves behind, sealed under the KEK exactly as activation seals them
//! (seed under [`Purpose::Seed`] bound to `service_id ‖ user_id`), except that:
//!
//! - the state is already `active` (as after the first accepted code), and
//! - the OPAQUE password file is a random placeholder sealed under [`Purpose::PasswordFile`]:
//!   verification never opens it, but an activation attempt on such a token would fail.
//!
//! [`create_pending_transactions`] registers one pending transfer for each of such tokens in one
//! write transaction, as the bank's registration would have (the transaction benchmark's input).

use std::collections::HashSet;

use rand_core::{OsRng, RngCore};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    transaction::{
        AccountNumber, AccountType, Amount, BankCode, BranchCode, HolderName, Payee, Transaction,
        TransactionError, TransactionId, TransactionState,
    },
    wire::TokenState,
};

use crate::{
    ids::random_user_id,
    secrets::{
        kek::{KekError, Purpose},
        token_context,
    },
    state::ServerState,
    storage::{
        Connection,
        audit::{self, AuditEvent},
        services,
        tokens::{self, TokenRow},
        transactions::{self as stored_transactions, TransactionRow},
    },
};

/// Length of the random TOTP seeds made here (what activation derives for SHA-1 tokens).
pub const SEED_LEN: usize = 20;

/// Size of the placeholder password file: that of a real OPAQUE registration record.
const PASSWORD_FILE_LEN: usize = 192;

/// Why creating tokens failed.
#[derive(Debug, thiserror::Error)]
pub enum TestingError {
    /// The service does not exist.
    #[error("no service {0}")]
    NoService(ServiceId),
    /// Sealing under the KEK failed.
    #[error("key encryption: {0}")]
    Kek(#[from] KekError),
    /// Database failure (e.g. a duplicate User ID).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A transaction value was refused (a bug in this module's fixed payee).
    #[error("transaction: {0}")]
    Transaction(#[from] TransactionError),
}

/// Inserts `count` tokens of `service_id` in state `active`, each with a fresh random
/// [`SEED_LEN`]-byte seed and a unique random User ID, in one transaction (multi-row
/// `INSERT`s). Returns each token's User ID with its plaintext seed, which is what the phone
/// would hold (feed it to `Totp::new` with the service's token parameters), in random order.
pub async fn create_active_tokens(
    state: &ServerState,
    service_id: &ServiceId,
    count: usize,
) -> Result<Vec<(UserId, Vec<u8>)>, TestingError> {
    let service = {
        let mut conn = state.db.read().await?;
        services::get(&mut conn, service_id)
            .await?
            .ok_or(TestingError::NoService(*service_id))?
    };
    let now = state.now_ms();
    let expires_at_ms = now.saturating_add(service.rules.token_ttl_secs.saturating_mul(1000));

    let mut seen = HashSet::with_capacity(count);
    let mut rows = Vec::with_capacity(count);
    let mut seeds = Vec::with_capacity(count);
    while rows.len() < count {
        let user_id = random_user_id();
        if !seen.insert(user_id) {
            continue;
        }
        let context = token_context(service_id, &user_id);
        let mut seed = vec![0u8; SEED_LEN];
        OsRng.fill_bytes(&mut seed);
        let mut placeholder = [0u8; PASSWORD_FILE_LEN];
        OsRng.fill_bytes(&mut placeholder);
        let customer_ref = format!("bench-{user_id}");
        rows.push(TokenRow {
            service_id: *service_id,
            user_id,
            email: format!("{customer_ref}@bench.invalid"),
            customer_ref,
            label: None,
            state: TokenState::Active,
            params: service.rules.params,
            password_file: state
                .keys
                .seal(Purpose::PasswordFile, &context, &placeholder)?,
            seed: Some(state.keys.seal(Purpose::Seed, &context, &seed)?),
            seed_generation: 1,
            activation_attempts: 0,
            failures: 0,
            last_step: None,
            issued_at_ms: now,
            expires_at_ms,
            activated_at_ms: Some(now),
            confirmed_at_ms: Some(now),
            revoked_at_ms: None,
            last_used_at_ms: None,
            device_json: Some(r#"{"platform":"bench","model":null,"app_version":null}"#.into()),
            replaced_at_ms: None,
            replaced_by: None,
        });
        seeds.push((user_id, seed));
    }

    // Inserted in key order (a B-tree append, many times faster than random inserts), handed
    // out in random order (so the benchmark touches the table as real traffic would).
    rows.sort_unstable_by_key(|row| row.user_id);
    let mut tx = state.db.write().await?;
    tx.begin().await?;
    tokens::insert_active(&mut tx, &rows).await?;
    record_bench(
        &mut tx,
        now,
        service_id,
        "bench_tokens",
        &format!("{count} active tokens created for a benchmark"),
    )
    .await?;
    tx.commit().await?;

    shuffle(&mut seeds);
    Ok(seeds)
}

/// Registers one pending transfer of `yen` for each of `user_ids` (tokens of `service_id`, e.g.
/// from [`create_active_tokens`]), alive for `lifetime_s` from now, in one write transaction:
/// the rows [`crate::rules::transactions::register`] writes (one audit record for the batch),
/// without the per-request checks (the tokens are known to be active, with nothing pending).
/// The payee is fixed; the ids are fresh. Returns the transactions in `user_ids`' order.
pub async fn create_pending_transactions(
    state: &ServerState,
    service_id: &ServiceId,
    user_ids: &[UserId],
    yen: u64,
    lifetime_s: u32,
) -> Result<Vec<Transaction>, TestingError> {
    let payee = Payee {
        bank_code: BankCode::parse("0001")?,
        branch_code: BranchCode::parse("101")?,
        account_type: AccountType::Ordinary,
        account_number: AccountNumber::parse("1234567")?,
        name: HolderName::parse("ヤマダ タロウ")?,
    };
    let amount = Amount::jpy(yen)?;
    let now = state.now_ms();
    let expires_at_ms = now.saturating_add(u64::from(lifetime_s) * 1000);
    let mut created = Vec::with_capacity(user_ids.len());
    let mut tx = state.db.write().await?;
    tx.begin().await?;
    for user_id in user_ids {
        let row = TransactionRow {
            transaction: Transaction {
                id: TransactionId::generate()?,
                service_id: *service_id,
                user_id: *user_id,
                payee: payee.clone(),
                amount,
                reference: None,
                expires_at_ms,
            },
            state: TransactionState::Pending,
            created_at_ms: now,
            decided_at_ms: None,
            failures: 0,
        };
        stored_transactions::insert(&mut tx, &row).await?;
        created.push(row.transaction);
    }
    record_bench(
        &mut tx,
        now,
        service_id,
        "bench_transactions",
        &format!(
            "{} pending transactions registered for a benchmark",
            user_ids.len()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// The one audit record a bulk insert of this module leaves: what it made, for which service.
async fn record_bench(
    tx: &mut impl Connection,
    now: u64,
    service_id: &ServiceId,
    event: &'static str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    audit::record(
        tx,
        now,
        AuditEvent {
            service_id: Some(*service_id),
            user_id: None,
            event,
            outcome: "ok",
            actor: "bench",
            detail: Some(detail),
        },
    )
    .await
}

/// Fisher–Yates with the OS generator (the modulo bias is irrelevant for an access order).
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let bound = u64::try_from(i + 1).unwrap_or(u64::MAX);
        let j = usize::try_from(OsRng.next_u64() % bound).unwrap_or(i);
        items.swap(i, j);
    }
}
