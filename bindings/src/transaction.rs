//! Transaction authentication (取引認証) as the app shows it: [`PendingTransaction`] with its
//! display strings already formatted, [`AccountKind`], [`DecisionOutcome`], and the two amount
//! formats as functions. Conversions from the core's types live here.
//!
//! The display strings are computed once, in Rust, by the core's rules
//! (`softtoken_core::transaction`), so Kotlin and Swift show the amount and the account exactly
//! alike. Nothing is masked: the user must check every digit.

use std::fmt;

use softtoken_core::transaction as core;

/// The kind of the payee's account (預金種目).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AccountKind {
    /// 普通 (ordinary deposit).
    Ordinary,
    /// 当座 (checking).
    Checking,
    /// 貯蓄 (savings).
    Savings,
}

impl From<core::AccountKind> for AccountKind {
    fn from(value: core::AccountKind) -> Self {
        match value {
            core::AccountKind::Ordinary => AccountKind::Ordinary,
            core::AccountKind::Checking => AccountKind::Checking,
            core::AccountKind::Savings => AccountKind::Savings,
        }
    }
}

/// What became of a one-tap decision, as the provider's MAC proved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DecisionOutcome {
    /// The user approved; the bank may execute the transfer.
    Approved,
    /// The user rejected: the bank is told the user did not recognise the transfer.
    Rejected,
}

impl From<core::DecisionOutcome> for DecisionOutcome {
    fn from(value: core::DecisionOutcome) -> Self {
        match value {
            core::DecisionOutcome::Approved => DecisionOutcome::Approved,
            core::DecisionOutcome::Rejected => DecisionOutcome::Rejected,
        }
    }
}

/// A transfer waiting for the user's decision, from a list whose provider MAC verified. The raw
/// fields and, ready to show, the amount and account as banks print them. Its `Debug` (Kotlin's
/// `toString()`, Swift's `debugDescription`) shows only the id and expiry: the payee and amount
/// are the customer's data, shown on screen and never logged.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct PendingTransaction {
    /// The transaction's id (22 characters), for approve, reject and the transaction code.
    pub id: String,
    /// The payee's bank code (4 digits).
    pub bank_code: String,
    /// The payee's branch code (3 digits).
    pub branch_code: String,
    /// The payee's account kind.
    pub account_kind: AccountKind,
    /// The payee's account number (7 digits).
    pub account_number: String,
    /// The account holder's name, in full-width katakana.
    pub payee_name: String,
    /// The amount, in yen (at most 9,999,999,999).
    pub amount_yen: i64,
    /// The bank's reference for the user, if any.
    pub reference: Option<String>,
    /// When the transaction expires, unix ms (provider clock).
    pub expires_at_ms: i64,
    /// The amount as `¥1,234,567`.
    pub amount_yen_sign: String,
    /// The amount as `1,234,567円`.
    pub amount_en_suffix: String,
    /// The account kind as banks print it: 普通, 当座 or 貯蓄.
    pub account_type_label: String,
    /// The account as banks print it: `普通 1234567`.
    pub account_line: String,
}

impl From<core::PendingTransaction> for PendingTransaction {
    fn from(value: core::PendingTransaction) -> Self {
        PendingTransaction {
            amount_yen_sign: value.amount_yen_sign(),
            amount_en_suffix: value.amount_en_suffix(),
            account_type_label: value.account_kind.label_ja().to_owned(),
            account_line: value.account_line(),
            id: value.id,
            bank_code: value.bank_code,
            branch_code: value.branch_code,
            account_kind: value.account_kind.into(),
            account_number: value.account_number,
            payee_name: value.payee_name,
            amount_yen: crate::types::signed(value.amount_yen),
            reference: value.reference,
            expires_at_ms: crate::types::signed(value.expires_at_ms),
        }
    }
}

impl fmt::Debug for PendingTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingTransaction")
            .field("id", &self.id)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// An amount in yen as `¥1,234,567` (a negative amount, which no transaction has, shows as `¥0`).
#[uniffi::export]
pub fn format_yen_sign(yen: i64) -> String {
    core::format_yen_sign(u64::try_from(yen).unwrap_or(0))
}

/// An amount in yen as `1,234,567円` (a negative amount, which no transaction has, shows as `0円`).
#[uniffi::export]
pub fn format_en_suffix(yen: i64) -> String {
    core::format_en_suffix(u64::try_from(yen).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core_pending(kind: core::AccountKind) -> core::PendingTransaction {
        core::PendingTransaction {
            id: "AAECAwQFBgcICQoLDA0ODw".into(),
            bank_code: "0001".into(),
            branch_code: "101".into(),
            account_kind: kind,
            account_number: "1234567".into(),
            payee_name: "ヤマダ タロウ".into(),
            amount_yen: 1_234_567,
            reference: Some("3月分家賃".into()),
            expires_at_ms: 1_795_000_300_000,
        }
    }

    #[test]
    fn the_record_carries_the_raw_fields_and_the_display_strings() {
        let shown = PendingTransaction::from(core_pending(core::AccountKind::Ordinary));
        assert_eq!(shown.id, "AAECAwQFBgcICQoLDA0ODw");
        assert_eq!(shown.bank_code, "0001");
        assert_eq!(shown.branch_code, "101");
        assert_eq!(shown.account_kind, AccountKind::Ordinary);
        assert_eq!(shown.account_number, "1234567");
        assert_eq!(shown.payee_name, "ヤマダ タロウ");
        assert_eq!(shown.amount_yen, 1_234_567);
        assert_eq!(shown.reference.as_deref(), Some("3月分家賃"));
        assert_eq!(shown.expires_at_ms, 1_795_000_300_000);
        assert_eq!(shown.amount_yen_sign, "¥1,234,567");
        assert_eq!(shown.amount_en_suffix, "1,234,567円");
        assert_eq!(shown.account_type_label, "普通");
        assert_eq!(shown.account_line, "普通 1234567");
    }

    #[test]
    fn every_account_kind_has_its_label() {
        for (kind, label) in [
            (core::AccountKind::Ordinary, "普通"),
            (core::AccountKind::Checking, "当座"),
            (core::AccountKind::Savings, "貯蓄"),
        ] {
            let shown = PendingTransaction::from(core_pending(kind));
            assert_eq!(shown.account_type_label, label);
            assert_eq!(shown.account_line, format!("{label} 1234567"));
        }
    }

    #[test]
    fn debug_names_the_transaction_and_hides_the_payee_and_amount() {
        let debug = format!(
            "{:?}",
            PendingTransaction::from(core_pending(core::AccountKind::Ordinary))
        );
        assert!(debug.contains("AAECAwQFBgcICQoLDA0ODw"));
        for hidden in ["1234567", "ヤマダ", "1,234,567", "家賃"] {
            assert!(!debug.contains(hidden), "{hidden} in {debug}");
        }
    }

    #[test]
    fn the_exported_formats_group_thousands() {
        assert_eq!(format_yen_sign(1_234_567), "¥1,234,567");
        assert_eq!(format_en_suffix(1_234_567), "1,234,567円");
        assert_eq!(format_yen_sign(-5), "¥0");
    }
}
