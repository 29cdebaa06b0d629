//! Every SQL statement the provider runs, as small functions over a connection or transaction.
//! Nothing here decides policy: the rules live in `provider/`.

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    totp::{Algorithm, TokenParams},
    wire::TokenState,
};
use sqlx::{FromRow, SqliteConnection};

use crate::db::WriteTx;

/// Converts a stored unix-ms or step value (SQLite INTEGER is i64) to u64; negatives read as 0.
pub fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Converts a u64 for storage; values beyond i64 saturate (year 292 million).
pub fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Parses a stored state name.
pub fn parse_state(name: &str) -> Option<TokenState> {
    Some(match name {
        "issued" => TokenState::Issued,
        "pending_confirmation" => TokenState::PendingConfirmation,
        "active" => TokenState::Active,
        "locked" => TokenState::Locked,
        "activation_locked" => TokenState::ActivationLocked,
        "revoked" => TokenState::Revoked,
        "expired" => TokenState::Expired,
        _ => return None,
    })
}

fn params_from(algorithm: &str, digits: i64, period: i64) -> Option<TokenParams> {
    let algorithm: Algorithm = algorithm.parse().ok()?;
    TokenParams::new(
        algorithm,
        u8::try_from(digits).ok()?,
        u32::try_from(period).ok()?,
    )
    .ok()
}

// ---------------------------------------------------------------------------------------------
// KEK check

/// The sealed check value, if the database has one.
pub async fn kek_check(conn: &mut SqliteConnection) -> Result<Option<(u32, Vec<u8>)>, sqlx::Error> {
    let row: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT kek_version, sealed FROM kek_check WHERE id = 1")
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(v, s)| (u32::try_from(v).unwrap_or(0), s)))
}

/// Stores (or replaces) the sealed check value.
pub async fn put_kek_check(
    conn: &mut SqliteConnection,
    kek_version: u32,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR REPLACE INTO kek_check (id, kek_version, sealed) VALUES (1, ?, ?)")
        .bind(i64::from(kek_version))
        .bind(sealed)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Services

/// A service (bank) as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ServiceRow {
    /// Service ID.
    pub service_id: String,
    /// Display name.
    pub name: String,
    /// Token algorithm for new tokens.
    pub algorithm: String,
    /// Digits for new tokens.
    pub digits: i64,
    /// Period for new tokens.
    pub period: i64,
    /// Activation attempts before lockout.
    pub max_activation_attempts: i64,
    /// Consecutive wrong codes before lockout.
    pub max_failures: i64,
    /// Lifetime of an issued token until set up.
    pub token_ttl_secs: i64,
    /// Verification window in steps.
    pub verify_window: i64,
    /// Sealed OPAQUE provider setup.
    pub opaque_setup: Vec<u8>,
    /// KEK version of `opaque_setup`.
    pub opaque_setup_kek_version: i64,
    /// Created at.
    pub created_at_ms: i64,
}

impl ServiceRow {
    /// Token parameters for new tokens.
    pub fn params(&self) -> Option<TokenParams> {
        params_from(&self.algorithm, self.digits, self.period)
    }
}

/// Inserts a service.
pub async fn insert_service(
    conn: &mut SqliteConnection,
    row: &ServiceRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO services (service_id, name, algorithm, digits, period,
             max_activation_attempts, max_failures, token_ttl_secs, verify_window,
             opaque_setup, opaque_setup_kek_version, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.service_id)
    .bind(&row.name)
    .bind(&row.algorithm)
    .bind(row.digits)
    .bind(row.period)
    .bind(row.max_activation_attempts)
    .bind(row.max_failures)
    .bind(row.token_ttl_secs)
    .bind(row.verify_window)
    .bind(&row.opaque_setup)
    .bind(row.opaque_setup_kek_version)
    .bind(row.created_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// One service.
pub async fn service(
    conn: &mut SqliteConnection,
    service_id: &ServiceId,
) -> Result<Option<ServiceRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM services WHERE service_id = ?")
        .bind(service_id.as_str())
        .fetch_optional(conn)
        .await
}

/// All services.
pub async fn services(conn: &mut SqliteConnection) -> Result<Vec<ServiceRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM services ORDER BY service_id")
        .fetch_all(conn)
        .await
}

