//! `cargo xtask android-app`: what of the Android app module (`android/app/`) can be checked
//! on a machine with no Android SDK and no Gradle: its framework-only glue type-checks against
//! the Android framework jar, and its backup rules and manifest say what they must
//! (`android/app/typecheck/pom.xml`, see `android/app/README.md`).
//!
//! Needs the Kotlin library's jar, so it first packages the library (`mvn package` in
//! `android/`, tests skipped: `cargo xtask kotlin` runs them), which needs the generated
//! bindings (`cargo xtask bindings`). The first run downloads the framework jar
//! (`org.robolectric:android-all`, about 188 MiB) into `~/.m2`.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

use crate::tools::{ensure_programs, run as run_command, workspace_root};

/// The oldest Java that loads the framework's classes (API 36 ships class file version 65).
const TEST_JAVA: u32 = 21;

/// Where Debian and the machine's second JDK install JDKs.
const JVM_DIR: &str = "/usr/lib/jvm";

/// Packages the library, then compiles the app's glue against it and runs the module's checks.
pub fn run() -> Result<(), String> {
    ensure_programs(&[("mvn", "maven"), ("java", "default-jdk-headless")])?;
    let java = test_java()?;
    let android = workspace_root().join("android");
    let generated = android.join("src/main/kotlin-generated/dev/softtoken/ffi/softtoken_ffi.kt");
    if !generated.is_file() {
        return Err(format!(
            "{} is missing: run `cargo xtask bindings` first",
            generated.display()
        ));
    }
    run_command(Command::new("mvn").current_dir(&android).args([
        "-B",
        "-ntp",
        "-q",
        "-Dmaven.test.skip=true",
        "package",
    ]))?;
    run_command(
        Command::new("mvn")
            .current_dir(android.join("app/typecheck"))
            .args(["-B", "-ntp"])
            .arg(format!("-Dsofttoken.test.jvm={}", java.display()))
            .arg("test"),
    )
}

/// A `java` of version [`TEST_JAVA`] or newer for the tests: `JAVA_HOME`'s, else the first in
/// [`JVM_DIR`] (Maven itself keeps the default JDK).
fn test_java() -> Result<PathBuf, String> {
    let mut homes: Vec<PathBuf> = env::var_os("JAVA_HOME")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Ok(entries) = fs::read_dir(JVM_DIR) {
        let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        found.sort();
        homes.extend(found);
    }
    homes
        .iter()
        .filter(|home| java_major(home).is_some_and(|major| major >= TEST_JAVA))
        .map(|home| home.join("bin/java"))
        .find(|java| java.is_file())
        .ok_or_else(|| {
            format!(
                "no JDK {TEST_JAVA}+ in JAVA_HOME or {JVM_DIR}: the framework's classes need one \
                 (e.g. `apt-get install openjdk-{TEST_JAVA}-jdk-headless` where Debian has it)"
            )
        })
}

/// The major version in a JDK's `release` file (`JAVA_VERSION="25.0.3"` → 25).
fn java_major(home: &Path) -> Option<u32> {
    let release = fs::read_to_string(home.join("release")).ok()?;
    let version = release
        .lines()
        .find_map(|line| line.strip_prefix("JAVA_VERSION=\""))?;
    version.split(['.', '"']).next()?.parse().ok()
}
