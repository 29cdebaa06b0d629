//! Proof of seed possession for `POST /v1/tokens/status`.
//!
//! Only a phone holding the seed may ask for its token's state, and only the provider may
//! answer: both directions are HMAC-SHA256 under a key derived from the seed.
//!
//! ```text
//! status_key = HKDF-SHA256(salt = "SoftToken-v1 status", IKM = seed,
//!                          info = "SoftToken-v1 status key" ‖ service_id ‖ user_id, L = 32)
//! proof      = HMAC-SHA256(status_key, "SoftToken-v1 status request" ‖ nonce(16) ‖ u64be(time_ms))
//! mac        = HMAC-SHA256(status_key, "SoftToken-v1 status response" ‖ nonce(16)
//!                          ‖ u8(len state) ‖ state ‖ u64be(server_time_ms)
//!                          [‖ u64be(replaced_at_ms)   only when state = "replaced"])
//! ```
//!
//! The replacement time is appended only for `replaced`, so the MAC of every other state is
//! byte for byte what it was before that state existed; a `replaced` reply without the time,
//! or another state with one, does not verify.

use std::fmt;

use ring::{hkdf, hmac};
use subtle::ConstantTimeEq;

use crate::{
    ids::{ServiceId, UserId},
    secret::Seed,
    wire::TokenState,
};

/// Length of the status nonce, in bytes.
pub const NONCE_LEN: usize = 16;
/// Length of a status proof or MAC, in bytes.
pub const MAC_LEN: usize = 32;

const SALT: &[u8] = b"SoftToken-v1 status";
const KEY_LABEL: &[u8] = b"SoftToken-v1 status key";
const REQUEST_LABEL: &[u8] = b"SoftToken-v1 status request";
const RESPONSE_LABEL: &[u8] = b"SoftToken-v1 status response";

/// The seed-derived key of the status exchange. `Debug` is redacted.
pub struct StatusKey(hmac::Key);

impl fmt::Debug for StatusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StatusKey(<redacted>)")
    }
}

impl StatusKey {
    /// Derives the status key of a token.
    pub fn derive(seed: &Seed, service_id: &ServiceId, user_id: &UserId) -> StatusKey {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(seed.expose());
        let info = [
            KEY_LABEL,
            service_id.as_str().as_bytes(),
            user_id.as_str().as_bytes(),
        ];
        // `hmac::Key` implements `From<Okm<Algorithm>>`; expanding to an HMAC algorithm's own
        // length cannot fail (ring only fails for lengths over 255 * 32).
        match prk.expand(&info, hmac::HMAC_SHA256) {
            Ok(okm) => StatusKey(hmac::Key::from(okm)),
            Err(_) => StatusKey(hmac::Key::new(hmac::HMAC_SHA256, &[])),
        }
    }

    /// The app's proof for a request with this nonce and device time.
    pub fn request_proof(&self, nonce: &[u8; NONCE_LEN], time_ms: u64) -> [u8; MAC_LEN] {
        self.mac(&[REQUEST_LABEL, nonce, &time_ms.to_be_bytes()])
    }

    /// Checks a request proof in constant time.
    pub fn verify_request(&self, nonce: &[u8], time_ms: u64, proof: &[u8]) -> bool {
        let Ok(nonce) = <&[u8; NONCE_LEN]>::try_from(nonce) else {
            return false;
        };
        bool::from(self.request_proof(nonce, time_ms).as_slice().ct_eq(proof))
    }

    /// The provider's MAC over its answer. `replaced_at_ms` is covered when `state` is
    /// [`TokenState::Replaced`] (a missing one as 0, which [`verify_response`](Self::verify_response)
    /// never accepts) and ignored otherwise.
    pub fn response_mac(
        &self,
        nonce: &[u8],
        state: TokenState,
        server_time_ms: u64,
        replaced_at_ms: Option<u64>,
    ) -> [u8; MAC_LEN] {
        let name = state.as_str().as_bytes();
        // State names are short ASCII constants; the length prefix keeps the layout unambiguous.
        let len = [u8::try_from(name.len()).unwrap_or(u8::MAX)];
        let time = server_time_ms.to_be_bytes();
        let replaced = replaced_at_ms.unwrap_or(0).to_be_bytes();
        let mut parts: Vec<&[u8]> = vec![RESPONSE_LABEL, nonce, &len, name, &time];
        if state == TokenState::Replaced {
            parts.push(&replaced);
        }
        self.mac(&parts)
    }

    /// Checks the provider's MAC in constant time. A `replaced` answer must carry its time,
    /// and no other answer may (the time is outside the MAC of other states).
    pub fn verify_response(
        &self,
        nonce: &[u8; NONCE_LEN],
        state: TokenState,
        server_time_ms: u64,
        replaced_at_ms: Option<u64>,
        mac: &[u8],
    ) -> bool {
        if (state == TokenState::Replaced) != replaced_at_ms.is_some() {
            return false;
        }
        bool::from(
            self.response_mac(nonce, state, server_time_ms, replaced_at_ms)
                .as_slice()
                .ct_eq(mac),
        )
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let mut ctx = hmac::Context::with_key(&self.0);
        for part in parts {
            ctx.update(part);
        }
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }
}
