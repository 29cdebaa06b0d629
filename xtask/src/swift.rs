//! `cargo xtask swift`: the Swift package's XCTest suite (`ios/`), run with Debian trixie's
//! `swiftlang` in a chroot against the host-built library and the real provider; and
//! `bench()`, `currentCode` per call from Swift.
//!
//! The chroot (`debootstrap --variant=minbase trixie` plus `swiftlang`, about 2.6 GB, two
//! minutes to build) lives outside the repository so CI can cache it: `$SOFTTOKEN_SWIFT_CHROOT`,
//! else `$XDG_CACHE_HOME/softtoken/swift-trixie`, else `~/.cache/softtoken/swift-trixie`. A
//! marker file written last records a completed setup (and which one): a chroot without it —
//! half-built, or from an older setup — is rebuilt. SwiftPM's build directory stays inside the
//! chroot (`/var/cache/softtoken-swift-build/<checkout path>`, one per checkout, as worktrees share
//! the chroot), so a cached chroot also caches the Swift build.
//!
//! Every command in the chroot runs under `unshare --mount` in a private mount namespace: the
//! mounts it needs (`/proc`, `/dev`, the workspace read-only at `/src`, the provider's data
//! directory at `/provider`) exist only in that namespace and vanish with its last process,
//! whatever happens (a failure, Ctrl-C, a killed xtask). Nothing is ever left mounted on the
//! host, and deleting a chroot can never reach through a bind mount into the workspace.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{
    bindings::LIB_DIR,
    provider::TestProvider,
    tools::{self, ensure_programs, workspace_root},
};

/// What a complete chroot contains; a chroot whose marker differs is rebuilt.
const SETUP: &str = "softtoken swift chroot v1: debootstrap minbase trixie; \
                     swiftlang libc6-dev libstdc++-14-dev curl";

/// The marker file, relative to the chroot.
const MARKER: &str = ".softtoken-setup";

/// Packages installed in the chroot: the compiler and SwiftPM (`swiftlang`), the C headers and
/// C++ runtime it links with, and curl for the tests' bank calls.
const PACKAGES: &[&str] = &["swiftlang", "libc6-dev", "libstdc++-14-dev", "curl"];

/// Where the workspace and the provider's data directory appear inside the chroot.
const SRC: &str = "/src";
const PROVIDER_DIR: &str = "/provider";

/// SwiftPM's build directories, inside the chroot: one per workspace (see `scratch`).
const SCRATCH_ROOT: &str = "/var/cache/softtoken-swift-build";

/// PATH inside the chroot: trixie installs the Swift tools under /usr/libexec/swift/bin and
/// links only some of them into /usr/bin (`swift test` needs `swift-test`).
const CHROOT_PATH: &str = "/usr/libexec/swift/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/// Runs the Swift package's tests against a fresh provider. The run's temporary directory (the
/// tests' data directories, SwiftPM's temporaries) is the checkout's own, `<scratch>/tmp`,
/// emptied first: the chroot's `/tmp` is shared by every checkout's runs.
pub fn run() -> Result<(), String> {
    let chroot = ensure_chroot()?;
    let root = workspace_root();
    let lib_dir = format!("{SRC}/{LIB_DIR}");
    let scratch = scratch(&root);
    let provider = TestProvider::start()?;
    eprintln!("xtask: swift tests in {}", chroot.display());
    in_chroot(
        &chroot,
        &mounts(&root, &provider),
        &suite_env(&provider, &lib_dir)?,
        &format!(
            "export TMPDIR={scratch}/tmp && rm -rf \"$TMPDIR\" && mkdir -p \"$TMPDIR\" \
             && cd {SRC}/ios \
             && swift build --build-tests --scratch-path {scratch} \
             && swift test --skip-build --disable-swift-testing --scratch-path {scratch}"
        ),
    )
    .map_err(|err| format!("the Swift tests failed (XCTest output above): {err}"))
}

/// Runs the Swift benchmark: `currentCode` per call, release build of both the library and the
/// Swift code.
pub fn bench() -> Result<(), String> {
    let chroot = ensure_chroot()?;
    let root = workspace_root();
    // The Rust figures are release builds; so is the library measured here.
    crate::bindings::build_release()?;
    let provider = TestProvider::start()?;
    let lib_dir = format!("{SRC}/target/release");
    let scratch = scratch(&root);
    in_chroot(
        &chroot,
        &mounts(&root, &provider),
        &suite_env(&provider, &lib_dir)?,
        &format!(
            "cd {SRC}/ios && swift build -c release --product SoftTokenBench --scratch-path {scratch} \
             && {scratch}/release/SoftTokenBench"
        ),
    )
    .map_err(|err| format!("the Swift benchmark failed: {err}"))
}

/// SwiftPM's build directory for the workspace at `root`: the chroot is shared by every
/// checkout on the machine (worktrees included), and two `swift build`s in one scratch
/// directory at once, or one after the other from different sources, would trample each other.
fn scratch(root: &Path) -> String {
    let name: String = root
        .display()
        .to_string()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{SCRATCH_ROOT}/{name}")
}

/// The chroot's location.
fn chroot_dir() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("SOFTTOKEN_SWIFT_CHROOT") {
        return Ok(PathBuf::from(dir));
    }
    let cache = env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .ok_or("neither SOFTTOKEN_SWIFT_CHROOT, XDG_CACHE_HOME nor HOME is set")?;
    Ok(cache.join("softtoken/swift-trixie"))
}

