#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Property tests for the typed-input parsers: Service ID, User ID and one-time password.
//!
//! Whatever a user types, the parsers must (a) never panic, (b) accept every harmless typed form
//! of a valid value as that same value, and (c) reject every single-character typo and adjacent
//! transposition of a User ID.

use proptest::prelude::*;
use softtoken_protocol::{
    ids::{IdError, IdField, ServiceId, UserId},
    otp_input::parse_otp,
};

/// Characters the normaliser removes: spaces, hyphens and dashes, IME prolonged sound marks and
/// invisible format characters.
const SEPARATORS: &[char] = &[
    ' ', '\t', '\u{00A0}', '\u{3000}', '\u{2009}', '-', '\u{2010}', '\u{2011}', '\u{2012}',
    '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}', '\u{FE58}', '\u{FE63}', '\u{FF0D}', '\u{30FC}',
    '\u{FF70}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{180E}',
];

/// The full-width form of an ASCII letter or digit (U+FF01..U+FF5E mirror U+0021..U+007E).
fn full_width(c: char) -> char {
    char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap()
}

/// A random way of typing `c`: ASCII or full-width, and for letters either case.
fn typed_char(c: char) -> impl Strategy<Value = char> {
    (any::<bool>(), any::<bool>()).prop_map(move |(wide, lower)| {
        let cased = if lower { c.to_ascii_lowercase() } else { c };
        if wide { full_width(cased) } else { cased }
    })
}

/// Types `canonical` the way a person might: each character ASCII or full-width (letters in
/// either case), with 0–2 random separators before each character and at the end.
fn typed_form(canonical: String) -> impl Strategy<Value = String> {
    let chars: Vec<BoxedStrategy<(Vec<char>, char)>> = canonical
        .chars()
        .map(|c| {
            (
                prop::collection::vec(prop::sample::select(SEPARATORS), 0..=2),
                typed_char(c),
            )
                .boxed()
        })
        .collect();
    (
        chars,
        prop::collection::vec(prop::sample::select(SEPARATORS), 0..=2),
    )
        .prop_map(|(parts, tail)| {
            let mut out = String::new();
            for (seps, c) in parts {
                out.extend(seps);
                out.push(c);
            }
            out.extend(tail);
            out
        })
}

fn digit_string(len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::char::range('0', '9'), len).prop_map(|v| v.into_iter().collect())
}

fn body_digits() -> impl Strategy<Value = [u8; 14]> {
    prop::array::uniform14(0u8..=9)
}

fn valid_user_id() -> impl Strategy<Value = UserId> {
    body_digits().prop_map(UserId::from_body_digits)
}

fn service_typed() -> impl Strategy<Value = (String, String)> {
    digit_string(ServiceId::LEN).prop_flat_map(|ascii| (Just(ascii.clone()), typed_form(ascii)))
}

fn user_typed() -> impl Strategy<Value = (UserId, String)> {
    valid_user_id().prop_flat_map(|id| (Just(id), typed_form(id.as_str().to_owned())))
}

/// Arbitrary Unicode strings of up to 300 characters (over the 256-character bound, too).
fn arbitrary_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=300).prop_map(|v| v.into_iter().collect())
}

/// Near-valid input: digits, check letters and separators, so parses often succeed.
fn near_valid_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        prop::char::range('0', '9'),
        prop::char::range('a', 'j'),
        prop::char::range('A', 'J'),
        prop::char::range('０', '９'),
        prop::char::range('Ａ', 'Ｊ'),
        prop::sample::select(SEPARATORS),
    ];
    prop::collection::vec(pieces, 0..=30).prop_map(|v| v.into_iter().collect())
}

/// Every parser on one input; none may panic, and every error must name its own field.
fn exercise_all_parsers(input: &str) {
    if let Err(err) = ServiceId::parse(input) {
        assert_eq!(err.field(), IdField::ServiceId);
        let _ = err.to_string();
    }
    if let Err(err) = UserId::parse(input) {
        assert_eq!(err.field(), IdField::UserId);
        let _ = err.to_string();
    }
    if let Err(err) = UserId::from_body(input) {
        assert_eq!(err.field(), IdField::UserId);
    }
    for digits in [0u8, 6, 8, 10, 11] {
        if let Err(err) = parse_otp(input, digits) {
            assert_eq!(err.field(), IdField::Otp);
            let _ = err.to_string();
        }
    }
}

