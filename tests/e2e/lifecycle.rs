//! A token's life after setup, as the bank drives it and the phone learns it: expiry before
//! setup, a second phone refused, revocation, the lock after five wrong codes and the bank's
//! unlock, a phone change (機種変更), and a provider restart under an activated phone.

use std::time::Duration;

use softtoken_core::{CoreError, StoreChoice, TokenStatus};
use softtoken_protocol::wire::{TokenState, VerifyResult};
use softtoken_testkit::{
    TestProvider,
    fixtures::{ACTIVATION_PASSWORD, SERVICE_ID},
};

use crate::{confirm, issue, phone, phone_on_provider_time, set_up, verify};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_already_active_tokens() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let (phone, _) = phone(&provider, StoreChoice::Platform);
    provider
        .clock()
        .advance(Duration::from_millis(24 * 3600 * 1000 + 1));
    assert_eq!(
        phone
            .activate(SERVICE_ID, &user_id, ACTIVATION_PASSWORD)
            .await
            .unwrap_err(),
        CoreError::TokenExpired
    );

    let user_id = issue(&bank).await;
    let info = set_up(&phone, &user_id).await;
    let code = phone.current_code(&info.id).unwrap();
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Accepted
    );
    let (other_phone, _) = crate::phone(&provider, StoreChoice::Platform);
    assert_eq!(
        other_phone
            .activate(SERVICE_ID, &user_id, ACTIVATION_PASSWORD)
            .await
            .unwrap_err(),
        CoreError::AlreadyActiveElsewhere
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_is_learned_on_refresh_and_codes_stop() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let (phone, _) = phone(&provider, StoreChoice::Platform);
    let info = set_up(&phone, &user_id).await;
    bank.revoke(&user_id).await.unwrap();
    let refreshed = phone.refresh(&info.id).await.unwrap();
    assert_eq!(refreshed.status, TokenStatus::Revoked);
    assert_eq!(
        phone.current_code(&info.id).unwrap_err(),
        CoreError::TokenRevoked
    );
    // Nothing was deleted: the user removes it explicitly.
    assert_eq!(phone.tokens().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_codes_lock_the_bank_unlocks_and_the_phone_shows_both() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let phone = phone_on_provider_time(&provider);
    let info = set_up(&phone, &user_id).await;
    provider.settle(info.period);
    let right = phone.current_code(&info.id).unwrap().code.clone();
    assert_eq!(
        verify(&bank, &user_id, &right).await,
        VerifyResult::Accepted
    );

    // Someone types codes wrong by one digit: four are rejected, the fifth locks the token.
    let wrong: String = right
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c.to_digit(10)) {
            (0, Some(d)) => char::from_digit((d + 1) % 10, 10).unwrap(),
            _ => c,
        })
        .collect();
    for left in [4, 3, 2, 1] {
        let verdict = bank.verify(&user_id, &wrong).await.unwrap();
        assert_eq!(
            (verdict.result, verdict.failures_left),
            (VerifyResult::Rejected, left)
        );
    }
    assert_eq!(verify(&bank, &user_id, &wrong).await, VerifyResult::Locked);
    assert_eq!(
        phone.refresh(&info.id).await.unwrap().status,
        TokenStatus::Locked
    );
    // A locked token still shows codes, but the bank refuses even the right one.
    provider
        .clock()
        .advance(Duration::from_secs(u64::from(info.period)));
    let next = phone.current_code(&info.id).unwrap().code.clone();
    assert_eq!(verify(&bank, &user_id, &next).await, VerifyResult::Locked);

    // The bank unlocks: the phone learns it, and its codes are accepted again.
    assert_eq!(
        bank.unlock(&user_id).await.unwrap().state,
        TokenState::Active
    );
    assert_eq!(
        phone.refresh(&info.id).await.unwrap().status,
        TokenStatus::Active
    );
    assert_eq!(verify(&bank, &user_id, &next).await, VerifyResult::Accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_change_revoke_reissue_and_the_old_phone_stops_showing_codes() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let old_user_id = issue(&bank).await;
    let (old_phone, _) = phone(&provider, StoreChoice::Platform);
    let old = set_up(&old_phone, &old_user_id).await;
    let code = old_phone.current_code(&old.id).unwrap();
    assert_eq!(
        verify(&bank, &old_user_id, &code.code).await,
        VerifyResult::Accepted
    );

    // 機種変更: the bank revokes the old token and issues a new one for the new phone.
    bank.revoke(&old_user_id).await.unwrap();
    let new_user_id = issue(&bank).await;
    assert_ne!(new_user_id, old_user_id);
    let (new_phone, _) = phone(&provider, StoreChoice::Platform);
    let new = set_up(&new_phone, &new_user_id).await;
    confirm(&new_phone, &bank, &new, &new_user_id).await;

    // The old phone learns it on its next refresh and shows no code any more.
    assert_eq!(
        old_phone.refresh(&old.id).await.unwrap().status,
        TokenStatus::Revoked
    );
    assert!(matches!(
        old_phone.current_code(&old.id),
        Err(CoreError::TokenRevoked)
    ));
    old_phone.remove(&old.id).unwrap();
    assert_eq!(
        verify(&bank, &old_user_id, &code.code).await,
        VerifyResult::Revoked
    );
}

