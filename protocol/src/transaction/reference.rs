//! The bank's optional free-text reference (e.g. `振込 3月分家賃`): NFKC, trimmed, at most 32
//! characters, no control characters (9.2). Empty means "no reference".

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::{
    TransactionError, TransactionField,
    text::{check_canonical, nfkc_bounded},
};

/// A canonical, non-empty reference.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference(String);

impl Reference {
    /// The most characters a canonical reference may have.
    pub const MAX_CHARS: usize = 32;

    /// Canonicalises and checks a reference; an empty one (after trimming) is an error here,
    /// see [`Reference::parse_optional`] for the wire's "empty means none".
    pub fn parse(input: &str) -> Result<Reference, TransactionError> {
        let field = TransactionField::Reference;
        let normalised = nfkc_bounded(input, field, Self::MAX_CHARS)?;
        let canonical = normalised.trim();
        check_canonical(canonical, field, Self::MAX_CHARS, |c| !c.is_control())?;
        Ok(Reference(canonical.to_owned()))
    }

    /// `None` for an absent or blank reference, else [`Reference::parse`].
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Reference>, TransactionError> {
        match input {
            Some(text) if !text.nfkc().all(char::is_whitespace) => Self::parse(text).map(Some),
            _ => Ok(None),
        }
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Reference")
            .field(&super::redact::RedactedText(&self.0))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_nfkc_and_trimmed() {
        let r = Reference::parse("\u{3000}振込 ３月分家賃 ").unwrap();
        assert_eq!(r.as_str(), "振込 3月分家賃");
        assert_eq!(Reference::parse(r.as_str()).unwrap(), r);
    }

    #[test]
    fn blank_is_none_and_bad_ones_are_refused() {
        assert_eq!(Reference::parse_optional(None).unwrap(), None);
        assert_eq!(Reference::parse_optional(Some(" \u{3000}")).unwrap(), None);
        let field = TransactionField::Reference;
        assert_eq!(
            Reference::parse("家賃\u{7}").unwrap_err(),
            TransactionError::InvalidCharacter { field, position: 3 }
        );
        assert_eq!(
            Reference::parse(&"x".repeat(33)).unwrap_err(),
            TransactionError::TooLong {
                field,
                max: 32,
                found: 33
            }
        );
        assert_eq!(
            Reference::parse(&"家".repeat(32))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            32
        );
    }
}
