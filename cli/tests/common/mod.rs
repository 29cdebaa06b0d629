//! Test harness: the real provider in process over HTTPS on 127.0.0.1 with a bank client, and
//! a tmux session driving `softtoken` in a real terminal.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use rustls_pki_types::{CertificateDer, pem::PemObject};
use serde_json::{Value, json};
use softtoken_server::{
    config::Config,
    server::{self, RunningServer, StartOptions},
};

pub const SERVICE: &str = "10121234";

/// The provider with the bank's client; stops when dropped with its runtime.
pub struct Provider {
    pub runtime: tokio::runtime::Runtime,
    pub server: Option<RunningServer>,
    pub bank: reqwest::Client,
    pub url: String,
    pub api_key: String,
    pub ca_file: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Provider {
    pub fn start() -> Provider {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("provider");
        let mut config = Config::dev(&data, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        config.limits.device_requests_per_minute = 0;
        let server = runtime
            .block_on(server::start(StartOptions {
                dev: true,
                ..StartOptions::new(config)
            }))
            .unwrap();
        let ca_file = data.join("tls/ca.pem");
        let ca_pem = std::fs::read_to_string(&ca_file).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let bank = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .build()
            .unwrap();
        Provider {
            url: server.url(),
            api_key: server.dev_api_key.clone().unwrap(),
            server: Some(server),
            runtime,
            bank,
            ca_file,
            dir,
        }
    }

    fn bank_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/v1/services/{SERVICE}/tokens{path}", self.url);
        self.runtime.block_on(async {
            let mut request = self.bank.request(method, url).bearer_auth(&self.api_key);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let reply = request.send().await.unwrap();
            assert!(reply.status().is_success(), "{reply:?}");
            reply.json::<Value>().await.unwrap()
        })
    }

    /// The bank issues a token; returns the User ID.
    pub fn issue(&self, password: &str) -> String {
        let reply = self.bank_call(
            reqwest::Method::POST,
            "",
            Some(json!({"email": "hanako@example.jp", "activation_password": password})),
        );
        reply["user_id"].as_str().unwrap().to_owned()
    }

    /// 認証確認: the bank checks a code; returns the result name.
    pub fn verify(&self, user_id: &str, otp: &str) -> String {
        let reply = self.bank_call(
            reqwest::Method::POST,
            &format!("/{user_id}/verify"),
            Some(json!({ "otp": otp })),
        );
        reply["result"].as_str().unwrap().to_owned()
    }

    /// トークンの失効手続き: the bank revokes the token.
    pub fn revoke(&self, user_id: &str) {
        self.bank_call(reqwest::Method::POST, &format!("/{user_id}/revoke"), None);
    }

    /// The token's state at the provider.
    pub fn state(&self, user_id: &str) -> String {
        let reply = self.bank_call(reqwest::Method::GET, &format!("/{user_id}"), None);
        reply["state"].as_str().unwrap().to_owned()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

/// A User ID with one digit changed (always caught by its check letters).
pub fn with_typo(user_id: &str) -> String {
    let mut chars: Vec<char> = user_id.chars().collect();
    let d = chars[3].to_digit(10).unwrap();
    chars[3] = char::from_digit((d + 1) % 10, 10).unwrap();
    chars.into_iter().collect()
}

/// The last non-empty line of a screen.
pub fn last_line(screen: &str) -> &str {
    screen.lines().last().unwrap_or("")
}

/// Whether tmux can be run here.
pub fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A private tmux server (its own socket, no user config) with one window running a shell
/// under `softtoken session`, i.e. in a kernel session keyring of its own, so the commands
/// typed in it share their seeds whatever keyring the test itself runs in.
pub struct Terminal {
    socket: PathBuf,
    commands: usize,
}

impl Terminal {
    pub fn start(dir: &Path, data_dir: &Path) -> Terminal {
        let socket = dir.join("tmux.sock");
        let bin = env!("CARGO_BIN_EXE_softtoken");
        let shell = format!(
            "env -i PATH=/usr/bin:/bin HOME={home} LANG=C.UTF-8 TERM=xterm-256color \
             SOFTTOKEN_HOME={data} PS1='$ ' {bin} session -- bash --norc --noprofile",
            home = dir.display(),
            data = data_dir.display(),
        );
        let terminal = Terminal {
            socket,
            commands: 0,
        };
        terminal.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "250",
            "-y",
            "50",
            &shell,
        ]);
        terminal.wait_for(Duration::from_secs(10), |screen| last_line(screen) == "$");
        terminal
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-u")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` (literally) without Enter.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Presses a key by tmux name (`Enter`, `C-c`).
    pub fn key(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "t", key]);
    }

    /// Everything in the window and its history, wrapped lines joined, without the empty
    /// rows below the cursor.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-t", "t", "-S", "-"])
            .trim_end()
            .to_owned()
    }

    /// Waits until `done(screen)`; fails the test with the screen after `timeout`.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if started.elapsed() > timeout {
                panic!("timed out; the terminal shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types a command line and Enter; returns its marker, printed with the exit code when the
    /// command ends.
    pub fn start_command(&mut self, line: &str) -> String {
        self.commands += 1;
        let marker = format!("@@{}", self.commands);
        self.type_text(&format!("{line}; echo \"{marker} rc=$?\""));
        self.key("Enter");
        marker
    }

    /// Waits for the command with `marker` to end; returns its exit code and what it printed.
    pub fn finish(&self, marker: &str) -> (i32, String) {
        let end = format!("{marker} rc=");
        // Generous: activation runs Argon2id (64 MiB) and CI machines are busy.
        let screen = self.wait_for(Duration::from_secs(180), |s| {
            s.lines().any(|l| l.starts_with(&end))
        });
        let typed = format!("echo \"{marker} rc=$?\"");
        let lines: Vec<&str> = screen.lines().collect();
        let start = lines.iter().position(|l| l.contains(&typed)).unwrap();
        let stop = lines.iter().position(|l| l.starts_with(&end)).unwrap();
        let rc = lines[stop][end.len()..].trim().parse().unwrap();
        (rc, lines[start + 1..stop].join("\n"))
    }

    /// Runs a command to its end: exit code and output.
    pub fn run(&mut self, line: &str) -> (i32, String) {
        let marker = self.start_command(line);
        self.finish(&marker)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
