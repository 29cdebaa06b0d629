//! How a customer's transfer details appear in `Debug`: masked, so that a `{:?}` in a log line,
//! a panic message or an error report never carries a whole account number or a payee's name
//! (issue 13: transaction details are the customer's data, never logged). Enough stays to tell
//! two values apart while debugging: an account number's last three digits, a text's length.

use std::fmt;

/// An account number as `***4567`-style text: all but the last three characters hidden.
pub(crate) struct MaskedDigits<'a>(pub(crate) &'a str);

impl fmt::Debug for MaskedDigits<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars = self.0.chars().count();
        let shown = chars.saturating_sub(chars.saturating_sub(3));
        let tail: String = self.0.chars().skip(chars - shown).collect();
        write!(f, "\"{}{tail}\"", "*".repeat(chars - shown))
    }
}

/// A free text (a name, a reference) as `<redacted, N chars>`.
pub(crate) struct RedactedText<'a>(pub(crate) &'a str);

impl fmt::Debug for RedactedText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} chars>", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_number_shows_its_last_three_digits_only() {
        assert_eq!(format!("{:?}", MaskedDigits("1234567")), "\"****567\"");
        assert_eq!(format!("{:?}", MaskedDigits("12")), "\"12\"");
        assert_eq!(format!("{:?}", MaskedDigits("")), "\"\"");
    }

    #[test]
    fn a_text_shows_its_length_only() {
        assert_eq!(
            format!("{:?}", RedactedText("ヤマダ タロウ")),
            "<redacted, 7 chars>"
        );
    }
}
