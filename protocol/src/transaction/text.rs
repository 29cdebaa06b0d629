//! The rules the two free-text fields (holder name, reference) share: NFKC behind the typed
//! input bound, then, on the canonical text, empty → disallowed character → too long.

use unicode_normalization::UnicodeNormalization;

use super::{TransactionError, TransactionField};
use crate::normalize::MAX_TYPED_CHARS;

/// NFKC of received text, refused unread when longer than the typed-input bound (NFKC can
/// expand a character many times over, so its cost must stay bounded).
pub(super) fn nfkc_bounded(
    input: &str,
    field: TransactionField,
    max: usize,
) -> Result<String, TransactionError> {
    let raw_chars = input.chars().count();
    if raw_chars > MAX_TYPED_CHARS {
        return Err(TransactionError::TooLong {
            field,
            max,
            found: raw_chars,
        });
    }
    Ok(input.nfkc().collect())
}

/// Checks canonical text: not empty, every character `allowed` (the first one that is not is
/// reported, 1-based), at most `max` characters.
pub(super) fn check_canonical(
    text: &str,
    field: TransactionField,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), TransactionError> {
    if text.is_empty() {
        return Err(TransactionError::Empty { field });
    }
    if let Some(position) = text.chars().position(|c| !allowed(c)) {
        return Err(TransactionError::InvalidCharacter {
            field,
            position: position + 1,
        });
    }
    let found = text.chars().count();
    if found > max {
        return Err(TransactionError::TooLong { field, max, found });
    }
    Ok(())
}
