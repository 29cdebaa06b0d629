//! Key-encryption keys (KEKs) for secrets at rest.
//!
//! Token seeds, OPAQUE password files, the per-service OPAQUE setup and in-flight activation
//! state are stored encrypted with AES-256-GCM under a KEK. The KEK comes from a file or an
//! environment variable, never from the database, so a stolen database alone reveals nothing.
//!
//! Every ciphertext is bound (as AEAD associated data) to its [`Purpose`], to the KEK version
//! and to a caller-supplied context such as the token's identity: a blob copied to another row,
//! reused for another purpose or relabelled with another key version fails to open.
//! Several KEK versions can be configured at once ([`KeyRing`]) so keys can be rotated:
//! new data is sealed under the current version, old data is opened with its own version and
//! re-sealed with [`KeyRing::rewrap`].

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand_core::{OsRng, RngCore};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::files::{Existing, readable_by_others, write_atomic};

/// Length of a KEK in bytes (AES-256).
const KEY_LEN: usize = 32;
/// Length of the AES-GCM tag appended to every ciphertext.
const TAG_LEN: usize = 16;
/// Prefix of the associated data; bump it if the layout of the associated data ever changes.
const AAD_DOMAIN: &[u8] = b"softtoken-kek-v1";
/// Longest text accepted as a key: base64 of 48 bytes. Anything longer cannot be a 32-byte key
/// in either format, and capping it keeps the decoding buffer on the stack.
const MAX_TEXT_LEN: usize = 64;
/// Largest KEK file read; a key file is 65 bytes, but editors may add a comment-free newline
/// or two and whitespace is trimmed.
const MAX_FILE_LEN: u64 = 1024;
/// What a KEK must look like, for error messages.
const EXPECTED_FORMAT: &str = "64 hex characters, or base64 (standard or URL-safe, padded \
    or not) of exactly 32 bytes — e.g. the output of `openssl rand -hex 32`";

/// Base64 decoders that accept both padded and unpadded input.
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const BASE64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Errors from loading KEKs and from sealing or opening secrets.
///
/// Messages never contain key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// A KEK given as text is not in a recognised format.
    #[error("invalid KEK: {reason}; expected {EXPECTED_FORMAT}")]
    Format {
        /// What is wrong with it (never the text itself).
        reason: String,
    },
    /// A KEK file does not contain a key in a recognised format.
    #[error(
        "KEK file {path} does not hold a valid key: {reason}; it must contain {EXPECTED_FORMAT}"
    )]
    FileFormat {
        /// The KEK file.
        path: PathBuf,
        /// What is wrong with it (never the contents).
        reason: String,
    },
    /// A KEK file is missing or unreadable.
    #[error(
        "cannot read KEK file {path}: {source}; create it with \
         `softtoken-server kek generate FILE` (or `openssl rand -hex 32 > FILE; chmod 600 FILE`) \
         or fix the configured path"
    )]
    FileRead {
        /// The KEK file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A KEK file group or others may read, and no override (`docs/server.md`, `[kek]`).
    #[error(
        "KEK file {path} has mode {mode:o}: group or others may read it; restrict it with \
         `chmod 600 {path}`, or set `allow_insecure_kek_permissions = true` under [kek] to start \
         anyway"
    )]
    FilePermissions {
        /// The KEK file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Refused to generate a KEK over an existing file.
    #[error(
        "KEK file {path} already exists; refusing to overwrite it because data sealed under \
         that key would become unreadable — move it away first if you really mean to replace it"
    )]
    FileExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A new KEK file could not be written.
    #[error(
        "cannot write KEK file {path}: {source}; check that its directory exists and is writable"
    )]
    FileWrite {
        /// The KEK file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The environment variable that should hold a KEK is not set.
    #[error("environment variable {var} is not set; set it to {EXPECTED_FORMAT}")]
    EnvMissing {
        /// The variable name.
        var: String,
    },
    /// The environment variable holds something that is not a KEK.
    #[error(
        "environment variable {var} does not hold a valid KEK: {reason}; \
         set it to {EXPECTED_FORMAT}"
    )]
    EnvFormat {
        /// The variable name.
        var: String,
        /// What is wrong with it (never the value).
        reason: String,
    },
    /// Two configured KEKs have the same version.
    #[error("KEK version {version} is configured more than once; every KEK needs its own version")]
    DuplicateVersion {
        /// The repeated version.
        version: u32,
    },
    /// Data was sealed under a KEK version that is not configured.
    #[error(
        "the KEK for version {version} is not configured; add that key (as an older KEK) to \
         read data sealed under it"
    )]
    UnknownVersion {
        /// The missing version.
        version: u32,
    },
    /// Opening failed: wrong key, tampered data, or wrong context or purpose.
    ///
    /// Deliberately one error without detail, so it reveals nothing about the cause.
    #[error("decryption failed: the data was tampered with or does not belong here")]
    Decrypt,
    /// The sealed blob is too short to be a ciphertext.
    #[error("sealed data is malformed (shorter than nonce and tag); the stored value is corrupt")]
    Malformed,
    /// The AEAD or the random generator failed; should not happen.
    #[error("the cryptographic library or the operating system random generator failed")]
    Crypto,
}

