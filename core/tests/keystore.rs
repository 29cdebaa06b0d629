#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
// Helpers outside #[test] functions fail the test with a message; that is their job.
#![allow(clippy::panic)]
//! The seed vault against the real platform keystore (Linux kernel keyring) and against a
//! shell-provided store (`MemorySecretStore` through the keyring-core adapter).
//!
//! The Linux tests need a session keyring of their own: run them as
//! `keyctl session - cargo test -p softtoken-core`. Without one they fail and say so.

use std::sync::Arc;

use rand_core::{OsRng, RngCore};
use softtoken_core::keystore::{KeystoreError, SEED_SERVICE, SeedLookup, SeedVault, StoreChoice};
use softtoken_core::secret_store::{
    ForeignStore, MemorySecretStore, SecretStore, SecretStoreError,
};
use softtoken_protocol::secret::Seed;
use softtoken_protocol::totp::Algorithm;

/// A token id no other test (or earlier run) uses.
fn unique_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}-{}", hex::encode(bytes))
}

fn random_seed(algorithm: Algorithm) -> Seed {
    let mut bytes = vec![0u8; algorithm.seed_len()];
    OsRng.fill_bytes(&mut bytes);
    Seed::from_vec(bytes)
}

/// Asserts that `shown` contains none of the seed's bytes in any usual rendering.
fn assert_no_seed_bytes(shown: &str, seed: &Seed) {
    let bytes = seed.expose();
    let hex_lower = hex::encode(bytes);
    assert!(!shown.to_lowercase().contains(&hex_lower), "{shown}");
    assert!(!shown.contains(&format!("{bytes:?}")), "{shown}");
    let prefix: Vec<String> = bytes[..4].iter().map(u8::to_string).collect();
    assert!(!shown.contains(&prefix.join(", ")), "{shown}");
}

#[cfg(target_os = "linux")]
mod kernel_keyring {
    use super::*;

