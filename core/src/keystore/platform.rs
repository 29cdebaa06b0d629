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
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows"
))]
use super::map_keyring_error;

/// Entry modifiers passed to every `build` call of a store (`(key, value)` pairs).
pub(super) type Modifiers = &'static [(&'static str, &'static str)];

/// Linux: the kernel key-retention service (keyutils), in the **session keyring only**
/// ([`linux_session::SessionKeyring`]).
///
/// Keys live in kernel memory: they never touch the disk and never leave the machine. A seed
/// lives as long as the session keyring it was set up in (the login session, or the shell
/// `softtoken session` / `keyctl session -` started) and never longer than the next reboot;
/// any process of the same user that shares that session keyring can read it, which is the
/// keyring's model. The token's metadata outlives the seed, so a token whose seed is gone
/// reports "needs re-setup" (never a code, never "no token"). The process needs a session
/// keyring of its own (`keyctl session -`), otherwise every access is denied.
#[cfg(target_os = "linux")]
pub(super) fn store() -> Result<(Arc<CredentialStore>, Modifiers), KeystoreError> {
    let store: Arc<CredentialStore> = Arc::new(linux_session::SessionKeyring);
    Ok((store, &[]))
}

/// The session-keyring-only store of the Linux branch.
///
/// `linux-keyutils-keyring-store`'s own `Store` also links every key into the user's
/// *persistent* keyring (`Cred::build_from_specifiers` calls `KeyRing::get_persistent` and
/// `set` links the new key there): a fresh session of the same user then reads the seed back,
/// and the persistent keyring expires after `/proc/sys/kernel/keys/persistent_keyring_expiry`
/// (3 days by default) without use, so the lifetime was neither the session's nor stable
/// (issue 12, finding 10). This store builds the same crate's `Cred` (same key description,
/// `keyring:<user>@<service>`, so entries stay where they were) with no persistent keyring:
/// add, read, re-link and invalidate all happen in the session keyring alone.
#[cfg(target_os = "linux")]
mod linux_session {
    use std::{any::Any, collections::HashMap, sync::Arc};

    use keyring_core::{
        Entry,
        api::{CredentialPersistence, CredentialStoreApi},
    };
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    use linux_keyutils_keyring_store::Cred;

    /// Seeds in the calling thread's session keyring, nowhere else.
    #[derive(Debug)]
    pub(crate) struct SessionKeyring;

    impl CredentialStoreApi for SessionKeyring {
        fn vendor(&self) -> String {
            "Linux keyutils, session keyring only (softtoken-core)".to_owned()
        }

        fn id(&self) -> String {
            "session-keyring".to_owned()
        }

        fn build(
            &self,
            service: &str,
            user: &str,
            modifiers: Option<&HashMap<&str, &str>>,
        ) -> keyring_core::Result<Entry> {
            crate::secret_store::refuse_modifiers(modifiers, "the session keyring store")?;
            let session = KeyRing::from_special_id(KeyRingIdentifier::Session, false)
                .map_err(|e| keyring_core::Error::NoStorageAccess(e.into()))?;
            let cred = Cred {
                session,
                persistent: None,
                description: format!("keyring:{user}@{service}"),
                specifiers: Some((service.to_owned(), user.to_owned())),
            };
            Ok(Entry::new_with_credential(Arc::new(cred)))
        }

        fn as_any(&self) -> &dyn Any {
            self
        }

        fn persistence(&self) -> CredentialPersistence {
            CredentialPersistence::UntilLogout
        }
    }
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
