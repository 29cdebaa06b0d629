//! 取引認証 end to end (issue 13): the bank registers transfers at the real provider over HTTPS,
//! the phone's app core (seed in the kernel keyring) lists them with their MAC checked, and
//! approves, rejects or shows a code; the bank reads the outcome. Time moves by the provider's
//! manual clock (no sleeps).

use std::{path::PathBuf, time::Duration};

use softtoken_core::{
    CoreError, SoftToken, StoreChoice, TokenInfo,
    transaction::{DecisionOutcome, PendingTransaction},
};
use softtoken_protocol::{
    transaction::{TransactionId, TransactionState},
    wire::{TransactionVerifyResult, VerifyResult},
};
use softtoken_testkit::{
    BankClient, TamperingRelay, TestProvider, fixtures::transfer, relay::FORGED_ACCOUNT,
};

use crate::{confirm, issue, set_up};

/// An active token on a phone that reads the provider's clock.
async fn active_token(provider: &TestProvider) -> (BankClient, SoftToken, TokenInfo, String) {
    let (bank, phone, _, token, user_id) = active_token_in_dir(provider).await;
    (bank, phone, token, user_id)
}

/// [`active_token`], with the phone's data directory (for a second core on the same phone).
async fn active_token_in_dir(
    provider: &TestProvider,
) -> (BankClient, SoftToken, PathBuf, TokenInfo, String) {
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let (phone, data_dir) = provider
        .phone(StoreChoice::Platform, provider.clock().clone())
        .unwrap();
    let token = set_up(&phone, &user_id).await;
    provider.settle(token.period);
    confirm(&phone, &bank, &token, &user_id).await;
    (bank, phone, data_dir, token, user_id)
}

/// Registers a transfer; its id.
async fn register(bank: &BankClient, user_id: &str, account: &str, yen: u64) -> TransactionId {
    bank.register_transaction(user_id, &transfer(account, yen))
        .await
        .unwrap()
        .id
}

