//! Service ID and User ID: what they look like, how typed input becomes one, and the User ID
//! check rule.
//!
//! Both IDs are printed by the bank and typed by a person, so parsing is forgiving about *form*
//! and strict about *content*. Every input first goes through the crate's one normaliser
//! (Unicode NFKC; all white space, hyphen/dash-like characters, the katakana prolonged sound mark
//! and zero-width characters removed; ASCII uppercased), so `"１０１２ １２３４"`,
//! `"1012-1234"` and `"10121234"` are the same Service ID. Input longer than 256 characters is
//! rejected before normalisation, so a huge paste costs no more than counting it.
//!
//! # Service ID
//!
//! Exactly 8 ASCII digits, e.g. `10121234`. There is no check digit.
//!
//! # User ID
//!
//! 16 characters: a 14-digit *body* followed by 2 *check letters*, e.g. `12345678901234CI`.
//!
//! **Check rule (normative).** The check value is ISO/IEC 7064 MOD 97-10 over the body read as
//! a decimal integer:
//!
//! ```text
//! c = 98 - ((body × 100) mod 97)        (so 2 ≤ c ≤ 98)
//! ```
//!
//! `c` is written as two letters, its tens digit then its units digit, with digit `d` written as
//! the letter `'A' + d` (`A`=0, `B`=1, … `J`=9). Worked example: body `12345678901234` gives
//! `(1234567890123400 mod 97) = 70`, `c = 28`, letters `"CI"`, User ID `12345678901234CI`.
//! Equivalently, `(body × 100 + c) mod 97 == 1`. A User ID is verified by recomputing the letters
//! from its body and comparing.
//!
//! Because 97 is prime and larger than any digit difference, this rule detects every
//! single-character substitution and every transposition of two adjacent characters (the tests
//! check both exhaustively for several bodies).
//!
//! The sample `12345678901234DC` in the bank's user manual is only an illustration of the format:
//! it does **not** pass this rule and is rejected.
//!
//! # Check order and error positions
//!
//! After normalisation a User ID is checked for, in this order: emptiness, length (in
//! characters), ASCII digits at positions 1–14 (the first bad position is reported), letters
//! `A`–`J` at positions 15 and 16, then the check letters themselves. Positions are 1-based and
//! count characters of the *normalised* text, which is what the user sees once the app re-displays
//! the input without separators. Errors never contain the input itself.

use std::{fmt, marker::PhantomData, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::normalize::normalize_bounded;

/// Which typed field an [`IdError`] is about; its `Display` is the name shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdField {
    /// The 8-digit Service ID.
    ServiceId,
    /// The 16-character User ID.
    UserId,
    /// A one-time password typed by the user.
    Otp,
}

impl IdField {
    /// The word for what the field's length counts, for length messages: User IDs contain letters,
    /// the other fields only digits.
    fn length_unit(self) -> &'static str {
        match self {
            Self::UserId => "characters",
            Self::ServiceId | Self::Otp => "digits",
        }
    }
}

impl fmt::Display for IdField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ServiceId => "Service ID",
            Self::UserId => "User ID",
            Self::Otp => "one-time password",
        })
    }
}

/// Why typed input is not a valid ID or one-time password.
///
/// The messages are user-facing English. They name the field and the problem (and a length or a
/// 1-based position in the normalised input) but never repeat the input, because a one-time
/// password is secret and error messages end up in logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Nothing was entered (or only spaces, hyphens and the like).
    #[error("{field} is empty")]
    Empty {
        /// The field concerned.
        field: IdField,
    },
    /// The normalised input has the wrong number of characters.
    #[error("{field} must be {expected} {unit}, got {found}", unit = .field.length_unit())]
    WrongLength {
        /// The field concerned.
        field: IdField,
        /// The required number of characters.
        expected: usize,
        /// The number of characters entered, after normalisation (or, for input over the
        /// 256-character limit, before it, since such input is never normalised).
        found: usize,
    },
    /// A character that must be an ASCII digit is not.
    #[error("{field} has a non-digit at position {position}")]
    NotADigit {
        /// The field concerned.
        field: IdField,
        /// 1-based position of the first offending character in the normalised input.
        position: usize,
    },
    /// A User ID check character (position 15 or 16) is not a letter `A`–`J`.
    #[error("{field} has an invalid character at position {position}: it must be a letter A to J")]
    InvalidCheckCharacter {
        /// The field concerned.
        field: IdField,
        /// 1-based position of the offending character (15 or 16).
        position: usize,
    },
    /// A User ID is well-formed but its check letters do not match its digits: a typo.
    #[error("{field} has a typo: its check characters do not match")]
    CheckMismatch {
        /// The field concerned.
        field: IdField,
    },
}

