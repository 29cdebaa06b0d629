//! Messages between the bank and the provider (bearer API key, scoped to one service).

use serde::{Deserialize, Deserializer, Serialize};

use super::{DeviceInfo, TokenState, bounded_string};
use crate::{
    ids::{ServiceId, UserId},
    totp::TokenParams,
};

/// `POST /v1/services/{service_id}/tokens`: issue a token (手順1 トークン発行).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueTokenRequest {
    /// The phone's mail address the Service ID and User ID are sent to (at most 254 characters).
    #[serde(deserialize_with = "max_254")]
    pub email: String,
    /// The activation password (利用開始パスワード) the user chose; used once for OPAQUE
    /// registration, never stored (at most 256 characters).
    #[serde(deserialize_with = "max_256")]
    pub activation_password: String,
    /// A label shown in the app (at most 64 characters).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_max_64"
    )]
    pub label: Option<String>,
    /// The bank's customer reference (at most 64 characters). Re-issuing for the same
    /// reference replaces the customer's unfinished token (the manual's 「戻る」 path);
    /// defaults to the mail address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_max_64"
    )]
    pub customer_ref: Option<String>,
}

impl std::fmt::Debug for IssueTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssueTokenRequest")
            .field("email", &self.email)
            .field("activation_password", &"<redacted>")
            .field("label", &self.label)
            .field("customer_ref", &self.customer_ref)
            .finish()
    }
}

impl Drop for IssueTokenRequest {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.activation_password);
    }
}

fn max_254<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    bounded_string(deserializer, 254)
}

fn max_256<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    bounded_string(deserializer, 256)
}

fn opt_max_64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    bounded_string(deserializer, 64).map(Some)
}

/// `201` reply to [`IssueTokenRequest`]: what the bank screen shows (手順2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueTokenResponse {
    /// Service ID.
    pub service_id: ServiceId,
    /// The new User ID.
    pub user_id: UserId,
    /// The token parameters.
    pub token: TokenParams,
    /// Activation deadline, unix milliseconds.
    pub expires_at_ms: u64,
    /// Provider clock, unix milliseconds.
    pub server_time_ms: u64,
}

/// `POST /v1/services/{service_id}/tokens/{user_id}/verify`: check a code (認証確認 / login).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// The code as the user typed it; the provider normalises it (full-width, spaces).
    #[serde(deserialize_with = "max_64")]
    pub otp: String,
}

impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyRequest { otp: <redacted> }")
    }
}

fn max_64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    bounded_string(deserializer, 64)
}

/// Outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyResult {
    /// The code is right; the token is (now) active.
    Accepted,
    /// The code is wrong (or malformed).
    Rejected,
    /// The code was right but its time step was already used.
    Replayed,
    /// The token is locked after too many wrong codes (also the answer to the failure that
    /// locks it); the bank must unlock it.
    Locked,
    /// The token is revoked.
    Revoked,
    /// The token was replaced by a newer token of the same customer (a phone change).
    Replaced,
    /// The token has not been activated on a phone yet.
    NotActivated,
    /// The token expired before activation, or activation was locked out.
    Expired,
}

/// Reply to [`VerifyRequest`] (always `200` when the token exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    /// Outcome.
    pub result: VerifyResult,
    /// Consecutive wrong codes still allowed before the token locks.
    pub failures_left: u32,
    /// Provider clock, unix milliseconds.
    pub server_time_ms: u64,
}

/// `GET /v1/services/{service_id}/tokens/{user_id}`: what the bank may see of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDetails {
    /// Service ID.
    pub service_id: ServiceId,
    /// User ID.
    pub user_id: UserId,
    /// State.
    pub state: TokenState,
    /// Label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Token parameters.
    pub token: TokenParams,
    /// Issued at, unix ms.
    pub issued_at_ms: u64,
    /// Activation deadline, unix ms.
    pub expires_at_ms: u64,
    /// Activated on a phone at, unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at_ms: Option<u64>,
    /// First code verified (認証確認) at, unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at_ms: Option<u64>,
    /// Revoked at, unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at_ms: Option<u64>,
    /// Replaced at (state `replaced`): the 認証確認 of [`TokenDetails::replaced_by`], unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_at_ms: Option<u64>,
    /// The customer's newer token that replaced this one (state `replaced`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<UserId>,
    /// Last accepted code at, unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at_ms: Option<u64>,
    /// Activation attempts left.
    pub activation_attempts_left: u32,
    /// Consecutive wrong codes still allowed.
    pub failures_left: u32,
    /// The phone, as it described itself at activation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceInfo>,
    /// Provider clock, unix milliseconds.
    pub server_time_ms: u64,
}
