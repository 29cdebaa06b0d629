//! The CLI's one error: a line saying what went wrong and what to do next, and the exit code
//! scripts can rely on (listed in `softtoken --help`).

use std::process::ExitCode;

use softtoken_core::CoreError;

/// Exit codes (documented in `cli::EXIT_CODES` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 1: a demo step failed, or an unexpected error.
    Failure = 1,
    /// 2: bad arguments, or no terminal for a prompt.
    Usage = 2,
    /// 3: input rejected locally; nothing was sent.
    Input = 3,
    /// 4: the provider refused, or the token cannot give codes.
    Refused = 4,
    /// 5: network, TLS or provider reply.
    Network = 5,
    /// 6: keystore or local storage unavailable.
    Storage = 6,
    /// 7: no such token.
    NotFound = 7,
}

/// An error for the user: `error: <what>; <what to do next>`. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    exit: Exit,
    message: String,
    next: Option<String>,
}

impl CliError {
    /// An error with an exit code and a message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            next: None,
        }
    }

    /// Adds what the user should do next.
    pub fn next(mut self, next: impl Into<String>) -> Self {
        self.next = Some(next.into());
        self
    }

    /// The exit code (tests look at it; the process uses [`CliError::exit_code`]).
    #[cfg(test)]
    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit as u8)
    }

    /// The one line printed on stderr.
    pub fn render(&self) -> String {
        match &self.next {
            Some(next) => format!("error: {}; {}", self.message, next),
            None => format!("error: {}", self.message),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// What to do when the keystore cannot be used, per platform.
pub const KEYSTORE_HINT: &str = if cfg!(target_os = "linux") {
    "start a shell with a session keyring of its own, `softtoken session` (or `keyctl session -`), \
     and run the commands in it"
} else {
    "unlock the keychain / keystore and try again"
};

impl From<CoreError> for CliError {
    fn from(err: CoreError) -> Self {
        let message = err.to_string();
        match err {
            CoreError::InvalidServiceId { .. } => CliError::new(Exit::Input, message)
                .next("type the 8-digit サービスID (Service ID) from the bank's mail"),
            CoreError::InvalidUserId { .. } => CliError::new(Exit::Input, message)
                .next("type the ユーザID (User ID) exactly as in the bank's mail"),
            CoreError::InvalidInput { .. } => CliError::new(Exit::Input, message),
            CoreError::WrongActivationPassword { .. } => CliError::new(Exit::Refused, message)
                .next("type the 利用開始パスワード (activation password) you chose at the bank"),
            CoreError::ActivationLocked
            | CoreError::TokenExpired
            | CoreError::TokenRevoked
            | CoreError::AlreadyActiveElsewhere => CliError::new(Exit::Refused, message),
            CoreError::TokenReplaced => CliError::new(Exit::Refused, message)
                .next("`softtoken phone-change` explains the move"),
            CoreError::SeedMissing => CliError::new(Exit::Refused, message).next(
                "ask the bank to revoke the token and issue a new one, then `softtoken activate`",
            ),
            CoreError::Network { retryable, .. } => {
                let next = if retryable {
                    "check the connection and try again"
                } else {
                    "check the --provider URL"
                };
                CliError::new(Exit::Network, message).next(next)
            }
            CoreError::Tls { .. } => CliError::new(Exit::Network, message)
                .next("check that --ca is the provider's CA certificate"),
            CoreError::Protocol { .. } => CliError::new(Exit::Network, message)
                .next("the provider may run another version; try again later"),
            CoreError::KeystoreUnavailable { .. } => {
                CliError::new(Exit::Storage, message).next(KEYSTORE_HINT)
            }
            CoreError::StorageCorrupted { .. } => CliError::new(Exit::Storage, message)
                .next("nothing was deleted; check tokens.json in --data-dir"),
            CoreError::ClockImplausible => CliError::new(Exit::Failure, message)
                .next("set the system clock, then `softtoken refresh`"),
            CoreError::TokenLocked => {
                CliError::new(Exit::Refused, message).next("ask the bank to unlock the token")
            }
            CoreError::TransactionNotFound => {
                CliError::new(Exit::NotFound, message).next("see `softtoken transactions list`")
            }
            CoreError::TransactionExpired | CoreError::TransactionDecided { .. } => {
                CliError::new(Exit::Refused, message)
            }
            CoreError::PossibleInterception { .. } => CliError::new(Exit::Network, message)
                .next("do not approve anything now; check the transfer in internet banking itself"),
            CoreError::TokenNotFound => {
                CliError::new(Exit::NotFound, message).next("see `softtoken list`")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_id_typo_says_what_to_do() {
        let err = CliError::from(CoreError::InvalidUserId {
            reason: "User ID has a typo: its check characters do not match".into(),
        });
        assert_eq!(err.exit(), Exit::Input);
        assert_eq!(
            err.render(),
            "error: User ID has a typo: its check characters do not match; \
             type the ユーザID (User ID) exactly as in the bank's mail"
        );
    }

    #[test]
    fn exit_codes_are_distinct() {
        let all = [
            Exit::Failure,
            Exit::Usage,
            Exit::Input,
            Exit::Refused,
            Exit::Network,
            Exit::Storage,
            Exit::NotFound,
        ];
        let mut codes: Vec<u8> = all.iter().map(|e| *e as u8).collect();
        codes.dedup();
        assert_eq!(codes, vec![1, 2, 3, 4, 5, 6, 7]);
    }
}
