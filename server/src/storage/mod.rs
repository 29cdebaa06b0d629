//! Storage: the SQLite database and every SQL statement the provider runs — the only place
//! that names SQL or sqlx (`server/tests/layers.rs` checks it). One file per table; each holds
//! the table's row type and its statements, and converts columns to and from their types at
//! this edge (`columns.rs`), so the layers above see [`ServiceId`](softtoken_protocol::ids::ServiceId),
//! [`TokenState`](softtoken_protocol::wire::TokenState) and unsigned times, never stored strings.
//!
//! | module | holds |
//! |---|---|
//! | [`Db`] (here) | opening, migrating and closing the database; its two connection pools |
//! | [`ReadConn`], [`WriteTx`] | a reading connection; the writing connection and its transaction |
//! | [`tokens`], [`services`], [`api_keys`], [`activations`], [`audit`], [`kek_check`], [`tokenless_attempts`], [`unknown_service_setup`] | one table each |
//! | [`accept`] | verification's accept statements (tokens and audit in one round trip) |
//! | [`batcher`] | group commit of verification's accepts |
//!
//! Statements take `&mut impl Connection` (a [`ReadConn`] or a [`WriteTx`]); the raw connection
//! stays inside this module. When a PostgreSQL backend comes beside SQLite, what differs lives
//! here, once per backend.
//!
//! All writes go through one connection (`writer`), so every read-check-write sequence in a
//! transaction is serialized without SQLITE_BUSY retries: that is what makes "of two
//! concurrent identical codes exactly one is accepted" hold. Reads that need no consistency
//! with a following write use the `reader` pool, which WAL lets run beside the writer.
//!
//! Durability: WAL with `synchronous = NORMAL` survives a crash of the process (a committed
//! transaction is in the WAL file before the reply is sent); only an OS crash or power loss can
//! lose the last transactions. Set `synchronous = FULL` in the config for that too.
//!
//! Each connection is served by its own thread (sqlx), so every statement is a round trip
//! between threads: the hot path (verification) therefore uses [`WriteTx`], which sends `BEGIN`
//! and `COMMIT` in the same batch as the statements beside them, records the right codes of
//! concurrent requests in one transaction ([`batcher`]), and connections are not pinged when
//! taken from a pool (they are when given back, which the batcher avoids by keeping the writing
//! connection while codes keep coming).

pub mod accept;
pub mod activations;
pub mod api_keys;
pub mod audit;
pub mod batcher;
mod columns;
pub mod kek_check;
pub mod services;
pub mod tokenless_attempts;
pub mod tokens;
pub mod unknown_service_setup;
mod write_tx;

pub use write_tx::WriteTx;

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    Sqlite, SqliteConnection, SqlitePool,
    pool::PoolConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::error::StartupError;

/// The embedded migrations (`server/migrations`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "softtoken.db";

/// WAL size, in pages, at which a commit also checkpoints (see [`Db::open`]).
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 8000;

/// The database: one writing connection and a few reading ones.
#[derive(Debug, Clone)]
pub struct Db {
    /// The single writing connection.
    writer: SqlitePool,
    /// Read-only connections.
    reader: SqlitePool,
}

impl Db {
    /// Opens (creating if needed) `data_dir/softtoken.db` and applies pending migrations.
    pub async fn open(data_dir: &Path, full_sync: bool) -> Result<Db, StartupError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StartupError::Database(format!(
                "cannot create data dir {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(DB_FILE);
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|e| StartupError::Database(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if full_sync {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Checkpoint every 8000 WAL pages (32 MiB) rather than SQLite's 1000. A checkpoint
            // runs inside the commit that crosses the threshold and, with its two fsyncs,
            // holds every queued request up (10-20 ms at 1000 pages, 50-70 ms at 8000 on the
            // benchmark machine). A verification writes about 3 pages, so at 3,000/s 1000
            // pages meant ~10 stalls a second — enough to put the p99 latency at the stall
            // (12-14 ms at 4 connections); 8000 means about one a second (p99 ~2 ms, max
            // ~70 ms). Durability is unchanged: commits are in the WAL either way.
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
            // Room for every statement the writer runs prepared, including one verification
            // batch statement per batch size (up to 32, [`batcher`]), so none is
            // evicted and re-prepared under load.
            .statement_cache_capacity(256);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // A local SQLite connection has no network to lose: the ping sqlx sends on every
            // acquire would only add a round trip to the connection's thread, inside the
            // writer's critical section. (sqlx still pings on release, and a dead connection
            // fails its next statement.)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(|e| StartupError::Database(format!("cannot open {}: {e}", path.display())))?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StartupError::Database(format!("migration failed: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| StartupError::Database(format!("cannot open {}: {e}", path.display())))?;
        Ok(Db { writer, reader })
    }

    /// A reading connection (WAL: it runs beside the writer and sees the last commit).
    pub async fn read(&self) -> Result<ReadConn, sqlx::Error> {
        Ok(ReadConn(self.reader.acquire().await?))
    }

    /// The writing connection (waiting for it), with no transaction begun yet: statements on
    /// it commit one by one until [`WriteTx::begin`] or a statement that begins one.
    pub async fn write(&self) -> Result<WriteTx, sqlx::Error> {
        WriteTx::acquire(&self.writer).await
    }

    /// The schema version (`PRAGMA user_version`).
    pub async fn schema_version(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&self.reader)
            .await
    }

    /// Closes both pools, flushing the WAL.
    ///
    /// SQLite folds the WAL into the database and deletes it when the last connection closes,
    /// but only if that connection may write: a read-only reader whose handle its worker thread
    /// drops a moment after the pool's `close` returned would be the last, and leave the WAL.
    /// So the writer checkpoints with `TRUNCATE` once the readers are closed, whatever the order
    /// in which the handles finally go.
    pub async fn close(&self) {
        self.reader.close().await;
        match self.writer.acquire().await {
            Ok(mut conn) => {
                if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&mut *conn)
                    .await
                {
                    tracing::warn!(error = %err, "WAL checkpoint at shutdown failed");
                }
            }
            Err(err) => tracing::warn!(error = %err, "no writing connection at shutdown"),
        }
        self.writer.close().await;
    }

    /// The writing pool, for tests and benchmarks that cause a fault or read a setting with SQL
    /// of their own. The provider itself never goes around [`Db::write`].
    #[cfg(feature = "testing")]
    pub fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// The reading pool, for tests and benchmarks (see [`Db::writer_pool`]).
    #[cfg(feature = "testing")]
    pub fn reader_pool(&self) -> &SqlitePool {
        &self.reader
    }
}

/// A reading connection, given back to its pool when dropped.
pub struct ReadConn(PoolConnection<Sqlite>);

/// Where a statement runs: a [`ReadConn`] or the [`WriteTx`]. The connection behind it is for
/// storage's statements only (the layers test keeps SQL out of every other module).
pub trait Connection: private::Connection {}

impl Connection for ReadConn {}
impl Connection for WriteTx {}

impl private::Connection for ReadConn {
    fn sqlite(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        Ok(&mut self.0)
    }
}

/// The sealed part of [`Connection`]: a trait outside code cannot name, so no other type can be
/// a `Connection` and no caller holding a `ReadConn` or `WriteTx` can reach its connection.
mod private {
    use sqlx::SqliteConnection;

    pub trait Connection: Send {
        /// The SQLite connection statements run on.
        fn sqlite(&mut self) -> Result<&mut SqliteConnection, sqlx::Error>;
    }
}
