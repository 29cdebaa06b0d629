//! The seed vault: which keystore holds the seeds, how entries are named, the stored format.
//!
//! Seeds live only in a keystore reached through keyring-core's credential-store API: the
//! platform's own ([`StoreChoice::Platform`]) or one the shell provides
//! ([`StoreChoice::Foreign`], adapted by [`ForeignStore`]).
//!
//! # Entries
//!
//! One entry per token: service [`SEED_SERVICE`] (`dev.softtoken.seed`), user = the token id.
//! Token ids are 1–128 ASCII letters, digits, `-`, `_` or `.`, so the name means the same in
//! every store (no store's divider or wildcard can appear in it).
//!
//! # Stored format (version 1)
//!
//! ```text
//! byte 0      format version, 1
//! byte 1      algorithm wire code: 1 = SHA-1, 2 = SHA-256, 3 = SHA-512
//! bytes 2..   the seed, exactly Algorithm::seed_len() bytes (20, 32 or 64)
//! ```
//!
//! Anything else — another version, an algorithm other than the one the token's metadata
//! expects, another length — reads as [`SeedLookup::Unreadable`]. A missing entry reads as
//! [`SeedLookup::Missing`]. Both mean "needs re-setup" to the caller; neither is an error, and
//! neither ever yields a seed, so no wrong code can be shown. The vault never deletes an entry
//! except through [`SeedVault::delete`].

mod platform;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};
use softtoken_protocol::secret::Seed;
use softtoken_protocol::totp::Algorithm;
use zeroize::{Zeroize, Zeroizing};

use crate::secret_store::{ForeignStore, SecretStore, SecretStoreError};

/// The keyring-core service name of every seed entry.
pub const SEED_SERVICE: &str = "dev.softtoken.seed";

/// The version byte that starts every stored seed.
pub const SEED_FORMAT_VERSION: u8 = 1;

/// Longest accepted token id, in bytes.
const MAX_TOKEN_ID_LEN: usize = 128;

/// Which keystore a [`SeedVault`] uses.
#[derive(Clone)]
pub enum StoreChoice {
    /// The platform keystore for the compilation target: Linux keyutils, Android Keystore,
    /// Apple data-protection keychain (this-device-only), Windows Credential Manager.
    Platform,
    /// A keystore the shell implements.
    Foreign(Arc<dyn SecretStore>),
}

impl fmt::Debug for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreChoice::Platform => f.write_str("Platform"),
            StoreChoice::Foreign(_) => f.write_str("Foreign(..)"),
        }
    }
}

/// The result of reading a token's seed.
#[derive(Debug, PartialEq, Eq)]
pub enum SeedLookup {
    /// The seed, well-formed and for the expected algorithm. `Debug` prints only its length.
    Found(Seed),
    /// No entry: e.g. a backup restored onto a new phone. The token needs re-setup.
    Missing,
    /// An entry exists but cannot be used: invalidated key, another format version, another
    /// algorithm, wrong length. The token needs re-setup; the entry is left in place.
    Unreadable,
}

/// Why a keystore operation failed. Reasons never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    /// The keystore cannot be used right now (device locked, no session keyring, access
    /// denied): retry later or fix the setup. Nothing was changed.
    #[error("keystore unavailable: {reason}")]
    Unavailable {
        /// What made the keystore unavailable.
        reason: String,
    },
    /// The keystore failed or rejected the request.
    #[error("keystore failed: {reason}")]
    Failed {
        /// What failed.
        reason: String,
    },
    /// The keystore cannot do this on this platform.
    #[error("keystore unsupported: {reason}")]
    Unsupported {
        /// What is unsupported.
        reason: String,
    },
}

/// Seeds in a keyring-core credential store, one entry per token.
pub struct SeedVault {
    store: Arc<CredentialStore>,
    modifiers: platform::Modifiers,
}

impl fmt::Debug for SeedVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedVault")
            .field("store", &self.store.vendor())
            .finish_non_exhaustive()
    }
}

