//! `softtoken refresh`: asks the provider for each token's state, proving possession of the
//! seed. This is how a revocation before a phone change reaches the app.

use std::path::Path;

use softtoken_core::TokenInfo;

use crate::{
    cli::RefreshArgs,
    error::CliError,
    output::{TokenJson, print_json, status_text, token_name},
};

/// Runs the command.
pub fn run(data_dir: &Path, args: &RefreshArgs) -> Result<(), CliError> {
    let opened = super::open_existing(data_dir)?.ok_or_else(super::no_tokens)?;
    let all = opened.core.tokens()?;
    let chosen = match &args.token {
        Some(wanted) => vec![super::find_token(&all, Some(wanted))?],
        None => all,
    };
    // Each token is refreshed through the provider it was set up with.
    let runtime = crate::app_core::runtime()?;
    let mut refreshed: Vec<TokenInfo> = Vec::new();
    let mut first_error = None;
    for token in &chosen {
        let result = super::core_for(&opened, token).and_then(|core| {
            runtime
                .block_on(core.refresh(&token.id))
                .map_err(CliError::from)
        });
        match result {
            Ok(info) => {
                if !args.json {
                    println!("{}: {}", token_name(&info), status_text(info.status));
                }
                refreshed.push(info);
            }
            Err(err) => {
                eprintln!("{}: {}", token_name(token), err.render());
                first_error.get_or_insert(err);
            }
        }
    }
    if args.json {
        let view: Vec<TokenJson<'_>> = refreshed.iter().map(TokenJson::from).collect();
        print_json(&view);
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}
