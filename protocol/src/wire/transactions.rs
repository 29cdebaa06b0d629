//! The JSON messages of transaction authentication (9.5 device, 9.6 bank), and their
//! conversions to and from [`Transaction`].
//!
//! Two directions, two rules: what the bank sends is canonicalised (a half-width name is
//! fine, [`RegisterTransactionRequest::validate`]); what the provider sends must already be
//! canonical ([`PendingTransaction::to_transaction`], [`TransactionDetails::to_transaction`]),
//! because the app binds exactly the bytes it shows, and a field that canonicalises to
//! something else was not what the provider MACed.

use serde::{Deserialize, Serialize};

use super::{Bytes, TokenState, V1, VerifyRequest, VerifyResult, max_chars, opt_max_chars};
use crate::{
    ids::{ServiceId, UserId},
    status::NONCE_LEN,
    transaction::redact::{MaskedDigits, RedactedText},
    transaction::{
        AccountNumber, AccountType, Amount, BankCode, BranchCode, DIGEST_LEN, Decision, HolderName,
        OfflineChallenge, Payee, Reference, Transaction, TransactionError, TransactionField,
        TransactionId, TransactionKeys, TransactionState,
    },
};

/// The most pending transactions a token may have, and a list reply may carry (9.7).
pub const MAX_PENDING: usize = 10;
/// The lifetime a registration gets when it names none, in seconds.
pub const DEFAULT_LIFETIME_S: u32 = 300;
/// The shortest lifetime a bank may ask for, in seconds.
pub const MIN_LIFETIME_S: u32 = 60;
/// The longest lifetime a bank may ask for, in seconds.
pub const MAX_LIFETIME_S: u32 = 900;
/// The longest long-poll wait of the bank's outcome read, in seconds.
pub const MAX_WAIT_S: u32 = 30;
/// Typed codes a transaction allows before it is `failed`.
pub const MAX_CODE_ATTEMPTS: u32 = 3;

/// A payee as JSON. Strings are bounded before anything else looks at them. `Debug` masks the
/// account number and the name (the customer's data).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePayee {
    /// 金融機関コード (4 digits).
    #[serde(deserialize_with = "max_chars::<_, 16>")]
    pub bank_code: String,
    /// 支店コード (3 digits).
    #[serde(deserialize_with = "max_chars::<_, 16>")]
    pub branch_code: String,
    /// 預金種目: `ordinary`, `checking` or `savings`.
    pub account_type: AccountType,
    /// 口座番号 (7 digits).
    #[serde(deserialize_with = "max_chars::<_, 16>")]
    pub account_number: String,
    /// 受取人名 (katakana; the bank may send half-width, the provider replies canonical).
    #[serde(deserialize_with = "max_chars::<_, 64>")]
    pub name: String,
}

impl std::fmt::Debug for WirePayee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WirePayee")
            .field("bank_code", &self.bank_code)
            .field("branch_code", &self.branch_code)
            .field("account_type", &self.account_type)
            .field("account_number", &MaskedDigits(&self.account_number))
            .field("name", &RedactedText(&self.name))
            .finish()
    }
}

impl From<&Payee> for WirePayee {
    fn from(payee: &Payee) -> Self {
        WirePayee {
            bank_code: payee.bank_code.as_str().to_owned(),
            branch_code: payee.branch_code.as_str().to_owned(),
            account_type: payee.account_type,
            account_number: payee.account_number.as_str().to_owned(),
            name: payee.name.as_str().to_owned(),
        }
    }
}

/// `Err(NotCanonical)` unless `given` is exactly the canonical text.
fn require_canonical(
    given: &str,
    canonical: &str,
    field: TransactionField,
) -> Result<(), TransactionError> {
    if given == canonical {
        Ok(())
    } else {
        Err(TransactionError::NotCanonical { field })
    }
}

impl WirePayee {
    /// Validates and canonicalises (bank input).
    pub fn to_payee(&self) -> Result<Payee, TransactionError> {
        Ok(Payee {
            bank_code: BankCode::parse(&self.bank_code)?,
            branch_code: BranchCode::parse(&self.branch_code)?,
            account_type: self.account_type,
            account_number: AccountNumber::parse(&self.account_number)?,
            name: HolderName::parse(&self.name)?,
        })
    }