/// What a sealed secret is, bound into its ciphertext so it cannot be used as something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A token's TOTP seed.
    Seed,
    /// An OPAQUE password file (registration record).
    PasswordFile,
    /// The per-service OPAQUE server setup.
    ProviderSetup,
    /// Server state of an activation in progress.
    ActivationState,
    /// A known value sealed to check that the configured KEK is the right one.
    Check,
}

impl Purpose {
    /// The stable ASCII label bound into the ciphertext. Never change an existing label:
    /// everything sealed under it would become unreadable.
    pub const fn label(self) -> &'static str {
        match self {
            Purpose::Seed => "seed",
            Purpose::PasswordFile => "password-file",
            Purpose::ProviderSetup => "provider-setup",
            Purpose::ActivationState => "activation-state",
            Purpose::Check => "check",
        }
    }
}

/// One 32-byte AES-256-GCM key-encryption key with its version.
///
/// The raw key bytes are not kept: only ring's expanded key, which cannot be zeroized.
pub struct Kek {
    version: u32,
    key: LessSafeKey,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Kek {
    /// Parses a KEK from text: 64 hex characters, or base64 (standard or URL-safe, padded or
    /// not) of exactly 32 bytes. Surrounding whitespace is ignored.
    pub fn parse(version: u32, text: &str) -> Result<Kek, KekError> {
        let bytes = decode_key(text).map_err(|reason| KekError::Format { reason })?;
        Kek::from_bytes(version, &bytes)
    }

    /// Reads a KEK from a file holding the key as [`Kek::parse`] accepts it. A file group or
    /// others may read is refused ([`KekError::FilePermissions`]).
    pub fn from_file(version: u32, path: &Path) -> Result<Kek, KekError> {
        Self::read_file(version, path, false)
    }

    /// The same, accepting a file group or others may read (with a warning in the log): the
    /// documented override `allow_insecure_kek_permissions`.
    pub fn from_file_allowing_others_access(version: u32, path: &Path) -> Result<Kek, KekError> {
        Self::read_file(version, path, true)
    }

    fn read_file(version: u32, path: &Path, allow_others: bool) -> Result<Kek, KekError> {
        let read_err = |source| KekError::FileRead {
            path: path.to_path_buf(),
            source,
        };
        let file = fs::File::open(path).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        if let Some(mode) = readable_by_others(&file).map_err(read_err)? {
            if !allow_others {
                return Err(KekError::FilePermissions {
                    path: path.to_path_buf(),
                    mode,
                });
            }
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{mode:o}"),
                "KEK file is readable by group or others (allowed by allow_insecure_kek_permissions); \
                 restrict it with `chmod 600`"
            );
        }
        let format_err = |reason: String| KekError::FileFormat {
            path: path.to_path_buf(),
            reason,
        };
        if meta.len() > MAX_FILE_LEN {
            return Err(format_err(format!(
                "the file is {} bytes, far too large for a key",
                meta.len()
            )));
        }
        // `take` guards against the file growing after the size check; the capacity is reserved
        // up front so the buffer holding the key is never reallocated (leaving a copy unwiped).
        let mut contents = Zeroizing::new(Vec::with_capacity(MAX_FILE_LEN as usize + 1));
        file.take(MAX_FILE_LEN + 1)
            .read_to_end(&mut contents)
            .map_err(read_err)?;
        let text = std::str::from_utf8(&contents)
            .map_err(|_| format_err("the file is not text (UTF-8)".to_owned()))?;
        let bytes = decode_key(text).map_err(format_err)?;
        Kek::from_bytes(version, &bytes)
    }

