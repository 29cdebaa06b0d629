//! The three keys of transaction authentication, each derived from the seed with its own label
//! (9.1), so the TOTP seed itself is used for nothing but TOTP and a key that leaks from one
//! use (say, a MAC key in a provider's memory dump) computes nothing of another.
//!
//! ```text
//! prk          = HKDF-Extract-SHA256(salt = "SoftToken-v1 transactions", IKM = seed)
//! ocra_key     = HKDF-Expand(prk, "SoftToken-v1 OCRA key" ‖ service_id ‖ user_id, L = Lh)
//! list_key     = HKDF-Expand(prk, "SoftToken-v1 transaction list key" ‖ service_id ‖ user_id, 32)
//! decision_key = HKDF-Expand(prk, "SoftToken-v1 decision key" ‖ service_id ‖ user_id, 32)
//! ```
//!
//! What the keys compute lives beside: [`codes`](super::codes) (OCRA codes) and
//! [`macs`](super::macs) (list proof and MAC, decision and result MACs).

use std::fmt;

use ring::hkdf;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::offline::{online_suite, suite_name};
use crate::{
    ids::{ServiceId, UserId},
    ocra::{OcraKey, OcraSuite},
    secret::Seed,
    totp::Algorithm,
};

const SALT: &[u8] = b"SoftToken-v1 transactions";
const OCRA_LABEL: &[u8] = b"SoftToken-v1 OCRA key";
const LIST_LABEL: &[u8] = b"SoftToken-v1 transaction list key";
const DECISION_LABEL: &[u8] = b"SoftToken-v1 decision key";

/// Length of the list and decision keys, in bytes.
pub const MAC_KEY_LEN: usize = 32;

/// An HKDF output length (ring asks for it as a `KeyType`).
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The parsed OCRA suites of one algorithm (9.3), parsed once per token rather than per code.
pub(super) struct Suites {
    pub(super) online: Option<OcraSuite>,
    pub(super) account: Option<OcraSuite>,
    pub(super) account_and_amount: Option<OcraSuite>,
}

/// A token's transaction keys. Wiped on drop; `Debug` shows the algorithm only.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TransactionKeys {
    #[zeroize(skip)]
    pub(super) algorithm: Algorithm,
    /// `ocra_key`, prepared for the token's HMAC (its `Lh` = 20, 32 or 64 bytes are wiped
    /// right after preparing; the prepared key blocks are `OcraKey`'s to guard).
    #[zeroize(skip)]
    pub(super) ocra_key: OcraKey,
    pub(super) list_key: [u8; MAC_KEY_LEN],
    pub(super) decision_key: [u8; MAC_KEY_LEN],
    #[zeroize(skip)]
    pub(super) suites: Suites,
}

impl TransactionKeys {
    /// Derives a token's keys from its seed (9.1). `algorithm` is the token's TOTP algorithm:
    /// it sets the OCRA key's length and the suites' hash.
    pub fn derive(
        seed: &Seed,
        algorithm: Algorithm,
        service_id: &ServiceId,
        user_id: &UserId,
    ) -> TransactionKeys {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(seed.expose());
        let ids: [&[u8]; 2] = [service_id.as_bytes(), user_id.as_bytes()];
        let expand = |label: &[u8], out: &mut [u8]| {
            let info = [label, ids[0], ids[1]];
            // Lengths up to 64 are far below HKDF-SHA256's 255 * 32 limit, so neither step
            // fails; an all-zero key on the impossible error would only fail every check.
            if let Ok(okm) = prk.expand(&info, Len(out.len())) {
                let _ = okm.fill(out);
            }
        };
        let mut ocra_key = Zeroizing::new(vec![0; algorithm.seed_len()]);
        expand(OCRA_LABEL, &mut ocra_key);
        let mut keys = TransactionKeys {
            algorithm,
            ocra_key: OcraKey::new(algorithm, &ocra_key),
            list_key: [0; MAC_KEY_LEN],
            decision_key: [0; MAC_KEY_LEN],
            suites: Suites {
                online: OcraSuite::parse(&online_suite(algorithm)).ok(),
                account: OcraSuite::parse(&suite_name(algorithm, false)).ok(),
                account_and_amount: OcraSuite::parse(&suite_name(algorithm, true)).ok(),
            },
        };
        expand(LIST_LABEL, &mut keys.list_key);
        expand(DECISION_LABEL, &mut keys.decision_key);
        keys
    }

    /// The token algorithm the keys were derived for.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl fmt::Debug for TransactionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionKeys")
            .field("algorithm", &self.algorithm)
            .field("keys", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(seed: &[u8], algorithm: Algorithm) -> TransactionKeys {
        TransactionKeys::derive(
            &Seed::from_slice(seed),
            algorithm,
            &ServiceId::parse("10121234").unwrap(),
            &UserId::parse("12345678901234CI").unwrap(),
        )
    }

    #[test]
    fn keys_have_their_lengths_differ_and_suites_parse() {
        for algorithm in Algorithm::ALL {
            let k = keys(&[7; 20], algorithm);
            assert_ne!(k.list_key, k.decision_key);
            assert!(k.list_key.iter().any(|b| *b != 0));
            assert!(k.suites.online.is_some());
            assert!(k.suites.account.is_some());
            assert!(k.suites.account_and_amount.is_some());
        }
    }

    #[test]
    fn keys_match_an_independent_hkdf() {
        // HKDF (RFC 5869) written out with HMAC, for one key.
        let seed = [7u8; 20];
        let hmac = |key: &[u8], data: &[&[u8]]| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
            let mut ctx = ring::hmac::Context::with_key(&key);
            data.iter().for_each(|d| ctx.update(d));
            ctx.sign().as_ref().to_vec()
        };
        let prk = hmac(SALT, &[&seed]);
        let t1 = hmac(&prk, &[LIST_LABEL, b"10121234", b"12345678901234CI", &[1]]);
        assert_eq!(keys(&seed, Algorithm::Sha1).list_key.to_vec(), t1);
    }

    #[test]
    fn debug_is_redacted() {
        let shown = format!("{:?}", keys(&[7; 20], Algorithm::Sha1));
        assert_eq!(
            shown,
            "TransactionKeys { algorithm: Sha1, keys: \"<redacted>\" }"
        );
    }
}
