//! Traits the shell implements — [`FfiSecretStore`] (seed storage) and [`FfiClock`] (device
//! time) — and their adapters onto the core's `SecretStore` and `Clock`.
//!
//! The core's traits are plain Rust; these mirror them with uniffi's attributes so that the
//! core carries no FFI concerns. Apps never implement these directly: each shell has its own
//! public `SecretStore` and `Clock` (which throw the shell's own error type and use the
//! language's integer types) and adapts them onto these, hence the `Ffi` prefix.

use std::sync::Arc;

use crate::error::FfiSecretStoreError;
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
pub trait FfiSecretStore: Send + Sync {
    /// The value stored under `key`, or `None` if there is none.
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, FfiSecretStoreError>;

    /// Stores `value` under `key`, replacing any previous value.
    fn set(&self, key: String, value: Vec<u8>) -> Result<(), FfiSecretStoreError>;

    /// Removes the value under `key`. Removing a key that does not exist succeeds.
    fn delete(&self, key: String) -> Result<(), FfiSecretStoreError>;
}

/// The device clock, provided by the shell (or a test).
#[uniffi::export(with_foreign)]
pub trait FfiClock: Send + Sync {
    /// Now, in unix milliseconds. Signed, as the JVM's `Long` and Swift's `Int64` are: a time
    /// before 1970 reads as 0, which the core rejects as an implausible clock.
    fn now_ms(&self) -> i64;
}

/// A shell's [`FfiSecretStore`] seen as the core's.
pub(crate) struct SecretStoreAdapter(pub(crate) Arc<dyn FfiSecretStore>);

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

/// A shell's [`FfiClock`] seen as the core's.
pub(crate) struct ClockAdapter(pub(crate) Arc<dyn FfiClock>);

impl softtoken_core::Clock for ClockAdapter {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.0.now_ms()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use softtoken_core::Clock as _;

    struct FixedClock(i64);

    impl FfiClock for FixedClock {
        fn now_ms(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn a_shell_clock_before_1970_reads_as_zero_and_others_pass_through() {
        assert_eq!(ClockAdapter(Arc::new(FixedClock(-1))).now_ms(), 0);
        let now = 1_780_000_000_000;
        assert_eq!(ClockAdapter(Arc::new(FixedClock(now))).now_ms(), now as u64);
    }
}
