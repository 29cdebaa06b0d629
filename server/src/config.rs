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
    /// Directory for the database (`softtoken.db`) and, without SMTP, the mail outbox.
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

/// Database tuning.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `synchronous = FULL`: survive power loss too, at the cost of an fsync per commit.
    /// Default `NORMAL` survives process crashes.
    pub full_sync: bool,
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
