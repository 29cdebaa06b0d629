//! Fresh random identifiers: activation handles, key secrets and new User IDs.

use base64::Engine;
use rand_core::{OsRng, RngCore};
use softtoken_protocol::ids::UserId;

/// A random URL-safe identifier of `bytes` random bytes (base64url, no padding).
pub fn random_id(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A random User ID: fourteen uniformly random decimal digits and their check letters. Whether
/// it is taken is for the caller to check.
pub fn random_user_id() -> UserId {
    let mut digits = [0u8; UserId::BODY_LEN];
    let mut filled = 0;
    let mut buf = [0u8; 32];
    while filled < digits.len() {
        OsRng.fill_bytes(&mut buf);
        // Rejection sampling: bytes >= 250 would bias the digits toward 0..=5.
        for byte in buf.iter().filter(|b| **b < 250) {
            if let Some(slot) = digits.get_mut(filled) {
                *slot = byte % 10;
                filled += 1;
            }
        }
    }
    UserId::from_body_digits(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_user_ids_are_valid() {
        for _ in 0..100 {
            let id = random_user_id();
            assert!(UserId::parse(id.as_str()).is_ok());
        }
    }

    #[test]
    fn random_ids_are_url_safe_and_differ() {
        let (a, b) = (random_id(16), random_id(16));
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
