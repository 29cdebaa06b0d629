//! `cargo xtask`: the project's build and test tasks, in Rust so they run the same everywhere.
//!
//! - `cargo xtask test`: formatting check, clippy with warnings denied, and every test (the
//!   provider's HTTP suites twice: on SQLite, then on a throwaway PostgreSQL cluster). This is
//!   the command README and CI promise.
//! - `cargo xtask bench`: the criterion benchmarks.
//! - `cargo xtask vectors`: regenerate `docs/vectors/` after a deliberate protocol change.
//! - `cargo xtask deny`: cargo-deny's licenses, bans and sources checks, offline ([`deny`]).
//! - `cargo xtask fuzz`: a short run of every fuzz target in `fuzz/` on its corpus ([`fuzz`]).
//! - `cargo xtask api`: schemathesis drives a running provider from `docs/openapi.yaml`
//!   ([`api`]).
//! - `cargo xtask bindings`: build `softtoken-ffi` and generate its Kotlin and Swift bindings
//!   into `android/` and `ios/` ([`bindings`]).
//! - `cargo xtask kotlin`: the Kotlin library's and the Compose screens' JVM tests with Maven
//!   ([`kotlin`]).
//! - `cargo xtask android-app`: the Android app module's checks that need no Android SDK
//!   ([`android_app`]).
//! - `cargo xtask screens`: the screens rendered to `docs/screens/*.png` ([`screens`]).
//! - `cargo xtask phone`: the screens in a phone-sized window against a dev provider
//!   ([`screens`]; needs a display).
//! - `cargo xtask swift`: the Swift package's tests in a Debian trixie chroot ([`swift`]).
//!
//! - `cargo xtask size`: the stripped size of the phone library, failing over 3.5 MiB
//!   ([`bindings::size`]).
//! - `cargo xtask bench-ffi`: `current_code` per call from Kotlin (JNA) and Swift.
//!
//! - `cargo xtask deps`: the dependency rules of ARCHITECTURE.md on the resolved graph
//!   ([`deps`]): core without uniffi or server parts, uniffi only in `bindings/`, the CLI
//!   without `demo` on the core only.
//!
//! `test` runs the Rust steps, then `deps`, `deny`, `fuzz`, `bindings`, `api`, `kotlin`, `android-app`, `swift` and `size`.

mod android_app;
mod api;
mod bindings;
mod deny;
mod deps;
mod fuzz;
mod kotlin;
mod provider;
mod screens;
mod swift;
mod tools;

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
        // The same suites again with the provider on PostgreSQL: each test binary starts its
        // own throwaway cluster (the test kit's PgCluster::shared(), tests/src/postgres/), each
        // provider gets a fresh database in it. (Tests of SQLite's own faults — storage_faults
        // — and of the process — process, connections — stay SQLite-only.)
        // `--workspace` as in the step before, not `-p softtoken-server`: the dependencies'
        // features are then unified (nearly) the same way, so most of what that step built is
        // used again. With `-p`, cargo rebuilt 36 crates (3 min 12 s on 2 cores); now 4 (49 s).
        what: "provider suites on PostgreSQL",
        args: &[
            "test",
            "--workspace",
            "--locked",
            "--test",
            "http_api",
            "--test",
            "activation_privacy",
            "--test",
            "phone_change",
            "--test",
            "rejections",
            "--test",
            "transactions",
            "--test",
            "verify_fast_path",
        ],
        env: &[("SOFTTOKEN_TEST_DATABASE", "postgres")],
        keyring_session: false,
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

const VECTORS: &[Step] = &[
    Step {
        what: "regenerate protocol vectors",
        args: &[
            "test",
            "-p",
            "softtoken-protocol",
            "--test",
            "activation_vectors",
            "--locked",
            // Only the test that writes the file: the others check it (and docs/protocol.md's
            // quotes of it) and run with `cargo xtask test`.
            "--",
            "--exact",
            "worked_example_matches_the_published_vectors",
        ],
        env: &[("UPDATE_VECTORS", "1")],
        keyring_session: false,
    },
    Step {
        what: "regenerate transaction vectors",
        args: &[
            "test",
            "-p",
            "softtoken-protocol",
            "--test",
            "transaction_vectors",
            "--locked",
            // Runs after the activation vectors: the transactions use the worked example's seed.
            "--",
            "--exact",
            "transactions_match_the_published_vectors",
        ],
        env: &[("UPDATE_VECTORS", "1")],
        keyring_session: false,
    },
];

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <test|bench|vectors|deps|deny|fuzz|api|bindings|size|kotlin|android-app|swift|screens|phone|bench-ffi>"
    );
    ExitCode::from(2)
}

/// Everything `cargo xtask test` promises: the Rust steps, then the bindings, the Kotlin and
/// Swift suites over them, and the phone library's size target.
fn test_all() -> ExitCode {
    // Before the first cargo step: the tests start throwaway PostgreSQL clusters.
    if let Err(err) = tools::ensure_postgres() {
        eprintln!("xtask: {err}");
        return ExitCode::FAILURE;
    }
    let rust = run(TEST);
    if rust != ExitCode::SUCCESS {
        return rust;
    }
    for (what, task) in [
        (
            "dependency rules",
            deps::check as fn() -> Result<(), String>,
        ),
        ("cargo-deny (licenses, bans, sources)", deny::check),
        ("fuzz smoke", fuzz::smoke),
        ("bindings", bindings::run),
        ("API against its OpenAPI (schemathesis)", api::run),
        ("kotlin", kotlin::run),
        ("android app module", android_app::run),
        ("swift", swift::run),
        ("size", bindings::size),
    ] {
        eprintln!("==> {what}");
        if let Err(err) = task() {
            eprintln!("xtask: {what} failed: {err}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Runs one of the non-cargo tasks.
fn task(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(steps: &[Step]) -> ExitCode {
    let cargo = tools::cargo();
    for step in steps {
        let mut command = if step.keyring_session {
            tools::in_keyring_session(&cargo)
        } else {
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

fn main() -> ExitCode {
    match env::args().nth(1).as_deref() {
        Some("test") => test_all(),
        Some("bench") => match tools::ensure_postgres() {
            Ok(()) => run(BENCH),
            Err(err) => task(Err(err)),
        },
        Some("vectors") => run(VECTORS),
        Some("deps") => task(deps::check()),
        Some("deny") => task(deny::check()),
        Some("api") => task(api::run()),
        Some("fuzz") => task(fuzz::smoke()),
        Some("bindings") => task(bindings::run()),
        Some("size") => task(bindings::size()),
        Some("kotlin") => task(bindings::run().and_then(|()| kotlin::run())),
        Some("android-app") => task(bindings::run().and_then(|()| android_app::run())),
        Some("swift") => task(bindings::run().and_then(|()| swift::run())),
        Some("screens") => task(bindings::run().and_then(|()| screens::pictures())),
        Some("phone") => task(bindings::run().and_then(|()| screens::phone())),
        Some("bench-ffi") => task(
            bindings::run()
                .and_then(|()| kotlin::bench())
                .and_then(|()| swift::bench()),
        ),
        _ => usage(),
    }
}
