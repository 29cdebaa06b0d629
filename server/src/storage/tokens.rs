//! Table `tokens`: one row per issued token, with its sealed secrets, counters and times.
//! Verification's accept statements, which write a token and its audit record together, are in
//! [`accept`](super::accept).

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    totp::TokenParams,
    wire::TokenState,
};
use sqlx::FromRow;

use super::{
    Backend, Connection, WriteTx,
    columns::{
        StoredRow, int, number, optional_number, optional_sealed, optional_string, optional_text,
        params, sealed, string, text,
    },
};
use crate::secrets::kek::Sealed;

/// The columns of [`TokenRow`], in the order of the table.
macro_rules! token_columns {
    () => {
        "service_id, user_id, customer_ref, email, label, state, algorithm, digits, period,
         password_file, password_file_kek_version, seed, seed_kek_version, seed_generation,
         activation_attempts, failures, last_step, issued_at_ms, expires_at_ms, activated_at_ms,
         confirmed_at_ms, revoked_at_ms, last_used_at_ms, device_json, replaced_at_ms, replaced_by"
    };
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Service ID.
    pub service_id: ServiceId,
    /// User ID.
    pub user_id: UserId,
    /// The bank's customer reference.
    pub customer_ref: String,
    /// Mail address.
    pub email: String,
    /// Label.
    pub label: Option<String>,
    /// The state as last written (see [`TokenRow::state_at`]).
    pub state: TokenState,
    /// Algorithm, digits and period.
    pub params: TokenParams,
    /// Sealed OPAQUE password file.
    pub password_file: Sealed,
    /// Sealed seed, once activated.
    pub seed: Option<Sealed>,
    /// Bumped on every seed change, so caches of opened seeds can tell they are stale.
    pub seed_generation: u64,
    /// Activation attempts counted since the last success.
    pub activation_attempts: u32,
    /// Consecutive wrong codes.
    pub failures: u32,
    /// Last accepted TOTP step.
    pub last_step: Option<u64>,
    /// Issued at, unix ms.
    pub issued_at_ms: u64,
    /// Setup deadline, unix ms.
    pub expires_at_ms: u64,
    /// Activated at.
    pub activated_at_ms: Option<u64>,
    /// First code accepted at.
    pub confirmed_at_ms: Option<u64>,
    /// Revoked at.
    pub revoked_at_ms: Option<u64>,
    /// Last accepted code at.
    pub last_used_at_ms: Option<u64>,
    /// Device description (JSON of `DeviceInfo`).
    pub device_json: Option<String>,
    /// Retired at (state `replaced`): the 認証確認 of [`TokenRow::replaced_by`].
    pub replaced_at_ms: Option<u64>,
    /// The newer token of the same customer that retired this one (state `replaced`).
    pub replaced_by: Option<UserId>,
}

impl TokenRow {
    /// The state as of `now_ms`: an unfinished token past its deadline is expired, whether or
    /// not that has been written yet.
    pub fn state_at(&self, now_ms: u64) -> TokenState {
        let unfinished = matches!(
            self.state,
            TokenState::Issued | TokenState::PendingConfirmation
        );
        if unfinished && now_ms >= self.expires_at_ms {
            TokenState::Expired
        } else {
            self.state
        }
    }
}

impl<R: StoredRow + sqlx::Row> FromRow<'_, R> for TokenRow {
    fn from_row(row: &R) -> Result<Self, sqlx::Error> {
        Ok(TokenRow {
            service_id: text(row, "service_id")?,
            user_id: text(row, "user_id")?,
            customer_ref: string(row, "customer_ref")?,
            email: string(row, "email")?,
            label: optional_string(row, "label")?,
            state: text(row, "state")?,
            params: params(row)?,
            password_file: sealed(row, "password_file", "password_file_kek_version")?,
            seed: optional_sealed(row, "seed", "seed_kek_version")?,
            seed_generation: number(row, "seed_generation")?,
            activation_attempts: number(row, "activation_attempts")?,
            failures: number(row, "failures")?,
            last_step: optional_number(row, "last_step")?,
            issued_at_ms: number(row, "issued_at_ms")?,
            expires_at_ms: number(row, "expires_at_ms")?,
            activated_at_ms: optional_number(row, "activated_at_ms")?,
            confirmed_at_ms: optional_number(row, "confirmed_at_ms")?,
            revoked_at_ms: optional_number(row, "revoked_at_ms")?,
            last_used_at_ms: optional_number(row, "last_used_at_ms")?,
            device_json: optional_string(row, "device_json")?,
            replaced_at_ms: optional_number(row, "replaced_at_ms")?,
            replaced_by: optional_text(row, "replaced_by")?,
        })
    }
}

