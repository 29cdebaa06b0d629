//! The end-to-end suite: bank → provider → app core → kernel keyring → bank, every part real.
//! One test binary (`cargo test -p softtoken-testkit --test end_to_end`, under
//! `keyctl session -`), one file per theme:
//!
//! | file | what the bank and the phone go through |
//! |---|---|
//! | `setup_and_confirm` | 初期設定 and 認証確認, as typed on a phone; a retry after a lost reply |
//! | `wrong_input` | typos caught on the phone, wrong activation passwords and the lock |
//! | `lifecycle` | expiry, revocation, the bank's lock and unlock, a phone change (機種変更), a provider restart |
//! | `phone_storage` | the keystore failing, a restored phone, a seed deleted, corrupted metadata |
//! | `clock` | a phone whose clock is hours off |
//! | `secret_scan` | a whole flow at TRACE: no password, seed or bank key in logs, files or errors |
//! | `desktop_keyring` | Linux: a seed lives in its session keyring only; expired, the token says set up again |
//! | `status_trust` | only a MAC-verified status reply changes a token: a `401 status_denied` does not |
//! | `transactions` | 取引認証: approve, reject, a typed transaction code, expiry, wrong codes, a revoked token, offline codes, a relay changing the payee |
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod clock;
mod desktop_keyring;
mod lifecycle;
mod phone_storage;
mod secret_scan;
mod setup_and_confirm;
mod status_trust;
mod transactions;
mod wrong_input;

use std::{path::PathBuf, sync::Arc};

use softtoken_core::{ManualClock, OtpCode, SoftToken, StoreChoice, TokenInfo, TokenStatus};
use softtoken_protocol::wire::VerifyResult;
use softtoken_testkit::{
    BankClient, TestProvider,
    fixtures::{ACTIVATION_PASSWORD, SERVICE_ID},
};

/// トークン発行 for the fixtures' customer; the User ID.
async fn issue(bank: &BankClient) -> String {
    bank.issue_test_token().await.unwrap()
}

/// 初期設定 with the right IDs and activation password: the token as the phone lists it.
async fn set_up(phone: &SoftToken, user_id: &str) -> TokenInfo {
    phone
        .activate(SERVICE_ID, user_id, ACTIVATION_PASSWORD)
        .await
        .unwrap()
}

/// 認証確認 (or a login): the bank's verdict on `code`.
async fn verify(bank: &BankClient, user_id: &str, code: &str) -> VerifyResult {
    bank.verify(user_id, code).await.unwrap().result
}

/// 認証確認 of a token just set up: the phone's current code is accepted by the bank, and the
/// phone's next refresh reads the token `active`. Returns the code it showed.
async fn confirm(
    phone: &SoftToken,
    bank: &BankClient,
    token: &TokenInfo,
    user_id: &str,
) -> OtpCode {
    let code = phone.current_code(&token.id).unwrap();
    assert_eq!(
        verify(bank, user_id, &code.code).await,
        VerifyResult::Accepted
    );
    assert_eq!(
        phone.refresh(&token.id).await.unwrap().status,
        TokenStatus::Active
    );
    code
}

/// A phone with seeds in `store` and a clock of its own (the system time until the test
/// moves it).
fn phone(provider: &TestProvider, store: StoreChoice) -> (SoftToken, PathBuf) {
    provider.phone(store, Arc::new(ManualClock::new())).unwrap()
}

/// A phone with seeds in the kernel keyring that reads the provider's clock, so moving that
/// clock ([`TestProvider::settle`], `advance`) moves the phone's codes too.
fn phone_on_provider_time(provider: &TestProvider) -> SoftToken {
    provider
        .phone(StoreChoice::Platform, provider.clock().clone())
        .unwrap()
        .0
}
