//! What the app shows, as uniffi records and enums: [`TokenInfo`], [`OtpCode`],
//! [`TokenStatus`], [`Algorithm`]. Conversions from the core's types live here.
//!
//! The shells hand these to apps as they are (one definition of each, here), so their fields
//! use the integer types every language reads naturally: `i32` and `i64`, which are Kotlin's
//! `Int` and `Long` (the JVM has no unsigned types; Kotlin's `UInt` cannot be used from Java)
//! and Swift's `Int32` and `Int64`. The core's unsigned values always fit: digits and periods
//! are small, and times in milliseconds overflow `i64` only in 292 million years.

use std::fmt;

use softtoken_core::token as core;
use softtoken_protocol::totp;

/// HMAC algorithm of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Algorithm {
    /// HMAC-SHA-1 (RFC 6238 default).
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl From<totp::Algorithm> for Algorithm {
    fn from(value: totp::Algorithm) -> Self {
        match value {
            totp::Algorithm::Sha1 => Algorithm::Sha1,
            totp::Algorithm::Sha256 => Algorithm::Sha256,
            totp::Algorithm::Sha512 => Algorithm::Sha512,
        }
    }
}

/// The state of a token on this phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TokenStatus {
    /// Set up; waiting for the first code to be confirmed at the bank (認証確認).
    PendingConfirmation,
    /// In use.
    Active,
    /// Too many wrong codes at the bank; the bank must unlock it. Codes are still shown.
    Locked,
    /// Revoked by the bank: no codes.
    Revoked,
    /// Moved to a new phone: the new phone's 認証確認 retired this token (final). No codes;
    /// [`TokenInfo::replaced_at_ms`] says when.
    Replaced,
    /// Expired before it was confirmed: no codes.
    Expired,
    /// The seed is gone from this phone (e.g. a restored backup): set up again. No codes.
    NeedsResetup,
}

impl From<core::TokenStatus> for TokenStatus {
    fn from(value: core::TokenStatus) -> Self {
        match value {
            core::TokenStatus::PendingConfirmation => TokenStatus::PendingConfirmation,
            core::TokenStatus::Active => TokenStatus::Active,
            core::TokenStatus::Locked => TokenStatus::Locked,
            core::TokenStatus::Revoked => TokenStatus::Revoked,
            core::TokenStatus::Replaced { .. } => TokenStatus::Replaced,
            core::TokenStatus::Expired => TokenStatus::Expired,
            core::TokenStatus::NeedsResetup => TokenStatus::NeedsResetup,
        }
    }
}

/// One token as the app lists it. No secrets.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TokenInfo {
    /// Stable id on this phone (`<service id>-<user id>`), used by every other call.
    pub id: String,
    /// Service ID (8 digits).
    pub service_id: String,
    /// User ID (16 characters).
    pub user_id: String,
    /// The user's label, if any.
    pub label: Option<String>,
    /// HMAC algorithm of its codes.
    pub algorithm: Algorithm,
    /// Digits per code (8).
    pub digits: i32,
    /// Seconds per code (30).
    pub period: i32,
    /// State.
    pub status: TokenStatus,
    /// When it was set up on this phone, unix ms.
    pub created_at_ms: i64,
    /// Provider time minus device time, ms (codes are computed with it).
    pub clock_offset_ms: i64,
    /// Whether the device clock is off by more than three minutes (codes are still right; the
    /// app may suggest fixing the clock).
    pub clock_skewed: bool,
    /// When the token moved to a new phone, unix ms (provider time): set when `status` is
    /// `Replaced`, for "this token moved to a new phone on `<date>`".
    pub replaced_at_ms: Option<i64>,
}

impl From<core::TokenInfo> for TokenInfo {
    fn from(value: core::TokenInfo) -> Self {
        TokenInfo {
            id: value.id,
            service_id: value.service_id,
            user_id: value.user_id,
            label: value.label,
            algorithm: value.algorithm.into(),
            digits: i32::from(value.digits),
            period: signed_period(value.period),
            status: value.status.into(),
            created_at_ms: signed(value.created_at_ms),
            clock_offset_ms: value.clock_offset_ms,
            clock_skewed: value.clock_skewed,
            replaced_at_ms: match value.status {
                core::TokenStatus::Replaced { at_ms } => Some(signed(at_ms)),
                _ => None,
            },
        }
    }
}

/// The code to show now, with what the countdown needs. Its `Debug` (Kotlin's `toString()`,
/// Swift's `debugDescription`, which string interpolation falls back to) hides the code, so an
/// `OtpCode` may be logged.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct OtpCode {
    /// The digits (8 by default).
    pub code: String,
    /// Seconds per code.
    pub period: i32,
    /// Unix time (provider clock) at which this code became valid, seconds.
    pub valid_from_unix: i64,
    /// Milliseconds it stays valid (for the countdown ring).
    pub remaining_ms: i64,
}

#[uniffi::export]
impl OtpCode {
    /// Unix time (provider clock), seconds, at which the next code becomes valid.
    pub fn valid_until_unix(&self) -> i64 {
        self.valid_from_unix.saturating_add(i64::from(self.period))
    }

    /// The share of the period left when this code was read, from 1.0 (just started) down to
    /// 0.0, for a countdown ring.
    pub fn remaining_fraction(&self) -> f32 {
        let period_ms = i64::from(self.period).saturating_mul(1000);
        if period_ms <= 0 {
            return 0.0;
        }
        // Both are at most 300 000 (five minutes), exact as f32.
        (self.remaining_ms as f32 / period_ms as f32).clamp(0.0, 1.0)
    }
}

impl From<core::OtpCode> for OtpCode {
    fn from(value: core::OtpCode) -> Self {
        // The core's code wipes itself on drop. This copy is moved into the buffer uniffi hands
        // to the foreign side (which cannot be wiped from here): a code lives 30 s anyway.
        OtpCode {
            code: value.code.clone(),
            period: signed_period(value.period),
            valid_from_unix: signed(value.valid_from_unix),
            remaining_ms: signed(value.remaining_ms),
        }
    }
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

/// A period in seconds (at most 300 by the protocol) as the records carry it.
fn signed_period(seconds: u32) -> i32 {
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

/// A time or duration as the records carry it (saturating; see the module docs).
pub(crate) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_core_values_become_signed_fields_saturating() {
        assert_eq!(signed(1_780_000_000_000), 1_780_000_000_000);
        assert_eq!(signed(u64::MAX), i64::MAX);
        assert_eq!(signed_period(30), 30);
        assert_eq!(signed_period(u32::MAX), i32::MAX);
    }

    #[test]
    fn the_countdown_helpers_follow_the_period() {
        let code = OtpCode {
            code: "12345678".into(),
            period: 30,
            valid_from_unix: 1_780_000_020,
            remaining_ms: 7_500,
        };
        assert_eq!(code.valid_until_unix(), 1_780_000_050);
        assert_eq!(code.remaining_fraction(), 0.25);
        let odd = OtpCode {
            period: 0,
            remaining_ms: -1,
            ..code.clone()
        };
        assert_eq!(odd.remaining_fraction(), 0.0);
        assert_eq!(
            OtpCode {
                remaining_ms: 90_000,
                ..code
            }
            .remaining_fraction(),
            1.0
        );
    }
}
