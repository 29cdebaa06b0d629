//! Transaction authentication (取引認証, `docs/protocol.md` §9) on [`SoftToken`]: the pending
//! list, one-tap approve and reject, the transaction code, and the offline challenge code.
//!
//! Only what a verified list showed can be acted on: the list's MAC (under a key only the seed
//! and the provider have) is checked before anything of it is returned, and the transactions
//! of the last verified list are kept in memory per token. Approving, rejecting and the
//! transaction code take a transaction from there, never from the caller, so what the user
//! confirms is exactly what was shown. A reply that does not verify is
//! [`CoreError::PossibleInterception`] and changes nothing.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use rand_core::{OsRng, RngCore};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    transaction::{
        AccountType, CODE_STEP_SECS, Decision, OfflineChallenge, Transaction, TransactionKeys,
        TransactionState,
    },
    wire::{
        Bytes, DecisionRequest, DecisionResponse, ErrorCode, ListReplyError,
        TransactionListRequest, TransactionListResponse, V1,
    },
};

use super::{SoftToken, Verified, corrected_now, net_error, record_state, refuse_final};
use crate::{
    error::CoreError,
    metadata::{RecordState, TokenRecord},
    net::{NetError, Retry},
    token::OtpCode,
    transaction::{AccountKind, DecisionOutcome, PendingTransaction},
};

/// The transactions of each token's last verified list.
#[derive(Default)]
pub(super) struct VerifiedTransactions(Mutex<HashMap<String, Vec<Transaction>>>);

impl VerifiedTransactions {
    fn replace(&self, token_id: &str, transactions: Vec<Transaction>) {
        self.lock().insert(token_id.to_owned(), transactions);
    }

    fn get(&self, token_id: &str, transaction_id: &str) -> Option<Transaction> {
        self.lock()
            .get(token_id)?
            .iter()
            .find(|t| t.id.as_str() == transaction_id)
            .cloned()
    }

