//! A real provider for the Kotlin and Swift suites: the `softtoken-server` binary with `--dev`
//! on 127.0.0.1, a free port, a fresh data directory. Stopped (SIGKILL, then reaped) when
//! dropped.
//!
//! The suites find it through environment variables:
//!
//! | variable | value |
//! |---|---|
//! | `SOFTTOKEN_TEST_PROVIDER_URL` | `https://127.0.0.1:PORT` |
//! | `SOFTTOKEN_TEST_CA_PEM` | path of the dev CA certificate (PEM) to pin |
//! | `SOFTTOKEN_TEST_API_KEY` | the demo service's bank API key (a bearer token) |
//! | `SOFTTOKEN_TEST_SERVICE_ID` | the demo service, `10121234` |
//! | `SOFTTOKEN_TEST_DATA_DIR` | the server's data directory (its mail outbox is in it) |

use std::{
    env, fs,
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use crate::tools;

/// The demo service `--dev` creates.
pub const DEV_SERVICE_ID: &str = "10121234";

/// A running test provider.
pub struct TestProvider {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The data directory (removed on drop).
    pub data_dir: PathBuf,
}

impl TestProvider {
    /// Builds and starts the server, waiting for its `ready` line.
    pub fn start() -> Result<TestProvider, String> {
        let binary = tools::cargo_build("softtoken-server", "dev", &[])?.join("softtoken-server");
        let data_dir = env::temp_dir().join(format!("softtoken-xtask-{}", std::process::id()));
        let _ = fs::remove_dir_all(&data_dir);
        let mut child = Command::new(&binary)
            .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| "the server's stdout is not piped".to_owned())?;
        let (tx, rx) = mpsc::channel();
        // Reads the ready line, then keeps draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent && let Some(url) = line.strip_prefix("ready ") {
                    let _ = tx.send(url.trim().to_owned());
                    sent = true;
                }
            }
        });
        let mut provider = TestProvider {
            child,
            url: String::new(),
            data_dir,
        };
        provider.url = rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "the server did not print its ready line within 60 s".to_owned())?;
        Ok(provider)
    }

    /// The environment variables the suites read (see the module docs).
    pub fn env(&self) -> Result<Vec<(String, String)>, String> {
        let key_file = self.data_dir.join("dev-api-key");
        let api_key = fs::read_to_string(&key_file)
            .map_err(|e| format!("cannot read {}: {e}", key_file.display()))?;
        Ok(vec![
            ("SOFTTOKEN_TEST_PROVIDER_URL".into(), self.url.clone()),
            (
                "SOFTTOKEN_TEST_CA_PEM".into(),
                self.data_dir.join("tls/ca.pem").display().to_string(),
            ),
            ("SOFTTOKEN_TEST_API_KEY".into(), api_key.trim().to_owned()),
            ("SOFTTOKEN_TEST_SERVICE_ID".into(), DEV_SERVICE_ID.into()),
            (
                "SOFTTOKEN_TEST_DATA_DIR".into(),
                self.data_dir.display().to_string(),
            ),
        ])
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.data_dir);
    }
}
