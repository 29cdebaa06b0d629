//! Table `transactions`: the transfers banks registered for transaction authentication
//! (`docs/protocol.md` §9), with the payee, amount and reference in their canonical form, so the
//! row converts back to the [`Transaction`] whose digest the codes and MACs are bound to.
//!
//! Every change of state is a guarded `UPDATE … WHERE state = 'pending'`: run inside the
//! transaction the rules began with `BEGIN IMMEDIATE` it cannot race on SQLite's one writer, and
//! on a database with several writers (issue 15) the guard alone still lets exactly one of
//! concurrent transitions through.

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    transaction::{Amount, Payee, Transaction, TransactionId, TransactionState},
    wire::{MAX_CODE_ATTEMPTS, TransactionRecord},
};
use sqlx::FromRow;

use super::columns::{StoredRow, optional_string, string};
use super::{Backend, backend::Raw, private::Connection as _};
use super::{
    Connection, WriteTx,
    columns::{int, number, optional_number, text},
};

/// The columns of [`TransactionRow`], in the order of the table.
macro_rules! transaction_columns {
    () => {
        "transaction_id, service_id, user_id, state, bank_code, branch_code, account_type,
         account_number, holder_name, currency, amount, reference, created_at_ms, expires_at_ms,
         decided_at_ms, failures"
    };
}

/// A transaction as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRow {
    /// What was registered, canonical (its digest is what codes and MACs bind).
    pub transaction: Transaction,
    /// The state as last written (see [`TransactionRow::state_at`]).
    pub state: TransactionState,
    /// Registered at, unix ms.
    pub created_at_ms: u64,
    /// Left `pending` at (unset while pending, and for an expiry nobody wrote).
    pub decided_at_ms: Option<u64>,
    /// Wrong typed transaction codes so far.
    pub failures: u32,
}

impl TransactionRow {
    /// The state as of `now_ms`: a pending transaction past its deadline is expired, whether or
    /// not that has been written yet.
    pub fn state_at(&self, now_ms: u64) -> TransactionState {
        if self.state == TransactionState::Pending && now_ms >= self.transaction.expires_at_ms {
            TransactionState::Expired
        } else {
            self.state
        }
    }

    /// When it left `pending` as of `now_ms` (an unwritten expiry: its deadline).
    pub fn decided_at(&self, now_ms: u64) -> Option<u64> {
        match (self.decided_at_ms, self.state_at(now_ms)) {
            (Some(at), _) => Some(at),
            (None, TransactionState::Expired) => Some(self.transaction.expires_at_ms),
            (None, _) => None,
        }
    }

    /// Typed codes the transaction still takes (of [`MAX_CODE_ATTEMPTS`]).
    pub fn attempts_left(&self) -> u32 {
        MAX_CODE_ATTEMPTS.saturating_sub(self.failures)
    }

    /// The bookkeeping the bank sees beside the canonical fields, as of `now_ms`.
    pub fn record_at(&self, now_ms: u64) -> TransactionRecord {
        TransactionRecord {
            state: self.state_at(now_ms),
            created_at_ms: self.created_at_ms,
            decided_at_ms: self.decided_at(now_ms),
            attempts_left: self.attempts_left(),
        }
    }
}

impl<R: StoredRow + sqlx::Row> FromRow<'_, R> for TransactionRow {
    fn from_row(row: &R) -> Result<Self, sqlx::Error> {
        let currency = string(row, "currency")?;
        let amount = Amount::new(number(row, "amount")?, &currency)
            .map_err(|_| columns_invalid("amount, currency"))?;
        let reference: Option<String> = optional_string(row, "reference")?;
        Ok(TransactionRow {
            transaction: Transaction {
                id: text(row, "transaction_id")?,
                service_id: text(row, "service_id")?,
                user_id: text(row, "user_id")?,
                payee: Payee {
                    bank_code: text(row, "bank_code")?,
                    branch_code: text(row, "branch_code")?,
                    account_type: text(row, "account_type")?,
                    account_number: text(row, "account_number")?,
                    name: text(row, "holder_name")?,
                },
                amount,
                reference: reference
                    .map(|stored| {
                        softtoken_protocol::transaction::Reference::parse(&stored)
                            .map_err(|_| columns_invalid("reference"))
                    })
                    .transpose()?,
                expires_at_ms: number(row, "expires_at_ms")?,
            },
            state: text(row, "state")?,
            created_at_ms: number(row, "created_at_ms")?,
            decided_at_ms: optional_number(row, "decided_at_ms")?,
            failures: number(row, "failures")?,
        })
    }
}

