//! `softtoken`: the desktop shell of the SoftToken app core, and the end-to-end demo.
//!
//! | module | job |
//! |---|---|
//! | [`cli`] | the command line (clap): commands, arguments, help, exit codes |
//! | [`commands`] | one module per command, and opening the core on a data directory |
//! | [`demo`] | `softtoken demo`: provider, bank and app on this machine, narrated |
//! | [`config`] | the data directory and the providers file (no secrets) |
//! | [`keystore`] | is the OS keystore usable by this process? |
//! | [`keyring_session`] | joining a kernel session keyring (the one `unsafe` call) |
//! | [`prompt`] | the hidden activation-password prompt, confirmations |
//! | [`countdown`] | the code with its countdown bar |
//! | [`output`] | text and JSON views of tokens and codes |
//! | [`error`] | the one-line errors and the exit codes |
#![allow(
    clippy::print_stdout,
    reason = "a command-line tool prints its results on stdout"
)]

mod cli;
mod commands;
mod config;
mod countdown;
mod demo;
mod error;
mod keyring_session;
mod keystore;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", err.render());
            err.exit_code()
        }
    }
}