    /// Validates and requires every field to be canonical already (provider replies).
    pub fn to_canonical_payee(&self) -> Result<Payee, TransactionError> {
        let payee = self.to_payee()?;
        require_canonical(
            &self.bank_code,
            payee.bank_code.as_str(),
            TransactionField::BankCode,
        )?;
        require_canonical(
            &self.branch_code,
            payee.branch_code.as_str(),
            TransactionField::BranchCode,
        )?;
        require_canonical(
            &self.account_number,
            payee.account_number.as_str(),
            TransactionField::AccountNumber,
        )?;
        require_canonical(&self.name, payee.name.as_str(), TransactionField::Name)?;
        Ok(payee)
    }
}

/// An amount as JSON: `{"value":123456,"currency":"JPY"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireAmount {
    /// Integer units of the currency (yen).
    pub value: u64,
    /// ISO 4217 code; only `JPY` is accepted.
    #[serde(deserialize_with = "max_chars::<_, 8>")]
    pub currency: String,
}

impl From<Amount> for WireAmount {
    fn from(amount: Amount) -> Self {
        WireAmount {
            value: amount.value(),
            currency: amount.currency().to_owned(),
        }
    }
}

impl WireAmount {
    /// Validates: `JPY` (else [`TransactionError::UnsupportedCurrency`]), 1..=9,999,999,999.
    pub fn to_amount(&self) -> Result<Amount, TransactionError> {
        Amount::new(self.value, &self.currency)
    }
}

/// An optional reference as received from the provider: absent, or canonical and non-empty.
fn canonical_reference(given: Option<&str>) -> Result<Option<Reference>, TransactionError> {
    let Some(text) = given else {
        return Ok(None);
    };
    let reference = Reference::parse(text).map_err(|err| match err {
        TransactionError::Empty { field } => TransactionError::NotCanonical { field },
        other => other,
    })?;
    require_canonical(text, reference.as_str(), TransactionField::Reference)?;
    Ok(Some(reference))
}

/// One pending transaction in the device's list (9.5). `Debug` masks the customer's data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTransaction {
    /// Transaction id.
    pub id: TransactionId,
    /// Payee, canonical.
    pub payee: WirePayee,
    /// Amount.
    pub amount: WireAmount,
    /// Reference, canonical; absent when there is none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_max_chars::<_, 64>"
    )]
    pub reference: Option<String>,
    /// When it expires, unix ms (provider clock).
    pub expires_at_ms: u64,
}

impl From<&Transaction> for PendingTransaction {
    fn from(t: &Transaction) -> Self {
        PendingTransaction {
            id: t.id,
            payee: WirePayee::from(&t.payee),
            amount: WireAmount::from(t.amount),
            reference: t.reference.as_ref().map(|r| r.as_str().to_owned()),
            expires_at_ms: t.expires_at_ms,
        }
    }
}

impl PendingTransaction {
    /// The transaction, for the token the list was asked for; every field must be canonical.
    pub fn to_transaction(
        &self,
        service_id: ServiceId,
        user_id: UserId,
    ) -> Result<Transaction, TransactionError> {
        Ok(Transaction {
            id: self.id,
            service_id,
            user_id,
            payee: self.payee.to_canonical_payee()?,
            amount: self.amount.to_amount()?,
            reference: canonical_reference(self.reference.as_deref())?,
            expires_at_ms: self.expires_at_ms,
        })
    }
}

/// `POST /v1/tokens/transactions`: the app asks for its token's pending transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionListRequest {
    /// Protocol version, always 1.
    pub v: V1,
    /// Service ID.
    pub service_id: ServiceId,
    /// User ID.
    pub user_id: UserId,
    /// Fresh random nonce (16 bytes).
    pub nonce: Bytes,
    /// Device clock, unix ms.
    pub time_ms: u64,
    /// `list_proof` (32 bytes).
    pub proof: Bytes,
}

/// Reply to [`TransactionListRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionListResponse {
    /// Protocol version, always 1.
    pub v: V1,
    /// The token's state.
    pub state: TokenState,
    /// Provider clock, unix ms.
    pub server_time_ms: u64,
    /// `list_mac` (32 bytes) over the nonce, state, time and every digest.
    pub mac: Bytes,
    /// Pending, unexpired transactions, oldest first (at most [`MAX_PENDING`]).
    pub transactions: Vec<PendingTransaction>,
}