/// The phone's verified list, and the one transfer with `id` in it.
async fn shown(phone: &SoftToken, token: &TokenInfo, id: &TransactionId) -> PendingTransaction {
    phone
        .pending_transactions(&token.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id == id.as_str())
        .expect("the phone lists the registered transfer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_reject_and_the_bank_reads_each() {
    let provider = TestProvider::start().await.unwrap();
    let (bank, phone, token, user_id) = active_token(&provider).await;

    let id = register(&bank, &user_id, "1234567", 123_456).await;
    let seen = shown(&phone, &token, &id).await;
    assert_eq!(seen.account_line(), "普通 1234567");
    assert_eq!(
        seen.payee_name, "ヤマダ タロウ",
        "shown as NFKC'd full-width katakana"
    );
    assert_eq!(seen.amount_yen_sign(), "¥123,456");
    assert_eq!(seen.amount_en_suffix(), "123,456円");
    assert_eq!(seen.reference.as_deref(), Some("3月分家賃"));
    assert_eq!(
        phone
            .approve_transaction(&token.id, id.as_str())
            .await
            .unwrap(),
        DecisionOutcome::Approved
    );
    assert_eq!(
        bank.transaction(&id, 0).await.unwrap().state,
        TransactionState::Approved
    );
    // Decided once: the provider refuses a second decision, and the phone no longer lists it.
    assert_eq!(
        phone
            .reject_transaction(&token.id, id.as_str())
            .await
            .unwrap_err(),
        CoreError::TransactionNotFound,
        "a decided transfer is gone from the phone's verified list"
    );
    assert!(
        phone
            .pending_transactions(&token.id)
            .await
            .unwrap()
            .is_empty()
    );

    let id = register(&bank, &user_id, "7654321", 50_000).await;
    shown(&phone, &token, &id).await;
    assert_eq!(
        phone
            .reject_transaction(&token.id, id.as_str())
            .await
            .unwrap(),
        DecisionOutcome::Rejected
    );
    assert_eq!(
        bank.transaction(&id, 0).await.unwrap().state,
        TransactionState::Rejected,
        "the bank is told the user did not recognise it, not that it expired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_transaction_code_confirms_once_and_binds_payee_and_amount() {
    let provider = TestProvider::start().await.unwrap();
    let (bank, phone, token, user_id) = active_token(&provider).await;

    let id = register(&bank, &user_id, "1234567", 80_000).await;
    shown(&phone, &token, &id).await;
    let code = phone.transaction_code(&token.id, id.as_str()).unwrap();
    assert_eq!(code.code.len(), 8);
    assert!(code.code.bytes().all(|b| b.is_ascii_digit()));

    // The same code for another registered transfer (another payee) does not verify.
    let other = register(&bank, &user_id, "1234568", 80_000).await;
    let wrong = bank.verify_transaction(&other, &code.code).await.unwrap();
    assert_eq!(wrong.result, TransactionVerifyResult::Rejected);

    let typed = format!("{} {}", &code.code[..4], &code.code[4..]);
    let verdict = bank.verify_transaction(&id, &typed).await.unwrap();
    assert_eq!(verdict.result, TransactionVerifyResult::Accepted);
    assert_eq!(
        bank.transaction(&id, 0).await.unwrap().state,
        TransactionState::Confirmed
    );
    let again = bank.verify_transaction(&id, &code.code).await.unwrap();
    assert_eq!(again.result, TransactionVerifyResult::Replayed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_wrong_codes_and_a_revoked_token() {
    let provider = TestProvider::start().await.unwrap();
    let (bank, phone, token, user_id) = active_token(&provider).await;

    // Expiry: the phone may not give a code for it, and the bank reads `expired`.
    let id = register(&bank, &user_id, "1234567", 1_000).await;
    shown(&phone, &token, &id).await;
    provider.clock().advance(Duration::from_secs(301));
    assert_eq!(
        phone.transaction_code(&token.id, id.as_str()).unwrap_err(),
        CoreError::TransactionExpired
    );
    assert_eq!(
        phone
            .approve_transaction(&token.id, id.as_str())
            .await
            .unwrap_err(),
        CoreError::TransactionExpired
    );
    assert_eq!(
        bank.transaction(&id, 0).await.unwrap().state,
        TransactionState::Expired
    );

    // Three wrong typed codes fail the transfer.
    let id = register(&bank, &user_id, "1234567", 2_000).await;
    for _ in 0..2 {
        let verdict = bank.verify_transaction(&id, "00000000").await.unwrap();
        assert_eq!(verdict.result, TransactionVerifyResult::Rejected);
    }
    let verdict = bank.verify_transaction(&id, "00000000").await.unwrap();
    assert_eq!(verdict.result, TransactionVerifyResult::Failed);
    assert_eq!(
        bank.transaction(&id, 0).await.unwrap().state,
        TransactionState::Failed
    );

    // A revoked token: its pending transfer fails, the phone learns it, nothing new registers.
    let id = register(&bank, &user_id, "1234567", 3_000).await;
    bank.revoke(&user_id).await.unwrap();
    assert_eq!(
        bank.transaction(&id, 0).await.unwrap().state,
        TransactionState::Failed
    );
    // The list's MAC proves the state `revoked` (and lists nothing); after that the phone
    // refuses transaction calls for the token without asking.
    assert!(
        phone
            .pending_transactions(&token.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        phone.pending_transactions(&token.id).await.unwrap_err(),
        CoreError::TokenRevoked
    );
    assert!(
        bank.register_transaction(&user_id, &transfer("1234567", 1))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_code_verifies_for_its_account_and_amount_only() {
    let provider = TestProvider::start().await.unwrap();
    let (bank, phone, token, user_id) = active_token(&provider).await;

    // Typed as people type: full-width digits and a hyphen; the amount with ¥ and commas.
    let code = phone
        .offline_code(&token.id, "１２３-４５６７", Some("¥50,000"))
        .unwrap();
    let changed = bank
        .verify_challenge(&user_id, "7654321", Some(50_000), &code.code)
        .await
        .unwrap();
    assert_eq!(changed.result, VerifyResult::Rejected);
    let other_amount = bank
        .verify_challenge(&user_id, "1234567", Some(50_001), &code.code)
        .await
        .unwrap();
    assert_eq!(other_amount.result, VerifyResult::Rejected);
    let genuine = bank
        .verify_challenge(&user_id, "1234567", Some(50_000), &code.code)
        .await
        .unwrap();
    assert_eq!(genuine.result, VerifyResult::Accepted);
    let replay = bank
        .verify_challenge(&user_id, "1234567", Some(50_000), &code.code)
        .await
        .unwrap();
    assert_eq!(replay.result, VerifyResult::Replayed);

    // Account only, for banks that do not ask for the amount.
    let code = phone.offline_code(&token.id, "1234567", None).unwrap();
    let verdict = bank
        .verify_challenge(&user_id, "1234567", None, &code.code)
        .await
        .unwrap();
    assert_eq!(verdict.result, VerifyResult::Accepted);

    // Bad input is typed and sends nothing.
    assert!(matches!(
        phone.offline_code(&token.id, "12345", None).unwrap_err(),
        CoreError::InvalidInput { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_changing_the_payee_is_possible_interception_and_nothing_of_it_can_be_acted_on() {
    let provider = TestProvider::start().await.unwrap();
    let relay = TamperingRelay::start(&provider).await.unwrap();
    let (bank, phone, data_dir, token, user_id) = active_token_in_dir(&provider).await;
    let id = register(&bank, &user_id, "1234567", 120_000).await;

    // The same phone (metadata and keyring), its traffic now through the relay.
    let mut config = provider.core_config(
        &data_dir,
        StoreChoice::Platform,
        Some(provider.clock().clone()),
    );
    config.provider_url = relay.url().to_owned();
    let relayed = SoftToken::new(config).unwrap();
    let err = relayed.pending_transactions(&token.id).await.unwrap_err();
    assert!(
        matches!(err, CoreError::PossibleInterception { .. }),
        "{err:?}"
    );
    assert_eq!(
        relay.tampered(),
        1,
        "the relay changed the list it passed on"
    );
    assert_eq!(
        relayed
            .transaction_code(&token.id, id.as_str())
            .unwrap_err(),
        CoreError::TransactionNotFound,
        "nothing of a forged list can be acted on"
    );

    // Straight to the provider, the genuine transfer shows.
    let genuine = shown(&phone, &token, &id).await;
    assert_eq!(genuine.account_line(), "普通 1234567");
    assert_ne!(genuine.account_number, FORGED_ACCOUNT);
}
