//! The state of an ID field *while it is being typed*: the one rule both phone shells use to mark
//! a field, re-display it and enable \[送信\].
//!
//! [`ServiceId::parse`] and [`UserId::parse`] answer "is this a valid ID?", which is the question
//! for what is sent. A field on screen needs a kinder question answered on every keystroke: is
//! what is there so far *still on its way* to a valid ID? A half-typed ID is not an error, but a
//! letter among the digits, a 17th character or a complete User ID whose check letters do not
//! match is, and the user should see it on the field before anything is sent. Both shells must
//! give the exact same answer, so the rule lives here, once, and reaches Kotlin and Swift through
//! the bindings.
//!
//! The input is normalised exactly as the parsers normalise it (full-width digits, spaces,
//! hyphens and lower-case letters are fine), and positions are 1-based in the normalised text.

use crate::ids::{IdError, IdField, ServiceId, UserId, ascii_digit, check_letter, normalize_field};

/// What a typed ID field holds so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdInputState {
    /// Nothing typed (or only separators).
    Empty,
    /// Fine so far, but too short to be an ID yet.
    Incomplete {
        /// The normalised text so far (what the field may re-display).
        normalized: String,
        /// How many characters a complete ID has.
        expected_len: usize,
    },
    /// A valid ID.
    Complete {
        /// The canonical ID.
        normalized: String,
    },
    /// Wrong already: no further typing can make it valid without an edit.
    Invalid(IdInputProblem),
}

/// Why a typed ID field is wrong already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdInputProblem {
    /// More characters than an ID has.
    TooLong {
        /// How many characters an ID has.
        expected_len: usize,
        /// How many were typed (after normalisation; before it for input over the bound).
        found: usize,
    },
    /// A character that must be a digit is not.
    NotADigit {
        /// 1-based position in the normalised text.
        position: usize,
    },
    /// A User ID check character (position 15 or 16) is not a letter `A`–`J`.
    InvalidCheckCharacter {
        /// 1-based position (15 or 16).
        position: usize,
    },
    /// A complete User ID whose check letters do not match its digits: a typo somewhere.
    CheckMismatch,
}

/// The state of a Service ID field holding `typed`.
pub fn check_service_id_input(typed: &str) -> IdInputState {
    let field = IdField::ServiceId;
    let text = match normalize_field(typed, field, ServiceId::LEN) {
        Ok(text) => text,
        Err(error) => return verdict(&error),
    };
    if let Some(state) = empty_or_too_long(&text, ServiceId::LEN) {
        return state;
    }
    if let Some(position) = first_non_digit(&text, ServiceId::LEN) {
        return IdInputState::Invalid(IdInputProblem::NotADigit { position });
    }
    finish(text, ServiceId::LEN, |text| {
        ServiceId::parse(text).map(|id| id.as_str().to_owned())
    })
}

/// The state of a User ID field holding `typed`.
pub fn check_user_id_input(typed: &str) -> IdInputState {
    let field = IdField::UserId;
    let text = match normalize_field(typed, field, UserId::LEN) {
        Ok(text) => text,
        Err(error) => return verdict(&error),
    };
    if let Some(state) = empty_or_too_long(&text, UserId::LEN) {
        return state;
    }
    if let Some(position) = first_non_digit(&text, UserId::BODY_LEN) {
        return IdInputState::Invalid(IdInputProblem::NotADigit { position });
    }
    let bad_check = text
        .chars()
        .enumerate()
        .skip(UserId::BODY_LEN)
        .find(|(_, c)| check_letter(*c).is_none());
    if let Some((index, _)) = bad_check {
        return IdInputState::Invalid(IdInputProblem::InvalidCheckCharacter {
            position: index + 1,
        });
    }
    finish(text, UserId::LEN, |text| {
        UserId::parse(text).map(|id| id.as_str().to_owned())
    })
}

/// `Empty` for no text, `TooLong` past the ID's length, else `None` (go on checking).
fn empty_or_too_long(text: &str, expected_len: usize) -> Option<IdInputState> {
    let found = text.chars().count();
    if found == 0 {
        Some(IdInputState::Empty)
    } else if found > expected_len {
        Some(IdInputState::Invalid(IdInputProblem::TooLong {
            expected_len,
            found,
        }))
    } else {
        None
    }
}

/// The 1-based position of the first non-digit among the first `digits` characters.
fn first_non_digit(text: &str, digits: usize) -> Option<usize> {
    text.chars()
        .take(digits)
        .position(|c| ascii_digit(c).is_none())
        .map(|index| index + 1)
}

/// `Incomplete` while short; at full length, the parser's verdict (only the check rule is left
/// for it to refuse, as the characters were checked already).
fn finish(
    text: String,
    expected_len: usize,
    parse: impl Fn(&str) -> Result<String, IdError>,
) -> IdInputState {
    if text.chars().count() < expected_len {
        return IdInputState::Incomplete {
            normalized: text,
            expected_len,
        };
    }
    match parse(&text) {
        Ok(normalized) => IdInputState::Complete { normalized },
        Err(error) => verdict(&error),
    }
}

