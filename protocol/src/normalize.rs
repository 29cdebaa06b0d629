//! The one normaliser for everything a user types: Service IDs, User IDs and one-time passwords.
//!
//! Users copy IDs out of letters, e-mails and PDFs, and type them with a Japanese IME that
//! happily produces full-width digits (`０１２`), ideographic spaces, full-width hyphens and the
//! katakana prolonged sound mark (`ー`, which looks like a hyphen). All of those must mean the same
//! thing as the plain ASCII the bank printed, so every parser runs its input through
//! [`normalize_typed`] first and only ever validates the canonical ASCII-uppercase result.
//!
//! One pass is:
//!
//! 1. Unicode NFKC, which folds compatibility forms into ASCII (`０` → `0`, `Ａ` → `A`,
//!    U+3000 / U+00A0 → space, U+FF0D → `-`, U+FF70 `ｰ` → U+30FC `ー`);
//! 2. removal of every separator a user might type or paste (see [`is_removable`]);
//! 3. ASCII uppercase (so check letters may be typed in lower case; non-ASCII is left alone
//!    because it is rejected later anyway, and full Unicode case mapping could change lengths).
//!
//! A single pass is *not* idempotent on its own: removing a separator can bring together
//! characters that NFKC then composes. For example `"A-\u{301}"` is already NFKC (the hyphen
//! blocks composition), one pass yields `"A\u{301}"`, and a second pass composes that to `"Á"`.
//! So [`normalize_typed`] repeats the pass until the text is stable. The second pass is always the
//! last one that changes anything: NFKC output only composes or reorders characters, no
//! removable character is a canonical composite (tested below), and composition never yields
//! ASCII, so step 2 and 3 have nothing left to do; the third pass merely confirms stability.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroize;

/// Inputs longer than this many `char`s (before normalisation) are rejected unread.
///
/// The longest thing a user types is a 16-character User ID; 256 leaves room for any amount of
/// spacing a human could plausibly paste while keeping NFKC (which can expand a character up to
/// 18-fold) on a small, fixed budget even if someone pastes megabytes into the field.
pub(crate) const MAX_TYPED_CHARS: usize = 256;

/// Upper bound on normalisation passes. By the argument in the module docs three passes always
/// reach the fixed point (two that change something, one that confirms); the bound exists only
/// so that a future Unicode table change can never turn this into an unbounded loop.
const MAX_PASSES: usize = 4;

/// Normalises typed text to its canonical form: NFKC, separators removed, ASCII uppercased,
/// repeated until stable (so `normalize_typed(&normalize_typed(x)) == normalize_typed(x)`).
///
/// This function does not bound its input; parsers must check [`MAX_TYPED_CHARS`] first (see
/// [`normalize_bounded`]).
pub(crate) fn normalize_typed(input: &str) -> String {
    let mut current = one_pass(input);
    for _ in 0..MAX_PASSES {
        // ASCII is a fixed point of a pass (NFKC leaves it alone, separators are gone, letters are
        // already uppercase), and it is what almost every real input becomes after one pass.
        if current.is_ascii() {
            break;
        }
        let next = one_pass(&current);
        if next == current {
            break;
        }
        // The text may be a one-time password: wipe superseded copies rather than just freeing.
        current.zeroize();
        current = next;
    }
    current
}

/// [`normalize_typed`] behind the [`MAX_TYPED_CHARS`] bound: `Err(char_count)` for longer input,
/// which is counted but never normalised (counting is a cheap linear scan; NFKC is not).
pub(crate) fn normalize_bounded(input: &str) -> Result<String, usize> {
    // Fewer bytes than the limit means fewer chars too, so the common case skips the count.
    if input.len() > MAX_TYPED_CHARS {
        let chars = input.chars().count();
        if chars > MAX_TYPED_CHARS {
            return Err(chars);
        }
    }
    Ok(normalize_typed(input))
}

/// One pass: NFKC, drop separators, ASCII-uppercase.
fn one_pass(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    if input.is_ascii() {
        // NFKC is the identity on ASCII; skipping it keeps the common case allocation-light.
        out.extend(
            input
                .chars()
                .filter(|c| !is_removable(*c))
                .map(|c| c.to_ascii_uppercase()),
        );
    } else {
        out.extend(
            input
                .nfkc()
                .filter(|c| !is_removable(*c))
                .map(|c| c.to_ascii_uppercase()),
        );
    }
    out
}

