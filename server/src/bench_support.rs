//! Benchmark support: puts many activated tokens straight into the database, as if each had been
//! issued and activated on a phone, without OPAQUE (no Argon2id, no handshake).
//!
//! **For benchmarks only** (`server/benches/verify_load.rs`); the server never calls it. The rows
//! are what activation leaves behind, sealed under the KEK exactly as activation seals them
//! (seed under [`Purpose::Seed`](crate::kek::Purpose::Seed) bound to `service_id ‖ user_id`), except that:
//!
//! - the state is already `active` (as after the first accepted code), and
//! - the OPAQUE password file is a random placeholder sealed under [`Purpose::PasswordFile`](crate::kek::Purpose::PasswordFile):
//!   verification never opens it, but an activation attempt on such a token would fail.
//!
//! The SQL lives here rather than in [`crate::store`] because no provider rule runs it.

use rand_core::{OsRng, RngCore};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    wire::TokenState,
};
use sqlx::{QueryBuilder, Sqlite};
use std::collections::HashSet;

use crate::{
    app::{App, token_context},
    kek::{KekError, Purpose},
    store::{self, to_i64},
};

/// Length of the random TOTP seeds made here (what activation derives for SHA-1 tokens).
pub const SEED_LEN: usize = 20;

/// Rows per multi-row `INSERT` (18 bound values per row: 9 000 per statement, well under SQLite's 32 766).
const ROWS_PER_INSERT: usize = 500;

/// Why creating benchmark tokens failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchSupportError {
    /// The service does not exist.
    #[error("no service {0}")]
    NoService(String),
    /// The service's stored token parameters are unusable.
    #[error("service {0} has invalid token parameters")]
    BadService(String),
    /// Sealing under the KEK failed.
    #[error("key encryption: {0}")]
    Kek(#[from] KekError),
    /// Database failure (e.g. a duplicate User ID).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One token to insert, already sealed.
struct NewToken {
    user_id: UserId,
    seed: Vec<u8>,
    sealed_seed: Vec<u8>,
    seed_kek_version: i64,
    password_file: Vec<u8>,
    password_file_kek_version: i64,
}

/// Inserts `count` tokens of `service_id` in state `active`, each with a fresh random
/// [`SEED_LEN`]-byte seed and a unique random User ID, in one transaction on the writer
/// (multi-row `INSERT`s). Returns each token's User ID with its plaintext seed, which is what the
/// phone would hold (feed it to `Totp::new` with the service's token parameters), in random
/// order.
///
/// For benchmarks only; see the module documentation.
pub async fn create_active_tokens(
    app: &App,
    service_id: &ServiceId,
    count: usize,
) -> Result<Vec<(UserId, Vec<u8>)>, BenchSupportError> {
    let service = {
        let mut conn = app.db.reader.acquire().await?;
        store::service(&mut conn, service_id)
            .await?
            .ok_or_else(|| BenchSupportError::NoService(service_id.to_string()))?
    };
    let params = service
        .params()
        .ok_or_else(|| BenchSupportError::BadService(service_id.to_string()))?;
    let sid = service_id.as_str();

    let mut seen = HashSet::with_capacity(count);
    let mut tokens = Vec::with_capacity(count);
    while tokens.len() < count {
        let user_id = UserId::from_body_digits(crate::provider::issuance::random_digits());
        if !seen.insert(user_id) {
            continue;
        }
        let context = token_context(sid, user_id.as_str());
        let mut seed = vec![0u8; SEED_LEN];
        OsRng.fill_bytes(&mut seed);
        let sealed_seed = app.keys.seal(Purpose::Seed, &context, &seed)?;
        // A placeholder the size of a real OPAQUE registration record; never opened here.
        let mut placeholder = [0u8; 192];
        OsRng.fill_bytes(&mut placeholder);
        let password_file = app
            .keys
            .seal(Purpose::PasswordFile, &context, &placeholder)?;
        tokens.push(NewToken {
            user_id,
            seed,
            sealed_seed: sealed_seed.blob,
            seed_kek_version: i64::from(sealed_seed.kek_version),
            password_file: password_file.blob,
            password_file_kek_version: i64::from(password_file.kek_version),
        });
    }

    // Inserted in key order (a B-tree append, many times faster than random inserts), handed
    // out in random order (so the benchmark touches the table as real traffic would).
    tokens.sort_unstable_by(|a, b| a.user_id.as_str().cmp(b.user_id.as_str()));

    let now = to_i64(app.now_ms());
    let expires = now.saturating_add(service.token_ttl_secs.saturating_mul(1000));
    let algorithm = params.algorithm().as_str();
    let (digits, period) = (i64::from(params.digits()), i64::from(params.period()));
    let device_json = r#"{"platform":"bench","model":null,"app_version":null}"#;

    let mut tx = app.db.writer.begin().await?;
    for chunk in tokens.chunks(ROWS_PER_INSERT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO tokens (service_id, user_id, customer_ref, email, state, algorithm,
                 digits, period, password_file, password_file_kek_version, seed,
                 seed_kek_version, seed_generation, issued_at_ms, expires_at_ms,
                 activated_at_ms, confirmed_at_ms, device_json) ",
        );
        insert.push_values(chunk, |mut row, token| {
            let customer = format!("bench-{}", token.user_id.as_str());
            row.push_bind(sid)
                .push_bind(token.user_id.as_str().to_owned())
                .push_bind(customer.clone())
                .push_bind(format!("{customer}@bench.invalid"))
                .push_bind(TokenState::Active.as_str())
                .push_bind(algorithm)
                .push_bind(digits)
                .push_bind(period)
                .push_bind(token.password_file.clone())
                .push_bind(token.password_file_kek_version)
                .push_bind(token.sealed_seed.clone())
                .push_bind(token.seed_kek_version)
                .push_bind(1_i64)
                .push_bind(now)
                .push_bind(expires)
                .push_bind(now)
                .push_bind(now)
                .push_bind(device_json);
        });
        insert.build().execute(&mut *tx).await?;
    }
    store::audit(
        &mut tx,
        app.now_ms(),
        store::AuditEvent {
            service_id: Some(sid),
            user_id: None,
            event: "bench_tokens",
            outcome: "ok",
            actor: "bench",
            detail: Some(&format!("{count} active tokens created for a benchmark")),
        },
    )
    .await?;
    tx.commit().await?;

    let mut created: Vec<(UserId, Vec<u8>)> = tokens
        .into_iter()
        .map(|token| (token.user_id, token.seed))
        .collect();
    shuffle(&mut created);
    Ok(created)
}

/// Fisher–Yates with the OS generator (the modulo bias is irrelevant for an access order).
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let bound = u64::try_from(i + 1).unwrap_or(u64::MAX);
        let j = usize::try_from(OsRng.next_u64() % bound).unwrap_or(i);
        items.swap(i, j);
    }
}
