//! Storage: the database — SQLite or PostgreSQL, as the config's `[database] url` says — and
//! every SQL statement the provider runs: the only place that names SQL or sqlx
//! (`server/tests/layers.rs` checks it). One file per table; each holds the table's row type and
//! its statements, and converts columns to and from their types at this edge (`columns.rs`), so
//! the layers above see [`ServiceId`](softtoken_protocol::ids::ServiceId),
//! [`TokenState`](softtoken_protocol::wire::TokenState) and unsigned times, never stored strings
//! — nor which backend runs.
//!
//! | module | holds |
//! |---|---|
//! | [`Db`] (here) | opening, migrating and closing the database; its connection pools |
//! | [`sqlite`], [`postgres`] | what opening each backend takes (settings, migrations) |
//! | [`pg_failover`] | PostgreSQL with several hosts: connecting to the one that takes writes, moving when it stops |
//! | [`ReadConn`], [`WriteTx`] | a reading connection; a writing connection and its transaction |
//! | [`tokens`], [`services`], [`api_keys`], [`activations`], [`audit`], [`kek_check`], [`tokenless_attempts`], [`unknown_service_setup`], [`transactions`], [`used_challenges`] | one table each |
//! | [`accept`] | verification's accept statements (tokens and audit in one round trip) |
//! | [`batcher`] | group commit of verification's accepts |
//! | [`token_reads`] | verification's fast-path reads of tokens, batched on PostgreSQL |
//! | `task_queue` | the lazily started queue of the batcher's and the reader's tasks |
//! | [`retry`] | running a transaction again that PostgreSQL aborted in a deadlock or serialization failure |
//! | [`copy`] | copying a SQLite provider into an empty PostgreSQL database (`copy-database`) |
//! | [`checkpointer`] | SQLite's WAL checkpoints, on a connection of their own |
//!
//! Statements take `&mut impl Connection` (a [`ReadConn`] or a [`WriteTx`]); the raw connection
//! stays inside this module. A statement both engines run alike is written once, with `$N`
//! parameters (which sqlx's SQLite driver reads as `?N`), and run on either connection by
//! `on_backend!` (`backend.rs`), which instantiates the same code once per backend; a statement that differs
//! is written twice, beside each other, with the reason.
//!
//! **SQLite.** All writes go through one connection (`writer`), so every read-check-write
//! sequence in a transaction is serialized without SQLITE_BUSY retries: that is what makes "of
//! two concurrent identical codes exactly one is accepted" hold. Reads that need no consistency
//! with a following write use the `reader` pool, which WAL lets run beside the writer.
//! Durability: WAL with `synchronous = NORMAL` survives a crash of the process (a committed
//! transaction is in the WAL file before the reply is sent); only an OS crash or power loss can
//! lose the last transactions. Set `full_sync` in the config for that too. Each connection is
//! served by its own thread (sqlx), so every statement is a round trip between threads: the hot
//! path (verification) therefore uses [`WriteTx`], which sends `BEGIN` and `COMMIT` in the same
//! batch as the statements beside them, records the right codes of concurrent requests in one
//! transaction ([`batcher`]), and connections are not pinged when taken from a pool (they are
//! when given back, which the batcher avoids by keeping the writing connection while codes keep
//! coming).
//!
//! **PostgreSQL.** One pool serves reads and writes, shared by any number of provider
//! instances, at READ COMMITTED. Nothing relies on a single writer there: a read-check-write
//! sequence reads its row with `SELECT … FOR UPDATE` (the row stays locked until the
//! transaction ends, so a concurrent one waits and then reads the new row), and every counter,
//! replay guard and insert-once is one compare-and-set statement (`UPDATE … WHERE <as
//! expected>`, `INSERT … ON CONFLICT`), which PostgreSQL re-checks on the newest row version
//! after waiting for a concurrent writer.

