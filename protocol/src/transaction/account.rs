//! The payee's account, as 全銀 numbers it: bank code, branch code, account type and account
//! number. The digit fields go through the crate's one normaliser for typed input (2.1), so
//! `０００１`, `0001` and `00-01` are the same bank code.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::redact::MaskedDigits;
use super::{TransactionError, TransactionField};
use crate::normalize::normalize_bounded;

/// Reads exactly `N` ASCII digits from typed text (normalised first), with the precedence of
/// 2.1: empty, wrong length, first non-digit.
pub(crate) fn parse_digits<const N: usize>(
    input: &str,
    field: TransactionField,
) -> Result<[u8; N], TransactionError> {
    let typed = normalize_bounded(input).map_err(|found| TransactionError::WrongLength {
        field,
        expected: N,
        found,
    })?;
    if typed.is_empty() {
        return Err(TransactionError::Empty { field });
    }
    let found = typed.chars().count();
    if found != N {
        return Err(TransactionError::WrongLength {
            field,
            expected: N,
            found,
        });
    }
    let mut out = [0u8; N];
    for (index, (slot, c)) in out.iter_mut().zip(typed.chars()).enumerate() {
        *slot =
            u8::try_from(c)
                .ok()
                .filter(u8::is_ascii_digit)
                .ok_or(TransactionError::NotADigit {
                    field,
                    position: index + 1,
                })?;
    }
    Ok(out)
}

/// Views stored ASCII digits as text (they are ASCII by construction).
fn digits_str(digits: &[u8]) -> &str {
    std::str::from_utf8(digits).unwrap_or_default()
}

/// Defines a fixed-length digit code with its parser and text accessors.
macro_rules! digit_code {
    ($(#[$doc:meta])* $name:ident, $len:literal, $field:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Number of digits.
            pub const LEN: usize = $len;

            /// Parses typed or received digits (full-width digits, spaces and hyphens are
            /// normalised away first).
            pub fn parse(input: &str) -> Result<Self, TransactionError> {
                parse_digits(input, $field).map(Self)
            }

            /// The canonical form: ASCII digits.
            pub fn as_str(&self) -> &str {
                digits_str(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

    };
}

/// Bank and branch codes name a bank, not a customer: `Debug` shows them whole.
macro_rules! debug_whole {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name))
                    .field(&self.as_str())
                    .finish()
            }
        }
    };
}
debug_whole!(BankCode);
debug_whole!(BranchCode);

/// An account number is the customer's: `Debug` shows its last three digits only.
impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AccountNumber")
            .field(&MaskedDigits(self.as_str()))
            .finish()
    }
}

digit_code!(
    /// A bank code (金融機関コード): 4 ASCII digits, e.g. `0001`.
    BankCode,
    4,
    TransactionField::BankCode
);
digit_code!(
    /// A branch code (支店コード): 3 ASCII digits, e.g. `101`.
    BranchCode,
    3,
    TransactionField::BranchCode
);
digit_code!(
    /// An account number (口座番号): 7 ASCII digits, e.g. `1234567`.
    AccountNumber,
    7,
    TransactionField::AccountNumber
);

/// The account type (預金種目). Wire names are `ordinary`, `checking`, `savings`; the canonical
/// bytes carry the 全銀 digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// 普通 (ordinary deposit), 全銀 `1`.
    Ordinary,
    /// 当座 (checking), 全銀 `2`.
    Checking,
    /// 貯蓄 (savings), 全銀 `4`.
    Savings,
}

impl AccountType {
    /// Every account type, in 全銀 digit order.
    pub const ALL: [AccountType; 3] = [
        AccountType::Ordinary,
        AccountType::Checking,
        AccountType::Savings,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            AccountType::Ordinary => "ordinary",
            AccountType::Checking => "checking",
            AccountType::Savings => "savings",
        }
    }

    /// The 全銀 digit for 預金種目, as the ASCII byte the canonical bytes carry.
    pub const fn zengin_digit(self) -> u8 {
        match self {
            AccountType::Ordinary => b'1',
            AccountType::Checking => b'2',
            AccountType::Savings => b'4',
        }
    }

    /// The label a Japanese screen shows: 普通, 当座 or 貯蓄.
    pub const fn label_ja(self) -> &'static str {
        match self {
            AccountType::Ordinary => "普通",
            AccountType::Checking => "当座",
            AccountType::Savings => "貯蓄",
        }
    }

    /// Parses a wire name (exactly as written: `ordinary`, `checking`, `savings`).
    pub fn parse(name: &str) -> Result<AccountType, TransactionError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or(TransactionError::Invalid {
                field: TransactionField::AccountType,
            })
    }
}

impl fmt::Display for AccountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_codes_normalise_typed_forms() {
        assert_eq!(BankCode::parse("０００１").unwrap().as_str(), "0001");
        assert_eq!(BranchCode::parse("1 0 1").unwrap().as_str(), "101");
        assert_eq!(
            AccountNumber::parse("123-4567").unwrap().as_str(),
            "1234567"
        );
        assert_eq!(
            AccountNumber::parse("１２３４５６７").unwrap().as_str(),
            "1234567"
        );
    }

    #[test]
    fn digit_codes_report_empty_length_and_position() {
        let field = TransactionField::AccountNumber;
        assert_eq!(
            AccountNumber::parse(" - ").unwrap_err(),
            TransactionError::Empty { field }
        );
        assert_eq!(
            AccountNumber::parse("123456").unwrap_err(),
            TransactionError::WrongLength {
                field,
                expected: 7,
                found: 6
            }
        );
        assert_eq!(
            AccountNumber::parse("12345X7").unwrap_err(),
            TransactionError::NotADigit { field, position: 6 }
        );
        assert_eq!(
            BankCode::parse("٠٠٠١").unwrap_err(),
            TransactionError::NotADigit {
                field: TransactionField::BankCode,
                position: 1
            }
        );
        let long = "1".repeat(300);
        assert!(matches!(
            BranchCode::parse(&long).unwrap_err(),
            TransactionError::WrongLength { found: 300, .. }
        ));
    }

    #[test]
    fn account_types_have_wire_names_and_zengin_digits() {
        let expected = [
            ("ordinary", b'1', "普通"),
            ("checking", b'2', "当座"),
            ("savings", b'4', "貯蓄"),
        ];
        for (t, (name, digit, label)) in AccountType::ALL.into_iter().zip(expected) {
            assert_eq!(t.as_str(), name);
            assert_eq!(t.zengin_digit(), digit);
            assert_eq!(t.label_ja(), label);
            assert_eq!(AccountType::parse(name).unwrap(), t);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{name}\""));
        }
        assert!(AccountType::parse("Ordinary").is_err());
    }
}
