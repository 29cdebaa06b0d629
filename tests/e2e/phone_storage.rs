//! The phone's own storage under stress, with the real provider on the other side: a keystore
//! that refuses the write, a phone restored from a backup (metadata without seeds), a seed
//! deleted from the kernel keyring behind the core's back, a corrupted metadata file. Nothing
//! is lost, nothing shows a code it should not, every case is a typed error.

use std::sync::Arc;

use softtoken_core::{
    CoreError, StoreChoice, TokenStatus,
    keystore::SeedVault,
    secret_store::{MemorySecretStore, SecretStoreError},
};
use softtoken_testkit::{
    TestProvider,
    fixtures::{ACTIVATION_PASSWORD, SERVICE_ID},
};

use crate::{issue, phone, set_up};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystore_write_failure_writes_no_metadata() {
    let provider = TestProvider::start().await.unwrap();
    let user_id = issue(&provider.bank().unwrap()).await;
    let store = Arc::new(MemorySecretStore::new());
    store.fail_next_set(SecretStoreError::Unavailable {
        reason: "device locked".into(),
    });
    let (phone, data_dir) = phone(&provider, StoreChoice::Foreign(store.clone()));
    assert!(matches!(
        phone
            .activate(SERVICE_ID, &user_id, ACTIVATION_PASSWORD)
            .await,
        Err(CoreError::KeystoreUnavailable { .. })
    ));
    assert!(phone.tokens().unwrap().is_empty());
    assert!(store.is_empty());
    assert!(!data_dir.join("tokens.json").exists() || phone.tokens().unwrap().is_empty());
    // The user retries once the device is unlocked: same password, it works.
    let info = set_up(&phone, &user_id).await;
    assert_eq!(info.status, TokenStatus::PendingConfirmation);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_phone_needs_setup_again_and_never_shows_codes() {
    let provider = TestProvider::start().await.unwrap();
    let user_id = issue(&provider.bank().unwrap()).await;
    let store = Arc::new(MemorySecretStore::new());
    let (phone, _) = phone(&provider, StoreChoice::Foreign(store.clone()));
    let info = set_up(&phone, &user_id).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_deleted_from_the_kernel_keyring_behind_the_cores_back() {
    let provider = TestProvider::start().await.unwrap();
    let user_id = issue(&provider.bank().unwrap()).await;
    let (phone, _) = phone(&provider, StoreChoice::Platform);
    let info = set_up(&phone, &user_id).await;
    let vault = SeedVault::new(StoreChoice::Platform).unwrap();
    vault.delete(&info.id).unwrap();
    assert_eq!(phone.tokens().unwrap()[0].status, TokenStatus::NeedsResetup);
    assert_eq!(
        phone.current_code(&info.id).unwrap_err(),
        CoreError::SeedMissing
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_metadata_is_a_clear_error_and_the_seed_stays() {
    let provider = TestProvider::start().await.unwrap();
    let user_id = issue(&provider.bank().unwrap()).await;
    let store = Arc::new(MemorySecretStore::new());
    let (phone, data_dir) = phone(&provider, StoreChoice::Foreign(store.clone()));
    set_up(&phone, &user_id).await;
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
