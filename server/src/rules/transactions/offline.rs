//! `POST /v1/services/{service_id}/tokens/{user_id}/challenge/verify`: an offline code
//! (振込先専用ワンタイムパスワード), computed by the app over the account number (and amount) the
//! user typed; the bank sends the same challenge (9.6). Results and counting as 7.3, but replay
//! is per challenge: the same code for the same challenge and step verifies once.

use ring::digest;
use softtoken_protocol::{
    ids::UserId,
    otp_input::parse_otp,
    transaction::{CODE_DIGITS, OfflineChallenge, VERIFY_WINDOW},
    wire::{ChallengeVerifyResponse, TokenState, VerifyResult},
};

use super::{count_token_failure, keys_of, wake};
use crate::{
    error::ApiError,
    state::{ServerState, ServiceCtx},
    storage::{
        audit::{self, AuditEvent},
        tokens, used_challenges,
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
        // Only `active` tokens take part in transaction authentication (9): a token whose
        // first login code was never accepted is not activated for it either.
        TokenState::Issued | TokenState::PendingConfirmation => VerifyResult::NotActivated,
        TokenState::Expired | TokenState::ActivationLocked => VerifyResult::Expired,
        TokenState::Locked => VerifyResult::Locked,
        TokenState::Active => match parse_otp(otp, CODE_DIGITS) {
            // Not 8 digits: cannot be a guess, not counted.
            Err(_) => VerifyResult::Rejected,
            Ok(typed) => {
                let keys = keys_of(state, &token)?.ok_or(ApiError::Internal)?;
                match keys.verify_offline(challenge, typed.as_str(), now / 1000, VERIFY_WINDOW) {
                    Some(step) => {
                        let used = challenge_hash(&token.params.algorithm(), challenge);
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

/// What identifies a challenge in `used_challenges`: SHA-256 of its suite, a zero byte and the
/// challenge (account number, perhaps amount), so the customer's data is not stored as such
/// and the account-only and account-and-amount challenges never collide.
fn challenge_hash(
    algorithm: &softtoken_protocol::totp::Algorithm,
    challenge: &OfflineChallenge,
) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(challenge.suite(*algorithm).as_bytes());
    context.update(&[0]);
    context.update(challenge.challenge().as_bytes());
    let mut hash = [0u8; 32];
    hash.copy_from_slice(context.finish().as_ref());
    hash
}

/// The audit outcome of a result.
fn verify_outcome(result: VerifyResult) -> &'static str {
    match result {
        VerifyResult::Accepted => "accepted",
        VerifyResult::Rejected => "rejected",
        VerifyResult::Replayed => "replayed",
        VerifyResult::Locked => "locked",
        VerifyResult::Revoked => "revoked",
        VerifyResult::NotActivated => "not_activated",
        VerifyResult::Expired => "expired",
    }
}
