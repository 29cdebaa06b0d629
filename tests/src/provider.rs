//! [`TestProvider`]: the real provider (`softtoken-server`) in process, HTTPS on 127.0.0.1, with
//! the `--dev` bootstrap (the demo service, its bank API key, a development CA) and a
//! [`ManualClock`] the test moves. It can be stopped and started again on the same data
//! directory and the same port, so a phone configured against it keeps working.
//!
//! With `SOFTTOKEN_TEST_DATABASE=postgres` ([`BACKEND_ENV`]) each provider's database is a
//! fresh one on the test binary's shared throwaway PostgreSQL cluster ([`PgCluster::shared`])
//! instead of SQLite in its data directory; everything else is the same.
//!
//! Defaults differ from `serve --dev` in one way: the per-IP limit on device endpoints is off,
//! because a suite activates many tokens from one address; tests of the limit turn it on with
//! [`TestProvider::start_with`].

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use softtoken_protocol::clock::{Clock, ManualClock};
use softtoken_server::{
    config::{Config, SslMode},
    error::StartupError,
    server::{self, RunningServer, StartOptions},
};

use crate::{
    bank::BankClient,
    device::DeviceClient,
    fixtures,
    postgres::{PgCluster, PgError},
};

/// The environment variable that selects the suites' backend: `postgres`, or unset (SQLite).
/// `cargo xtask test` runs the provider suites once with each.
pub const BACKEND_ENV: &str = "SOFTTOKEN_TEST_DATABASE";

/// Whether the suites run against PostgreSQL in this process ([`BACKEND_ENV`] is `postgres`).
pub fn postgres_selected() -> bool {
    std::env::var(BACKEND_ENV).is_ok_and(|value| value == "postgres")
}

/// A fresh, empty database on the test binary's shared cluster ([`PgCluster::shared`], started
/// on first use), as a `postgres://` URL without a password: what a suite's provider, or a test
/// opening the storage itself, runs on when [`postgres_selected`]. The URL says no `sslmode`:
/// the provider's config must (`disable`: plain TCP on 127.0.0.1).
pub fn postgres_database_url() -> Result<String, KitError> {
    let cluster = PgCluster::shared().map_err(PgError::again)?;
    Ok(cluster.fresh_database("provider")?)
}

/// Why the kit could not set something up.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// The provider did not start.
    #[error("the test provider did not start: {0}")]
    Start(#[from] StartupError),
    /// A file of the provider's data directory could not be read or made.
    #[error("{path}: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// An HTTPS client could not be built.
    #[error("TLS client: {0}")]
    Tls(String),
    /// The throwaway PostgreSQL cluster or its database could not be made.
    #[error("PostgreSQL for the test provider: {0}")]
    Postgres(#[from] PgError),
    /// The provider was already stopped.
    #[error("the test provider is stopped")]
    Stopped,
    /// A helper server of the kit (the clock control, the tampering relay) could not listen.
    #[error("{what} could not listen on 127.0.0.1: {error}")]
    Serve {
        /// Which helper.
        what: &'static str,
        /// What failed.
        error: std::io::Error,
    },
}

/// Where the provider keeps its data: a temporary directory the provider owns (removed when
/// it is dropped) or one the caller owns.
enum DataDir {
    Temporary(tempfile::TempDir),
    Given(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Temporary(dir) => dir.path(),
            DataDir::Given(path) => path,
        }
    }
}

/// The provider a test talks to. Dropping it without [`stop`](Self::stop) leaves its tasks to
/// end with the test's runtime.
pub struct TestProvider {
    server: Option<RunningServer>,
    config: Config,
    data: DataDir,
    clock: Arc<ManualClock>,
    url: String,
    api_key: String,
    ca_pem: String,
}

impl TestProvider {
    /// A provider in a fresh temporary directory.
    pub async fn start() -> Result<TestProvider, KitError> {
        Self::start_with(|_| {}).await
    }

    /// The same, after `tweak` has changed the configuration (limits, mail, database).
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Result<TestProvider, KitError> {
        let dir = tempfile::Builder::new()
            .prefix("softtoken-test-provider-")
            .tempdir()
            .map_err(|error| KitError::File {
                path: std::env::temp_dir(),
                error,
            })?;
        Self::start_at(DataDir::Temporary(dir), tweak).await
    }

    /// A provider on a data directory the caller owns (created if missing; kept afterwards).
    pub async fn start_in(
        data_dir: &Path,
        tweak: impl FnOnce(&mut Config),
    ) -> Result<TestProvider, KitError> {
        Self::start_at(DataDir::Given(data_dir.to_path_buf()), tweak).await
    }

