//! The writing connection and the transaction on it, whose `BEGIN`, `COMMIT` and `ROLLBACK` it
//! owns.

use sqlx::{Execute, Executor, Sqlite, SqliteConnection, sqlite::SqliteRow};

use super::{
    Backend, WritingPool,
    backend::{Pooled, Raw},
    private,
};

/// A writing connection (SQLite: the one), and the transaction on it once one is begun.
///
/// A transaction begins with [`WriteTx::begin`], or (SQLite) with a statement of `storage` that
/// sends `BEGIN IMMEDIATE` in the same batch as its first statement (`BEGIN IMMEDIATE; SELECT
/// …`: [`tokens::begin_and_get`](super::tokens::begin_and_get)); it ends with
/// [`WriteTx::commit`], or (SQLite) with a statement that sends `COMMIT` in the same batch as
/// its last ones ([`accept`](super::accept)), or it is rolled back. Batching `BEGIN` and
/// `COMMIT` saves a round trip each to the connection's thread, which [`sqlx::Transaction`]
/// would spend (and wait for); PostgreSQL's driver runs one statement per query, so there they
/// are statements of their own. Only the methods here know whether a transaction is open;
/// nobody outside marks it.
///
/// Dropped with a transaction open — an early return, an error, or the request future dropped
/// half-way — it rolls the transaction back before the connection goes back to the pool (in a
/// task of its own, which holds the connection until then); if even that fails, or there is no
/// runtime to run it, the connection is closed instead, which rolls back too, and the pool
/// opens a fresh one. Either way no open transaction ever reaches the pool.
pub struct WriteTx {
    /// Taken only by `drop`.
    conn: Option<Pooled>,
    /// Whether a transaction may be open: set before a batch that begins one is sent (the batch
    /// may have begun it even if its reply never arrives), cleared when a `COMMIT` or
    /// `ROLLBACK` went through.
    open: bool,
}

impl WriteTx {
    /// Takes a writing connection (waiting for it). No transaction is open yet.
    pub(super) async fn acquire(writer: WritingPool) -> Result<WriteTx, sqlx::Error> {
        let conn = match writer {
            WritingPool::Sqlite(pool) => Pooled::Sqlite(pool.acquire().await?),
            WritingPool::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
        };
        Ok(WriteTx {
            conn: Some(conn),
            open: false,
        })
    }

    /// Begins a transaction. SQLite: `BEGIN IMMEDIATE` (the write lock is taken at once, so
    /// nothing read in it can change before its writes), a round trip of its own; the hot path
    /// begins with its first statement instead. PostgreSQL: `BEGIN` (READ COMMITTED); what the
    /// transaction reads to decide a write it locks with `SELECT … FOR UPDATE`.
    pub async fn begin(&mut self) -> Result<(), sqlx::Error> {
        if self.open {
            return Err(sqlx::Error::Protocol(
                "a transaction is already open on the writing connection".into(),
            ));
        }
        self.open = true;
        match self.raw_conn()? {
            Raw::Sqlite(c) => sqlx::query("BEGIN IMMEDIATE")
                .execute(c)
                .await
                .map(|_| ())?,
            Raw::Postgres(c) => sqlx::query("BEGIN").execute(c).await.map(|_| ())?,
        }
        Ok(())
    }

    /// Commits the transaction, if one is open.
    ///
    /// PostgreSQL: with the statement timeout off for the `COMMIT` (`SET LOCAL` in the same
    /// round trip). A `COMMIT` whose wait for a synchronous standby is cancelled returns
    /// success anyway, with only a warning: committed on the primary but not on the standby,
    /// which a failover would then lose. PostgreSQL 15 already stops the statement timeout
    /// before that wait (checked); turning it off here keeps that true whatever the server
    /// version or a proxy does. The request meanwhile answers 503 at the request timeout,
    /// never `accepted` (`docs/server.md`, "Failover").
    pub async fn commit(&mut self) -> Result<(), sqlx::Error> {
        if self.open {
            match self.raw_conn()? {
                Raw::Sqlite(c) => sqlx::query("COMMIT").execute(c).await.map(|_| ())?,
                // SQL with no parameters goes by the simple protocol: both statements in one
                // round trip; PostgreSQL (13 and later) applies the timeout per statement, so
                // the COMMIT runs without.
                Raw::Postgres(c) => c
                    .execute("SET LOCAL statement_timeout = 0; COMMIT")
                    .await
                    .map(|_| ())?,
            }
            self.open = false;
        }
        Ok(())
    }

