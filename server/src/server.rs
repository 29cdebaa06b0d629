//! Starting and stopping the provider: config → TLS, KEK, database, mailer → state → HTTPS
//! listener. Used by the binary, by tests and by the CLI demo (in process).
//!
//! What a test (or a test kit) needs is here and stays stable: [`start`] from a [`Config`]
//! (with `dev: true`, the `--dev` bootstrap: the demo service [`DEV_SERVICE_ID`], its bank API
//! key and the development CA) and an injected clock; then the [`RunningServer`]'s
//! [`url`](RunningServer::url), [`dev_api_key`](RunningServer::dev_api_key) and
//! [`dev_ca_pem`](RunningServer::dev_ca_pem); and [`stop`](RunningServer::stop), after which a
//! new provider can start on the same data directory.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use axum_server::{
    Handle,
    tls_rustls::{RustlsAcceptor, RustlsConfig},
};
use softtoken_protocol::{
    clock::{Clock, SystemClock},
    ids::ServiceId,
};
use tokio::task::JoinHandle;

use crate::{
    config::{Config, Limits},
    conn::{ConnectionLimiter, GuardAcceptor, fd_limit},
    error::StartupError,
    files::{Existing, write_atomic},
    http,
    mail::{MailSettings, Mailer},
    ops::{self, AdminError, services::ServiceSpec},
    rules,
    secrets::kek::KeyRing,
    state::ServerState,
    storage::{Db, Missing},
    tls,
};

/// The demo service `--dev` creates.
pub const DEV_SERVICE_ID: &str = "10121234";
/// File (in the data directory) where `--dev` writes the demo service's bank API key.
pub const DEV_API_KEY_FILE: &str = "dev-api-key";

/// How to start.
pub struct StartOptions {
    /// The configuration.
    pub config: Config,
    /// Create the demo service and its API key if missing.
    pub dev: bool,
    /// The clock (tests move it).
    pub clock: Arc<dyn Clock>,
}

impl StartOptions {
    /// Production start with the system clock.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            dev: false,
            clock: Arc::new(SystemClock),
        }
    }
}

/// A provider that is listening.
pub struct RunningServer {
    /// The bound address (the real port when the config said 0).
    pub addr: SocketAddr,
    /// Shared state (tests inspect the database through it).
    pub state: Arc<ServerState>,
    /// With `--dev`: the demo service's bank API key.
    pub dev_api_key: Option<String>,
    /// With `--dev`: the development CA certificate (PEM) that clients pin.
    pub dev_ca_pem: Option<PathBuf>,
    limiter: Arc<ConnectionLimiter>,
    handle: Handle<SocketAddr>,
    serve: JoinHandle<std::io::Result<()>>,
    janitor: JoinHandle<()>,
    grace: Duration,
}

impl RunningServer {
    /// `https://127.0.0.1:PORT` (or the bound IP).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Connections held now (admitted and not yet closed).
    pub fn connections_held(&self) -> usize {
        self.limiter.held()
    }

    /// Stops accepting, lets requests in flight finish (up to the configured grace), and
    /// closes the database (the WAL checkpointed into it): a new provider may then start on the
    /// same data directory.
    pub async fn stop(self) {
        self.handle.graceful_shutdown(Some(self.grace));
        let _ = self.serve.await;
        self.janitor.abort();
        let _ = self.janitor.await;
        self.state.db.close().await;
    }

