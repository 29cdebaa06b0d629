//! The platform keystore for the compilation target, and the entry modifiers that give its
//! entries this-device-only protection.
//!
//! Only the Linux branch is compiled in this repository's CI; the others are kept to the one
//! constructor call and the one modifier each store documents, so they can be checked by eye.
//!
//! # Why keyring-core and the store crates, not the `keyring` facade
//!
//! The design names `keyring`. keyring 4.x (4.2.0 checked) is no longer the library it was:
//! the API is keyring-core, and `keyring` is a wrapper that cannot give these stores without
//! bringing what a phone must not carry:
//!
//! - It needs one of two features (`src/lib.rs` line 33: `compile_error!` otherwise).
//! - `v1` (its default) is `apple-native-keyring-store/keychain`, `windows-native-keyring-store`
//!   and `zbus-secret-service-keyring-store` (`Cargo.toml` `[features]`). Its `Entry::new`
//!   (`src/v1.rs` line 47) takes no modifiers and uses a store chosen in `set_credential_store`
//!   (lines 109–129): the D-Bus Secret Service through zbus on Linux (not keyutils), the legacy
//!   file-based macOS keychain (not the data-protection one), and on iOS and Android none at
//!   all (`Error::Invalid("platform")`). No `access-policy`, no `persistence = Local`.
//! - `cli` turns on every store for every target: `db-keystore` (an encrypted SQLite/Turso
//!   database), `dbus-secret-service-keyring-store` (with `vendored` libdbus, a C build) and
//!   zbus on Linux, both Apple stores, and `keyring-core/sample` (regex, chrono, dashmap, ron,
//!   uuid) everywhere: 370 crates in `cargo tree -e normal` for x86_64 Linux, where the size
//!   gate and the CLI build. Its `use_*_store` functions (`src/cli.rs`) do not return a store:
//!   they install a process-wide default (`set_default_store`, e.g. line 294 for Android), where
//!   the vault keeps its own store so a platform and a foreign vault can live side by side; and
//!   `use_apple_protected_store` refuses on macOS unless `APP_SANDBOX_CONTAINER_ID` is set
//!   (line 161), where the core uses the protected store in every macOS app.
//!
//! Where `cli` would give the same store (Android's, configured the same), it does so by
//! calling the same `Store::new_with_configuration` as below, plus the global side effect. The
//! crate's own documentation (`src/lib.rs` lines 17–27) tells applications that choose their
//! stores to depend on keyring-core and the store crates instead, which is what this module
//! does: one store crate per target, with the features each needs and nothing else.

use keyring_core::CredentialStore;
use std::sync::Arc;

use super::KeystoreError;
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
))]
use super::map_keyring_error;

/// Entry modifiers passed to every `build` call of a store (`(key, value)` pairs).
pub(super) type Modifiers = &'static [(&'static str, &'static str)];

/// Linux: the kernel key-retention service (keyutils), through the session keyring.
///
/// Keys live in kernel memory: they never touch the disk and never leave the machine, and they
/// vanish on reboot (the token then reports "needs re-setup"). The process needs a session
/// keyring of its own (`keyctl session -`), otherwise every access is denied.
#[cfg(target_os = "linux")]
pub(super) fn store() -> Result<(Arc<CredentialStore>, Modifiers), KeystoreError> {
    let store: Arc<CredentialStore> =
        linux_keyutils_keyring_store::Store::new().map_err(map_keyring_error)?;
    Ok((store, &[]))
}

/// Android: a SharedPreferences file whose values are AES-GCM encrypted under a key in the
/// Android Keystore (hardware-backed where the device has a TEE or StrongBox).
///
/// The Keystore key never leaves the device, so a SharedPreferences file restored from a
/// backup onto another phone cannot be decrypted: the store reports malformed data, which the
/// vault turns into [`super::SeedLookup::Unreadable`]. A dedicated named store keeps seeds
/// apart from anything else the app keeps in keyring stores. The shell must initialise the
/// NDK context (see the crate's README) before the first vault is created.
#[cfg(target_os = "android")]
pub(super) fn store() -> Result<(Arc<CredentialStore>, Modifiers), KeystoreError> {
    let config = std::collections::HashMap::from([("name", "dev.softtoken.seeds")]);
    let store: Arc<CredentialStore> =
        android_native_keyring_store::Store::new_with_configuration(&config)
            .map_err(map_keyring_error)?;
    // The Android store accepts no entry modifiers.
    Ok((store, &[]))
}

/// Apple (iOS, and macOS apps with a provisioning profile): the data-protection keychain, via
/// apple-native-keyring-store's `protected` module (v1.0.2).
///
/// **This-device-only finding.** The crate does *not* apply a this-device-only class by
/// default: `AccessPolicy::default()` is `WhenUnlocked` (`src/protected.rs` lines 104–113,
/// documented at line 54). It does apply one when asked: the entry modifier
/// `access-policy = when-unlocked-this-device-only` selects
/// `AccessPolicy::WhenUnlockedThisDeviceOnly` (lines 574–575), which `set_secret` turns into a
/// `SecAccessControl` created with `ProtectionMode::AccessibleWhenUnlockedThisDeviceOnly`
/// (lines 129–131 and 251–258), i.e. `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`
/// (security-framework 3.7.0, `src/access_control.rs` line 60). `kSecAttrSynchronizable` is
/// set only when the store was configured with `cloud-sync = true` (lines 239–240, 273–274,
/// 286–287); `Store::new()` uses `cloud_synchronize = false` (lines 370–373), so the attribute
/// is never added and items are not synchronisable. Hence: `Store::new()` plus that modifier on
/// every entry.
///
/// Caveat: when an item already exists, security-framework updates only its data
/// (`src/passwords.rs` lines 168–173), so the class is fixed when the item is first created.
/// Every seed entry is created through this function, so every one gets the class.
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub(super) fn store() -> Result<(Arc<CredentialStore>, Modifiers), KeystoreError> {
    let store: Arc<CredentialStore> =
        apple_native_keyring_store::protected::Store::new().map_err(map_keyring_error)?;
    Ok((
        store,
        &[("access-policy", "when-unlocked-this-device-only")],
    ))
}

/// Windows: the Credential Manager, with `Local` persistence so the credential stays on this
/// machine instead of roaming with an enterprise profile (the crate's default).
#[cfg(target_os = "windows")]
pub(super) fn store() -> Result<(Arc<CredentialStore>, Modifiers), KeystoreError> {
    let store: Arc<CredentialStore> =
        windows_native_keyring_store::Store::new().map_err(map_keyring_error)?;
    Ok((store, &[("persistence", "Local")]))
}

/// Any other target has no platform keystore the core trusts; the shell must provide one.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
)))]
pub(super) fn store() -> Result<(Arc<CredentialStore>, Modifiers), KeystoreError> {
    Err(KeystoreError::Unsupported {
        reason: "no platform keystore on this target: the shell must provide a foreign store"
            .to_string(),
    })
}
