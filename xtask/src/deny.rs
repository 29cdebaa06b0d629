//! `cargo xtask deny`: cargo-deny's licenses, bans (no aws-lc, no OpenSSL: TLS is rustls on ring)
//! and sources (crates.io only) checks, with the rules in `deny.toml`. Offline: the dependency
//! graph comes from `Cargo.lock` and the registry cache `cargo fetch` filled. The advisory
//! database lives on GitHub, which the build machines cannot reach, so advisories are not part of
//! this check.

use std::process::Command;

use crate::tools::{self, workspace_root};

/// The cargo-deny release the rules are written for.
const VERSION: &str = "0.20.2";

/// Runs the check; fails on any denied license, crate or source.
pub fn check() -> Result<(), String> {
    // The advisories feature fetches databases with gix; it is unused here and halves the build.
    // A debug build: it checks this graph in seconds all the same, and builds in half the time.
    tools::ensure_cargo_tool("deny", VERSION, &["--no-default-features", "--debug"])?;
    tools::run(
        Command::new(tools::cargo())
            .current_dir(workspace_root())
            .args(["deny", "--offline", "--log-level", "error", "check"])
            .args(["bans", "licenses", "sources"]),
    )
}
