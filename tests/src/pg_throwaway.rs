//! A throwaway PostgreSQL 15 cluster for the suites that run against PostgreSQL
//! (`SOFTTOKEN_TEST_DATABASE=postgres`): one per test process, started on first use, a fresh
//! database per [`TestProvider`](crate::provider::TestProvider), gone when the process ends.
//!
//! Minimal on purpose, until the shared harness (`PgCluster`, branch h15-harness) lands: only
//! what [`TestProvider`](crate::provider::TestProvider) needs — [`database_url`].
//!
//! As root, PostgreSQL must run as the `postgres` user (it refuses root): the binaries run
//! through `runuser -u postgres`, on a directory owned by it. Trust authentication on
//! 127.0.0.1 and a Unix socket in the cluster's own directory; `fsync` off (a crash of a
//! throwaway cluster loses nothing anyone needs). A watchdog shell stops the cluster and removes
//! its directory once the test process is gone, however it ended.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
};

/// The environment variable that selects the backend of the suites: `postgres` or unset.
pub const BACKEND_ENV: &str = "SOFTTOKEN_TEST_DATABASE";

/// Whether the suites run against PostgreSQL in this process.
pub fn postgres_selected() -> bool {
    std::env::var(BACKEND_ENV).is_ok_and(|value| value == "postgres")
}

/// Where Debian installs PostgreSQL 15's server binaries (they are not all on PATH).
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The running cluster.
struct Cluster {
    port: u16,
    /// The data directory.
    data: PathBuf,
    /// The server options `pg_ctl start` passes (port, socket directory, settings).
    options: String,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database in this process's cluster (started on first use), as a
/// `postgres://` URL without a password (`sslmode` is for the provider's config to say).
pub fn database_url() -> Result<String, String> {
    let cluster = CLUSTER
        .get_or_init(|| start("plain", None))
        .as_ref()
        .map_err(Clone::clone)?;
    create_database(cluster)
}

/// A second cluster of this process that also speaks TLS (`ssl = on`) with the given server
/// certificate chain and key (PEM files, copied into the cluster's directory), for tests of
/// `sslmode`; a fresh database in it, as for [`database_url`]. The first call's files stay.
pub fn tls_database_url(cert_pem: &Path, key_pem: &Path) -> Result<String, String> {
    let cluster = TLS_CLUSTER
        .get_or_init(|| start("tls", Some((cert_pem, key_pem))))
        .as_ref()
        .map_err(Clone::clone)?;
    create_database(cluster)
}

static TLS_CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();

fn create_database(cluster: &Cluster) -> Result<String, String> {
    let name = format!(
        "softtoken_{}_{}",
        std::process::id(),
        NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
    );
    run(
        as_postgres(&bin("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg(&name),
        "createdb",
    )?;
    Ok(format!(
        "postgres://postgres@127.0.0.1:{}/{name}",
        cluster.port
    ))
}

/// Stops this process's cluster (fast shutdown: connections are cut, as when a database server
/// goes down), for a test of the provider during a database outage. It must have been started
/// (a [`database_url`] was taken).
pub fn stop_cluster() -> Result<(), String> {
    let cluster = started()?;
    run(
        as_postgres(&bin("pg_ctl"))
            .args(["-w", "-m", "fast", "-D"])
            .arg(&cluster.data)
            .arg("stop"),
        "pg_ctl stop",
    )
}

/// Starts this process's cluster again after [`stop_cluster`], on the same port and data.
pub fn restart_cluster() -> Result<(), String> {
    let cluster = started()?;
    let log = cluster
        .data
        .parent()
        .map_or_else(|| PathBuf::from("log"), |dir| dir.join("log"));
    run(
        as_postgres(&bin("pg_ctl"))
            .args(["-w", "-D"])
            .arg(&cluster.data)
            .args(["-o", &cluster.options, "-l"])
            .arg(log)
            .arg("start"),
        "pg_ctl start",
    )
}

fn started() -> Result<&'static Cluster, String> {
    match CLUSTER.get() {
        Some(Ok(cluster)) => Ok(cluster),
        Some(Err(err)) => Err(err.clone()),
        None => Err("the throwaway cluster was never started".into()),
    }
}

/// `initdb`, start (with TLS if `tls` names a certificate chain and key), and the watchdog.
fn start(kind: &str, tls: Option<(&Path, &Path)>) -> Result<Cluster, String> {
    let dir = std::env::temp_dir().join(format!("softtoken-pg-{}-{kind}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let data = dir.join("data");
    let mut tls_options = String::new();
    if let Some((cert, key)) = tls {
        // PostgreSQL refuses a key file others may read.
        let (cert_copy, key_copy) = (dir.join("server.crt"), dir.join("server.key"));
        std::fs::copy(cert, &cert_copy).map_err(|e| format!("{}: {e}", cert.display()))?;
        std::fs::copy(key, &key_copy).map_err(|e| format!("{}: {e}", key.display()))?;
        run(Command::new("chmod").arg("600").arg(&key_copy), "chmod")?;
        tls_options = format!(
            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            cert_copy.display(),
            key_copy.display()
        );
    }
    if is_root() {
        run(
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir),
            "chown",
        )?;
    }
    run(
        as_postgres(&bin("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data),
        "initdb",
    )?;
    let port = free_port()?;
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200{tls_options}",
        dir.display()
    );
    run(
        as_postgres(&bin("pg_ctl"))
            .args(["-w", "-D"])
            .arg(&data)
            .args(["-o", &options, "-l"])
            .arg(dir.join("log"))
            .arg("start"),
        "pg_ctl start",
    )?;
    watch(&dir, &data)?;
    Ok(Cluster {
        port,
        data,
        options,
    })
}

/// A detached shell that waits for this process to end, then stops the cluster (immediate
/// mode: nothing in it is kept) and removes its directory.
fn watch(dir: &Path, data: &Path) -> Result<(), String> {
    let pg_ctl = bin("pg_ctl").display().to_string();
    let stop = if is_root() {
        format!("runuser -u postgres -- {pg_ctl}")
    } else {
        pg_ctl
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("watchdog: {e}"))
}

fn bin(name: &str) -> PathBuf {
    let installed = Path::new(PG_BIN).join(name);
    if installed.exists() {
        installed
    } else {
        PathBuf::from(name)
    }
}

/// `program` as the `postgres` user when this process is root (PostgreSQL refuses root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
