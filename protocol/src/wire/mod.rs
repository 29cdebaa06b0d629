//! JSON wire messages of protocol v1 (see `docs/protocol.md` for the HTTP exchanges).
//!
//! Every message is a serde type. Binary fields are base64url without padding ([`Bytes`]);
//! device messages carry `"v": 1` ([`V1`]) so a future version is refused clearly rather than
//! misread; every field has a size limit, and [`decode`] refuses an oversized body before
//! parsing it.

mod bank;
mod bytes;
mod device;
mod error_body;
mod state;
mod transactions;

pub use bank::{
    IssueTokenRequest, IssueTokenResponse, TokenDetails, VerifyRequest, VerifyResponse,
    VerifyResult,
};
pub use bytes::{Bytes, MAX_FIELD_BYTES};
pub use device::{
    ActivationFinishRequest, ActivationFinishResponse, ActivationStartRequest,
    ActivationStartResponse, DeviceInfo, StatusRequest, StatusResponse,
};
pub use error_body::{ErrorBody, ErrorCode};
pub use state::TokenState;
pub use transactions::{
    ChallengeVerifyRequest, ChallengeVerifyResponse, DEFAULT_LIFETIME_S, DecisionRequest,
    DecisionResponse, ListReplyError, MAX_CODE_ATTEMPTS, MAX_LIFETIME_S, MAX_PENDING, MAX_WAIT_S,
    MIN_LIFETIME_S, PendingTransaction, RegisterTransactionRequest, Registration,
    TransactionDetails, TransactionListRequest, TransactionListResponse, TransactionRecord,
    TransactionVerifyRequest, TransactionVerifyResponse, TransactionVerifyResult, WireAmount,
    WirePayee,
};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::DeserializeOwned};

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u8 = 1;

/// Largest request body a provider accepts on device endpoints, in bytes.
pub const MAX_DEVICE_REQUEST_BYTES: usize = 4 * 1024;

/// Largest request body a provider accepts on bank endpoints, in bytes.
pub const MAX_BANK_REQUEST_BYTES: usize = 16 * 1024;

/// Largest response body an app accepts from the provider, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Why a wire message could not be decoded. Messages name the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The body is larger than the limit for this message.
    #[error("message too large: {size} bytes, limit {limit}")]
    TooLarge {
        /// Body size seen.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message names a protocol version this implementation does not speak.
    #[error("unsupported protocol version {found} (this implementation speaks {PROTOCOL_VERSION})")]
    UnsupportedVersion {
        /// The version found.
        found: u64,
    },
    /// The body is not valid JSON for this message (missing field, wrong type, bad base64,
    /// field too long, invalid ID...). Values quoted by the parser are replaced by `…`.
    #[error("malformed message: {reason}")]
    Malformed {
        /// What serde reported; it names fields and positions, not values.
        reason: String,
    },
}

/// Decodes a JSON message, refusing bodies over `limit` bytes before parsing and mapping an
/// unsupported `"v"` to [`WireError::UnsupportedVersion`].
pub fn decode<T: DeserializeOwned>(body: &[u8], limit: usize) -> Result<T, WireError> {
    if body.len() > limit {
        return Err(WireError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    serde_json::from_slice(body).map_err(|err| {
        let reason = err.to_string();
        match parse_version_error(&reason) {
            Some(found) => WireError::UnsupportedVersion { found },
            None => WireError::Malformed {
                reason: redact_values(&reason),
            },
        }
    })
}

/// Removes the values serde quotes in its messages (`invalid type: string "…"`, ``integer
/// `123` ``), keeping field names (``missing field `ke1` ``): a mistyped password must not end
/// up in an error text or a log.
fn redact_values(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(open) = rest.find(['"', '`']) {
        let (before, from_quote) = rest.split_at(open);
        out.push_str(before);
        let quote = if from_quote.starts_with('"') {
            '"'
        } else {
            '`'
        };
        let inner_and_after = from_quote.get(1..).unwrap_or_default();
        let Some(close) = inner_and_after.find(quote) else {
            out.push('…');
            return out;
        };
        let inner = inner_and_after.get(..close).unwrap_or_default();
        let is_name = quote == '`'
            && !inner.is_empty()
            && inner.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
        out.push(quote);
        out.push_str(if is_name { inner } else { "…" });
        out.push(quote);
        rest = inner_and_after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Encodes a message as JSON.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    // Serializing these types cannot fail: no maps with non-string keys, no failing
    // Serialize impls. An empty object is a safe (and visibly wrong) fallback.
    serde_json::to_vec(message).unwrap_or_else(|_| b"{}".to_vec())
}

const VERSION_ERROR_PREFIX: &str = "unsupported protocol version ";

fn parse_version_error(reason: &str) -> Option<u64> {
    let rest = reason.strip_prefix(VERSION_ERROR_PREFIX)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The `"v": 1` field of device messages. Deserializing any other number fails with
/// [`WireError::UnsupportedVersion`] through [`decode`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V1;

impl Serialize for V1 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(PROTOCOL_VERSION)
    }
}

impl<'de> Deserialize<'de> for V1 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = u64::deserialize(deserializer)?;
        if found == u64::from(PROTOCOL_VERSION) {
            Ok(V1)
        } else {
            Err(serde::de::Error::custom(format_args!(
                "{VERSION_ERROR_PREFIX}{found}"
            )))
        }
    }
}

/// Deserializes a string no longer than `max` characters (for free-text fields).
pub(crate) fn bounded_string<'de, D: Deserializer<'de>>(
    deserializer: D,
    max: usize,
) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    if value.chars().count() > max {
        return Err(serde::de::Error::custom(format_args!(
            "string longer than {max} characters"
        )));
    }
    Ok(value)
}

/// [`bounded_string`] with its limit as a parameter, for `#[serde(deserialize_with =
/// "max_chars::<_, 64>")]`.
pub(crate) fn max_chars<'de, D: Deserializer<'de>, const MAX: usize>(
    deserializer: D,
) -> Result<String, D::Error> {
    bounded_string(deserializer, MAX)
}

/// [`max_chars`] for an optional field (with `#[serde(default)]`).
pub(crate) fn opt_max_chars<'de, D: Deserializer<'de>, const MAX: usize>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    bounded_string(deserializer, MAX).map(Some)
}
