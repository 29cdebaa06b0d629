//! Opening the PostgreSQL backend: connection settings (TLS, password, statement timeout), the
//! pool, the migrations (`server/migrations/postgres`, numbered as SQLite's so both reach the
//! same schema version), and the "never create a database unasked" rule.

use std::{str::FromStr, time::Duration};

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions, PgSslMode},
};

use super::Missing;
use crate::{
    config::{PostgresSettings, SslMode},
    error::StartupError,
};

/// The embedded PostgreSQL migrations (`server/migrations/postgres`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Longest a request waits for a connection from the pool. Short, so that while the database
/// is down requests answer 503 well within the request timeout; the pool keeps trying to
/// connect for each new request, so it recovers on its own once the database is back.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A transaction left idle this long (a stuck provider, a lost client of `psql`) is ended by
/// the server, so its row locks do not hold every other instance up.
const IDLE_IN_TRANSACTION_TIMEOUT_MS: u64 = 30_000;

/// Connects to the database `settings` name, refuses one without the provider's schema unless
/// `missing` says to create it, and applies pending migrations. Errors name the host and
/// database, never the password.
pub(super) async fn open(
    settings: &PostgresSettings,
    missing: Missing,
) -> Result<PgPool, StartupError> {
    let options = connect_options(settings)?;
    let shown = describe(&options);
    let pool = PgPoolOptions::new()
        .max_connections(settings.pool_size)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A network connection can die while idle in the pool (a database restart, a
        // failover): checked before use, a dead one is replaced instead of failing a request.
        .test_before_acquire(true)
        .connect_with(options)
        .await
        .map_err(|e| StartupError::Database(format!("cannot connect to {shown}: {e}")))?;
    if missing == Missing::Refuse
        && !has_schema(&pool)
            .await
            .map_err(|e| StartupError::Database(format!("cannot read {shown}: {e}")))?
    {
        return Err(StartupError::Database(format!(
            "{shown} has no provider schema; create it with `softtoken-server init` (a new \
             provider), or point [database] url at the existing one"
        )));
    }
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StartupError::Database(format!("migration of {shown} failed: {e}")))?;
    Ok(pool)
}

/// The database `options` reach, for messages: its name, host and port (never the password).
pub(super) fn describe(options: &PgConnectOptions) -> String {
    format!(
        "PostgreSQL database {:?} on {}:{}",
        options.get_database().unwrap_or(options.get_username()),
        options.get_host(),
        options.get_port()
    )
}

/// Whether the provider's migrations ever ran in this database.
async fn has_schema(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
}

/// Whether the database `settings` name has the provider's schema (`init` refuses one that
/// has, as it refuses an existing SQLite file).
pub async fn is_initialised(settings: &PostgresSettings) -> Result<bool, StartupError> {
    let options = connect_options(settings)?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| StartupError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
    let found = has_schema(&pool)
        .await
        .map_err(|e| StartupError::Database(format!("cannot read the database: {e}")));
    pool.close().await;
    found
}

/// The connection options: the URL, then the password, TLS and session settings of the
/// configuration (which refused those keys inside the URL).
pub(super) fn connect_options(
    settings: &PostgresSettings,
) -> Result<PgConnectOptions, StartupError> {
    // sqlx's message for a bad URL quotes no part of it.
    let mut options = PgConnectOptions::from_str(&settings.url)
        .map_err(|e| StartupError::Config(format!("[database] url: {e}")))?;
    if let Some(password) = &settings.password {
        options = options.password(password);
    }
    options = options.ssl_mode(match settings.sslmode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Require => PgSslMode::Require,
        SslMode::VerifyCa => PgSslMode::VerifyCa,
        SslMode::VerifyFull => PgSslMode::VerifyFull,
    });
    if let Some(ca_file) = &settings.ca_file {
        options = options.ssl_root_cert(ca_file);
    }
    Ok(options
        .application_name("softtoken-server")
        .options([
            ("statement_timeout", settings.statement_timeout_ms.to_string()),
            (
                "idle_in_transaction_session_timeout",
                IDLE_IN_TRANSACTION_TIMEOUT_MS.to_string(),
            ),
        ])
        // Every statement of every batch size stays prepared (see `sqlite::open`).
        .statement_cache_capacity(256))
}
