//! The values every suite shares, so a test says *which* thing it uses, not how to spell it.

use softtoken_protocol::wire::DeviceInfo;

/// The demo service the provider's `--dev` start creates (`softtoken-server serve --dev`).
pub const SERVICE_ID: &str = softtoken_server::server::DEV_SERVICE_ID;

/// The activation password (利用開始パスワード) the user chose at the bank.
pub const ACTIVATION_PASSWORD: &str = "Sakura#2026";

/// The phone's mail address the bank issues tokens to.
pub const EMAIL: &str = "hanako@example.jp";

/// `user_id` with its fifth character, a digit, changed by one: the check letters catch every
/// single-digit error, so the result is always refused as a typo. Other characters are kept.
pub fn user_id_with_typo(user_id: &str) -> String {
    user_id
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c.to_digit(10)) {
            (4, Some(d)) => char::from_digit((d + 1) % 10, 10).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// What a test phone tells the provider about itself.
pub fn device_info() -> DeviceInfo {
    DeviceInfo {
        platform: "linux".into(),
        model: Some("test".into()),
        app_version: None,
    }
}

/// A transfer of `yen` to 0001-101 普通 `account_number`, ヤマダ タロウ, as internet banking
/// registers it (the name in half-width kana, as banks hold it; a reference), with the
/// provider's default lifetime.
pub fn transfer(
    account_number: &str,
    yen: u64,
) -> softtoken_protocol::wire::RegisterTransactionRequest {
    use softtoken_protocol::{
        transaction::AccountType,
        wire::{RegisterTransactionRequest, WireAmount, WirePayee},
    };
    RegisterTransactionRequest {
        payee: WirePayee {
            bank_code: "0001".into(),
            branch_code: "101".into(),
            account_type: AccountType::Ordinary,
            account_number: account_number.into(),
            name: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
        },
        amount: WireAmount {
            value: yen,
            currency: "JPY".into(),
        },
        reference: Some("3月分家賃".into()),
        lifetime_s: None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use softtoken_protocol::ids::UserId;

    use super::*;

    #[test]
    fn the_typo_is_always_caught() {
        for body in [
            "12345678901234",
            "00000000000000",
            "99999999999999",
            "10121234000042",
        ] {
            let user_id = UserId::from_body(body).unwrap();
            let typo = user_id_with_typo(user_id.as_str());
            assert_ne!(typo, user_id.as_str());
            assert_eq!(typo.len(), user_id.as_str().len());
            assert!(UserId::parse(&typo).is_err(), "{typo} accepted");
        }
    }
}
