//! The amount bound into a transaction: integer yen, 1 to 9,999,999,999 (9.2). Other
//! currencies are refused with their own error: they need minor units and a display rule,
//! which version 1 does not define.

use std::fmt;

use super::{TransactionError, TransactionField};
use crate::normalize::normalize_bounded;

/// An amount in yen, within 1..=9,999,999,999.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Amount(u64);

impl Amount {
    /// The only currency of version 1.
    pub const CURRENCY: &'static str = "JPY";
    /// The smallest amount, in yen.
    pub const MIN: u64 = 1;
    /// The largest amount, in yen (10 digits: the 全銀 amount field).
    pub const MAX: u64 = 9_999_999_999;

    fn out_of_range() -> TransactionError {
        TransactionError::OutOfRange {
            field: TransactionField::Amount,
            min: Self::MIN,
            max: Self::MAX,
        }
    }

    /// An amount in yen.
    pub fn jpy(yen: u64) -> Result<Amount, TransactionError> {
        if (Self::MIN..=Self::MAX).contains(&yen) {
            Ok(Amount(yen))
        } else {
            Err(Self::out_of_range())
        }
    }

    /// An amount as the wire carries it: `currency` must be exactly `JPY`.
    pub fn new(value: u64, currency: &str) -> Result<Amount, TransactionError> {
        if currency != Self::CURRENCY {
            return Err(TransactionError::UnsupportedCurrency);
        }
        Self::jpy(value)
    }

    /// An amount as a user typed it: the normaliser of 2.1 (full-width digits, spaces), then
    /// `,`, a leading `¥` (`￥` is the same after NFKC) and a trailing `円` are dropped, and the
    /// rest must be ASCII digits.
    pub fn parse_typed(input: &str) -> Result<Amount, TransactionError> {
        let field = TransactionField::Amount;
        let typed = normalize_bounded(input).map_err(|_| Self::out_of_range())?;
        let typed = typed.strip_prefix('¥').unwrap_or(&typed);
        let typed = typed.strip_suffix('円').unwrap_or(typed);
        let digits: String = typed.chars().filter(|c| *c != ',').collect();
        if digits.is_empty() {
            return Err(TransactionError::Empty { field });
        }
        if let Some(position) = digits.chars().position(|c| !c.is_ascii_digit()) {
            return Err(TransactionError::NotADigit {
                field,
                position: position + 1,
            });
        }
        // All ASCII digits: parsing fails only by overflow, which is out of range too.
        let yen: u64 = digits.parse().map_err(|_| Self::out_of_range())?;
        Self::jpy(yen)
    }

    /// The amount in yen.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The currency code, always `JPY`.
    pub const fn currency(self) -> &'static str {
        Self::CURRENCY
    }
}

impl fmt::Display for Amount {
    /// `123456 JPY`: unambiguous; display formatting (`¥123,456`) is the app's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, Self::CURRENCY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_currency() {
        assert_eq!(Amount::jpy(1).unwrap().value(), 1);
        assert_eq!(Amount::jpy(9_999_999_999).unwrap().value(), 9_999_999_999);
        assert_eq!(Amount::jpy(0).unwrap_err(), Amount::out_of_range());
        assert_eq!(
            Amount::jpy(10_000_000_000).unwrap_err(),
            Amount::out_of_range()
        );
        assert_eq!(
            Amount::new(100, "USD").unwrap_err(),
            TransactionError::UnsupportedCurrency
        );
        assert_eq!(
            Amount::new(100, "jpy").unwrap_err(),
            TransactionError::UnsupportedCurrency
        );
        assert_eq!(Amount::new(100, "JPY").unwrap().currency(), "JPY");
    }

    #[test]
    fn typed_amounts_accept_yen_marks_and_commas() {
        for typed in [
            "123456",
            "123,456",
            "¥123,456",
            "￥１２３，４５６",
            "123,456円",
            "12 3456",
        ] {
            assert_eq!(
                Amount::parse_typed(typed).unwrap().value(),
                123_456,
                "{typed}"
            );
        }
        let field = TransactionField::Amount;
        assert_eq!(
            Amount::parse_typed("¥").unwrap_err(),
            TransactionError::Empty { field }
        );
        assert_eq!(
            Amount::parse_typed("12.5").unwrap_err(),
            TransactionError::NotADigit { field, position: 3 }
        );
        assert_eq!(
            Amount::parse_typed("0").unwrap_err(),
            Amount::out_of_range()
        );
        assert_eq!(
            Amount::parse_typed("99999999999999999999999").unwrap_err(),
            Amount::out_of_range()
        );
    }
}
