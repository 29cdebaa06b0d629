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
}

const TEST: &[Step] = &[
    Step {
        what: "format check",
        args: &["fmt", "--all", "--check"],
        env: &[],
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
    },
    Step {
        what: "tests",
        args: &["test", "--workspace", "--locked"],
        env: &[],
    },
    Step {
        what: "doc tests and rustdoc (warnings denied)",
        args: &["doc", "--workspace", "--no-deps", "--locked"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

const BENCH: &[Step] = &[Step {
    what: "criterion benchmarks",
    args: &["bench", "--workspace", "--locked"],
    env: &[],
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
}];

fn usage() -> ExitCode {
    eprintln!("usage: cargo xtask <test|bench|vectors>");
    ExitCode::from(2)
}

fn run(steps: &[Step]) -> ExitCode {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for step in steps {
        eprintln!("==> {}: cargo {}", step.what, step.args.join(" "));
        let status = Command::new(&cargo)
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

fn main() -> ExitCode {
    match env::args().nth(1).as_deref() {
        Some("test") => run(TEST),
        Some("bench") => run(BENCH),
        Some("vectors") => run(VECTORS),
        _ => usage(),
    }
}