    /// Removes a test entry even when the test fails half-way.
    struct Cleanup<'a>(&'a SeedVault, String);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let _ = self.0.delete(&self.1);
        }
    }

    /// The platform vault, after proving the kernel keyring is usable in this process.
    fn vault() -> SeedVault {
        let vault = SeedVault::new(StoreChoice::Platform).expect("the Linux keystore exists");
        let probe = unique_id("probe");
        match vault.put(&probe, Algorithm::Sha1, &random_seed(Algorithm::Sha1)) {
            Ok(()) => vault.delete(&probe).unwrap(),
            Err(KeystoreError::Unavailable { reason }) => panic!(
                "the kernel keyring is not usable by this process ({reason}).\n\
                 These tests need a session keyring of their own; run them as\n\
                 \n    keyctl session - cargo test -p softtoken-core\n\n\
                 (`keyctl` is in the `keyutils` package)."
            ),
            Err(other) => panic!("probe write to the kernel keyring failed: {other}"),
        }
        vault
    }

    /// Writes raw bytes into a seed entry, bypassing the vault's format.
    fn write_raw(token_id: &str, bytes: &[u8]) {
        use keyring_core::api::CredentialStoreApi;
        let store = linux_keyutils_keyring_store::Store::new().unwrap();
        let entry = store.build(SEED_SERVICE, token_id, None).unwrap();
        entry.set_secret(bytes).unwrap();
    }

    #[test]
    fn round_trip_for_every_algorithm() {
        let vault = vault();
        for algorithm in Algorithm::ALL {
            let id = unique_id("round-trip");
            let _cleanup = Cleanup(&vault, id.clone());
            let seed = random_seed(algorithm);
            vault.put(&id, algorithm, &seed).unwrap();
            assert_eq!(vault.get(&id, algorithm).unwrap(), SeedLookup::Found(seed));
        }
    }

    #[test]
    fn put_replaces_the_previous_seed() {
        let vault = vault();
        let id = unique_id("replace");
        let _cleanup = Cleanup(&vault, id.clone());
        vault
            .put(&id, Algorithm::Sha1, &random_seed(Algorithm::Sha1))
            .unwrap();
        let second = random_seed(Algorithm::Sha512);
        vault.put(&id, Algorithm::Sha512, &second).unwrap();
        assert_eq!(
            vault.get(&id, Algorithm::Sha512).unwrap(),
            SeedLookup::Found(second)
        );
    }

    #[test]
    fn a_missing_entry_is_missing() {
        let vault = vault();
        assert_eq!(
            vault.get(&unique_id("never-set"), Algorithm::Sha1).unwrap(),
            SeedLookup::Missing
        );
    }

    #[test]
    fn foreign_bytes_are_unreadable_and_left_in_place() {
        let vault = vault();
        let seed = random_seed(Algorithm::Sha256);
        let body = seed.expose();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("format-2", [&[2u8, 2][..], body].concat()),
            ("format-0", [&[0u8, 2][..], body].concat()),
            ("unknown-algorithm", [&[1u8, 9][..], body].concat()),
            ("short", [&[1u8, 2][..], &body[..31]].concat()),
            ("long", [&[1u8, 2][..], body, &[0]].concat()),
            ("header-only", vec![1, 2]),
            ("one-byte", vec![1]),
        ];
        for (name, bytes) in cases {
            let id = unique_id(name);
            let _cleanup = Cleanup(&vault, id.clone());
            write_raw(&id, &bytes);
            assert_eq!(
                vault.get(&id, Algorithm::Sha256).unwrap(),
                SeedLookup::Unreadable,
                "{name}"
            );
            // Reading never deletes: the entry is still there, still unreadable.
            assert_eq!(
                vault.get(&id, Algorithm::Sha256).unwrap(),
                SeedLookup::Unreadable
            );
        }
    }

    #[test]
    fn a_seed_read_with_another_algorithm_is_unreadable() {
        let vault = vault();
        let id = unique_id("other-algorithm");
        let _cleanup = Cleanup(&vault, id.clone());
        let seed = random_seed(Algorithm::Sha256);
        vault.put(&id, Algorithm::Sha256, &seed).unwrap();
        assert_eq!(
            vault.get(&id, Algorithm::Sha1).unwrap(),
            SeedLookup::Unreadable
        );
        assert_eq!(
            vault.get(&id, Algorithm::Sha512).unwrap(),
            SeedLookup::Unreadable
        );
        assert_eq!(
            vault.get(&id, Algorithm::Sha256).unwrap(),
            SeedLookup::Found(seed)
        );
    }

    #[test]
    fn delete_twice_is_fine_and_the_seed_is_gone() {
        let vault = vault();
        let id = unique_id("delete");
        vault
            .put(&id, Algorithm::Sha1, &random_seed(Algorithm::Sha1))
            .unwrap();
        vault.delete(&id).unwrap();
        vault.delete(&id).unwrap();
        assert_eq!(
            vault.get(&id, Algorithm::Sha1).unwrap(),
            SeedLookup::Missing
        );
        vault.delete(&unique_id("never-set")).unwrap();
    }

    #[test]
    fn two_vaults_share_entries() {
        let a = vault();
        let b = vault();
        let id = unique_id("shared");
        let _cleanup = Cleanup(&a, id.clone());
        let seed = random_seed(Algorithm::Sha256);
        a.put(&id, Algorithm::Sha256, &seed).unwrap();
        assert_eq!(
            b.get(&id, Algorithm::Sha256).unwrap(),
            SeedLookup::Found(seed)
        );
        b.delete(&id).unwrap();
        assert_eq!(a.get(&id, Algorithm::Sha256).unwrap(), SeedLookup::Missing);
    }

    #[test]
    fn a_seed_of_the_wrong_length_is_refused_and_not_stored() {
        let vault = vault();
        let id = unique_id("wrong-length");
        let err = vault
            .put(&id, Algorithm::Sha256, &random_seed(Algorithm::Sha1))
            .unwrap_err();
        assert!(matches!(err, KeystoreError::Failed { .. }), "{err:?}");
        assert_eq!(
            vault.get(&id, Algorithm::Sha256).unwrap(),
            SeedLookup::Missing
        );
    }

    #[test]
    fn invalid_token_ids_are_refused() {
        let vault = vault();
        for bad in ["", "a@b", "a/b", "with space"] {
            assert!(matches!(
                vault.get(bad, Algorithm::Sha1),
                Err(KeystoreError::Failed { .. })
            ));
        }
    }

    #[test]
    fn debug_output_shows_no_seed() {
        let vault = vault();
        let id = unique_id("debug");
        let _cleanup = Cleanup(&vault, id.clone());
        let seed = random_seed(Algorithm::Sha1);
        vault.put(&id, Algorithm::Sha1, &seed).unwrap();
        let lookup = vault.get(&id, Algorithm::Sha1).unwrap();
        let shown_lookup = format!("{lookup:?}");
        assert_eq!(shown_lookup, "Found(Seed(<20 bytes redacted>))");
        assert_no_seed_bytes(&shown_lookup, &seed);
        let shown_vault = format!("{vault:?}");
        assert!(shown_vault.contains("keyutils"), "{shown_vault}");
        assert_no_seed_bytes(&shown_vault, &seed);
    }
}

