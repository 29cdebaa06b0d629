//! What the user gets wrong on the phone: typos in the IDs are caught before any request (no
//! attempt spent), wrong activation passwords count down and the fifth locks the activation.

use softtoken_core::{CoreError, StoreChoice, TokenStatus};
use softtoken_testkit::{
    TestProvider,
    fixtures::{ACTIVATION_PASSWORD, SERVICE_ID},
};

use crate::{issue, phone, set_up};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typo_is_caught_before_any_request() {
    let provider = TestProvider::start().await.unwrap();
    let user_id = issue(&provider.bank().unwrap()).await;
    let (phone, _) = phone(&provider, StoreChoice::Platform);
    let mut swapped: Vec<char> = user_id.chars().collect();
    let i = (0..13).find(|&i| swapped[i] != swapped[i + 1]).unwrap();
    swapped.swap(i, i + 1);
    let typo: String = swapped.into_iter().collect();
    assert!(matches!(
        phone.activate(SERVICE_ID, &typo, ACTIVATION_PASSWORD).await,
        Err(CoreError::InvalidUserId { .. })
    ));
    assert!(matches!(
        phone
            .activate("1012123", &user_id, ACTIVATION_PASSWORD)
            .await,
        Err(CoreError::InvalidServiceId { .. })
    ));
    // No attempt was spent.
    let info = set_up(&phone, &user_id).await;
    assert_eq!(info.status, TokenStatus::PendingConfirmation);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_show_attempts_left_and_the_fifth_locks() {
    let provider = TestProvider::start().await.unwrap();
    let user_id = issue(&provider.bank().unwrap()).await;
    let (phone, _) = phone(&provider, StoreChoice::Platform);
    for left in [4, 3, 2, 1] {
        assert_eq!(
            phone
                .activate(SERVICE_ID, &user_id, "wrong")
                .await
                .unwrap_err(),
            CoreError::WrongActivationPassword {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        phone
            .activate(SERVICE_ID, &user_id, "wrong")
            .await
            .unwrap_err(),
        CoreError::ActivationLocked
    );
    assert_eq!(
        phone
            .activate(SERVICE_ID, &user_id, ACTIVATION_PASSWORD)
            .await
            .unwrap_err(),
        CoreError::ActivationLocked
    );
    assert!(phone.tokens().unwrap().is_empty());
}
