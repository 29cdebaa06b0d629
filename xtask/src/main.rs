//! `cargo xtask`: the project's build and test tasks, in Rust so they run the same everywhere.
//!
//! - `cargo xtask test`: formatting check, clippy with warnings denied, and every test. This is
//!   the command README and CI promise.
//! - `cargo xtask bench`: the criterion benchmarks.
//! - `cargo xtask vectors`: regenerate `docs/vectors/` after a deliberate protocol change.

use std::{
    env,
    process::{Command, ExitCode},
};

/// One step of a task: a description and the cargo arguments that run it.
struct Step {
    what: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// Run inside a fresh kernel session keyring (`keyctl session -`): the app core's tests
    /// store seeds in the real Linux kernel keyring, which as root refuses access unless the
    /// process has a session keyring of its own.
    keyring_session: bool,
}

const TEST: &[Step] = &[
    Step {
        what: "format check",
        args: &["fmt", "--all", "--check"],
        env: &[],
        keyring_session: false,
    },
    Step {
        what: "clippy (warnings denied)",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
        keyring_session: false,
    },
    Step {
        what: "tests",
        args: &["test", "--workspace", "--locked"],
        env: &[],
        keyring_session: true,
    },
    Step {
        what: "doc tests and rustdoc (warnings denied)",
        args: &["doc", "--workspace", "--no-deps", "--locked"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
        keyring_session: false,
    },
];

const BENCH: &[Step] = &[Step {
    what: "criterion benchmarks",
    args: &["bench", "--workspace", "--locked"],
    env: &[],
    keyring_session: true,
}];

const VECTORS: &[Step] = &[Step {
    what: "regenerate protocol vectors",
    args: &[
        "test",
        "-p",
        "softtoken-protocol",
        "--test",
        "activation_vectors",
        "--locked",
    ],
    env: &[("UPDATE_VECTORS", "1")],
    keyring_session: false,
}];

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask <test|bench|vectors>");
    ExitCode::from(2)
}

fn run(steps: &[Step]) -> ExitCode {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let keyctl = cfg!(target_os = "linux") && on_path("keyctl");
    for step in steps {
        let mut command = if step.keyring_session && keyctl {
            let mut command = Command::new("keyctl");
            command.args(["session", "-", &cargo]);
            command
        } else {
            if step.keyring_session && cfg!(target_os = "linux") {
                eprintln!(
                    "xtask: `keyctl` not found (apt-get install keyutils): keyring tests may fail"
                );
            }
            Command::new(&cargo)
        };
        eprintln!("==> {}: cargo {}", step.what, step.args.join(" "));
        let status = command
            .args(step.args)
            .envs(step.env.iter().copied())
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("xtask: {} failed ({status})", step.what);
                return ExitCode::FAILURE;
            }
            Err(err) => {
                eprintln!("xtask: could not run cargo for {}: {err}", step.what);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Whether a program is on PATH.
fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .map(|paths| env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn main() -> ExitCode {
    match env::args().nth(1).as_deref() {
        Some("test") => run(TEST),
        Some("bench") => run(BENCH),
        Some("vectors") => run(VECTORS),
        _ => usage(),
    }
}
