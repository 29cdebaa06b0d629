//! A one-time password as the user typed it.
//!
//! The code comes off the app's screen (or, for the provider, out of a web form), so it gets the
//! same forgiving normaliser as the IDs: `"1234 5678"`, `"１２３４５６７８"` and `"1234-5678"`
//! are all the code `12345678`. After normalisation it must be exactly the configured number of
//! ASCII digits.
//!
//! A one-time password is short-lived but still a credential, so [`TypedOtp`] never prints its
//! digits, wipes them when dropped, and compares in constant time. (The caller's input string and
//! the normaliser's internal NFKC buffers are outside this type's control and are not wiped.)

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::ids::{IdError, IdField, normalize_field};

/// The largest number of digits a [`TypedOtp`] can hold (and the largest `digits` accepted).
const MAX_DIGITS: usize = 10;

/// The number of digits [`parse_otp`] supports: RFC 4226 requires at least 6, and 10 is the most
/// a 31-bit HOTP truncation can yield.
const DIGITS_RANGE: std::ops::RangeInclusive<u8> = 6..=10;

/// A typed one-time password, normalised to ASCII digits (6 to 10 of them).
///
/// `Debug` shows only the length, there is deliberately no `Display`, and the digits are zeroized
/// on drop. Compare it to the expected code with [`TypedOtp::ct_eq_str`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TypedOtp {
    /// ASCII digits; only the first `len` bytes are meaningful, the rest stay zero.
    digits: [u8; MAX_DIGITS],
    /// Number of digits, within `DIGITS_RANGE`.
    len: u8,
}

impl TypedOtp {
    /// The code as ASCII digits, e.g. `"12345678"`.
    pub fn as_str(&self) -> &str {
        let digits = self.digits.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII digits are ever stored, so the empty fallback is unreachable; it exists so
        // this accessor cannot panic.
        core::str::from_utf8(digits).unwrap_or_default()
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always `false` for a parsed code (at least 6 digits); present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the code equals `other` (the expected code, as ASCII digits), in time independent
    /// of where they differ. A length mismatch is `false` immediately: code lengths are public
    /// configuration, not a secret. `other` is compared as given, without normalisation.
    pub fn ct_eq_str(&self, other: &str) -> bool {
        let mine = self.as_str().as_bytes();
        let theirs = other.as_bytes();
        mine.len() == theirs.len() && bool::from(mine.ct_eq(theirs))
    }
}

impl fmt::Debug for TypedOtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TypedOtp(<redacted {} digits>)", self.len)
    }
}

