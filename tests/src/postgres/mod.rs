//! [`PgCluster`]: a throwaway PostgreSQL (15 or newer) for the tests, real and on this machine.
//!
//! Each cluster is `initdb` into a fresh temporary directory (data, Unix socket directory and
//! server log side by side), `trust` authentication for local and 127.0.0.1 connections
//! (nothing but the test machine can reach it), a free TCP port on 127.0.0.1, the superuser
//! `postgres`, and `pg_ctl -w start`. As root the server runs as `postgres` (see [`tools`]).
//! Settings are durable by default (`fsync`, `synchronous_commit` and `full_page_writes` on:
//! benchmarks measure what production pays); [`PgOptions::fast`] turns them off.
//! [`PgOptions::tls`] turns TLS on with a certificate and key of the test's choosing.
//!
//! Sharing: a test binary takes one cluster for all its tests with [`PgCluster::shared`] (a
//! `OnceLock`; fast, as its tests never crash the machine), and each test makes its own
//! database on it with [`create_database`](PgCluster::create_database) or
//! [`fresh_database`](PgCluster::fresh_database), which return the URL to connect to. The
//! provider suites on PostgreSQL (`SOFTTOKEN_TEST_DATABASE=postgres`, see
//! [`provider`](crate::provider)) take theirs there. Tests that stop, crash or fail over a
//! server, or need other settings, start a cluster of their own ([`PgCluster::start`],
//! [`PgCluster::start_with`]): the shared one is behind a `&`, so it cannot be faulted.
//!
//! Faults and failover: [`stop`](PgCluster::stop), [`kill9`](PgCluster::kill9) (a crash),
//! [`start_again`](PgCluster::start_again) on the same port and data,
//! [`restart`](PgCluster::restart); [`PgCluster::standby`] (a streaming replica the primary
//! waits for on every commit) and [`promote`](PgCluster::promote).
//!
//! Cleaning up: dropping a cluster stops it (`pg_ctl stop -m immediate`) and removes its
//! directory. A test process that ends without dropping it (a `static`, a panic that aborts, a
//! SIGKILL) leaves the job to the cluster's watchdog ([`watchdog`]), which stops the server and
//! removes the directory right after the test process is gone.
//!
//! The harness is synchronous (it runs the PostgreSQL programs and `psql`): it works from any
//! runtime or none, and inside a `OnceLock`. Tests connect with their own client (the provider's
//! sqlx) to the URL.

mod error;
mod processes;
mod standby;
pub mod tools;
pub mod watchdog;

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

pub use error::PgError;
pub use tools::PgBinaries;

use tools::{Runner, run};
use watchdog::Watchdog;

/// How long `pg_ctl` waits for a server to start, stop or be promoted.
const PG_CTL_WAIT_SECONDS: &str = "30";

/// How many fresh ports a new cluster tries when another process took the one it picked.
const PORT_ATTEMPTS: usize = 5;

/// How a cluster is configured.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `fsync`, `synchronous_commit` and `full_page_writes` on (the default): what a bank's
    /// database runs with, and what benchmarks must measure. Off: faster tests, and a crash of
    /// the machine (not of the server) may lose or corrupt data.
    pub durable: bool,
    /// `max_connections`: every test's pool on a shared cluster counts (default 200).
    pub max_connections: u32,
    /// Further `postgresql.conf` settings, written as `name = 'value'`.
    pub settings: Vec<(String, String)>,
    /// TLS on (`ssl = on`) with this certificate and key; off when `None` (the default).
    pub tls: Option<PgTls>,
}

/// The server certificate (chain) and private key of a cluster that speaks TLS, PEM files
/// anywhere the test likes: the harness copies them into the data directory, owned by the
/// cluster's owner and the key readable by it alone (PostgreSQL refuses a key others may read).
#[derive(Debug, Clone)]
pub struct PgTls {
    /// The certificate chain, server first.
    pub cert_pem: PathBuf,
    /// The certificate's private key.
    pub key_pem: PathBuf,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            durable: true,
            max_connections: 200,
            settings: Vec::new(),
            tls: None,
        }
    }
}

impl PgOptions {
    /// Durability off: for tests that make many writes and never crash the machine.
    pub fn fast() -> Self {
        PgOptions {
            durable: false,
            ..PgOptions::default()
        }
    }

    /// One more `postgresql.conf` setting.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.to_owned(), value.to_owned()));
        self
    }

    /// TLS on, with the certificate chain and key in these PEM files (see [`PgTls`]); plain TCP
    /// keeps working, as `ssl = on` only offers TLS.
    pub fn tls(mut self, cert_pem: &Path, key_pem: &Path) -> Self {
        self.tls = Some(PgTls {
            cert_pem: cert_pem.to_path_buf(),
            key_pem: key_pem.to_path_buf(),
        });
        self
    }
}

