//! Configuration: the TOML file for production, and `--dev` defaults that create everything
//! under the data directory.
//!
//! Every key is documented in `docs/server.md`. Secrets never live in this file: the KEK and
//! the SMTP password are read from files or environment variables it names.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::Deserialize;
use softtoken_protocol::wire::{DEFAULT_LIFETIME_S, MAX_LIFETIME_S, MAX_PENDING, MIN_LIFETIME_S};

pub mod db_url;

use crate::{
    error::StartupError,
    files::create_private_dir,
    mail::SmtpConfig,
    secrets::kek::{Kek, KeyRing, generate_kek_file},
    tls,
};

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `0.0.0.0:8443` (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Directory for the SQLite database (`softtoken.db`, unless `[database] url` names
    /// another) and, without SMTP, the mail outbox.
    pub data_dir: PathBuf,
    /// TLS certificate chain and key.
    pub tls: TlsFiles,
    /// Key-encryption keys.
    pub kek: KekConfig,
    /// Mail.
    #[serde(default)]
    pub mail: MailConfig,
    /// Limits and timeouts.
    #[serde(default)]
    pub limits: Limits,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Database tuning.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// Transaction authentication (取引認証).
    #[serde(default)]
    pub transactions: TransactionsConfig,
}

/// TLS material (PEM files).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// Private key of the leaf.
    pub key_file: PathBuf,
}

/// Where a KEK comes from: exactly one of `file` and `env`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KekSource {
    /// Version number, stored beside every sealed secret.
    pub version: u32,
    /// A file holding 64 hex characters (or base64 of 32 bytes).
    pub file: Option<PathBuf>,
    /// An environment variable holding the same.
    pub env: Option<String>,
}

/// The KEK used for new secrets and older ones still needed to open existing secrets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KekConfig {
    /// Seals new secrets.
    pub current: KekSource,
    /// Older keys, until `softtoken-server kek rewrap` has moved everything to `current`.
    #[serde(default)]
    pub previous: Vec<KekSource>,
    /// Start even though a KEK file may be read by group or others (a warning is logged).
    /// Without it such a file is refused.
    #[serde(default)]
    pub allow_insecure_kek_permissions: bool,
}

/// Mail settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Sender, e.g. `SoftToken <no-reply@otp-auth.net>`.
    pub from: String,
    /// The app download link put in every issuance mail.
    pub app_link: String,
    /// An SMTP relay; without it mail goes to `data_dir/outbox/*.eml`.
    pub smtp: Option<SmtpConfig>,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "SoftToken <no-reply@otp-auth.net>".to_owned(),
            app_link: "https://otp-auth.net/app".to_owned(),
            smtp: None,
        }
    }
}

/// Limits and timeouts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Requests per minute per client IP on device endpoints (0 = unlimited).
    pub device_requests_per_minute: u32,
    /// Burst allowance per client IP on device endpoints.
    pub device_burst: u32,
    /// Whole-request timeout, seconds.
    pub request_timeout_secs: u64,
    /// How long an app has between KE2 and KE3, seconds.
    pub activation_ttl_secs: u64,
    /// How long SIGTERM waits for requests in flight, seconds.
    pub shutdown_grace_secs: u64,
    /// Concurrent connections at most; 0: the soft descriptor limit (raised to the hard limit
    /// at start) less a headroom for the database and files. A larger value is lowered to that.
    pub max_connections: u32,
    /// Concurrent connections from one client address (IPv6: one /64) at most; 0: no cap.
    pub max_connections_per_ip: u32,
    /// Time a client has to complete the TLS handshake, seconds.
    pub tls_handshake_timeout_secs: u64,
    /// Time a client has to send a request's whole header once the connection is ready for
    /// one, seconds: on HTTP/1.1 it also closes a keep-alive connection idle for that long,
    /// and it bounds the wait for the first request on any connection.
    pub header_read_timeout_secs: u64,
    /// A connection on which no byte has moved either way for this long is closed, seconds
    /// (idle HTTP/2 connections, peers that stop reading). Longer than `request_timeout_secs`.
    pub idle_timeout_secs: u64,
    /// Failed bank authentications one client address may make at once (IPv6: one /64);
    /// then its bank requests are answered 429 until the bucket refills. A key id may fail
    /// three times as often, from all addresses, before its failures are answered 429.
    pub bank_auth_failure_burst: u32,
    /// Failed bank authentications a client address earns back per minute (a key id: three
    /// times as many).
    pub bank_auth_failures_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            device_requests_per_minute: 120,
            device_burst: 30,
            request_timeout_secs: 10,
            activation_ttl_secs: 300,
            shutdown_grace_secs: 10,
            max_connections: 0,
            max_connections_per_ip: 256,
            tls_handshake_timeout_secs: 5,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            bank_auth_failure_burst: 10,
            bank_auth_failures_per_minute: 10,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Format.
    pub format: LogFormat,
    /// `tracing` filter, e.g. `info` or `softtoken_server=debug` (overridden by `RUST_LOG`).
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".to_owned(),
        }
    }
}

