//! # softtoken-ffi
//!
//! The app core ([`softtoken_core`]) exported through uniffi to Kotlin and Swift. Every uniffi
//! attribute of the project lives in this crate: the core stays plain Rust, and this layer is
//! thin wrappers that convert types and errors in one place each.
//!
//! | module | holds |
//! |---|---|
//! | [`softtoken`] | the exported object [`SoftToken`] |
//! | [`config`] | [`CoreConfig`] and [`DeviceInfo`], the records the shell builds it from |
//! | [`types`] | what the app shows: [`TokenInfo`], [`OtpCode`], [`TokenStatus`], [`Algorithm`] |
//! | [`error`] | [`SoftTokenError`], one variant per thing an app can act on |
//! | [`foreign`] | traits the shell may implement: [`SecretStore`], [`Clock`] |
//! | [`logging`] | the [`Logger`] hook: the core's log events, forwarded to the shell |
//! | `runtime` | the library's own tokio runtime, which runs every async call |

uniffi::setup_scaffolding!();

pub mod config;
pub mod error;
pub mod foreign;
pub mod logging;
mod runtime;
pub mod softtoken;
pub mod types;

pub use config::{CoreConfig, DeviceInfo};
pub use error::{SecretStoreError, SoftTokenError};
pub use foreign::{Clock, SecretStore};
pub use logging::{LogLevel, Logger, set_logger};
pub use softtoken::SoftToken;
pub use types::{Algorithm, OtpCode, TokenInfo, TokenStatus};

/// This library's version (the workspace version), for the app's about screen and bug reports.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
