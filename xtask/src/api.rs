//! `cargo xtask api`: schemathesis drives the running provider from `docs/openapi.yaml`.
//!
//! The provider is the test kit's (`provider::TestProvider`: the real HTTPS server on
//! 127.0.0.1 with the dev service, its bank key and CA). schemathesis generates requests from the
//! schema, valid and invalid, follows the schema's links (issue a token, then read, verify,
//! revoke and unlock it; start an activation, then finish it) and checks every reply: no 5xx, the
//! status documented, the body valid against its schema, invalid input refused. Its settings,
//! and why each exception is there, are in `tests/api/schemathesis.toml`.
//!
//! schemathesis comes from PyPI, pinned, into a virtual environment under `target/` (made once
//! per machine).

use std::{path::Path, process::Command};

use crate::{
    provider::TestProvider,
    tools::{self, workspace_root},
};

/// The schemathesis release the settings are written for.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// The seed of the generated requests: fixed, so a run repeats exactly (`SOFTTOKEN_API_SEED`
/// picks another, e.g. to explore).
const DEFAULT_SEED: &str = "20261130";

/// Runs schemathesis against a fresh test provider.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    let venv = root.join("target/schemathesis-venv");
    let bin = ensure_schemathesis(&venv)?;
    // schemathesis sends wrong bank keys on purpose and expects each to be answered 401; the
    // default failure limit answers 429 after ten (that limit has its own test).
    let provider =
        TestProvider::start_with_env(&[("SOFTTOKEN_TEST_BANK_AUTH_FAILURES", "100000")])?;
    let seed = std::env::var("SOFTTOKEN_API_SEED").unwrap_or_else(|_| DEFAULT_SEED.to_owned());
    tools::run(
        Command::new(&bin)
            .current_dir(&root)
            .envs(provider.env()?)
            .args(["--config-file", "tests/api/schemathesis.toml", "run"])
            .args(["docs/openapi.yaml", "--seed", &seed]),
    )
}

/// Makes the virtual environment and installs the pinned schemathesis if it is not there yet;
/// returns the path of its command.
fn ensure_schemathesis(venv: &Path) -> Result<std::path::PathBuf, String> {
    let bin = venv.join("bin/schemathesis");
    let pip = venv.join("bin/pip");
    let pinned = Command::new(&pip)
        .args(["show", "schemathesis"])
        .output()
        .map(|out| {
            let version = SCHEMATHESIS.trim_start_matches("schemathesis==");
            String::from_utf8_lossy(&out.stdout).contains(&format!("Version: {version}"))
        })
        .unwrap_or(false);
    if pinned && bin.is_file() {
        return Ok(bin);
    }
    tools::ensure_programs(&[("python3", "python3")])?;
    if !pip.is_file() {
        tools::run(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
    }
    eprintln!(
        "xtask: installing {SCHEMATHESIS} from PyPI into {}",
        venv.display()
    );
    tools::run(Command::new(&pip).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        SCHEMATHESIS,
    ]))?;
    Ok(bin)
}
