//! `softtoken-server`: run the provider, and administer it without SQL.
//!
//! ```text
//! softtoken-server serve --data-dir DIR --listen 127.0.0.1:PORT --dev
//! softtoken-server init --config /etc/softtoken/server.toml
//! softtoken-server serve --config /etc/softtoken/server.toml
//! softtoken-server service add --config F --service-id 10121234 --name "Example Bank"
//! softtoken-server key create --config F --service-id 10121234 --label core-banking
//! softtoken-server copy-database --from /var/lib/softtoken/softtoken.db --config postgres.toml
//! ```
//!
//! Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.

// A command-line tool prints its results; the workspace lint is for library code.
#![allow(clippy::print_stdout)]

use std::{
    io::Write, net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration,
};

use clap::{Args, Parser, Subcommand};
use softtoken_protocol::{
    clock::{Clock, SystemClock},
    ids::ServiceId,
    totp::{Algorithm, TokenParams},
};
use softtoken_server::{
    config::{Config, DatabaseLocation, LogFormat},
    ops::{
        self,
        services::{ServiceRules, ServiceSpec},
    },
    secrets::kek::generate_kek_file,
    server::{self, StartOptions},
    storage::{Missing, postgres},
};

#[derive(Parser)]
#[command(
    name = "softtoken-server",
    version,
    about = "SoftToken provider: issuance, activation, verification, revocation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the provider over HTTPS.
    Serve(ServeArgs),
    /// Manage services (banks).
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Manage bank API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage key-encryption keys.
    #[command(subcommand)]
    Kek(KekCommand),
    /// Create a new database (once, for a new provider), then exit.
    Init(Target),
    /// Migrate an existing database to this version's schema, then exit.
    Migrate(Target),
    /// Copy a SQLite provider database into the empty PostgreSQL database of the config (to
    /// move the provider to PostgreSQL; stop it first), verify the counts, then exit.
    CopyDatabase(CopyArgs),
}

/// `copy-database`: from a SQLite file into the configuration's PostgreSQL database.
#[derive(Args)]
struct CopyArgs {
    /// The SQLite database to copy (the provider's `softtoken.db`); opened read-only.
    #[arg(long)]
    from: PathBuf,
    /// The configuration the provider will run with on PostgreSQL: its `[database] url` is the
    /// target (an empty database), its KEK must open the source's secrets.
    #[arg(long, env = "SOFTTOKEN_CONFIG")]
    config: PathBuf,
}

/// Which provider: a config file, or a `--dev` data directory.
#[derive(Args, Clone)]
struct Target {
    /// The TOML configuration file.
    #[arg(long, env = "SOFTTOKEN_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (with --dev, everything lives here).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Development mode: local CA and certificate for 127.0.0.1/localhost, a KEK file and the
    /// demo service 10121234 are created under the data directory if missing.
    #[arg(long)]
    dev: bool,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    target: Target,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long)]
    listen: Option<SocketAddr>,
}

#[derive(Subcommand)]
enum ServiceCommand {
    /// Add a service.
    Add {
        #[command(flatten)]
        target: Target,
        /// Service ID (8 digits).
        #[arg(long)]
        service_id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// HMAC algorithm of its tokens.
        #[arg(long, default_value = "SHA1")]
        algorithm: String,
        /// Digits per code.
        #[arg(long, default_value_t = 8)]
        digits: u8,
        /// Seconds per code.
        #[arg(long, default_value_t = 30)]
        period: u32,
        /// Activation attempts before lockout.
        #[arg(long, default_value_t = 5)]
        max_activation_attempts: u32,
        /// Consecutive wrong codes before lockout (at most 100).
        #[arg(long, default_value_t = 5)]
        max_failures: u32,
        /// Seconds an issued token may take to be set up.
        #[arg(long, default_value_t = 86_400)]
        token_ttl_secs: u64,
        /// Verification window in steps.
        #[arg(long, default_value_t = 1)]
        verify_window: u32,
    },
    /// List services.
    List {
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a bank API key (printed once; only a hash is stored).
    Create {
        #[command(flatten)]
        target: Target,
        /// The service the key may act for.
        #[arg(long)]
        service_id: String,
        /// A label, e.g. the bank system using it.
        #[arg(long)]
        label: Option<String>,
    },
    /// List API keys (ids and labels, never secrets).
    List {
        #[command(flatten)]
        target: Target,
    },
    /// Revoke an API key by id.
    Revoke {
        #[command(flatten)]
        target: Target,
        /// Key id (the part between `st_` and `.`).
        #[arg(allow_hyphen_values = true)]
        key_id: String,
    },
}

#[derive(Subcommand)]
enum KekCommand {
    /// Write a new random KEK (64 hex characters) to a new file, mode 0600.
    Generate {
        /// The file to create.
        file: PathBuf,
    },
    /// Re-seal every secret under `kek.current` (after rotating keys in the config).
    Rewrap {
        #[command(flatten)]
        target: Target,
    },
}

/// A failure with the exit code it deserves.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }

