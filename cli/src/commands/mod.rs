//! One module per command; this one dispatches and holds what they share: the runtime, opening
//! the app core on a data directory, and finding a token by what the user typed.

mod activate;
mod code;
mod list;
mod refresh;
mod remove;
mod rename;
mod session;
mod totp;

use std::path::{Path, PathBuf};

use softtoken_core::{CoreConfig, SoftToken, StoreChoice, Timeouts, TokenInfo};
use softtoken_protocol::{ids::UserId, wire::DeviceInfo};

use crate::{
    cli::{Cli, Command},
    config::{self, Provider, Providers},
    demo,
    error::{CliError, Exit},
    keystore,
};

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    // The demo keeps nothing (it works in a temporary directory of its own); `totp` and
    // `session` keep nothing either. Only the token commands need the data directory.
    let data_dir = || config::data_dir(cli.data_dir.clone());
    match &cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Totp(args) => totp::run(args),
        Command::Session(args) => session::run(args),
        Command::Activate(args) => activate::run(&data_dir()?, args),
        Command::List(args) => list::run(&data_dir()?, args.json),
        Command::Code(args) => code::run(&data_dir()?, args),
        Command::Refresh(args) => refresh::run(&data_dir()?, args),
        Command::Rename(args) => rename::run(&data_dir()?, args),
        Command::Remove(args) => remove::run(&data_dir()?, args),
    }
}

/// A tokio runtime for the network calls. Built after any keyring join, so its threads
/// inherit the session keyring (see `keyring_session`).
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(Exit::Failure, format!("cannot start the runtime: {e}")))
}

/// What this machine tells the provider about itself at activation.
pub fn device_info() -> DeviceInfo {
    DeviceInfo {
        platform: std::env::consts::OS.to_owned(),
        model: Some("softtoken CLI".to_owned()),
        app_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    }
}

/// The app core on `data_dir`, talking to `provider`, seeds in `store`.
pub fn open_core(
    data_dir: &Path,
    provider: &Provider,
    store: StoreChoice,
) -> Result<SoftToken, CliError> {
    Ok(SoftToken::new(CoreConfig {
        provider_url: provider.url.clone(),
        provider_ca_pem: provider.ca_pem.clone(),
        data_dir: data_dir.to_path_buf(),
        secret_store: store,
        clock: None,
        timeouts: Timeouts::default(),
        device: device_info(),
    })?)
}

/// The tokens in a data directory, with a core to act on them; `None` when nothing was ever
/// set up there. Checks the keystore first, so no command acts on half a token.
pub struct Opened {
    /// The core, on some known provider (enough for everything but `refresh`).
    pub core: SoftToken,
    /// Every provider known here.
    pub providers: Providers,
    /// The data directory.
    pub data_dir: PathBuf,
}

/// Opens the data directory for a command that works on existing tokens.
pub fn open_existing(data_dir: &Path) -> Result<Option<Opened>, CliError> {
    let providers = Providers::load(data_dir)?;
    let Some(provider) = providers.any().cloned() else {
        return Ok(None);
    };
    keystore::require()?;
    let core = open_core(data_dir, &provider, StoreChoice::Platform)?;
    Ok(Some(Opened {
        core,
        providers,
        data_dir: data_dir.to_path_buf(),
    }))
}

/// The token the user means: its id, its label, its User ID (as typed: full-width and spaces
/// are fine) or a unique start of its id. With `None`, the only token there is.
pub fn find_token(tokens: &[TokenInfo], wanted: Option<&str>) -> Result<TokenInfo, CliError> {
    let Some(wanted) = wanted.map(str::trim) else {
        return match tokens {
            [only] => Ok(only.clone()),
            [] => Err(no_tokens()),
            _ => Err(CliError::new(
                Exit::Usage,
                format!("there are {} tokens here", tokens.len()),
            )
            .next("name one (see `softtoken list`)")),
        };
    };
    let typed_user_id = UserId::parse(wanted).ok();
    let exact: Vec<&TokenInfo> = tokens
        .iter()
        .filter(|t| {
            t.id == wanted
                || t.label.as_deref() == Some(wanted)
                || typed_user_id
                    .as_ref()
                    .is_some_and(|u| u.as_str() == t.user_id)
        })
        .collect();
    let candidates = if exact.is_empty() {
        tokens
            .iter()
            .filter(|t| !wanted.is_empty() && t.id.starts_with(wanted))
            .collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(
            CliError::new(Exit::NotFound, format!("no token \"{wanted}\""))
                .next("see `softtoken list`"),
        ),
        several => Err(CliError::new(
            Exit::Usage,
            format!("\"{wanted}\" matches {} tokens", several.len()),
        )
        .next("use the full id from `softtoken list`")),
    }
}

/// The error for "nothing set up yet".
pub fn no_tokens() -> CliError {
    CliError::new(Exit::NotFound, "no tokens on this machine")
        .next("set one up with `softtoken activate`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use softtoken_core::TokenStatus;
    use softtoken_protocol::totp::Algorithm;

    fn token(id: &str, user_id: &str, label: Option<&str>) -> TokenInfo {
        TokenInfo {
            id: id.into(),
            service_id: "10121234".into(),
            user_id: user_id.into(),
            label: label.map(Into::into),
            algorithm: Algorithm::Sha1,
            digits: 8,
            period: 30,
            status: TokenStatus::Active,
            created_at_ms: 0,
            clock_offset_ms: 0,
            clock_skewed: false,
        }
    }

    #[test]
    fn tokens_are_found_by_id_label_user_id_or_prefix() {
        let uid = UserId::from_body("12345678901234").unwrap();
        let tokens = [
            token(&format!("10121234-{uid}"), uid.as_str(), Some("bank")),
            token("20000000-00000000000000AA", "00000000000000AA", None),
        ];
        let id_of = |w: Option<&str>| find_token(&tokens, w).map(|t| t.id);
        assert_eq!(id_of(Some("bank")).unwrap(), tokens[0].id);
        assert_eq!(id_of(Some(uid.as_str())).unwrap(), tokens[0].id);
        let spaced = format!("{} {}", &uid.as_str()[..8], &uid.as_str()[8..]);
        assert_eq!(id_of(Some(&spaced)).unwrap(), tokens[0].id);
        assert_eq!(id_of(Some("2000")).unwrap(), tokens[1].id);
        assert_eq!(id_of(Some("nope")).unwrap_err().exit(), Exit::NotFound);
        assert_eq!(id_of(None).unwrap_err().exit(), Exit::Usage);
        assert_eq!(find_token(&tokens[..1], None).unwrap().id, tokens[0].id);
    }
}
