//! The app core against the real provider over HTTPS on 127.0.0.1, with seeds in the real
//! Linux kernel keyring (run under `keyctl session -`, as `cargo xtask test` does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::sync::Arc;

use common::{DeviceClock, PASSWORD, SERVICE, provider};
use softtoken_core::{
    CoreError, StoreChoice, TokenStatus,
    secret_store::{MemorySecretStore, SecretStoreError},
};

fn platform() -> StoreChoice {
    StoreChoice::Platform
}

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

#[tokio::test]
async fn activation_end_to_end_and_confirmation() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let (phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    let info = phone
        .activate(
            &full_width(SERVICE),
            &format!("{} {}", &user_id[..8], &user_id[8..]),
            PASSWORD,
        )
        .await
        .unwrap();
    assert_eq!(info.status, TokenStatus::PendingConfirmation);
    assert_eq!((info.digits, info.period), (8, 30));
    assert!(!info.clock_skewed);

    let code = phone.current_code(&info.id).unwrap();
    assert_eq!(code.code.len(), 8);
    assert!(code.remaining_ms >= 1 && code.remaining_ms <= 30_000);
    assert!(!format!("{code:?}").contains(&code.code));
    assert_eq!(p.verify(&user_id, &code.code).await, "accepted");

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

#[tokio::test]
async fn a_typo_is_caught_before_any_request() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let (phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    let mut swapped: Vec<char> = user_id.chars().collect();
    let i = (0..13).find(|&i| swapped[i] != swapped[i + 1]).unwrap();
    swapped.swap(i, i + 1);
    let typo: String = swapped.into_iter().collect();
    assert!(matches!(
        phone.activate(SERVICE, &typo, PASSWORD).await,
        Err(CoreError::InvalidUserId { .. })
    ));
    assert!(matches!(
        phone.activate("1012123", &user_id, PASSWORD).await,
        Err(CoreError::InvalidServiceId { .. })
    ));
    // No attempt was spent.
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    assert_eq!(info.status, TokenStatus::PendingConfirmation);
}

#[tokio::test]
async fn wrong_passwords_show_attempts_left_and_the_fifth_locks() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let (phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    for left in [4, 3, 2, 1] {
        assert_eq!(
            phone
                .activate(SERVICE, &user_id, "wrong")
                .await
                .unwrap_err(),
            CoreError::WrongActivationPassword {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        phone
            .activate(SERVICE, &user_id, "wrong")
            .await
            .unwrap_err(),
        CoreError::ActivationLocked
    );
    assert_eq!(
        phone
            .activate(SERVICE, &user_id, PASSWORD)
            .await
            .unwrap_err(),
        CoreError::ActivationLocked
    );
    assert!(phone.tokens().unwrap().is_empty());
}

#[tokio::test]
async fn expired_and_already_active_tokens() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let (phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    p.clock
        .advance(std::time::Duration::from_millis(24 * 3600 * 1000 + 1));
    assert_eq!(
        phone
            .activate(SERVICE, &user_id, PASSWORD)
            .await
            .unwrap_err(),
        CoreError::TokenExpired
    );

    let user_id = p.issue(PASSWORD).await;
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    let code = phone.current_code(&info.id).unwrap();
    assert_eq!(p.verify(&user_id, &code.code).await, "accepted");
    let (other_phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    assert_eq!(
        other_phone
            .activate(SERVICE, &user_id, PASSWORD)
            .await
            .unwrap_err(),
        CoreError::AlreadyActiveElsewhere
    );
}

#[tokio::test]
async fn revocation_is_learned_on_refresh_and_codes_stop() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let (phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    p.revoke(&user_id).await;
    let refreshed = phone.refresh(&info.id).await.unwrap();
    assert_eq!(refreshed.status, TokenStatus::Revoked);
    assert_eq!(
        phone.current_code(&info.id).unwrap_err(),
        CoreError::TokenRevoked
    );
    // Nothing was deleted: the user removes it explicitly.
    assert_eq!(phone.tokens().unwrap().len(), 1);
}

#[tokio::test]
async fn retrying_after_a_lost_reply_replaces_the_token() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let (phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    let first = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    phone.rename(&first.id, Some("kept".into())).unwrap();
    let second = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    assert_eq!(first.id, second.id);
    let tokens = phone.tokens().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].label.as_deref(), Some("kept"));
    let code = phone.current_code(&second.id).unwrap();
    assert_eq!(p.verify(&user_id, &code.code).await, "accepted");
}

#[tokio::test]
async fn keystore_write_failure_writes_no_metadata() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let store = Arc::new(MemorySecretStore::new());
    store.fail_next_set(SecretStoreError::Unavailable {
        reason: "device locked".into(),
    });
    let (phone, data_dir) = p.phone(
        StoreChoice::Foreign(store.clone()),
        Arc::new(DeviceClock::default()),
    );
    assert!(matches!(
        phone.activate(SERVICE, &user_id, PASSWORD).await,
        Err(CoreError::KeystoreUnavailable { .. })
    ));
    assert!(phone.tokens().unwrap().is_empty());
    assert!(store.is_empty());
    assert!(!data_dir.join("tokens.json").exists() || phone.tokens().unwrap().is_empty());
    // The user retries once the device is unlocked: same password, it works.
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    assert_eq!(info.status, TokenStatus::PendingConfirmation);
}

#[tokio::test]
async fn a_restored_phone_needs_setup_again_and_never_shows_codes() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let store = Arc::new(MemorySecretStore::new());
    let (phone, _) = p.phone(
        StoreChoice::Foreign(store.clone()),
        Arc::new(DeviceClock::default()),
    );
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    store.remove_all();
    assert_eq!(phone.tokens().unwrap()[0].status, TokenStatus::NeedsResetup);
    assert_eq!(
        phone.current_code(&info.id).unwrap_err(),
        CoreError::SeedMissing
    );
    assert_eq!(
        phone.refresh(&info.id).await.unwrap_err(),
        CoreError::SeedMissing
    );
    assert_eq!(
        phone.tokens().unwrap().len(),
        1,
        "nothing deleted without remove"
    );
}