    fn runtime(message: impl std::fmt::Display) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }
}

impl From<softtoken_server::error::StartupError> for Failure {
    fn from(err: softtoken_server::error::StartupError) -> Self {
        Self {
            code: 2,
            message: err.to_string(),
        }
    }
}

fn resolve(target: &Target, listen: Option<SocketAddr>) -> Result<Config, Failure> {
    let default_listen = SocketAddr::from(([127, 0, 0, 1], 8443));
    match (&target.config, target.dev, &target.data_dir) {
        (Some(path), false, _) => {
            let mut config = Config::load(path)?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(dir) = &target.data_dir {
                config.data_dir = dir.clone();
            }
            Ok(config)
        }
        (None, true, Some(dir)) => Ok(Config::dev(dir, listen.unwrap_or(default_listen))?),
        (None, true, None) => Err(Failure::usage("--dev needs --data-dir DIR")),
        (Some(_), true, _) => Err(Failure::usage("use either --config or --dev, not both")),
        (None, false, _) => Err(Failure::usage(
            "pass --config FILE (production) or --dev --data-dir DIR (development); \
             without --dev the provider refuses to start without TLS material and a KEK",
        )),
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Admin commands create a database only in `--dev` mode, which initialises for itself.
fn missing(target: &Target) -> Missing {
    if target.dev {
        Missing::Create
    } else {
        Missing::Refuse
    }
}

fn parse_service_id(raw: &str) -> Result<ServiceId, Failure> {
    ServiceId::parse(raw).map_err(|e| Failure::usage(e.to_string()))
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let now = SystemClock.now_ms();
    match cli.command {
        Command::Serve(args) => {
            let config = resolve(&args.target, args.listen)?;
            init_logging(&config);
            let running = server::start(StartOptions {
                config,
                dev: args.target.dev,
                clock: Arc::new(SystemClock),
            })
            .await?;
            // The one line scripts and tests wait for.
            let mut stdout = std::io::stdout();
            writeln!(stdout, "ready {}", running.url()).map_err(Failure::runtime)?;
            stdout.flush().map_err(Failure::runtime)?;
            running.run_until_signal().await;
            Ok(())
        }
        Command::Init(target) => {
            let config = resolve(&target, None)?;
            let location = config.database_location()?;
            let shown = match &location {
                DatabaseLocation::Sqlite { path, .. } => {
                    if path.exists() {
                        return Err(Failure::runtime(format!(
                            "{} exists already; `init` never touches an existing database",
                            path.display()
                        )));
                    }
                    path.display().to_string()
                }
                DatabaseLocation::Postgres(settings) => {
                    if postgres::is_initialised(settings).await? {
                        return Err(Failure::runtime(
                            "the PostgreSQL database has the provider's schema already; `init` \
                             never touches an existing database",
                        ));
                    }
                    "(PostgreSQL)".to_owned()
                }
            };
            let (db, _) = server::open_store(&config, Missing::Create).await?;
            let version = db.schema_version().await.map_err(Failure::runtime)?;
            db.close().await;
            println!("initialised database {shown} at schema version {version}");
            Ok(())
        }
        Command::Migrate(target) => {
            let config = resolve(&target, None)?;
            let shown = match config.database_location()? {
                DatabaseLocation::Sqlite { path, .. } => path.display().to_string(),
                DatabaseLocation::Postgres(_) => "(PostgreSQL)".to_owned(),
            };
            let (db, _) = server::open_store(&config, missing(&target)).await?;
            let version = db.schema_version().await.map_err(Failure::runtime)?;
            println!("database {shown} at schema version {version}");
            Ok(())
        }
        Command::CopyDatabase(args) => {
            let config = Config::load(&args.config)?;
            let started = std::time::Instant::now();
            let report = ops::copy::copy_database(&args.from, &config)
                .await
                .map_err(|err| Failure {
                    code: if err.is_refusal() { 2 } else { 1 },
                    message: err.to_string(),
                })?;
            print_copy_report(&args.from, &report, started.elapsed());
            Ok(())
        }
        Command::Service(ServiceCommand::Add {
            target,
            service_id,
            name,
            algorithm,
            digits,
            period,
            max_activation_attempts,
            max_failures,
            token_ttl_secs,
            verify_window,
        }) => {
            let config = resolve(&target, None)?;
            let (db, keys) = server::open_store(&config, missing(&target)).await?;
            let algorithm: Algorithm = algorithm
                .parse()
                .map_err(|e: softtoken_protocol::totp::TotpError| Failure::usage(e.to_string()))?;
            let params = TokenParams::new(algorithm, digits, period)
                .map_err(|e| Failure::usage(e.to_string()))?;
            let spec = ServiceSpec {
                service_id: parse_service_id(&service_id)?,
                name,
                rules: ServiceRules {
                    params,
                    max_activation_attempts,
                    max_failures,
                    token_ttl_secs,
                    verify_window,
                },
            };
            ops::services::create(&db, &keys, &spec, now)
                .await
                .map_err(Failure::runtime)?;
            println!("service {} added", spec.service_id);
            Ok(())
        }
        Command::Service(ServiceCommand::List { target }) => {
            let config = resolve(&target, None)?;
            let (db, _) = server::open_store(&config, missing(&target)).await?;
            for s in ops::services::list(&db).await.map_err(Failure::runtime)? {
                println!(
                    "{}  {}  {}/{} digits/{} s  activation attempts {}  failures {}  ttl {} s  window {}",
                    s.service_id,
                    s.name,
                    s.rules.params.algorithm(),
                    s.rules.params.digits(),
                    s.rules.params.period(),
                    s.rules.max_activation_attempts,
                    s.rules.max_failures,
                    s.rules.token_ttl_secs,
                    s.rules.verify_window
                );
            }
            Ok(())
        }
        Command::Key(KeyCommand::Create {
            target,
            service_id,
            label,
        }) => {
            let config = resolve(&target, None)?;
            let (db, _) = server::open_store(&config, missing(&target)).await?;
            let key = ops::api_keys::create(&db, &parse_service_id(&service_id)?, label, now)
                .await
                .map_err(Failure::runtime)?;
            eprintln!(
                "API key for service {service_id} (shown once; store it in the bank's secret store):"
            );
            println!("{}", key.as_str());
            Ok(())
        }
        Command::Key(KeyCommand::List { target }) => {
            let config = resolve(&target, None)?;
            let (db, _) = server::open_store(&config, missing(&target)).await?;
            for k in ops::api_keys::list(&db).await.map_err(Failure::runtime)? {
                let state = if k.revoked_at_ms.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!(
                    "{}  service {}  {}  {}",
                    k.key_id,
                    k.service_id,
                    state,
                    k.label.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Key(KeyCommand::Revoke { target, key_id }) => {
            let config = resolve(&target, None)?;
            let (db, _) = server::open_store(&config, missing(&target)).await?;
            ops::api_keys::revoke(&db, &key_id, now)
                .await
                .map_err(Failure::runtime)?;
            println!("key {key_id} revoked");
            Ok(())
        }
        Command::Kek(KekCommand::Generate { file }) => {
            generate_kek_file(&file).map_err(Failure::runtime)?;
            println!("wrote a new KEK to {}", file.display());
            Ok(())
        }
        Command::Kek(KekCommand::Rewrap { target }) => {
            let config = resolve(&target, None)?;
            let (db, keys) = server::open_store(&config, missing(&target)).await?;
            let count = ops::kek::rewrap(&db, &keys, now)
                .await
                .map_err(Failure::runtime)?;
            println!(
                "re-sealed {count} records under KEK version {}",
                keys.current_version()
            );
            Ok(())
        }
    }
}

/// The per-table counts of a copy, as a table, then one line saying what was copied where.
fn print_copy_report(from: &std::path::Path, report: &ops::copy::CopyReport, took: Duration) {
    let width = report
        .tables
        .iter()
        .map(|count| count.table.len())
        .max()
        .unwrap_or(0)
        .max("table".len());
    println!(
        "{:<width$}  {:>12}  {:>12}",
        "table", "SQLite", "PostgreSQL"
    );
    for count in &report.tables {
        println!(
            "{:<width$}  {:>12}  {:>12}",
            count.table, count.source_rows, count.target_rows
        );
    }
    println!(
        "copied {} rows of {} tables from {} into {} (schema version {}) in {:.1} s; the counts \
         match",
        report.rows(),
        report.tables.len(),
        from.display(),
        report.target,
        report.schema_version,
        took.as_secs_f64()
    );
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("softtoken-server: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("softtoken-server: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