#[macro_use]
mod backend;
pub mod accept;
pub mod activations;
pub mod api_keys;
pub mod audit;
pub mod batcher;
pub mod checkpointer;
mod columns;
pub mod copy;
pub mod kek_check;
pub mod pg_failover;
pub mod postgres;
pub mod retry;
pub mod services;
pub mod sqlite;
mod task_queue;
pub mod token_reads;
pub mod tokenless_attempts;
pub mod tokens;
pub mod transactions;
pub mod unknown_service_setup;
pub mod used_challenges;
mod write_tx;

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use pg_failover::Failover;

pub use write_tx::WriteTx;

pub use crate::{config::DB_FILE, error::is_corruption};
use crate::{
    config::DatabaseLocation,
    error::{StartupError, is_unavailable},
};
use backend::{Pooled, Raw};

/// What [`Db::open`] does when there is no database (SQLite: no file; PostgreSQL: no provider
/// schema in the database the URL names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Create it (`softtoken-server init`, and `--dev`, which initialises for itself).
    Create,
    /// Refuse to start: `serve` never creates a database it was not told to create.
    Refuse,
}

/// The database.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    /// Set once SQLite has reported the file corrupt (`SQLITE_CORRUPT`, `SQLITE_NOTADB`).
    corrupt: Arc<AtomicBool>,
    /// PostgreSQL with several hosts in the URL: what moves the pool to the one that takes
    /// writes.
    failover: Option<Arc<Failover>>,
}

/// The connection pools of each backend.
#[derive(Clone)]
enum Pools {
    /// One writing connection and a few reading ones.
    Sqlite {
        writer: sqlx::SqlitePool,
        reader: sqlx::SqlitePool,
        checkpointer: sqlx::SqlitePool,
    },
    /// One pool for reads and writes.
    Postgres(sqlx::PgPool),
}

