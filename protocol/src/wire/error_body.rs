//! The error body every non-2xx response carries.

use serde::{Deserialize, Serialize};

/// Machine-readable error codes. Toward devices they are deliberately coarse: a failed
/// activation never says whether the ID or the password was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request is not valid JSON for this endpoint, or a field is invalid.
    BadRequest,
    /// 400: the request's `"v"` is not a version the provider speaks.
    UnsupportedVersion,
    /// 413: the body exceeds the endpoint's limit.
    PayloadTooLarge,
    /// 415: a request with a body did not say `Content-Type: application/json` (a cross-site
    /// form or `text/plain` request from a web page can never say it without CORS approval).
    UnsupportedMediaType,
    /// 401: bank API key missing or wrong for this service.
    Unauthorized,
    /// 404: no such service, token or activation (bank side); no such activation (device side).
    NotFound,
    /// 401: activation failed (wrong password or unknown token, indistinguishably).
    ActivationFailed,
    /// 423: too many failed activation attempts; a new token must be issued.
    ActivationLocked,
    /// 410: the token was not activated in time.
    TokenExpired,
    /// 410: the token was revoked.
    TokenRevoked,
    /// 410: the token was replaced by a newer token of the same customer (a phone change).
    TokenReplaced,
    /// 409: the token is already active on a phone; a new token must be issued.
    AlreadyActive,
    /// 401: a status proof did not verify.
    StatusDenied,
    /// 409: the request conflicts with the token's state (bank side, e.g. unlock of a token
    /// that is not locked).
    Conflict,
    /// 401: a transaction list proof or a decision MAC did not verify (an unknown token, a
    /// token without a seed and a wrong proof are indistinguishable).
    ProofDenied,
    /// 423: the token is locked; it takes no decisions until the bank unlocks it.
    TokenLocked,
    /// 410: the transaction expired before the decision.
    TransactionExpired,
    /// 409: the transaction is already in a final state (`state` says which).
    TransactionDecided,
    /// 400: a currency other than JPY.
    UnsupportedCurrency,
    /// 409: only `active` tokens take transactions (`state` says the token's).
    TokenNotActive,
    /// 409: the token already has the most pending transactions allowed (10).
    TooManyPending,
    /// 429: too many requests; see `retry_after_s` and the `Retry-After` header.
    RateLimited,
    /// 500: the provider failed; safe to retry later.
    Internal,
    /// 503: the provider is shutting down or overloaded; retry.
    Unavailable,
}

/// JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorCode,
    /// A human-readable English sentence (for logs and developers, not for end users).
    pub message: String,
    /// Activation attempts left, on `activation_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// Seconds to wait, on `rate_limited` (mirrors the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u32>,
    /// The state that explains the refusal: the transaction's on `transaction_decided`, the
    /// token's on `token_not_active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Provider clock, unix milliseconds.
    pub server_time_ms: u64,
}