/// The chroot, built if missing or incomplete.
fn ensure_chroot() -> Result<PathBuf, String> {
    let dir = chroot_dir()?;
    let marker = dir.join(MARKER);
    if fs::read_to_string(&marker).is_ok_and(|text| text.trim() == SETUP) {
        eprintln!("xtask: reusing the Swift chroot at {}", dir.display());
        return Ok(dir);
    }
    if !is_root() {
        return Err("building the Swift chroot needs root (debootstrap, chroot, mount)".into());
    }
    ensure_programs(&[("debootstrap", "debootstrap"), ("unshare", "util-linux")])?;
    eprintln!(
        "xtask: building the Swift chroot at {} (Debian trixie + swiftlang, about 2 minutes)",
        dir.display()
    );
    if dir.exists() {
        refuse_if_mounted(&dir)?;
        fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot remove the incomplete chroot {}: {e}", dir.display()))?;
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mirror = env::var("SOFTTOKEN_DEBIAN_MIRROR")
        .unwrap_or_else(|_| "http://deb.debian.org/debian".to_owned());
    tools::run(
        Command::new("debootstrap")
            .args(["--variant=minbase", "trixie"])
            .arg(&dir)
            .arg(&mirror),
    )?;
    in_chroot(
        &dir,
        &[],
        &[("DEBIAN_FRONTEND".into(), "noninteractive".into())],
        &format!(
            "apt-get update -qq && apt-get install -y -qq --no-install-recommends {} \
             && apt-get clean",
            PACKAGES.join(" ")
        ),
    )?;
    fs::write(&marker, format!("{SETUP}\n"))
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(dir)
}

/// Bind mounts for a suite run: the workspace (read-only) and the provider's data directory.
fn mounts(root: &Path, provider: &TestProvider) -> Vec<(PathBuf, &'static str)> {
    vec![
        (root.to_path_buf(), SRC),
        (provider.data_dir.clone(), PROVIDER_DIR),
    ]
}

/// The suites' environment inside the chroot: the provider's variables with its paths moved to
/// the mount point, and where the library is.
fn suite_env(provider: &TestProvider, lib_dir: &str) -> Result<Vec<(String, String)>, String> {
    let mut vars: Vec<(String, String)> = provider
        .env()?
        .into_iter()
        .map(|(name, value)| match name.as_str() {
            "SOFTTOKEN_TEST_CA_PEM" => (name, format!("{PROVIDER_DIR}/tls/ca.pem")),
            "SOFTTOKEN_TEST_DATA_DIR" => (name, PROVIDER_DIR.to_owned()),
            _ => (name, value),
        })
        .collect();
    vars.push(("SOFTTOKEN_FFI_LIB_DIR".into(), lib_dir.to_owned()));
    vars.push(("LD_LIBRARY_PATH".into(), lib_dir.to_owned()));
    Ok(vars)
}

/// Runs `script` with `sh` inside the chroot, in a private mount namespace with `/proc`, `/dev`
/// and `binds` (host path, path inside; read-only) mounted, and a clean environment plus
/// `vars`.
fn in_chroot(
    dir: &Path,
    binds: &[(PathBuf, &str)],
    vars: &[(String, String)],
    script: &str,
) -> Result<(), String> {
    let root = quote(&dir.display().to_string());
    let mut setup =
        format!("set -e; mount -t proc proc {root}/proc; mount --bind /dev {root}/dev; ");
    for (host, inside) in binds {
        let target = quote(&format!("{}{inside}", dir.display()));
        let host = quote(&host.display().to_string());
        setup.push_str(&format!(
            "mkdir -p {target}; mount --bind {host} {target}; \
             mount -o remount,bind,ro {target}; "
        ));
    }
    let mut chroot = format!("exec chroot {root} /usr/bin/env -i PATH={CHROOT_PATH} HOME=/root ");
    chroot.push_str("TMPDIR=/tmp LANG=C.UTF-8 ");
    for (name, value) in vars {
        chroot.push_str(&quote(&format!("{name}={value}")));
        chroot.push(' ');
    }
    chroot.push_str("/bin/sh -c ");
    chroot.push_str(&quote(script));
    // Not `tools::run`: its error would repeat the whole command line, API key included.
    let status = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "/bin/sh", "-c"])
        .arg(format!("{setup}{chroot}"))
        .status()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{script}` in the chroot {} failed ({status})",
            dir.display()
        ))
    }
}

/// Refuses to delete a directory that has something mounted under it (a bind mount of the
/// workspace must never be deleted through).
fn refuse_if_mounted(dir: &Path) -> Result<(), String> {
    let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let prefix = dir.display().to_string();
    match mounts
        .lines()
        .filter_map(|line| line.split(' ').nth(1))
        .find(|point| point.starts_with(&prefix))
    {
        Some(point) => Err(format!(
            "{point} is mounted inside the chroot; unmount it before the chroot is rebuilt"
        )),
        None => Ok(()),
    }
}

/// Whether we run as root.
fn is_root() -> bool {
    tools::output(Command::new("id").arg("-u")).is_ok_and(|out| out.trim() == "0")
}

/// `text` as one single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
