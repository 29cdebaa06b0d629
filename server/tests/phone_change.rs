//! A phone change without a gap (`docs/protocol.md` §7.5): re-issuing for a customer whose token
//! is in use, the new token's 認証確認 retires the old one; one code per customer per step
//! around the switch, however the requests interleave. Real provider over HTTPS, real SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::{collections::HashMap, time::Duration};

use common::{Suite, start};
use softtoken_protocol::wire::{IssueTokenResponse, TokenState, VerifyResult};
use softtoken_server::storage::audit;
use softtoken_testkit::Activated;

fn next_step(p: &Suite) {
    p.provider.clock().advance(Duration::from_millis(30_000));
}

/// An active token for `customer`: issued, activated and confirmed with the code of now.
async fn in_use(p: &Suite, customer: &str) -> (IssueTokenResponse, Activated) {
    let (token, app) = p.activated(Some(customer)).await;
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
    (token, app)
}

async fn state(p: &Suite, token: &IssueTokenResponse) -> TokenState {
    p.bank.details(token.user_id).await.unwrap().state
}

#[tokio::test]
async fn the_new_tokens_confirmation_retires_the_old_one() {
    let p = start().await;
    let (old, old_app) = in_use(&p, "C-PHONE").await;
    // Re-issue: the old phone keeps working until the new one's 認証確認.
    let (new, new_app) = p.activated(Some("C-PHONE")).await;
    assert_eq!(state(&p, &old).await, TokenState::Active);
    assert_eq!(state(&p, &new).await, TokenState::PendingConfirmation);
    next_step(&p);
    assert_eq!(
        p.verify_code(old.user_id, &old_app, 0).await,
        VerifyResult::Accepted
    );
    // The confirmation may not use a step the old token used (nor an earlier one): replayed,
    // and nothing changes.
    assert_eq!(
        p.verify_code(new.user_id, &new_app, 0).await,
        VerifyResult::Replayed
    );
    assert_eq!(
        p.verify_code(new.user_id, &new_app, -1).await,
        VerifyResult::Replayed
    );
    assert_eq!(state(&p, &old).await, TokenState::Active);
    assert_eq!(state(&p, &new).await, TokenState::PendingConfirmation);

    // The next code confirms the new token and retires the old one.
    let before = p.provider.now_ms();
    assert_eq!(
        p.verify_code(new.user_id, &new_app, 1).await,
        VerifyResult::Accepted
    );
    let retired = p.bank.details(old.user_id).await.unwrap();
    assert_eq!(retired.state, TokenState::Replaced);
    assert_eq!(retired.replaced_by, Some(new.user_id));
    let at = retired.replaced_at_ms.unwrap();
    assert!((before..=p.provider.now_ms()).contains(&at), "{at}");
    assert_eq!(state(&p, &new).await, TokenState::Active);

    // Every old code is refused from now on, answered with the token's state.
    for offset in -1..=1 {
        assert_eq!(
            p.verify_code(old.user_id, &old_app, offset).await,
            VerifyResult::Replaced
        );
    }
    next_step(&p);
    assert_eq!(
        p.verify_code(old.user_id, &old_app, 0).await,
        VerifyResult::Replaced
    );
    // (The confirmation used the step that is now current: the new phone's next code.)
    assert_eq!(
        p.verify_code(new.user_id, &new_app, 1).await,
        VerifyResult::Accepted
    );
    // The old phone learns it (MAC-checked by the kit's phone), with the date.
    let status = p.status(&old, &old_app.seed).await.unwrap();
    assert_eq!(status.state, TokenState::Replaced);
    assert_eq!(status.replaced_at_ms, retired.replaced_at_ms);
    // Audited.
    let mut conn = p.state().db.read().await.unwrap();
    let records = audit::of_token(&mut conn, &old.service_id, &old.user_id)
        .await
        .unwrap();
    assert!(
        records
            .iter()
            .any(|r| r.event == "replace" && r.outcome == "ok"),
        "{records:?}"
    );
}

#[tokio::test]
async fn revoke_then_issue_still_works_for_a_lost_phone() {
    let p = start().await;
    let (old, old_app) = in_use(&p, "C-LOST").await;
    p.bank.revoke(old.user_id).await.unwrap();
    let (new, new_app) = p.activated(Some("C-LOST")).await;
    next_step(&p);
    assert_eq!(
        p.verify_code(new.user_id, &new_app, 0).await,
        VerifyResult::Accepted
    );
    assert_eq!(state(&p, &old).await, TokenState::Revoked);
    assert_eq!(
        p.verify_code(old.user_id, &old_app, 1).await,
        VerifyResult::Revoked
    );
}

/// Many rounds of old-token verifies and new-token confirmations racing at the same steps
/// (fast path, batcher, full check and cache all in play): at most one accepted code per
/// customer per step, and once the new token is in use, no old code is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_verifies_around_the_switch_accept_one_code_per_customer_per_step() {
    const ROUNDS: usize = 6;
    const PER_CODE: usize = 4;
    let p = start().await;
    for round in 0..ROUNDS {
        let customer = format!("C-RACE-{round}");
        let (old, old_app) = in_use(&p, &customer).await;
        let (new, new_app) = p.activated(Some(&customer)).await;
        next_step(&p);
        // The old token's row is cached now (its accept above), so its codes take the fast
        // path through the batcher while the confirmations take the full check.
        let step_now = p.provider.now_ms() / 30_000;
        let mut tasks = Vec::new();
        for offset in [0i64, 1] {
            for who in [&old, &new] {
                let app = if who.user_id == old.user_id {
                    &old_app
                } else {
                    &new_app
                };
                let code = p.code(app, offset);
                for _ in 0..PER_CODE {
                    let bank = p.bank.clone();
                    let user_id = who.user_id;
                    let code = code.clone();
                    tasks.push(tokio::spawn(async move {
                        let result = bank.verify(user_id, &code).await.unwrap().result;
                        (user_id, offset, result)
                    }));
                }
            }
        }
        let mut accepted_per_step: HashMap<i64, usize> = HashMap::new();
        let mut new_accepted = false;
        for task in tasks {
            let (user_id, offset, result) = task.await.unwrap();
            if result == VerifyResult::Accepted {
                *accepted_per_step.entry(offset).or_default() += 1;
                new_accepted |= user_id == new.user_id;
            } else {
                assert!(
                    matches!(result, VerifyResult::Replayed | VerifyResult::Replaced),
                    "round {round}: {result:?}"
                );
            }
        }
        assert!(
            accepted_per_step.values().all(|&n| n <= 1),
            "round {round} (step {step_now}): {accepted_per_step:?}"
        );
        assert!(
            !accepted_per_step.is_empty(),
            "round {round}: none accepted"
        );

        // Confirm the new token if the old one won every step of the race.
        if !new_accepted {
            next_step(&p);
            next_step(&p);
            assert_eq!(
                p.verify_code(new.user_id, &new_app, 0).await,
                VerifyResult::Accepted
            );
        }
        assert_eq!(state(&p, &old).await, TokenState::Replaced);
        assert_eq!(state(&p, &new).await, TokenState::Active);
        next_step(&p);
        for offset in -1..=1 {
            assert_eq!(
                p.verify_code(old.user_id, &old_app, offset).await,
                VerifyResult::Replaced,
                "round {round}"
            );
        }
    }
}
