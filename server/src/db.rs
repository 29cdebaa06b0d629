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

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::error::StartupError;

/// The embedded migrations (`server/migrations`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "softtoken.db";

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
            .busy_timeout(Duration::from_secs(5));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
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
