//! The records a shell builds a [`crate::SoftToken`] from: [`CoreConfig`] (the shells' public
//! `SoftTokenConfig`, converted) and [`DeviceInfo`] (apps use it as it is).

use std::sync::Arc;

use crate::foreign::{FfiClock, FfiSecretStore};

/// What the app tells the provider about the phone (shown to the bank; no secrets).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfo {
    /// Platform, e.g. `"android"`, `"ios"` (at most 32 characters).
    pub platform: String,
    /// Device model (at most 64 characters).
    #[uniffi(default)]
    pub model: Option<String>,
    /// App version (at most 32 characters).
    #[uniffi(default)]
    pub app_version: Option<String>,
}

impl From<DeviceInfo> for softtoken_protocol::wire::DeviceInfo {
    fn from(value: DeviceInfo) -> Self {
        softtoken_protocol::wire::DeviceInfo {
            platform: value.platform,
            model: value.model,
            app_version: value.app_version,
        }
    }
}

/// How to build a [`crate::SoftToken`].
#[derive(uniffi::Record)]
pub struct CoreConfig {
    /// Provider base URL, `https://…`.
    pub provider_url: String,
    /// The provider CA certificate(s) to trust, PEM. Only these: no platform roots.
    pub provider_ca_pem: String,
    /// Directory for the token metadata file (no secrets), e.g. the app's files directory.
    pub data_dir: String,
    /// What the app tells the provider about the phone.
    pub device: DeviceInfo,
    /// Where seeds live: `None` for the platform keystore (Android Keystore, iOS Keychain
    /// this-device-only, the kernel keyring on Linux), or the app's store adapted by the shell.
    #[uniffi(default)]
    pub secret_store: Option<Arc<dyn FfiSecretStore>>,
    /// The device clock: `None` for the system clock.
    #[uniffi(default)]
    pub clock: Option<Arc<dyn FfiClock>>,
    /// TCP + TLS connection timeout, ms.
    #[uniffi(default = 10000)]
    pub connect_timeout_ms: u64,
    /// Whole-request timeout, ms.
    #[uniffi(default = 30000)]
    pub request_timeout_ms: u64,
}