/// The field state for a parser error.
fn verdict(error: &IdError) -> IdInputState {
    let problem = match *error {
        // Emptiness is answered before any parser runs; kept total rather than panicking.
        IdError::Empty { .. } => return IdInputState::Empty,
        // Only input over the normaliser's bound reaches here as a length error.
        IdError::WrongLength {
            expected, found, ..
        } => IdInputProblem::TooLong {
            expected_len: expected,
            found,
        },
        IdError::NotADigit { position, .. } => IdInputProblem::NotADigit { position },
        IdError::InvalidCheckCharacter { position, .. } => {
            IdInputProblem::InvalidCheckCharacter { position }
        }
        IdError::CheckMismatch { .. } => IdInputProblem::CheckMismatch,
    };
    IdInputState::Invalid(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incomplete(text: &str, expected_len: usize) -> IdInputState {
        IdInputState::Incomplete {
            normalized: text.to_owned(),
            expected_len,
        }
    }

    fn complete(text: &str) -> IdInputState {
        IdInputState::Complete {
            normalized: text.to_owned(),
        }
    }

    #[test]
    fn an_empty_or_separator_only_field_is_empty() {
        assert_eq!(check_service_id_input(""), IdInputState::Empty);
        assert_eq!(check_user_id_input(" - 　"), IdInputState::Empty);
    }

    #[test]
    fn a_service_id_on_its_way_is_incomplete_in_any_typed_form() {
        assert_eq!(check_service_id_input("1012"), incomplete("1012", 8));
        assert_eq!(check_service_id_input("１０１２ "), incomplete("1012", 8));
        assert_eq!(check_service_id_input("1012-1234"), complete("10121234"));
        assert_eq!(
            check_service_id_input("１０１２　１２３４"),
            complete("10121234")
        );
    }

    #[test]
    fn a_service_id_with_a_letter_or_a_ninth_digit_is_flagged_at_once() {
        assert_eq!(
            check_service_id_input("10a"),
            IdInputState::Invalid(IdInputProblem::NotADigit { position: 3 })
        );
        assert_eq!(
            check_service_id_input("101212345"),
            IdInputState::Invalid(IdInputProblem::TooLong {
                expected_len: 8,
                found: 9
            })
        );
    }

    #[test]
    fn a_user_id_is_checked_as_far_as_it_goes() {
        assert_eq!(
            check_user_id_input("1234 5678 9012 34"),
            incomplete("12345678901234", 16)
        );
        assert_eq!(
            check_user_id_input("12345678901234c"),
            incomplete("12345678901234C", 16)
        );
        assert_eq!(
            check_user_id_input("12345678901234ci"),
            complete("12345678901234CI")
        );
        assert_eq!(
            check_user_id_input("１２３４５６７８９０１２３４ＣＩ"),
            complete("12345678901234CI")
        );
    }

    #[test]
    fn a_user_id_typo_is_flagged_where_the_parser_would_flag_it() {
        assert_eq!(
            check_user_id_input("1234567890123C"),
            IdInputState::Invalid(IdInputProblem::NotADigit { position: 14 })
        );
        assert_eq!(
            check_user_id_input("12345678901234K"),
            IdInputState::Invalid(IdInputProblem::InvalidCheckCharacter { position: 15 })
        );
        assert_eq!(
            check_user_id_input("12345678901234C9"),
            IdInputState::Invalid(IdInputProblem::InvalidCheckCharacter { position: 16 })
        );
        // One digit changed: the check letters catch it.
        assert_eq!(
            check_user_id_input("12345678901235CI"),
            IdInputState::Invalid(IdInputProblem::CheckMismatch)
        );
    }

    #[test]
    fn pasted_megabytes_are_too_long_without_being_read() {
        let pasted = "1".repeat(10_000);
        assert!(matches!(
            check_service_id_input(&pasted),
            IdInputState::Invalid(IdInputProblem::TooLong { expected_len: 8, found }) if found >= 256
        ));
    }

    /// Whatever is typed, `Complete` is given exactly when the parser accepts, and with the
    /// parser's canonical text.
    #[test]
    fn complete_agrees_with_the_parsers() {
        for typed in [
            "10121234",
            "1012123",
            "1012 1234 ",
            "12345678901234CI",
            "12345678901234CJ",
            "12345678901234ci",
            "x",
        ] {
            let service = matches!(check_service_id_input(typed), IdInputState::Complete { .. });
            assert_eq!(service, ServiceId::parse(typed).is_ok(), "{typed}");
            let user = matches!(check_user_id_input(typed), IdInputState::Complete { .. });
            assert_eq!(user, UserId::parse(typed).is_ok(), "{typed}");
        }
    }
}
