//! The `SecretStore` trait a shell may implement, and its adapter into keyring-core.
//!
//! The core keeps seeds only in a keystore reached through keyring-core's credential-store API
//! (see [`crate::keystore`]). Usually that is the platform's own store, but a shell (Kotlin,
//! Swift) may take storage over — to use an API the Rust crates do not reach, or to inject
//! faults in its tests — by implementing [`SecretStore`] (later exported as a uniffi foreign
//! trait). [`ForeignStore`] turns any such implementation into a keyring-core credential store,
//! so the seed vault has exactly one code path whichever store is behind it.
//!
//! [`MemorySecretStore`] is an in-memory implementation for tests and desktop development; it
//! is **not** secure storage.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use keyring_core::api::{CredentialApi, CredentialStoreApi};
use keyring_core::{Credential, CredentialStore, Entry};
use zeroize::Zeroizing;

/// Secret storage provided by the app shell.
///
/// Keys are opaque ASCII names such as `dev.softtoken.seed/<token id>`; the implementation must
/// store them verbatim and must not interpret them. Values are secrets (a token seed in the
/// core's stored format): the implementation must keep them in hardware-backed,
/// this-device-only storage (Android Keystore-wrapped, iOS Keychain with a `…ThisDeviceOnly`
/// accessibility class and not synchronizable), never log them, and wipe its own copies when
/// done.
///
/// Types are owned (`String`, `Vec<u8>`) so the trait can be exported through uniffi as a
/// foreign trait.
pub trait SecretStore: Send + Sync {
    /// The value stored under `key`, or `None` if there is none.
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError>;

    /// Stores `value` under `key`, replacing any previous value.
    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError>;

    /// Removes the value under `key`. Removing a key that does not exist succeeds.
    fn delete(&self, key: String) -> Result<(), SecretStoreError>;
}

/// Why a [`SecretStore`] operation failed. Reasons are for logs and must never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretStoreError {
    /// The store cannot be used right now (device locked, keystore not ready): retry later.
    #[error("secret store unavailable: {reason}")]
    Unavailable {
        /// What made the store unavailable.
        reason: String,
    },
    /// The store failed; retrying is unlikely to help.
    #[error("secret store failed: {reason}")]
    Failed {
        /// What failed.
        reason: String,
    },
}

/// Adapts a shell's [`SecretStore`] into a keyring-core credential store.
///
/// An entry `(service, user)` is stored under the key `"{service}/{user}"`. Errors map as
/// follows: [`SecretStoreError::Unavailable`] → [`keyring_core::Error::NoStorageAccess`],
/// [`SecretStoreError::Failed`] → [`keyring_core::Error::PlatformFailure`] (both carry the
/// boxed `SecretStoreError`, so the reason survives), and a `None` from
/// [`SecretStore::get`] → [`keyring_core::Error::NoEntry`].
pub struct ForeignStore {
    inner: Arc<dyn SecretStore>,
    id: String,
}

impl ForeignStore {
    /// Wraps `inner` as a keyring-core credential store.
    #[allow(
        clippy::new_ret_no_self,
        reason = "keyring-core hands stores around as `Arc<CredentialStore>`"
    )]
    pub fn new(inner: Arc<dyn SecretStore>) -> Arc<CredentialStore> {
        // keyring-core treats two stores with the same vendor and id as the same instance, so
        // every adapter gets its own number.
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Arc::new(ForeignStore {
            inner,
            id: format!("softtoken foreign store #{n}"),
        })
    }
}