impl IdError {
    /// The field the error is about (for putting the message next to the right input box).
    pub fn field(&self) -> IdField {
        match self {
            Self::Empty { field }
            | Self::WrongLength { field, .. }
            | Self::NotADigit { field, .. }
            | Self::InvalidCheckCharacter { field, .. }
            | Self::CheckMismatch { field } => *field,
        }
    }
}

/// Normalises typed input for `field` behind the length bound, without the emptiness check.
///
/// `expected` is only used for the error when the raw input exceeds the bound.
pub(crate) fn normalize_field(
    input: &str,
    field: IdField,
    expected: usize,
) -> Result<String, IdError> {
    normalize_bounded(input).map_err(|found| IdError::WrongLength {
        field,
        expected,
        found,
    })
}

/// Normalises and checks emptiness and exact length, returning the canonical text.
fn normalize_exact(input: &str, field: IdField, expected: usize) -> Result<String, IdError> {
    let typed = normalize_field(input, field, expected)?;
    if typed.is_empty() {
        return Err(IdError::Empty { field });
    }
    let found = typed.chars().count();
    if found != expected {
        return Err(IdError::WrongLength {
            field,
            expected,
            found,
        });
    }
    Ok(typed)
}

/// `c` as an ASCII digit byte, if it is one. Deliberately ASCII-only: `char::is_numeric` would
/// admit Arabic-Indic, Devanagari and other digits that no bank system can store.
pub(crate) fn ascii_digit(c: char) -> Option<u8> {
    u8::try_from(c).ok().filter(u8::is_ascii_digit)
}

/// `c` as an ASCII check letter byte (`A`–`J`), if it is one.
pub(crate) fn check_letter(c: char) -> Option<u8> {
    u8::try_from(c).ok().filter(|b| (b'A'..=b'J').contains(b))
}

/// Reads exactly `N` ASCII digits from normalised text of length `N`.
fn read_digits<const N: usize>(typed: &str, field: IdField) -> Result<[u8; N], IdError> {
    let mut out = [0u8; N];
    for (index, (slot, c)) in out.iter_mut().zip(typed.chars()).enumerate() {
        *slot = ascii_digit(c).ok_or(IdError::NotADigit {
            field,
            position: index + 1,
        })?;
    }
    Ok(out)
}

/// Views validated ASCII bytes as `&str`. The bytes are ASCII by construction of every ID type,
/// so the empty-string fallback is unreachable; it exists so that no accessor can panic.
fn ascii_str(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}

/// A Service ID: exactly 8 ASCII digits, e.g. `10121234`.
///
/// IDs are not secret, so `Debug` shows the value. Ordering is numeric (same as lexicographic,
/// as all Service IDs have the same length). Serialized as its canonical 8-digit string;
/// deserialized through [`ServiceId::parse`], so any typed form is accepted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId([u8; ServiceId::LEN]);

impl ServiceId {
    /// Number of digits in a Service ID.
    pub const LEN: usize = 8;

    /// Parses a typed Service ID: normalises it (full-width digits, spaces and hyphens are fine),
    /// then requires exactly 8 ASCII digits.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let field = IdField::ServiceId;
        let typed = normalize_exact(input, field, Self::LEN)?;
        read_digits(&typed, field).map(Self)
    }

    /// The canonical form: 8 ASCII digits.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The canonical form as bytes (8 ASCII digits), for fixed-layout encodings.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl FromStr for ServiceId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ServiceId").field(&self.as_str()).finish()
    }
}

