//! `softtoken rename`: a name for a token, shown instead of its User ID.

use std::path::Path;

use crate::{
    cli::RenameArgs,
    error::CliError,
    output::{TokenJson, print_json, token_name},
};

/// Runs the command.
pub fn run(data_dir: &Path, args: &RenameArgs) -> Result<(), CliError> {
    let opened = super::open_existing(data_dir)?.ok_or_else(super::no_tokens)?;
    let token = super::find_token(&opened.core.tokens()?, Some(&args.token))?;
    let label = if args.clear { None } else { args.label.clone() };
    let renamed = opened.core.rename(&token.id, label)?;
    if args.json {
        print_json(&TokenJson::from(&renamed));
    } else {
        println!("renamed: {}", token_name(&renamed));
    }
    Ok(())
}
