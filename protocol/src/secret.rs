//! The token seed: the one secret the app and the provider share after activation.
//!
//! It is derived on both sides (never sent), lives in the platform keystore on the phone and
//! encrypted at rest on the provider. In memory it is wiped when dropped, it never prints, and
//! two seeds are compared in constant time only.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A token seed (the TOTP HMAC key): 20, 32 or 64 bytes for SHA-1, SHA-256 or SHA-512.
///
/// `Debug` prints only the length; the bytes are zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Seed(Vec<u8>);

impl Seed {
    /// Takes ownership of the seed bytes (the caller's buffer moves in, no copy is left behind).
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Copies the seed bytes from a slice; the caller remains responsible for wiping its copy.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The raw seed bytes, for the TOTP computation or the keystore write.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Seed length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the seed is empty (never true for a seed produced by the handshake).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seed(<{} bytes redacted>)", self.0.len())
    }
}

impl PartialEq for Seed {
    fn eq(&self, other: &Self) -> bool {
        // Length is public (it follows from the algorithm); the bytes are compared in constant time.
        self.0.len() == other.0.len() && bool::from(self.0.ct_eq(&other.0))
    }
}

impl Eq for Seed {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_bytes() {
        let seed = Seed::from_slice(b"12345678901234567890");
        let shown = format!("{seed:?}");
        assert_eq!(shown, "Seed(<20 bytes redacted>)");
        assert!(!shown.contains("1234"));
    }

    #[test]
    fn equality_is_by_content() {
        assert_eq!(Seed::from_slice(&[1, 2, 3]), Seed::from_vec(vec![1, 2, 3]));
        assert_ne!(Seed::from_slice(&[1, 2, 3]), Seed::from_slice(&[1, 2, 4]));
        assert_ne!(Seed::from_slice(&[1, 2, 3]), Seed::from_slice(&[1, 2]));
    }
}
