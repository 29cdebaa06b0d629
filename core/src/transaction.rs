//! What the app shows for transaction authentication (取引認証): a pending transfer as the user
//! must check it, and the display rules both shells share, so Kotlin and Swift show the same
//! amount and account the same way (`docs/protocol.md` §9).
//!
//! Nothing here is masked: the account number, the name and the amount are exactly what the
//! user confirms, so the user must see every digit of them.

use std::fmt;

/// The kind of the payee's account (預金種目).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// 普通 (ordinary deposit).
    Ordinary,
    /// 当座 (checking).
    Checking,
    /// 貯蓄 (savings).
    Savings,
}

impl AccountKind {
    /// The label banks print: 普通, 当座 or 貯蓄.
    pub const fn label_ja(self) -> &'static str {
        match self {
            AccountKind::Ordinary => "普通",
            AccountKind::Checking => "当座",
            AccountKind::Savings => "貯蓄",
        }
    }
}

/// A transfer waiting for the user's decision, as the provider registered it and as its MAC
/// proved (a list whose MAC does not verify never becomes one of these).
#[derive(Clone, PartialEq, Eq)]
pub struct PendingTransaction {
    /// The transaction's id (22 characters).
    pub id: String,
    /// The payee's bank code (4 digits).
    pub bank_code: String,
    /// The payee's branch code (3 digits).
    pub branch_code: String,
    /// The payee's account kind.
    pub account_kind: AccountKind,
    /// The payee's account number (7 digits).
    pub account_number: String,
    /// The account holder's name, in full-width katakana (NFKC).
    pub payee_name: String,
    /// The amount, in yen.
    pub amount_yen: u64,
    /// The bank's reference for the user, if any.
    pub reference: Option<String>,
    /// When the transaction expires, unix ms (provider clock).
    pub expires_at_ms: u64,
}

impl fmt::Debug for PendingTransaction {
    // The payee and amount are the customer's data: they are shown on screen, never logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingTransaction")
            .field("id", &self.id)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

impl PendingTransaction {
    /// The amount as `¥1,234,567`.
    pub fn amount_yen_sign(&self) -> String {
        format_yen_sign(self.amount_yen)
    }

    /// The amount as `1,234,567円`.
    pub fn amount_en_suffix(&self) -> String {
        format_en_suffix(self.amount_yen)
    }

    /// The account as banks print it: `普通 1234567`.
    pub fn account_line(&self) -> String {
        format!("{} {}", self.account_kind.label_ja(), self.account_number)
    }
}

/// What became of a one-tap decision, as the provider's MAC proved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionOutcome {
    /// The user approved; the bank may execute the transfer.
    Approved,
    /// The user rejected: the bank is told the user did not recognise the transfer.
    Rejected,
}

/// `1234567` → `¥1,234,567`.
pub fn format_yen_sign(yen: u64) -> String {
    format!("¥{}", group_thousands(yen))
}

/// `1234567` → `1,234,567円`.
pub fn format_en_suffix(yen: u64) -> String {
    format!("{}円", group_thousands(yen))
}

/// `1234567` → `1,234,567`.
fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(format_yen_sign(0), "¥0");
        assert_eq!(format_yen_sign(999), "¥999");
        assert_eq!(format_yen_sign(1_000), "¥1,000");
        assert_eq!(format_yen_sign(1_234_567), "¥1,234,567");
        assert_eq!(format_en_suffix(123_456), "123,456円");
        assert_eq!(format_en_suffix(9_999_999_999), "9,999,999,999円");
    }

    #[test]
    fn the_account_line_and_debug_hide_nothing_shown_and_log_nothing() {
        let pending = PendingTransaction {
            id: "AAECAwQFBgcICQoLDA0ODw".into(),
            bank_code: "0001".into(),
            branch_code: "101".into(),
            account_kind: AccountKind::Ordinary,
            account_number: "0123456".into(),
            payee_name: "ヤマダ タロウ".into(),
            amount_yen: 50_000,
            reference: None,
            expires_at_ms: 1,
        };
        assert_eq!(pending.account_line(), "普通 0123456");
        let debug = format!("{pending:?}");
        assert!(
            !debug.contains("0123456") && !debug.contains("ヤマダ") && !debug.contains("50000")
        );
    }
}
