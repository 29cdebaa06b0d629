//! The manual's whole first setup and a phone change, across every part: the bank issues, the
//! app core sets up with the seed in the kernel keyring, the bank confirms the phone's code,
//! the provider restarts without losing anything, the bank revokes and the phone learns it.

use std::sync::Arc;

use softtoken_core::{CoreConfig, CoreError, SoftToken, StoreChoice, Timeouts, TokenStatus};
use softtoken_protocol::{clock::Clock, wire::VerifyResult};
use softtoken_testkit::{TestProvider, fixtures};

fn phone(provider: &TestProvider, name: &str) -> SoftToken {
    SoftToken::new(CoreConfig {
        provider_url: provider.url().to_owned(),
        provider_ca_pem: provider.ca_pem().to_owned(),
        data_dir: provider.data_dir().join(name),
        secret_store: StoreChoice::Platform,
        clock: Some(Arc::clone(provider.clock()) as Arc<dyn Clock>),
        timeouts: Timeouts::default(),
        device: fixtures::device_info(),
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_set_up_confirm_restart_revoke() {
    let mut provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();

    // トークン発行, then 初期設定 with what the user types: a typo is caught on the phone.
    let issued = bank
        .issue(fixtures::EMAIL, fixtures::ACTIVATION_PASSWORD)
        .await
        .unwrap();
    let user_id = issued.user_id.to_string();
    let phone = phone(&provider, "phone-1");
    let typo = fixtures::user_id_with_typo(&user_id);
    assert!(matches!(
        phone
            .activate(fixtures::SERVICE_ID, &typo, fixtures::ACTIVATION_PASSWORD)
            .await,
        Err(CoreError::InvalidUserId { .. })
    ));
    let token = phone
        .activate(
            fixtures::SERVICE_ID,
            &user_id,
            fixtures::ACTIVATION_PASSWORD,
        )
        .await
        .unwrap();
    assert_eq!(token.status, TokenStatus::PendingConfirmation);

    // 認証確認: the code the phone shows (seed from the kernel keyring) is accepted once.
    provider.settle(issued.token.period());
    let code = phone.current_code(&token.id).unwrap();
    let verdict = bank.verify(&user_id, &code.code).await.unwrap();
    assert_eq!(verdict.result, VerifyResult::Accepted);
    assert_eq!(
        bank.verify(&user_id, &code.code).await.unwrap().result,
        VerifyResult::Replayed
    );
    assert_eq!(
        phone.refresh(&token.id).await.unwrap().status,
        TokenStatus::Active
    );

    // The provider restarts on the same data: the token, its seed and its last step survive.
    provider.restart().await.unwrap();
    assert_eq!(
        bank.verify(&user_id, &code.code).await.unwrap().result,
        VerifyResult::Replayed
    );
    provider
        .clock()
        .advance(std::time::Duration::from_secs(u64::from(
            issued.token.period(),
        )));
    let next = phone.current_code(&token.id).unwrap();
    assert_eq!(
        bank.verify(&user_id, &next.code).await.unwrap().result,
        VerifyResult::Accepted
    );

    // 機種変更: the bank revokes; the old phone learns it and shows no code any more.
    bank.revoke(&user_id).await.unwrap();
    assert_eq!(
        phone.refresh(&token.id).await.unwrap().status,
        TokenStatus::Revoked
    );
    assert!(matches!(
        phone.current_code(&token.id),
        Err(CoreError::TokenRevoked)
    ));
    phone.remove(&token.id).unwrap();
    provider.stop().await;
}