/// The database: which one (`url`) and its settings. Without `url`, SQLite in
/// `data_dir/softtoken.db`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (a SQLite file) or `postgres://USER@HOST:PORT/DATABASE` (never with a
    /// password: see `password_file`, `password_env`), where `HOST:PORT` may be a list,
    /// `HOST1:PORT1,HOST2:PORT2` (tried in order: the provider uses the first that takes
    /// writes, and moves to another when it stops taking them; see [`db_url`]). Default: SQLite
    /// in the data directory.
    pub url: Option<String>,
    /// SQLite: `synchronous = FULL`, to survive power loss too, at the cost of an fsync per
    /// commit. Default `NORMAL` survives process crashes.
    pub full_sync: bool,
    /// PostgreSQL: a file holding the password (its first line).
    pub password_file: Option<PathBuf>,
    /// PostgreSQL: an environment variable holding the password.
    pub password_env: Option<String>,
    /// PostgreSQL: connections this provider opens at most (default 10).
    pub pool_size: Option<u32>,
    /// PostgreSQL: longest a statement may run, ms, before the server cancels it (default
    /// 5000; 0: no limit).
    pub statement_timeout_ms: Option<u64>,
    /// PostgreSQL: TLS to the database (default `verify-full`).
    pub sslmode: Option<SslMode>,
    /// PostgreSQL: the CA certificate(s) (PEM) the server's certificate must chain to, for
    /// `verify-ca` and `verify-full` (without it: the public web PKI roots).
    pub ca_file: Option<PathBuf>,
}

/// TLS to PostgreSQL, with libpq's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Plain TCP (a database on the same host or a trusted network only).
    Disable,
    /// TLS, the server's certificate not checked (protects against eavesdroppers only).
    Require,
    /// TLS, the certificate must chain to `ca_file`.
    VerifyCa,
    /// TLS, the certificate must chain to `ca_file` and name the host of the URL.
    VerifyFull,
}

/// File name of the SQLite database inside the data directory (when no `url` names another).
pub const DB_FILE: &str = "softtoken.db";

/// Default of `[database] pool_size`.
pub const DEFAULT_POOL_SIZE: u32 = 10;
/// Largest `[database] pool_size` (PostgreSQL's own default `max_connections` is 100).
pub const MAX_POOL_SIZE: u32 = 1000;
/// Default of `[database] statement_timeout_ms`.
pub const DEFAULT_STATEMENT_TIMEOUT_MS: u64 = 5000;

/// Where the database is, with what opening it takes ([`DatabaseConfig::location`]).
#[derive(Debug, Clone)]
pub enum DatabaseLocation {
    /// A SQLite file.
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// `synchronous = FULL`.
        full_sync: bool,
    },
    /// A PostgreSQL database.
    Postgres(PostgresSettings),
}

