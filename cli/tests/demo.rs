#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! `softtoken demo`: the whole flow, straight through, exit 0, every step in the transcript —
//! with no setup (the demo joins a kernel session keyring of its own) and without a terminal.

use std::{
    io::Read,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Runs the demo with stdin closed; fails the test if it takes more than two minutes (a demo
/// waiting for input would hang here).
fn demo(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_softtoken"))
        .arg("demo")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("the demo did not finish in 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), out.join().unwrap(), err.join().unwrap())
}

/// How many steps the demo narrates (the setup, 取引認証, the phone change).
const STEPS: usize = 16;

fn assert_every_step(transcript: &str) {
    for step in 1..=STEPS {
        assert!(
            transcript.contains(&format!("\n[{step}/{STEPS}] ")),
            "step {step} missing:\n{transcript}"
        );
    }
    assert_eq!(transcript.matches("✓ ").count(), STEPS, "{transcript}");
    assert!(!transcript.contains('✗'), "{transcript}");
    for phrase in [
        "トークン発行",
        "サービスID (Service ID)     10121234",
        "ユーザID (User ID)",
        ".eml",
        "User ID has a typo",
        "初期設定完了",
        "s left",
        "認証確認",
        "verify → accepted",
        "the app refreshes: active",
        "機種変更",
        "revoke",
        "the app refreshes: revoked",
        "the old phone still shows codes",
        "this token moved to a new phone on",
        "the token moved to a new phone; use the token on the new phone",
        "the token was revoked; ask the bank to issue a new token",
        "取引内容の確認",
        "the phone shows 普通 7654321",
        "→ rejected",
        "振込先専用ワンタイムパスワード",
        "the bank's own page sends it with account 1234567: → accepted",
    ] {
        assert!(
            transcript.contains(phrase),
            "missing {phrase:?}:\n{transcript}"
        );
    }
    assert!(
        transcript.contains(&format!("all {STEPS} steps succeeded")),
        "{transcript}"
    );
}

#[test]
fn non_interactive_demo_runs_every_step_and_exits_0() {
    let (code, transcript, stderr) = demo(&["--non-interactive"]);
    assert_eq!(code, Some(0), "stdout:\n{transcript}\nstderr:\n{stderr}");
    assert_every_step(&transcript);
    // The activation passwords are masked; the bank screen and the seed never appear.
    assert!(transcript.contains("●●●●●●●●"), "{transcript}");
    assert!(!transcript.contains("Sakura#"), "{transcript}");
    if cfg!(target_os = "linux") {
        assert!(
            transcript.contains("session keyring of this demo's own"),
            "the demo should use the kernel keyring here:\n{transcript}"
        );
    }
}

#[test]
fn without_a_terminal_the_demo_runs_straight_through_by_itself() {
    let (code, transcript, stderr) = demo(&[]);
    assert_eq!(code, Some(0), "stdout:\n{transcript}\nstderr:\n{stderr}");
    assert!(transcript.contains("(non-interactive"), "{transcript}");
    assert_every_step(&transcript);
}

#[test]
fn help_documents_the_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_softtoken"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for line in [
        "Exit codes:",
        "0  success",
        "3  input rejected",
        "6  keystore",
        "7  no such token",
    ] {
        assert!(help.contains(line), "{help}");
    }
}