impl SeedVault {
    /// Opens the vault on the chosen keystore.
    ///
    /// Fails with [`KeystoreError::Unsupported`] for [`StoreChoice::Platform`] on a target
    /// without a platform keystore. Opening does not touch any entry.
    pub fn new(choice: StoreChoice) -> Result<SeedVault, KeystoreError> {
        let (store, modifiers) = match choice {
            StoreChoice::Platform => platform::store()?,
            StoreChoice::Foreign(inner) => (ForeignStore::new(inner), &[][..]),
        };
        Ok(SeedVault { store, modifiers })
    }

    fn entry(&self, token_id: &str) -> Result<Entry, KeystoreError> {
        check_token_id(token_id)?;
        let built = if self.modifiers.is_empty() {
            self.store.build(SEED_SERVICE, token_id, None)
        } else {
            let mods: HashMap<&str, &str> = self.modifiers.iter().copied().collect();
            self.store.build(SEED_SERVICE, token_id, Some(&mods))
        };
        built.map_err(map_keyring_error)
    }

    /// Stores `seed` for the token, replacing any previous seed.
    ///
    /// The seed must be exactly [`Algorithm::seed_len`] bytes, so that what is stored can
    /// always be read back as [`SeedLookup::Found`].
    pub fn put(
        &self,
        token_id: &str,
        algorithm: Algorithm,
        seed: &Seed,
    ) -> Result<(), KeystoreError> {
        if seed.len() != algorithm.seed_len() {
            return Err(KeystoreError::Failed {
                reason: format!(
                    "a {} seed must be {} bytes, not {}",
                    algorithm.as_str(),
                    algorithm.seed_len(),
                    seed.len()
                ),
            });
        }
        let entry = self.entry(token_id)?;
        let stored = encode(algorithm, seed);
        entry.set_secret(&stored).map_err(map_keyring_error)
    }

    /// Reads the token's seed, expecting `algorithm` (from the token's metadata).
    ///
    /// `Missing` and `Unreadable` are answers, not errors: both mean "needs re-setup". An
    /// error means the keystore could not be asked (locked, unavailable) and says nothing
    /// about the seed.
    pub fn get(&self, token_id: &str, algorithm: Algorithm) -> Result<SeedLookup, KeystoreError> {
        let entry = self.entry(token_id)?;
        match entry.get_secret() {
            Ok(stored) => Ok(decode(algorithm, Zeroizing::new(stored))),
            Err(keyring_core::Error::NoEntry) => Ok(SeedLookup::Missing),
            // The store found the entry but could not decrypt or parse it (Android: a key
            // invalidated or a file restored onto another phone).
            Err(keyring_core::Error::BadDataFormat(mut data, _)) => {
                data.zeroize();
                Ok(SeedLookup::Unreadable)
            }
            Err(other) => Err(map_keyring_error(other)),
        }
    }

    /// Removes the token's seed. Removing a seed that is not there succeeds.
    pub fn delete(&self, token_id: &str) -> Result<(), KeystoreError> {
        let entry = self.entry(token_id)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(other) => Err(map_keyring_error(other)),
        }
    }
}

/// Token ids are restricted so the entry name is unambiguous and portable across stores
/// (Linux joins user and service with `@`, Android with a BOM-wrapped `@`, the foreign
/// adapter with `/`).
fn check_token_id(token_id: &str) -> Result<(), KeystoreError> {
    let ok = !token_id.is_empty()
        && token_id.len() <= MAX_TOKEN_ID_LEN
        && token_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(KeystoreError::Failed {
            reason: format!(
                "a token id must be 1 to {MAX_TOKEN_ID_LEN} ASCII letters, digits, '-', '_' or '.'"
            ),
        })
    }
}

