//! Bank API keys: `st_<key id>.<secret>`. The key id (16 hex characters) names the key in the
//! database, in logs and in the audit actor; the secret (32 random bytes, base64url) is shown
//! once when the key is made and stored only as its SHA-256, compared in constant time.

use rand_core::{OsRng, RngCore};
use ring::digest;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::ids::random_id;

/// Prefix of every bank API key.
pub const KEY_PREFIX: &str = "st_";

/// Longest key id and secret read from a presented key: anything longer is no key of ours,
/// and is refused before any hashing or lookup.
const MAX_KEY_ID_LEN: usize = 64;
const MAX_SECRET_LEN: usize = 128;

/// A key just made: what to store, and the key to show once.
pub struct NewApiKey {
    /// The public key id.
    pub key_id: String,
    /// SHA-256 of the secret: all the database keeps.
    pub secret_sha256: Vec<u8>,
    /// The whole key as the bank presents it; wiped on drop.
    pub key: Zeroizing<String>,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Makes a new random key.
pub fn generate() -> NewApiKey {
    // 8 random bytes name the key, in hex: an id can never start with '-' (which a command line
    // would read as a flag) or contain the '.' separating it from the secret.
    let mut id = [0u8; 8];
    OsRng.fill_bytes(&mut id);
    let key_id = hex::encode(id);
    let secret = Zeroizing::new(random_id(32));
    NewApiKey {
        secret_sha256: sha256(secret.as_str()),
        key: Zeroizing::new(format!("{KEY_PREFIX}{key_id}.{}", secret.as_str())),
        key_id,
    }
}

/// A key as a bank presented it: its id, and the hash of its secret (the secret itself is not
/// kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedKey<'a> {
    /// The key id.
    pub key_id: &'a str,
    /// SHA-256 of the presented secret.
    pub secret_sha256: Vec<u8>,
}

impl PresentedKey<'_> {
    /// Whether the presented secret is the one whose hash is `stored_sha256`, in constant time.
    pub fn matches(&self, stored_sha256: &[u8]) -> bool {
        self.secret_sha256.as_slice().ct_eq(stored_sha256).into()
    }
}

/// Reads a presented key (`st_<key id>.<secret>`, surrounding whitespace ignored). `None` for
/// anything that cannot be a key of ours.
pub fn parse(presented: &str) -> Option<PresentedKey<'_>> {
    let (key_id, secret) = presented.trim().strip_prefix(KEY_PREFIX)?.split_once('.')?;
    if key_id.len() > MAX_KEY_ID_LEN || secret.len() > MAX_SECRET_LEN {
        return None;
    }
    Some(PresentedKey {
        key_id,
        secret_sha256: sha256(secret),
    })
}

fn sha256(secret: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, secret.as_bytes())
        .as_ref()
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_parses_back_and_matches_only_its_own_hash() {
        let new = generate();
        assert_eq!(new.key_id.len(), 16);
        assert!(new.key.starts_with("st_"));
        let padded = format!(" {} ", new.key.as_str());
        let presented = parse(&padded).unwrap();
        assert_eq!(presented.key_id, new.key_id);
        assert!(presented.matches(&new.secret_sha256));
        assert!(!presented.matches(&generate().secret_sha256));
        assert!(!format!("{new:?}").contains(new.key.as_str()));
    }

    #[test]
    fn what_is_no_key_is_refused() {
        for text in [
            "",
            "nope",
            "st_abc",
            "xx_abc.def",
            &format!("st_{}.x", "a".repeat(65)),
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        assert_eq!(parse("st_abc.def").unwrap().key_id, "abc");
    }
}
