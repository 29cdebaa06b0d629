//! The payee (振込先): the account and the name the phone shows and the code binds.

use super::{AccountNumber, AccountType, BankCode, BranchCode, HolderName};

/// Where the money goes. Every field is already validated and canonical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Payee {
    /// 金融機関コード, 4 digits.
    pub bank_code: BankCode,
    /// 支店コード, 3 digits.
    pub branch_code: BranchCode,
    /// 預金種目.
    pub account_type: AccountType,
    /// 口座番号, 7 digits.
    pub account_number: AccountNumber,
    /// 受取人名, canonical (NFKC'd katakana).
    pub name: HolderName,
}
