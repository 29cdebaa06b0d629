//! `softtoken activate`: the app's 初期設定 (manual 手順3) — Service ID, User ID and the
//! activation password, then the OPAQUE activation; the seed goes into the keystore.

use std::path::Path;

use softtoken_core::StoreChoice;
use softtoken_protocol::ids::{ServiceId, UserId};

use crate::{
    cli::ActivateArgs,
    config::Providers,
    error::{CliError, Exit},
    keystore,
    output::{TokenJson, print_json, status_text},
    prompt,
};

/// Runs the command.
pub fn run(data_dir: &Path, args: &ActivateArgs) -> Result<(), CliError> {
    // Typos first, before the password is asked for and before anything is sent.
    ServiceId::parse(&args.service_id).map_err(|e| {
        CliError::new(Exit::Input, e.to_string())
            .next("type the 8-digit サービスID (Service ID) from the bank's mail")
    })?;
    UserId::parse(&args.user_id).map_err(|e| {
        CliError::new(Exit::Input, e.to_string())
            .next("type the ユーザID (User ID) exactly as in the bank's mail")
    })?;
    let ca_pem = std::fs::read_to_string(&args.ca).map_err(|e| {
        CliError::new(
            Exit::Input,
            format!("cannot read the CA certificate {}: {e}", args.ca.display()),
        )
        .next("pass the provider's CA certificate (PEM) with --ca")
    })?;
    // The seed must have somewhere to go before the provider hands out its half.
    keystore::require()?;

    let mut providers = Providers::load(data_dir)?;
    let provider = crate::config::Provider {
        url: args.provider.trim().trim_end_matches('/').to_owned(),
        ca_pem,
    };
    // Checks the URL and the CA before the password prompt.
    let core = crate::app_core::open_core(data_dir, &provider, StoreChoice::Platform)?;

    let password = prompt::activation_password(args.password_stdin)?;
    if !args.json {
        eprintln!("setting up: proving the password to the provider (it is never sent)…");
    }
    let runtime = crate::app_core::runtime()?;
    let mut token = runtime.block_on(core.activate(&args.service_id, &args.user_id, &password))?;
    drop(password);
    providers.upsert(&provider.url, &provider.ca_pem)?;
    if let Some(label) = &args.label {
        token = core.rename(&token.id, Some(label.clone()))?;
    }

    if args.json {
        print_json(&TokenJson::from(&token));
    } else {
        println!("初期設定完了 (setup complete): {}", token.id);
        println!(
            "  サービスID {}  ユーザID {}",
            token.service_id, token.user_id
        );
        println!("  state: {}", status_text(token.status));
        println!(
            "  next: `softtoken code` shows the 8-digit code; type it into internet banking (認証確認)"
        );
    }
    Ok(())
}