mod foreign_store {
    use super::*;

    fn vault_on(memory: &Arc<MemorySecretStore>) -> SeedVault {
        SeedVault::new(StoreChoice::Foreign(memory.clone())).unwrap()
    }

    fn unavailable() -> SecretStoreError {
        SecretStoreError::Unavailable {
            reason: "device locked".to_string(),
        }
    }

    #[test]
    fn round_trip_through_the_adapter_in_the_documented_format() {
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        for algorithm in Algorithm::ALL {
            let id = unique_id("foreign");
            let seed = random_seed(algorithm);
            vault.put(&id, algorithm, &seed).unwrap();
            let stored = memory
                .get(format!("{SEED_SERVICE}/{id}"))
                .unwrap()
                .expect("stored under service/user");
            assert_eq!(stored[0], 1);
            assert_eq!(stored[1], algorithm.wire_code());
            assert_eq!(&stored[2..], seed.expose());
            assert_eq!(vault.get(&id, algorithm).unwrap(), SeedLookup::Found(seed));
            vault.delete(&id).unwrap();
            vault.delete(&id).unwrap();
            assert_eq!(vault.get(&id, algorithm).unwrap(), SeedLookup::Missing);
        }
        assert!(memory.is_empty());
    }

    #[test]
    fn unavailable_on_set_is_reported_and_stores_nothing() {
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        let id = unique_id("locked");
        memory.fail_next_set(unavailable());
        assert_eq!(
            vault.put(&id, Algorithm::Sha1, &random_seed(Algorithm::Sha1)),
            Err(KeystoreError::Unavailable {
                reason: "device locked".to_string()
            })
        );
        assert!(memory.is_empty());
        assert_eq!(
            vault.get(&id, Algorithm::Sha1).unwrap(),
            SeedLookup::Missing
        );
    }

    #[test]
    fn failed_on_set_is_reported_as_failed() {
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        memory.fail_next_set(SecretStoreError::Failed {
            reason: "keystore broken".to_string(),
        });
        assert_eq!(
            vault.put(
                &unique_id("broken"),
                Algorithm::Sha1,
                &random_seed(Algorithm::Sha1)
            ),
            Err(KeystoreError::Failed {
                reason: "keystore broken".to_string()
            })
        );
        assert!(memory.is_empty());
    }

