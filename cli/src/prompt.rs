//! Reading from the user: the activation password (hidden prompt or stdin, never argv) and
//! yes/no confirmations.

use std::io::{BufRead, IsTerminal, Write};

use zeroize::Zeroizing;

use crate::error::{CliError, Exit};

/// The prompt, in the app's words (manual 手順3).
pub const PASSWORD_PROMPT: &str = "利用開始パスワード (activation password): ";

/// Reads the activation password: from the first line of stdin with `from_stdin`, otherwise
/// from a prompt on the terminal that does not echo what is typed. The password is wiped when
/// the returned value is dropped.
pub fn activation_password(from_stdin: bool) -> Result<Zeroizing<String>, CliError> {
    let password = if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::new(Exit::Usage, format!("cannot read stdin: {e}")))?;
        Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        // rpassword prompts on and reads from /dev/tty, so it works with stdout redirected but
        // not without a terminal at all.
        Zeroizing::new(rpassword::prompt_password(PASSWORD_PROMPT).map_err(|_| {
            CliError::new(Exit::Usage, "no terminal for the hidden password prompt")
                .next("pipe the password in with --password-stdin")
        })?)
    };
    if password.is_empty() {
        return Err(
            CliError::new(Exit::Input, "the activation password is empty")
                .next("type the 利用開始パスワード you chose at the bank"),
        );
    }
    Ok(password)
}

/// Asks a yes/no question on the terminal; `false` unless the answer starts with y.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            Exit::Usage,
            "cannot ask for confirmation without a terminal",
        )
        .next("pass --yes"));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::new(Exit::Usage, format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