/// Where a TLS cluster's certificate and key are copied, relative to the data directory (where
/// PostgreSQL resolves relative `ssl_*_file` paths; `pg_basebackup` copies them to a standby).
const TLS_CERT_FILE: &str = "server.crt";
const TLS_KEY_FILE: &str = "server.key";

/// What a cluster is in a replication pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Takes writes.
    Primary,
    /// Replays a primary's WAL, read-only, until promoted.
    Standby,
}

/// A throwaway PostgreSQL server and its directory (see the module documentation).
#[derive(Debug)]
pub struct PgCluster {
    runner: Runner,
    options: PgOptions,
    port: u16,
    role: Role,
    running: bool,
    /// The number [`fresh_database`](Self::fresh_database) gives the next database.
    next_database: AtomicU32,
    // Dropped in this order: the watchdog (killed: `Drop` has already stopped the server),
    // then the directory (removed).
    watchdog: Watchdog,
    dir: tempfile::TempDir,
}

impl PgCluster {
    /// A new durable cluster, started: 0.7 to 1.4 s here (`initdb` is most of it).
    pub fn start() -> Result<PgCluster, PgError> {
        Self::start_with(PgOptions::default())
    }

    /// A new cluster with `options`, started.
    pub fn start_with(options: PgOptions) -> Result<PgCluster, PgError> {
        let mut cluster = Self::prepare(options, Role::Primary)?;
        let data = cluster.data_dir();
        let mut initdb = cluster.runner.server_program("initdb", cluster.dir.path());
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"])
            // The files initdb writes need not survive a machine crash: the cluster does not
            // either. The server itself still syncs (`fsync` is a server setting).
            .arg("--no-sync")
            .arg("--no-instructions");
        run(&mut initdb)?;
        cluster.place_tls_files()?;
        // The harness's own settings live in a file of their own, so a standby (whose
        // `pg_basebackup` copies the primary's files) can simply rewrite them.
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .map_err(PgError::io("opening postgresql.conf"))?;
        std::io::Write::write_all(
            &mut conf,
            b"\n# The test kit's settings (tests/src/postgres/): port, socket, durability.\ninclude = 'harness.conf'\n",
        )
        .map_err(PgError::io("writing postgresql.conf"))?;
        cluster.start_on_a_free_port()?;
        Ok(cluster)
    }

    /// The cluster the tests of one test binary share, started on first use; each test makes
    /// its own database on it. [Fast](PgOptions::fast): its tests make many writes and never
    /// crash the machine, so syncing buys them nothing (on this machine's disk the difference
    /// is lost in the noise; on a slow disk it is not); a benchmark starts a durable cluster of
    /// its own ([`start`](Self::start)). Never dropped: its watchdog stops it when the test
    /// binary exits.
    pub fn shared() -> Result<&'static PgCluster, &'static PgError> {
        static SHARED: OnceLock<Result<PgCluster, PgError>> = OnceLock::new();
        SHARED
            .get_or_init(|| PgCluster::start_with(PgOptions::fast()))
            .as_ref()
    }

