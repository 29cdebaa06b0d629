//! The provider for the Kotlin and Swift suites: the test kit's `softtoken-test-provider`
//! binary (the same in-process `TestProvider`, dev service, key and CA that the Rust tests use)
//! on 127.0.0.1, a free port, a fresh data directory. Stopped when dropped: its stdin is
//! closed (it stops on end of input), then it is killed if still there, and reaped.
//!
//! The suites find it through the environment variables the binary prints
//! (`tests/src/bin/softtoken-test-provider.rs` lists them): `SOFTTOKEN_TEST_PROVIDER_URL`,
//! `SOFTTOKEN_TEST_CA_PEM`, `SOFTTOKEN_TEST_API_KEY`, `SOFTTOKEN_TEST_SERVICE_ID`,
//! `SOFTTOKEN_TEST_DATA_DIR`, `SOFTTOKEN_TEST_CONTROL_URL` (the provider's clock),
//! `SOFTTOKEN_TEST_RELAY_URL` (a tampering relay); every line is passed on as printed.

use std::{
    env, fs,
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use crate::tools;

/// A running test provider.
pub struct TestProvider {
    child: Child,
    /// The data directory (removed on drop).
    pub data_dir: PathBuf,
    /// `NAME=value` pairs the binary printed before `ready`.
    env: Vec<(String, String)>,
}

impl TestProvider {
    /// Builds and starts the test provider, waiting for its `ready` line.
    pub fn start() -> Result<TestProvider, String> {
        Self::start_with_env(&[])
    }

    /// As [`start`](Self::start), with extra environment variables for the binary (it reads
    /// `SOFTTOKEN_TEST_BANK_AUTH_FAILURES`).
    pub fn start_with_env(vars: &[(&str, &str)]) -> Result<TestProvider, String> {
        let binary = tools::cargo_build_workspace_dev()?.join("softtoken-test-provider");
        let data_dir = env::temp_dir().join(format!("softtoken-xtask-{}", std::process::id()));
        let _ = fs::remove_dir_all(&data_dir);
        let mut child = Command::new(&binary)
            .arg("--data-dir")
            .arg(&data_dir)
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| "the provider's stdout is not piped".to_owned())?;
        let (tx, rx) = mpsc::channel();
        // Reads the variables up to the ready line, then keeps draining stdout so the provider
        // never blocks on it.
        std::thread::spawn(move || {
            let mut vars = Vec::new();
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sent {
                    continue;
                }
                if line.starts_with("ready ") {
                    let _ = tx.send(std::mem::take(&mut vars));
                    sent = true;
                } else if let Some((name, value)) = line.split_once('=') {
                    vars.push((name.to_owned(), value.to_owned()));
                }
            }
        });
        let mut provider = TestProvider {
            child,
            data_dir,
            env: Vec::new(),
        };
        provider.env = rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "the test provider did not print its ready line within 60 s".to_owned())?;
        Ok(provider)
    }

    /// The environment variables the suites read (see the module docs).
    pub fn env(&self) -> Result<Vec<(String, String)>, String> {
        if self.env.is_empty() {
            return Err("the test provider printed no environment".into());
        }
        Ok(self.env.clone())
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        // End of input asks it to stop gracefully; give it a moment, then make sure.
        drop(self.child.stdin.take());
        for _ in 0..20 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.data_dir);
    }
}