    fn remove(&self, token_id: &str, transaction_id: &str) {
        if let Some(list) = self.lock().get_mut(token_id) {
            list.retain(|t| t.id.as_str() != transaction_id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Transaction>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A token's IDs and keys, read from its record and seed.
struct TokenKeys {
    record: TokenRecord,
    service_id: ServiceId,
    user_id: UserId,
    keys: TransactionKeys,
}

impl SoftToken {
    /// The token's pending transactions, from a list whose MAC verified (oldest first). Also
    /// stores the token's state and the provider clock that the same MAC proved. A token that
    /// is not active has none.
    pub async fn pending_transactions(
        &self,
        token_id: &str,
    ) -> Result<Vec<PendingTransaction>, CoreError> {
        let token = self.token_keys(token_id)?;
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let time_ms = self.clock.now_ms();
        let request = TransactionListRequest {
            v: V1,
            service_id: token.service_id,
            user_id: token.user_id,
            nonce: Bytes(nonce.to_vec()),
            time_ms,
            proof: Bytes(token.keys.list_proof(&nonce, time_ms).to_vec()),
        };
        let timed = self
            .client
            .post::<_, TransactionListResponse>(
                "/v1/tokens/transactions",
                &request,
                Retry::Idempotent,
            )
            .await
            .map_err(|err| transaction_error(err, "the transaction list"))?;
        let reply = &timed.reply;
        let transactions = reply
            .verify(&token.keys, &nonce, token.service_id, token.user_id)
            .map_err(|err| match err {
                ListReplyError::BadMac => CoreError::PossibleInterception {
                    reason: "the transaction list's MAC did not verify".into(),
                },
                other => CoreError::Protocol {
                    reason: other.to_string(),
                },
            })?;
        // The list's MAC covers the state but no replacement time: a `replaced` token is
        // refused before any list (410 token_replaced), and the status exchange brings its time.
        self.store_verified(
            token_id,
            &Verified {
                state: record_state(reply.state),
                replaced_at_ms: None,
                clock_offset_ms: timed.clock_offset_ms(reply.server_time_ms),
            },
        )?;
        let shown = transactions.iter().map(pending).collect();
        self.verified_transactions.replace(token_id, transactions);
        tracing::info!(
            token = token_id,
            count = reply.transactions.len(),
            "pending transactions listed"
        );
        Ok(shown)
    }

    /// Approves a transaction of the last verified list with one tap (sends the 署名値).
    pub async fn approve_transaction(
        &self,
        token_id: &str,
        transaction_id: &str,
    ) -> Result<DecisionOutcome, CoreError> {
        self.decide(token_id, transaction_id, Decision::Approve)
            .await
    }

    /// Rejects a transaction of the last verified list: tells the bank the user does not
    /// recognise the transfer.
    pub async fn reject_transaction(
        &self,
        token_id: &str,
        transaction_id: &str,
    ) -> Result<DecisionOutcome, CoreError> {
        self.decide(token_id, transaction_id, Decision::Reject)
            .await
    }

    /// The 8-digit code of a transaction of the last verified list, for the user to type into
    /// the bank's transfer page. Valid for its minute (`remaining_ms`).
    pub fn transaction_code(
        &self,
        token_id: &str,
        transaction_id: &str,
    ) -> Result<OtpCode, CoreError> {
        let token = self.token_keys(token_id)?;
        let transaction = self
            .verified_transactions
            .get(token_id, transaction_id)
            .ok_or(CoreError::TransactionNotFound)?;
        let now_ms = corrected_now(self.clock.now_ms(), token.record.clock_offset_ms)?;
        if now_ms >= transaction.expires_at_ms {
            return Err(CoreError::TransactionExpired);
        }
        let code = token
            .keys
            .online_code_for_digest(&transaction.digest(), now_ms / 1000);
        Ok(step_code(code.as_str(), now_ms))
    }

    /// The offline code (振込先専用ワンタイムパスワード) for a payee's account number as the user
    /// typed it, and the amount where the bank asks for it (full-width digits, spaces, `,`,
    /// `¥` and `円` are fine).
    pub fn offline_code(
        &self,
        token_id: &str,
        account_number: &str,
        amount: Option<&str>,
    ) -> Result<OtpCode, CoreError> {
        let challenge = OfflineChallenge::parse(account_number, amount).map_err(|err| {
            CoreError::InvalidInput {
                reason: err.to_string(),
            }
        })?;
        let token = self.token_keys(token_id)?;
        let now_ms = corrected_now(self.clock.now_ms(), token.record.clock_offset_ms)?;
        let code = token.keys.offline_code(&challenge, now_ms / 1000);
        Ok(step_code(code.as_str(), now_ms))
    }

    async fn decide(
        &self,
        token_id: &str,
        transaction_id: &str,
        decision: Decision,
    ) -> Result<DecisionOutcome, CoreError> {
        let token = self.token_keys(token_id)?;
        let transaction = self
            .verified_transactions
            .get(token_id, transaction_id)
            .ok_or(CoreError::TransactionNotFound)?;
        let digest = transaction.digest();
        let request = DecisionRequest {
            v: V1,
            service_id: token.service_id,
            user_id: token.user_id,
            transaction_id: transaction.id,
            decision,
            mac: Bytes(token.keys.decision_mac(decision, &digest).to_vec()),
        };
        // Never repeated by the client: a lost reply to a decision the provider took must not
        // become a second decision (the provider would answer `transaction_decided` anyway).
        let reply = self
            .client
            .post::<_, DecisionResponse>("/v1/transactions/decision", &request, Retry::Never)
            .await
            .map_err(|err| transaction_error(err, "the decision"))?
            .reply;
        let authentic = reply.transaction_id == transaction.id
            && reply.state == decision.resulting_state()
            && token.keys.verify_result(
                &digest,
                reply.state,
                reply.server_time_ms,
                reply.mac.as_slice(),
            );
        if !authentic {
            return Err(CoreError::PossibleInterception {
                reason: "the decision's confirmation did not verify".into(),
            });
        }
        self.verified_transactions.remove(token_id, transaction_id);
        tracing::info!(
            token = token_id,
            transaction = transaction_id,
            state = reply.state.as_str(),
            "transaction decided"
        );
        Ok(match reply.state {
            TransactionState::Approved => DecisionOutcome::Approved,
            _ => DecisionOutcome::Rejected,
        })
    }

    /// The token's record, IDs and transaction keys. Only tokens that may take part: a
    /// revoked, replaced, expired or locked token, or one whose seed is gone, is refused here.
    fn token_keys(&self, token_id: &str) -> Result<TokenKeys, CoreError> {
        let record = self.record(token_id)?;
        refuse_final(&record)?;
        if record.state == RecordState::Locked {
            return Err(CoreError::TokenLocked);
        }
        let service_id =
            ServiceId::parse(&record.service_id).map_err(|e| CoreError::from_id(&e))?;
        let user_id = UserId::parse(&record.user_id).map_err(|e| CoreError::from_id(&e))?;
        let seed = self.seed_of(&record)?;
        let keys = TransactionKeys::derive(&seed, record.algorithm, &service_id, &user_id);
        Ok(TokenKeys {
            record,
            service_id,
            user_id,
            keys,
        })
    }
}

/// A transaction as the app shows it.
fn pending(transaction: &Transaction) -> PendingTransaction {
    let payee = &transaction.payee;
    PendingTransaction {
        id: transaction.id.as_str().to_owned(),
        bank_code: payee.bank_code.as_str().to_owned(),
        branch_code: payee.branch_code.as_str().to_owned(),
        account_kind: match payee.account_type {
            AccountType::Ordinary => AccountKind::Ordinary,
            AccountType::Checking => AccountKind::Checking,
            AccountType::Savings => AccountKind::Savings,
        },
        account_number: payee.account_number.as_str().to_owned(),
        payee_name: payee.name.as_str().to_owned(),
        amount_yen: transaction.amount.value(),
        reference: transaction
            .reference
            .as_ref()
            .map(|r| r.as_str().to_owned()),
        expires_at_ms: transaction.expires_at_ms,
    }
}

/// A code of the one-minute OCRA step that `now_ms` falls in.
fn step_code(code: &str, now_ms: u64) -> OtpCode {
    let step_ms = CODE_STEP_SECS * 1000;
    let valid_from_ms = now_ms - now_ms % step_ms;
    OtpCode {
        code: code.to_owned(),
        period: u32::try_from(CODE_STEP_SECS).unwrap_or(60),
        valid_from_unix: valid_from_ms / 1000,
        remaining_ms: valid_from_ms + step_ms - now_ms,
    }
}

/// Maps a failed transaction request: the transaction-specific error codes here, the rest as
/// every request does.
fn transaction_error(err: NetError, what: &str) -> CoreError {
    let NetError::Status {
        body: Some(body), ..
    } = &err
    else {
        return net_error(err);
    };
    match body.error {
        ErrorCode::NotFound => CoreError::TransactionNotFound,
        ErrorCode::TransactionExpired => CoreError::TransactionExpired,
        ErrorCode::TransactionDecided => CoreError::TransactionDecided {
            state: body.state.clone().unwrap_or_else(|| "decided".into()),
        },
        ErrorCode::TokenLocked => CoreError::TokenLocked,
        // An error reply carries no MAC: a `proof_denied` may come from anything between the
        // app and the provider's key, so it changes nothing and says so.
        ErrorCode::ProofDenied => CoreError::Protocol {
            reason: format!(
                "the provider did not accept this token's proof for {what} (proof_denied, an \
                 unauthenticated reply); nothing changed"
            ),
        },
        _ => net_error(err),
    }
}