/// The stored bytes for a seed: `[version, algorithm code, seed…]`, in a buffer sized up front
/// so no reallocation leaves an unwiped copy behind.
fn encode(algorithm: Algorithm, seed: &Seed) -> Zeroizing<Vec<u8>> {
    let mut stored = Zeroizing::new(Vec::with_capacity(2 + seed.len()));
    stored.push(SEED_FORMAT_VERSION);
    stored.push(algorithm.wire_code());
    stored.extend_from_slice(seed.expose());
    stored
}

/// Parses stored bytes; anything but a version-1 entry for `algorithm` of the right length is
/// `Unreadable`. The input is wiped when it goes out of scope.
fn decode(algorithm: Algorithm, stored: Zeroizing<Vec<u8>>) -> SeedLookup {
    match stored.as_slice() {
        [version, code, seed @ ..]
            if *version == SEED_FORMAT_VERSION
                && *code == algorithm.wire_code()
                && seed.len() == algorithm.seed_len() =>
        {
            SeedLookup::Found(Seed::from_slice(seed))
        }
        _ => SeedLookup::Unreadable,
    }
}

/// The one place keyring-core errors become [`KeystoreError`]s.
///
/// Secret-bearing variants (`BadEncoding`, `BadDataFormat`) have their bytes wiped and never
/// reach a message. Errors that came from a shell's [`SecretStore`] keep its reason verbatim.
fn map_keyring_error(err: keyring_core::Error) -> KeystoreError {
    use keyring_core::Error as E;
    match err {
        E::NoStorageAccess(inner) => KeystoreError::Unavailable {
            reason: match inner.downcast_ref::<SecretStoreError>() {
                Some(
                    SecretStoreError::Unavailable { reason } | SecretStoreError::Failed { reason },
                ) => reason.clone(),
                None => no_access_reason(&*inner),
            },
        },
        E::PlatformFailure(inner) => KeystoreError::Failed {
            reason: match inner.downcast_ref::<SecretStoreError>() {
                Some(
                    SecretStoreError::Unavailable { reason } | SecretStoreError::Failed { reason },
                ) => reason.clone(),
                None => format!("platform keystore failure: {inner}"),
            },
        },
        E::NoEntry => KeystoreError::Failed {
            reason: "no such keystore entry".to_string(),
        },
        E::BadEncoding(mut data) => {
            data.zeroize();
            KeystoreError::Failed {
                reason: "stored secret is not text".to_string(),
            }
        }
        E::BadDataFormat(mut data, _) => {
            data.zeroize();
            KeystoreError::Failed {
                reason: "stored secret is malformed".to_string(),
            }
        }
        E::BadStoreFormat(reason) => KeystoreError::Failed {
            reason: format!("keystore is malformed: {reason}"),
        },
        E::TooLong(name, limit) => KeystoreError::Failed {
            reason: format!("{name} is longer than the keystore's limit of {limit}"),
        },
        E::Invalid(what, reason) => KeystoreError::Failed {
            reason: format!("keystore rejected {what}: {reason}"),
        },
        E::Ambiguous(entries) => KeystoreError::Failed {
            reason: format!("{} keystore entries match", entries.len()),
        },
        E::NoDefaultStore => KeystoreError::Failed {
            reason: "no keystore configured".to_string(),
        },
        E::NotSupportedByStore(reason) => KeystoreError::Unsupported { reason },
        // keyring-core's error enum is non-exhaustive; a future variant's payload is unknown,
        // so it is not printed.
        _ => KeystoreError::Failed {
            reason: "unexpected keystore error".to_string(),
        },
    }
}

