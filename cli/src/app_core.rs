//! The app core as this shell runs it: the tokio runtime for its network calls, what the
//! machine tells the provider about itself, and opening the core on a data directory. Shared
//! by the token commands and the demo, which both sit above it.

use std::path::Path;

use softtoken_core::{CoreConfig, SoftToken, StoreChoice, Timeouts};
use softtoken_protocol::wire::DeviceInfo;

use crate::{
    config::Provider,
    error::{CliError, Exit},
};

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
