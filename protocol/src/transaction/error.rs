//! The one error type of transaction values: every refusal names its field and never repeats
//! the value (names and references are the customer's data, and a typed account number may sit
//! next to a code).

use std::fmt;

/// Which part of a transaction an error is about; its `Display` is the field's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionField {
    /// The provider's 22-character transaction id.
    TransactionId,
    /// The payee's 4-digit bank code (金融機関コード).
    BankCode,
    /// The payee's 3-digit branch code (支店コード).
    BranchCode,
    /// The account type (預金種目).
    AccountType,
    /// The payee's 7-digit account number (口座番号).
    AccountNumber,
    /// The account holder's name (受取人名).
    Name,
    /// The bank's free-text reference.
    Reference,
    /// The amount in yen.
    Amount,
    /// The amount's currency.
    Currency,
    /// A transaction state name.
    State,
    /// A decision name (`approve` / `reject`).
    Decision,
    /// The lifetime the bank asks for, in seconds.
    Lifetime,
}

impl fmt::Display for TransactionField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TransactionId => "transaction id",
            Self::BankCode => "bank code",
            Self::BranchCode => "branch code",
            Self::AccountType => "account type",
            Self::AccountNumber => "account number",
            Self::Name => "account holder name",
            Self::Reference => "reference",
            Self::Amount => "amount",
            Self::Currency => "currency",
            Self::State => "transaction state",
            Self::Decision => "decision",
            Self::Lifetime => "lifetime",
        })
    }
}

/// Why a transaction value is refused. Messages name the field and the rule, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// Nothing was given (or only spaces and separators).
    #[error("{field} is empty")]
    Empty {
        /// The field concerned.
        field: TransactionField,
    },
    /// A fixed-length digit field has the wrong number of digits (after normalisation).
    #[error("{field} must be {expected} digits, got {found}")]
    WrongLength {
        /// The field concerned.
        field: TransactionField,
        /// The required number of digits.
        expected: usize,
        /// The number of characters seen.
        found: usize,
    },
    /// A character that must be an ASCII digit is not.
    #[error("{field} has a non-digit at position {position}")]
    NotADigit {
        /// The field concerned.
        field: TransactionField,
        /// 1-based position in the normalised text.
        position: usize,
    },
    /// A free-text field is longer than allowed.
    #[error("{field} must be at most {max} characters, got {found}")]
    TooLong {
        /// The field concerned.
        field: TransactionField,
        /// The limit, in characters.
        max: usize,
        /// The number of characters seen (after canonicalisation).
        found: usize,
    },
    /// A character outside the field's allowed set (for names: katakana, `ー`, `A`–`Z`,
    /// `0`–`9`, space and `( ) . , - /`; for references: control characters).
    #[error("{field} has a character that is not allowed at position {position}")]
    InvalidCharacter {
        /// The field concerned.
        field: TransactionField,
        /// 1-based position in the canonical text.
        position: usize,
    },
    /// A number outside its range (amount 1..=9,999,999,999 yen, lifetime 60..=900 s).
    #[error("{field} must be between {min} and {max}")]
    OutOfRange {
        /// The field concerned.
        field: TransactionField,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// A currency other than JPY: version 1 defines no minor units or display rule for others.
    #[error("unsupported currency: only JPY amounts are supported")]
    UnsupportedCurrency,
    /// A value that is not one of the field's forms (an id that is not 22 base64url characters
    /// of 16 bytes, an unknown account type, state or decision name).
    #[error("{field} is not valid")]
    Invalid {
        /// The field concerned.
        field: TransactionField,
    },
    /// A received value is valid but not in its canonical form (9.2): a provider reply must
    /// carry exactly the bytes the MAC covers.
    #[error("{field} is not in canonical form")]
    NotCanonical {
        /// The field concerned.
        field: TransactionField,
    },
    /// The system's random number generator failed (creating a transaction id).
    #[error("the system random number generator failed")]
    Random,
}
