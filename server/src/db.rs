//! The SQLite database: opening, migrating, and the two connection pools.
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
//! concurrent requests in one transaction ([`crate::provider::accept_batch`]), and connections
//! are not pinged when taken from a pool (they are when given back, which the batcher avoids by
//! keeping the writing connection while codes keep coming).

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

/// The database handles.
#[derive(Debug, Clone)]
pub struct Db {
    /// The single writing connection.
    pub writer: SqlitePool,
    /// Read-only connections.
    pub reader: SqlitePool,
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
            // batch statement per batch size (up to 32, `provider::accept_batch`), so none is
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

    /// The schema version (`PRAGMA user_version`).
    pub async fn schema_version(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&self.reader)
            .await
    }

    /// Closes both pools, flushing the WAL.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// A write transaction on the writing connection whose `BEGIN` and `COMMIT` travel in the same
/// batch as the statements next to them (`BEGIN IMMEDIATE; SELECT ...`, `UPDATE ...; COMMIT`),
/// instead of costing a round trip each as with [`sqlx::Transaction`] (which also waits for an
/// acknowledgement of each).
///
/// sqlx does not know about this transaction, so this guard makes sure the connection never goes
/// back to the pool with it open: the store function that sends the `BEGIN` marks it open
/// ([`WriteTx::opening`]) before sending, [`WriteTx::commit`] and [`WriteTx::rollback`] (or a
/// batch ending in `COMMIT`, [`WriteTx::closed`]) mark it closed, and if the guard is dropped
/// while it may still be open — an error, or the request future being dropped half-way — the
/// connection is closed instead of returned, which rolls the transaction back, and the pool
/// opens a fresh one.
pub struct WriteTx {
    conn: PoolConnection<Sqlite>,
    open: bool,
}

impl WriteTx {
    /// Takes the writing connection (waiting for it). No transaction is open yet.
    pub async fn acquire(writer: &SqlitePool) -> Result<WriteTx, sqlx::Error> {
        Ok(WriteTx {
            conn: writer.acquire().await?,
            open: false,
        })
    }

    /// The connection, for statements inside the transaction.
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    /// Marks the transaction as (possibly) open: call just before sending a batch that
    /// starts it.
    pub fn opening(&mut self) {
        self.open = true;
    }

    /// Marks the transaction as ended: call after a batch ending in `COMMIT` succeeded.
    pub fn closed(&mut self) {
        self.open = false;
    }

    /// Commits.
    pub async fn commit(&mut self) -> Result<(), sqlx::Error> {
        if self.open {
            sqlx::query("COMMIT").execute(&mut *self.conn).await?;
            self.open = false;
        }
        Ok(())
    }

    /// Rolls back (nothing to do if no transaction was begun).
    pub async fn rollback(&mut self) -> Result<(), sqlx::Error> {
        if self.open {
            sqlx::query("ROLLBACK").execute(&mut *self.conn).await?;
            self.open = false;
        }
        Ok(())
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            // Closing the connection rolls back whatever it had begun; the pool replaces it.
            self.conn.close_on_drop();
        }
    }
}