/// One token.
pub async fn get(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<Option<TokenRow>, sqlx::Error> {
    let sql = select_locking!(
        conn,
        concat!(
            "SELECT ",
            token_columns!(),
            " FROM tokens WHERE service_id = $1 AND user_id = $2"
        )
    );
    on_backend!(conn, |c| sqlx::query_as(sql)
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(c)
        .await)
}

/// The rows of the tokens `keys` names (service ID, User ID) that exist, in no order, in one
/// statement: the batched reads of [`token_reads`](super::token_reads), PostgreSQL only.
pub(super) async fn get_many_postgres(
    conn: &mut sqlx::PgConnection,
    keys: &[(&str, &str)],
) -> Result<Vec<TokenRow>, sqlx::Error> {
    let (service_ids, user_ids): (Vec<&str>, Vec<&str>) = keys.iter().copied().unzip();
    sqlx::query_as(concat!(
        "SELECT ",
        token_columns!(),
        " FROM tokens WHERE (service_id, user_id) IN
             (SELECT * FROM unnest($1::text[], $2::text[]))"
    ))
    .bind(service_ids)
    .bind(user_ids)
    .fetch_all(conn)
    .await
}

/// Begins the transaction of `tx` and reads one token in it so that the row cannot change before
/// the transaction's own update: SQLite, `BEGIN IMMEDIATE` (the write lock is taken at once) in
/// the same round trip as the `SELECT`; PostgreSQL, `BEGIN` then `SELECT … FOR UPDATE`.
pub async fn begin_and_get(
    tx: &mut WriteTx,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<Option<TokenRow>, sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        // One statement per query there; `get` locks the row (`FOR UPDATE`) in the
        // transaction, which is what `BEGIN IMMEDIATE` achieves on SQLite.
        tx.begin().await?;
        return get(tx, service_id, user_id).await;
    }
    // Two statements in one query: see `accept` on sqlx running them.
    let batch = sqlx::query(concat!(
        "BEGIN IMMEDIATE; SELECT ",
        token_columns!(),
        " FROM tokens WHERE service_id = ?1 AND user_id = ?2"
    ))
    .bind(service_id.as_str())
    .bind(user_id.as_str());
    tx.fetch_optional_beginning(batch)
        .await?
        .map(|row| TokenRow::from_row(&row))
        .transpose()
}

/// Whether a User ID is taken within a service.
pub async fn exists(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = on_backend!(conn, |c| sqlx::query_scalar(
        "SELECT CAST(1 AS BIGINT) FROM tokens WHERE service_id = $1 AND user_id = $2",
    )
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .fetch_optional(c)
    .await)?;
    Ok(found.is_some())
}

/// Inserts a freshly issued token (the columns an issued token has; the rest take their
/// defaults).
pub async fn insert(conn: &mut impl Connection, row: &TokenRow) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "INSERT INTO tokens (service_id, user_id, customer_ref, email, label, state, algorithm,
             digits, period, password_file, password_file_kek_version, issued_at_ms, expires_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(row.service_id.as_str())
    .bind(row.user_id.as_str())
    .bind(&row.customer_ref)
    .bind(&row.email)
    .bind(&row.label)
    .bind(row.state.as_str())
    .bind(row.params.algorithm().as_str())
    .bind(i64::from(row.params.digits()))
    .bind(i64::from(row.params.period()))
    .bind(&row.password_file.blob)
    .bind(i64::from(row.password_file.kek_version))
    .bind(int(row.issued_at_ms))
    .bind(int(row.expires_at_ms))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The customer's tokens that are not yet active (re-issue replaces them).
pub async fn unfinished_of_customer(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    customer_ref: &str,
) -> Result<Vec<UserId>, sqlx::Error> {
    let sql = select_locking!(
        conn,
        "SELECT user_id FROM tokens WHERE service_id = $1 AND customer_ref = $2
             AND state IN ('issued', 'pending_confirmation')"
    );
    on_backend!(conn, |c| sqlx::query(sql)
        .bind(service_id.as_str())
        .bind(customer_ref)
        .fetch_all(c)
        .await?
        .iter()
        .map(|row| text(row, "user_id"))
        .collect())
}

