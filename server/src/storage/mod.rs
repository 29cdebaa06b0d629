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
//! | [`tokens`], [`services`], [`api_keys`], [`activations`], [`audit`], [`kek_check`], [`tokenless_attempts`], [`unknown_service_setup`], [`transactions`], [`used_challenges`] | one table each |
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
pub mod transactions;
pub mod unknown_service_setup;
pub mod used_challenges;
mod write_tx;

pub use write_tx::WriteTx;

use std::{
    io::Read,
    path::Path,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sqlx::{
    Sqlite, SqliteConnection, SqlitePool,
    pool::PoolConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub use crate::error::is_corruption;
use crate::{
    error::StartupError,
    files::{create_private_dir, create_private_file},
};

/// What [`Db::open`] does when there is no database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Create it (`softtoken-server init`, and `--dev`, which initialises for itself).
    Create,
    /// Refuse to start: `serve` never creates a database it was not told to create.
    Refuse,
}

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

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
    /// Set once SQLite has reported the file corrupt (`SQLITE_CORRUPT`, `SQLITE_NOTADB`).
    corrupt: Arc<AtomicBool>,
}

impl Db {
    /// Opens `data_dir/softtoken.db` and applies pending migrations. A missing database is
    /// created (the data directory 0700, the file 0600 before SQLite opens it, so its `-wal`
    /// and `-shm` get the same mode) or refused, as `missing` says. An empty (0-byte) file or
    /// one that is not a SQLite database is always refused: it is a truncated or damaged
    /// database, and starting fresh on it would silently lose every token.
    pub async fn open(
        data_dir: &Path,
        full_sync: bool,
        missing: Missing,
    ) -> Result<Db, StartupError> {
        let path = data_dir.join(DB_FILE);
        check_file(&path, missing)?;
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|e| StartupError::Database(e.to_string()))?
            .create_if_missing(false)
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
            .map_err(|e| open_error(&path, "cannot open", &e))?;
        MIGRATOR.run(&writer).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => open_error(&path, "migration failed", &e),
            other => StartupError::Database(format!("migration failed: {other}")),
        })?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| open_error(&path, "cannot open", &e))?;
        Ok(Db {
            writer,
            reader,
            corrupt: Arc::new(AtomicBool::new(false)),
        })
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

    /// A read that reaches the file (the health check's): its error, if any.
    pub async fn probe(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT count(*) FROM kek_check")
            .fetch_one(&self.reader)
            .await
            .map(|_| ())
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

/// A failure to open, saying what to do when the file is damaged.
fn open_error(path: &Path, what: &str, err: &sqlx::Error) -> StartupError {
    if is_corruption(err) {
        StartupError::Database(format!(
            "{} is corrupt ({err}); restore it from a backup",
            path.display()
        ))
    } else {
        StartupError::Database(format!("{what} {}: {err}", path.display()))
    }
}

/// Before SQLite opens `path`: creates it (mode 0600) if missing and allowed, refuses it if
/// missing and not, and refuses an empty file or one without SQLite's header.
fn check_file(path: &Path, missing: Missing) -> Result<(), StartupError> {
    let database = |message: String| StartupError::Database(message);
    let shown = path.display();
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match missing {
                Missing::Refuse => Err(database(format!(
                    "no database at {shown}; create one with `softtoken-server init` (a new \
                     provider), or point data_dir at the existing one"
                ))),
                Missing::Create => {
                    if let Some(dir) = path.parent() {
                        create_private_dir(dir).map_err(|e| {
                            database(format!("cannot create data dir {}: {e}", dir.display()))
                        })?;
                    }
                    create_private_file(path)
                        .map(drop)
                        .map_err(|e| database(format!("cannot create {shown}: {e}")))
                }
            };
        }
        Err(e) => return Err(database(format!("cannot open {shown}: {e}"))),
    };
    let mut header = [0u8; 16];
    let read = file
        .read(&mut header)
        .map_err(|e| database(format!("cannot read {shown}: {e}")))?;
    if read == 0 {
        return Err(database(format!(
            "{shown} is empty (0 bytes): the database was truncated or never initialised. \
             Restore it from a backup; only if this provider is new, delete the file and run \
             `softtoken-server init`"
        )));
    }
    if read < header.len() || &header != SQLITE_HEADER {
        return Err(database(format!(
            "{shown} is not a SQLite database (corrupt or another file); restore it from a backup"
        )));
    }
    Ok(())
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
