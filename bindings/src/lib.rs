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
//! | [`transaction`] | what 取引認証 shows: [`PendingTransaction`], [`AccountKind`], [`DecisionOutcome`], the amount formats |
//! | [`id_input`] | the setup screen's ID-field rule: [`check_service_id_input`], [`check_user_id_input`], [`IdInputState`] |
//! | [`error`] | [`FfiError`], one variant per thing an app can act on; [`FfiSecretStoreError`] |
//! | [`foreign`] | traits the shell implements: [`FfiSecretStore`], [`FfiClock`] |
//! | [`logging`] | the [`FfiLogger`] hook: the core's log events, forwarded to the shell |
//! | `runtime` | the library's own tokio runtime, which runs every async call |
//!
//! ## Names
//!
//! Every name here is the name the generated Kotlin and Swift use (uniffi only turns
//! `snake_case` into `camelCase`, and a Kotlin error's `Error` into `Exception`). A type the
//! shells re-export to apps as it is carries its public name (`TokenInfo`, `OtpCode`,
//! `DeviceInfo`, `TokenStatus`, `Algorithm`, `LogLevel`, `PendingTransaction`, `AccountKind`,
//! `DecisionOutcome`, `IdInputState`, `IdInputProblem`). A type each shell wraps in a
//! hand-written one of the same concept carries the prefix `Ffi` (`FfiError`,
//! `FfiSecretStore`, `FfiSecretStoreError`, `FfiClock`, `FfiLogger`), so no generated type
//! shares a simple name with a hand-written one. [`SoftToken`] and [`CoreConfig`] keep the
//! core's names; the shells wrap them as `SoftTokenClient` and `SoftTokenConfig`. The table in
//! `bindings/README.md` ("Names across languages") lists them all.

uniffi::setup_scaffolding!();

pub mod config;
pub mod error;
pub mod foreign;
pub mod id_input;
pub mod logging;
mod runtime;
pub mod softtoken;
pub mod transaction;
pub mod types;

pub use config::{CoreConfig, DeviceInfo};
pub use error::{FfiError, FfiSecretStoreError};
pub use foreign::{FfiClock, FfiSecretStore};
pub use id_input::{IdInputProblem, IdInputState, check_service_id_input, check_user_id_input};
pub use logging::{FfiLogger, LogLevel, set_logger};
pub use softtoken::SoftToken;
pub use transaction::{
    AccountKind, DecisionOutcome, PendingTransaction, format_en_suffix, format_yen_sign,
};
pub use types::{Algorithm, OtpCode, TokenInfo, TokenStatus};

/// This library's version (the workspace version), for the app's about screen and bug reports.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