    /// Copies the certificate and key of [`PgOptions::tls`] into the data directory, the key
    /// with mode 0600, both owned by the cluster's owner.
    fn place_tls_files(&self) -> Result<(), PgError> {
        let Some(tls) = &self.options.tls else {
            return Ok(());
        };
        for (from, name, mode) in [
            (&tls.cert_pem, TLS_CERT_FILE, 0o644),
            (&tls.key_pem, TLS_KEY_FILE, 0o600),
        ] {
            let to = self.data_dir().join(name);
            let what = || format!("copying {} to {}", from.display(), to.display());
            fs::copy(from, &to).map_err(PgError::io(what()))?;
            fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(mode))
                .map_err(PgError::io(what()))?;
            self.runner.give(&to)?;
        }
        Ok(())
    }

    /// A cluster's directory, owner and watchdog, not yet initialised nor started.
    fn prepare(options: PgOptions, role: Role) -> Result<PgCluster, PgError> {
        let runner = Runner::new()?;
        let dir = tempfile::Builder::new()
            .prefix("softtoken-pg-")
            .tempdir()
            .map_err(PgError::io("making the cluster's temporary directory"))?;
        runner.give(dir.path())?;
        let socket = dir.path().join("socket");
        fs::create_dir(&socket).map_err(PgError::io("making the socket directory"))?;
        runner.give(&socket)?;
        let mut stop = runner.server_program("pg_ctl", dir.path());
        stop.arg("-D").arg(dir.path().join("data")).args([
            "-w",
            "-t",
            PG_CTL_WAIT_SECONDS,
            "stop",
            "-m",
            "immediate",
        ]);
        let watchdog = Watchdog::start(dir.path(), &stop)?;
        Ok(PgCluster {
            runner,
            options,
            port: 0,
            role,
            running: false,
            next_database: AtomicU32::new(0),
            watchdog,
            dir,
        })
    }

    /// Picks a free port, writes `harness.conf` for it and starts; on "could not bind" (another
    /// process took the port in between) tries another.
    fn start_on_a_free_port(&mut self) -> Result<(), PgError> {
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            self.port = processes::free_port()?;
            self.write_harness_conf()?;
            match self.start_again() {
                Ok(()) => return Ok(()),
                Err(PgError::Failed { output, .. })
                    if output.contains("could not bind")
                        || output.contains("Address already in use") =>
                {
                    last = Some(output);
                }
                Err(other) => return Err(other),
            }
        }
        Err(PgError::Failed {
            command: "pg_ctl start".to_owned(),
            status: format!("no free port in {PORT_ATTEMPTS} attempts"),
            output: last.unwrap_or_default(),
        })
    }

    /// `harness.conf`: where this cluster listens, and how durable it is.
    fn write_harness_conf(&self) -> Result<(), PgError> {
        let on_off = |on: bool| if on { "on" } else { "off" };
        let durable = on_off(self.options.durable);
        let mut text = format!(
            "# Written by the test kit (tests/src/postgres/) for this throwaway cluster.\n\
             port = {port}\n\
             listen_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{socket}'\n\
             max_connections = {max_connections}\n\
             fsync = {durable}\n\
             synchronous_commit = {durable}\n\
             full_page_writes = {durable}\n\
             wal_level = replica\n\
             max_wal_senders = 10\n\
             hot_standby = on\n",
            port = self.port,
            socket = quoted(&self.socket_dir().display().to_string()),
            max_connections = self.options.max_connections,
        );
        if self.options.tls.is_some() {
            text.push_str(&format!(
                "ssl = on\nssl_cert_file = '{TLS_CERT_FILE}'\nssl_key_file = '{TLS_KEY_FILE}'\n"
            ));
        }
        for (name, value) in &self.options.settings {
            text.push_str(&format!("{name} = '{}'\n", quoted(value)));
        }
        self.runner
            .write(&self.data_dir().join("harness.conf"), &text)
    }

    /// Makes a database owned by `postgres` and returns its URL,
    /// `postgres://postgres@127.0.0.1:PORT/NAME`. 0.06 to 0.3 s here: the copy of `template1`
    /// is WAL-logged and synced, as any durable write.
    pub fn create_database(&self, name: &str) -> Result<String, PgError> {
        check_name(name)?;
        self.psql("postgres", &format!("CREATE DATABASE {name}"))?;
        Ok(self.url(name))
    }

    /// Makes a database with a name of its own, `{prefix}_{n}` (`n` counts the cluster's fresh
    /// databases), and returns its URL: for tests that need a new database each time and do not
    /// care what it is called (`prefix` as for [`create_database`](Self::create_database)).
    pub fn fresh_database(&self, prefix: &str) -> Result<String, PgError> {
        let n = self.next_database.fetch_add(1, Ordering::Relaxed);
        self.create_database(&format!("{prefix}_{n}"))
    }

    /// The URL of database `name` on this cluster (no password: `trust` authentication).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs `sql` in `database` as `postgres` through `psql` over the Unix socket; returns the
    /// rows, unaligned, one a line, `|` between columns, trimmed. For the harness's own
    /// administration and for tests that check the server itself; tests of the provider use
    /// their client.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, PgError> {
        let mut psql = self.runner.client_program("psql", self.dir.path());
        psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(self.socket_dir())
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                sql,
            ]);
        Ok(run(&mut psql)?.trim().to_owned())
    }

    /// Stops the server cleanly (`pg_ctl stop -m fast`: clients are disconnected, a checkpoint
    /// is written).
    pub fn stop(&mut self) -> Result<(), PgError> {
        if !self.running {
            return Err(PgError::State("is not running"));
        }
        let mut stop = self.pg_ctl();
        stop.args(["stop", "-m", "fast"]);
        run(&mut stop)?;
        self.running = false;
        Ok(())
    }

    /// Crashes the server: SIGKILL to the postmaster and every process of it at once, no
    /// shutdown checkpoint, connections cut. [`start_again`](Self::start_again) recovers from
    /// the WAL, as after a power cut (the OS's cache survives here; a power cut's would not).
    pub fn kill9(&mut self) -> Result<(), PgError> {
        if !self.running {
            return Err(PgError::State("is not running"));
        }
        let postmaster = processes::postmaster_pid(&self.data_dir())
            .ok_or(PgError::State("has no postmaster.pid"))?;
        processes::kill_server(postmaster)?;
        self.running = false;
        // The dead postmaster's pid is left in its lock files (postmaster.pid, and the socket's
        // .s.PGSQL.PORT.lock), as after any crash, and the next start refuses while that pid
        // exists. A container's init may take a second or two to reap the zombie: as it is
        // certainly dead, its stale lock files are removed, as an operator would (its shared
        // memory went with its processes). Otherwise the server's own stale-lock check runs.
        if !processes::wait_reaped(postmaster, Duration::from_millis(100)) {
            let socket_lock = self
                .socket_dir()
                .join(format!(".s.PGSQL.{}.lock", self.port));
            for lock in [self.data_dir().join("postmaster.pid"), socket_lock] {
                match fs::remove_file(&lock) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(PgError::Io {
                            what: format!("removing the killed server's {}", lock.display()),
                            error,
                        });
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Starts the server again on the same port and data, after [`stop`](Self::stop) or
    /// [`kill9`](Self::kill9) (then it recovers first). Fails if another process took the port.
    pub fn start_again(&mut self) -> Result<(), PgError> {
        if self.running {
            return Err(PgError::State("is already running"));
        }
        let mut start = self.pg_ctl();
        start.arg("-l").arg(self.log_path()).arg("start");
        run(&mut start).map_err(|error| self.with_log_tail(error))?;
        self.running = true;
        Ok(())
    }

    /// `pg_ctl restart -m fast`: a clean stop and a start, same port and data.
    pub fn restart(&mut self) -> Result<(), PgError> {
        if !self.running {
            return Err(PgError::State("is not running"));
        }
        let mut restart = self.pg_ctl();
        restart
            .arg("-l")
            .arg(self.log_path())
            .args(["restart", "-m", "fast"]);
        // Whatever the outcome, whether the server runs now is what postmaster.pid says.
        let result = run(&mut restart).map_err(|error| self.with_log_tail(error));
        self.running =
            processes::postmaster_pid(&self.data_dir()).is_some_and(processes::is_running);
        result.map(|_| ())
    }

    /// `pg_ctl -D DATA -w -t 30`, as the cluster's owner.
    fn pg_ctl(&self) -> Command {
        let mut pg_ctl = self.runner.server_program("pg_ctl", self.dir.path());
        pg_ctl
            .arg("-D")
            .arg(self.data_dir())
            .args(["-w", "-t", PG_CTL_WAIT_SECONDS]);
        pg_ctl
    }

    /// Adds the end of the server log to a failed start: pg_ctl only says "could not start".
    fn with_log_tail(&self, error: PgError) -> PgError {
        match error {
            PgError::Failed {
                command,
                status,
                output,
            } => {
                let log = fs::read_to_string(self.log_path()).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(20)..].join("\n");
                PgError::Failed {
                    command,
                    status,
                    output: format!("{output}\n-- end of {}:\n{tail}", self.log_path().display()),
                }
            }
            other => other,
        }
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Primary or standby.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the harness started the server and has not stopped or killed it since.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The postmaster's pid while the server runs (from `postmaster.pid`).
    pub fn postmaster_pid(&self) -> Option<u32> {
        processes::postmaster_pid(&self.data_dir())
            .filter(|pid| processes::is_running(*pid))
            .map(|pid| pid.as_raw_nonzero().get().unsigned_abs())
    }

    /// The cluster's temporary directory (`data/`, `socket/`, `postgres.log`), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The Unix socket directory.
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("socket")
    }

    /// The server log, kept across restarts: read it when a test fails.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// The watchdog's pid (tests of the harness check it ends with the cluster).
    pub fn watchdog_pid(&self) -> u32 {
        self.watchdog.pid()
    }

    /// Polls `done` every 20 ms until it is true, for at most `limit`.
    fn wait_for(
        what: &str,
        limit: Duration,
        mut done: impl FnMut() -> Result<bool, PgError>,
    ) -> Result<(), PgError> {
        let deadline = Instant::now() + limit;
        loop {
            if done()? {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(PgError::Timeout {
                    what: what.to_owned(),
                    seconds: limit.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // Immediate: a throwaway cluster needs no shutdown checkpoint. Tried even when the
        // harness thinks the server is down (a failed restart may have left one running).
        if processes::postmaster_pid(&self.data_dir()).is_some() {
            let mut stop = self.pg_ctl();
            stop.args(["stop", "-m", "immediate"]);
            let _ = run(&mut stop);
        }
        // Then the fields drop: the watchdog is killed, the directory removed.
    }
}

/// The harness never quotes identifiers, so it accepts only names that need no quoting.
fn check_name(name: &str) -> Result<(), PgError> {
    let valid = (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if valid {
        Ok(())
    } else {
        Err(PgError::BadName(name.to_owned()))
    }
}

/// `value` inside a single-quoted `postgresql.conf` string.
fn quoted(value: &str) -> String {
    value.replace('\'', "''")
}
