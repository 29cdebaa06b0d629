//! Test harness: the test kit's provider and bank driven synchronously, and a tmux session
//! driving `softtoken` in a real terminal.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use softtoken_testkit::{BankClient, TestProvider};

pub use softtoken_testkit::fixtures::{SERVICE_ID as SERVICE, user_id_with_typo as with_typo};

/// The kit's test provider and the bank, driven from these synchronous tests through a
/// runtime of their own; stops when dropped.
pub struct Provider {
    pub runtime: tokio::runtime::Runtime,
    pub kit: TestProvider,
    pub bank: BankClient,
    pub url: String,
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
        let kit = runtime
            .block_on(TestProvider::start_in(&dir.path().join("provider"), |_| {}))
            .unwrap();
        Provider {
            bank: kit.bank().unwrap(),
            url: kit.url().to_owned(),
            ca_file: kit.ca_pem_path(),
            kit,
            runtime,
            dir,
        }
    }

    /// The bank issues a token; returns the User ID.
    pub fn issue(&self, password: &str) -> String {
        let issued = self
            .runtime
            .block_on(
                self.bank
                    .issue(softtoken_testkit::fixtures::EMAIL, password),
            )
            .unwrap();
        issued.user_id.to_string()
    }

    /// 認証確認: the bank checks a code; returns the result name.
    pub fn verify(&self, user_id: &str, otp: &str) -> String {
        let verdict = self
            .runtime
            .block_on(self.bank.verify(user_id, otp))
            .unwrap();
        wire_name(&verdict.result)
    }

    /// トークンの失効手続き: the bank revokes the token.
    pub fn revoke(&self, user_id: &str) {
        self.runtime.block_on(self.bank.revoke(user_id)).unwrap();
    }

    /// The token's state at the provider.
    pub fn state(&self, user_id: &str) -> String {
        let details = self.runtime.block_on(self.bank.details(user_id)).unwrap();
        wire_name(&details.state)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.runtime.block_on(self.kit.stop());
    }
}

/// A value's name on the wire (`"accepted"`, `"active"`).
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
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
