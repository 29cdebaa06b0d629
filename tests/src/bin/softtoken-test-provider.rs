//! `softtoken-test-provider`: the kit's [`TestProvider`] as a process, for the suites written in
//! other languages (Kotlin, Swift) that cannot start it in process. `cargo xtask kotlin|swift`
//! runs it.
//!
//! It prints the environment the suites read, one `NAME=value` line each, then
//! `ready https://127.0.0.1:PORT`, and serves until its stdin closes or it gets SIGTERM/Ctrl-C
//! (so it never outlives the task that started it). Its data directory is temporary unless
//! `--data-dir DIR` is given.
//!
//! `SOFTTOKEN_TEST_BANK_AUTH_FAILURES=N`, if set, allows N failed bank authentications per
//! address at once and per minute (`[limits] bank_auth_failure_burst` and
//! `bank_auth_failures_per_minute`): the API fuzzer sends wrong keys on purpose and checks that
//! each is answered `401`, which the default limit turns into `429` after ten.
//!
//! | variable | value |
//! |---|---|
//! | `SOFTTOKEN_TEST_PROVIDER_URL` | `https://127.0.0.1:PORT` |
//! | `SOFTTOKEN_TEST_CA_PEM` | path of the dev CA certificate (PEM) to pin |
//! | `SOFTTOKEN_TEST_API_KEY` | the dev service's bank API key (a throwaway provider's) |
//! | `SOFTTOKEN_TEST_SERVICE_ID` | the dev service, `10121234` |
//! | `SOFTTOKEN_TEST_DATA_DIR` | the data directory (its mail outbox is in it) |
//! | `SOFTTOKEN_TEST_CONTROL_URL` | `http://127.0.0.1:PORT`: the provider's clock ([`ClockControl`]: `GET /clock`, `POST /clock/advance?seconds=N`, `POST /clock/reset`) |
//! | `SOFTTOKEN_TEST_RELAY_URL` | `https://127.0.0.1:PORT`: a [`TamperingRelay`] to the provider (a man in the middle changing pending lists) |
#![allow(clippy::print_stdout)]

use std::{path::PathBuf, process::ExitCode};

use softtoken_testkit::{ClockControl, TamperingRelay, TestProvider};
use tokio::io::AsyncReadExt;

fn main() -> ExitCode {
    let data_dir = match parse_args() {
        Ok(dir) => dir,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("softtoken-test-provider: no runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(data_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("softtoken-test-provider: {err}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<Option<PathBuf>, String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => Ok(None),
        (Some("--data-dir"), Some(dir), None) => Ok(Some(PathBuf::from(dir))),
        _ => Err("usage: softtoken-test-provider [--data-dir DIR]".into()),
    }
}

async fn serve(data_dir: Option<PathBuf>) -> Result<(), softtoken_testkit::KitError> {
    let auth_failures = std::env::var("SOFTTOKEN_TEST_BANK_AUTH_FAILURES")
        .ok()
        .and_then(|n| n.parse::<u32>().ok());
    let configure = |config: &mut softtoken_server::config::Config| {
        if let Some(n) = auth_failures {
            config.limits.bank_auth_failure_burst = n;
            config.limits.bank_auth_failures_per_minute = n;
        }
    };
    let mut provider = match &data_dir {
        Some(dir) => TestProvider::start_in(dir, configure).await?,
        None => TestProvider::start_with(configure).await?,
    };
    let control = ClockControl::start(provider.clock().clone()).await?;
    let relay = TamperingRelay::start(&provider).await?;
    for (name, value) in [
        ("SOFTTOKEN_TEST_PROVIDER_URL", provider.url().to_owned()),
        (
            "SOFTTOKEN_TEST_CA_PEM",
            provider.ca_pem_path().display().to_string(),
        ),
        ("SOFTTOKEN_TEST_API_KEY", provider.api_key().to_owned()),
        (
            "SOFTTOKEN_TEST_SERVICE_ID",
            provider.service_id().to_owned(),
        ),
        (
            "SOFTTOKEN_TEST_DATA_DIR",
            provider.data_dir().display().to_string(),
        ),
        ("SOFTTOKEN_TEST_CONTROL_URL", control.url().to_owned()),
        ("SOFTTOKEN_TEST_RELAY_URL", relay.url().to_owned()),
    ] {
        println!("{name}={value}");
    }
    println!("ready {}", provider.url());
    tokio::select! {
        () = stdin_closed() => {}
        () = terminated() => {}
    }
    drop(relay);
    drop(control);
    provider.stop().await;
    Ok(())
}

/// Returns when stdin reaches its end (the parent closed it or died).
async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 256];
    while let Ok(n) = stdin.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