    /// Reads a KEK from an environment variable holding the key as [`Kek::parse`] accepts it.
    pub fn from_env(version: u32, var: &str) -> Result<Kek, KekError> {
        // The variable itself stays in the process environment (removing it is unsafe in a
        // multi-threaded process); only our copy is wiped.
        let value = std::env::var_os(var).ok_or_else(|| KekError::EnvMissing {
            var: var.to_owned(),
        })?;
        let value = Zeroizing::new(value.into_string().map_err(|_| KekError::EnvFormat {
            var: var.to_owned(),
            reason: "the value is not valid UTF-8".to_owned(),
        })?);
        let bytes = decode_key(&value).map_err(|reason| KekError::EnvFormat {
            var: var.to_owned(),
            reason,
        })?;
        Kek::from_bytes(version, &bytes)
    }

    /// The version of this key, stored next to everything sealed under it.
    pub fn version(&self) -> u32 {
        self.version
    }

    fn from_bytes(version: u32, bytes: &[u8; KEY_LEN]) -> Result<Kek, KekError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KekError::Crypto)?;
        Ok(Kek {
            version,
            key: LessSafeKey::new(key),
        })
    }
}

/// Decodes a key from hex or base64 into a buffer wiped on drop. The error is a reason that
/// never quotes the input.
fn decode_key(text: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the value is empty".to_owned());
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(format!("{} characters is too long", text.len()));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let all_hex = text.bytes().all(|b| b.is_ascii_hexdigit());
    if all_hex && text.len() == 2 * KEY_LEN {
        hex::decode_to_slice(text, &mut key[..]).map_err(|_| "invalid hex".to_owned())?;
        return Ok(key);
    }

    // Room for the longest accepted text, so decoding never fails for lack of space and the
    // decoded length can be reported.
    let mut buf = Zeroizing::new([0u8; MAX_TEXT_LEN / 4 * 3]);
    let decoded = BASE64_STANDARD
        .decode_slice(text, &mut buf[..])
        .or_else(|_| BASE64_URL_SAFE.decode_slice(text, &mut buf[..]));
    match decoded {
        Ok(KEY_LEN) => {
            key.copy_from_slice(&buf[..KEY_LEN]);
            Ok(key)
        }
        // A hex string of the wrong length is usually also valid base64; report it as hex.
        _ if all_hex => Err(format!(
            "{} hex characters, need exactly {}",
            text.len(),
            2 * KEY_LEN
        )),
        Ok(n) => Err(format!(
            "base64 decodes to {n} bytes, need exactly {KEY_LEN}"
        )),
        Err(_) => Err("neither hex nor base64".to_owned()),
    }
}

/// Creates a new random KEK file: 64 lowercase hex characters and a newline, mode 0600.
///
/// Refuses to overwrite an existing file, since that would make everything sealed under the
/// old key unreadable.
pub fn generate_kek_file(path: &Path) -> Result<(), KekError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng
        .try_fill_bytes(&mut key[..])
        .map_err(|_| KekError::Crypto)?;
    let mut text = Zeroizing::new([0u8; 2 * KEY_LEN + 1]);
    hex::encode_to_slice(&key[..], &mut text[..2 * KEY_LEN]).map_err(|_| KekError::Crypto)?;
    text[2 * KEY_LEN] = b'\n';

    // Written beside and linked into place: a crash never leaves half a key, and "does it
    // exist?" and "create it" are one atomic step.
    write_atomic(path, &text[..], Existing::Refuse).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            KekError::FileExists {
                path: path.to_path_buf(),
            }
        } else {
            KekError::FileWrite {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    Ok(())
}

/// A secret sealed under a KEK: store both fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Version of the KEK it was sealed under.
    pub kek_version: u32,
    /// 12-byte nonce ‖ ciphertext ‖ 16-byte tag.
    pub blob: Vec<u8>,
}

