//! The offline challenge (振込先専用ワンタイムパスワード, 9.3): the user types the payee's
//! account number, and where the bank asks the amount, into the app; the code is OCRA over
//! them. Also the suite names of both modes.

use crate::totp::Algorithm;

#[cfg(test)]
use super::TransactionField;
use super::{AccountNumber, Amount, TransactionError};

/// The online mode's suite: a hex challenge of the 64 hex digits of the transaction digest.
pub fn online_suite(algorithm: Algorithm) -> String {
    format!("OCRA-1:HOTP-{}-8:QH64-T1M", algorithm.as_str())
}

/// The offline suites: `QN10` for the account number alone, `QN20` with the amount.
pub(super) fn suite_name(algorithm: Algorithm, with_amount: bool) -> String {
    let digits = if with_amount { 20 } else { 10 };
    format!("OCRA-1:HOTP-{}-8:QN{digits}-T1M", algorithm.as_str())
}

/// What the user typed for an offline code, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OfflineChallenge {
    /// The payee's account number.
    pub account_number: AccountNumber,
    /// The amount, where the bank asks for it.
    pub amount: Option<Amount>,
}

impl OfflineChallenge {
    /// Parses what the user typed: the account number through the normaliser of 2.1, the
    /// amount also without `,`, `¥`/`￥` and a trailing `円`. `amount_typed` is `None` when the
    /// bank does not ask for the amount; a blank amount that was asked for is an error.
    pub fn parse(
        account_typed: &str,
        amount_typed: Option<&str>,
    ) -> Result<OfflineChallenge, TransactionError> {
        Ok(OfflineChallenge {
            account_number: AccountNumber::parse(account_typed)?,
            amount: amount_typed.map(Amount::parse_typed).transpose()?,
        })
    }

    /// The suite this challenge is computed with (9.3).
    pub fn suite(&self, algorithm: Algorithm) -> String {
        suite_name(algorithm, self.amount.is_some())
    }

    /// The numeric challenge: the amount in yen (no leading zeros) followed by the 7-digit
    /// account number, or the account number alone. Amount first: `QN` reads the challenge as
    /// a number, so a fixed-width field last keeps every pair a distinct number.
    pub fn challenge(&self) -> String {
        match self.amount {
            Some(amount) => format!("{}{}", amount.value(), self.account_number),
            None => self.account_number.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_forms_parse_to_one_challenge() {
        let a = OfflineChallenge::parse("１２３−４５６７", Some("￥１２３，４５６円")).unwrap();
        let b = OfflineChallenge::parse("1234567", Some("123456")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.challenge(), "1234561234567");
        assert_eq!(a.suite(Algorithm::Sha1), "OCRA-1:HOTP-SHA1-8:QN20-T1M");
        let account_only = OfflineChallenge::parse("0012345", None).unwrap();
        assert_eq!(account_only.challenge(), "0012345");
        assert_eq!(
            account_only.suite(Algorithm::Sha256),
            "OCRA-1:HOTP-SHA256-8:QN10-T1M"
        );
        assert_eq!(
            online_suite(Algorithm::Sha512),
            "OCRA-1:HOTP-SHA512-8:QH64-T1M"
        );
    }

    #[test]
    fn amount_first_keeps_pairs_apart() {
        // Account first, these two would both be the number 123456100.
        let a = OfflineChallenge::parse("0012345", Some("6100")).unwrap();
        let b = OfflineChallenge::parse("0123456", Some("100")).unwrap();
        assert_ne!(a.challenge(), b.challenge());
        // The longest challenge fits QN20.
        let max = OfflineChallenge::parse("9999999", Some("9999999999")).unwrap();
        assert_eq!(max.challenge().len(), 17);
    }

    #[test]
    fn errors_name_the_field() {
        assert!(matches!(
            OfflineChallenge::parse("12345", None).unwrap_err(),
            TransactionError::WrongLength {
                field: TransactionField::AccountNumber,
                ..
            }
        ));
        assert_eq!(
            OfflineChallenge::parse("1234567", Some(" ")).unwrap_err(),
            TransactionError::Empty {
                field: TransactionField::Amount
            }
        );
    }
}
