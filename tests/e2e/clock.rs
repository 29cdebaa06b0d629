//! A phone whose clock is wrong: the core learns the offset from the provider's time and shows
//! the codes the bank expects; when the clock is fixed, a refresh learns that too.

use std::sync::Arc;

use softtoken_core::{ManualClock, StoreChoice};
use softtoken_protocol::wire::VerifyResult;
use softtoken_testkit::TestProvider;

use crate::{issue, set_up, verify};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_clock_three_hours_off_still_gives_right_codes() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = issue(&bank).await;
    let clock = Arc::new(ManualClock::new());
    clock.shift_ms(-3 * 3600 * 1000);
    let (phone, _) = provider
        .phone(StoreChoice::Platform, clock.clone())
        .unwrap();
    let info = set_up(&phone, &user_id).await;
    assert!(info.clock_skewed);
    assert!(
        (info.clock_offset_ms - 3 * 3600 * 1000).abs() < 5_000,
        "{}",
        info.clock_offset_ms
    );
    let code = phone.current_code(&info.id).unwrap();
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Accepted
    );
    // The clock jumps forward (say, the user fixes it): a refresh learns the new offset.
    clock.shift_ms(3 * 3600 * 1000);
    let refreshed = phone.refresh(&info.id).await.unwrap();
    assert!(!refreshed.clock_skewed);
}