fn columns_invalid(column: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: "the column does not hold a canonical transaction value".into(),
    }
}

/// Inserts a newly registered transaction.
pub async fn insert(conn: &mut impl Connection, row: &TransactionRow) -> Result<(), sqlx::Error> {
    let txn = &row.transaction;
    on_backend!(conn, |c| sqlx::query(concat!(
        "INSERT INTO transactions (",
        transaction_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(txn.id.as_str())
    .bind(txn.service_id.as_str())
    .bind(txn.user_id.as_str())
    .bind(row.state.as_str())
    .bind(txn.payee.bank_code.as_str())
    .bind(txn.payee.branch_code.as_str())
    .bind(txn.payee.account_type.as_str())
    .bind(txn.payee.account_number.as_str())
    .bind(txn.payee.name.as_str())
    .bind(txn.amount.currency())
    .bind(int(txn.amount.value()))
    .bind(txn.reference.as_ref().map(|reference| reference.as_str()))
    .bind(int(row.created_at_ms))
    .bind(int(txn.expires_at_ms))
    .bind(row.decided_at_ms.map(int))
    .bind(i64::from(row.failures))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// One transaction.
pub async fn get(
    conn: &mut impl Connection,
    id: &TransactionId,
) -> Result<Option<TransactionRow>, sqlx::Error> {
    let sql = select_locking!(
        conn,
        concat!(
            "SELECT ",
            transaction_columns!(),
            " FROM transactions WHERE transaction_id = $1"
        )
    );
    on_backend!(conn, |c| sqlx::query_as(sql)
        .bind(id.as_str())
        .fetch_optional(c)
        .await)
}

/// Begins the transaction of `tx` and reads one transaction in it, locked as
/// [`tokens::begin_and_get`](super::tokens::begin_and_get) locks a token (SQLite: `BEGIN
/// IMMEDIATE` in the same round trip; PostgreSQL: `BEGIN`, then `SELECT … FOR UPDATE`).
pub async fn begin_and_get(
    tx: &mut WriteTx,
    id: &TransactionId,
) -> Result<Option<TransactionRow>, sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        tx.begin().await?;
        // Rows are locked token first, then its transactions, on every path (a device's
        // decision locks the token, then reads the transaction): so its token's row is locked
        // before this one, else the two orders could deadlock. A transaction's token never
        // changes, so reading it unlocked first is safe.
        let Raw::Postgres(conn) = tx.raw()? else {
            return Err(sqlx::Error::Protocol("not a PostgreSQL connection".into()));
        };
        let owner: Option<(String, String)> = sqlx::query_as(
            "SELECT service_id, user_id FROM transactions WHERE transaction_id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((service_id, user_id)) = owner {
            sqlx::query("SELECT 1 FROM tokens WHERE service_id = $1 AND user_id = $2 FOR UPDATE")
                .bind(service_id)
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
        }
        return get(tx, id).await;
    }
    let batch = sqlx::query(concat!(
        "BEGIN IMMEDIATE; SELECT ",
        transaction_columns!(),
        " FROM transactions WHERE transaction_id = ?1"
    ))
    .bind(id.as_str());
    tx.fetch_optional_beginning(batch)
        .await?
        .map(|row| TransactionRow::from_row(&row))
        .transpose()
}

/// A token's pending transactions that have not expired by `now_ms`, oldest first, at most
/// `limit`.
pub async fn pending_of_token(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    now_ms: u64,
    limit: u32,
) -> Result<Vec<TransactionRow>, sqlx::Error> {
    let sql = select_locking!(
        conn,
        concat!(
            "SELECT ",
            transaction_columns!(),
            " FROM transactions WHERE service_id = $1 AND user_id = $2 AND state = 'pending'
                  AND expires_at_ms > $3
              ORDER BY created_at_ms, transaction_id LIMIT $4"
        )
    );
    on_backend!(conn, |c| sqlx::query_as(sql)
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .bind(int(now_ms))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)
}

/// How many pending transactions a token has that have not expired by `now_ms`.
pub async fn count_pending(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    now_ms: u64,
) -> Result<u32, sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query(
            "SELECT count(*) AS pending FROM transactions
         WHERE service_id = $1 AND user_id = $2 AND state = 'pending' AND expires_at_ms > $3",
        )
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .bind(int(now_ms))
        .fetch_one(c)
        .await?;
        number(&row, "pending")
    })
}

