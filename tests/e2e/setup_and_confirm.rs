//! The manual's first setup across every part: the bank issues, the app core sets up with the
//! seed in the kernel keyring from the IDs as the user typed them, the bank confirms the
//! phone's code (認証確認), the phone learns it is active; and a retry after a lost reply.

use softtoken_core::{CoreError, StoreChoice, TokenStatus};
use softtoken_protocol::wire::VerifyResult;
use softtoken_testkit::{
    TestProvider,
    fixtures::{self, ACTIVATION_PASSWORD, SERVICE_ID},
};

use crate::{issue, phone, phone_on_provider_time, set_up, verify};

/// Full-width digits, the way a Japanese IME may type them.
fn full_width(ascii: &str) -> String {
    ascii
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap(),
            'A'..='Z' => char::from_u32(u32::from(c) - u32::from('A') + 0xFF21).unwrap(),
            other => other,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_set_up_as_typed_confirm_rename_remove() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();

    // トークン発行, then 初期設定 with what the user types: a typo is caught on the phone.
    let issued = bank
        .issue(fixtures::EMAIL, ACTIVATION_PASSWORD)
        .await
        .unwrap();
    let user_id = issued.user_id.to_string();
    let phone = phone_on_provider_time(&provider);
    let typo = fixtures::user_id_with_typo(&user_id);
    assert!(matches!(
        phone.activate(SERVICE_ID, &typo, ACTIVATION_PASSWORD).await,
        Err(CoreError::InvalidUserId { .. })
    ));
    // Full-width digits and a space in the User ID, as an IME may give them.
    let info = phone
        .activate(
            &full_width(SERVICE_ID),
            &format!("{} {}", &user_id[..8], &user_id[8..]),
            ACTIVATION_PASSWORD,
        )
        .await
        .unwrap();
    assert_eq!(info.status, TokenStatus::PendingConfirmation);
    assert_eq!((info.digits, info.period), (8, 30));
    assert!(!info.clock_skewed);

    // 認証確認: the code the phone shows (seed from the kernel keyring) is accepted once.
    provider.settle(issued.token.period());
    let code = phone.current_code(&info.id).unwrap();
    assert_eq!(code.code.len(), 8);
    assert!(code.remaining_ms >= 1 && code.remaining_ms <= 30_000);
    assert!(!format!("{code:?}").contains(&code.code));
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Accepted
    );
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Replayed
    );

    let refreshed = phone.refresh(&info.id).await.unwrap();
    assert_eq!(refreshed.status, TokenStatus::Active);
    assert_eq!(phone.tokens().unwrap(), vec![refreshed.clone()]);

    let renamed = phone
        .rename(&info.id, Some("  Main account ".into()))
        .unwrap();
    assert_eq!(renamed.label.as_deref(), Some("Main account"));
    assert!(matches!(
        phone.rename(&info.id, Some("x".repeat(65))),
        Err(CoreError::InvalidInput { .. })
    ));
    phone.remove(&info.id).unwrap();
    assert!(phone.tokens().unwrap().is_empty());
    assert_eq!(
        phone.current_code(&info.id).unwrap_err(),
        CoreError::TokenNotFound
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_after_a_lost_reply_replaces_the_token() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let (phone, _) = phone(&provider, StoreChoice::Platform);
    let first = set_up(&phone, &user_id).await;
    phone.rename(&first.id, Some("kept".into())).unwrap();
    let second = set_up(&phone, &user_id).await;
    assert_eq!(first.id, second.id);
    let tokens = phone.tokens().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].label.as_deref(), Some("kept"));
    let code = phone.current_code(&second.id).unwrap();
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Accepted
    );
}
