//! Traits the shell may implement — [`SecretStore`] (seed storage) and [`Clock`] (device
//! time) — and their adapters onto the core's traits of the same names.
//!
//! The core's traits are plain Rust; these mirror them with uniffi's attributes so that the
//! core carries no FFI concerns.

use std::sync::Arc;

use crate::error::SecretStoreError;
use softtoken_core::secret_store as core_store;

/// Secret storage provided by the app shell, replacing the platform keystore the core would
/// use by itself.
///
/// Keys are opaque ASCII names such as `dev.softtoken.seed/<token id>`: store them verbatim.
/// Values are secrets (a token seed in the core's stored format): keep them in
/// hardware-backed, this-device-only storage (Android Keystore-wrapped; iOS Keychain with a
/// `…ThisDeviceOnly` accessibility class, not synchronizable), never log them, and wipe your
/// own copies when done.
#[uniffi::export(with_foreign)]
pub trait SecretStore: Send + Sync {
    /// The value stored under `key`, or `None` if there is none.
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError>;

    /// Stores `value` under `key`, replacing any previous value.
    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError>;

    /// Removes the value under `key`. Removing a key that does not exist succeeds.
    fn delete(&self, key: String) -> Result<(), SecretStoreError>;
}

/// The device clock, provided by the shell (or a test).
#[uniffi::export(with_foreign)]
pub trait Clock: Send + Sync {
    /// Now, in unix milliseconds.
    fn now_ms(&self) -> u64;
}

/// A shell's [`SecretStore`] seen as the core's.
pub(crate) struct SecretStoreAdapter(pub(crate) Arc<dyn SecretStore>);

impl core_store::SecretStore for SecretStoreAdapter {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, core_store::SecretStoreError> {
        self.0.get(key).map_err(Into::into)
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), core_store::SecretStoreError> {
        // Moved, not copied: the buffer is handed to the foreign side, which copies it into
        // its store and frees it.
        self.0.set(key, value).map_err(Into::into)
    }

    fn delete(&self, key: String) -> Result<(), core_store::SecretStoreError> {
        self.0.delete(key).map_err(Into::into)
    }
}

/// A shell's [`Clock`] seen as the core's.
pub(crate) struct ClockAdapter(pub(crate) Arc<dyn Clock>);

impl softtoken_core::Clock for ClockAdapter {
    fn now_ms(&self) -> u64 {
        self.0.now_ms()
    }
}
