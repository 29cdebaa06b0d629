//! `POST /v1/services/{service_id}/tokens/{user_id}/challenge/verify`: an offline code
//! (振込先専用ワンタイムパスワード), computed by the app over the account number (and amount) the
//! user typed; the bank sends the same challenge (9.6). Results and counting as 7.3, but replay
//! is per challenge: the same code for the same challenge and step verifies once.

use ring::{hkdf, hmac};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    otp_input::parse_otp,
    secret::Seed,
    transaction::{CODE_DIGITS, OfflineChallenge, VERIFY_WINDOW},
    wire::{ChallengeVerifyResponse, TokenState, VerifyResult},
};

use super::{count_token_failure, keys_from_seed, wake};
use crate::{
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{
        audit::{self, AuditEvent},
        retry, tokens, used_challenges,
    },
};

/// Checks an offline code for `challenge` in one write transaction.
pub async fn verify(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    challenge: &OfflineChallenge,
    otp: &str,
    actor: &str,
) -> Result<ChallengeVerifyResponse, ApiError> {
    // One transaction; run again if PostgreSQL aborted it in a conflict (storage::retry).
    retry::on_conflict(|| verify_once(state, service, user_id, challenge, otp, actor)).await
}

/// One run of [`verify`].
async fn verify_once(
    state: &ServerState,
    service: &ServiceCtx,
    user_id: &UserId,
    challenge: &OfflineChallenge,
    otp: &str,
    actor: &str,
) -> Result<ChallengeVerifyResponse, ApiError> {
    let service_id = service.row.service_id;
    let max_failures = service.row.rules.max_failures;
    let now = state.now_ms();
    let mut tx = state.db.write().await?;
    let token = tokens::begin_and_get(&mut tx, &service_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    let mut failures = token.failures;
    let mut changed = Vec::new();
    let result = match token.state_at(now) {
        TokenState::Revoked => VerifyResult::Revoked,
        TokenState::Replaced => VerifyResult::Replaced,
        // Only `active` tokens take part in transaction authentication (9): a token whose
        // first login code was never accepted is not activated for it either.
        TokenState::Issued | TokenState::PendingConfirmation => VerifyResult::NotActivated,
        TokenState::Expired | TokenState::ActivationLocked => VerifyResult::Expired,
        TokenState::Locked => VerifyResult::Locked,
        TokenState::Active => match parse_otp(otp, CODE_DIGITS) {
            // Not 8 digits: cannot be a guess, not counted.
            Err(_) => VerifyResult::Rejected,
            Ok(typed) => {
                let seed = state.open_seed(&token)?.ok_or(ApiError::Internal)?;
                let seed = Seed::from_slice(&seed);
                let keys = keys_from_seed(&seed, &token);
                match keys.verify_offline(challenge, typed.as_str(), now / 1000, VERIFY_WINDOW) {
                    Some(step) => {
                        let suite = challenge.suite(token.params.algorithm());
                        let used = challenge_mac(&seed, (&service_id, user_id), &suite, challenge);
                        if used_challenges::record(&mut tx, &service_id, user_id, &used, step, now)
                            .await?
                        {
                            tokens::reset_failures(&mut tx, &service_id, user_id, now).await?;
                            failures = 0;
                            VerifyResult::Accepted
                        } else {
                            VerifyResult::Replayed
                        }
                    }
                    None => {
                        let counted =
                            count_token_failure(state, &mut tx, &token, max_failures, now, actor)
                                .await?;
                        failures = counted.failures;
                        changed = counted.failed;
                        if counted.locked {
                            VerifyResult::Locked
                        } else {
                            VerifyResult::Rejected
                        }
                    }
                }
            }
        },
    };
    let outcome = verify_outcome(result);
    let event = AuditEvent::token(service_id, *user_id, "challenge_verify", outcome, actor);
    audit::record(&mut tx, now, event).await?;
    tx.commit().await?;
    wake(state, &changed);
    Ok(ChallengeVerifyResponse {
        result,
        failures_left: max_failures.saturating_sub(failures),
        server_time_ms: now,
    })
}

/// HKDF salt of the key [`challenge_mac`] uses: the provider's own label, so the key is
/// independent of every key §9.1 derives from the same seed.
const USED_CHALLENGE_SALT: &[u8] = b"softtoken provider used_challenges v1";

/// What identifies a challenge in `used_challenges`: HMAC-SHA256 over its suite, a zero byte
/// and the challenge (so the account-only and account-and-amount challenges never collide),
/// keyed by a key derived from the token's seed. A plain hash of a 7-digit account number (and
/// an amount) would be inverted by trying them all; without the seed, which is sealed under
/// the KEK, the stored value says nothing about the customer's data. The seed rather than a
/// per-process secret, because the record must mean the same after a restart and on a second
/// instance (issue 15), and rather than the KEK, because the seed is already open here and a
/// KEK rotation must not reopen a replay window.
fn challenge_mac(
    seed: &Seed,
    (service_id, user_id): (&ServiceId, &UserId),
    suite: &str,
    challenge: &OfflineChallenge,
) -> [u8; 32] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, USED_CHALLENGE_SALT).extract(seed.expose());
    let info: [&[u8]; 2] = [service_id.as_bytes(), user_id.as_bytes()];
    let Ok(okm) = prk.expand(&info, hmac::HMAC_SHA256) else {
        // Unreachable: a 32-byte output is far below HKDF-SHA256's limit. The zero tag would
        // only make every challenge of the token one record, refusing too much, never too little.
        return [0; 32];
    };
    let key = hmac::Key::from(okm);
    let mut context = hmac::Context::with_key(&key);
    context.update(suite.as_bytes());
    context.update(&[0]);
    context.update(challenge.challenge().as_bytes());
    let mut tag = [0u8; 32];
    tag.copy_from_slice(context.sign().as_ref());
    tag
}

/// The audit outcome of a result.
fn verify_outcome(result: VerifyResult) -> &'static str {
    match result {
        VerifyResult::Accepted => "accepted",
        VerifyResult::Rejected => "rejected",
        VerifyResult::Replayed => "replayed",
        VerifyResult::Locked => "locked",
        VerifyResult::Revoked => "revoked",
        VerifyResult::Replaced => "replaced",
        VerifyResult::NotActivated => "not_activated",
        VerifyResult::Expired => "expired",
    }
}

#[cfg(test)]
mod tests {
    use softtoken_protocol::{totp::Algorithm, transaction::OfflineChallenge};

    use super::*;

    fn mac(seed_byte: u8, account: &str, amount: Option<&str>) -> [u8; 32] {
        let ids = (
            &ServiceId::parse("10121234").unwrap(),
            &UserId::parse("12345678901234CI").unwrap(),
        );
        let challenge = OfflineChallenge::parse(account, amount).unwrap();
        let suite = challenge.suite(Algorithm::Sha256);
        challenge_mac(&Seed::from_slice(&[seed_byte; 32]), ids, &suite, &challenge)
    }

    #[test]
    fn the_challenge_mac_is_stable_and_keyed_by_the_seed() {
        let plain = mac(1, "1234567", None);
        assert_eq!(plain, mac(1, "1234567", None), "one record per challenge");
        assert_ne!(plain, mac(2, "1234567", None), "another token's seed");
        assert_ne!(plain, mac(1, "1234568", None), "another account");
        assert_ne!(plain, mac(1, "1234567", Some("1")), "with an amount");
    }
}
