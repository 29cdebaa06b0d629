//! Messages between the app and the provider (no API key; authenticated by OPAQUE or the seed).

use serde::{Deserialize, Deserializer, Serialize};

use super::{Bytes, TokenState, V1, bounded_string};
use crate::{
    ids::{ServiceId, UserId},
    totp::TokenParams,
};

/// `POST /v1/activations`: the app starts activation with KE1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationStartRequest {
    /// Protocol version, always 1.
    pub v: V1,
    /// The Service ID from the bank's mail.
    pub service_id: ServiceId,
    /// The User ID from the bank's mail.
    pub user_id: UserId,
    /// OPAQUE KE1 (96 bytes).
    pub ke1: Bytes,
}

/// Reply to [`ActivationStartRequest`]: KE2 and what the app needs to finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationStartResponse {
    /// Protocol version, always 1.
    pub v: V1,
    /// Opaque handle of this activation, for the finish call (URL-safe, at most 64 characters).
    #[serde(deserialize_with = "activation_id")]
    pub activation_id: String,
    /// OPAQUE KE2 (320 bytes).
    pub ke2: Bytes,
    /// The token's parameters; bound into the handshake, so they cannot be altered in transit.
    pub token: TokenParams,
    /// Activation attempts left after this one, should it fail.
    pub attempts_left: u32,
    /// When this activation must be finished by, unix milliseconds (provider clock): the
    /// activation id's deadline (5 minutes by default), not the token's set-up deadline (the
    /// bank API's `expires_at_ms`), hence its own name.
    pub activation_expires_at_ms: u64,
    /// Provider clock, unix milliseconds.
    pub server_time_ms: u64,
}

fn activation_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let id = bounded_string(deserializer, 64)?;
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(serde::de::Error::custom(
            "activation_id must be 1-64 URL-safe characters",
        ));
    }
    Ok(id)
}

/// What the app tells the provider about the phone, for the bank's token details. Free text,
/// never trusted for anything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Platform, e.g. `"ios"`, `"android"`, `"linux"` (at most 32 characters).
    #[serde(deserialize_with = "max_32")]
    pub platform: String,
    /// Device model (at most 64 characters).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_max_64"
    )]
    pub model: Option<String>,
    /// App version (at most 32 characters).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_max_32"
    )]
    pub app_version: Option<String>,
}

fn max_32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    bounded_string(deserializer, 32)
}

fn opt_max_32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    bounded_string(deserializer, 32).map(Some)
}

fn opt_max_64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    bounded_string(deserializer, 64).map(Some)
}

/// `POST /v1/activations/{activation_id}/finish`: KE3 and the client key confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationFinishRequest {
    /// Protocol version, always 1.
    pub v: V1,
    /// OPAQUE KE3 (64 bytes).
    pub ke3: Bytes,
    /// Client key confirmation (32 bytes).
    pub client_confirmation: Bytes,
    /// The phone.
    pub device: DeviceInfo,
}

/// Reply to [`ActivationFinishRequest`]: the provider stored the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationFinishResponse {
    /// Protocol version, always 1.
    pub v: V1,
    /// The token's state now, normally `pending_confirmation`.
    pub state: TokenState,
    /// Provider key confirmation (32 bytes); the app stores the seed only if it verifies.
    pub server_confirmation: Bytes,
    /// Provider clock, unix milliseconds.
    pub server_time_ms: u64,
}

/// `POST /v1/tokens/status`: the app proves it holds the seed and asks for the token's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRequest {
    /// Protocol version, always 1.
    pub v: V1,
    /// Service ID.
    pub service_id: ServiceId,
    /// User ID.
    pub user_id: UserId,
    /// Fresh random nonce (16 bytes).
    pub nonce: Bytes,
    /// Device clock, unix milliseconds (informational: the device clock may be wrong, which is
    /// exactly what this call corrects).
    pub time_ms: u64,
    /// Proof of seed possession (32 bytes, [`crate::status`]).
    pub proof: Bytes,
}

/// Reply to [`StatusRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// Protocol version, always 1.
    pub v: V1,
    /// The token's state.
    pub state: TokenState,
    /// Provider clock, unix milliseconds.
    pub server_time_ms: u64,
    /// When the token was replaced (its customer's new token's 認証確認), unix ms: present
    /// exactly when `state` is `replaced`, and then covered by `mac`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_at_ms: Option<u64>,
    /// MAC over the request nonce, the state, the time and (for `replaced`) the replacement
    /// time (32 bytes, [`crate::status`]), so only the provider can tell the app its token is
    /// revoked or replaced.
    pub mac: Bytes,
}
