//! How tokens and codes are shown: text for people, JSON for scripts. Nothing secret except
//! the code itself, which is what the user asked to see.

use serde::Serialize;
use softtoken_core::{OtpCode, TokenInfo, TokenStatus};

/// The JSON name of a status (stable for scripts).
pub fn status_name(status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::PendingConfirmation => "pending_confirmation",
        TokenStatus::Active => "active",
        TokenStatus::Locked => "locked",
        TokenStatus::Revoked => "revoked",
        TokenStatus::Replaced { .. } => "replaced",
        TokenStatus::Expired => "expired",
        TokenStatus::NeedsResetup => "needs_resetup",
    }
}

/// A status in the user's words.
pub fn status_text(status: TokenStatus) -> String {
    let text = match status {
        TokenStatus::PendingConfirmation => {
            "set up; waiting for 認証確認 (type a code into internet banking)"
        }
        TokenStatus::Active => "active",
        TokenStatus::Locked => "locked after wrong codes (the bank must unlock it)",
        TokenStatus::Revoked => "revoked (失効): no codes; ask the bank for a new token",
        TokenStatus::Replaced { at_ms } => {
            return format!(
                "this token moved to a new phone on {} (機種変更): no codes here; use the new \
                 phone (see `softtoken phone-change`)",
                utc_date(at_ms)
            );
        }
        TokenStatus::Expired => "expired before setup: ask the bank for a new token",
        TokenStatus::NeedsResetup => "must be set up again on this machine: no codes",
    };
    text.to_owned()
}

/// `YYYY-MM-DD` (UTC) of a Unix time in milliseconds: the proleptic Gregorian calendar from
/// the day count (H. Hinnant's `civil_from_days`), so no date crate is needed for one line.
pub fn utc_date(unix_ms: u64) -> String {
    let days = i64::try_from(unix_ms / 86_400_000).unwrap_or(i64::MAX / 2) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A token as JSON.
#[derive(Debug, Serialize)]
pub struct TokenJson<'a> {
    id: &'a str,
    label: Option<&'a str>,
    service_id: &'a str,
    user_id: &'a str,
    status: &'static str,
    algorithm: &'static str,
    digits: u8,
    period: u32,
    created_at_ms: u64,
    clock_offset_ms: i64,
    clock_skewed: bool,
    /// When the token moved to a new phone (status `replaced`), unix ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced_at_ms: Option<u64>,
}

impl<'a> From<&'a TokenInfo> for TokenJson<'a> {
    fn from(t: &'a TokenInfo) -> Self {
        Self {
            id: &t.id,
            label: t.label.as_deref(),
            service_id: &t.service_id,
            user_id: &t.user_id,
            status: status_name(t.status),
            algorithm: t.algorithm.as_str(),
            digits: t.digits,
            period: t.period,
            created_at_ms: t.created_at_ms,
            clock_offset_ms: t.clock_offset_ms,
            clock_skewed: t.clock_skewed,
            replaced_at_ms: match t.status {
                TokenStatus::Replaced { at_ms } => Some(at_ms),
                _ => None,
            },
        }
    }
}

/// A code as JSON.
#[derive(Debug, Serialize)]
pub struct CodeJson<'a> {
    token: &'a str,
    code: &'a str,
    period: u32,
    valid_from_unix: u64,
    remaining_ms: u64,
}

impl<'a> CodeJson<'a> {
    /// The code of `token_id`.
    pub fn new(token_id: &'a str, code: &'a OtpCode) -> Self {
        Self {
            token: token_id,
            code: &code.code,
            period: code.period,
            valid_from_unix: code.valid_from_unix,
            remaining_ms: code.remaining_ms,
        }
    }
}

/// Prints a value as one line of JSON.
pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string(value) {
        Ok(line) => println!("{line}"),
        // Serialising these plain structs cannot fail; say so rather than print nothing.
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
}

/// The name a person recognises a token by: its label, else its User ID.
pub fn token_name(t: &TokenInfo) -> String {
    match &t.label {
        Some(label) => format!("{label} ({})", t.user_id),
        None => t.user_id.clone(),
    }
}

/// The text table of `softtoken list`.
pub fn token_table(tokens: &[TokenInfo]) -> String {
    let mut out = String::new();
    for t in tokens {
        out.push_str(&format!(
            "{}\n  サービスID {}  ユーザID {}  {} {} digits / {} s\n  state: {}\n",
            t.label.as_deref().unwrap_or(&t.id),
            t.service_id,
            t.user_id,
            t.algorithm.as_str(),
            t.digits,
            t.period,
            status_text(t.status),
        ));
        if t.label.is_some() {
            out.push_str(&format!("  id: {}\n", t.id));
        }
        if t.clock_skewed {
            out.push_str(&format!(
                "  note: this machine's clock is off by {} s (codes are corrected)\n",
                t.clock_offset_ms / 1000
            ));
        }
    }
    out
}

/// An 8-digit code as people read it: `1234 5678` (the bank accepts the space).
pub fn grouped(code: &str) -> String {
    let half = code.len() / 2;
    match (code.get(..half), code.get(half..)) {
        (Some(a), Some(b)) if code.len() >= 6 => format!("{a} {b}"),
        _ => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
        assert_eq!(utc_date(1_795_000_000_123), "2026-11-18");
        assert_eq!(utc_date(4_102_444_799_999), "2099-12-31");
    }

    #[test]
    fn codes_are_grouped_in_halves() {
        assert_eq!(grouped("12345678"), "1234 5678");
        assert_eq!(grouped("123456"), "123 456");
        assert_eq!(grouped("1234567"), "123 4567");
    }
}
