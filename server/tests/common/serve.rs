//! The real `softtoken-server` binary as child processes on 127.0.0.1: [`serve`] (waits for
//! the ready line), [`Server`] (killed on drop), the admin subcommands ([`run`], [`run_ok`],
//! [`run_fails`]), a production config file ([`write_config`]), and [`Fleet`]: several `serve`
//! processes of one deployment sharing one PostgreSQL database.
//!
//! Every wait is bounded by [`WAIT`].
// Helpers outside #[test] functions fail the test with a message; that is their job.
#![allow(clippy::panic)]

use std::{
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::{ExitStatus, Output, Stdio},
    sync::atomic::{AtomicBool, Ordering},
};

use softtoken_protocol::{
    ids::UserId,
    wire::{TokenState, VerifyResult},
};
use softtoken_testkit::{BankClient, DeviceClient, fixtures::SERVICE_ID};
use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
    task::JoinSet,
    time::timeout,
};

use std::time::Duration;

/// The provider binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_softtoken-server");
/// The bound on every wait for a child or the network.
pub const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// One child
// ---------------------------------------------------------------------------------------------

/// A `softtoken-server serve` child that has printed its ready line. Killed on drop.
pub struct Server {
    pub child: Child,
    pub pid: u32,
    /// `https://127.0.0.1:PORT`, from the ready line.
    pub url: String,
    stdout: Lines<BufReader<ChildStdout>>,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Sends SIGKILL if it is still running; an already reaped child is an error to ignore.
        let _ = self.child.start_kill();
    }
}