/// How to reach a PostgreSQL database. `Debug` never shows the password.
#[derive(Clone)]
pub struct PostgresSettings {
    /// The URL as configured (no password in it).
    pub url: String,
    /// One single-host URL per host of `url`, in its order (just `url` when it names one host).
    pub host_urls: Vec<String>,
    /// The password, if one is configured.
    pub password: Option<zeroize::Zeroizing<String>>,
    /// Most connections.
    pub pool_size: u32,
    /// Statement timeout, ms (0: none).
    pub statement_timeout_ms: u64,
    /// TLS mode.
    pub sslmode: SslMode,
    /// CA file for `verify-ca`/`verify-full`.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("pool_size", &self.pool_size)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .field("sslmode", &self.sslmode)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl DatabaseConfig {
    /// The database these settings name, checked: the URL's scheme, no password in it, the
    /// keys that apply to its backend only, a password read if one is configured. Errors name
    /// the key and never show a password.
    pub fn location(&self, data_dir: &Path) -> Result<DatabaseLocation, StartupError> {
        let bad = |message: String| Err(StartupError::Config(format!("[database] {message}")));
        let url = self.url.as_deref().unwrap_or("");
        if url.is_empty() || url.starts_with("sqlite:") {
            let postgres_only = [
                ("password_file", self.password_file.is_some()),
                ("password_env", self.password_env.is_some()),
                ("pool_size", self.pool_size.is_some()),
                ("statement_timeout_ms", self.statement_timeout_ms.is_some()),
                ("sslmode", self.sslmode.is_some()),
                ("ca_file", self.ca_file.is_some()),
            ];
            if let Some((key, _)) = postgres_only.iter().find(|(_, set)| *set) {
                return bad(format!("{key} applies to a PostgreSQL url only"));
            }
            let path = match url
                .strip_prefix("sqlite://")
                .or(url.strip_prefix("sqlite:"))
            {
                None => data_dir.join(DB_FILE),
                Some("") => return bad("url: sqlite:// needs the database file's path".into()),
                Some(path) => PathBuf::from(path),
            };
            return Ok(DatabaseLocation::Sqlite {
                path,
                full_sync: self.full_sync,
            });
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return bad(
                "url must start with sqlite:// or postgres:// (the scheme is not shown here, \
                 in case the value is a secret)"
                    .into(),
            );
        }
        if self.full_sync {
            return bad("full_sync applies to SQLite only (PostgreSQL commits durably)".into());
        }
        if url_has_password(url) {
            return bad(
                "url must not hold a password: put it in password_file or password_env".into(),
            );
        }
        if let Some(key) = db_url::query_keys(url)
            .into_iter()
            .find(|key| ["password", "sslmode", "sslrootcert"].contains(&key.as_str()))
        {
            return bad(format!(
                "url: set {key} with its own key in [database], not in the url"
            ));
        }
        let host_urls = match db_url::host_urls(url) {
            Ok(host_urls) => host_urls,
            Err(e) => return bad(format!("url: {e}")),
        };
        let password = match (&self.password_file, &self.password_env) {
            (Some(_), Some(_)) => {
                return bad("set at most one of password_file and password_env".into());
            }
            (Some(file), None) => Some(read_password_file(file)?),
            (None, Some(var)) => match std::env::var(var) {
                Ok(value) if !value.is_empty() => Some(zeroize::Zeroizing::new(value)),
                _ => {
                    return bad(format!(
                        "password_env: environment variable {var} is not set"
                    ));
                }
            },
            (None, None) => None,
        };
        let pool_size = self.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
        if !(1..=MAX_POOL_SIZE).contains(&pool_size) {
            return bad(format!("pool_size must be between 1 and {MAX_POOL_SIZE}"));
        }
        let sslmode = self.sslmode.unwrap_or(SslMode::VerifyFull);
        if let Some(ca_file) = &self.ca_file {
            if !matches!(sslmode, SslMode::VerifyCa | SslMode::VerifyFull) {
                return bad("ca_file needs sslmode verify-ca or verify-full".into());
            }
            if let Err(e) = std::fs::metadata(ca_file) {
                return bad(format!("ca_file {}: {e}", ca_file.display()));
            }
        }
        Ok(DatabaseLocation::Postgres(PostgresSettings {
            url: url.to_owned(),
            host_urls,
            password,
            pool_size,
            statement_timeout_ms: self
                .statement_timeout_ms
                .unwrap_or(DEFAULT_STATEMENT_TIMEOUT_MS),
            sslmode,
            ca_file: self.ca_file.clone(),
        }))
    }
}

