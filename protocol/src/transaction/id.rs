//! The transaction id: 16 random bytes chosen by the provider, written as 22 base64url
//! characters (9.2). It is the handle every party uses and the first field of the canonical
//! bytes, so two transactions with the same payee and amount still differ.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};

use super::{TransactionError, TransactionField};

/// A transaction id: exactly 22 base64url characters (no padding) encoding 16 bytes.
///
/// Not secret, so `Debug` shows it. Only canonical encodings parse (the last character's unused
/// bits must be zero), so one id has one spelling and the canonical bytes are unambiguous.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId([u8; TransactionId::LEN]);

impl TransactionId {
    /// Length of the text form, in ASCII characters.
    pub const LEN: usize = 22;
    /// Number of random bytes behind an id.
    pub const RANDOM_BYTES: usize = 16;

    /// A fresh id from the system's random number generator (ring's `SystemRandom`).
    pub fn generate() -> Result<TransactionId, TransactionError> {
        let mut bytes = [0u8; Self::RANDOM_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| TransactionError::Random)?;
        Ok(Self::from_bytes(bytes))
    }

    /// The id of these 16 bytes (for fixed examples and tests; providers use [`generate`]).
    ///
    /// [`generate`]: TransactionId::generate
    pub fn from_bytes(bytes: [u8; Self::RANDOM_BYTES]) -> TransactionId {
        let mut text = [0u8; Self::LEN];
        // 16 bytes always encode to exactly 22 characters, so this cannot fail.
        let _ = URL_SAFE_NO_PAD.encode_slice(bytes, &mut text);
        TransactionId(text)
    }

    /// Parses an id as received: exactly 22 canonical base64url characters of 16 bytes.
    pub fn parse(input: &str) -> Result<TransactionId, TransactionError> {
        let invalid = TransactionError::Invalid {
            field: TransactionField::TransactionId,
        };
        let text: [u8; Self::LEN] = input.as_bytes().try_into().map_err(|_| invalid.clone())?;
        let mut bytes = [0u8; Self::RANDOM_BYTES + 2];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut bytes) {
            // The engine refuses non-zero trailing bits, so this is the one spelling.
            Ok(Self::RANDOM_BYTES) => Ok(TransactionId(text)),
            _ => Err(invalid),
        }
    }

    /// The 22-character text form.
    pub fn as_str(&self) -> &str {
        // Only base64url characters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TransactionId")
            .field(&self.as_str())
            .finish()
    }
}

impl serde::Serialize for TransactionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TransactionId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        TransactionId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_id_is_sixteen_counting_bytes() {
        let id = TransactionId::from_bytes(core::array::from_fn(|i| i as u8));
        assert_eq!(id.as_str(), "AAECAwQFBgcICQoLDA0ODw");
        assert_eq!(TransactionId::parse("AAECAwQFBgcICQoLDA0ODw").unwrap(), id);
    }

    #[test]
    fn generated_ids_parse_and_differ() {
        let a = TransactionId::generate().unwrap();
        let b = TransactionId::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(TransactionId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn non_canonical_and_malformed_ids_are_refused() {
        for bad in [
            "",
            "AAECAwQFBgcICQoLDA0ODx", // non-zero trailing bits
            "AAECAwQFBgcICQoLDA0OD",  // 21 characters
            "AAECAwQFBgcICQoLDA0ODw==",
            "AAECAwQFBgcICQoLDA0OD+",
            "ＡAECAwQFBgcICQoLDA0ODw",
        ] {
            assert_eq!(
                TransactionId::parse(bad).unwrap_err(),
                TransactionError::Invalid {
                    field: TransactionField::TransactionId
                },
                "{bad}"
            );
        }
    }
}