proptest! {
    // ---- Normalisation through the public API -----------------------------------------------

    #[test]
    fn accepted_ids_reparse_from_their_canonical_form(input in near_valid_text()) {
        if let Ok(id) = ServiceId::parse(&input) {
            prop_assert_eq!(ServiceId::parse(id.as_str()), Ok(id));
            prop_assert_eq!(ServiceId::parse(&id.to_string()), Ok(id));
        }
        if let Ok(id) = UserId::parse(&input) {
            prop_assert_eq!(UserId::parse(id.as_str()), Ok(id));
            prop_assert_eq!(UserId::parse(&id.to_string()), Ok(id));
        }
    }

    #[test]
    fn typed_service_ids_parse_like_ascii((ascii, typed) in service_typed()) {
        let expected = ServiceId::parse(&ascii).unwrap();
        prop_assert_eq!(expected.as_str(), ascii.as_str());
        prop_assert_eq!(ServiceId::parse(&typed), Ok(expected));
    }

    #[test]
    fn typed_user_ids_parse_like_ascii((id, typed) in user_typed()) {
        prop_assert_eq!(UserId::parse(id.as_str()), Ok(id));
        prop_assert_eq!(UserId::parse(&typed), Ok(id));
    }

    #[test]
    fn typed_bodies_issue_the_same_id((id, typed) in body_digits()
        .prop_map(UserId::from_body_digits)
        .prop_flat_map(|id| (Just(id), typed_form(id.body().to_owned()))))
    {
        prop_assert_eq!(UserId::from_body(&typed), Ok(id));
        prop_assert_eq!(UserId::from_body(id.body()), Ok(id));
    }

    #[test]
    fn serde_round_trips(id in valid_user_id(), service in digit_string(8)) {
        let service = ServiceId::parse(&service).unwrap();
        let json = serde_json::to_string(&(service, id)).unwrap();
        prop_assert_eq!(serde_json::from_str::<(ServiceId, UserId)>(&json).unwrap(), (service, id));
    }

    // ---- Typo detection ---------------------------------------------------------------------

    #[test]
    fn single_ascii_substitutions_are_rejected(
        id in valid_user_id(),
        position in 0..UserId::LEN,
        replacement in prop::char::range('!', '~'),
    ) {
        let original = id.as_str().chars().nth(position).unwrap();
        // Lower case of the same letter is the same character once normalised, not a typo.
        prop_assume!(replacement.to_ascii_uppercase() != original);
        let mut typo: Vec<char> = id.as_str().chars().collect();
        typo[position] = replacement;
        let typo: String = typo.into_iter().collect();
        prop_assert!(UserId::parse(&typo).is_err(), "{} accepted", typo);
    }

    #[test]
    fn single_arbitrary_substitutions_never_yield_another_id(
        id in valid_user_id(),
        position in 0..UserId::LEN,
        replacement in any::<char>(),
    ) {
        // Any character may be substituted: it is either rejected, or it was just another way of
        // typing the same character (full-width, lower case) and gives back the same ID.
        let mut typo: Vec<char> = id.as_str().chars().collect();
        typo[position] = replacement;
        let typo: String = typo.into_iter().collect();
        if let Ok(parsed) = UserId::parse(&typo) {
            prop_assert_eq!(parsed, id);
        }
    }

    #[test]
    fn adjacent_transpositions_are_rejected(id in valid_user_id(), left in 0..UserId::LEN - 1) {
        let mut typo: Vec<char> = id.as_str().chars().collect();
        prop_assume!(typo[left] != typo[left + 1]);
        typo.swap(left, left + 1);
        let typo: String = typo.into_iter().collect();
        let err = UserId::parse(&typo).unwrap_err();
        // Swaps within the body or within the check letters are well-formed and caught by the
        // check rule; a swap across the boundary puts a letter among the digits.
        let expected = if left == UserId::BODY_LEN - 1 {
            IdError::NotADigit { field: IdField::UserId, position: UserId::BODY_LEN }
        } else {
            IdError::CheckMismatch { field: IdField::UserId }
        };
        prop_assert_eq!(err, expected);
    }

    // ---- Robustness -------------------------------------------------------------------------

    #[test]
    fn parsers_never_panic_on_arbitrary_text(input in arbitrary_text()) {
        exercise_all_parsers(&input);
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..=1200)) {
        exercise_all_parsers(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn overlong_input_reports_its_char_count(extra in 1usize..64, c in any::<char>()) {
        let input: String = std::iter::repeat_n(c, 256 + extra).collect();
        prop_assert_eq!(
            ServiceId::parse(&input),
            Err(IdError::WrongLength { field: IdField::ServiceId, expected: 8, found: 256 + extra })
        );
    }

    // ---- One-time passwords -----------------------------------------------------------------

    #[test]
    fn otp_round_trips((ascii, typed) in (6usize..=10)
        .prop_flat_map(digit_string)
        .prop_flat_map(|ascii| (Just(ascii.clone()), typed_form(ascii))))
    {
        let digits = u8::try_from(ascii.len()).unwrap();
        let otp = parse_otp(&typed, digits).unwrap();
        prop_assert_eq!(otp.as_str(), ascii.as_str());
        prop_assert_eq!(otp.len(), ascii.len());
        prop_assert!(otp.ct_eq_str(&ascii));
        let shown = format!("{otp:?}");
        prop_assert!(!shown.contains(&ascii));
        // Any other length is rejected with what was seen.
        let other = if digits == 6 { 7 } else { digits - 1 };
        prop_assert_eq!(
            parse_otp(&typed, other).unwrap_err(),
            IdError::WrongLength { field: IdField::Otp, expected: usize::from(other), found: ascii.len() }
        );
    }

    #[test]
    fn otp_comparison_detects_any_change(ascii in digit_string(8), position in 0usize..8, bump in 1u8..=9) {
        let otp = parse_otp(&ascii, 8).unwrap();
        let mut other = ascii.clone().into_bytes();
        other[position] = b'0' + (other[position] - b'0' + bump) % 10;
        prop_assert!(!otp.ct_eq_str(std::str::from_utf8(&other).unwrap()));
    }
}