/// Whether a `postgres://` URL has a password in its authority (`user:password@host`).
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// The first line of a password file.
fn read_password_file(file: &Path) -> Result<zeroize::Zeroizing<String>, StartupError> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(file).map_err(|e| {
        StartupError::Config(format!("[database] password_file {}: {e}", file.display()))
    })?);
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(StartupError::Config(format!(
            "[database] password_file {} is empty",
            file.display()
        )));
    }
    Ok(zeroize::Zeroizing::new(line.to_owned()))
}

/// Transaction authentication (`docs/protocol.md` §9, `docs/server.md` "Transactions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransactionsConfig {
    /// Days a transaction's row (payee, amount, reference: the customer's data) is kept after
    /// it was created; then the periodic purge deletes it. At least 1.
    pub retention_days: u32,
    /// Lifetime of a transaction whose registration names none, seconds.
    pub default_lifetime_s: u32,
    /// Longest lifetime a registration may ask for, seconds (60 to 900: the protocol's
    /// `MIN_LIFETIME_S..=MAX_LIFETIME_S`, so a provider may be stricter than §9.6, never laxer).
    pub max_lifetime_s: u32,
    /// Pending transactions one token may have at once (1 to 10: the protocol's `MAX_PENDING`,
    /// since the app refuses a list reply with more).
    pub max_pending_per_token: u32,
}

impl Default for TransactionsConfig {
    fn default() -> Self {
        Self {
            retention_days: 30,
            default_lifetime_s: DEFAULT_LIFETIME_S,
            max_lifetime_s: MAX_LIFETIME_S,
            max_pending_per_token: 10,
        }
    }
}

impl TransactionsConfig {
    /// Refuses values that cannot work together, naming the key.
    pub fn check(&self) -> Result<(), StartupError> {
        let bad = |message: &str| Err(StartupError::Config(format!("[transactions] {message}")));
        if self.retention_days == 0 {
            return bad("retention_days must be at least 1");
        }
        if !(MIN_LIFETIME_S..=MAX_LIFETIME_S).contains(&self.max_lifetime_s) {
            return bad(&format!(
                "max_lifetime_s must be between {MIN_LIFETIME_S} and {MAX_LIFETIME_S}"
            ));
        }
        if !(MIN_LIFETIME_S..=self.max_lifetime_s).contains(&self.default_lifetime_s) {
            return bad(&format!(
                "default_lifetime_s must be between {MIN_LIFETIME_S} and max_lifetime_s"
            ));
        }
        let max_pending = u32::try_from(MAX_PENDING).unwrap_or(u32::MAX);
        if !(1..=max_pending).contains(&self.max_pending_per_token) {
            return bad(&format!(
                "max_pending_per_token must be between 1 and {MAX_PENDING}"
            ));
        }
        Ok(())
    }

    /// How long a transaction's row is kept, ms.
    pub fn retention_ms(&self) -> u64 {
        u64::from(self.retention_days).saturating_mul(86_400_000)
    }
}

/// File name of the dev-mode KEK inside the data directory.
pub const DEV_KEK_FILE: &str = "kek.hex";

