//! `cargo xtask fuzz`: a short run of every fuzz target in `fuzz/` (libFuzzer through
//! cargo-fuzz, on the nightly toolchain), starting from the corpus kept in the repository.
//!
//! This is the smoke run `cargo xtask test` does: it catches a target that no longer builds, a
//! crash on a corpus input, and a crash a few seconds of mutation finds. The long runs that grew
//! the corpus are `cargo +nightly fuzz run TARGET` (docs/fuzzing.md). New inputs found here go
//! to a scratch directory under `target/`, not into the repository's corpus.

use std::{fs, process::Command};

use crate::tools::{self, workspace_root};

/// Every target, in `fuzz/fuzz_targets/`.
pub const TARGETS: &[&str] = &[
    "typed_input",
    "device_messages",
    "bank_messages",
    "server_config",
];

/// The cargo-fuzz release the targets are built with.
const CARGO_FUZZ: &str = "0.13.2";

/// Seconds of mutation per target in the smoke run (`SOFTTOKEN_FUZZ_SECONDS` changes it).
const DEFAULT_SECONDS: &str = "15";

/// Builds every target and runs each on its corpus, then for a few seconds.
pub fn smoke() -> Result<(), String> {
    let root = workspace_root();
    let nightly = Command::new("cargo")
        .args(["+nightly", "--version"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    if !nightly || std::env::var_os("SOFTTOKEN_FUZZ_STABLE").is_some() {
        return replay_on_stable(&root);
    }
    tools::ensure_cargo_tool("fuzz", CARGO_FUZZ, &["--debug"])?;
    let seconds =
        std::env::var("SOFTTOKEN_FUZZ_SECONDS").unwrap_or_else(|_| DEFAULT_SECONDS.to_owned());
    let fuzz_dir = root.join("fuzz");
    let scratch = root.join("target/fuzz-smoke");
    for target in TARGETS {
        let found = scratch.join(target);
        let _ = fs::remove_dir_all(&found);
        fs::create_dir_all(&found)
            .map_err(|e| format!("cannot create {}: {e}", found.display()))?;
        eprintln!("xtask: fuzzing {target} for {seconds} s");
        // The rustup proxy reads `+nightly`; `cargo` (not $CARGO, which is stable's own binary).
        tools::run(
            Command::new("cargo")
                .current_dir(&fuzz_dir)
                .args(["+nightly", "fuzz", "run", "--release", target])
                .arg(&found)
                .arg(fuzz_dir.join("corpus").join(target))
                .args(["--", &format!("-max_total_time={seconds}")])
                .args([
                    "-max_len=4096",
                    "-rss_limit_mb=2048",
                    "-print_final_stats=1",
                ]),
        )?;
    }
    Ok(())
}

/// Without a nightly toolchain (cargo-fuzz's sanitizer and coverage flags need one): the same
/// targets built with stable, without coverage instrumentation, each run once over its whole
/// corpus (`-runs=0`). No mutation, but every committed input, crashes fixed earlier included,
/// still goes through every target. Loudly said, so nobody mistakes it for a fuzz run.
fn replay_on_stable(root: &std::path::Path) -> Result<(), String> {
    eprintln!(
        "xtask: WARNING: no nightly toolchain: the fuzz targets only replay their corpora \
         (no mutation); install nightly for the real smoke run"
    );
    let fuzz_dir = root.join("fuzz");
    let target_dir = root.join("target/fuzz-stable");
    tools::run(
        Command::new(tools::cargo())
            .current_dir(&fuzz_dir)
            .args(["build", "--release", "--bins", "--target-dir"])
            .arg(&target_dir),
    )?;
    for target in TARGETS {
        eprintln!("xtask: replaying the {target} corpus");
        tools::run(
            Command::new(target_dir.join("release").join(target))
                .arg(fuzz_dir.join("corpus").join(target))
                .args(["-runs=0", "-rss_limit_mb=2048"]),
        )?;
    }
    Ok(())
}