/// The check letters for a 14-digit User ID body: ISO/IEC 7064 MOD 97-10, `c = 98 - ((body ×
/// 100) mod 97)`, written as the letters for its tens and units digits (`A`=0 … `J`=9).
///
/// `body_digits` are digit *values* (0–9), most significant first, not ASCII; values above 9 are
/// taken mod 10 (as in [`UserId::from_body_digits`]). Returns two ASCII letters in `A..=J`.
///
/// ```
/// use softtoken_protocol::ids::check_letters;
/// assert_eq!(check_letters(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]), *b"CI");
/// ```
pub fn check_letters(body_digits: &[u8; UserId::BODY_LEN]) -> [u8; 2] {
    // 14 digits are below 10^14, so body × 100 < 10^16 fits a u64 with room to spare.
    let body = body_digits
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d % 10));
    let c = 98 - (body * 100) % 97;
    // c is in 2..=98, so both quotients are single digits and the casts are lossless.
    [b'A' + (c / 10) as u8, b'A' + (c % 10) as u8]
}

/// A User ID: a 14-digit body and two check letters (see the [module docs](self) for the rule),
/// e.g. `12345678901234CI`.
///
/// Construct it with [`UserId::parse`] for typed input, or [`UserId::from_body`] /
/// [`UserId::from_body_digits`] when issuing a new ID. IDs are not secret, so `Debug` shows the
/// value. Serialized as its canonical 16-character string; deserialized through
/// [`UserId::parse`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId([u8; UserId::LEN]);

impl UserId {
    /// Number of characters in a User ID.
    pub const LEN: usize = 16;
    /// Number of digits in the body (the part before the two check letters).
    pub const BODY_LEN: usize = 14;

    /// Parses a typed User ID: normalises it (full-width characters, spaces, hyphens and lower
    /// case check letters are fine), then checks length, digits, check letters and finally the
    /// check rule, in that order.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let field = IdField::UserId;
        let typed = normalize_exact(input, field, Self::LEN)?;
        let mut chars = typed.chars();
        // Taking exactly BODY_LEN chars keeps the iterator positioned at the check letters.
        let body_text: String = chars.by_ref().take(Self::BODY_LEN).collect();
        let body: [u8; Self::BODY_LEN] = read_digits(&body_text, field)?;
        let mut check = [0u8; 2];
        for (offset, (slot, c)) in check.iter_mut().zip(chars).enumerate() {
            let position = Self::BODY_LEN + offset + 1;
            *slot = check_letter(c).ok_or(IdError::InvalidCheckCharacter { field, position })?;
        }
        let id = Self::from_ascii_body(&body);
        if id.check_bytes() != check {
            return Err(IdError::CheckMismatch { field });
        }
        Ok(id)
    }

    /// Issues the User ID for a 14-digit body (typed forms accepted, as for [`UserId::parse`]),
    /// computing its check letters. Errors name [`IdField::UserId`] with `expected: 14`.
    pub fn from_body(body: &str) -> Result<Self, IdError> {
        let field = IdField::UserId;
        let typed = normalize_exact(body, field, Self::BODY_LEN)?;
        let body: [u8; Self::BODY_LEN] = read_digits(&typed, field)?;
        Ok(Self::from_ascii_body(&body))
    }

    /// Issues the User ID for body digit *values* (0–9, most significant first), e.g. from the
    /// provider's random generator. Values above 9 are taken mod 10 rather than rejected, so this
    /// cannot fail; note that feeding raw random bytes that way biases digits 0–5 slightly
    /// (256 is not a multiple of 10), so the generator should sample 0–9 uniformly itself.
    pub fn from_body_digits(digits: [u8; Self::BODY_LEN]) -> Self {
        let ascii = digits.map(|d| b'0' + d % 10);
        Self::from_ascii_body(&ascii)
    }

    /// Builds the ID from an ASCII-digit body, appending the computed check letters.
    fn from_ascii_body(body: &[u8; Self::BODY_LEN]) -> Self {
        let values = body.map(|b| b.wrapping_sub(b'0'));
        let letters = check_letters(&values);
        let mut out = [0u8; Self::LEN];
        for (slot, byte) in out.iter_mut().zip(body.iter().chain(letters.iter())) {
            *slot = *byte;
        }
        Self(out)
    }

    /// The two check letters as stored.
    fn check_bytes(&self) -> [u8; 2] {
        match self.0.last_chunk::<2>() {
            Some(check) => *check,
            // Unreachable: the array is 16 bytes long.
            None => [0; 2],
        }
    }

    /// The canonical form: 14 ASCII digits then 2 uppercase letters `A`–`J`.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The canonical form as bytes (16 ASCII characters), for fixed-layout encodings.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The 14-digit body, without the check letters.
    pub fn body(&self) -> &str {
        ascii_str(self.0.get(..Self::BODY_LEN).unwrap_or_default())
    }
}