impl Config {
    /// Reads a TOML config file.
    pub fn load(path: &Path) -> Result<Config, StartupError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StartupError::Config(format!("cannot read {}: {e}", path.display())))?;
        toml::from_str(&text)
            .map_err(|e| StartupError::Config(format!("{}: {}", path.display(), e.message())))
    }

    /// Development defaults: creates (if missing) a local CA and server certificate for
    /// 127.0.0.1/localhost under `data_dir/tls/`, and a KEK in `data_dir/kek.hex`.
    pub fn dev(data_dir: &Path, listen: SocketAddr) -> Result<Config, StartupError> {
        create_private_dir(data_dir).map_err(|e| {
            StartupError::Config(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let tls = tls::ensure_dev_tls(data_dir)?;
        let kek_file = data_dir.join(DEV_KEK_FILE);
        if !kek_file.exists() {
            generate_kek_file(&kek_file).map_err(|e| StartupError::Kek(e.to_string()))?;
        }
        Ok(Config {
            listen,
            data_dir: data_dir.to_path_buf(),
            tls: TlsFiles {
                cert_file: tls.cert_pem,
                key_file: tls.key_pem,
            },
            kek: KekConfig {
                current: KekSource {
                    version: 1,
                    file: Some(kek_file),
                    env: None,
                },
                previous: Vec::new(),
                allow_insecure_kek_permissions: false,
            },
            mail: MailConfig::default(),
            limits: Limits::default(),
            log: LogConfig::default(),
            database: DatabaseConfig::default(),
            transactions: TransactionsConfig::default(),
        })
    }

    /// Loads the configured KEKs.
    pub fn key_ring(&self) -> Result<KeyRing, StartupError> {
        let allow_others = self.kek.allow_insecure_kek_permissions;
        let current = load_kek(&self.kek.current, allow_others)?;
        let previous = self
            .kek
            .previous
            .iter()
            .map(|source| load_kek(source, allow_others))
            .collect::<Result<Vec<_>, _>>()?;
        KeyRing::new(current, previous).map_err(|e| StartupError::Kek(e.to_string()))
    }

    /// The database this configuration names (see [`DatabaseConfig::location`]).
    pub fn database_location(&self) -> Result<DatabaseLocation, StartupError> {
        self.database.location(&self.data_dir)
    }

    /// The mail outbox directory.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

fn load_kek(source: &KekSource, allow_others: bool) -> Result<Kek, StartupError> {
    let kek = match (&source.file, &source.env) {
        (Some(file), None) if allow_others => {
            Kek::from_file_allowing_others_access(source.version, file)
        }
        (Some(file), None) => Kek::from_file(source.version, file),
        (None, Some(var)) => Kek::from_env(source.version, var),
        _ => {
            return Err(StartupError::Kek(format!(
                "KEK version {}: set exactly one of `file` and `env`",
                source.version
            )));
        }
    };
    kek.map_err(|e| StartupError::Kek(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn database(toml_text: &str) -> DatabaseConfig {
        toml::from_str(toml_text).unwrap()
    }

    fn refusal(config: &DatabaseConfig) -> String {
        match config.location(Path::new("/data")) {
            Err(StartupError::Config(message)) => message,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn without_url_the_database_is_sqlite_in_the_data_dir() {
        match database("full_sync = true")
            .location(Path::new("/data"))
            .unwrap()
        {
            DatabaseLocation::Sqlite { path, full_sync } => {
                assert_eq!(path, Path::new("/data/softtoken.db"));
                assert!(full_sync);
            }
            other => panic!("{other:?}"),
        }
        match database("url = \"sqlite:///srv/st/main.db\"")
            .location(Path::new("/data"))
            .unwrap()
        {
            DatabaseLocation::Sqlite { path, .. } => assert_eq!(path, Path::new("/srv/st/main.db")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_postgres_url_takes_its_keys_and_defaults() {
        let config = database(
            "url = \"postgres://softtoken@db.example:5433/softtoken\"\n\
             pool_size = 20\nstatement_timeout_ms = 2500\nsslmode = \"verify-ca\"\n\
             ca_file = \"/\"",
        );
        let DatabaseLocation::Postgres(settings) = config.location(Path::new("/data")).unwrap()
        else {
            panic!("not PostgreSQL");
        };
        assert_eq!(settings.pool_size, 20);
        assert_eq!(settings.statement_timeout_ms, 2500);
        assert_eq!(settings.sslmode, SslMode::VerifyCa);
        let DatabaseLocation::Postgres(defaults) = database("url = \"postgresql://u@h/d\"")
            .location(Path::new("/data"))
            .unwrap()
        else {
            panic!("not PostgreSQL");
        };
        assert_eq!(defaults.pool_size, DEFAULT_POOL_SIZE);
        assert_eq!(defaults.statement_timeout_ms, DEFAULT_STATEMENT_TIMEOUT_MS);
        assert_eq!(defaults.sslmode, SslMode::VerifyFull);
        assert!(defaults.password.is_none());
    }

    #[test]
    fn bad_database_settings_are_refused_naming_the_key_never_the_password() {
        let secret = "s3cr3t-pw";
        let message = refusal(&database(&format!(
            "url = \"postgres://softtoken:{secret}@db/softtoken\""
        )));
        assert!(message.contains("password_file"), "{message}");
        assert!(!message.contains(secret), "{message}");
        let message = refusal(&database(&format!(
            "url = \"postgres://u@db/d?password={secret}\""
        )));
        assert!(!message.contains(secret), "{message}");
        for (toml_text, key) in [
            ("url = \"mysql://u@h/d\"", "url"),
            ("url = \"sqlite://\"", "url"),
            ("sslmode = \"require\"", "sslmode"),
            ("pool_size = 5", "pool_size"),
            ("url = \"postgres://u@h/d\"\npool_size = 0", "pool_size"),
            ("url = \"postgres://u@h/d\"\nfull_sync = true", "full_sync"),
            ("url = \"postgres://u@h/d?sslmode=disable\"", "sslmode"),
            (
                "url = \"postgres://u@h/d\"\nsslmode = \"require\"\nca_file = \"/\"",
                "ca_file",
            ),
            (
                "url = \"postgres://u@h/d\"\npassword_env = \"SOFTTOKEN_TEST_NO_SUCH_VAR\"",
                "SOFTTOKEN_TEST_NO_SUCH_VAR",
            ),
            (
                "url = \"postgres://u@h/d\"\npassword_file = \"/nonexistent/pw\"",
                "password_file",
            ),
        ] {
            let message = refusal(&database(toml_text));
            assert!(message.contains(key), "{toml_text}: {message}");
        }
        assert!(toml::from_str::<DatabaseConfig>("sslmode = \"prefer\"").is_err());
    }

    #[test]
    fn a_url_may_list_several_hosts_each_checked() {
        let DatabaseLocation::Postgres(settings) =
            database("url = \"postgres://softtoken@db1:5432,db2:5433/softtoken\"")
                .location(Path::new("/data"))
                .unwrap()
        else {
            panic!("not PostgreSQL");
        };
        assert_eq!(
            settings.host_urls,
            [
                "postgres://softtoken@db1:5432/softtoken",
                "postgres://softtoken@db2:5433/softtoken"
            ]
        );
        let DatabaseLocation::Postgres(one) = database("url = \"postgres://u@h:1/d\"")
            .location(Path::new("/data"))
            .unwrap()
        else {
            panic!("not PostgreSQL");
        };
        assert_eq!(one.host_urls, ["postgres://u@h:1/d"]);
        let secret = "s3cr3t-pw";
        let message = refusal(&database(&format!(
            "url = \"postgres://softtoken:{secret}@db1,db2/softtoken\""
        )));
        assert!(message.contains("password_file"), "{message}");
        assert!(!message.contains(secret), "{message}");
        let message = refusal(&database("url = \"postgres://u@db1,db2:5x/d\""));
        assert!(message.contains("url: host 2"), "{message}");
        assert!(!message.contains("5x"), "{message}");
    }

    #[test]
    fn the_password_is_read_from_its_file_and_never_debug_printed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "hunter2-pg\n").unwrap();
        let mut config = database("url = \"postgres://softtoken@db/softtoken\"");
        config.password_file = Some(file);
        let location = config.location(dir.path()).unwrap();
        let DatabaseLocation::Postgres(settings) = &location else {
            panic!("not PostgreSQL");
        };
        assert_eq!(
            settings.password.as_deref().map(String::as_str),
            Some("hunter2-pg")
        );
        assert!(!format!("{location:?}").contains("hunter2"));
    }
}
