//! Opening the SQLite backend: the file checks, the connection settings, the single writing
//! connection and the reading pool (see [`storage`](super) for why one writer).

use std::{io::Read, path::Path, str::FromStr, time::Duration};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::{
    Missing,
    checkpointer::{self, WAL_FALLBACK_PAGES},
    is_corruption,
};
use crate::{
    error::StartupError,
    files::{create_private_dir, create_private_file},
};

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The embedded SQLite migrations (`server/migrations/sqlite`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The writing connection, the reading pool and the checkpointing connection of an opened SQLite
/// database.
pub(super) struct Pools {
    pub(super) writer: SqlitePool,
    pub(super) reader: SqlitePool,
    /// The [`checkpointer`](super::checkpointer)'s own connection.
    pub(super) checkpointer: SqlitePool,
}

/// Opens the database file at `path` and applies pending migrations. A missing database is
/// created (its directory 0700, the file 0600 before SQLite opens it, so its `-wal` and `-shm`
/// get the same mode) or refused, as `missing` says. An empty (0-byte) file or one that is not
/// a SQLite database is always refused: it is a truncated or damaged database, and starting
/// fresh on it would silently lose every token.
pub(super) async fn open(
    path: &Path,
    full_sync: bool,
    missing: Missing,
) -> Result<Pools, StartupError> {
    check_file(path, missing)?;
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
        // Checkpoints are the checkpointer's, on its own connection; a commit checkpoints only
        // past this fallback (see `checkpointer`). A checkpoint inside a commit, with its two
        // fsyncs, holds every queued request up: 10-20 ms at SQLite's 1000 pages, 50-70 ms at
        // 8000 on the benchmark machine, about once a second at 3,000 verifications/s.
        .pragma("wal_autocheckpoint", WAL_FALLBACK_PAGES.to_string())
        // Room for every statement the writer runs prepared, including one verification
        // batch statement per batch size (up to 32, [`batcher`](super::batcher)), so none is
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
        .map_err(|e| open_error(path, "cannot open", &e))?;
    MIGRATOR.run(&writer).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::Execute(e) => open_error(path, "migration failed", &e),
        other => StartupError::Database(format!("migration failed: {other}")),
    })?;
    let checkpointer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        // Runs only `PASSIVE` checkpoints, which never wait for a lock (the `RESTART` runs on
        // the writer; see `checkpointer::checkpoint`); nothing on it is to wait either.
        .connect_with(options.clone().busy_timeout(Duration::ZERO))
        .await
        .map_err(|e| open_error(path, "cannot open", &e))?;
    let reader = SqlitePoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.read_only(true))
        .await
        .map_err(|e| open_error(path, "cannot open", &e))?;
    checkpointer::spawn(checkpointer.clone(), writer.clone());
    Ok(Pools {
        writer,
        reader,
        checkpointer,
    })
}

/// Closes the pools, flushing the WAL.
///
/// SQLite folds the WAL into the database and deletes it when the last connection closes,
/// but only if that connection may write: a read-only reader whose handle its worker thread
/// drops a moment after the pool's `close` returned would be the last, and leave the WAL.
/// So the writer checkpoints with `TRUNCATE` once the readers are closed, whatever the order
/// in which the handles finally go.
pub(super) async fn close(pools: &Pools) {
    pools.checkpointer.close().await;
    pools.reader.close().await;
    match pools.writer.acquire().await {
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
    pools.writer.close().await;
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
pub(super) fn check_file(path: &Path, missing: Missing) -> Result<(), StartupError> {
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