    /// Runs until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.stop().await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Opens the database and checks the KEK against it (shared by `serve` and admin commands). A
/// missing database is created only when `missing` says so (`init`, `--dev`).
pub async fn open_store(config: &Config, missing: Missing) -> Result<(Db, KeyRing), StartupError> {
    let keys = config.key_ring()?;
    let db = Db::open(&config.database_location()?, missing).await?;
    ops::kek::check(&db, &keys).await?;
    Ok((db, keys))
}

/// Starts the provider.
pub async fn start(options: StartOptions) -> Result<RunningServer, StartupError> {
    let StartOptions { config, dev, clock } = options;
    tls::install_crypto_provider();
    config.transactions.check()?;
    let tls_config = tls::load_server_config(&config.tls.cert_file, &config.tls.key_file)?;
    // `serve` never creates a database; `--dev` initialises its own (issue 12, finding 6).
    let missing = if dev {
        Missing::Create
    } else {
        Missing::Refuse
    };
    let (db, keys) = open_store(&config, missing).await?;

    let (dev_api_key, dev_ca_pem) = if dev {
        let key = bootstrap_dev(&config, &db, &keys, clock.now_ms()).await?;
        (Some(key), Some(tls::dev_tls_paths(&config.data_dir).ca_pem))
    } else {
        (None, None)
    };

    let settings = MailSettings {
        from: config.mail.from.clone(),
        app_link: config.mail.app_link.clone(),
    };
    let mailer = match &config.mail.smtp {
        Some(smtp) => Mailer::smtp(smtp, settings),
        None => Mailer::outbox(config.outbox_dir(), settings),
    }
    .map_err(|e| StartupError::Mail(e.to_string()))?;

    let grace = Duration::from_secs(config.limits.shutdown_grace_secs);
    let state = Arc::new(ServerState::new(
        db,
        keys,
        mailer,
        config.limits.clone(),
        config.transactions,
        clock,
    ));
    let router = http::router(Arc::clone(&state));

    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| StartupError::Listen(format!("{}: {e}", config.listen)))?;
    let limiter = connection_limiter(&config.limits);
    let tls = RustlsAcceptor::new(RustlsConfig::from_config(Arc::new(tls_config)))
        .handshake_timeout(secs(config.limits.tls_handshake_timeout_secs))
        .acceptor(GuardAcceptor::new(
            Arc::clone(&limiter),
            secs(config.limits.idle_timeout_secs),
        ));
    let header_read_timeout = secs(config.limits.header_read_timeout_secs);
    let mut server = axum_server::from_tcp(listener)
        .map_err(|e| StartupError::Listen(e.to_string()))?
        .acceptor(tls)
        // Also bounds hyper's protocol detection and an HTTP/2 client's first request.
        .first_request_timeout(header_read_timeout);
    // axum-server installs hyper's timer; hyper 1.x starts this timeout whenever the connection
    // waits for a request head, so it also closes HTTP/1.1 keep-alive connections idle for it.
    server
        .http_builder()
        .http1()
        .header_read_timeout(header_read_timeout);
    let handle = Handle::new();
    let serve = tokio::spawn(
        server
            .handle(handle.clone())
            .serve(router.into_make_service_with_connect_info::<SocketAddr>()),
    );
    let addr = handle
        .listening()
        .await
        .ok_or_else(|| StartupError::Listen(format!("could not listen on {}", config.listen)))?;
    let janitor = tokio::spawn(housekeeping(Arc::clone(&state)));
    tracing::info!(%addr, "listening");
    Ok(RunningServer {
        addr,
        state,
        dev_api_key,
        dev_ca_pem,
        limiter,
        handle,
        serve,
        janitor,
        grace,
    })
}

/// A duration in whole seconds, at least one (a zero timeout would refuse everything).
fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds.max(1))
}

/// Raises the descriptor limit (logging before and after) and sizes the connection cap below
/// it (`docs/server.md`, "Connections").
fn connection_limiter(limits: &Limits) -> Arc<ConnectionLimiter> {
    let fds = match fd_limit::raise_to_hard() {
        Ok(fds) => {
            tracing::info!(%fds, "file descriptor limit");
            fds
        }
        Err(err) => {
            let fds = fd_limit::current();
            tracing::warn!(%fds, error = %err, "could not raise the file descriptor limit");
            fds
        }
    };
    let max = match usize::try_from(limits.max_connections) {
        Ok(0) | Err(_) => fds.default_max_connections(),
        Ok(wanted) => {
            let max = fds.cap(wanted);
            if max < wanted {
                tracing::warn!(
                    wanted,
                    max,
                    "limits.max_connections lowered to leave descriptors for the database and files"
                );
            }
            max
        }
    };
    let per_ip = usize::try_from(limits.max_connections_per_ip).unwrap_or(usize::MAX);
    tracing::info!(
        max_connections = max,
        max_connections_per_ip = per_ip,
        "connection caps"
    );
    ConnectionLimiter::new(max, per_ip)
}

/// Creates the demo service and its API key file if missing; returns the key.
async fn bootstrap_dev(
    config: &Config,
    db: &Db,
    keys: &KeyRing,
    now_ms: u64,
) -> Result<String, StartupError> {
    let dev = |e: AdminError| StartupError::Config(format!("--dev bootstrap: {e}"));
    let service_id =
        ServiceId::parse(DEV_SERVICE_ID).map_err(|e| StartupError::Config(e.to_string()))?;
    if !ops::services::exists(db, &service_id).await.map_err(dev)? {
        let spec = ServiceSpec::new(service_id, "SoftToken Demo Bank");
        ops::services::create(db, keys, &spec, now_ms)
            .await
            .map_err(dev)?;
    }
    let key_file: PathBuf = config.data_dir.join(DEV_API_KEY_FILE);
    if let Ok(key) = std::fs::read_to_string(&key_file)
        && !key.trim().is_empty()
    {
        return Ok(key.trim().to_owned());
    }
    let key = ops::api_keys::create(db, &service_id, Some("dev".into()), now_ms)
        .await
        .map_err(dev)?;
    let line = zeroize::Zeroizing::new(format!("{}\n", key.as_str()));
    write_atomic(&key_file, line.as_bytes(), Existing::Replace)
        .map_err(|e| StartupError::Config(format!("{}: {e}", key_file.display())))?;
    Ok(key.as_str().to_owned())
}

/// Once a minute: deletes expired activations (they are refused anyway; this bounds the
/// table), and does the transactions' housekeeping (writes expiries, applies the retention).
async fn housekeeping(state: Arc<ServerState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(err) = rules::housekeeping::run(&state).await {
            tracing::warn!(error = %err, "periodic housekeeping failed");
        }
    }
}
