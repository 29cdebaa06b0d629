//! The provider's rules, independent of HTTP: each function takes parsed input and the shared
//! [`App`](crate::app::App) and returns a wire reply or an [`ApiError`](crate::error::ApiError).
//! `docs/protocol.md` §7 is the specification these implement.

pub mod accept_batch;
pub mod activation;
pub mod admin;
pub mod issuance;
pub mod key_cache;
pub mod lifecycle;
pub mod status;
pub mod verification;

use rand_core::{OsRng, RngCore};

/// A random URL-safe identifier of `bytes` random bytes (base64url, no padding).
pub fn random_id(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}
