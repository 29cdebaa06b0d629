//! How a typed activation password becomes the bytes OPAQUE sees.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use super::HandshakeError;

/// Longest accepted activation password, in UTF-8 bytes after normalisation.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Prepares an activation password: Unicode NFKC, then its UTF-8 bytes.
///
/// NFKC, because the user chose the password in a bank web form and types it again on a phone
/// keyboard: an IME may produce full-width `ＡＢＣ１２３` on one and ASCII on the other, and
/// both must mean the same password. Nothing else is changed (no trimming, no case folding):
/// spaces and case are the user's choice. Both the provider (at issuance) and the app (at
/// activation) must call this.
pub fn prepare_password(typed: &str) -> Result<Zeroizing<Vec<u8>>, HandshakeError> {
    if typed.is_empty() {
        return Err(HandshakeError::EmptyPassword);
    }
    // Refuse absurd input before normalising it: NFKC may expand, but never by more than 18x,
    // and a limit on the input keeps the work bounded.
    if typed.len() > MAX_PASSWORD_BYTES {
        return Err(HandshakeError::PasswordTooLong);
    }
    let normalised = Zeroizing::new(typed.nfkc().collect::<String>());
    if normalised.len() > MAX_PASSWORD_BYTES {
        return Err(HandshakeError::PasswordTooLong);
    }
    Ok(Zeroizing::new(normalised.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_ascii_are_the_same_password() {
        let wide = prepare_password("Ｓａｋｕｒａ＃２０２６").unwrap();
        let ascii = prepare_password("Sakura#2026").unwrap();
        assert_eq!(*wide, *ascii);
    }

    #[test]
    fn spaces_and_case_are_kept() {
        assert_ne!(
            *prepare_password("abc").unwrap(),
            *prepare_password("ABC").unwrap()
        );
        assert_ne!(
            *prepare_password("abc").unwrap(),
            *prepare_password(" abc").unwrap()
        );
    }

    #[test]
    fn empty_and_huge_are_refused() {
        assert_eq!(prepare_password(""), Err(HandshakeError::EmptyPassword));
        let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(
            prepare_password(&huge),
            Err(HandshakeError::PasswordTooLong)
        );
        assert!(prepare_password(&"x".repeat(MAX_PASSWORD_BYTES)).is_ok());
    }
}
