//! `softtoken-server copy-database`: a SQLite provider copied into an empty PostgreSQL database,
//! to move it from one to the other (`docs/server.md`, "Moving from SQLite to PostgreSQL").
//!
//! Everything that can refuse the copy is checked before the target is written: the source's
//! schema version is this binary's, the configured KEK opens the source's check value (the
//! sealed secrets are copied as they are, so the provider on PostgreSQL must hold the key that
//! sealed them), and the target has no provider row. The copy itself (`storage::copy`) is one
//! PostgreSQL transaction that checks every table's count before it commits.

use std::path::Path;

use super::kek;
use crate::{
    config::{Config, DatabaseLocation},
    error::StartupError,
    secrets::kek::KeyRing,
    storage::copy::{self, CopyError, PostgresTarget, SqliteSource, TableCount},
};

/// What a copy did.
#[derive(Debug, Clone)]
pub struct CopyReport {
    /// The target: database, host and port.
    pub target: String,
    /// The schema version of both databases.
    pub schema_version: i64,
    /// Every table's rows in both, in copy order.
    pub tables: Vec<TableCount>,
}

impl CopyReport {
    /// Rows copied, all tables together.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|count| count.target_rows).sum()
    }
}

/// Why a copy was refused or failed; in every case nothing was written to the target.
#[derive(Debug, thiserror::Error)]
pub enum CopyDatabaseError {
    /// The configuration (or its KEK files) is unusable.
    #[error(transparent)]
    Config(#[from] StartupError),
    /// The configuration names a SQLite database, not a PostgreSQL one to copy into.
    #[error(
        "the configuration's database is SQLite ({0}): copy-database copies into the \
         PostgreSQL database its [database] url names (postgres://…)"
    )]
    TargetNotPostgres(String),
    /// The source has no KEK check value: no provider ever started on it.
    #[error(
        "the source database has no KEK check value: no provider ever started on it, so it \
         holds nothing to copy"
    )]
    NoKekCheck,
    /// The configured KEK does not open the source's check value.
    #[error("{0}; nothing was written")]
    WrongKek(StartupError),
    /// The copy was refused or failed.
    #[error(transparent)]
    Copy(#[from] CopyError),
}

impl CopyDatabaseError {
    /// Whether the copy was refused for what the operator gave it (exit code 2), rather than
    /// failing while it ran (exit code 1).
    pub fn is_refusal(&self) -> bool {
        match self {
            CopyDatabaseError::Copy(err) => err.is_refusal(),
            _ => true,
        }
    }
}

/// Copies the SQLite provider database at `from` into the empty PostgreSQL database `config`
/// names, checked by its KEK (see the module documentation).
pub async fn copy_database(from: &Path, config: &Config) -> Result<CopyReport, CopyDatabaseError> {
    let keys = config.key_ring()?;
    let settings = match config.database_location()? {
        DatabaseLocation::Postgres(settings) => settings,
        DatabaseLocation::Sqlite { path, .. } => {
            return Err(CopyDatabaseError::TargetNotPostgres(
                path.display().to_string(),
            ));
        }
    };
    let mut source = SqliteSource::open(from).await?;
    let copied = copy_from(&mut source, &keys, &settings).await;
    source.close().await;
    copied
}

/// The checks of the source, then the copy into the target.
async fn copy_from(
    source: &mut SqliteSource,
    keys: &KeyRing,
    settings: &crate::config::PostgresSettings,
) -> Result<CopyReport, CopyDatabaseError> {
    let schema_version = source.check_schema_version().await?;
    let sealed = source
        .kek_check()
        .await?
        .ok_or(CopyDatabaseError::NoKekCheck)?;
    kek::opens_check_value(keys, &sealed).map_err(CopyDatabaseError::WrongKek)?;

    let mut target = PostgresTarget::connect(settings).await?;
    let copied = match target.prepare().await {
        Ok(_) => copy::copy(source, &mut target).await,
        Err(err) => Err(err),
    };
    let shown = target.shown().to_owned();
    target.close().await;
    Ok(CopyReport {
        target: shown,
        schema_version,
        tables: copied?,
    })
}
