//! The dependency rules of the workspace (ARCHITECTURE.md, "Dependency rules"), checked on the
//! resolved graph rather than trusted to review:
//!
//! - the protocol crate (linked into the phone library and the provider) carries no server,
//!   storage, HTTP-client or FFI crate;
//! - the app core carries no FFI (uniffi lives only in `bindings/`) and no server part;
//! - only `softtoken-ffi` and its `uniffi-bindgen` binary depend on uniffi;
//! - the desktop shell built without its `demo` feature depends on the core only: no provider,
//!   test kit, SQL or mail crate.
//!
//! Each rule is a `cargo tree` of normal (non-dev) dependencies; no compilation is needed.

use std::process::Command;

use crate::tools;

/// A package (with cargo flags) and crates that must not be in its normal dependency tree, in
/// groups so that a list shared by several rules is written once.
struct Rule {
    what: &'static str,
    package: &'static str,
    flags: &'static [&'static str],
    forbidden: &'static [&'static [&'static str]],
}

const SERVER_SIDE: &[&str] = &[
    "softtoken-server",
    "softtoken-testkit",
    "sqlx",
    "axum",
    "axum-server",
    "lettre",
];

const RULES: &[Rule] = &[
    Rule {
        what: "the protocol crate is a leaf",
        package: "softtoken-protocol",
        flags: &[],
        forbidden: &[
            &["softtoken-core", "reqwest", "tokio", "uniffi"],
            SERVER_SIDE,
        ],
    },
    Rule {
        what: "the app core carries no FFI and no server part",
        package: "softtoken-core",
        flags: &[],
        forbidden: &[&["uniffi"], SERVER_SIDE],
    },
    Rule {
        what: "the CLI without `demo` depends on the core only",
        package: "softtoken",
        flags: &["--no-default-features"],
        forbidden: &[SERVER_SIDE],
    },
];

/// Only these packages may depend on uniffi directly.
const UNIFFI_USERS: &[&str] = &["softtoken-ffi", "softtoken-uniffi-bindgen", "uniffi"];

/// Checks every rule; the error lists each broken one.
pub fn check() -> Result<(), String> {
    let mut broken = Vec::new();
    for rule in RULES {
        let mut args = vec!["tree", "--locked", "-e", "normal", "--prefix", "none"];
        args.extend(["-p", rule.package]);
        args.extend(rule.flags);
        let crates = crate_names(&args)?;
        let found: Vec<&str> = rule
            .forbidden
            .iter()
            .flat_map(|group| group.iter().copied())
            .filter(|name| crates.iter().any(|c| c == name))
            .collect();
        if found.is_empty() {
            eprintln!("    ok: {} ({} crates)", rule.what, crates.len());
        } else {
            broken.push(format!(
                "{}: {} depends on {found:?}",
                rule.what, rule.package
            ));
        }
    }
    let users = crate_names(&[
        "tree",
        "--locked",
        "--workspace",
        "-e",
        "normal",
        "--prefix",
        "none",
        "--invert",
        "uniffi",
        "--depth",
        "1",
    ])?;
    let strays: Vec<&String> = users
        .iter()
        .filter(|name| !UNIFFI_USERS.contains(&name.as_str()))
        .collect();
    if strays.is_empty() {
        eprintln!("    ok: only the bindings depend on uniffi");
    } else {
        broken.push(format!(
            "only bindings/ may depend on uniffi, also: {strays:?}"
        ));
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken.join("; "))
    }
}

/// The distinct crate names a `cargo tree --prefix none` prints.
fn crate_names(args: &[&str]) -> Result<Vec<String>, String> {
    let output = Command::new(tools::cargo())
        .current_dir(tools::workspace_root())
        .args(args)
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}
