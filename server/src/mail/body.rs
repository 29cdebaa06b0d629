//! The text of the issuance mail: `templates/token_mail.txt` filled with the token's IDs, the
//! app link, the setup deadline (in Japan time and UTC) and the bank's label.

use time::{
    OffsetDateTime, UtcOffset,
    format_description::BorrowedFormatItem,
    macros::{format_description, offset},
};

use super::{
    TokenMail,
    template::{TemplateError, fill},
};

/// The issuance mail, Japanese first, then English, as in the bank manual.
const TOKEN_MAIL: &str = include_str!("templates/token_mail.txt");

/// Japan has no daylight saving time, so JST is always UTC+9.
const JST: UtcOffset = offset!(+9);

/// How a deadline is shown: to the minute, no zone (the text names it).
const MINUTE: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]");

/// The latest time shown as itself: 9999-12-31 23:59:59 in Japan, the end of the four-digit
/// years in either zone. Later deadlines (only absurd ones) are shown as this.
const LATEST_UNIX_SECS: i64 = 253_402_300_799 - 9 * 3600;

/// The body of the issuance mail for `mail`.
pub(super) fn token_mail_body(
    mail: &TokenMail<'_>,
    app_link: &str,
) -> Result<String, TemplateError> {
    let deadline = at(mail.expires_at_ms);
    let deadline_utc = format!("{} UTC", minute(deadline));
    let deadline_jst = minute(deadline.to_offset(JST));
    let label = mail.label.map(one_line);
    fill(
        TOKEN_MAIL,
        &[
            ("service_id", Some(mail.service_id.as_str())),
            ("user_id", Some(mail.user_id.as_str())),
            ("label", label.as_deref()),
            ("app_link", Some(app_link)),
            ("deadline_jst", Some(&deadline_jst)),
            ("deadline_utc", Some(&deadline_utc)),
        ],
    )
}

/// Makes bank-supplied text safe to put on one line of the body.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Unix milliseconds as a UTC date and time, cut (not rounded) to the second, so a deadline is
/// never shown later than it is.
fn at(unix_ms: u64) -> OffsetDateTime {
    let secs = i64::try_from(unix_ms / 1000)
        .unwrap_or(i64::MAX)
        .min(LATEST_UNIX_SECS);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `YYYY-MM-DD HH:MM` in the date-time's own offset.
fn minute(at: OffsetDateTime) -> String {
    at.format(MINUTE)
        // Cannot fail: the description needs only what every date-time has.
        .unwrap_or_else(|_| format!("@{}", at.unix_timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use softtoken_protocol::ids::{ServiceId, UserId};

    fn body(label: Option<&str>, expires_at_ms: u64) -> String {
        let service_id = ServiceId::parse("10121234").unwrap();
        let user_id = UserId::parse("12345678901234CI").unwrap();
        token_mail_body(
            &TokenMail {
                to: "hanako@example.jp",
                service_id: &service_id,
                user_id: &user_id,
                expires_at_ms,
                label,
            },
            "https://otp-auth.net/app",
        )
        .unwrap()
    }

    fn format_utc_minute(unix_ms: u64) -> String {
        format!("{} UTC", minute(at(unix_ms)))
    }

    #[test]
    fn body_mentions_revocation_and_omits_missing_label() {
        let body = body(Some("  \r\n "), 0);
        assert!(body.contains("利用停止（失効）"));
        assert!(body.contains("your bank must first revoke this token"));
        assert!(body.contains("it is not in this mail"));
        assert!(!body.contains("Token name"));
        assert!(body.contains("1970-01-01 00:00 UTC"));
        assert!(body.contains("1970-01-01 09:00（日本時間）"));
    }

    #[test]
    fn body_shows_a_label_once_per_language_and_every_id() {
        let body = body(Some("Main\naccount"), 1_795_086_400_000);
        assert!(body.contains("■トークンの名前\n  Main account\n■アプリのダウンロード"));
        assert!(
            body.contains("User ID: 12345678901234CI\nToken name: Main account\nApp download:")
        );
        assert!(body.contains("■サービスID\n  10121234\n"));
        assert!(body.contains("2026-11-19 20:06（日本時間） / 2026-11-19 11:06 UTC"));
        assert!(!body.contains('{') && !body.contains('}'), "{body}");
    }

    #[test]
    fn formats_known_dates() {
        assert_eq!(format_utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc_minute(951_782_400_000), "2000-02-29 00:00 UTC");
        // `date -u -d @1795000000` → 2026-11-18 11:06.
        assert_eq!(format_utc_minute(1_795_000_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(format_utc_minute(1_700_000_000_000), "2023-11-14 22:13 UTC");
        // Seconds are cut, not rounded: 23:59:59.999 stays in the old day.
        assert_eq!(format_utc_minute(4_107_542_399_999), "2100-02-28 23:59 UTC");
        // 2100 is not a leap year.
        assert_eq!(format_utc_minute(4_107_542_400_000), "2100-03-01 00:00 UTC");
        assert_eq!(format_utc_minute(946_684_799_000), "1999-12-31 23:59 UTC");
        assert_eq!(format_utc_minute(978_307_200_000), "2001-01-01 00:00 UTC");
        // No panic at the end of the range.
        assert!(format_utc_minute(u64::MAX).ends_with(" UTC"));
        assert_eq!(minute(at(u64::MAX).to_offset(JST)), "9999-12-31 23:59");
    }

    #[test]
    fn dates_follow_each_other_day_by_day() {
        // Walk day by day from 1970 to 2200 and check each date follows the previous one.
        let date = |days: u64| -> (u64, u64, u64) {
            let text = format_utc_minute(days * 86_400_000);
            let mut parts = text[..10].split('-').map(|p| p.parse::<u64>().unwrap());
            (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            )
        };
        let mut previous = date(0);
        assert_eq!(previous, (1970, 1, 1));
        for days in 1..(230 * 366) {
            let current = date(days);
            let (y, m, d) = previous;
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let month_len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let expected = if d < month_len {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(current, expected, "day {days}");
            previous = current;
        }
    }
}