/// Serializes, until the transaction of `tx` ends, the issuances of one customer, so that
/// "a re-issue replaces the customer's unfinished token" holds between concurrent issuances on
/// several connections or instances even when there is no unfinished row yet to lock.
/// PostgreSQL: a transaction-scoped advisory lock on the customer. SQLite: nothing to do (its
/// one writer serializes every write transaction).
pub async fn lock_customer(
    tx: &mut WriteTx,
    service_id: &ServiceId,
    customer_ref: &str,
) -> Result<(), sqlx::Error> {
    use super::{backend::Raw, private::Connection as _};
    let Raw::Postgres(conn) = tx.raw()? else {
        return Ok(());
    };
    sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(hashtextextended($1, 0))")
        // A Service ID has a fixed length, so the key names one customer unambiguously (and
        // holds no NUL, which PostgreSQL text refuses).
        .bind(format!("issue:{service_id}:{customer_ref}"))
        .execute(conn)
        .await
        .map(|_| ())
}

/// The customer's tokens in use (`active` or `locked`) other than `except`: what the 認証確認
/// of `except` retires (`docs/protocol.md`, "Phone change"). In User ID order, which on
/// PostgreSQL is also the order their rows are locked in (the lock is taken after the sort):
/// two transactions that lock several tokens of one customer take them in the same order, so
/// neither can hold one the other waits for while waiting for one it holds (a deadlock, which
/// PostgreSQL would end by failing one of them).
pub async fn in_use_of_customer(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    customer_ref: &str,
    except: &UserId,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    let sql = select_locking!(
        conn,
        concat!(
            "SELECT ",
            token_columns!(),
            " FROM tokens WHERE service_id = $1 AND customer_ref = $2 AND user_id != $3
                 AND state IN ('active', 'locked') ORDER BY user_id"
        )
    );
    on_backend!(conn, |c| sqlx::query_as(sql)
        .bind(service_id.as_str())
        .bind(customer_ref)
        .bind(except.as_str())
        .fetch_all(c)
        .await)
}

/// Retires a token in use: final state `replaced`, at `now_ms`, by `by`.
pub async fn set_replaced(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    by: &UserId,
    now_ms: u64,
) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "UPDATE tokens SET state = 'replaced', replaced_at_ms = $1, replaced_by = $2
         WHERE service_id = $3 AND user_id = $4 AND state IN ('active', 'locked')",
    )
    .bind(int(now_ms))
    .bind(by.as_str())
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Sets a token's state (and, for `revoked`, its revocation time).
pub async fn set_state(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    state: TokenState,
    now_ms: u64,
) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "UPDATE tokens SET state = $1,
             revoked_at_ms = CASE WHEN $1 = 'revoked' THEN COALESCE(revoked_at_ms, $2)
                 ELSE revoked_at_ms END
         WHERE service_id = $3 AND user_id = $4",
    )
    .bind(state.as_str())
    .bind(int(now_ms))
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Counts one started activation attempt, whatever the token's state, in one statement that
/// also writes what the start finds: an unfinished token past its deadline becomes `expired`,
/// and one whose attempts were used up before this start becomes `activation_locked`. Returns
/// the count including this attempt and the state as left.
pub async fn count_activation_attempt(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    max_attempts: u32,
    now_ms: u64,
) -> Result<(u32, TokenState), sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query(
            "UPDATE tokens SET activation_attempts = activation_attempts + 1,
             state = CASE
                 WHEN state NOT IN ('issued', 'pending_confirmation') THEN state
                 WHEN $1 >= expires_at_ms THEN 'expired'
                 WHEN activation_attempts >= $2 THEN 'activation_locked'
                 ELSE state END
         WHERE service_id = $3 AND user_id = $4
         RETURNING activation_attempts, state",
        )
        .bind(int(now_ms))
        .bind(i64::from(max_attempts))
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .fetch_one(c)
        .await?;
        Ok((number(&row, "activation_attempts")?, text(&row, "state")?))
    })
}

/// Stores a newly activated seed: state `pending_confirmation`, counters reset.
pub async fn store_activated_seed(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    seed: &Sealed,
    device_json: &str,
    now_ms: u64,
) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "UPDATE tokens SET state = 'pending_confirmation', seed = $1, seed_kek_version = $2,
             seed_generation = seed_generation + 1, activation_attempts = 0, failures = 0,
             last_step = NULL, activated_at_ms = $3, confirmed_at_ms = NULL, device_json = $4
         WHERE service_id = $5 AND user_id = $6",
    )
    .bind(&seed.blob)
    .bind(i64::from(seed.kek_version))
    .bind(int(now_ms))
    .bind(device_json)
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Counts a wrong code; locks the token when the count reaches `max_failures`, remembering the
/// state it locked from (for [`unlock`]). Returns the new failure count.
pub async fn count_failure(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    max_failures: u32,
) -> Result<u32, sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query(
            "UPDATE tokens SET failures = failures + 1,
             locked_from = CASE WHEN failures + 1 >= $1 AND state != 'locked' THEN state
                 ELSE locked_from END,
             state = CASE WHEN failures + 1 >= $1 THEN 'locked' ELSE state END
         WHERE service_id = $2 AND user_id = $3
         RETURNING failures",
        )
        .bind(i64::from(max_failures))
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .fetch_one(c)
        .await?;
        number(&row, "failures")
    })
}