/// Why the platform keystore refused access. On Linux that is the kernel keyring denying a
/// process without its own session keyring (typically root in a container or a service).
fn no_access_reason(inner: &(dyn std::error::Error + Send + Sync)) -> String {
    if cfg!(target_os = "linux") {
        format!("no session keyring: run under `keyctl session -` (the kernel said {inner})")
    } else {
        format!("platform keystore not accessible: {inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(algorithm: Algorithm) -> Seed {
        Seed::from_vec((0..algorithm.seed_len()).map(|i| i as u8 ^ 0x5A).collect())
    }

    #[test]
    fn encode_decode_round_trip() {
        for algorithm in Algorithm::ALL {
            let s = seed(algorithm);
            let stored = encode(algorithm, &s);
            assert_eq!(stored[0], 1);
            assert_eq!(stored[1], algorithm.wire_code());
            assert_eq!(&stored[2..], s.expose());
            assert_eq!(decode(algorithm, stored), SeedLookup::Found(s));
        }
    }

    #[test]
    fn decode_rejects_anything_else() {
        let good = encode(Algorithm::Sha1, &seed(Algorithm::Sha1));
        let cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![1],
            vec![1, 1],
            good[..good.len() - 1].to_vec(),
            [good.as_slice(), &[0]].concat(),
            [&[2u8, 1][..], &good[2..]].concat(),
            [&[0u8, 1][..], &good[2..]].concat(),
            [&[1u8, 9][..], &good[2..]].concat(),
        ];
        for case in cases {
            assert_eq!(
                decode(Algorithm::Sha1, Zeroizing::new(case)),
                SeedLookup::Unreadable
            );
        }
        // The right bytes for another algorithm are unreadable too.
        assert_eq!(decode(Algorithm::Sha256, good), SeedLookup::Unreadable);
    }

    #[test]
    fn token_ids_are_checked() {
        for ok in [
            "a",
            "0123abcdef",
            "tok_1.v-2",
            &"x".repeat(MAX_TOKEN_ID_LEN),
        ] {
            assert_eq!(check_token_id(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a/b",
            "a@b",
            "a b",
            "é",
            &"x".repeat(MAX_TOKEN_ID_LEN + 1),
        ] {
            assert!(check_token_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_mapping() {
        let boxed = |e: SecretStoreError| -> keyring_core::error::PlatformError { Box::new(e) };
        assert_eq!(
            map_keyring_error(keyring_core::Error::NoStorageAccess(boxed(
                SecretStoreError::Unavailable {
                    reason: "locked".to_string()
                }
            ))),
            KeystoreError::Unavailable {
                reason: "locked".to_string()
            }
        );
        assert_eq!(
            map_keyring_error(keyring_core::Error::PlatformFailure(boxed(
                SecretStoreError::Failed {
                    reason: "broken".to_string()
                }
            ))),
            KeystoreError::Failed {
                reason: "broken".to_string()
            }
        );
        let denied = map_keyring_error(keyring_core::Error::NoStorageAccess(Box::new(
            std::io::Error::other("denied"),
        )));
        match denied {
            KeystoreError::Unavailable { reason } if cfg!(target_os = "linux") => {
                assert!(reason.contains("keyctl session -"), "{reason}");
            }
            KeystoreError::Unavailable { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            map_keyring_error(keyring_core::Error::NotSupportedByStore("x".to_string())),
            KeystoreError::Unsupported { .. }
        ));
        // Secret-bearing payloads never reach the message.
        let KeystoreError::Failed { reason } =
            map_keyring_error(keyring_core::Error::BadEncoding(b"SECRETBYTES".to_vec()))
        else {
            panic!("expected Failed");
        };
        assert!(!reason.contains("SECRET"));
        let KeystoreError::Failed { reason } =
            map_keyring_error(keyring_core::Error::BadDataFormat(
                b"SECRETBYTES".to_vec(),
                Box::new(std::io::Error::other("bad")),
            ))
        else {
            panic!("expected Failed");
        };
        assert!(!reason.contains("SECRET"));
    }

    #[test]
    fn store_choice_debug_hides_the_store() {
        let choice = StoreChoice::Foreign(Arc::new(crate::secret_store::MemorySecretStore::new()));
        assert_eq!(format!("{choice:?}"), "Foreign(..)");
        assert_eq!(format!("{:?}", StoreChoice::Platform), "Platform");
    }
}