impl fmt::Debug for ForeignStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignStore")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl CredentialStoreApi for ForeignStore {
    fn vendor(&self) -> String {
        "softtoken-core ForeignStore (a shell-provided SecretStore)".to_string()
    }

    fn id(&self) -> String {
        self.id.clone()
    }

    /// Builds a specifier entry; no modifiers are accepted (the shell owns all storage policy).
    ///
    /// The service may not contain `/`, so the key `"{service}/{user}"` is never ambiguous.
    fn build(
        &self,
        service: &str,
        user: &str,
        modifiers: Option<&HashMap<&str, &str>>,
    ) -> keyring_core::Result<Entry> {
        refuse_modifiers(modifiers, "a foreign secret store")?;
        if service.is_empty() || service.contains('/') {
            return Err(keyring_core::Error::Invalid(
                "service".to_string(),
                "must be non-empty and contain no '/'".to_string(),
            ));
        }
        if user.is_empty() {
            return Err(keyring_core::Error::Invalid(
                "user".to_string(),
                "cannot be empty".to_string(),
            ));
        }
        let cred = ForeignCred {
            inner: Arc::clone(&self.inner),
            service: service.to_string(),
            user: user.to_string(),
        };
        Ok(Entry::new_with_credential(Arc::new(cred)))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn debug_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One entry of a [`ForeignStore`].
struct ForeignCred {
    inner: Arc<dyn SecretStore>,
    service: String,
    user: String,
}

impl ForeignCred {
    fn key(&self) -> String {
        format!("{}/{}", self.service, self.user)
    }
}

impl fmt::Debug for ForeignCred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignCred")
            .field("service", &self.service)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The single place where shell errors become keyring-core errors. The `SecretStoreError` is
/// boxed whole so the vault can recover its variant and reason by downcasting.
fn to_keyring_error(err: SecretStoreError) -> keyring_core::Error {
    match err {
        SecretStoreError::Unavailable { .. } => keyring_core::Error::NoStorageAccess(Box::new(err)),
        SecretStoreError::Failed { .. } => keyring_core::Error::PlatformFailure(Box::new(err)),
    }
}

impl CredentialApi for ForeignCred {
    fn set_secret(&self, secret: &[u8]) -> keyring_core::Result<()> {
        // The copy moves into the shell, which owns (and must wipe) it from here on.
        self.inner
            .set(self.key(), secret.to_vec())
            .map_err(to_keyring_error)
    }

    fn get_secret(&self) -> keyring_core::Result<Vec<u8>> {
        match self.inner.get(self.key()).map_err(to_keyring_error)? {
            Some(value) => Ok(value),
            None => Err(keyring_core::Error::NoEntry),
        }
    }

    /// Deletes the entry. Unlike most keyring-core stores, a missing entry is not reported as
    /// `NoEntry`: the [`SecretStore`] contract makes delete idempotent, and checking first
    /// would mean reading the secret just to throw it away.
    fn delete_credential(&self) -> keyring_core::Result<()> {
        self.inner.delete(self.key()).map_err(to_keyring_error)
    }

    fn get_credential(&self) -> keyring_core::Result<Option<Arc<Credential>>> {
        // Existence can only be learnt by reading; the value is wiped straight away.
        match self.inner.get(self.key()).map_err(to_keyring_error)? {
            Some(value) => {
                drop(Zeroizing::new(value));
                Ok(None)
            }
            None => Err(keyring_core::Error::NoEntry),
        }
    }

    fn get_specifiers(&self) -> Option<(String, String)> {
        Some((self.service.clone(), self.user.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn debug_fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An in-memory [`SecretStore`]: a **test and desktop-development fallback, not secure
/// storage** (values live in ordinary process memory and vanish with the process).
///
/// Values are wiped when replaced, removed or dropped, and `Debug` shows only how many entries
/// there are. Faults can be injected to exercise the error paths of code built on top of it.
#[derive(Default)]
pub struct MemorySecretStore {
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    entries: HashMap<String, Zeroizing<Vec<u8>>>,
    next_get: Option<SecretStoreError>,
    next_set: Option<SecretStoreError>,
    next_delete: Option<SecretStoreError>,
    all: Option<SecretStoreError>,
}

impl MemorySecretStore {
    /// An empty store with no faults armed.
    pub fn new() -> Self {
        Self::default()
    }

    /// A lock that survives poisoning: the map stays consistent even if a holder panicked,
    /// because every mutation is a single `HashMap` call.
    fn state(&self) -> MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the next [`SecretStore::get`] fail with `err` (once), storing nothing.
    pub fn fail_next_get(&self, err: SecretStoreError) {
        self.state().next_get = Some(err);
    }

    /// Makes the next [`SecretStore::set`] fail with `err` (once), storing nothing.
    pub fn fail_next_set(&self, err: SecretStoreError) {
        self.state().next_set = Some(err);
    }

    /// Makes the next [`SecretStore::delete`] fail with `err` (once), deleting nothing.
    pub fn fail_next_delete(&self, err: SecretStoreError) {
        self.state().next_delete = Some(err);
    }

    /// While `Some(err)`, every operation fails with `err` and touches nothing; `None` heals
    /// the store. One-shot faults armed with `fail_next_*` stay armed meanwhile.
    pub fn fail_all(&self, err: Option<SecretStoreError>) {
        self.state().all = err;
    }

    /// Forgets every value (wiping them), as a backup restored onto a new phone would.
    pub fn remove_all(&self) {
        self.state().entries.clear();
    }

    /// How many values are stored.
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    /// Whether no value is stored.
    pub fn is_empty(&self) -> bool {
        self.state().entries.is_empty()
    }

    /// Whether a value is stored under `key` (without reading it).
    pub fn contains_key(&self, key: &str) -> bool {
        self.state().entries.contains_key(key)
    }
}

impl MemoryState {
    /// The fault to report for an operation, consuming its one-shot fault if armed.
    fn fault(
        &mut self,
        one_shot: fn(&mut Self) -> &mut Option<SecretStoreError>,
    ) -> Option<SecretStoreError> {
        if let Some(err) = &self.all {
            return Some(err.clone());
        }
        one_shot(self).take()
    }
}

impl fmt::Debug for MemorySecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySecretStore")
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, SecretStoreError> {
        let mut state = self.state();
        if let Some(err) = state.fault(|s| &mut s.next_get) {
            return Err(err);
        }
        Ok(state.entries.get(&key).map(|value| value.to_vec()))
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecretStoreError> {
        // Wrap first, so the value is wiped even when a fault makes us drop it.
        let value = Zeroizing::new(value);
        let mut state = self.state();
        if let Some(err) = state.fault(|s| &mut s.next_set) {
            return Err(err);
        }
        state.entries.insert(key, value);
        Ok(())
    }

    fn delete(&self, key: String) -> Result<(), SecretStoreError> {
        let mut state = self.state();
        if let Some(err) = state.fault(|s| &mut s.next_delete) {
            return Err(err);
        }
        state.entries.remove(&key);
        Ok(())
    }
}

/// Refuses entry modifiers for a store (`what`) whose entries take none: the one check the
/// foreign store and the Linux session-keyring store share.
pub(crate) fn refuse_modifiers(
    modifiers: Option<&HashMap<&str, &str>>,
    what: &str,
) -> keyring_core::Result<()> {
    if modifiers.is_some_and(|mods| !mods.is_empty()) {
        return Err(keyring_core::Error::NotSupportedByStore(format!(
            "{what} takes no entry modifiers"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable() -> SecretStoreError {
        SecretStoreError::Unavailable {
            reason: "device locked".to_string(),
        }
    }

    #[test]
    fn memory_store_round_trip_and_idempotent_delete() {
        let store = MemorySecretStore::new();
        assert_eq!(store.get("a/b".to_string()), Ok(None));
        store.set("a/b".to_string(), vec![1, 2, 3]).unwrap();
        assert_eq!(store.get("a/b".to_string()), Ok(Some(vec![1, 2, 3])));
        store.delete("a/b".to_string()).unwrap();
        store.delete("a/b".to_string()).unwrap();
        assert!(store.is_empty());
    }

    #[test]
    fn one_shot_faults_fire_once_and_change_nothing() {
        let store = MemorySecretStore::new();
        store.fail_next_set(unavailable());
        assert_eq!(store.set("k".to_string(), vec![7]), Err(unavailable()));
        assert!(store.is_empty());
        store.set("k".to_string(), vec![7]).unwrap();

        store.fail_next_get(unavailable());
        assert_eq!(store.get("k".to_string()), Err(unavailable()));
        assert_eq!(store.get("k".to_string()), Ok(Some(vec![7])));

        store.fail_next_delete(unavailable());
        assert_eq!(store.delete("k".to_string()), Err(unavailable()));
        assert!(store.contains_key("k"));
    }

    #[test]
    fn fail_all_blocks_everything_until_healed() {
        let store = MemorySecretStore::new();
        store.set("k".to_string(), vec![7]).unwrap();
        let failed = SecretStoreError::Failed {
            reason: "broken".to_string(),
        };
        store.fail_all(Some(failed.clone()));
        assert_eq!(store.get("k".to_string()), Err(failed.clone()));
        assert_eq!(store.set("k".to_string(), vec![8]), Err(failed.clone()));
        assert_eq!(store.delete("k".to_string()), Err(failed));
        store.fail_all(None);
        assert_eq!(store.get("k".to_string()), Ok(Some(vec![7])));
    }

    #[test]
    fn debug_never_shows_values() {
        let store = MemorySecretStore::new();
        store.set("k".to_string(), vec![0xAB; 20]).unwrap();
        let shown = format!("{store:?}");
        assert!(shown.contains("entries: 1"), "{shown}");
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab"),
            "{shown}"
        );
    }

    #[test]
    fn adapter_maps_errors_and_missing_entries() {
        let memory = Arc::new(MemorySecretStore::new());
        let store = ForeignStore::new(memory.clone());
        let entry = store.build("svc", "user", None).unwrap();
        assert!(matches!(
            entry.get_secret(),
            Err(keyring_core::Error::NoEntry)
        ));
        assert!(matches!(
            entry.get_credential(),
            Err(keyring_core::Error::NoEntry)
        ));
        // Delete of a missing entry is idempotent, as the SecretStore contract says.
        entry.delete_credential().unwrap();

        entry.set_secret(&[9, 9]).unwrap();
        assert_eq!(memory.get("svc/user".to_string()), Ok(Some(vec![9, 9])));
        assert_eq!(entry.get_secret().unwrap(), vec![9, 9]);
        assert_eq!(
            entry.get_specifiers(),
            Some(("svc".to_string(), "user".to_string()))
        );

        memory.fail_next_get(unavailable());
        match entry.get_secret() {
            Err(keyring_core::Error::NoStorageAccess(inner)) => {
                assert_eq!(
                    inner.downcast_ref::<SecretStoreError>(),
                    Some(&unavailable())
                );
            }
            other => panic!("expected NoStorageAccess, got {other:?}"),
        }
        memory.fail_next_set(SecretStoreError::Failed {
            reason: "disk".to_string(),
        });
        assert!(matches!(
            entry.set_secret(&[1]),
            Err(keyring_core::Error::PlatformFailure(_))
        ));
        assert_eq!(memory.get("svc/user".to_string()), Ok(Some(vec![9, 9])));
    }

    #[test]
    fn adapter_rejects_ambiguous_names_and_modifiers() {
        let store = ForeignStore::new(Arc::new(MemorySecretStore::new()));
        assert!(matches!(
            store.build("a/b", "c", None),
            Err(keyring_core::Error::Invalid(..))
        ));
        assert!(matches!(
            store.build("", "c", None),
            Err(keyring_core::Error::Invalid(..))
        ));
        assert!(matches!(
            store.build("a", "", None),
            Err(keyring_core::Error::Invalid(..))
        ));
        let mods = HashMap::from([("x", "y")]);
        assert!(matches!(
            store.build("a", "c", Some(&mods)),
            Err(keyring_core::Error::NotSupportedByStore(_))
        ));
        assert!(store.build("a", "c", Some(&HashMap::new())).is_ok());
    }

    #[test]
    fn each_adapter_is_its_own_instance() {
        let memory: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
        let a = ForeignStore::new(memory.clone());
        let b = ForeignStore::new(memory);
        assert_eq!(a.vendor(), b.vendor());
        assert_ne!(a.id(), b.id());
        assert!(format!("{a:?}").starts_with("ForeignStore"));
    }
}