/// 機種変更 with the old phone at hand (docs/protocol.md §7.5): issue → set up → 認証確認 on
/// the new phone, and the old token retires itself; the old phone keeps working until then and
/// learns it on its next refresh, with the date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_change_without_a_gap_the_old_phone_learns_it_was_replaced() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let old_user_id = issue(&bank).await;
    let old_phone = phone_on_provider_time(&provider);
    let old = set_up(&old_phone, &old_user_id).await;
    provider.settle(old.period);
    confirm(&old_phone, &bank, &old, &old_user_id).await;

    // Re-issue for the same customer; the new phone sets it up. The old phone still works.
    let new_user_id = issue(&bank).await;
    let new_phone = phone_on_provider_time(&provider);
    let new = set_up(&new_phone, &new_user_id).await;
    let step = Duration::from_secs(u64::from(old.period));
    provider.clock().advance(step);
    let code = old_phone.current_code(&old.id).unwrap();
    assert_eq!(
        verify(&bank, &old_user_id, &code.code).await,
        VerifyResult::Accepted
    );
    assert_eq!(
        old_phone.refresh(&old.id).await.unwrap().status,
        TokenStatus::Active
    );

    // 認証確認 on the new phone at the next step retires the old token.
    provider.clock().advance(step);
    confirm(&new_phone, &bank, &new, &new_user_id).await;
    let refreshed = old_phone.refresh(&old.id).await.unwrap();
    let TokenStatus::Replaced { at_ms } = refreshed.status else {
        panic!("{:?}", refreshed.status);
    };
    assert!(at_ms <= provider.now_ms() && at_ms + 60_000 > provider.now_ms());
    assert_eq!(
        old_phone.current_code(&old.id).unwrap_err(),
        CoreError::TokenReplaced
    );
    assert_eq!(
        verify(&bank, &old_user_id, &code.code).await,
        VerifyResult::Replaced
    );
    let details = bank.details(&old_user_id).await.unwrap();
    assert_eq!(details.state, TokenState::Replaced);
    assert_eq!(
        details.replaced_by.map(|u| u.to_string()),
        Some(new_user_id)
    );
    // Nothing was deleted: the user removes it explicitly.
    assert_eq!(old_phone.tokens().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_restarts_on_its_data_and_the_phone_keeps_working() {
    let mut provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let phone = phone_on_provider_time(&provider);
    let token = set_up(&phone, &user_id).await;
    provider.settle(token.period);
    let code = phone.current_code(&token.id).unwrap();
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Accepted
    );

    // Stopped: the phone still shows codes (they need no network). Started again on the same
    // data: the token, its seed and its last step survive.
    provider.stop().await;
    assert_eq!(phone.current_code(&token.id).unwrap().code.len(), 8);
    provider.restart().await.unwrap();
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Replayed
    );
    provider
        .clock()
        .advance(Duration::from_secs(u64::from(token.period)));
    let next = phone.current_code(&token.id).unwrap();
    assert_eq!(
        verify(&bank, &user_id, &next.code).await,
        VerifyResult::Accepted
    );
    // The phone's status proof still checks against the restarted provider.
    assert_eq!(
        phone.refresh(&token.id).await.unwrap().status,
        TokenStatus::Active
    );
    provider.stop().await;
}
