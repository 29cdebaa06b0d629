//! `softtoken session`: runs a shell (or a command) in a kernel session keyring of its own, so
//! tokens set up in it stay readable by the later commands in it — what `keyctl session -`
//! does, without needing keyutils installed.

use crate::{
    cli::SessionArgs,
    error::{CliError, Exit},
};

/// Runs the command; on success it does not return (the process becomes the command).
#[cfg(unix)]
pub fn run(args: &SessionArgs) -> Result<(), CliError> {
    use std::os::unix::process::CommandExt;

    let id = crate::keyring_session::join_new_session_keyring().map_err(|e| {
        CliError::new(
            Exit::Storage,
            format!("cannot join a new session keyring: {e}"),
        )
        .next("kernel keyrings are Linux-only and may be blocked in containers")
    })?;
    let mut words = args.command.clone();
    if words.is_empty() {
        words.push(std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".to_owned()));
    }
    let (program, rest) = words.split_at(1);
    let program = program.first().map(String::as_str).unwrap_or("/bin/sh");
    eprintln!(
        "softtoken: session keyring {id}; tokens set up in here stay readable until it exits, \
         then they must be set up again (a new token from the bank)"
    );
    let err = std::process::Command::new(program).args(rest).exec();
    Err(CliError::new(
        Exit::Failure,
        format!("cannot run {program}: {err}"),
    ))
}

/// Elsewhere there is no kernel keyring.
#[cfg(not(unix))]
pub fn run(_args: &SessionArgs) -> Result<(), CliError> {
    Err(CliError::new(
        Exit::Usage,
        "`softtoken session` is for Linux kernel keyrings only",
    ))
}