/// The binary with `args`, stdin closed, killed if the handle is dropped.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        // The CLI reads `--config` from it; a developer's environment must not leak in.
        .env_remove("SOFTTOKEN_CONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Starts `softtoken-server serve ARGS`, with stderr (the logs) going to `log`, and waits
/// (bounded) for the one ready line, which must be exactly `ready https://127.0.0.1:PORT`.
pub async fn serve(args: &[&str], log: &Path) -> Server {
    let mut cmd = command(&[&["serve"], args].concat());
    cmd.stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    let mut child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = match timeout(WAIT, stdout.next_line()).await {
        Ok(Ok(Some(line))) => line,
        other => {
            let _ = child.start_kill();
            panic!(
                "no ready line from `serve {args:?}` ({other:?}); log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        }
    };
    let port: u16 = line
        .strip_prefix("ready https://127.0.0.1:")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected ready line {line:?}"));
    assert_ne!(port, 0, "{line}");
    assert_eq!(line, format!("ready https://127.0.0.1:{port}"));
    Server {
        child,
        pid,
        url: format!("https://127.0.0.1:{port}"),
        stdout,
        log: log.to_path_buf(),
    }
}

impl Server {
    /// What the child has logged so far (its stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -TERM`, then waits (bounded) for the exit; checks nothing more was printed on
    /// stdout after the ready line.
    pub async fn sigterm(&mut self) -> ExitStatus {
        let sent = self.sigterm_nowait();
        assert!(sent.success(), "kill -TERM {}", self.pid);
        let status = timeout(WAIT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("no exit within {WAIT:?} of SIGTERM:\n{}", self.log()))
            .unwrap();
        let rest = timeout(WAIT, self.stdout.next_line())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rest, None, "stdout after the ready line");
        status
    }

    /// Sends SIGTERM without waiting for the exit.
    pub fn sigterm_nowait(&self) -> ExitStatus {
        std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .unwrap()
    }

    /// `kill -9`: no chance to flush or close anything. Waits (bounded) for the exit.
    pub async fn kill9(&mut self) {
        let sent = std::process::Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -KILL {}", self.pid);
        let status = timeout(WAIT, self.child.wait()).await.unwrap().unwrap();
        assert_eq!(status.signal(), Some(9), "{status:?}");
    }
}

/// Runs a short-lived subcommand to completion (bounded).
pub async fn run(args: &[&str]) -> Output {
    let mut cmd = command(args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    timeout(WAIT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("`{args:?}` did not finish within {WAIT:?}"))
        .unwrap()
}

/// Runs a subcommand that must succeed; returns its stdout.
pub async fn run_ok(args: &[&str]) -> String {
    let out = run(args).await;
    assert!(
        out.status.success(),
        "{args:?} → {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a subcommand that must fail with exit code `code`; returns its stderr.
pub async fn run_fails(args: &[&str], code: i32) -> String {
    let out = run(args).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    stderr
}

/// `path` as UTF-8 (test paths always are).
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A TOML basic string holding `path` (JSON string escapes are valid TOML).
pub fn toml_path(path: &Path) -> String {
    serde_json::to_string(s(path)).unwrap()
}

/// A production config file: TLS files, one KEK file, a data directory.
pub fn write_config(file: &Path, data_dir: &Path, cert: &Path, key: &Path, kek: &Path) {
    std::fs::write(file, config_text(data_dir, cert, key, kek)).unwrap();
}

fn config_text(data_dir: &Path, cert: &Path, key: &Path, kek: &Path) -> String {
    format!(
        "listen = \"127.0.0.1:0\"\n\
         data_dir = {}\n\
         \n\
         [tls]\n\
         cert_file = {}\n\
         key_file = {}\n\
         \n\
         [kek.current]\n\
         version = 1\n\
         file = {}\n",
        toml_path(data_dir),
        toml_path(cert),
        toml_path(key),
        toml_path(kek),
    )
}

// ---------------------------------------------------------------------------------------------
// Several instances on one PostgreSQL database
// ---------------------------------------------------------------------------------------------

/// One deployment of N provider instances sharing a PostgreSQL database, as production runs
/// them behind a load balancer: one KEK file, one TLS certificate (from a development CA), one
/// `[database] url`; per instance its own config file, data directory (outbox) and log, and a
/// port of its own (`listen = 127.0.0.1:0`). The database is bootstrapped once: `init`, the
/// fixtures' service ([`SERVICE_ID`], default rules: 5 wrong codes, 5 activation attempts) and
/// one bank API key for it.
///
/// The fleet holds files only; [`start`](Fleet::start) and [`start_all`](Fleet::start_all)
/// make the processes, which the caller owns (killed when dropped).
pub struct Fleet {
    /// Everything on disk: `kek`, `tls/`, `instance-<i>/{server.toml,data/,server.log}`.
    pub dir: tempfile::TempDir,
    /// The CA the instances' certificate chains to: what clients pin.
    pub ca_pem: String,
    /// The bank API key of [`SERVICE_ID`].
    pub api_key: String,
    instances: usize,
    options: FleetOptions,
    tls: softtoken_server::tls::DevTls,
    kek: PathBuf,
    /// How many processes were started per instance (each start logs to a new file).
    starts: std::sync::Mutex<Vec<usize>>,
}

/// What a [`Fleet`]'s config files say beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct FleetOptions {
    /// More `[database]` lines (`key = value`, one per line), e.g. `pool_size = 4`.
    pub database_lines: String,
    /// More TOML tables, appended to every instance's config.
    pub extra_tables: String,
}

impl Fleet {
    /// `instances` instance configs on the database at `db_url` (plain TCP: a test cluster),
    /// bootstrapped; nothing started.
    pub async fn new(db_url: &str, instances: usize) -> Fleet {
        Self::with_options(db_url, instances, FleetOptions::default()).await
    }

    /// The same, with `options` in every config.
    pub async fn with_options(db_url: &str, instances: usize, options: FleetOptions) -> Fleet {
        assert!(instances > 0);
        let dir = tempfile::tempdir().unwrap();
        let tls = softtoken_server::tls::ensure_dev_tls(dir.path()).unwrap();
        let ca_pem = std::fs::read_to_string(&tls.ca_pem).unwrap();
        let kek = dir.path().join("kek");
        run_ok(&["kek", "generate", s(&kek)]).await;
        let mut fleet = Fleet {
            dir,
            ca_pem,
            api_key: String::new(),
            instances,
            options,
            tls,
            kek,
            starts: std::sync::Mutex::new(vec![0; instances]),
        };
        fleet.set_database_url(db_url);
        let f = s(&fleet.config(0)).to_owned();
        run_ok(&["init", "--config", &f]).await;
        run_ok(&[
            "service",
            "add",
            "--config",
            &f,
            "--service-id",
            SERVICE_ID,
            "--name",
            "Test Bank",
        ])
        .await;
        let key = run_ok(&[
            "key",
            "create",
            "--config",
            &f,
            "--service-id",
            SERVICE_ID,
            "--label",
            "fleet",
        ])
        .await;
        fleet.api_key = key.trim().to_owned();
        fleet
    }

    /// Rewrites every instance's config for the database at `db_url` (a failover: processes
    /// started from now on use it; running ones keep theirs).
    pub fn set_database_url(&mut self, db_url: &str) {
        for i in 0..self.instances {
            let data = self.instance_dir(i).join("data");
            std::fs::create_dir_all(&data).unwrap();
            let text = format!(
                "{}\n[database]\nurl = {}\nsslmode = \"disable\"\n{}\n\
                 [limits]\n\
                 # Every test client is 127.0.0.1: the per-IP device limit would be theirs.\n\
                 device_requests_per_minute = 0\n\
                 {}\n",
                config_text(&data, &self.tls.cert_pem, &self.tls.key_pem, &self.kek),
                serde_json::to_string(db_url).unwrap(),
                self.options.database_lines,
                self.options.extra_tables,
            );
            std::fs::write(self.config(i), text).unwrap();
        }
    }

    /// How many instances the fleet has configs for.
    pub fn len(&self) -> usize {
        self.instances
    }

    fn instance_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("instance-{i}"))
    }

    /// Instance `i`'s config file (for admin subcommands: `--config`).
    pub fn config(&self, i: usize) -> PathBuf {
        self.instance_dir(i).join("server.toml")
    }

    /// Starts instance `i` (`serve --config …`), waiting for its ready line. A restart of
    /// the same instance logs to a new file (`server-<n>.log`).
    pub async fn start(&self, i: usize) -> Server {
        let n = {
            let mut starts = self.starts.lock().unwrap();
            starts[i] += 1;
            starts[i]
        };
        let log = self.instance_dir(i).join(format!("server-{n}.log"));
        let config = self.config(i);
        serve(&["--config", s(&config), "--listen", "127.0.0.1:0"], &log).await
    }

    /// Starts every instance at once (in parallel), in instance order.
    pub async fn start_all(&self) -> Vec<Server> {
        let starts: Vec<_> = (0..self.instances).map(|i| self.start(i)).collect();
        join_all(starts).await
    }

    /// The bank of [`SERVICE_ID`] talking to `server`.
    pub fn bank(&self, server: &Server) -> BankClient {
        BankClient::new(&server.url, &self.ca_pem, SERVICE_ID, &self.api_key).unwrap()
    }

    /// A phone talking to `server`.
    pub fn phone(&self, server: &Server) -> DeviceClient {
        DeviceClient::new(&server.url, &self.ca_pem).unwrap()
    }
}

/// Polls `futures` together on this task until all are done; their outputs in order (a
/// `join_all` without the futures crate).
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, fut) in results.iter_mut().zip(pinned.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

/// A promise kept: the code `otp`, answered `accepted` when its token was `age_steps` time steps
/// younger, is never accepted again. Within the window (one step) it answers `replayed`; only if
/// the test stalled for a whole period has it left the window, and then it is still refused.
pub async fn assert_accept_not_repeated(
    bank: &BankClient,
    user_id: UserId,
    otp: &str,
    age_steps: u64,
    label: &str,
) {
    let reply = bank.verify(user_id, otp).await.unwrap();
    if age_steps <= 1 {
        assert_eq!(reply.result, VerifyResult::Replayed, "{label}");
    } else {
        assert_ne!(reply.result, VerifyResult::Accepted, "{label}");
    }
}

/// Tells the load tasks to stop (`stop`) and waits, at most [`WAIT`], for every one of them to
/// end; a task that panicked fails the test.
pub async fn stop_load<T: 'static>(stop: &AtomicBool, tasks: &mut JoinSet<T>) {
    stop.store(true, Ordering::SeqCst);
    timeout(WAIT, async {
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    })
    .await
    .expect("load tasks did not stop");
}

/// The failure counter of the token `user_id` after a fault (`when`: "after the kill") has not
/// gone back: no more failures left than the fewest any acknowledged wrong code reported
/// (`acked`, not empty), no fewer than `wrong_codes` failures allow, and still not locked.
pub async fn assert_failures_not_back(
    bank: &BankClient,
    user_id: UserId,
    acked: &[u32],
    wrong_codes: usize,
    when: &str,
) {
    let acked_left = *acked.iter().min().unwrap();
    let details = bank.details(user_id).await.unwrap();
    assert!(
        details.failures_left <= acked_left,
        "failures_left {} {when}, {acked_left} acknowledged before",
        details.failures_left
    );
    assert!(details.failures_left >= 5 - u32::try_from(wrong_codes).unwrap());
    assert_eq!(details.state, TokenState::PendingConfirmation);
}