/// Which backend runs (for a few tests and log lines; the rules never ask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl std::fmt::Debug for Db {
    /// The backend only: a pool's options may hold the database password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens the database `location` names and applies pending migrations; a missing one is
    /// created or refused, as `missing` says (see `sqlite::open` and `postgres::open` for
    /// what each backend checks first).
    pub async fn open(location: &DatabaseLocation, missing: Missing) -> Result<Db, StartupError> {
        let (pools, failover) = match location {
            DatabaseLocation::Sqlite { path, full_sync } => {
                let opened = sqlite::open(path, *full_sync, missing).await?;
                let pools = Pools::Sqlite {
                    writer: opened.writer,
                    reader: opened.reader,
                    checkpointer: opened.checkpointer,
                };
                (pools, None)
            }
            DatabaseLocation::Postgres(settings) => {
                let opened = postgres::open(settings, missing).await?;
                (Pools::Postgres(opened.pool), opened.failover)
            }
        };
        Ok(Db {
            pools,
            corrupt: Arc::new(AtomicBool::new(false)),
            failover,
        })
    }

    /// A request could not be served by the database (it answered 503): with several
    /// PostgreSQL hosts, has the pool's target checked, and moved to the host that takes
    /// writes if it no longer does (in the background; see [`pg_failover`]). Otherwise
    /// nothing: one host, or SQLite, has nowhere else to go.
    pub fn recheck_target(&self) {
        if let (Pools::Postgres(pool), Some(failover)) = (&self.pools, &self.failover) {
            failover.recheck(pool);
        }
    }

    /// Waits for a connection from the pool; with several PostgreSQL hosts, has the target
    /// rechecked when the wait is slow ([`pg_failover::SLOW_ACQUIRE`]: the pool may be
    /// retrying a host that is gone, which reports nothing until its 3 s wait ends) or fails.
    async fn watched<T>(
        &self,
        acquire: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        if self.failover.is_none() {
            return acquire.await;
        }
        let mut acquire = std::pin::pin!(acquire);
        let result = match tokio::time::timeout(pg_failover::SLOW_ACQUIRE, &mut acquire).await {
            Ok(result) => result,
            Err(_) => {
                self.recheck_target();
                acquire.await
            }
        };
        if result.as_ref().is_err_and(is_unavailable) {
            self.recheck_target();
        }
        result
    }

    /// Which backend runs.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Records that SQLite reported the database corrupt; logs it (at error level) the first
    /// time only. From then on [`Db::is_corrupt`] is true until the provider restarts: a
    /// damaged database needs its operator, and is not written to meanwhile.
    pub fn mark_corrupt(&self, detail: &str) {
        if !self.corrupt.swap(true, Ordering::SeqCst) {
            tracing::error!(
                error = detail,
                "the database is corrupt: every request now answers 503 and /healthz fails; \
                 stop the provider and restore the database from a backup"
            );
        }
    }

    /// Whether SQLite has reported the database corrupt since the start.
    pub fn is_corrupt(&self) -> bool {
        self.corrupt.load(Ordering::SeqCst)
    }

    /// A read that reaches the database (the health check's): its error, if any.
    pub async fn probe(&self) -> Result<(), sqlx::Error> {
        let mut conn = self.read().await?;
        on_backend!(&mut conn, |c| {
            sqlx::query("SELECT count(*) FROM kek_check")
                .fetch_one(c)
                .await
                .map(|_| ())
        })
    }

    /// A reading connection (SQLite: WAL lets it run beside the writer and see the last
    /// commit; PostgreSQL: one of the pool's).
    pub async fn read(&self) -> Result<ReadConn, sqlx::Error> {
        Ok(ReadConn(match &self.pools {
            Pools::Sqlite { reader, .. } => Pooled::Sqlite(reader.acquire().await?),
            Pools::Postgres(pool) => Pooled::Postgres(self.watched(pool.acquire()).await?),
        }))
    }

    /// The most connections the PostgreSQL pool opens (`pool_size`); `None` on SQLite.
    pub(super) fn postgres_pool_size(&self) -> Option<u32> {
        match &self.pools {
            Pools::Postgres(pool) => Some(pool.options().get_max_connections()),
            Pools::Sqlite { .. } => None,
        }
    }

    /// A PostgreSQL connection from the pool for a task that keeps it, such as the
    /// [`token_reads`] reader: it still counts toward the pool's size (`pool_size` stays the
    /// most this instance opens), and goes back to the pool only when dropped.
    pub(super) async fn own_postgres_connection(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, sqlx::Error> {
        match &self.pools {
            Pools::Postgres(pool) => self.watched(pool.acquire()).await,
            Pools::Sqlite { .. } => Err(sqlx::Error::Protocol(
                "a PostgreSQL connection asked of a SQLite database".into(),
            )),
        }
    }

    /// A writing connection (SQLite: the one, waiting for it), with no transaction begun yet:
    /// statements on it commit one by one until [`WriteTx::begin`] or a statement that begins
    /// one.
    pub async fn write(&self) -> Result<WriteTx, sqlx::Error> {
        self.watched(WriteTx::acquire(self.writing_pool())).await
    }

    /// Where [`Db::write`] takes its connections.
    fn writing_pool(&self) -> WritingPool {
        match &self.pools {
            Pools::Sqlite { writer, .. } => WritingPool::Sqlite(writer.clone()),
            Pools::Postgres(pool) => WritingPool::Postgres(pool.clone()),
        }
    }

    /// The schema version: the last migration applied (both backends number them alike;
    /// SQLite's migrations also set `PRAGMA user_version` to it, which is what this reads
    /// there).
    pub async fn schema_version(&self) -> Result<i64, sqlx::Error> {
        let mut conn = self.read().await?;
        match conn.0.raw() {
            Raw::Sqlite(c) => sqlx::query_scalar("PRAGMA user_version").fetch_one(c).await,
            Raw::Postgres(c) => {
                sqlx::query_scalar(
                    "SELECT COALESCE(max(version), 0) FROM _sqlx_migrations WHERE success",
                )
                .fetch_one(c)
                .await
            }
        }
    }

    /// Closes the pools (SQLite: flushing the WAL, see `sqlite::close`).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite {
                writer,
                reader,
                checkpointer,
            } => {
                sqlite::close(&sqlite::Pools {
                    writer: writer.clone(),
                    reader: reader.clone(),
                    checkpointer: checkpointer.clone(),
                })
                .await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    /// The SQLite writing pool, for tests and benchmarks that cause a fault or read a setting
    /// with SQL of their own. The provider itself never goes around [`Db::write`].
    ///
    /// # Panics
    ///
    /// On PostgreSQL (a test that calls it is a SQLite test).
    #[cfg(feature = "testing")]
    #[allow(clippy::panic)]
    pub fn writer_pool(&self) -> &sqlx::SqlitePool {
        match &self.pools {
            Pools::Sqlite { writer, .. } => writer,
            Pools::Postgres(_) => panic!("writer_pool: the database is PostgreSQL (pg_pool)"),
        }
    }

    /// The SQLite reading pool, for tests and benchmarks (see [`Db::writer_pool`]).
    ///
    /// # Panics
    ///
    /// On PostgreSQL.
    #[cfg(feature = "testing")]
    #[allow(clippy::panic)]
    pub fn reader_pool(&self) -> &sqlx::SqlitePool {
        match &self.pools {
            Pools::Sqlite { reader, .. } => reader,
            Pools::Postgres(_) => panic!("reader_pool: the database is PostgreSQL (pg_pool)"),
        }
    }

    /// The PostgreSQL pool, for tests (see [`Db::writer_pool`]); `None` on SQLite.
    #[cfg(feature = "testing")]
    pub fn pg_pool(&self) -> Option<&sqlx::PgPool> {
        match &self.pools {
            Pools::Postgres(pool) => Some(pool),
            Pools::Sqlite { .. } => None,
        }
    }
}

