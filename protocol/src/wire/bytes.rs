//! Binary fields as base64url strings.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest binary field in any v1 message, in bytes (KE2 is 320 bytes).
pub const MAX_FIELD_BYTES: usize = 1024;

/// A binary field, carried as base64url without padding (RFC 4648 §5).
///
/// Decoding refuses padding, the standard alphabet, and anything over [`MAX_FIELD_BYTES`].
/// `Debug` shows only the length: these fields are handshake messages and MACs.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(value: Vec<u8>) -> Self {
        Self(value)
    }
}

impl From<&[u8]> for Bytes {
    fn from(value: &[u8]) -> Self {
        Self(value.to_vec())
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes(<{} bytes>)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        // base64 expands 3 bytes to 4 characters: refuse long text before decoding it.
        if text.len() > MAX_FIELD_BYTES.div_ceil(3) * 4 {
            return Err(serde::de::Error::custom("binary field too long"));
        }
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom("binary field is not base64url without padding"))
    }
}
