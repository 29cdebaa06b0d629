//! The MACs of the online mode (9.4, 9.5), all HMAC-SHA256:
//!
//! - under `list_key`: the app's proof for the pending-list request, and the provider's MAC
//!   over its reply (the token's state and every listed transaction's digest), so a fake
//!   provider cannot show the user a payee;
//! - under `decision_key`: the app's decision MAC (署名値) over the exact transaction, and the
//!   provider's MAC over the outcome.
//!
//! Every check compares in constant time.

use ring::hmac;
use subtle::ConstantTimeEq;

use super::{DIGEST_LEN, Decision, TransactionKeys, TransactionState};
use crate::{status::NONCE_LEN, wire::TokenState};

/// Length of every proof and MAC, in bytes.
pub const MAC_LEN: usize = 32;

const LIST_REQUEST: &[u8] = b"SoftToken-v1 transactions request";
const LIST_RESPONSE: &[u8] = b"SoftToken-v1 transactions response";
const DECISION: &[u8] = b"SoftToken-v1 decision";
const DECISION_RESULT: &[u8] = b"SoftToken-v1 decision result";

/// HMAC-SHA256 over the concatenation of `parts`.
fn hmac_parts(key: &[u8], parts: &[&[u8]]) -> [u8; MAC_LEN] {
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    for part in parts {
        ctx.update(part);
    }
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// `u8(len name)` of a short ASCII wire name (states and decisions are at most 20 bytes).
fn short_len(name: &str) -> [u8; 1] {
    [u8::try_from(name.len()).unwrap_or(u8::MAX)]
}

fn ct_eq(expected: [u8; MAC_LEN], given: &[u8]) -> bool {
    bool::from(expected.as_slice().ct_eq(given))
}

impl TransactionKeys {
    /// The app's proof for `POST /v1/tokens/transactions` with this nonce and device time.
    pub fn list_proof(&self, nonce: &[u8; NONCE_LEN], time_ms: u64) -> [u8; MAC_LEN] {
        hmac_parts(
            &self.list_key,
            &[LIST_REQUEST, nonce, &time_ms.to_be_bytes()],
        )
    }

    /// Checks a list request's proof (provider side). A nonce that is not 16 bytes fails.
    pub fn verify_list_request(&self, nonce: &[u8], time_ms: u64, proof: &[u8]) -> bool {
        let Ok(nonce) = <&[u8; NONCE_LEN]>::try_from(nonce) else {
            return false;
        };
        ct_eq(self.list_proof(nonce, time_ms), proof)
    }

    /// The provider's MAC over its list reply: the request's nonce, the token's state, its
    /// clock and the digests of the listed transactions, in the order listed.
    ///
    /// The count is written as `u16be`; a reply holds at most 10 (9.7) and could not hold
    /// 65,536 within 64 KiB, so it never saturates.
    pub fn list_mac(
        &self,
        nonce: &[u8],
        state: TokenState,
        server_time_ms: u64,
        digests: &[[u8; DIGEST_LEN]],
    ) -> [u8; MAC_LEN] {
        let name = state.as_str();
        let count = u16::try_from(digests.len()).unwrap_or(u16::MAX);
        let (len, time, count) = (
            short_len(name),
            server_time_ms.to_be_bytes(),
            count.to_be_bytes(),
        );
        let mut parts: Vec<&[u8]> =
            vec![LIST_RESPONSE, nonce, &len, name.as_bytes(), &time, &count];
        parts.extend(digests.iter().map(|digest| digest.as_slice()));
        hmac_parts(&self.list_key, &parts)
    }

    /// Checks the provider's list MAC (app side). If it fails, nothing of the reply may be
    /// shown: it may come from an interceptor.
    pub fn verify_list_response(
        &self,
        nonce: &[u8; NONCE_LEN],
        state: TokenState,
        server_time_ms: u64,
        digests: &[[u8; DIGEST_LEN]],
        mac: &[u8],
    ) -> bool {
        ct_eq(self.list_mac(nonce, state, server_time_ms, digests), mac)
    }

    /// The app's decision MAC (署名値) over the transaction's digest.
    pub fn decision_mac(&self, decision: Decision, digest: &[u8; DIGEST_LEN]) -> [u8; MAC_LEN] {
        let d = decision.as_str();
        hmac_parts(
            &self.decision_key,
            &[DECISION, &short_len(d), d.as_bytes(), digest],
        )
    }

    /// Checks a decision MAC (provider side).
    pub fn verify_decision(
        &self,
        decision: Decision,
        digest: &[u8; DIGEST_LEN],
        mac: &[u8],
    ) -> bool {
        ct_eq(self.decision_mac(decision, digest), mac)
    }

    /// The provider's MAC over a decision's outcome: the state the transaction is in after it.
    pub fn result_mac(
        &self,
        digest: &[u8; DIGEST_LEN],
        state: TransactionState,
        server_time_ms: u64,
    ) -> [u8; MAC_LEN] {
        let name = state.as_str();
        hmac_parts(
            &self.decision_key,
            &[
                DECISION_RESULT,
                digest,
                &short_len(name),
                name.as_bytes(),
                &server_time_ms.to_be_bytes(),
            ],
        )
    }

    /// Checks the provider's result MAC (app side) before the app says the decision was taken.
    pub fn verify_result(
        &self,
        digest: &[u8; DIGEST_LEN],
        state: TransactionState,
        server_time_ms: u64,
        mac: &[u8],
    ) -> bool {
        ct_eq(self.result_mac(digest, state, server_time_ms), mac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ids::{ServiceId, UserId},
        secret::Seed,
        totp::Algorithm,
    };

    fn keys(seed_byte: u8) -> TransactionKeys {
        TransactionKeys::derive(
            &Seed::from_slice(&[seed_byte; 20]),
            Algorithm::Sha1,
            &ServiceId::parse("10121234").unwrap(),
            &UserId::parse("12345678901234CI").unwrap(),
        )
    }

    #[test]
    fn list_proof_and_mac_verify_and_bind_every_input() {
        let k = keys(1);
        let nonce = [3u8; 16];
        let proof = k.list_proof(&nonce, 5);
        assert!(k.verify_list_request(&nonce, 5, &proof));
        assert!(!k.verify_list_request(&nonce, 6, &proof));
        assert!(!k.verify_list_request(&nonce[..15], 5, &proof));
        assert!(!keys(2).verify_list_request(&nonce, 5, &proof));

        let digests = [[1u8; 32], [2u8; 32]];
        let mac = k.list_mac(&nonce, TokenState::Active, 9, &digests);
        assert!(k.verify_list_response(&nonce, TokenState::Active, 9, &digests, &mac));
        assert!(!k.verify_list_response(&nonce, TokenState::Locked, 9, &digests, &mac));
        assert!(!k.verify_list_response(&nonce, TokenState::Active, 10, &digests, &mac));
        assert!(!k.verify_list_response(&nonce, TokenState::Active, 9, &digests[..1], &mac));
        let swapped = [digests[1], digests[0]];
        assert!(!k.verify_list_response(&nonce, TokenState::Active, 9, &swapped, &mac));
        assert!(!k.verify_list_response(&nonce, TokenState::Active, 9, &digests, &mac[..31]));
        // The list key is not the status key: a status MAC never passes as a list MAC.
        let status = crate::status::StatusKey::derive(
            &Seed::from_slice(&[1; 20]),
            &ServiceId::parse("10121234").unwrap(),
            &UserId::parse("12345678901234CI").unwrap(),
        );
        assert_ne!(status.request_proof(&nonce, 5), proof);
    }

    #[test]
    fn decision_and_result_macs_bind_decision_digest_and_state() {
        let k = keys(1);
        let digest = [7u8; 32];
        let approve = k.decision_mac(Decision::Approve, &digest);
        assert!(k.verify_decision(Decision::Approve, &digest, &approve));
        assert!(!k.verify_decision(Decision::Reject, &digest, &approve));
        assert!(!k.verify_decision(Decision::Approve, &[8u8; 32], &approve));
        assert!(!keys(2).verify_decision(Decision::Approve, &digest, &approve));

        let result = k.result_mac(&digest, TransactionState::Approved, 42);
        assert!(k.verify_result(&digest, TransactionState::Approved, 42, &result));
        assert!(!k.verify_result(&digest, TransactionState::Rejected, 42, &result));
        assert!(!k.verify_result(&digest, TransactionState::Approved, 43, &result));
        assert_ne!(result, approve);
    }
}