    async fn start_at(
        data: DataDir,
        tweak: impl FnOnce(&mut Config),
    ) -> Result<TestProvider, KitError> {
        let mut config = Config::dev(data.path(), SocketAddr::from(([127, 0, 0, 1], 0)))?;
        config.limits.device_requests_per_minute = 0;
        if postgres_selected() {
            // The data directory's database on the test binary's shared cluster, plain TCP on
            // 127.0.0.1.
            config.database.url = Some(postgres_database(data.path())?);
            config.database.sslmode = Some(SslMode::Disable);
        }
        tweak(&mut config);
        let clock = Arc::new(ManualClock::new());
        let server = launch(&config, &clock).await?;
        // Restarts come back on the same port, so URLs handed out stay valid.
        config.listen = server.addr;
        let ca_path = config.data_dir.join("tls/ca.pem");
        let ca_pem = std::fs::read_to_string(&ca_path).map_err(|error| KitError::File {
            path: ca_path,
            error,
        })?;
        Ok(TestProvider {
            url: server.url(),
            api_key: server.dev_api_key.clone().unwrap_or_default(),
            server: Some(server),
            config,
            data,
            clock,
            ca_pem,
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The development CA certificate (PEM) that apps and banks pin.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Where the CA certificate is on disk.
    pub fn ca_pem_path(&self) -> PathBuf {
        self.data_dir().join("tls/ca.pem")
    }

    /// The dev service's bank API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The file the dev service's bank API key is kept in (what `serve --dev` writes).
    pub fn api_key_path(&self) -> PathBuf {
        self.data_dir().join(server::DEV_API_KEY_FILE)
    }

    /// The dev service, [`fixtures::SERVICE_ID`].
    pub fn service_id(&self) -> &'static str {
        fixtures::SERVICE_ID
    }

    /// The data directory (database, TLS files, KEK, mail outbox).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Where issuance mails are written (`*.eml`).
    pub fn outbox_dir(&self) -> PathBuf {
        self.config.outbox_dir()
    }

    /// The configuration it runs with (its `listen` is the bound address).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The provider's clock: move it to let time pass without sleeping.
    pub fn clock(&self) -> &Arc<ManualClock> {
        &self.clock
    }

    /// The provider's time now, unix ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The running server (tests that inspect the provider's state reach it through this).
    pub fn server(&self) -> Option<&RunningServer> {
        self.server.as_ref()
    }

    /// The bank of the dev service.
    pub fn bank(&self) -> Result<BankClient, KitError> {
        BankClient::new(&self.url, &self.ca_pem, fixtures::SERVICE_ID, &self.api_key)
    }

    /// A phone at the protocol level.
    pub fn device(&self) -> Result<DeviceClient, KitError> {
        DeviceClient::new(&self.url, &self.ca_pem)
    }

    /// Tests that compare codes of neighbouring steps: if the current step (of `period_s`)
    /// ends within 5 s, move the clock into the next one instead of racing it.
    pub fn settle(&self, period_s: u32) {
        let period_ms = u64::from(period_s.max(1)) * 1000;
        let left = period_ms - self.clock.now_ms() % period_ms;
        if left < 5_000 {
            self.clock
                .advance(std::time::Duration::from_millis(left + 500));
        }
    }

    /// Stops gracefully (requests in flight finish, the database is closed). The data
    /// directory stays; [`restart`](Self::restart) brings the provider back on it.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// Stops (if running) and starts again on the same data directory, port and clock.
    pub async fn restart(&mut self) -> Result<(), KitError> {
        self.stop().await;
        let server = launch(&self.config, &self.clock).await?;
        self.url = server.url();
        if let Some(key) = &server.dev_api_key {
            self.api_key.clone_from(key);
        }
        self.server = Some(server);
        Ok(())
    }
}

/// File in a data directory naming its PostgreSQL database, so that a provider started again on
/// the same directory ([`TestProvider::start_in`]) finds the same database, as it would find
/// the same SQLite file.
const POSTGRES_URL_FILE: &str = "test-postgres-url";

/// The PostgreSQL database of `data_dir`: the one named there, or a fresh one, named there.
fn postgres_database(data_dir: &Path) -> Result<String, KitError> {
    let file = data_dir.join(POSTGRES_URL_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Ok(url.trim().to_owned());
    }
    let url = postgres_database_url()?;
    std::fs::write(&file, &url).map_err(|error| KitError::File { path: file, error })?;
    Ok(url)
}

async fn launch(config: &Config, clock: &Arc<ManualClock>) -> Result<RunningServer, KitError> {
    Ok(server::start(StartOptions {
        config: config.clone(),
        dev: true,
        clock: Arc::clone(clock) as Arc<dyn Clock>,
    })
    .await?)
}
