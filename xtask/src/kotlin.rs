//! `cargo xtask kotlin`: the Kotlin library's JVM tests with Maven (`android/pom.xml`), against a
//! real provider ([`TestProvider`]) and the host-built library from `cargo xtask bindings`; and
//! `cargo xtask bench-ffi`'s Kotlin half: `currentCode` per call through JNA, on a release build
//! of the library (as the Rust benchmarks are).
//!
//! Maven downloads its plugins and dependencies from Maven Central into `~/.m2` (cache that
//! directory in CI); the build output goes to `target/android-maven/`. The JVM loads a private
//! copy of the library (`target/android-maven/native/`), so a `cargo xtask bindings` running
//! meanwhile (which rewrites `target/bindings/lib/`) cannot pull it from under the tests.

use std::{path::Path, process::Command};

use crate::{
    bindings::{LIB_DIR, LIB_FILE},
    provider::TestProvider,
    tools::{self, ensure_programs, run as run_command, workspace_root},
};

/// The kernel keyring session Maven runs in.
enum Keyring {
    /// The caller's: the suite keeps seeds in Kotlin stores of its own.
    Inherited,
    /// A fresh session keyring of its own (`keyctl session -`): the benchmark also measures the
    /// platform keystore, which is the kernel keyring on Linux.
    OwnSession,
}

/// Runs the Kotlin tests.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    let lib = root.join(LIB_DIR).join(LIB_FILE);
    maven(&lib, &["test"], Keyring::Inherited)
}

/// Runs the `current_code` per-call benchmark (`mvn -Pbench test`) on a release build of the
/// library: with a Kotlin secret store, and with the platform keystore (the kernel keyring,
/// hence a session keyring of its own).
pub fn bench() -> Result<(), String> {
    let lib = crate::bindings::build_release()?;
    maven(&lib, &["-Pbench", "test"], Keyring::OwnSession)
}

/// Runs Maven in `android/` with `lib` against a fresh provider.
fn maven(lib: &Path, args: &[&str], keyring: Keyring) -> Result<(), String> {
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
    // The JVM under test maps its own copy: a later `cargo xtask bindings` may replace the
    // shared one meanwhile.
    tools::replace_file(lib, &lib_dir.join(LIB_FILE))
        .map_err(|e| format!("{e} (run `cargo xtask bindings` first)"))?;
    let provider = TestProvider::start()?;
    let mut command = match keyring {
        Keyring::OwnSession => tools::in_keyring_session("mvn"),
        Keyring::Inherited => Command::new("mvn"),
    };
    command
        .current_dir(root.join("android"))
        .args(["-B", "-ntp"])
        .arg(format!("-Dsofttoken.lib.dir={}", lib_dir.display()))
        .args(args)
        .envs(provider.env()?);
    run_command(&mut command)
}
