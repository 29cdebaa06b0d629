//! Only a reply the seed authenticates changes a token on the phone (spec 5.6): a real provider
//! that does not know the token answers `401 status_denied`, which carries no MAC, and the phone
//! keeps its state and its codes; a genuine, MAC-verified `revoked` still revokes.

use softtoken_core::{CoreError, StoreChoice, TokenStatus};
use softtoken_testkit::TestProvider;

use crate::{confirm, issue, set_up};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthenticated_status_denied_changes_nothing_and_a_verified_revoke_still_revokes() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let (phone, data_dir) = provider
        .phone(StoreChoice::Platform, provider.clock().clone())
        .unwrap();
    let token = set_up(&phone, &user_id).await;
    provider.settle(token.period);
    let code = confirm(&phone, &bank, &token, &user_id).await;
    let before = phone.tokens().unwrap();

    // The same phone (metadata, kernel keyring) reaching a second real provider that never
    // issued this token, under that provider's own pinned CA: it answers `401 status_denied`.
    let stranger = TestProvider::start().await.unwrap();
    let misdirected = softtoken_core::SoftToken::new(stranger.core_config(
        &data_dir,
        StoreChoice::Platform,
        Some(provider.clock().clone()),
    ))
    .unwrap();
    let err = misdirected.refresh(&token.id).await.unwrap_err();
    assert!(
        matches!(&err, CoreError::Protocol { reason } if reason.contains("status_denied")),
        "{err:?}"
    );
    assert_eq!(misdirected.tokens().unwrap(), before, "nothing changed");
    assert_eq!(phone.tokens().unwrap(), before);
    assert_eq!(
        phone.current_code(&token.id).unwrap().code,
        code.code,
        "same code"
    );

    // A genuine revocation, MAC-verified by the seed, still revokes.
    bank.revoke(&user_id).await.unwrap();
    assert_eq!(
        phone.refresh(&token.id).await.unwrap().status,
        TokenStatus::Revoked
    );
    assert_eq!(
        phone.current_code(&token.id).unwrap_err(),
        CoreError::TokenRevoked
    );
}