/// Replaces a service's sealed OPAQUE setup (KEK rotation).
pub async fn update_service_setup(
    conn: &mut SqliteConnection,
    service_id: &str,
    sealed: &[u8],
    kek_version: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE services SET opaque_setup = ?, opaque_setup_kek_version = ? WHERE service_id = ?",
    )
    .bind(sealed)
    .bind(i64::from(kek_version))
    .bind(service_id)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// API keys

/// A bank API key as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRow {
    /// Public key id.
    pub key_id: String,
    /// The service it may act for.
    pub service_id: String,
    /// SHA-256 of the secret part.
    pub secret_sha256: Vec<u8>,
    /// Label.
    pub label: Option<String>,
    /// Created at.
    pub created_at_ms: i64,
    /// Revoked at.
    pub revoked_at_ms: Option<i64>,
}

/// Inserts an API key.
pub async fn insert_api_key(
    conn: &mut SqliteConnection,
    row: &ApiKeyRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO api_keys (key_id, service_id, secret_sha256, label, created_at_ms)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&row.key_id)
    .bind(&row.service_id)
    .bind(&row.secret_sha256)
    .bind(&row.label)
    .bind(row.created_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// One API key by id (revoked ones included).
pub async fn api_key(
    conn: &mut SqliteConnection,
    key_id: &str,
) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM api_keys WHERE key_id = ?")
        .bind(key_id)
        .fetch_optional(conn)
        .await
}

/// All API keys.
pub async fn api_keys(conn: &mut SqliteConnection) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM api_keys ORDER BY service_id, created_at_ms")
        .fetch_all(conn)
        .await
}

/// Revokes an API key; returns whether a live key was revoked.
pub async fn revoke_api_key(
    conn: &mut SqliteConnection,
    key_id: &str,
    now_ms: u64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at_ms = ? WHERE key_id = ? AND revoked_at_ms IS NULL",
    )
    .bind(to_i64(now_ms))
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// A token as stored.
#[derive(Debug, Clone, FromRow)]
pub struct TokenRow {
    /// Service ID.
    pub service_id: String,
    /// User ID.
    pub user_id: String,
    /// The bank's customer reference.
    pub customer_ref: String,
    /// Mail address.
    pub email: String,
    /// Label.
    pub label: Option<String>,
    /// State name as stored (see [`TokenRow::stored_state`]).
    pub state: String,
    /// Algorithm.
    pub algorithm: String,
    /// Digits.
    pub digits: i64,
    /// Period.
    pub period: i64,
    /// Sealed OPAQUE password file.
    pub password_file: Vec<u8>,
    /// Its KEK version.
    pub password_file_kek_version: i64,
    /// Sealed seed, once activated.
    pub seed: Option<Vec<u8>>,
    /// Its KEK version.
    pub seed_kek_version: Option<i64>,
    /// Bumped on every seed change.
    pub seed_generation: i64,
    /// Activation attempts counted since the last success.
    pub activation_attempts: i64,
    /// Consecutive wrong codes.
    pub failures: i64,
    /// Last accepted TOTP step.
    pub last_step: Option<i64>,
    /// Issued at.
    pub issued_at_ms: i64,
    /// Setup deadline.
    pub expires_at_ms: i64,
    /// Activated at.
    pub activated_at_ms: Option<i64>,
    /// First code accepted at.
    pub confirmed_at_ms: Option<i64>,
    /// Revoked at.
    pub revoked_at_ms: Option<i64>,
    /// Last accepted code at.
    pub last_used_at_ms: Option<i64>,
    /// Device description (JSON of `DeviceInfo`).
    pub device_json: Option<String>,
}

impl TokenRow {
    /// The stored state (an unknown name, which the schema forbids, reads as revoked: the
    /// safe side).
    pub fn stored_state(&self) -> TokenState {
        parse_state(&self.state).unwrap_or(TokenState::Revoked)
    }

    /// The state as of `now_ms`: an unfinished token past its deadline is expired, whether or
    /// not that has been written yet.
    pub fn state_at(&self, now_ms: u64) -> TokenState {
        let state = self.stored_state();
        let unfinished = matches!(state, TokenState::Issued | TokenState::PendingConfirmation);
        if unfinished && now_ms >= to_u64(self.expires_at_ms) {
            TokenState::Expired
        } else {
            state
        }
    }

