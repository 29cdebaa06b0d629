//! The desktop keystore's promise (Linux, issue 12 finding 10): a seed lives in the session
//! keyring it was set up in and nowhere else — not in the user's persistent keyring, where a
//! fresh session would read it back and its idle expiry would take it silently — and when it is
//! gone (the session ended, a reboot, or the key expired) the token says "set up again": it is
//! still listed, shows no code and sends nothing.
//!
//! The keys are handled for real with `keyctl` (the `keyutils` package), in this test process's
//! own session keyring (the suite runs under `keyctl session -`).

use std::process::Command;
use std::time::Duration;

use softtoken_core::{CoreError, StoreChoice, TokenStatus, keystore::SEED_SERVICE};
use softtoken_testkit::TestProvider;

use crate::{issue, phone, set_up};

/// Runs `keyctl ARGS` in this process's session keyring; its stdout if it succeeded.
fn keyctl(args: &[&str]) -> Option<String> {
    let out = Command::new("keyctl").args(args).output().expect("keyctl");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_lives_in_its_session_keyring_only_and_when_it_expires_the_token_says_set_up_again()
{
    let provider = TestProvider::start().await.unwrap();
    let user_id = issue(&provider.bank().unwrap()).await;
    let (phone, _) = phone(&provider, StoreChoice::Platform);
    let token = set_up(&phone, &user_id).await;
    let description = format!("keyring:{}@{SEED_SERVICE}", token.id);
    let key = keyctl(&["search", "@s", "user", &description]).expect("the seed is in @s");

    // A fresh session of the same user, even one that links the user's persistent keyring in
    // (as the keyring crate's own store does for every entry), does not find it.
    let script =
        format!("keyctl get_persistent @s >/dev/null; keyctl search @s user '{description}'");
    let fresh = Command::new("keyctl")
        .args(["session", "-", "sh", "-c", &script])
        .output()
        .unwrap();
    assert!(
        !fresh.status.success(),
        "another session read the seed: {}",
        String::from_utf8_lossy(&fresh.stdout)
    );

    // The key expires for real (what a session's end or the keyring's timeout does to it).
    keyctl(&["timeout", &key, "1"]).expect("keyctl timeout");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let listed = phone.tokens().unwrap();
    assert_eq!(listed.len(), 1, "still listed, not 'no token'");
    assert_eq!(listed[0].status, TokenStatus::NeedsResetup);
    assert_eq!(
        phone.current_code(&token.id).unwrap_err(),
        CoreError::SeedMissing
    );
    assert_eq!(
        phone.refresh(&token.id).await.unwrap_err(),
        CoreError::SeedMissing
    );
    assert_eq!(
        CoreError::SeedMissing.to_string(),
        "this token must be set up again on this phone"
    );
}
