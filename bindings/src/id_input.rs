//! The ID-field rule (`softtoken_core::id_input`) for the setup screen: both shells mark a
//! half-typed Service ID or User ID with exactly the same answer.

use softtoken_core::id_input as core;

/// What a typed ID field holds so far.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum IdInputState {
    /// Nothing typed (or only separators).
    Empty,
    /// Fine so far, but too short to be an ID yet.
    Incomplete {
        /// The normalised text so far (full-width folded, separators removed, upper case).
        normalized: String,
        /// How many characters a complete ID has.
        expected_len: u32,
    },
    /// A valid ID: \[送信\] may be enabled for this field.
    Complete {
        /// The canonical ID.
        normalized: String,
    },
    /// Wrong already: flag the field before anything is sent.
    Invalid {
        /// What is wrong.
        problem: IdInputProblem,
    },
}

/// Why a typed ID field is wrong already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IdInputProblem {
    /// More characters than an ID has.
    TooLong {
        /// How many characters an ID has.
        expected_len: u32,
        /// How many were typed.
        found: u32,
    },
    /// A character that must be a digit is not (1-based position in the normalised text).
    NotADigit {
        /// 1-based position.
        position: u32,
    },
    /// A User ID check character (position 15 or 16) is not a letter A–J.
    InvalidCheckCharacter {
        /// 1-based position (15 or 16).
        position: u32,
    },
    /// A complete User ID whose check letters do not match its digits: a typo.
    CheckMismatch,
}

/// The state of a Service ID field holding `typed`.
#[uniffi::export]
pub fn check_service_id_input(typed: String) -> IdInputState {
    core::check_service_id_input(&typed).into()
}

/// The state of a User ID field holding `typed`.
#[uniffi::export]
pub fn check_user_id_input(typed: String) -> IdInputState {
    core::check_user_id_input(&typed).into()
}

/// Lengths and positions are bounded by the typed-input limit (256 characters), far below
/// `u32::MAX`; saturate rather than fail.
fn small(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl From<core::IdInputState> for IdInputState {
    fn from(value: core::IdInputState) -> Self {
        match value {
            core::IdInputState::Empty => IdInputState::Empty,
            core::IdInputState::Incomplete {
                normalized,
                expected_len,
            } => IdInputState::Incomplete {
                normalized,
                expected_len: small(expected_len),
            },
            core::IdInputState::Complete { normalized } => IdInputState::Complete { normalized },
            core::IdInputState::Invalid(problem) => IdInputState::Invalid {
                problem: problem.into(),
            },
        }
    }
}

impl From<core::IdInputProblem> for IdInputProblem {
    fn from(value: core::IdInputProblem) -> Self {
        match value {
            core::IdInputProblem::TooLong {
                expected_len,
                found,
            } => IdInputProblem::TooLong {
                expected_len: small(expected_len),
                found: small(found),
            },
            core::IdInputProblem::NotADigit { position } => IdInputProblem::NotADigit {
                position: small(position),
            },
            core::IdInputProblem::InvalidCheckCharacter { position } => {
                IdInputProblem::InvalidCheckCharacter {
                    position: small(position),
                }
            }
            core::IdInputProblem::CheckMismatch => IdInputProblem::CheckMismatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exported_rule_is_the_cores() {
        assert_eq!(
            check_user_id_input("１２３４５６７８９０１２３４ci".to_owned()),
            IdInputState::Complete {
                normalized: "12345678901234CI".to_owned()
            }
        );
        assert_eq!(
            check_service_id_input("1012".to_owned()),
            IdInputState::Incomplete {
                normalized: "1012".to_owned(),
                expected_len: 8
            }
        );
        assert_eq!(
            check_user_id_input("12345678901235CI".to_owned()),
            IdInputState::Invalid {
                problem: IdInputProblem::CheckMismatch
            }
        );
    }
}
