//! Small helpers shared by the tasks: finding programs, installing missing Debian packages,
//! running commands with a clear error.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

/// Whether a program is on PATH.
pub fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .map(|paths| env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

/// The cargo that runs us.
pub fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// A command running `program` inside a fresh kernel session keyring (`keyctl session -`):
/// as root, the kernel keyring refuses access to a process without a session keyring of its
/// own, and the app core's seeds live there in tests. Without `keyctl` (or off Linux) the
/// program runs as it is, with a warning on Linux.
pub fn in_keyring_session(program: &str) -> Command {
    if cfg!(target_os = "linux") {
        if on_path("keyctl") {
            let mut command = Command::new("keyctl");
            command.args(["session", "-", program]);
            return command;
        }
        eprintln!("xtask: `keyctl` not found (apt-get install keyutils): keyring tests may fail");
    }
    Command::new(program)
}

/// Copies `from` to `to` by writing a temporary file beside `to` and renaming it over `to`,
/// never overwriting in place: a JVM or Swift process that has the old library mapped would
/// crash on changed pages, while a renamed-over file stays intact for it.
pub fn replace_file(from: &Path, to: &Path) -> Result<(), String> {
    let dir = to.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staged = dir.join(format!("{name}.{}.tmp", std::process::id()));
    fs::copy(from, &staged).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    fs::rename(&staged, to).map_err(|e| format!("cannot replace {}: {e}", to.display()))
}

/// Builds what the dev-profile steps run (the FFI library, `uniffi-bindgen`, the test provider)
/// in one invocation over the whole workspace, with the targets `cargo test --workspace` builds.
/// Cargo resolves features per invocation: `cargo build -p softtoken-ffi` alone unifies fewer
/// features than the test step did, so it rebuilt some 150 crates a second time (about ten minutes
/// of CI). This invocation resolves the same features as the test step, so after it only the
/// `uniffi-bindgen` binary is new. The library it yields carries uniffi's bindgen features (the
/// generator is in the same graph); that only matters for the size gate, which builds its own.
/// Returns the dev output directory.
pub fn cargo_build_workspace_dev() -> Result<PathBuf, String> {
    let root = workspace_root();
    run(Command::new(cargo()).current_dir(&root).args([
        "build",
        "--locked",
        "--workspace",
        "--lib",
        "--bins",
        "--tests",
        "--examples",
    ]))?;
    Ok(cargo_target_dir().join("debug"))
}

/// `cargo build --locked -p PACKAGE --profile PROFILE [--features …]` in the workspace; returns
/// the directory the profile builds into (`target/debug` for `dev`, `target/PROFILE` else).
pub fn cargo_build(package: &str, profile: &str, features: &[&str]) -> Result<PathBuf, String> {
    let root = workspace_root();
    let mut command = Command::new(cargo());
    command
        .current_dir(&root)
        .args(["build", "--locked", "-p", package, "--profile", profile]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    run(&mut command)?;
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(cargo_target_dir().join(dir))
}

/// Where cargo puts its builds: `$CARGO_TARGET_DIR` (relative to the workspace) when set, as in a
/// worktree with a target directory of its own, else the workspace's `target/`.
pub fn cargo_target_dir() -> PathBuf {
    let root = workspace_root();
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |dir| root.join(dir))
}

/// Makes sure each `(program, package)` is available: a missing program's Debian package is
/// installed with apt-get when we are root on a Debian-like system (CI, a fresh machine);
/// otherwise the error says what to install.
pub fn ensure_programs(needed: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = needed
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    install_packages(&missing)
}

/// Makes sure a PostgreSQL server (15 on Debian bookworm) is installed: the tests start
/// throwaway clusters of it (`tests/src/postgres/`). Debian puts `initdb` and `pg_ctl` in
/// `/usr/lib/postgresql/<version>/bin`, off PATH, so both places count; the test kit looks in
/// the same ones. Installed like [`ensure_programs`] installs.
pub fn ensure_postgres() -> Result<(), String> {
    if postgres_installed() {
        return Ok(());
    }
    install_packages(&["postgresql"]).map_err(|e| {
        format!("PostgreSQL is needed by the tests (throwaway clusters, tests/src/postgres/): {e}")
    })?;
    if postgres_installed() {
        Ok(())
    } else {
        Err(
            "`apt-get install postgresql` ran, but no initdb and pg_ctl are on PATH or in \
             /usr/lib/postgresql/*/bin"
                .to_owned(),
        )
    }
}

/// `initdb` and `pg_ctl` on PATH, or both in one `/usr/lib/postgresql/*/bin`.
fn postgres_installed() -> bool {
    if on_path("initdb") && on_path("pg_ctl") {
        return true;
    }
    fs::read_dir("/usr/lib/postgresql").is_ok_and(|versions| {
        versions.filter_map(Result::ok).any(|version| {
            let bin = version.path().join("bin");
            bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()
        })
    })
}

/// Installs Debian packages with apt-get when we are root on a Debian-like system; otherwise
/// the error says what to install. Nothing to install is success.
fn install_packages(missing: &[&str]) -> Result<(), String> {
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root || !on_path("apt-get") {
        return Err(format!(
            "missing system packages: {} (install them, e.g. `sudo apt-get install {}`)",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The program and arguments of a command, for messages: never its environment, which may
/// carry keys.
fn shown(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs a command to completion; an error names the command.
pub fn run(command: &mut Command) -> Result<(), String> {
    let shown = shown(command);
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// Runs a command and returns its stdout and stderr together; an error names the command and
/// carries its output.
pub fn output(command: &mut Command) -> Result<String, String> {
    let shown = shown(command);
    let out = command
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{shown} failed ({}):\n{text}", out.status))
    }
}

/// Makes sure the cargo subcommand `cargo-NAME` is installed, at `version`: if it is missing (or
/// another version), `cargo install --locked` builds it from crates.io into `~/.cargo/bin` (a few
/// minutes, once per machine). Pinned, so every machine checks with the same rules.
pub fn ensure_cargo_tool(name: &str, version: &str, extra: &[&str]) -> Result<(), String> {
    let installed = Command::new(cargo())
        .args([name, "--version"])
        .output()
        .map(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).contains(version))
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-{name} {version} from crates.io");
    run(Command::new(cargo())
        .args([
            "install",
            "--locked",
            &format!("cargo-{name}"),
            "--version",
            version,
        ])
        .args(extra))
}