#[tokio::test]
async fn seed_deleted_from_the_kernel_keyring_behind_the_cores_back() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let (phone, _) = p.phone(platform(), Arc::new(DeviceClock::default()));
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    let vault = softtoken_core::keystore::SeedVault::new(StoreChoice::Platform).unwrap();
    vault.delete(&info.id).unwrap();
    assert_eq!(phone.tokens().unwrap()[0].status, TokenStatus::NeedsResetup);
    assert_eq!(
        phone.current_code(&info.id).unwrap_err(),
        CoreError::SeedMissing
    );
}

#[tokio::test]
async fn corrupted_metadata_is_a_clear_error_and_the_seed_stays() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let store = Arc::new(MemorySecretStore::new());
    let (phone, data_dir) = p.phone(
        StoreChoice::Foreign(store.clone()),
        Arc::new(DeviceClock::default()),
    );
    phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    std::fs::write(data_dir.join("tokens.json"), b"{ not json").unwrap();
    assert!(matches!(
        phone.tokens(),
        Err(CoreError::StorageCorrupted { .. })
    ));
    assert!(matches!(
        phone.remove("anything"),
        Err(CoreError::StorageCorrupted { .. })
    ));
    assert_eq!(store.len(), 1, "the seed is untouched");
    assert_eq!(
        std::fs::read(data_dir.join("tokens.json")).unwrap(),
        b"{ not json"
    );
}

#[tokio::test]
async fn a_device_clock_three_hours_off_still_gives_right_codes() {
    let p = provider().await;
    let user_id = p.issue(PASSWORD).await;
    let clock = Arc::new(DeviceClock::default());
    clock.shift_ms(-3 * 3600 * 1000);
    let (phone, _) = p.phone(platform(), clock.clone());
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    assert!(info.clock_skewed);
    assert!(
        (info.clock_offset_ms - 3 * 3600 * 1000).abs() < 5_000,
        "{}",
        info.clock_offset_ms
    );
    let code = phone.current_code(&info.id).unwrap();
    assert_eq!(p.verify(&user_id, &code.code).await, "accepted");
    // The clock jumps forward (say, the user fixes it): a refresh learns the new offset.
    clock.shift_ms(3 * 3600 * 1000);
    let refreshed = phone.refresh(&info.id).await.unwrap();
    assert!(!refreshed.clock_skewed);
}