/// Moves a pending transaction to the final state `to` at `now_ms` (an expiry is dated at the
/// deadline). Returns whether it was pending, i.e. whether this call made the transition.
pub async fn finish(
    conn: &mut impl Connection,
    id: &TransactionId,
    to: TransactionState,
    now_ms: u64,
) -> Result<bool, sqlx::Error> {
    let done: u64 = on_backend!(conn, |c| sqlx::query(
        "UPDATE transactions SET state = $1,
             decided_at_ms = CASE WHEN $1 = 'expired' THEN expires_at_ms ELSE $2 END
         WHERE transaction_id = $3 AND state = 'pending'",
    )
    .bind(to.as_str())
    .bind(int(now_ms))
    .bind(id.as_str())
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Counts a wrong typed code on a pending transaction; at `max_failures` it becomes `failed`.
/// Returns the count after this one and the state as left.
pub async fn count_failure(
    conn: &mut impl Connection,
    id: &TransactionId,
    max_failures: u32,
    now_ms: u64,
) -> Result<(u32, TransactionState), sqlx::Error> {
    on_backend!(conn, |c| {
        let row = sqlx::query(
            "UPDATE transactions SET failures = failures + 1,
             state = CASE WHEN failures + 1 >= $1 THEN 'failed' ELSE state END,
             decided_at_ms = CASE WHEN failures + 1 >= $1 THEN $2 ELSE decided_at_ms END
         WHERE transaction_id = $3 AND state = 'pending'
         RETURNING failures, state",
        )
        .bind(i64::from(max_failures))
        .bind(int(now_ms))
        .bind(id.as_str())
        .fetch_one(c)
        .await?;
        Ok((number(&row, "failures")?, text(&row, "state")?))
    })
}

/// Fails every pending transaction of a token (it was locked or revoked); returns their ids,
/// so their long polls can be woken once this commits.
pub async fn fail_pending_of_token(
    conn: &mut impl Connection,
    service_id: &ServiceId,
    user_id: &UserId,
    now_ms: u64,
) -> Result<Vec<TransactionId>, sqlx::Error> {
    on_backend!(conn, |c| {
        let rows = sqlx::query(
            "UPDATE transactions SET state = 'failed', decided_at_ms = $1
         WHERE service_id = $2 AND user_id = $3 AND state = 'pending'
         RETURNING transaction_id",
        )
        .bind(int(now_ms))
        .bind(service_id.as_str())
        .bind(user_id.as_str())
        .fetch_all(c)
        .await?;
        rows.iter().map(|row| text(row, "transaction_id")).collect()
    })
}

/// Writes `expired` on every pending transaction past its deadline at `now_ms`; returns their
/// ids (for the long polls).
pub async fn expire_due(
    conn: &mut impl Connection,
    now_ms: u64,
) -> Result<Vec<TransactionId>, sqlx::Error> {
    on_backend!(conn, |c| {
        let rows = sqlx::query(
            "UPDATE transactions SET state = 'expired', decided_at_ms = expires_at_ms
         WHERE state = 'pending' AND expires_at_ms <= $1
         RETURNING transaction_id",
        )
        .bind(int(now_ms))
        .fetch_all(c)
        .await?;
        rows.iter().map(|row| text(row, "transaction_id")).collect()
    })
}

/// Deletes the transactions created before `cutoff_ms` (the retention); returns how many.
pub async fn purge_created_before(
    conn: &mut impl Connection,
    cutoff_ms: u64,
) -> Result<u64, sqlx::Error> {
    let done: u64 = on_backend!(conn, |c| sqlx::query(
        "DELETE FROM transactions WHERE created_at_ms < $1"
    )
    .bind(int(cutoff_ms))
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done)
}