/// The configured KEKs: the current one, used for sealing, and older ones kept for opening
/// data that has not been re-wrapped yet.
#[derive(Debug)]
pub struct KeyRing {
    current: u32,
    keys: BTreeMap<u32, Kek>,
}

impl KeyRing {
    /// Builds a key ring; every KEK, current or older, must have a distinct version.
    pub fn new(current: Kek, older: Vec<Kek>) -> Result<Self, KekError> {
        let current_version = current.version;
        let mut keys = BTreeMap::new();
        keys.insert(current_version, current);
        for kek in older {
            let version = kek.version;
            if keys.insert(version, kek).is_some() {
                return Err(KekError::DuplicateVersion { version });
            }
        }
        Ok(KeyRing {
            current: current_version,
            keys,
        })
    }

    /// The version new data is sealed under.
    pub fn current_version(&self) -> u32 {
        self.current
    }

    /// All configured versions, ascending.
    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// Encrypts `plaintext` under the current KEK, bound to `purpose` and `context` (e.g. the
    /// token's identity; the same context must be given to [`KeyRing::open`]).
    pub fn seal(
        &self,
        purpose: Purpose,
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<Sealed, KekError> {
        let kek = self
            .keys
            .get(&self.current)
            .ok_or(KekError::UnknownVersion {
                version: self.current,
            })?;
        // Random 96-bit nonces: safe for far more seals per key (~2^32) than this service makes
        // before the KEK is rotated.
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| KekError::Crypto)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        blob.extend_from_slice(&nonce);
        // The plaintext is copied straight into the buffer that becomes the ciphertext, which
        // has room for the tag, so no unencrypted copy is left behind in freed memory.
        blob.extend_from_slice(plaintext);
        let aad = associated_data(purpose, kek.version, context);
        let tag = kek
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut blob[NONCE_LEN..],
            )
            .map_err(|_| KekError::Crypto)?;
        blob.extend_from_slice(tag.as_ref());
        Ok(Sealed {
            kek_version: kek.version,
            blob,
        })
    }

    /// Decrypts a blob sealed under KEK `kek_version` for `purpose` and `context`.
    pub fn open(
        &self,
        purpose: Purpose,
        context: &[u8],
        kek_version: u32,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KekError> {
        let kek = self
            .keys
            .get(&kek_version)
            .ok_or(KekError::UnknownVersion {
                version: kek_version,
            })?;
        if blob.len() < NONCE_LEN + TAG_LEN {
            return Err(KekError::Malformed);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KekError::Malformed)?;
        let aad = associated_data(purpose, kek_version, context);
        // Decrypted in a buffer that is wiped on drop, whether opening succeeds or not.
        let mut buf = Zeroizing::new(sealed.to_vec());
        let len = kek
            .key
            .open_in_place(nonce, Aad::from(&aad), &mut buf[..])
            .map_err(|_| KekError::Decrypt)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    /// Re-seals a blob from KEK `kek_version` under the current KEK, for key rotation.
    pub fn rewrap(
        &self,
        purpose: Purpose,
        context: &[u8],
        kek_version: u32,
        blob: &[u8],
    ) -> Result<Sealed, KekError> {
        let plaintext = self.open(purpose, context, kek_version, blob)?;
        self.seal(purpose, context, &plaintext)
    }
}

/// `"softtoken-kek-v1" ‖ u8(len label) ‖ label ‖ u32be(kek_version) ‖ context`.
///
/// The context comes last and everything before it has a fixed or prefixed length, so no two
/// different (purpose, version, context) triples give the same bytes.
fn associated_data(purpose: Purpose, kek_version: u32, context: &[u8]) -> Vec<u8> {
    let label = purpose.label().as_bytes();
    let mut aad = Vec::with_capacity(AAD_DOMAIN.len() + 1 + label.len() + 4 + context.len());
    aad.extend_from_slice(AAD_DOMAIN);
    // Labels are short constants (see `Purpose::label`), far below 256 bytes.
    aad.push(label.len() as u8);
    aad.extend_from_slice(label);
    aad.extend_from_slice(&kek_version.to_be_bytes());
    aad.extend_from_slice(context);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose;

    const HEX_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const HEX_B: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    fn kek(version: u32, hex: &str) -> Kek {
        Kek::parse(version, hex).unwrap()
    }

    fn ring_v1() -> KeyRing {
        KeyRing::new(kek(1, HEX_A), vec![]).unwrap()
    }

    /// Two keys decrypt the same way iff they are the same key.
    fn same_key(a: Kek, b: Kek) -> bool {
        let sealed = KeyRing::new(a, vec![])
            .unwrap()
            .seal(Purpose::Check, b"ctx", b"probe")
            .unwrap();
        KeyRing::new(b, vec![])
            .unwrap()
            .open(Purpose::Check, b"ctx", sealed.kek_version, &sealed.blob)
            .is_ok()
    }

    #[test]
    fn round_trip() {
        let ring = ring_v1();
        for plaintext in [&b""[..], b"x", &[7u8; 1000]] {
            let sealed = ring.seal(Purpose::Seed, b"token-1", plaintext).unwrap();
            assert_eq!(sealed.kek_version, 1);
            assert_eq!(sealed.blob.len(), NONCE_LEN + plaintext.len() + TAG_LEN);
            let opened = ring
                .open(Purpose::Seed, b"token-1", 1, &sealed.blob)
                .unwrap();
            assert_eq!(&opened[..], plaintext);
        }
    }

    #[test]
    fn seals_of_the_same_plaintext_differ() {
        let ring = ring_v1();
        let a = ring.seal(Purpose::Seed, b"t", b"same").unwrap();
        let b = ring.seal(Purpose::Seed, b"t", b"same").unwrap();
        assert_ne!(a.blob, b.blob);
        assert_ne!(a.blob[..NONCE_LEN], b.blob[..NONCE_LEN]);
    }

    #[test]
    fn wrong_purpose_context_or_key_fails() {
        let ring = ring_v1();
        let sealed = ring.seal(Purpose::Seed, b"token-1", b"secret").unwrap();
        let open = |purpose, context: &[u8]| ring.open(purpose, context, 1, &sealed.blob);
        assert!(matches!(
            open(Purpose::PasswordFile, b"token-1"),
            Err(KekError::Decrypt)
        ));
        assert!(matches!(
            open(Purpose::Seed, b"token-2"),
            Err(KekError::Decrypt)
        ));
        assert!(matches!(open(Purpose::Seed, b""), Err(KekError::Decrypt)));

        let other = KeyRing::new(kek(1, HEX_B), vec![]).unwrap();
        assert!(matches!(
            other.open(Purpose::Seed, b"token-1", 1, &sealed.blob),
            Err(KekError::Decrypt)
        ));
    }

    #[test]
    fn version_is_bound_even_with_identical_key_bytes() {
        // Same key material under two versions: the version in the AAD still tells them apart.
        let ring = KeyRing::new(kek(2, HEX_A), vec![kek(1, HEX_A)]).unwrap();
        let sealed = ring.seal(Purpose::Seed, b"t", b"secret").unwrap();
        assert_eq!(sealed.kek_version, 2);
        assert!(matches!(
            ring.open(Purpose::Seed, b"t", 1, &sealed.blob),
            Err(KekError::Decrypt)
        ));
        assert!(ring.open(Purpose::Seed, b"t", 2, &sealed.blob).is_ok());
    }

    #[test]
    fn tampering_with_any_byte_fails() {
        let ring = ring_v1();
        let sealed = ring.seal(Purpose::ActivationState, b"a", b"state").unwrap();
        for i in 0..sealed.blob.len() {
            let mut blob = sealed.blob.clone();
            blob[i] ^= 0x01;
            assert!(
                matches!(
                    ring.open(Purpose::ActivationState, b"a", 1, &blob),
                    Err(KekError::Decrypt)
                ),
                "byte {i}"
            );
        }
        let mut longer = sealed.blob.clone();
        longer.push(0);
        assert!(matches!(
            ring.open(Purpose::ActivationState, b"a", 1, &longer),
            Err(KekError::Decrypt)
        ));
    }

    #[test]
    fn short_blob_is_malformed() {
        let ring = ring_v1();
        for len in [0, 1, NONCE_LEN, NONCE_LEN + TAG_LEN - 1] {
            assert!(matches!(
                ring.open(Purpose::Seed, b"t", 1, &vec![0u8; len]),
                Err(KekError::Malformed)
            ));
        }
        // Exactly nonce + tag is an empty ciphertext: well-formed, but not authentic.
        assert!(matches!(
            ring.open(Purpose::Seed, b"t", 1, &[0u8; NONCE_LEN + TAG_LEN]),
            Err(KekError::Decrypt)
        ));
    }

    #[test]
    fn unknown_version() {
        let ring = ring_v1();
        let sealed = ring.seal(Purpose::Seed, b"t", b"s").unwrap();
        let err = ring.open(Purpose::Seed, b"t", 7, &sealed.blob).unwrap_err();
        assert!(matches!(err, KekError::UnknownVersion { version: 7 }));
        assert!(err.to_string().contains('7'));
        assert!(matches!(
            ring.rewrap(Purpose::Seed, b"t", 7, &sealed.blob),
            Err(KekError::UnknownVersion { version: 7 })
        ));
    }

    #[test]
    fn duplicate_versions_are_rejected() {
        assert!(matches!(
            KeyRing::new(kek(1, HEX_A), vec![kek(1, HEX_B)]),
            Err(KekError::DuplicateVersion { version: 1 })
        ));
        assert!(matches!(
            KeyRing::new(kek(3, HEX_A), vec![kek(1, HEX_B), kek(1, HEX_A)]),
            Err(KekError::DuplicateVersion { version: 1 })
        ));
        let ring = KeyRing::new(kek(3, HEX_A), vec![kek(1, HEX_B), kek(2, HEX_B)]).unwrap();
        assert_eq!(ring.current_version(), 3);
        assert_eq!(ring.versions().collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn rewrap_moves_data_to_the_current_key() {
        let old = KeyRing::new(kek(1, HEX_A), vec![]).unwrap();
        let sealed = old
            .seal(Purpose::PasswordFile, b"user-9", b"record")
            .unwrap();

        let rotated = KeyRing::new(kek(2, HEX_B), vec![kek(1, HEX_A)]).unwrap();
        let rewrapped = rotated
            .rewrap(Purpose::PasswordFile, b"user-9", 1, &sealed.blob)
            .unwrap();
        assert_eq!(rewrapped.kek_version, 2);

        // After rotation, the old key is no longer needed.
        let new_only = KeyRing::new(kek(2, HEX_B), vec![]).unwrap();
        let opened = new_only
            .open(Purpose::PasswordFile, b"user-9", 2, &rewrapped.blob)
            .unwrap();
        assert_eq!(&opened[..], b"record");
        assert!(matches!(
            new_only.open(Purpose::PasswordFile, b"user-9", 1, &sealed.blob),
            Err(KekError::UnknownVersion { version: 1 })
        ));
        // Rewrap checks authenticity like open does.
        assert!(matches!(
            rotated.rewrap(Purpose::PasswordFile, b"user-8", 1, &sealed.blob),
            Err(KekError::Decrypt)
        ));
    }

    #[test]
    fn associated_data_layout_is_stable() {
        let aad = associated_data(Purpose::PasswordFile, 0x0102_0304, b"ctx");
        let mut expected = b"softtoken-kek-v1".to_vec();
        expected.push(13);
        expected.extend_from_slice(b"password-file");
        expected.extend_from_slice(&[1, 2, 3, 4]);
        expected.extend_from_slice(b"ctx");
        assert_eq!(aad, expected);

        let labels = [
            Purpose::Seed,
            Purpose::PasswordFile,
            Purpose::ProviderSetup,
            Purpose::ActivationState,
            Purpose::Check,
        ]
        .map(Purpose::label);
        assert_eq!(
            labels,
            [
                "seed",
                "password-file",
                "provider-setup",
                "activation-state",
                "check"
            ]
        );
    }

    #[test]
    fn parse_accepts_hex_and_base64_variants() {
        let raw: Vec<u8> = (0u8..32).collect();
        let variants = [
            HEX_A.to_owned(),
            HEX_A.to_uppercase(),
            format!("  {HEX_A}\n"),
            general_purpose::STANDARD.encode(&raw),
            general_purpose::STANDARD_NO_PAD.encode(&raw),
            general_purpose::URL_SAFE.encode(&raw),
            general_purpose::URL_SAFE_NO_PAD.encode(&raw),
            format!("\t{}\r\n", general_purpose::STANDARD.encode(&raw)),
        ];
        for text in &variants {
            let parsed = Kek::parse(5, text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(parsed.version(), 5);
            assert!(same_key(parsed, kek(5, HEX_A)), "{text:?}");
        }
        // Keys whose base64 differs between the alphabets ('+' '/' versus '-' '_').
        let raw = [0xfbu8; 32];
        let standard = general_purpose::STANDARD.encode(raw);
        let url_safe = general_purpose::URL_SAFE_NO_PAD.encode(raw);
        assert!(standard.contains('+') || standard.contains('/'));
        assert!(same_key(
            Kek::parse(1, &standard).unwrap(),
            Kek::parse(1, &url_safe).unwrap()
        ));
    }

    #[test]
    fn parse_rejects_bad_input() {
        let reason = |text: &str| match Kek::parse(1, text) {
            Err(KekError::Format { reason }) => reason,
            other => panic!("{text:?}: {other:?}"),
        };
        assert!(reason("").contains("empty"));
        assert!(reason("   \n").contains("empty"));
        assert!(reason(&HEX_A[..62]).contains("62 hex characters"));
        assert!(reason(&format!("{HEX_A}00")).contains("too long"));
        let short = general_purpose::STANDARD.encode([1u8; 31]);
        assert!(reason(&short).contains("31 bytes"));
        let long = general_purpose::STANDARD.encode([1u8; 33]);
        assert!(reason(&long).contains("33 bytes"));
        // 64 characters, but 'g' is neither hex nor (with '!') base64.
        let bad = format!("{}g!", &HEX_A[..62]);
        assert!(reason(&bad).contains("neither hex nor base64"));
        assert!(reason("not a key at all!").contains("neither hex nor base64"));
        // Mixing the two base64 alphabets is not a key either.
        assert!(Kek::parse(1, &format!("+_{}", &"A".repeat(41))).is_err());

        // The message names the expected format and never echoes the input.
        let secretish = "c2VjcmV0LXNlY3JldC1zZWNyZXQ";
        let err = Kek::parse(1, secretish).unwrap_err().to_string();
        assert!(err.contains("64 hex characters"), "{err}");
        assert!(!err.contains(secretish), "{err}");
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let k = kek(1, HEX_B);
        let shown = format!("{k:?}");
        assert_eq!(shown, "Kek { version: 1, .. }");
        let ring = KeyRing::new(k, vec![kek(0, HEX_A)]).unwrap();
        let shown = format!("{ring:?}").to_lowercase();
        for needle in ["ffeedd", "000102", "key:"] {
            assert!(!shown.contains(needle), "{shown}");
        }
    }

    #[test]
    fn generated_file_is_hex_owner_only_and_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("kek.hex");
        generate_kek_file(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 65);
        assert!(text.ends_with('\n'));
        assert!(
            text[..64]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }

        let err = generate_kek_file(&path).unwrap_err();
        assert!(matches!(err, KekError::FileExists { path: ref p } if *p == path));
        assert!(err.to_string().contains(&*path.to_string_lossy()));
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "file untouched");

        // The file loads, and holds the key its text says.
        let loaded = Kek::from_file(3, &path).unwrap();
        assert_eq!(loaded.version(), 3);
        assert!(same_key(loaded, kek(3, &text)));

        // Two generated keys differ.
        let other = tmp.path().join("other.hex");
        generate_kek_file(&other).unwrap();
        assert_ne!(fs::read_to_string(&other).unwrap(), text);

        // A directory that does not exist is a write error naming the path.
        let nowhere = tmp.path().join("no-such-dir/kek.hex");
        let err = generate_kek_file(&nowhere).unwrap_err();
        assert!(matches!(err, KekError::FileWrite { ref path, .. } if *path == nowhere));
    }

    /// Writes a key file the way an operator should: owner-only.
    fn write_key_file(path: &Path, contents: impl AsRef<[u8]>) {
        fs::write(path, contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_may_read_is_refused_unless_allowed() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("kek.hex");
        for mode in [0o644, 0o666, 0o640, 0o604] {
            fs::write(&path, format!("{HEX_A}\n")).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = Kek::from_file(1, &path).unwrap_err();
            assert!(
                matches!(err, KekError::FilePermissions { mode: m, .. } if m == mode),
                "{mode:o}: {err}"
            );
            let message = err.to_string();
            assert!(message.contains("chmod 600"), "{message}");
            assert!(
                message.contains("allow_insecure_kek_permissions"),
                "{message}"
            );
            let allowed = Kek::from_file_allowing_others_access(1, &path).unwrap();
            assert!(same_key(allowed, kek(1, HEX_A)));
            fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn from_file_errors_name_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("missing.key");
        let err = Kek::from_file(1, &missing).unwrap_err();
        assert!(matches!(err, KekError::FileRead { ref path, .. } if *path == missing));
        assert!(err.to_string().contains(&*missing.to_string_lossy()));

        let bad = tmp.path().join("bad.key");
        write_key_file(&bad, "hunter2\n");
        let err = Kek::from_file(1, &bad).unwrap_err();
        assert!(matches!(err, KekError::FileFormat { ref path, .. } if *path == bad));
        let msg = err.to_string();
        assert!(msg.contains(&*bad.to_string_lossy()), "{msg}");
        assert!(msg.contains("64 hex characters"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");

        let binary = tmp.path().join("binary.key");
        write_key_file(&binary, [0xffu8, 0xfe, 0x00]);
        assert!(matches!(
            Kek::from_file(1, &binary),
            Err(KekError::FileFormat { .. })
        ));

        let huge = tmp.path().join("huge.key");
        write_key_file(&huge, "0".repeat(4096));
        assert!(matches!(
            Kek::from_file(1, &huge),
            Err(KekError::FileFormat { .. })
        ));

        // base64 in a file.
        let b64 = tmp.path().join("b64.key");
        let raw: Vec<u8> = (0u8..32).collect();
        write_key_file(&b64, general_purpose::STANDARD.encode(&raw) + "\n");
        assert!(same_key(Kek::from_file(1, &b64).unwrap(), kek(1, HEX_A)));
    }

    /// Environment variable the child process of `from_env_reads_the_variable` gets.
    const CHILD_VAR: &str = "SOFTTOKEN_KEK_TEST_FROM_ENV";

    #[test]
    fn from_env_reads_the_variable() {
        // Setting variables in this process needs `unsafe` (forbidden here), so the test runs
        // itself again as a child process with the variable set.
        if let Some(expected) = std::env::var_os("SOFTTOKEN_KEK_TEST_EXPECTED") {
            let expected = expected.into_string().unwrap();
            let loaded = Kek::from_env(4, CHILD_VAR).unwrap();
            assert_eq!(loaded.version(), 4);
            assert!(same_key(loaded, kek(4, &expected)));
            return;
        }
        let raw = [0x5au8; 32];
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "secrets::kek::tests::from_env_reads_the_variable",
            ])
            .args(["--test-threads", "1"])
            .env(
                CHILD_VAR,
                format!(" {}\n", general_purpose::URL_SAFE.encode(raw)),
            )
            .env("SOFTTOKEN_KEK_TEST_EXPECTED", hex::encode(raw))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(
            stdout.contains("1 passed"),
            "the child ran no test: {stdout}"
        );
    }

    #[test]
    fn from_env_errors_name_the_variable() {
        let var = "SOFTTOKEN_KEK_TEST_SURELY_UNSET_VARIABLE";
        let err = Kek::from_env(1, var).unwrap_err();
        assert!(matches!(err, KekError::EnvMissing { var: ref v } if v == var));
        assert!(err.to_string().contains(var));

        // PATH is set in any test environment and is no key.
        if let Some(path) = std::env::var_os("PATH") {
            let err = Kek::from_env(1, "PATH").unwrap_err();
            assert!(matches!(err, KekError::EnvFormat { var: ref v, .. } if v == "PATH"));
            let msg = err.to_string();
            assert!(msg.contains("PATH"), "{msg}");
            if let Some(path) = path.to_str().filter(|p| p.len() > 4) {
                assert!(!msg.contains(path), "{msg}");
            }
        }
    }
}
