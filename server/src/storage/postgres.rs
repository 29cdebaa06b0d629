//! Opening the PostgreSQL backend: connection settings (TLS, password, statement timeout), the
//! pool, the migrations (`server/migrations/postgres`, numbered as SQLite's so both reach the
//! same schema version), and the "never create a database unasked" rule. A URL naming several
//! hosts starts on the first that takes writes, and fails over between them
//! ([`pg_failover`](super::pg_failover)).

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions, PgSslMode},
};

use super::{Missing, pg_failover::Failover};
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

/// The opened database: its pool, and with several hosts in the URL what moves the pool
/// between them.
pub(super) struct Opened {
    pub pool: PgPool,
    pub failover: Option<Arc<Failover>>,
}

/// Connects to the database `settings` name (with several hosts: the first that takes writes,
/// waiting up to [`ACQUIRE_TIMEOUT`] for one), refuses one without the provider's schema unless
/// `missing` says to create it, and applies pending migrations. Errors name the hosts and
/// database, never the password.
pub(super) async fn open(
    settings: &PostgresSettings,
    missing: Missing,
) -> Result<Opened, StartupError> {
    let mut hosts = settings
        .host_urls
        .iter()
        .map(|url| connect_options(settings, url))
        .collect::<Result<Vec<_>, _>>()?;
    let pool_options = PgPoolOptions::new()
        .max_connections(settings.pool_size)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A network connection can die while idle in the pool (a database restart, a
        // failover): checked before use, a dead one is replaced instead of failing a request.
        .test_before_acquire(true);
    let (options, pool_options, failover) = match hosts.len() {
        0 | 1 => match hosts.pop() {
            Some(options) => (options, pool_options, None),
            None => return Err(StartupError::Config("[database] url names no host".into())),
        },
        _ => {
            let failover = Failover::new(hosts);
            let options = failover
                .first_writable(ACQUIRE_TIMEOUT)
                .await
                .map_err(|e| StartupError::Database(format!("PostgreSQL: {e}")))?;
            (options, failover.pool_options(pool_options), Some(failover))
        }
    };
    let shown = describe(&options);
    let pool = pool_options
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
    Ok(Opened { pool, failover })
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
    let (options, _) = writable_target(settings).await?;
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

/// The connection options of the host that takes writes (the only host of a single-host URL;
/// with several, the first in order that takes writes, waiting up to [`ACQUIRE_TIMEOUT`]), and
/// how to name it in messages (database, `host:port`; never the password). For one-off
/// connections: `init`'s check, `copy-database`'s target.
pub(super) async fn writable_target(
    settings: &PostgresSettings,
) -> Result<(PgConnectOptions, String), StartupError> {
    let options = match settings.host_urls.as_slice() {
        [one] => connect_options(settings, one)?,
        several => {
            let hosts = several
                .iter()
                .map(|url| connect_options(settings, url))
                .collect::<Result<Vec<_>, _>>()?;
            Failover::new(hosts)
                .first_writable(ACQUIRE_TIMEOUT)
                .await
                .map_err(|e| StartupError::Database(format!("PostgreSQL: {e}")))?
        }
    };
    let shown = describe(&options);
    Ok((options, shown))
}

/// The database `options` reach, for messages: its name, host and port (never the password).
fn describe(options: &PgConnectOptions) -> String {
    format!(
        "PostgreSQL database {:?} on {}",
        options.get_database().unwrap_or(options.get_username()),
        super::pg_failover::shown(options),
    )
}

/// The connection options of one host: its URL (one of the configured URL's hosts), then the
/// password, TLS and session settings of the configuration (which refused those keys inside
/// the URL).
fn connect_options(
    settings: &PostgresSettings,
    url: &str,
) -> Result<PgConnectOptions, StartupError> {
    // sqlx's message for a bad URL quotes no part of it.
    let mut options = PgConnectOptions::from_str(url)
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
            // Every statement is prepared once and run with parameters; each looks rows up by
            // key, so one plan serves all values. Left to choose, PostgreSQL planned the
            // array-parameter statements (a batch of accepts, a batch of token reads) afresh
            // at every run: measured with `perf` at 3,300 verifications/s, planning was 43 %
            // of PostgreSQL's CPU.
            ("plan_cache_mode", "force_generic_plan".to_owned()),
        ])
        // Every statement of every batch size stays prepared (see `sqlite::open`).
        .statement_cache_capacity(256))
}
