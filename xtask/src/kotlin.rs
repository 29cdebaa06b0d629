//! `cargo xtask kotlin`: the Kotlin library's JVM tests with Maven (`android/pom.xml`), against a
//! real provider ([`TestProvider`]) and the host-built library from `cargo xtask bindings`; and
//! `cargo xtask bench-ffi`'s Kotlin half: `currentCode` per call through JNA, on a release build
//! of the library (as the Rust benchmarks are).
//!
//! Maven downloads its plugins and dependencies from Maven Central into `~/.m2` (cache that
//! directory in CI); the build output goes to `target/android-maven/`. The JVM loads a private
//! copy of the library (`target/android-maven/native/`), so a `cargo xtask bindings` running
//! meanwhile (which rewrites `target/bindings/lib/`) cannot pull it from under the tests.

use std::{fs, path::Path, process::Command};

use crate::{
    bindings::{LIB_DIR, LIB_FILE},
    provider::TestProvider,
    tools::{ensure_programs, on_path, run as run_command, workspace_root},
};

/// Runs the Kotlin tests.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    let lib = root.join(LIB_DIR).join(LIB_FILE);
    maven(&lib, &["test"], false)
}

/// Runs the `current_code` per-call benchmark (`mvn -Pbench test`) on a release build of the
/// library: with a Kotlin secret store, and with the platform keystore (the kernel keyring,
/// hence a session keyring of its own).
pub fn bench() -> Result<(), String> {
    let lib = crate::bindings::build_release()?;
    maven(&lib, &["-Pbench", "test"], true)
}

/// Runs Maven in `android/` with `lib` against a fresh provider.
fn maven(lib: &Path, args: &[&str], keyring_session: bool) -> Result<(), String> {
    ensure_programs(&[("mvn", "maven"), ("java", "default-jdk-headless")])?;
    let root = workspace_root();
    let generated =
        root.join("android/src/main/kotlin-generated/dev/softtoken/ffi/softtoken_ffi.kt");
    if !generated.is_file() {
        return Err(format!(
            "{} is missing: run `cargo xtask bindings` first",
            generated.display()
        ));
    }
    let lib_dir = root.join("target/android-maven/native");
    private_copy(lib, &lib_dir)?;
    let provider = TestProvider::start()?;
    // As root, the kernel keyring refuses access to a process without its own session keyring.
    let keyctl = keyring_session && cfg!(target_os = "linux") && on_path("keyctl");
    let mut command = if keyctl {
        let mut command = Command::new("keyctl");
        command.args(["session", "-", "mvn"]);
        command
    } else {
        Command::new("mvn")
    };
    command
        .current_dir(root.join("android"))
        .args(["-B", "-ntp"])
        .arg(format!("-Dsofttoken.lib.dir={}", lib_dir.display()))
        .args(args)
        .envs(provider.env()?);
    run_command(&mut command)
}

/// Copies `lib` into `dir` by writing a temporary file and renaming it over the old copy, so a
/// JVM that still maps the old copy keeps its (unlinked) file intact.
fn private_copy(lib: &Path, dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!("{LIB_FILE}.{}.tmp", std::process::id()));
    fs::copy(lib, &tmp).map_err(|e| {
        format!(
            "cannot copy {} (run `cargo xtask bindings` first): {e}",
            lib.display()
        )
    })?;
    let target = dir.join(LIB_FILE);
    fs::rename(&tmp, &target)
        .map_err(|e| format!("cannot move {} to {}: {e}", tmp.display(), target.display()))
}