    /// Runs a batch that begins with `BEGIN IMMEDIATE`, returning its first row.
    pub(super) async fn fetch_optional_beginning<'q, E>(
        &mut self,
        batch: E,
    ) -> Result<Option<SqliteRow>, sqlx::Error>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        self.open = true;
        self.live()?.fetch_optional(batch).await
    }

    /// Runs a batch that ends with `COMMIT` in the transaction begun before, returning its rows.
    pub(super) async fn fetch_all_committing<'q, E>(
        &mut self,
        batch: E,
    ) -> Result<Vec<SqliteRow>, sqlx::Error>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        let rows = self.live()?.fetch_all(batch).await?;
        self.open = false;
        Ok(rows)
    }

    /// Runs a batch that is a whole transaction, from `BEGIN IMMEDIATE` to `COMMIT`, returning
    /// its rows.
    pub(super) async fn fetch_all_whole<'q, E>(
        &mut self,
        batch: E,
    ) -> Result<Vec<SqliteRow>, sqlx::Error>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        self.open = true;
        self.fetch_all_committing(batch).await
    }

    /// The SQLite connection: the batches above are SQLite's only.
    fn live(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        match self.raw_conn()? {
            Raw::Sqlite(conn) => Ok(conn),
            Raw::Postgres(_) => Err(sqlx::Error::Protocol(
                "a SQLite statement batch on a PostgreSQL connection".into(),
            )),
        }
    }

    /// The connection (always there until `drop` takes it).
    fn raw_conn(&mut self) -> Result<Raw<'_>, sqlx::Error> {
        self.conn
            .as_mut()
            .map(Pooled::raw)
            .ok_or(sqlx::Error::PoolClosed)
    }

    /// Which backend the connection is of.
    pub(super) fn backend(&self) -> Backend {
        match self.conn {
            Some(Pooled::Postgres(_)) => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

impl private::Connection for WriteTx {
    fn raw(&mut self) -> Result<Raw<'_>, sqlx::Error> {
        self.raw_conn()
    }

    /// PostgreSQL, in a transaction: what the transaction reads, it reads to decide a write
    /// (SQLite's `BEGIN IMMEDIATE` gives the same by locking the whole database).
    fn locks_reads(&self) -> bool {
        self.open && self.backend() == Backend::Postgres
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take().filter(|_| self.open) else {
            // No transaction: the connection goes back to the pool as it is.
            return;
        };
        let rollback = RollBack(Some(conn));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(rollback.run());
        }
        // Without a runtime, dropping `rollback` closes the connection.
    }
}

/// A connection that may hold an open transaction: rolled back and returned to the pool, or
/// closed if that cannot be done (the task was dropped, or `ROLLBACK` failed).
struct RollBack(Option<Pooled>);

impl RollBack {
    async fn run(mut self) {
        let Some(conn) = self.0.as_mut() else {
            return;
        };
        let rolled_back = match conn.raw() {
            Raw::Sqlite(c) => sqlx::query("ROLLBACK").execute(c).await.map(drop),
            Raw::Postgres(c) => sqlx::query("ROLLBACK").execute(c).await.map(drop),
        };
        match rolled_back {
            // Back to the pool, with no transaction.
            Ok(_) => drop(self.0.take()),
            Err(err) => {
                tracing::warn!(error = %err, "rollback of an abandoned write transaction failed; closing the connection")
            }
        }
    }
}

impl Drop for RollBack {
    fn drop(&mut self) {
        if let Some(mut conn) = self.0.take() {
            // Closing the connection rolls back whatever it had begun; the pool replaces it.
            conn.close_on_drop();
        }
    }
}