/// Why the app refuses a list reply. In both cases nothing of it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListReplyError {
    /// A field is invalid or not canonical, or the list is too long: a malformed reply.
    #[error("malformed transaction list: {0}")]
    Malformed(#[from] TransactionError),
    /// More transactions than a token may have pending.
    #[error("malformed transaction list: {count} transactions, at most {MAX_PENDING}")]
    TooMany {
        /// How many the reply listed.
        count: usize,
    },
    /// The list MAC did not verify: the reply may come from an interceptor.
    #[error("the transaction list's MAC did not verify (possible interception)")]
    BadMac,
}

impl TransactionListResponse {
    /// The provider's reply for these transactions, with its MAC.
    pub fn new(
        keys: &TransactionKeys,
        nonce: &[u8],
        state: TokenState,
        server_time_ms: u64,
        transactions: &[Transaction],
    ) -> Self {
        let digests: Vec<[u8; DIGEST_LEN]> = transactions.iter().map(Transaction::digest).collect();
        TransactionListResponse {
            v: V1,
            state,
            server_time_ms,
            mac: Bytes::from(
                keys.list_mac(nonce, state, server_time_ms, &digests)
                    .to_vec(),
            ),
            transactions: transactions.iter().map(PendingTransaction::from).collect(),
        }
    }

    /// The app's check: every transaction canonical, then the MAC over their digests
    /// recomputed and compared in constant time. Only an `Ok` list may be shown.
    pub fn verify(
        &self,
        keys: &TransactionKeys,
        nonce: &[u8; NONCE_LEN],
        service_id: ServiceId,
        user_id: UserId,
    ) -> Result<Vec<Transaction>, ListReplyError> {
        if self.transactions.len() > MAX_PENDING {
            return Err(ListReplyError::TooMany {
                count: self.transactions.len(),
            });
        }
        let transactions = self
            .transactions
            .iter()
            .map(|t| t.to_transaction(service_id, user_id))
            .collect::<Result<Vec<_>, _>>()?;
        let digests: Vec<[u8; DIGEST_LEN]> = transactions.iter().map(Transaction::digest).collect();
        if keys.verify_list_response(
            nonce,
            self.state,
            self.server_time_ms,
            &digests,
            self.mac.as_slice(),
        ) {
            Ok(transactions)
        } else {
            Err(ListReplyError::BadMac)
        }
    }
}

/// `POST /v1/transactions/decision`: one-tap approve or reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRequest {
    /// Protocol version, always 1.
    pub v: V1,
    /// Service ID.
    pub service_id: ServiceId,
    /// User ID.
    pub user_id: UserId,
    /// The transaction decided on.
    pub transaction_id: TransactionId,
    /// Approve or reject.
    pub decision: Decision,
    /// `decision_mac` (32 bytes, 署名値) over the decision and the transaction's digest.
    pub mac: Bytes,
}

/// `200` reply to [`DecisionRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionResponse {
    /// Protocol version, always 1.
    pub v: V1,
    /// The transaction.
    pub transaction_id: TransactionId,
    /// Its state now: `approved` or `rejected`.
    pub state: TransactionState,
    /// Provider clock, unix ms.
    pub server_time_ms: u64,
    /// `result_mac` (32 bytes); the app checks it before it says the decision was taken.
    pub mac: Bytes,
}

/// `POST /v1/services/{service_id}/tokens/{user_id}/transactions`: register a transfer.
/// `Debug` masks the customer's data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterTransactionRequest {
    /// Payee (the name may be half-width kana).
    pub payee: WirePayee,
    /// Amount (JPY).
    pub amount: WireAmount,
    /// Free text for the customer (canonical: at most 32 characters).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_max_chars::<_, 64>"
    )]
    pub reference: Option<String>,
    /// Lifetime in seconds, 60 to 900 (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_s: Option<u32>,
}

/// A validated registration: canonical values and a lifetime within bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Payee, canonical.
    pub payee: Payee,
    /// Amount.
    pub amount: Amount,
    /// Reference, canonical (blank is none).
    pub reference: Option<Reference>,
    /// Lifetime in seconds.
    pub lifetime_s: u32,
}