    /// Token parameters.
    pub fn params(&self) -> Option<TokenParams> {
        params_from(&self.algorithm, self.digits, self.period)
    }

    /// The identity as parsed IDs (stored values are canonical).
    pub fn ids(&self) -> Option<(ServiceId, UserId)> {
        Some((
            ServiceId::parse(&self.service_id).ok()?,
            UserId::parse(&self.user_id).ok()?,
        ))
    }
}

/// One token.
pub async fn token(
    conn: &mut SqliteConnection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM tokens WHERE service_id = ? AND user_id = ?")
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(conn)
        .await
}

/// Whether a User ID is taken within a service.
pub async fn user_id_exists(
    conn: &mut SqliteConnection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM tokens WHERE service_id = ? AND user_id = ?")
            .bind(service_id.as_str())
            .bind(user_id.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Inserts a freshly issued token.
pub async fn insert_token(conn: &mut SqliteConnection, row: &TokenRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tokens (service_id, user_id, customer_ref, email, label, state, algorithm,
             digits, period, password_file, password_file_kek_version, issued_at_ms, expires_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.service_id)
    .bind(&row.user_id)
    .bind(&row.customer_ref)
    .bind(&row.email)
    .bind(&row.label)
    .bind(&row.state)
    .bind(&row.algorithm)
    .bind(row.digits)
    .bind(row.period)
    .bind(&row.password_file)
    .bind(row.password_file_kek_version)
    .bind(row.issued_at_ms)
    .bind(row.expires_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The customer's tokens that are not yet active (re-issue replaces them).
pub async fn unfinished_tokens_of_customer(
    conn: &mut SqliteConnection,
    service_id: &ServiceId,
    customer_ref: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT user_id FROM tokens WHERE service_id = ? AND customer_ref = ?
             AND state IN ('issued', 'pending_confirmation')",
    )
    .bind(service_id.as_str())
    .bind(customer_ref)
    .fetch_all(conn)
    .await
}

/// Sets a token's state (and, for `revoked`, its revocation time).
pub async fn set_state(
    conn: &mut SqliteConnection,
    service_id: &str,
    user_id: &str,
    state: TokenState,
    now_ms: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tokens SET state = ?,
             revoked_at_ms = CASE WHEN ? = 'revoked' THEN COALESCE(revoked_at_ms, ?) ELSE revoked_at_ms END
         WHERE service_id = ? AND user_id = ?",
    )
    .bind(state.as_str())
    .bind(state.as_str())
    .bind(to_i64(now_ms))
    .bind(service_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts one started activation attempt.
pub async fn count_activation_attempt(
    conn: &mut SqliteConnection,
    service_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tokens SET activation_attempts = activation_attempts + 1 WHERE service_id = ? AND user_id = ?")
        .bind(service_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a newly activated seed: state `pending_confirmation`, counters reset.
pub async fn store_activated_seed(
    conn: &mut SqliteConnection,
    service_id: &str,
    user_id: &str,
    sealed_seed: &[u8],
    kek_version: u32,
    device_json: &str,
    now_ms: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tokens SET state = 'pending_confirmation', seed = ?, seed_kek_version = ?,
             seed_generation = seed_generation + 1, activation_attempts = 0, failures = 0,
             last_step = NULL, activated_at_ms = ?, confirmed_at_ms = NULL, device_json = ?
         WHERE service_id = ? AND user_id = ?",
    )
    .bind(sealed_seed)
    .bind(i64::from(kek_version))
    .bind(to_i64(now_ms))
    .bind(device_json)
    .bind(service_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

// The statements below batch several SQL statements in one query, so that `BEGIN` and
// `COMMIT` cost no round trip of their own to the connection's thread (see `db::WriteTx`). Only
// SQLite's sqlx driver runs several statements in one prepared query, and sqlx has deprecated
// that (launchbadge/sqlx#3108); the verification tests fail if an upgrade stops running them.

/// Begins the write transaction of `tx` (`BEGIN IMMEDIATE`: the write lock is taken at once, so
/// the row cannot change before the transaction's own update) and reads one token in it, in one
/// round trip.
pub async fn begin_and_token(
    tx: &mut WriteTx,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<Option<TokenRow>, sqlx::Error> {
    tx.opening();
    sqlx::query_as("BEGIN IMMEDIATE; SELECT * FROM tokens WHERE service_id = ? AND user_id = ?")
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(tx.conn())
        .await
}

/// Records an accepted code at a step, atomically with the replay check (the update applies only
/// if no step at or after it was accepted: last step, failures reset, `pending_confirmation` →
/// `active`), then [`audit`] with `audit.outcome` if the step was accepted or
/// `replayed_outcome` if not, then `COMMIT`, in one round trip. Returns whether the step was
/// accepted.
pub async fn accept_step_audit_commit(
    tx: &mut WriteTx,
    service_id: &str,
    user_id: &str,
    step: u64,
    now_ms: u64,
    audit: AuditEvent<'_>,
    replayed_outcome: &str,
) -> Result<bool, sqlx::Error> {
    // `changes()` in the INSERT is the row count of the UPDATE just before it.
    let outcomes: Vec<String> = sqlx::query_scalar(
        "UPDATE tokens SET last_step = ?, failures = 0, last_used_at_ms = ?,
             state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
             confirmed_at_ms = COALESCE(confirmed_at_ms, ?)
         WHERE service_id = ? AND user_id = ? AND (last_step IS NULL OR last_step < ?);
         INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
         VALUES (?, ?, ?, ?, CASE changes() WHEN 1 THEN ? ELSE ? END, ?, ?)
         RETURNING outcome;
         COMMIT",
    )
    .bind(to_i64(step))
    .bind(to_i64(now_ms))
    .bind(to_i64(now_ms))
    .bind(service_id)
    .bind(user_id)
    .bind(to_i64(step))
    .bind(to_i64(now_ms))
    .bind(audit.service_id)
    .bind(audit.user_id)
    .bind(audit.event)
    .bind(audit.outcome)
    .bind(replayed_outcome)
    .bind(audit.actor)
    .bind(audit.detail)
    .fetch_all(tx.conn())
    .await?;
    tx.closed();
    match outcomes.as_slice() {
        [outcome] => Ok(outcome == audit.outcome),
        _ => Err(sqlx::Error::Protocol(format!(
            "accept_step_audit_commit: expected one audit record, got {}",
            outcomes.len()
        ))),
    }
}

/// Most accepts [`accept_steps_if_unchanged`] takes at once (20 bound values each).
pub const ACCEPT_BATCH_MAX: usize = 32;

/// One right code to record by [`accept_steps_if_unchanged`].
#[derive(Debug, Clone, Copy)]
pub struct SeenAccept<'a> {
    /// The token as read (outside the transaction) when the code was checked.
    pub seen: &'a TokenRow,
    /// The step the code matched.
    pub step: u64,
    /// Now, unix ms.
    pub now_ms: u64,
    /// The audit actor.
    pub actor: &'a str,
}

/// Accepted codes, in one transaction and one round trip: `BEGIN IMMEDIATE`, then for each
/// accept in order the step update of [`accept_step_audit_commit`] on condition that nothing the
/// decision rested on has changed since the token was read (state, sealed seed, seed generation,
/// deadline, parameters) and an `accepted` [`audit`] record only if that updated the token, then
/// `COMMIT`. Returns, per accept, whether it was recorded; for one that was not, nothing was
/// written and the caller decides afresh inside a transaction. At most [`ACCEPT_BATCH_MAX`].
///
/// Two accepts of the same token and step: the second finds `last_step` already at its step
/// and is not recorded (the replay rule holds inside the batch).
pub async fn accept_steps_if_unchanged(
    tx: &mut WriteTx,
    accepts: &[SeenAccept<'_>],
) -> Result<Vec<bool>, sqlx::Error> {
    if accepts.is_empty() {
        return Ok(Vec::new());
    }
    let Some(sql) = accept_batch_sql(accepts.len()) else {
        return Err(sqlx::Error::Protocol(format!(
            "accept_steps_if_unchanged: {} accepts, at most {ACCEPT_BATCH_MAX}",
            accepts.len()
        )));
    };
    let mut query = sqlx::query_scalar::<_, i64>(sql);
    for accept in accepts {
        let seen = accept.seen;
        let (step, now) = (to_i64(accept.step), to_i64(accept.now_ms));
        query = query
            .bind(step)
            .bind(now)
            .bind(now)
            .bind(seen.service_id.as_str())
            .bind(seen.user_id.as_str())
            .bind(step)
            .bind(seen.state.as_str())
            .bind(seen.seed.as_deref())
            .bind(seen.seed_generation)
            .bind(seen.expires_at_ms)
            .bind(seen.algorithm.as_str())
            .bind(seen.digits)
            .bind(seen.period)
            .bind(now)
            .bind(seen.service_id.as_str())
            .bind(seen.user_id.as_str())
            .bind("verify")
            .bind("accepted")
            .bind(accept.actor)
            .bind(None::<&str>);
    }
    tx.opening();
    let recorded = query.fetch_all(tx.conn()).await?;
    tx.closed();
    let mut accepted = vec![false; accepts.len()];
    for index in recorded {
        match usize::try_from(index)
            .ok()
            .and_then(|index| accepted.get_mut(index))
        {
            Some(slot) => *slot = true,
            // Only a broken statement could get here (after the commit).
            None => {
                return Err(sqlx::Error::Protocol(format!(
                    "accept_steps_if_unchanged: unexpected accept index {index}"
                )));
            }
        }
    }
    Ok(accepted)
}

/// The statement of [`accept_steps_if_unchanged`] for `count` accepts (1..=[`ACCEPT_BATCH_MAX`]),
/// built once per count so that sqlx's statement cache keeps one prepared statement per count.
fn accept_batch_sql(count: usize) -> Option<&'static str> {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| (0..=ACCEPT_BATCH_MAX).map(build_accept_batch_sql).collect());
    all.get(count).filter(|_| count > 0).map(String::as_str)
}

fn build_accept_batch_sql(count: usize) -> String {
    // `changes()` in each INSERT is the row count of the UPDATE just before it; the INSERT
    // returns the accept's index (a number of ours, not input) so the caller knows which applied.
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    for index in 0..count {
        sql.push_str(
            "UPDATE tokens SET last_step = ?, failures = 0, last_used_at_ms = ?,
                 state = CASE WHEN state = 'pending_confirmation' THEN 'active' ELSE state END,
                 confirmed_at_ms = COALESCE(confirmed_at_ms, ?)
             WHERE service_id = ? AND user_id = ? AND (last_step IS NULL OR last_step < ?)
                 AND state = ? AND seed = ? AND seed_generation = ? AND expires_at_ms = ?
                 AND algorithm = ? AND digits = ? AND period = ?;
             INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
             SELECT ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1
             RETURNING ",
        );
        sql.push_str(&index.to_string());
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT");
    sql
}

/// Counts a wrong code; locks the token when the count reaches `max_failures`. Returns the new
/// failure count.
pub async fn count_failure(
    conn: &mut SqliteConnection,
    service_id: &str,
    user_id: &str,
    max_failures: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE tokens SET failures = failures + 1,
             state = CASE WHEN failures + 1 >= ? THEN 'locked' ELSE state END
         WHERE service_id = ? AND user_id = ?
         RETURNING failures",
    )
    .bind(max_failures)
    .bind(service_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// Unlocks a locked token (failure counter reset, back to `active`). Returns whether it was
/// locked.
pub async fn unlock(
    conn: &mut SqliteConnection,
    service_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE tokens SET state = 'active', failures = 0
         WHERE service_id = ? AND user_id = ? AND state = 'locked'",
    )
    .bind(service_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a token's sealed secrets (KEK rotation).
pub async fn update_token_secrets(
    conn: &mut SqliteConnection,
    row: &TokenRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tokens SET password_file = ?, password_file_kek_version = ?, seed = ?, seed_kek_version = ?
         WHERE service_id = ? AND user_id = ?",
    )
    .bind(&row.password_file)
    .bind(row.password_file_kek_version)
    .bind(&row.seed)
    .bind(row.seed_kek_version)
    .bind(&row.service_id)
    .bind(&row.user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every token (for KEK rotation).
pub async fn all_tokens(conn: &mut SqliteConnection) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM tokens").fetch_all(conn).await
}

// ---------------------------------------------------------------------------------------------
// Activations

/// An activation between KE2 and KE3.
#[derive(Debug, Clone, FromRow)]
pub struct ActivationRow {
    /// Handle given to the app.
    pub activation_id: String,
    /// Service ID.
    pub service_id: String,
    /// User ID.
    pub user_id: String,
    /// Sealed OPAQUE server state.
    pub state: Vec<u8>,
    /// Its KEK version.
    pub state_kek_version: i64,
    /// Deadline.
    pub expires_at_ms: i64,
}

/// Inserts an activation.
pub async fn insert_activation(
    conn: &mut SqliteConnection,
    row: &ActivationRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO activations (activation_id, service_id, user_id, state, state_kek_version, expires_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.activation_id)
    .bind(&row.service_id)
    .bind(&row.user_id)
    .bind(&row.state)
    .bind(row.state_kek_version)
    .bind(row.expires_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes and returns an activation (each can be finished at most once).
pub async fn take_activation(
    conn: &mut SqliteConnection,
    activation_id: &str,
) -> Result<Option<ActivationRow>, sqlx::Error> {
    sqlx::query_as("DELETE FROM activations WHERE activation_id = ? RETURNING *")
        .bind(activation_id)
        .fetch_optional(conn)
        .await
}

/// Deletes a token's activations in flight (on revocation).
pub async fn delete_activations_of(
    conn: &mut SqliteConnection,
    service_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM activations WHERE service_id = ? AND user_id = ?")
        .bind(service_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes expired activations.
pub async fn purge_expired_activations(
    conn: &mut SqliteConnection,
    now_ms: u64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM activations WHERE expires_at_ms <= ?")
        .bind(to_i64(now_ms))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

// ---------------------------------------------------------------------------------------------
// Audit

/// One audit record. Never put a secret in any field.
#[derive(Debug, Clone, Copy)]
pub struct AuditEvent<'a> {
    /// Service ID, if any.
    pub service_id: Option<&'a str>,
    /// User ID, if any.
    pub user_id: Option<&'a str>,
    /// What happened (`issue`, `activation_start`, `activation_finish`, `verify`, `lockout`,
    /// `revoke`, `unlock`, ...).
    pub event: &'a str,
    /// How it ended (`ok`, `rejected`, `replayed`, `failed`, ...).
    pub outcome: &'a str,
    /// Who asked: `bank:<key id>`, `device:<ip>`, `admin`.
    pub actor: &'a str,
    /// Non-secret detail.
    pub detail: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    /// An event about one token, without detail.
    pub fn token(
        service_id: &'a str,
        user_id: &'a str,
        event: &'a str,
        outcome: &'a str,
        actor: &'a str,
    ) -> Self {
        Self {
            service_id: Some(service_id),
            user_id: Some(user_id),
            event,
            outcome,
            actor,
            detail: None,
        }
    }

    /// The same event with a (non-secret) detail.
    pub fn with_detail(self, detail: &'a str) -> Self {
        Self {
            detail: Some(detail),
            ..self
        }
    }
}

/// Appends an audit record.
pub async fn audit(
    conn: &mut SqliteConnection,
    now_ms: u64,
    event: AuditEvent<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_i64(now_ms))
    .bind(event.service_id)
    .bind(event.user_id)
    .bind(event.event)
    .bind(event.outcome)
    .bind(event.actor)
    .bind(event.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// A token's audit trail, oldest first: `(at_ms, event, outcome, actor, detail)`.
pub async fn audit_of(
    conn: &mut SqliteConnection,
    service_id: &str,
    user_id: &str,
) -> Result<Vec<(i64, String, String, String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at_ms, event, outcome, actor, detail FROM audit
         WHERE service_id = ? AND user_id = ? ORDER BY id",
    )
    .bind(service_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_batch_statement_has_one_update_and_insert_per_accept() {
        let sql = accept_batch_sql(3).unwrap();
        assert!(sql.starts_with("BEGIN IMMEDIATE;"));
        assert!(sql.ends_with("COMMIT"));
        assert_eq!(sql.matches("UPDATE tokens").count(), 3);
        assert_eq!(sql.matches("INSERT INTO audit").count(), 3);
        assert!(sql.contains("RETURNING 2;"));
        let max = accept_batch_sql(ACCEPT_BATCH_MAX).unwrap();
        assert_eq!(max.matches('?').count(), 20 * ACCEPT_BATCH_MAX);
        assert!(accept_batch_sql(0).is_none());
        assert!(accept_batch_sql(ACCEPT_BATCH_MAX + 1).is_none());
    }
}