/// Parses a typed one-time password that must have `digits` digits.
///
/// The input is normalised like an ID (full-width digits, spaces, hyphens removed), then must be
/// exactly `digits` ASCII digits. Errors name [`IdField::Otp`] and never contain the input.
///
/// `digits` outside 6..=10 is a configuration error, not a typing error; every input is then
/// rejected with [`IdError::WrongLength`] with `expected: digits` and `found` the normalised
/// length, so the mistake is visible rather than silently accepted.
pub fn parse_otp(input: &str, digits: u8) -> Result<TypedOtp, IdError> {
    let field = IdField::Otp;
    let expected = usize::from(digits);
    // Zeroizing: the normalised text is the code itself, wipe it on every return path.
    let typed = Zeroizing::new(normalize_field(input, field, expected)?);
    let found = typed.chars().count();
    if !DIGITS_RANGE.contains(&digits) {
        return Err(IdError::WrongLength {
            field,
            expected,
            found,
        });
    }
    if typed.is_empty() {
        return Err(IdError::Empty { field });
    }
    if found != expected {
        return Err(IdError::WrongLength {
            field,
            expected,
            found,
        });
    }
    let mut otp = TypedOtp {
        digits: [0; MAX_DIGITS],
        len: digits,
    };
    for (index, (slot, c)) in otp.digits.iter_mut().zip(typed.chars()).enumerate() {
        // ASCII only: `char::is_numeric` would admit Arabic-Indic and other digits.
        match u8::try_from(c) {
            Ok(byte) if byte.is_ascii_digit() => *slot = byte,
            // Returning drops `otp`, which wipes the digits copied so far.
            _ => {
                return Err(IdError::NotADigit {
                    field,
                    position: index + 1,
                });
            }
        }
    }
    Ok(otp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn otp_err(input: &str, digits: u8) -> IdError {
        parse_otp(input, digits).unwrap_err()
    }

    #[test]
    fn typed_forms_all_parse() {
        for typed in [
            "12345678",
            "1234 5678",
            "１２３４５６７８",
            "１２３４　５６７８",
            "1234-5678",
            "1234－5678",
            "1234ー5678",
            "1234\u{00A0}5678",
            "1234\u{200B}5678",
            " 12 34 56 78\n",
        ] {
            let otp = parse_otp(typed, 8).unwrap();
            assert_eq!(otp.as_str(), "12345678", "{typed:?}");
            assert_eq!(otp.len(), 8);
            assert!(!otp.is_empty());
        }
    }

    #[test]
    fn other_lengths() {
        assert_eq!(parse_otp("123 456", 6).unwrap().as_str(), "123456");
        assert_eq!(parse_otp("12345 67890", 10).unwrap().as_str(), "1234567890");
    }

    #[test]
    fn empty_and_blank() {
        let empty = IdError::Empty {
            field: IdField::Otp,
        };
        assert_eq!(otp_err("", 8), empty);
        assert_eq!(otp_err("  \u{3000} - ", 8), empty);
        assert_eq!(empty.to_string(), "one-time password is empty");
    }

    #[test]
    fn wrong_length_reports_what_was_seen() {
        let err = otp_err("1234 567", 8);
        assert_eq!(
            err,
            IdError::WrongLength {
                field: IdField::Otp,
                expected: 8,
                found: 7
            }
        );
        assert_eq!(err.to_string(), "one-time password must be 8 digits, got 7");
        assert_eq!(
            otp_err("123456789", 8),
            IdError::WrongLength {
                field: IdField::Otp,
                expected: 8,
                found: 9
            }
        );
        assert_eq!(
            otp_err(&"1".repeat(1_000_000), 8),
            IdError::WrongLength {
                field: IdField::Otp,
                expected: 8,
                found: 1_000_000
            }
        );
    }

    #[test]
    fn non_digits_report_their_position() {
        let err = otp_err("1234 56x8", 8);
        assert_eq!(
            err,
            IdError::NotADigit {
                field: IdField::Otp,
                position: 7
            }
        );
        assert_eq!(
            err.to_string(),
            "one-time password has a non-digit at position 7"
        );
        // Full-width letter: becomes ASCII 'A', still not a digit.
        assert_eq!(
            otp_err("Ａ2345678", 8),
            IdError::NotADigit {
                field: IdField::Otp,
                position: 1
            }
        );
        // Arabic-Indic three: numeric, but not ASCII (NFKC leaves it as is).
        assert_eq!(
            otp_err("12٣45678", 8),
            IdError::NotADigit {
                field: IdField::Otp,
                position: 3
            }
        );
    }

    #[test]
    fn digits_outside_6_to_10_reject_everything() {
        for digits in [0u8, 1, 5, 11, 255] {
            assert_eq!(
                otp_err("1234 5678", digits),
                IdError::WrongLength {
                    field: IdField::Otp,
                    expected: usize::from(digits),
                    found: 8
                }
            );
        }
        // Even input of exactly that length.
        assert_eq!(
            otp_err("12345", 5),
            IdError::WrongLength {
                field: IdField::Otp,
                expected: 5,
                found: 5
            }
        );
    }

    #[test]
    fn debug_is_redacted() {
        let otp = parse_otp("12345678", 8).unwrap();
        let shown = format!("{otp:?}");
        assert_eq!(shown, "TypedOtp(<redacted 8 digits>)");
        assert!(!shown.contains("1234"));
    }

    #[test]
    fn errors_do_not_echo_the_input() {
        for (input, digits) in [("9876x543", 8), ("98765", 8), ("987654321", 8), ("", 8)] {
            let message = otp_err(input, digits).to_string();
            assert!(!message.contains("987"), "{message}");
        }
    }

    #[test]
    fn constant_time_comparison() {
        let otp = parse_otp("1234 5678", 8).unwrap();
        assert!(otp.ct_eq_str("12345678"));
        assert!(!otp.ct_eq_str("12345679"));
        assert!(!otp.ct_eq_str("02345678"));
        assert!(!otp.ct_eq_str("1234567"));
        assert!(!otp.ct_eq_str("123456789"));
        assert!(!otp.ct_eq_str(""));
        // The other side is not normalised: it is the canonical code computed by the verifier.
        assert!(!otp.ct_eq_str("1234 5678"));
    }

    #[test]
    fn zeroize_clears_the_digits() {
        let mut otp = parse_otp("12345678", 8).unwrap();
        otp.zeroize();
        assert_eq!(otp.as_str(), "");
        assert_eq!(otp.digits, [0; MAX_DIGITS]);
    }
}
