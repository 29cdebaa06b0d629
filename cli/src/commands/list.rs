//! `softtoken list`: the tokens on this machine and their state (no network).

use std::path::Path;

use crate::{
    error::CliError,
    output::{TokenJson, print_json, token_table},
};

/// Runs the command.
pub fn run(data_dir: &Path, json: bool) -> Result<(), CliError> {
    let tokens = match super::open_existing(data_dir)? {
        Some(opened) => opened.core.tokens()?,
        None => Vec::new(),
    };
    if json {
        let view: Vec<TokenJson<'_>> = tokens.iter().map(TokenJson::from).collect();
        print_json(&view);
    } else if tokens.is_empty() {
        println!("no tokens on this machine (set one up with `softtoken activate`)");
    } else {
        print!("{}", token_table(&tokens));
    }
    Ok(())
}
