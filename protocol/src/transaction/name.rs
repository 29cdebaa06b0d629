//! The account holder's name (受取人名), canonicalised so that the bank's half-width kana and
//! the full-width katakana the phone shows are one value (9.2).
//!
//! Canonical form: NFKC (`ﾔﾏﾀﾞ` → `ヤマダ`, dakuten combined; `（` → `(`; U+3000 → space), runs
//! of spaces collapsed to one and none at either end; then every character must be katakana
//! U+30A1–U+30F6, `ー`, `A`–`Z`, `0`–`9`, space or one of `( ) . , - /` (the 全銀 name set as
//! NFKC writes it), 1 to 30 of them. Lower-case letters and kanji are refused rather than
//! folded: the bank's name field cannot hold them, so they signal a wrong field, not a spelling.

use std::fmt;

use super::{
    TransactionError, TransactionField,
    text::{check_canonical, nfkc_bounded},
};

/// A canonical account holder name. Shown to the user, so `Debug` shows it (it is never
/// logged by the provider, which logs transaction ids only).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HolderName(String);

impl HolderName {
    /// The most characters a canonical name may have.
    pub const MAX_CHARS: usize = 30;

    /// Canonicalises and checks a name as the bank sent it (half- or full-width).
    pub fn parse(input: &str) -> Result<HolderName, TransactionError> {
        let field = TransactionField::Name;
        let mut canonical = String::with_capacity(input.len());
        for word in nfkc_bounded(input, field, Self::MAX_CHARS)?.split(' ') {
            if word.is_empty() {
                continue;
            }
            if !canonical.is_empty() {
                canonical.push(' ');
            }
            canonical.push_str(word);
        }
        check_canonical(&canonical, field, Self::MAX_CHARS, allowed)?;
        Ok(HolderName(canonical))
    }

    /// The canonical name (what the canonical bytes carry and the phone shows).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The 全銀 name characters after NFKC.
fn allowed(c: char) -> bool {
    matches!(c,
        '\u{30A1}'..='\u{30F6}' | '\u{30FC}' | 'A'..='Z' | '0'..='9'
        | ' ' | '(' | ')' | '.' | ',' | '-' | '/')
}

impl fmt::Display for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HolderName")
            .field(&super::redact::RedactedText(&self.0))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> String {
        HolderName::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn half_width_and_full_width_kana_are_one_name() {
        assert_eq!(name("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(name("ヤマダ タロウ"), "ヤマダ タロウ");
        assert_eq!(name("ｶ)ﾔﾏﾀﾞ"), "カ)ヤマダ");
        assert_eq!(name("ｶﾌﾞｼｷｶﾞｲｼｬ ｻｸﾗ"), "カブシキガイシャ サクラ");
        assert_eq!(name("ｽｽﾞｷ ｰ"), "スズキ ー");
    }

    #[test]
    fn spaces_collapse_and_trim_full_width_included() {
        assert_eq!(name("ヤマダ\u{3000}タロウ"), "ヤマダ タロウ");
        assert_eq!(name("  ヤマダ   タロウ \u{3000}"), "ヤマダ タロウ");
        assert_eq!(name("（カ）サクラ"), "(カ)サクラ");
        assert_eq!(name("ＡＢＣ　ＣＯ．"), "ABC CO.");
    }

    #[test]
    fn refused_characters_name_their_position() {
        let field = TransactionField::Name;
        assert_eq!(
            HolderName::parse("山田太郎").unwrap_err(),
            TransactionError::InvalidCharacter { field, position: 1 }
        );
        assert_eq!(
            HolderName::parse("ヤマダ taro").unwrap_err(),
            TransactionError::InvalidCharacter { field, position: 5 }
        );
        assert_eq!(
            HolderName::parse("やまだ").unwrap_err(),
            TransactionError::InvalidCharacter { field, position: 1 }
        );
        assert_eq!(
            HolderName::parse("ヤマダ\tタロウ").unwrap_err(),
            TransactionError::InvalidCharacter { field, position: 4 }
        );
    }

    #[test]
    fn empty_and_long_names_are_refused() {
        let field = TransactionField::Name;
        assert_eq!(
            HolderName::parse(" \u{3000} ").unwrap_err(),
            TransactionError::Empty { field }
        );
        assert_eq!(name(&"ア".repeat(30)).chars().count(), 30);
        assert_eq!(
            HolderName::parse(&"ア".repeat(31)).unwrap_err(),
            TransactionError::TooLong {
                field,
                max: 30,
                found: 31
            }
        );
        assert!(matches!(
            HolderName::parse(&"ア".repeat(1000)).unwrap_err(),
            TransactionError::TooLong { found: 1000, .. }
        ));
    }

    #[test]
    fn canonical_names_are_fixed_points() {
        for input in ["ﾔﾏﾀﾞ ﾀﾛｳ", "ｶ)ﾔﾏﾀﾞ", " ＡＢＣ　ＣＯ． "] {
            let once = name(input);
            assert_eq!(name(&once), once);
        }
    }
}
