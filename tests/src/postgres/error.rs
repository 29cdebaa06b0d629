//! [`PgError`]: why the throwaway PostgreSQL could not be found, made, started or changed.
//!
//! No variant carries a secret: the clusters use `trust` authentication on 127.0.0.1 and their
//! own socket directory, so no URL or command line the harness builds holds a password.

use std::{io, path::PathBuf};

/// What went wrong with a test cluster.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// No complete set of PostgreSQL programs was found.
    #[error(
        "PostgreSQL is not installed: no initdb, pg_ctl, postgres, psql and pg_basebackup in \
         {looked_in} (on Debian: apt-get install postgresql)"
    )]
    NotInstalled {
        /// The places searched, for the message.
        looked_in: String,
    },
    /// The PostgreSQL found is older than the provider's storage needs.
    #[error(
        "PostgreSQL {found} in {bindir} is too old: the tests need 15 or newer \
         (on Debian bookworm: apt-get install postgresql)"
    )]
    TooOld {
        /// The version `postgres --version` printed.
        found: String,
        /// Where it was found.
        bindir: PathBuf,
    },
    /// As root, PostgreSQL must run as `postgres`, and there is no such user.
    #[error(
        "running as root, but there is no `postgres` user for PostgreSQL to run as \
         (apt-get install postgresql creates it)"
    )]
    NoPostgresUser,
    /// A file or directory of the cluster could not be made, read or changed.
    #[error("{what}: {error}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// What failed.
        error: io::Error,
    },
    /// A PostgreSQL program ran and failed.
    #[error("`{command}` failed ({status}):\n{output}")]
    Failed {
        /// The program and its arguments.
        command: String,
        /// Its exit status.
        status: String,
        /// Its output, and for a server that did not start the end of the server's log.
        output: String,
    },
    /// A database name the harness does not accept (it never quotes names).
    #[error(
        "`{0}` is not a database name the harness accepts: 1 to 63 characters of a-z, 0-9 \
         and _, not starting with a digit"
    )]
    BadName(String),
    /// Something the harness waits for did not happen in time.
    #[error("{what} did not happen within {seconds} s")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long the harness waited.
        seconds: u64,
    },
    /// The call does not fit the cluster's state (starting a running cluster, stopping a
    /// stopped one, promoting a primary).
    #[error("the cluster {0}")]
    State(&'static str),
}

impl PgError {
    /// The same error for another caller: a failure kept in a `OnceLock` is reported to every
    /// caller (`io::Error` cannot be cloned, so an I/O error keeps its kind and text).
    pub(crate) fn again(&self) -> PgError {
        match self {
            PgError::NotInstalled { looked_in } => PgError::NotInstalled {
                looked_in: looked_in.clone(),
            },
            PgError::TooOld { found, bindir } => PgError::TooOld {
                found: found.clone(),
                bindir: bindir.clone(),
            },
            PgError::NoPostgresUser => PgError::NoPostgresUser,
            PgError::Io { what, error } => PgError::Io {
                what: what.clone(),
                error: io::Error::new(error.kind(), error.to_string()),
            },
            PgError::Failed {
                command,
                status,
                output,
            } => PgError::Failed {
                command: command.clone(),
                status: status.clone(),
                output: output.clone(),
            },
            PgError::BadName(name) => PgError::BadName(name.clone()),
            PgError::Timeout { what, seconds } => PgError::Timeout {
                what: what.clone(),
                seconds: *seconds,
            },
            PgError::State(state) => PgError::State(state),
        }
    }

    /// An [`Io`](Self::Io) error saying what the harness was doing.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |error| PgError::Io { what, error }
    }
}
