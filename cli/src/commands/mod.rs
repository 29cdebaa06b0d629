//! One module per command, and what the token commands share: opening the tokens of a data
//! directory and finding a token by what the user typed. `main` dispatches to them.

pub mod activate;
pub mod code;
pub mod list;
pub mod phone_change;
pub mod refresh;
pub mod remove;
pub mod rename;
pub mod session;
pub mod totp;
pub mod transactions;

use std::path::{Path, PathBuf};

use softtoken_core::{SoftToken, StoreChoice, TokenInfo};
use softtoken_protocol::ids::UserId;

use crate::{
    app_core::open_core,
    config::Providers,
    error::{CliError, Exit},
    keystore,
};

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

/// A core on the provider `token` was set up with: what every call to the provider needs.
pub fn core_for(opened: &Opened, token: &TokenInfo) -> Result<SoftToken, CliError> {
    let records = softtoken_core::metadata::MetadataStore::open(&opened.data_dir)
        .and_then(|m| m.load())
        .map_err(|e| CliError::new(Exit::Storage, e.to_string()))?;
    let url = records
        .iter()
        .find(|r| r.id == token.id)
        .map(|r| r.provider_url.clone())
        .unwrap_or_default();
    match opened.providers.find(&url) {
        Some(provider) => open_core(&opened.data_dir, provider, StoreChoice::Platform),
        None => Err(CliError::new(
            Exit::Storage,
            format!("the provider {url} of this token is not in providers.json"),
        )
        .next("set the token up again with `softtoken activate`")),
    }
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
