//! Finding PostgreSQL's programs and running them as the user PostgreSQL must run as.
//!
//! Where: `$SOFTTOKEN_PG_BINDIR` when set, else `pg_config --bindir`, else the newest
//! `/usr/lib/postgresql/*/bin` (Debian's layout, where `pg_config` may belong to another
//! version than the server). As whom: PostgreSQL refuses to run as root, so when the tests run
//! as root (CI, the dev container) every server program runs through
//! `runuser -u postgres --` and the cluster's files are chowned to `postgres`; otherwise the
//! programs run as the current user.

use std::{
    env, fs,
    os::unix::fs::chown,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::OnceLock,
};

use super::PgError;

/// The programs the harness runs; a directory without all of them is not an installation.
const PROGRAMS: [&str; 5] = ["initdb", "pg_ctl", "postgres", "psql", "pg_basebackup"];

/// The oldest major version the tests accept: the provider's storage targets PostgreSQL 15.
const OLDEST_MAJOR: u32 = 15;

/// The environment variables libpq and the PostgreSQL programs read: removed from every
/// command so a developer's own `PGHOST`, `PGPORT` or `PGDATA` cannot point a test at a real
/// database.
const LIBPQ_ENV: [&str; 12] = [
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGSSLMODE",
];

/// A PostgreSQL installation: the directory of its programs and its version.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    dir: PathBuf,
    version: String,
}

impl PgBinaries {
    /// The installation the harness uses, found once per process.
    pub fn get() -> Result<&'static PgBinaries, PgError> {
        static FOUND: OnceLock<Result<PgBinaries, PgError>> = OnceLock::new();
        FOUND
            .get_or_init(Self::locate)
            .as_ref()
            .map_err(PgError::again)
    }

    /// Searches `$SOFTTOKEN_PG_BINDIR`, `pg_config --bindir`, then the newest
    /// `/usr/lib/postgresql/*/bin`.
    pub fn locate() -> Result<PgBinaries, PgError> {
        if let Some(dir) = env::var_os("SOFTTOKEN_PG_BINDIR") {
            return Self::in_dir(Path::new(&dir));
        }
        let mut looked_in = Vec::new();
        if let Some(dir) = pg_config_bindir() {
            if has_programs(&dir) {
                return Self::in_dir(&dir);
            }
            looked_in.push(dir.display().to_string());
        }
        if let Some(dir) = newest_debian_bindir() {
            return Self::in_dir(&dir);
        }
        looked_in.push("/usr/lib/postgresql/*/bin".to_owned());
        Err(PgError::NotInstalled {
            looked_in: looked_in.join(", "),
        })
    }

    /// The installation in `dir`, if it has every program the harness runs and is new enough.
    pub fn in_dir(dir: &Path) -> Result<PgBinaries, PgError> {
        if !has_programs(dir) {
            return Err(PgError::NotInstalled {
                looked_in: dir.display().to_string(),
            });
        }
        let output = Command::new(dir.join("postgres"))
            .arg("--version")
            .output()
            .map_err(PgError::io(format!("running {}/postgres", dir.display())))?;
        // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
        let text = String::from_utf8_lossy(&output.stdout);
        let version = text
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_owned();
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|major| major.parse().ok())
            .unwrap_or(0);
        if major < OLDEST_MAJOR {
            return Err(PgError::TooOld {
                found: text.trim().to_owned(),
                bindir: dir.to_path_buf(),
            });
        }
        Ok(PgBinaries {
            dir: dir.to_path_buf(),
            version,
        })
    }

    /// The directory of the programs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server's version, such as `15.14`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The path of one program.
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn has_programs(dir: &Path) -> bool {
    PROGRAMS.iter().all(|program| dir.join(program).is_file())
}

fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// The highest-versioned `/usr/lib/postgresql/<version>/bin` holding every program.
fn newest_debian_bindir() -> Option<PathBuf> {
    let entries = fs::read_dir("/usr/lib/postgresql").ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            // "15", "9.6": compared as numbers, so 15 beats 9.6.
            let key: Vec<u32> = name
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<_>>()?;
            let bin = entry.path().join("bin");
            has_programs(&bin).then_some((key, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

/// The user the cluster's processes and files belong to, when that is not us: `postgres`,
/// when we are root.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    uid: u32,
    gid: u32,
}

impl Owner {
    /// `Some(postgres)` as root, `None` otherwise.
    pub(crate) fn for_this_process() -> Result<Option<Owner>, PgError> {
        if !rustix::process::geteuid().is_root() {
            return Ok(None);
        }
        let passwd =
            fs::read_to_string("/etc/passwd").map_err(PgError::io("reading /etc/passwd"))?;
        passwd
            .lines()
            .find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                match fields.as_slice() {
                    ["postgres", _, uid, gid, ..] => Some(Owner {
                        uid: uid.parse().ok()?,
                        gid: gid.parse().ok()?,
                    }),
                    _ => None,
                }
            })
            .map(Some)
            .ok_or(PgError::NoPostgresUser)
    }
}

/// Runs the PostgreSQL programs of one installation as the right user.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Runner {
    pub(crate) binaries: &'static PgBinaries,
    pub(crate) owner: Option<Owner>,
}

impl Runner {
    pub(crate) fn new() -> Result<Runner, PgError> {
        Ok(Runner {
            binaries: PgBinaries::get()?,
            owner: Owner::for_this_process()?,
        })
    }

    /// A server-side program (`initdb`, `pg_ctl`, `pg_basebackup`), as `postgres` when we are
    /// root, started in `cwd` (a directory `postgres` can enter: it warns otherwise).
    pub(crate) fn server_program(&self, name: &str, cwd: &Path) -> Command {
        let program = self.binaries.program(name);
        let mut command = match self.owner {
            Some(_) => {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            }
            None => Command::new(program),
        };
        clean_env(&mut command, cwd);
        command
    }

    /// A client program (`psql`): runs as us, reaching the server through its socket
    /// directory (root may enter it; anyone else owns it).
    pub(crate) fn client_program(&self, name: &str, cwd: &Path) -> Command {
        let mut command = Command::new(self.binaries.program(name));
        clean_env(&mut command, cwd);
        command
    }

    /// Gives `path` to the cluster's owner (a no-op when that is us).
    pub(crate) fn give(&self, path: &Path) -> Result<(), PgError> {
        match self.owner {
            Some(Owner { uid, gid }) => chown(path, Some(uid), Some(gid))
                .map_err(PgError::io(format!("chown {} to postgres", path.display()))),
            None => Ok(()),
        }
    }

    /// Writes `text` to `path`, owned by the cluster's owner.
    pub(crate) fn write(&self, path: &Path, text: &str) -> Result<(), PgError> {
        fs::write(path, text).map_err(PgError::io(format!("writing {}", path.display())))?;
        self.give(path)
    }
}

/// English messages (the harness reads a few), no libpq variables, a directory `postgres`
/// can enter.
fn clean_env(command: &mut Command, cwd: &Path) {
    command.current_dir(cwd).env("LC_ALL", "C");
    for name in LIBPQ_ENV {
        command.env_remove(name);
    }
}

/// Runs `command` to completion: its stdout on success, else a [`PgError::Failed`] with its
/// output.
pub(crate) fn run(command: &mut Command) -> Result<String, PgError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(PgError::io(format!("running {}", shown(command))))?;
    checked(command, output)
}

fn checked(command: &Command, output: Output) -> Result<String, PgError> {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    Err(PgError::Failed {
        command: shown(command),
        status: output.status.to_string(),
        output: format!("{stdout}{}", String::from_utf8_lossy(&output.stderr)),
    })
}

/// The program and arguments of a command, for messages (never its environment).
pub(crate) fn shown(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
