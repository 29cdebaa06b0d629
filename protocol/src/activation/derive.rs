//! Key derivations after OPAQUE: transcript hash, token seed, key confirmation.
//!
//! Public so that a second implementation can check itself against these functions and the
//! vectors in `docs/vectors/activation-v1.json`. Layouts (all labels are ASCII):
//!
//! ```text
//! th            = SHA-256("SoftToken-v1 transcript" ‖ u16be(len KE1) ‖ KE1 ‖ u16be(len KE2) ‖ KE2)
//! PRK           = HKDF-Extract-SHA256(salt = th, IKM = OPAQUE session_key)
//! seed          = HKDF-Expand(PRK, "SoftToken-v1 seed" ‖ binding, L)   L = 20 | 32 | 64
//! confirm_key   = HKDF-Expand(PRK, "SoftToken-v1 confirm" ‖ binding, 32)
//! client_confirmation = HMAC-SHA256(confirm_key, "SoftToken-v1 client confirmation" ‖ th)
//! server_confirmation = HMAC-SHA256(confirm_key, "SoftToken-v1 server confirmation" ‖ th)
//! ```

use ring::{digest, hkdf, hmac};
use zeroize::Zeroizing;

use super::{Binding, CONFIRMATION_LEN, HandshakeError};
use crate::secret::Seed;

const TRANSCRIPT_LABEL: &[u8] = b"SoftToken-v1 transcript";
const SEED_LABEL: &[u8] = b"SoftToken-v1 seed";
const CONFIRM_LABEL: &[u8] = b"SoftToken-v1 confirm";
const CLIENT_CONFIRMATION_LABEL: &[u8] = b"SoftToken-v1 client confirmation";
const SERVER_CONFIRMATION_LABEL: &[u8] = b"SoftToken-v1 server confirmation";

/// Length of the transcript hash, in bytes.
pub const TRANSCRIPT_HASH_LEN: usize = 32;

/// Which side computes a key confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The app.
    Client,
    /// The provider.
    Server,
}

/// The secrets derived from one OPAQUE session: the seed and the key-confirmation key.
pub struct DerivedKeys {
    /// The token seed.
    pub seed: Seed,
    /// The key-confirmation key (HMAC-SHA256 key).
    pub confirm_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DerivedKeys")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// Transcript hash over the serialized KE1 and KE2 messages.
pub fn transcript_hash(
    ke1: &[u8],
    ke2: &[u8],
) -> Result<[u8; TRANSCRIPT_HASH_LEN], HandshakeError> {
    let ke1_len =
        u16::try_from(ke1.len()).map_err(|_| HandshakeError::Malformed { what: "KE1" })?;
    let ke2_len =
        u16::try_from(ke2.len()).map_err(|_| HandshakeError::Malformed { what: "KE2" })?;
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(TRANSCRIPT_LABEL);
    ctx.update(&ke1_len.to_be_bytes());
    ctx.update(ke1);
    ctx.update(&ke2_len.to_be_bytes());
    ctx.update(ke2);
    let mut out = [0u8; TRANSCRIPT_HASH_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    Ok(out)
}

/// An HKDF output length that ring accepts as a key type.
pub(crate) struct OutputLen(pub(crate) usize);

impl hkdf::KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// Derives the seed and the confirmation key from the OPAQUE session key.
pub fn derive_keys(
    session_key: &[u8],
    transcript_hash: &[u8; TRANSCRIPT_HASH_LEN],
    binding: &Binding,
) -> Result<DerivedKeys, HandshakeError> {
    let binding_bytes = binding.to_bytes();
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, transcript_hash).extract(session_key);

    let seed_len = binding.params().algorithm().seed_len();
    let mut seed = vec![0u8; seed_len];
    prk.expand(&[SEED_LABEL, &binding_bytes], OutputLen(seed_len))
        .and_then(|okm| okm.fill(&mut seed))
        .map_err(|_| HandshakeError::Internal)?;

    let mut confirm_key = Zeroizing::new([0u8; 32]);
    prk.expand(&[CONFIRM_LABEL, &binding_bytes], OutputLen(32))
        .and_then(|okm| okm.fill(confirm_key.as_mut_slice()))
        .map_err(|_| HandshakeError::Internal)?;

    Ok(DerivedKeys {
        seed: Seed::from_vec(seed),
        confirm_key,
    })
}

fn confirmation_label(side: Side) -> &'static [u8] {
    match side {
        Side::Client => CLIENT_CONFIRMATION_LABEL,
        Side::Server => SERVER_CONFIRMATION_LABEL,
    }
}

/// The key-confirmation MAC one side sends.
pub fn confirmation(
    confirm_key: &[u8; 32],
    side: Side,
    transcript_hash: &[u8; TRANSCRIPT_HASH_LEN],
) -> [u8; CONFIRMATION_LEN] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, confirm_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(confirmation_label(side));
    ctx.update(transcript_hash);
    let mut out = [0u8; CONFIRMATION_LEN];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// Checks the peer's key-confirmation MAC in constant time.
pub fn verify_confirmation(
    confirm_key: &[u8; 32],
    side: Side,
    transcript_hash: &[u8; TRANSCRIPT_HASH_LEN],
    received: &[u8],
) -> Result<(), HandshakeError> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, confirm_key);
    let mut message = Vec::with_capacity(64);
    message.extend_from_slice(confirmation_label(side));
    message.extend_from_slice(transcript_hash);
    hmac::verify(&key, &message, received).map_err(|_| HandshakeError::ConfirmationFailed)
}
