//! `softtoken`: the desktop shell of the SoftToken app core, and the end-to-end demo.
//!
//! | module | job |
//! |---|---|
//! | [`cli`] | the command line (clap): commands, arguments, help, exit codes |
//! | [`commands`] | one module per command, and finding the tokens of a data directory |
//! | `demo` | `softtoken demo`: provider, bank and app on this machine, narrated (the `demo` feature, on by default) |
//! | [`app_core`] | the app core as this shell runs it: runtime, device info, opening it on a data directory |
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

mod app_core;
mod cli;
mod commands;
mod config;
mod countdown;
#[cfg(feature = "demo")]
mod demo;
mod error;
mod keyring_session;
mod keystore;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

use crate::{
    cli::{Cli, Command, DemoArgs},
    error::CliError,
};

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", err.render());
            err.exit_code()
        }
    }
}

/// Runs the parsed command. Only the token commands need the data directory: the demo works
/// in a temporary directory of its own, and `totp` and `session` keep nothing.
fn run(cli: Cli) -> Result<(), CliError> {
    let data_dir = || config::data_dir(cli.data_dir.clone());
    match &cli.command {
        Command::Demo(args) => demo(args),
        Command::Totp(args) => commands::totp::run(args),
        Command::Session(args) => commands::session::run(args),
        Command::PhoneChange => {
            commands::phone_change::run();
            Ok(())
        }
        Command::Activate(args) => commands::activate::run(&data_dir()?, args),
        Command::List(args) => commands::list::run(&data_dir()?, args.json),
        Command::Code(args) => commands::code::run(&data_dir()?, args),
        Command::Refresh(args) => commands::refresh::run(&data_dir()?, args),
        Command::Rename(args) => commands::rename::run(&data_dir()?, args),
        Command::Remove(args) => commands::remove::run(&data_dir()?, args),
        Command::Transactions(command) => commands::transactions::run(&data_dir()?, command),
    }
}

#[cfg(feature = "demo")]
fn demo(args: &DemoArgs) -> Result<(), CliError> {
    demo::run(args)
}

/// A shell built without the demo (`--no-default-features`) carries neither the provider nor
/// the bank; it says so instead of pretending the command does not exist.
#[cfg(not(feature = "demo"))]
fn demo(_args: &DemoArgs) -> Result<(), CliError> {
    Err(CliError::new(
        error::Exit::Usage,
        "this softtoken was built without the demo (the `demo` feature)",
    )
    .next("build it with the default features: cargo run --release -p softtoken -- demo"))
}
