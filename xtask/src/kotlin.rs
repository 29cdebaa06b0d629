//! `cargo xtask kotlin`: the Kotlin JVM tests with Maven, against one real provider
//! ([`TestProvider`]) and the host-built library from `cargo xtask bindings`: the library's
//! (`android/pom.xml`), then the Compose screens' (`android/ui/pom.xml`: state holders and
//! headless UI tests). And `cargo xtask bench-ffi`'s Kotlin half: `currentCode` per call through
//! JNA, on a release build of the library (as the Rust benchmarks are).
//!
//! Maven downloads its plugins and dependencies from Maven Central into `~/.m2` (cache that
//! directory in CI); the build output goes to `target/android-maven/` and
//! `target/android-ui-maven/`. The JVM loads a private copy of the library
//! (`target/android-maven/native/`), so a `cargo xtask bindings` running meanwhile (which
//! rewrites `target/bindings/lib/`) cannot pull it from under the tests.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use crate::{
    bindings::{LIB_DIR, LIB_FILE},
    provider::TestProvider,
    tools::{self, ensure_programs, run as run_command, workspace_root},
};

/// The kernel keyring session Maven runs in.
pub enum Keyring {
    /// The caller's: the suite keeps seeds in Kotlin stores of its own.
    Inherited,
    /// A fresh session keyring of its own (`keyctl session -`): the benchmark also measures the
    /// platform keystore, which is the kernel keyring on Linux.
    OwnSession,
}

/// The Maven modules, by their directory under the workspace root.
pub const LIBRARY: &str = "android";
/// The Compose screens' module.
pub const SCREENS: &str = "android/ui";

/// Runs the Kotlin tests: the library's, then the screens', against one provider.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    let lib_dir = prepare(&root.join(LIB_DIR).join(LIB_FILE))?;
    let provider = TestProvider::start()?;
    maven(LIBRARY, &lib_dir, &["test"], Keyring::Inherited, &provider)?;
    maven(SCREENS, &lib_dir, &["test"], Keyring::Inherited, &provider)
}

/// Runs the `current_code` per-call benchmark (`mvn -Pbench test`) on a release build of the
/// library: with a Kotlin secret store, and with the platform keystore (the kernel keyring,
/// hence a session keyring of its own).
pub fn bench() -> Result<(), String> {
    let lib_dir = prepare(&crate::bindings::build_release()?)?;
    let provider = TestProvider::start()?;
    maven(
        LIBRARY,
        &lib_dir,
        &["-Pbench", "test"],
        Keyring::OwnSession,
        &provider,
    )
}

/// Checks that the bindings were generated and gives the JVM its own copy of `lib`; returns
/// the directory of that copy.
pub fn prepare(lib: &Path) -> Result<PathBuf, String> {
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
    Ok(lib_dir)
}

/// Runs Maven with `args` in `module` (a directory under the workspace root), with the library
/// in `lib_dir`, against `provider`.
pub fn maven(
    module: &str,
    lib_dir: &Path,
    args: &[&str],
    keyring: Keyring,
    provider: &TestProvider,
) -> Result<(), String> {
    let mut command = match keyring {
        Keyring::OwnSession => tools::in_keyring_session("mvn"),
        Keyring::Inherited => Command::new("mvn"),
    };
    command
        .current_dir(workspace_root().join(module))
        .args(["-B", "-ntp"])
        .arg(format!("-Dsofttoken.lib.dir={}", lib_dir.display()))
        .args(args)
        .envs(provider.env()?);
    run_command(&mut command)
}