/// SQL of a test's own on either backend (for tests only: `$N` parameters, text binds), so one
/// test body serves both backends without naming a pool.
#[cfg(feature = "testing")]
impl Db {
    /// Runs a statement; returns the rows it changed.
    pub async fn test_execute(&self, sql: &str, binds: &[&str]) -> Result<u64, sqlx::Error> {
        let mut conn = self.write().await?;
        on_backend!(&mut conn, |c| {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = query.bind(*bind);
            }
            query.execute(c).await.map(|done| done.rows_affected())
        })
    }

    /// The first column of the one row a query returns, as an integer (`COUNT(*)`: a BIGINT on
    /// both backends).
    pub async fn test_scalar(&self, sql: &str, binds: &[&str]) -> Result<i64, sqlx::Error> {
        let mut conn = self.read().await?;
        on_backend!(&mut conn, |c| {
            let mut query = sqlx::query_scalar(sql);
            for bind in binds {
                query = query.bind(*bind);
            }
            query.fetch_one(c).await
        })
    }

    /// Every row of a query whose columns are all TEXT (NULL as `None`).
    pub async fn test_texts(
        &self,
        sql: &str,
        binds: &[&str],
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        use sqlx::Row as _;
        let mut conn = self.read().await?;
        on_backend!(&mut conn, |c| {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = query.bind(*bind);
            }
            query
                .fetch_all(c)
                .await?
                .iter()
                .map(|row| (0..row.len()).map(|i| row.try_get(i)).collect())
                .collect()
        })
    }
}

/// Where writing connections come from.
enum WritingPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A reading connection, given back to its pool when dropped.
pub struct ReadConn(Pooled);

/// Where a statement runs: a [`ReadConn`] or the [`WriteTx`]. The connection behind it is for
/// storage's statements only (the layers test keeps SQL out of every other module).
pub trait Connection: private::Connection {}

impl Connection for ReadConn {}
impl Connection for WriteTx {}

impl private::Connection for ReadConn {
    fn raw(&mut self) -> Result<Raw<'_>, sqlx::Error> {
        Ok(self.0.raw())
    }
}

/// The sealed part of [`Connection`]: a trait outside code cannot name, so no other type can be
/// a `Connection` and no caller holding a `ReadConn` or `WriteTx` can reach its connection.
pub(crate) mod private {
    use super::backend::Raw;

    pub trait Connection: Send {
        /// The connection statements run on, of whichever backend.
        fn raw(&mut self) -> Result<Raw<'_>, sqlx::Error>;

        /// Whether a row read to decide a write must be locked until the transaction ends
        /// (`SELECT … FOR UPDATE`): on PostgreSQL inside a write transaction, where other
        /// connections and instances write beside this one at READ COMMITTED.
        fn locks_reads(&self) -> bool {
            false
        }
    }
}
