//! What the app shows: [`TokenInfo`], [`TokenStatus`] and [`OtpCode`].

use std::fmt;

use softtoken_protocol::totp::Algorithm;

/// How long a clock offset may be before `TokenInfo` flags the device clock as off, ms.
pub const CLOCK_SKEW_WARNING_MS: i64 = 3 * 60 * 1000;

/// The state of a token on this phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStatus {
    /// Set up; waiting for the first code to be confirmed at the bank (認証確認).
    PendingConfirmation,
    /// In use.
    Active,
    /// Too many wrong codes at the bank; the bank must unlock it. Codes are still shown.
    Locked,
    /// Revoked by the bank: no codes.
    Revoked,
    /// Moved to a new phone: the new phone's 認証確認 retired this token. No codes.
    Replaced {
        /// When, in the provider's Unix milliseconds (for "moved to a new phone on `<date>`").
        at_ms: u64,
    },
    /// Expired before it was confirmed: no codes.
    Expired,
    /// The seed is gone from this phone (e.g. restored backup): set up again. No codes.
    NeedsResetup,
}

/// One token as the app lists it. No secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Stable id on this phone.
    pub id: String,
    /// Service ID.
    pub service_id: String,
    /// User ID.
    pub user_id: String,
    /// The user's label.
    pub label: Option<String>,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: u8,
    /// Seconds per code.
    pub period: u32,
    /// State.
    pub status: TokenStatus,
    /// When it was set up on this phone, unix ms.
    pub created_at_ms: u64,
    /// Provider time minus device time, ms (codes are computed with it).
    pub clock_offset_ms: i64,
    /// Whether the device clock is off by more than [`CLOCK_SKEW_WARNING_MS`] (codes are still
    /// right; the app may suggest fixing the clock).
    pub clock_skewed: bool,
}

/// The code to show now.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode {
    /// The digits (8 by default).
    pub code: String,
    /// Seconds per code.
    pub period: u32,
    /// Unix time (provider clock) at which this code became valid, seconds.
    pub valid_from_unix: u64,
    /// Milliseconds it stays valid (for the countdown ring).
    pub remaining_ms: u64,
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpCode")
            .field("code", &"<redacted>")
            .field("period", &self.period)
            .field("valid_from_unix", &self.valid_from_unix)
            .field("remaining_ms", &self.remaining_ms)
            .finish()
    }
}

impl Drop for OtpCode {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.code);
    }
}