impl RegisterTransactionRequest {
    /// Validates and canonicalises every field; the error names the first bad one (and is
    /// [`TransactionError::UnsupportedCurrency`] for a currency other than JPY).
    pub fn validate(&self) -> Result<Registration, TransactionError> {
        let lifetime_s = self.lifetime_s.unwrap_or(DEFAULT_LIFETIME_S);
        if !(MIN_LIFETIME_S..=MAX_LIFETIME_S).contains(&lifetime_s) {
            return Err(TransactionError::OutOfRange {
                field: TransactionField::Lifetime,
                min: MIN_LIFETIME_S.into(),
                max: MAX_LIFETIME_S.into(),
            });
        }
        Ok(Registration {
            payee: self.payee.to_payee()?,
            amount: self.amount.to_amount()?,
            reference: Reference::parse_optional(self.reference.as_deref())?,
            lifetime_s,
        })
    }
}

impl Registration {
    /// The transaction this registration becomes, created at `created_at_ms`.
    pub fn into_transaction(
        self,
        id: TransactionId,
        service_id: ServiceId,
        user_id: UserId,
        created_at_ms: u64,
    ) -> Transaction {
        Transaction {
            id,
            service_id,
            user_id,
            payee: self.payee,
            amount: self.amount,
            reference: self.reference,
            expires_at_ms: created_at_ms.saturating_add(u64::from(self.lifetime_s) * 1000),
        }
    }
}

/// What the bank sees of a transaction (`201` of the registration, the outcome read, cancel).
/// `Debug` masks the customer's data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionDetails {
    /// Transaction id.
    pub id: TransactionId,
    /// Service ID.
    pub service_id: ServiceId,
    /// User ID.
    pub user_id: UserId,
    /// State.
    pub state: TransactionState,
    /// Payee, canonical.
    pub payee: WirePayee,
    /// Amount.
    pub amount: WireAmount,
    /// Reference, canonical; absent when none.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_max_chars::<_, 64>"
    )]
    pub reference: Option<String>,
    /// Registered at, unix ms.
    pub created_at_ms: u64,
    /// Expires at, unix ms.
    pub expires_at_ms: u64,
    /// Left `pending` at, unix ms; absent while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at_ms: Option<u64>,
    /// Typed codes still allowed (of 3).
    pub attempts_left: u32,
    /// Provider clock, unix ms.
    pub server_time_ms: u64,
}

/// The provider's bookkeeping of a transaction beyond its canonical fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionRecord {
    /// State.
    pub state: TransactionState,
    /// Registered at, unix ms.
    pub created_at_ms: u64,
    /// Left `pending` at, unix ms.
    pub decided_at_ms: Option<u64>,
    /// Typed codes still allowed.
    pub attempts_left: u32,
}

impl TransactionDetails {
    /// The details of `transaction` as the provider holds it, stamped `server_time_ms`.
    pub fn new(transaction: &Transaction, record: TransactionRecord, server_time_ms: u64) -> Self {
        let pending = PendingTransaction::from(transaction);
        TransactionDetails {
            id: transaction.id,
            service_id: transaction.service_id,
            user_id: transaction.user_id,
            state: record.state,
            payee: pending.payee,
            amount: pending.amount,
            reference: pending.reference,
            created_at_ms: record.created_at_ms,
            expires_at_ms: transaction.expires_at_ms,
            decided_at_ms: record.decided_at_ms,
            attempts_left: record.attempts_left,
            server_time_ms,
        }
    }

    /// The transaction these details describe; every field must be canonical.
    pub fn to_transaction(&self) -> Result<Transaction, TransactionError> {
        PendingTransaction {
            id: self.id,
            payee: self.payee.clone(),
            amount: self.amount.clone(),
            reference: self.reference.clone(),
            expires_at_ms: self.expires_at_ms,
        }
        .to_transaction(self.service_id, self.user_id)
    }
}

/// `POST …/transactions/{transaction_id}/verify`: the typed transaction code, `{"otp":"…"}`,
/// the same body as the login verify.
pub type TransactionVerifyRequest = VerifyRequest;

/// Outcome of a typed transaction code (9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionVerifyResult {
    /// The code is right; the transaction is now `confirmed`.
    Accepted,
    /// The code is wrong or malformed; `attempts_left` says how many remain.
    Rejected,
    /// The transaction was already confirmed.
    Replayed,
    /// The transaction expired.
    Expired,
    /// The transaction failed (3 wrong codes, or its token was locked or revoked).
    Failed,
    /// The bank cancelled the transaction.
    Cancelled,
    /// The user already approved or rejected it by tap.
    Decided,
    /// The token is locked (also the answer to the failure that locks it).
    Locked,
    /// The token is revoked.
    Revoked,
    /// The token was replaced by a newer token of the same customer (a phone change).
    Replaced,
}