impl FromStr for UserId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UserId").field(&self.as_str()).finish()
    }
}

impl Serialize for ServiceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServiceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParsingVisitor::<Self>::new("an 8-digit Service ID"))
    }
}

impl Serialize for UserId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParsingVisitor::<Self>::new("a 16-character User ID"))
    }
}

/// Deserializes an ID from any string through its `FromStr` (i.e. its typed-input parser), so
/// the same rules apply to JSON as to the keyboard. The error is the [`IdError`] message, which
/// does not echo the input.
struct ParsingVisitor<T> {
    expecting: &'static str,
    target: PhantomData<T>,
}

impl<T> ParsingVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        Self {
            expecting,
            target: PhantomData,
        }
    }
}

impl<T: FromStr<Err = IdError>> de::Visitor<'_> for ParsingVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE_USER_ID: &str = "12345678901234CI";

    fn user_err(input: &str) -> IdError {
        UserId::parse(input).unwrap_err()
    }

    fn service_err(input: &str) -> IdError {
        ServiceId::parse(input).unwrap_err()
    }

    // ---- Service ID -------------------------------------------------------------------------

    #[test]
    fn service_id_plain() {
        let id = ServiceId::parse("10121234").unwrap();
        assert_eq!(id.as_str(), "10121234");
        assert_eq!(id.as_bytes(), b"10121234");
        assert_eq!(id.to_string(), "10121234");
        assert_eq!(format!("{id:?}"), "ServiceId(\"10121234\")");
        assert_eq!("10121234".parse::<ServiceId>(), Ok(id));
    }

    #[test]
    fn service_id_typed_forms() {
        let id = ServiceId::parse("10121234").unwrap();
        for typed in [
            "１０１２１２３４",
            "1012 1234",
            "1012\u{00A0}1234",
            "1012\u{3000}1234",
            "１０１２\u{3000}１２３４",
            "1012-1234",
            "1012－1234",
            "1012ー1234",
            "1012ｰ1234",
            "1012\u{200B}1234",
            "\u{FEFF}10121234\n",
            "  1 0 1 2 - 1 2 3 4  ",
        ] {
            assert_eq!(ServiceId::parse(typed), Ok(id), "{typed:?}");
        }
    }

    #[test]
    fn service_id_empty_and_blank() {
        let empty = IdError::Empty {
            field: IdField::ServiceId,
        };
        assert_eq!(service_err(""), empty);
        assert_eq!(service_err("   "), empty);
        assert_eq!(service_err("\u{3000}\u{00A0}-"), empty);
        assert_eq!(empty.to_string(), "Service ID is empty");
    }

    #[test]
    fn service_id_wrong_length() {
        let err = service_err("1012123");
        assert_eq!(
            err,
            IdError::WrongLength {
                field: IdField::ServiceId,
                expected: 8,
                found: 7
            }
        );
        assert_eq!(err.to_string(), "Service ID must be 8 digits, got 7");
        assert_eq!(
            service_err("１０１２ １２３４５"),
            IdError::WrongLength {
                field: IdField::ServiceId,
                expected: 8,
                found: 9
            }
        );
    }

    #[test]
    fn service_id_non_digit_positions() {
        let err = service_err("10A21234");
        assert_eq!(
            err,
            IdError::NotADigit {
                field: IdField::ServiceId,
                position: 3
            }
        );
        assert_eq!(err.to_string(), "Service ID has a non-digit at position 3");
        // Full-width letter: NFKC makes it ASCII 'B', still not a digit. Position counts the
        // normalised text, so the space before it does not count.
        assert_eq!(
            service_err("1012 Ｂ234"),
            IdError::NotADigit {
                field: IdField::ServiceId,
                position: 5
            }
        );
        // Arabic-Indic three is numeric but not ASCII, and NFKC leaves it alone.
        assert!('٣'.is_numeric());
        assert_eq!(
            service_err("10121٣34"),
            IdError::NotADigit {
                field: IdField::ServiceId,
                position: 6
            }
        );
        // The first bad position wins.
        assert_eq!(
            service_err("1x1y1234"),
            IdError::NotADigit {
                field: IdField::ServiceId,
                position: 2
            }
        );
    }

    #[test]
    fn overlong_input_is_rejected_unnormalised() {
        let long = "1".repeat(257);
        assert_eq!(
            service_err(&long),
            IdError::WrongLength {
                field: IdField::ServiceId,
                expected: 8,
                found: 257
            }
        );
        // 256 characters are still normalised, so a heavily spaced ID at the limit parses.
        let padded = format!("1012{}1234", " ".repeat(248));
        assert_eq!(padded.chars().count(), 256);
        assert_eq!(ServiceId::parse(&padded).unwrap().as_str(), "10121234");
        let over = format!("1012{}1234", " ".repeat(249));
        assert_eq!(
            service_err(&over),
            IdError::WrongLength {
                field: IdField::ServiceId,
                expected: 8,
                found: 257
            }
        );
        assert_eq!(
            user_err(&"\u{3000}".repeat(300)),
            IdError::WrongLength {
                field: IdField::UserId,
                expected: 16,
                found: 300
            }
        );
    }

    #[test]
    fn service_id_ordering_and_serde() {
        let a = ServiceId::parse("00000009").unwrap();
        let b = ServiceId::parse("10000000").unwrap();
        assert!(a < b);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "\"10000000\"");
        assert_eq!(serde_json::from_str::<ServiceId>(&json).unwrap(), b);
        // Typed forms are accepted on the way in; the canonical form is what comes out.
        let typed: ServiceId = serde_json::from_str("\"１０００ ００００\"").unwrap();
        assert_eq!(typed, b);
        let err = serde_json::from_str::<ServiceId>("\"1000-000x\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("Service ID has a non-digit at position 8"),
            "{err}"
        );
        assert!(!err.to_string().contains("1000"), "{err}");
        assert!(serde_json::from_str::<ServiceId>("10000000").is_err());
    }

    // ---- User ID ----------------------------------------------------------------------------

    #[test]
    fn worked_example() {
        assert_eq!(
            check_letters(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]),
            *b"CI"
        );
        let id = UserId::parse(EXAMPLE_USER_ID).unwrap();
        assert_eq!(id.as_str(), EXAMPLE_USER_ID);
        assert_eq!(id.as_bytes(), b"12345678901234CI");
        assert_eq!(id.body(), "12345678901234");
        assert_eq!(id.to_string(), EXAMPLE_USER_ID);
        assert_eq!(format!("{id:?}"), "UserId(\"12345678901234CI\")");
        assert_eq!(UserId::from_body("12345678901234"), Ok(id));
        assert_eq!(
            UserId::from_body_digits([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]),
            id
        );
        assert_eq!(EXAMPLE_USER_ID.parse::<UserId>(), Ok(id));
    }

    #[test]
    fn manual_sample_does_not_pass_the_rule() {
        assert_eq!(
            user_err("12345678901234DC"),
            IdError::CheckMismatch {
                field: IdField::UserId
            }
        );
    }

    #[test]
    fn check_value_satisfies_iso_7064() {
        // (body × 100 + c) mod 97 == 1 is the standard's own statement of MOD 97-10.
        for body in [
            0u64,
            1,
            96,
            97,
            12_345_678_901_234,
            99_999_999_999_999,
            31_415_926_535_897,
        ] {
            let digits: [u8; 14] =
                core::array::from_fn(|i| ((body / 10u64.pow(13 - i as u32)) % 10) as u8);
            let [tens, units] = check_letters(&digits);
            let c = u64::from(tens - b'A') * 10 + u64::from(units - b'A');
            assert!((2..=98).contains(&c), "c = {c}");
            assert_eq!((body * 100 + c) % 97, 1, "body {body}");
        }
    }

    #[test]
    fn user_id_typed_forms() {
        let id = UserId::parse(EXAMPLE_USER_ID).unwrap();
        for typed in [
            "12345678901234ci",
            "12345678901234cI",
            "１２３４５６７８９０１２３４ＣＩ",
            "１２３４５６７８９０１２３４ｃｉ",
            "1234 5678 9012 34CI",
            "1234-5678-9012-34-CI",
            "1234－5678－9012－34ＣＩ",
            "1234ー5678ー9012ー34CI",
            "1234\u{3000}5678\u{00A0}9012\u{200B}34 ci",
        ] {
            assert_eq!(UserId::parse(typed), Ok(id), "{typed:?}");
        }
    }

    #[test]
    fn user_id_errors_in_order() {
        let field = IdField::UserId;
        assert_eq!(user_err(""), IdError::Empty { field });
        assert_eq!(user_err(" \u{3000} "), IdError::Empty { field });
        let short = user_err("12345678901234C");
        assert_eq!(
            short,
            IdError::WrongLength {
                field,
                expected: 16,
                found: 15
            }
        );
        assert_eq!(short.to_string(), "User ID must be 16 characters, got 15");
        // Length is checked before content.
        assert_eq!(
            user_err("abc"),
            IdError::WrongLength {
                field,
                expected: 16,
                found: 3
            }
        );
        // Digits 1..14 before check letters, first bad digit wins.
        assert_eq!(
            user_err("1234X678901234ZZ"),
            IdError::NotADigit { field, position: 5 }
        );
        assert_eq!(
            user_err("1234567890123٣CI"),
            IdError::NotADigit {
                field,
                position: 14
            }
        );
        assert_eq!(
            user_err("１２３４５６７８９０１２３Ａ CI"),
            IdError::NotADigit {
                field,
                position: 14
            }
        );
        // Check characters must be A..J: digits, K and symbols are not.
        let bad15 = user_err("1234567890123412");
        assert_eq!(
            bad15,
            IdError::InvalidCheckCharacter {
                field,
                position: 15
            }
        );
        assert_eq!(
            bad15.to_string(),
            "User ID has an invalid character at position 15: it must be a letter A to J"
        );
        assert_eq!(
            user_err("12345678901234CK"),
            IdError::InvalidCheckCharacter {
                field,
                position: 16
            }
        );
        assert_eq!(
            user_err("12345678901234C\u{C9}"),
            IdError::InvalidCheckCharacter {
                field,
                position: 16
            }
        );
        let mismatch = user_err("12345678901234CJ");
        assert_eq!(mismatch, IdError::CheckMismatch { field });
        assert_eq!(
            mismatch.to_string(),
            "User ID has a typo: its check characters do not match"
        );
    }

    #[test]
    fn from_body_validates() {
        let field = IdField::UserId;
        assert_eq!(UserId::from_body(""), Err(IdError::Empty { field }));
        assert_eq!(
            UserId::from_body("1234567890123"),
            Err(IdError::WrongLength {
                field,
                expected: 14,
                found: 13
            })
        );
        assert_eq!(
            UserId::from_body("1234567890123A"),
            Err(IdError::NotADigit {
                field,
                position: 14
            })
        );
        assert_eq!(
            UserId::from_body("１２３４ ５６７８ ９０１２ ３４")
                .unwrap()
                .as_str(),
            EXAMPLE_USER_ID
        );
    }

    #[test]
    fn from_body_digits_takes_values_mod_10() {
        let wrapped =
            UserId::from_body_digits([11, 12, 13, 14, 15, 16, 17, 18, 19, 10, 21, 252, 3, 4]);
        assert_eq!(wrapped.as_str(), EXAMPLE_USER_ID);
    }

    #[test]
    fn user_id_serde() {
        let id = UserId::parse(EXAMPLE_USER_ID).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"12345678901234CI\"");
        assert_eq!(
            serde_json::from_str::<UserId>("\"1234 5678 9012 34ci\"").unwrap(),
            id
        );
        let err = serde_json::from_str::<UserId>("\"12345678901234DC\"").unwrap_err();
        assert!(
            err.to_string().contains("check characters do not match"),
            "{err}"
        );
    }

    #[test]
    fn error_field_accessor() {
        for field in [IdField::ServiceId, IdField::UserId, IdField::Otp] {
            let errors = [
                IdError::Empty { field },
                IdError::WrongLength {
                    field,
                    expected: 1,
                    found: 2,
                },
                IdError::NotADigit { field, position: 1 },
                IdError::InvalidCheckCharacter {
                    field,
                    position: 15,
                },
                IdError::CheckMismatch { field },
            ];
            for err in errors {
                assert_eq!(err.field(), field);
            }
        }
        assert_eq!(IdField::ServiceId.to_string(), "Service ID");
        assert_eq!(IdField::UserId.to_string(), "User ID");
        assert_eq!(IdField::Otp.to_string(), "one-time password");
    }

    // ---- Exhaustive error-detection proofs --------------------------------------------------

    /// Bodies with varied digit patterns, including repeated digits and all zeros / nines.
    const BODIES: [&str; 5] = [
        "12345678901234",
        "00000000000000",
        "99999999999999",
        "90817263544536",
        "31415926535897",
    ];

    #[test]
    fn every_single_substitution_is_rejected() {
        for body in BODIES {
            let valid = UserId::from_body(body).unwrap();
            let valid = valid.as_str();
            for (index, original) in valid.char_indices() {
                // Every character a substitution could plausibly produce: all digits and all
                // uppercase letters (lowercase and full-width forms normalise onto these).
                for replacement in ('0'..='9').chain('A'..='Z') {
                    if replacement == original {
                        continue;
                    }
                    let mut typo = valid.to_owned();
                    typo.replace_range(index..=index, replacement.encode_utf8(&mut [0; 4]));
                    assert!(
                        UserId::parse(&typo).is_err(),
                        "{typo} accepted (from {valid})"
                    );
                    // The specific guarantee of MOD 97-10: well-formed typos are mismatches.
                    let in_alphabet = if index < UserId::BODY_LEN {
                        replacement.is_ascii_digit()
                    } else {
                        ('A'..='J').contains(&replacement)
                    };
                    if in_alphabet {
                        assert_eq!(
                            UserId::parse(&typo),
                            Err(IdError::CheckMismatch {
                                field: IdField::UserId
                            }),
                            "{typo}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_rejected() {
        for body in BODIES {
            let valid = UserId::from_body(body).unwrap();
            let bytes = *valid.as_bytes();
            for left in 0..UserId::LEN - 1 {
                if bytes[left] == bytes[left + 1] {
                    continue;
                }
                let mut swapped = bytes;
                swapped.swap(left, left + 1);
                let typo = String::from_utf8(swapped.to_vec()).unwrap();
                let err = UserId::parse(&typo).unwrap_err();
                let expected = match left {
                    // Two body digits swapped: well-formed, caught by the check rule.
                    0..=12 => IdError::CheckMismatch {
                        field: IdField::UserId,
                    },
                    // Last digit swapped with the first check letter: a letter lands in the body.
                    13 => IdError::NotADigit {
                        field: IdField::UserId,
                        position: 14,
                    },
                    // The two check letters swapped: tens and units exchanged.
                    _ => IdError::CheckMismatch {
                        field: IdField::UserId,
                    },
                };
                assert_eq!(err, expected, "{typo} (from {valid})");
            }
        }
    }

    #[test]
    fn adjacent_digit_swaps_change_the_check_for_every_digit_pair() {
        // Stronger than the sample bodies: every position, every ordered pair of distinct digits,
        // on a background of each repeated digit.
        for background in 0u8..=9 {
            for left in 0..UserId::BODY_LEN - 1 {
                for a in 0u8..=9 {
                    for b in 0u8..=9 {
                        if a == b {
                            continue;
                        }
                        let mut body = [background; 14];
                        body[left] = a;
                        body[left + 1] = b;
                        let mut swapped = body;
                        swapped.swap(left, left + 1);
                        assert_ne!(check_letters(&body), check_letters(&swapped));
                    }
                }
            }
        }
    }

    #[test]
    fn every_body_digit_change_changes_the_check() {
        for background in 0u8..=9 {
            let body = [background; 14];
            for position in 0..UserId::BODY_LEN {
                for digit in 0u8..=9 {
                    if digit == background {
                        continue;
                    }
                    let mut changed = body;
                    changed[position] = digit;
                    assert_ne!(check_letters(&body), check_letters(&changed));
                }
            }
        }
    }
}