/// Characters a user may type or paste between the meaningful ones, which therefore carry no
/// meaning: white space, anything that looks like a hyphen, and invisible format characters.
///
/// Several of these never survive NFKC (U+00A0, U+3000, U+FF0D, U+FE58, U+FE63, U+FF70 are
/// compatibility forms of other entries); they are listed anyway so the set reads as the
/// specification, independent of what NFKC happens to do first.
fn is_removable(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            // Spaces NFKC maps to U+0020 (also covered by is_whitespace; explicit on purpose).
            '\u{00A0}' | '\u{3000}'
            // Hyphens, dashes and minus signs, including the full-width forms.
            | '-' | '\u{2010}'
                ..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
            // Katakana prolonged sound mark (full and half width): an IME "hyphen".
            | '\u{30FC}' | '\u{FF70}'
            // Zero-width and invisible format characters that ride along in copy-paste.
            | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}'
            // Soft hyphen: invisible, but pasted from web pages and mails.
            | '\u{00AD}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_width_digits_and_letters_become_ascii() {
        assert_eq!(normalize_typed("１０１２１２３４"), "10121234");
        assert_eq!(normalize_typed("ＡＢｃｄ"), "ABCD");
    }

    #[test]
    fn spaces_of_every_kind_are_removed() {
        assert_eq!(normalize_typed("1012 1234"), "10121234");
        assert_eq!(normalize_typed("1012\u{00A0}1234"), "10121234");
        assert_eq!(normalize_typed("1012\u{3000}1234"), "10121234");
        assert_eq!(normalize_typed("\t1012\r\n1234\u{2009}"), "10121234");
    }

    #[test]
    fn hyphen_like_characters_are_removed() {
        for sep in [
            '-', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}',
            '\u{2212}', '\u{FE58}', '\u{FE63}', '\u{FF0D}', '\u{30FC}', '\u{FF70}',
        ] {
            let typed = format!("1012{sep}1234");
            assert_eq!(
                normalize_typed(&typed),
                "10121234",
                "separator U+{:04X}",
                u32::from(sep)
            );
        }
    }

    #[test]
    fn zero_width_characters_are_removed() {
        for sep in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{180E}',
        ] {
            let typed = format!("{sep}1012{sep}1234{sep}");
            assert_eq!(
                normalize_typed(&typed),
                "10121234",
                "separator U+{:04X}",
                u32::from(sep)
            );
        }
    }

    #[test]
    fn lowercase_ascii_is_uppercased() {
        assert_eq!(normalize_typed("12345678901234ci"), "12345678901234CI");
    }

    #[test]
    fn non_ascii_digits_stay_non_ascii() {
        // Arabic-Indic three has no compatibility decomposition: NFKC keeps it, and the parsers
        // must then reject it (it is_numeric, but it is not an ASCII digit).
        assert_eq!(normalize_typed("12٣4"), "12\u{0663}4");
    }

    #[test]
    fn only_separators_normalise_to_empty() {
        assert_eq!(normalize_typed(""), "");
        assert_eq!(normalize_typed(" \u{3000}\u{00A0}-ー\u{200B}"), "");
    }

    #[test]
    fn removal_then_composition_is_resolved() {
        // One pass leaves "A\u{301}" (the hyphen blocked composition); the loop composes it.
        assert_eq!(normalize_typed("A-\u{301}"), "\u{C1}");
        assert_eq!(normalize_typed("a\u{200B}\u{301}"), "\u{C1}");
        // Hangul jamo separated by a space compose once the space is gone.
        assert_eq!(normalize_typed("\u{1100} \u{1161}"), "\u{AC00}");
        // Combining marks separated by a hyphen must end up in canonical order.
        let once = normalize_typed("x\u{301}-\u{323}");
        assert_eq!(normalize_typed(&once), once);
    }

    #[test]
    fn no_removable_character_is_a_canonical_composite() {
        // The termination argument in the module docs relies on this: canonical composition only
        // produces characters whose canonical decomposition has two or more characters and which
        // survive NFC, so if no separator is such a character, composition can never re-create a
        // separator that an earlier pass removed. (Singleton decompositions such as U+2000 → U+2002
        // are never produced by composition.)
        for c in (0..=0x10FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|c| is_removable(*c))
        {
            let decomposed: String = c.to_string().nfd().collect();
            let recomposed: String = decomposed.nfc().collect();
            let is_primary_composite =
                decomposed.chars().count() > 1 && recomposed == c.to_string();
            assert!(
                !is_primary_composite,
                "U+{:04X} is a composite",
                u32::from(c)
            );
        }
    }

    #[test]
    fn idempotent_on_every_single_character() {
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let once = normalize_typed(&c.to_string());
            assert_eq!(normalize_typed(&once), once, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn bound_rejects_long_input_by_char_count() {
        let at_limit = "１".repeat(MAX_TYPED_CHARS);
        assert_eq!(
            normalize_bounded(&at_limit).map(|s| s.len()),
            Ok(MAX_TYPED_CHARS)
        );
        let over = "１".repeat(MAX_TYPED_CHARS + 1);
        assert_eq!(normalize_bounded(&over), Err(MAX_TYPED_CHARS + 1));
        // Many bytes but few chars is fine: the limit is on characters, not UTF-8 bytes.
        let wide = "\u{3000}".repeat(100);
        assert_eq!(normalize_bounded(&wide), Ok(String::new()));
        let huge = "1".repeat(10 * 1024 * 1024);
        assert_eq!(normalize_bounded(&huge), Err(10 * 1024 * 1024));
    }

    /// Characters chosen to exercise every interaction: ASCII letters of both cases, digits,
    /// every separator, full-width forms, combining marks, Hangul jamo and arbitrary scalars.
    fn tricky_char() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::char::range('0', '9'),
            prop::char::range('a', 'z'),
            prop::char::range('A', 'Z'),
            prop::sample::select(vec![
                ' ', '\u{00A0}', '\u{3000}', '-', '\u{2010}', '\u{2015}', '\u{2212}', '\u{FE58}',
                '\u{FE63}', '\u{FF0D}', '\u{30FC}', '\u{FF70}', '\u{200B}', '\u{200D}', '\u{FEFF}',
                '\u{180E}', '\u{0663}', '\u{00BD}', '\u{2460}', '\u{FDFA}', '\u{212B}',
            ]),
            prop::char::range('\u{FF10}', '\u{FF5A}'),
            prop::char::range('\u{0300}', '\u{036F}'),
            prop::char::range('\u{1100}', '\u{11FF}'),
            any::<char>(),
        ]
    }

    proptest! {
        #[test]
        fn idempotent(chars in prop::collection::vec(tricky_char(), 0..40)) {
            let input: String = chars.into_iter().collect();
            let once = normalize_typed(&input);
            prop_assert_eq!(normalize_typed(&once), once);
        }

        #[test]
        fn idempotent_on_arbitrary_strings(input in any::<String>()) {
            let once = normalize_typed(&input);
            prop_assert_eq!(normalize_typed(&once), once);
        }
    }
}