/// Reply to [`TransactionVerifyRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionVerifyResponse {
    /// Outcome.
    pub result: TransactionVerifyResult,
    /// The transaction's state now.
    pub state: TransactionState,
    /// Typed codes the transaction still allows.
    pub attempts_left: u32,
    /// The token's wrong codes still allowed before it locks.
    pub failures_left: u32,
    /// Provider clock, unix ms.
    pub server_time_ms: u64,
}

/// `POST …/tokens/{user_id}/challenge/verify`: an offline code and its challenge.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeVerifyRequest {
    /// The payee's account number (normalised like typed input).
    #[serde(deserialize_with = "max_chars::<_, 64>")]
    pub account_number: String,
    /// The amount in yen, when the bank's offline mode includes it (selects `QN20`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// The code as the user typed it.
    #[serde(deserialize_with = "max_chars::<_, 64>")]
    pub otp: String,
}

impl std::fmt::Debug for ChallengeVerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChallengeVerifyRequest")
            .field("account_number", &MaskedDigits(&self.account_number))
            .field("amount", &self.amount)
            .field("otp", &"<redacted>")
            .finish()
    }
}

impl Drop for ChallengeVerifyRequest {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.otp);
    }
}

impl ChallengeVerifyRequest {
    /// The challenge: the account number through the normaliser, the amount within range.
    pub fn challenge(&self) -> Result<OfflineChallenge, TransactionError> {
        Ok(OfflineChallenge {
            account_number: AccountNumber::parse(&self.account_number)?,
            amount: self.amount.map(Amount::jpy).transpose()?,
        })
    }
}

/// Reply to [`ChallengeVerifyRequest`]; `result` and counting are the login verify's (7.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeVerifyResponse {
    /// Outcome.
    pub result: VerifyResult,
    /// The token's wrong codes still allowed before it locks.
    pub failures_left: u32,
    /// Provider clock, unix ms.
    pub server_time_ms: u64,
}

/// A reference in `Debug`: its length only.
fn redacted(reference: &Option<String>) -> Option<RedactedText<'_>> {
    reference.as_deref().map(RedactedText)
}

impl std::fmt::Debug for PendingTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingTransaction")
            .field("id", &self.id)
            .field("payee", &self.payee)
            .field("amount", &self.amount)
            .field("reference", &redacted(&self.reference))
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

impl std::fmt::Debug for RegisterTransactionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterTransactionRequest")
            .field("payee", &self.payee)
            .field("amount", &self.amount)
            .field("reference", &redacted(&self.reference))
            .field("lifetime_s", &self.lifetime_s)
            .finish()
    }
}

impl std::fmt::Debug for TransactionDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionDetails")
            .field("id", &self.id)
            .field("service_id", &self.service_id)
            .field("user_id", &self.user_id)
            .field("state", &self.state)
            .field("payee", &self.payee)
            .field("amount", &self.amount)
            .field("reference", &redacted(&self.reference))
            .field("created_at_ms", &self.created_at_ms)
            .field("expires_at_ms", &self.expires_at_ms)
            .field("decided_at_ms", &self.decided_at_ms)
            .field("attempts_left", &self.attempts_left)
            .field("server_time_ms", &self.server_time_ms)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `{:?}` of any transaction message, as a log line or a panic would print it, carries
    /// neither the account number, the name, nor the reference.
    #[test]
    fn debug_masks_the_customers_data() {
        let request = RegisterTransactionRequest {
            payee: WirePayee {
                bank_code: "0001".into(),
                branch_code: "101".into(),
                account_type: AccountType::Ordinary,
                account_number: "1234567".into(),
                name: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
            },
            amount: WireAmount {
                value: 50_000,
                currency: "JPY".into(),
            },
            reference: Some("3月分家賃".into()),
            lifetime_s: None,
        };
        let registration = request.validate().unwrap();
        let challenge = ChallengeVerifyRequest {
            account_number: "1234567".into(),
            amount: Some(50_000),
            otp: "12345678".into(),
        };
        for shown in [
            format!("{request:?}"),
            format!("{registration:?}"),
            format!("{challenge:?}"),
        ] {
            for secret in ["1234567", "ﾔﾏﾀﾞ", "ヤマダ", "家賃", "12345678"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(
                shown.contains("567"),
                "the last digits tell values apart: {shown}"
            );
        }
    }
}