    #[test]
    fn unavailable_on_get_is_an_error_not_a_missing_seed() {
        // A locked device must not look like a lost seed (which would mean re-setup).
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        let id = unique_id("locked-read");
        let seed = random_seed(Algorithm::Sha256);
        vault.put(&id, Algorithm::Sha256, &seed).unwrap();
        memory.fail_next_get(unavailable());
        assert!(matches!(
            vault.get(&id, Algorithm::Sha256),
            Err(KeystoreError::Unavailable { .. })
        ));
        assert_eq!(
            vault.get(&id, Algorithm::Sha256).unwrap(),
            SeedLookup::Found(seed)
        );
    }

    #[test]
    fn failing_delete_keeps_the_seed() {
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        let id = unique_id("keep");
        let seed = random_seed(Algorithm::Sha1);
        vault.put(&id, Algorithm::Sha1, &seed).unwrap();
        memory.fail_all(Some(unavailable()));
        assert!(matches!(
            vault.delete(&id),
            Err(KeystoreError::Unavailable { .. })
        ));
        memory.fail_all(None);
        assert_eq!(
            vault.get(&id, Algorithm::Sha1).unwrap(),
            SeedLookup::Found(seed)
        );
    }

    #[test]
    fn a_restore_on_a_new_phone_reads_as_missing() {
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        let ids: Vec<String> = (0..3).map(|_| unique_id("restored")).collect();
        for id in &ids {
            vault
                .put(id, Algorithm::Sha1, &random_seed(Algorithm::Sha1))
                .unwrap();
        }
        memory.remove_all();
        for id in &ids {
            assert_eq!(vault.get(id, Algorithm::Sha1).unwrap(), SeedLookup::Missing);
        }
    }

    #[test]
    fn foreign_bytes_are_unreadable() {
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        let id = unique_id("raw");
        let seed = random_seed(Algorithm::Sha1);
        memory
            .set(
                format!("{SEED_SERVICE}/{id}"),
                [&[2u8, 1][..], seed.expose()].concat(),
            )
            .unwrap();
        assert_eq!(
            vault.get(&id, Algorithm::Sha1).unwrap(),
            SeedLookup::Unreadable
        );
        assert!(memory.contains_key(&format!("{SEED_SERVICE}/{id}")));
    }

    #[test]
    fn the_adapter_speaks_keyring_core() {
        let memory = Arc::new(MemorySecretStore::new());
        let store = ForeignStore::new(memory.clone());
        let entry = store.build(SEED_SERVICE, "direct", None).unwrap();
        assert!(matches!(
            entry.get_secret(),
            Err(keyring_core::Error::NoEntry)
        ));
        entry.set_secret(&[1, 2, 3]).unwrap();
        assert_eq!(entry.get_secret().unwrap(), vec![1, 2, 3]);
        memory.fail_next_get(unavailable());
        assert!(matches!(
            entry.get_secret(),
            Err(keyring_core::Error::NoStorageAccess(_))
        ));
        memory.fail_next_get(SecretStoreError::Failed {
            reason: "x".to_string(),
        });
        assert!(matches!(
            entry.get_secret(),
            Err(keyring_core::Error::PlatformFailure(_))
        ));
    }

    #[test]
    fn debug_output_shows_no_seed() {
        let memory = Arc::new(MemorySecretStore::new());
        let vault = vault_on(&memory);
        let id = unique_id("debug");
        let seed = random_seed(Algorithm::Sha512);
        vault.put(&id, Algorithm::Sha512, &seed).unwrap();
        let lookup = vault.get(&id, Algorithm::Sha512).unwrap();
        for shown in [
            format!("{lookup:?}"),
            format!("{vault:?}"),
            format!("{memory:?}"),
            format!("{:?}", StoreChoice::Foreign(memory.clone())),
        ] {
            assert_no_seed_bytes(&shown, &seed);
        }
        assert_eq!(format!("{lookup:?}"), "Found(Seed(<64 bytes redacted>))");
    }
}