/// A right transaction or offline code (`docs/protocol.md` §9.6): the consecutive-failure
/// counter resets and the token was used now. (TOTP's `last_step` is not touched: transaction
/// codes have their own replay rules.)
pub async fn reset_failures(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    now_ms: u64,
) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "UPDATE tokens SET failures = 0, last_used_at_ms = $1
         WHERE service_id = $2 AND user_id = $3",
    )
    .bind(int(now_ms))
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Unlocks a locked token: failure counter reset, back to the state wrong codes locked it from
/// (`pending_confirmation` or `active`; `active` for a token locked before that was recorded).
/// Returns whether it was locked.
pub async fn unlock(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
) -> Result<bool, sqlx::Error> {
    let done: u64 = on_backend!(conn, |c| {
        sqlx::query(
        "UPDATE tokens SET state = COALESCE(locked_from, 'active'), locked_from = NULL, failures = 0
         WHERE service_id = $1 AND user_id = $2 AND state = 'locked'",
    )
    .bind(service_id.as_str())
    .bind(user_id.as_str())
    .execute(c)
    .await.map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// Replaces a token's sealed secrets (KEK rotation).
pub async fn update_secrets(conn: &mut impl Connection, row: &TokenRow) -> Result<(), sqlx::Error> {
    on_backend!(conn, |c| sqlx::query(
        "UPDATE tokens SET password_file = $1, password_file_kek_version = $2, seed = $3,
             seed_kek_version = $4
         WHERE service_id = $5 AND user_id = $6",
    )
    .bind(&row.password_file.blob)
    .bind(i64::from(row.password_file.kek_version))
    .bind(row.seed.as_ref().map(|seed| seed.blob.as_slice()))
    .bind(row.seed.as_ref().map(|seed| i64::from(seed.kek_version)))
    .bind(row.service_id.as_str())
    .bind(row.user_id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Every token (for KEK rotation).
pub async fn all(conn: &mut impl Connection) -> Result<Vec<TokenRow>, sqlx::Error> {
    on_backend!(conn, |c| sqlx::query_as(concat!(
        "SELECT ",
        token_columns!(),
        " FROM tokens"
    ))
    .fetch_all(c)
    .await)
}

/// Rows per multi-row `INSERT` of [`insert_active`] (18 bound values per row: 9 000 per
/// statement, well under SQLite's 32 766 and PostgreSQL's 65 535).
#[cfg(feature = "testing")]
const ROWS_PER_INSERT: usize = 500;

/// Inserts activated tokens as activation and a first accepted code leave them, in the
/// transaction of `tx`, with multi-row `INSERT`s (for [`crate::testing`] only: the provider's
/// own tokens are issued and activated one by one).
#[cfg(feature = "testing")]
pub async fn insert_active(tx: &mut WriteTx, rows: &[TokenRow]) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        on_backend!(tx, |c| {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO tokens (service_id, user_id, customer_ref, email, state, algorithm,
                     digits, period, password_file, password_file_kek_version, seed,
                     seed_kek_version, seed_generation, issued_at_ms, expires_at_ms,
                     activated_at_ms, confirmed_at_ms, device_json) ",
            );
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.service_id.as_str())
                    .push_bind(row.user_id.as_str())
                    .push_bind(row.customer_ref.as_str())
                    .push_bind(row.email.as_str())
                    .push_bind(row.state.as_str())
                    .push_bind(row.params.algorithm().as_str())
                    .push_bind(i64::from(row.params.digits()))
                    .push_bind(i64::from(row.params.period()))
                    .push_bind(row.password_file.blob.as_slice())
                    .push_bind(i64::from(row.password_file.kek_version))
                    .push_bind(row.seed.as_ref().map(|seed| seed.blob.as_slice()))
                    .push_bind(row.seed.as_ref().map(|seed| i64::from(seed.kek_version)))
                    .push_bind(int(row.seed_generation))
                    .push_bind(int(row.issued_at_ms))
                    .push_bind(int(row.expires_at_ms))
                    .push_bind(row.activated_at_ms.map(int))
                    .push_bind(row.confirmed_at_ms.map(int))
                    .push_bind(row.device_json.as_deref());
            });
            insert.build().execute(c).await?;
        });
    }
    Ok(())
}
