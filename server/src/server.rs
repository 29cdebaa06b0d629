//! Starting and stopping the provider: config → TLS, KEK, database, mailer → HTTPS listener.
//! Used by the binary, by tests and by the CLI demo (in process).

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use axum_server::{
    Handle,
    accept::NoDelayAcceptor,
    tls_rustls::{RustlsAcceptor, RustlsConfig},
};
use softtoken_protocol::{
    clock::{Clock, SystemClock},
    ids::ServiceId,
};
use tokio::task::JoinHandle;

use crate::{
    api,
    app::App,
    config::Config,
    db::Db,
    error::StartupError,
    files::{Access, Existing, write_atomic},
    mail::{MailSettings, Mailer},
    provider::admin::{self, ServiceSpec},
    store, tls,
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
    pub app: Arc<App>,
    /// With `--dev`: the demo service's bank API key.
    pub dev_api_key: Option<String>,
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

    /// Stops accepting, lets requests in flight finish (up to the configured grace), closes
    /// the database.
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(self.grace));
        let _ = self.serve.await;
        self.janitor.abort();
        self.app.db.close().await;
    }

    /// Runs until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await;
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

/// Opens the database and checks the KEK against it (shared by `serve` and admin commands).
pub async fn open_store(config: &Config) -> Result<(Db, crate::kek::KeyRing), StartupError> {
    let keys = config.key_ring()?;
    let db = Db::open(&config.data_dir, config.database.full_sync).await?;
    admin::check_kek(&db, &keys).await?;
    Ok((db, keys))
}

/// Starts the provider.
pub async fn start(options: StartOptions) -> Result<RunningServer, StartupError> {
    let StartOptions { config, dev, clock } = options;
    tls::install_crypto_provider();
    let tls_config = tls::load_server_config(&config.tls.cert_file, &config.tls.key_file)?;
    let (db, keys) = open_store(&config).await?;

    let dev_api_key = if dev {
        Some(bootstrap_dev(&config, &db, &keys, clock.now_ms()).await?)
    } else {
        None
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
    let app = Arc::new(App::new(db, keys, mailer, config.limits.clone(), clock));
    let router = api::router(Arc::clone(&app));

    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| StartupError::Listen(format!("{}: {e}", config.listen)))?;
    // TCP_NODELAY on every accepted socket: without it a reply on a new TLS connection waits
    // for the peer's delayed ACK (~40 ms on Linux) behind the handshake's last flight.
    let tls = RustlsAcceptor::new(RustlsConfig::from_config(Arc::new(tls_config)))
        .acceptor(NoDelayAcceptor::new());
    let server = axum_server::from_tcp(listener)
        .map_err(|e| StartupError::Listen(e.to_string()))?
        .acceptor(tls);
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
    let janitor = tokio::spawn(purge_expired_activations(Arc::clone(&app)));
    tracing::info!(%addr, "listening");
    Ok(RunningServer {
        addr,
        app,
        dev_api_key,
        handle,
        serve,
        janitor,
        grace,
    })
}

/// Creates the demo service and its API key file if missing; returns the key.
async fn bootstrap_dev(
    config: &Config,
    db: &Db,
    keys: &crate::kek::KeyRing,
    now_ms: u64,
) -> Result<String, StartupError> {
    let dev = |e: admin::AdminError| StartupError::Config(format!("--dev bootstrap: {e}"));
    let service_id =
        ServiceId::parse(DEV_SERVICE_ID).map_err(|e| StartupError::Config(e.to_string()))?;
    let mut conn = db
        .reader
        .acquire()
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let exists = store::service(&mut conn, &service_id)
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    drop(conn);
    if exists.is_none() {
        admin::create_service(
            db,
            keys,
            &ServiceSpec::new(service_id, "SoftToken Demo Bank"),
            now_ms,
        )
        .await
        .map_err(dev)?;
    }
    let key_file: PathBuf = config.data_dir.join(DEV_API_KEY_FILE);
    if let Ok(key) = std::fs::read_to_string(&key_file)
        && !key.trim().is_empty()
    {
        return Ok(key.trim().to_owned());
    }
    let key = admin::create_api_key(db, &service_id, Some("dev".into()), now_ms)
        .await
        .map_err(dev)?;
    let line = zeroize::Zeroizing::new(format!("{key}\n"));
    write_atomic(
        &key_file,
        line.as_bytes(),
        Access::OwnerOnly,
        Existing::Replace,
    )
    .map_err(|e| StartupError::Config(format!("{}: {e}", key_file.display())))?;
    Ok(key)
}

/// Deletes expired activations once a minute (they are refused anyway; this bounds the table).
async fn purge_expired_activations(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Ok(mut conn) = app.db.writer.acquire().await
            && let Err(err) = store::purge_expired_activations(&mut conn, app.now_ms()).await
        {
            tracing::warn!(error = %err, "purging expired activations failed");
        }
    }
}
