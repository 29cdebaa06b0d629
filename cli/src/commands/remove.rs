//! `softtoken remove`: deletes a token's seed and metadata from this machine (the app deletion
//! of the manual; the bank should revoke the token first).

use std::path::Path;

use crate::{cli::RemoveArgs, error::CliError, output::token_name, prompt};

/// Runs the command.
pub fn run(data_dir: &Path, args: &RemoveArgs) -> Result<(), CliError> {
    let opened = super::open_existing(data_dir)?.ok_or_else(super::no_tokens)?;
    let token = super::find_token(&opened.core.tokens()?, Some(&args.token))?;
    if !args.yes
        && !prompt::confirm(&format!(
            "Remove {} from this machine? Its seed is deleted and cannot be recovered.",
            token_name(&token)
        ))?
    {
        println!("kept {}", token_name(&token));
        return Ok(());
    }
    opened.core.remove(&token.id)?;
    println!("removed {}", token_name(&token));
    Ok(())
}
