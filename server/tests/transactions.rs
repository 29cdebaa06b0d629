//! Transaction authentication (取引認証, docs/protocol.md §9) against the real provider over
//! HTTPS on 127.0.0.1, with the manual clock (no sleeps): register → list → decide or type the
//! code → the bank's outcome; expiry, lockout, revocation, scoping, offline codes, and
//! concurrent verifications and decisions of one transaction.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{Suite, start};
use softtoken_protocol::{
    ids::ServiceId,
    transaction::{Decision, Transaction, TransactionKeys, TransactionState},
    wire::{
        ErrorCode, IssueTokenResponse, RegisterTransactionRequest, TokenState, TransactionDetails,
        TransactionVerifyResult, VerifyResult,
    },
};
use softtoken_server::{
    ops::{self, services::ServiceSpec},
    rules::housekeeping,
    storage::audit,
};
use softtoken_testkit::{BankClient, device::Activated, fixtures::transfer};

/// A token in use (its first login code accepted), with the phone's transaction keys.
async fn active(p: &Suite) -> (IssueTokenResponse, Activated, TransactionKeys) {
    let (token, app) = p.activated(None).await;
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
    let keys = app.transaction_keys(&token.service_id, &token.user_id);
    (token, app, keys)
}

/// The bank registers `request`; the phone lists it and returns it as it rebuilt it.
async fn registered(
    p: &Suite,
    token: &IssueTokenResponse,
    keys: &TransactionKeys,
    request: &RegisterTransactionRequest,
) -> (TransactionDetails, Transaction) {
    let details = p
        .bank
        .register_transaction(token.user_id, request)
        .await
        .unwrap();
    let (_, listed) = p
        .phone
        .pending_transactions(&token.service_id, &token.user_id, keys, p.provider.now_ms())
        .await
        .unwrap();
    let txn = listed.into_iter().find(|t| t.id == details.id).unwrap();
    (details, txn)
}

/// The transaction code the phone shows now (provider clock).
fn online_code(p: &Suite, keys: &TransactionKeys, txn: &Transaction) -> String {
    keys.online_code(txn, p.provider.now_ms() / 1000)
        .as_str()
        .to_owned()
}

/// A wrong code for `code` (the same shape, another value).
fn wrong(code: &str) -> String {
    let first = if code.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &code[1..])
}

#[tokio::test]
async fn register_list_approve_and_the_bank_sees_approved_through_a_long_poll() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (details, txn) = registered(&p, &token, &keys, &transfer("1234567", 123_456)).await;
    assert_eq!(details.state, TransactionState::Pending);
    // Canonical: the half-width name is bound (and shown) full-width.
    assert_eq!(details.payee.name, "ヤマダ タロウ");
    assert_eq!(txn.payee.name.as_str(), "ヤマダ タロウ");
    assert_eq!(txn.amount.value(), 123_456);
    assert_eq!(details.expires_at_ms, details.created_at_ms + 300_000);
    assert_eq!(details.attempts_left, 3);
    assert_eq!(details.decided_at_ms, None);

    // The bank waits; the phone approves meanwhile; the wait ends with the decision.
    let bank = p.bank.clone();
    let id = details.id;
    let waiting = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let seen = bank.transaction(&id, 30).await.unwrap();
        (seen, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let decided = p
        .phone
        .decide(&keys, &txn, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(decided.state, TransactionState::Approved);
    let (seen, waited) = waiting.await.unwrap();
    assert_eq!(seen.state, TransactionState::Approved);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(seen.decided_at_ms, Some(decided.server_time_ms));
    // Final: a second decision is refused, and the list is empty.
    let again = p
        .phone
        .decide(&keys, &txn, Decision::Reject)
        .await
        .unwrap_err();
    let (status, body) = again.refused().unwrap();
    assert_eq!((status, body.error), (409, ErrorCode::TransactionDecided));
    let (list, _) = p
        .phone
        .pending_transactions(
            &token.service_id,
            &token.user_id,
            &keys,
            p.provider.now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(list.state, TokenState::Active);
    assert!(list.transactions.is_empty());
    // A typed code for a decided transaction: `decided`, nothing counted.
    let code = online_code(&p, &keys, &txn);
    let verified = p.bank.verify_transaction(&id, &code).await.unwrap();
    assert_eq!(verified.result, TransactionVerifyResult::Decided);
}

#[tokio::test]
async fn a_typed_code_confirms_once_and_a_second_verify_is_replayed() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (details, txn) = registered(&p, &token, &keys, &transfer("7654321", 5_000)).await;
    let code = online_code(&p, &keys, &txn);
    let first = p.bank.verify_transaction(&details.id, &code).await.unwrap();
    assert_eq!(first.result, TransactionVerifyResult::Accepted);
    assert_eq!(first.state, TransactionState::Confirmed);
    let second = p.bank.verify_transaction(&details.id, &code).await.unwrap();
    assert_eq!(second.result, TransactionVerifyResult::Replayed);
    let seen = p.bank.transaction(&details.id, 0).await.unwrap();
    assert_eq!(seen.state, TransactionState::Confirmed);
    // The same code bound to another transaction (another amount) does not verify it.
    let (other, _) = registered(&p, &token, &keys, &transfer("7654321", 5_001)).await;
    let refused = p.bank.verify_transaction(&other.id, &code).await.unwrap();
    assert_eq!(refused.result, TransactionVerifyResult::Rejected);
    assert_eq!(refused.attempts_left, 2);
}

#[tokio::test]
async fn a_reject_is_told_apart_from_expiry() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (rejected, txn) = registered(&p, &token, &keys, &transfer("1111111", 10_000)).await;
    let decided = p.phone.decide(&keys, &txn, Decision::Reject).await.unwrap();
    assert_eq!(decided.state, TransactionState::Rejected);
    let seen = p.bank.transaction(&rejected.id, 0).await.unwrap();
    assert_eq!(seen.state, TransactionState::Rejected);

    let (expiring, txn) = registered(&p, &token, &keys, &transfer("2222222", 10_000)).await;
    p.provider.clock().advance(Duration::from_secs(301));
    let seen = p.bank.transaction(&expiring.id, 0).await.unwrap();
    assert_eq!(seen.state, TransactionState::Expired);
    assert_eq!(seen.decided_at_ms, Some(expiring.expires_at_ms));
    let late = p
        .phone
        .decide(&keys, &txn, Decision::Approve)
        .await
        .unwrap_err();
    let (status, body) = late.refused().unwrap();
    assert_eq!((status, body.error), (410, ErrorCode::TransactionExpired));
    let code = online_code(&p, &keys, &txn);
    let verified = p
        .bank
        .verify_transaction(&expiring.id, &code)
        .await
        .unwrap();
    assert_eq!(verified.result, TransactionVerifyResult::Expired);
    // Written now, and the housekeeping finds nothing left to expire.
    assert_eq!(housekeeping::run(p.state()).await.unwrap().expired, 0);
}

#[tokio::test]
async fn three_wrong_codes_fail_the_transaction_and_count_on_the_token() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (details, txn) = registered(&p, &token, &keys, &transfer("3333333", 1)).await;
    let bad = wrong(&online_code(&p, &keys, &txn));
    // Not 8 digits: refused, not counted.
    let short = p
        .bank
        .verify_transaction(&details.id, "1234")
        .await
        .unwrap();
    assert_eq!(
        (short.result, short.attempts_left, short.failures_left),
        (TransactionVerifyResult::Rejected, 3, 5)
    );
    for (attempts_left, failures_left) in [(2, 4), (1, 3)] {
        let r = p.bank.verify_transaction(&details.id, &bad).await.unwrap();
        assert_eq!(
            (r.result, r.attempts_left, r.failures_left),
            (
                TransactionVerifyResult::Rejected,
                attempts_left,
                failures_left
            )
        );
    }
    let third = p.bank.verify_transaction(&details.id, &bad).await.unwrap();
    assert_eq!(third.result, TransactionVerifyResult::Failed);
    assert_eq!(third.state, TransactionState::Failed);
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().failures_left,
        2
    );
    // Even the right code now: `failed`.
    let right = online_code(&p, &keys, &txn);
    let after = p
        .bank
        .verify_transaction(&details.id, &right)
        .await
        .unwrap();
    assert_eq!(after.result, TransactionVerifyResult::Failed);
}

#[tokio::test]
async fn wrong_codes_that_lock_the_token_fail_its_pending_transactions() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let mut pending = Vec::new();
    for account in ["4000001", "4000002", "4000003"] {
        pending.push(registered(&p, &token, &keys, &transfer(account, 100)).await);
    }
    let mut results = Vec::new();
    for (details, txn) in &pending {
        let bad = wrong(&online_code(&p, &keys, txn));
        for _ in 0..2 {
            results.push(
                p.bank
                    .verify_transaction(&details.id, &bad)
                    .await
                    .unwrap()
                    .result,
            );
        }
    }
    // 5 failures lock the token (the 5th answer), the 6th finds it locked.
    assert_eq!(results[4], TransactionVerifyResult::Locked);
    assert_eq!(results[5], TransactionVerifyResult::Locked);
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Locked
    );
    for (details, _) in &pending {
        let seen = p.bank.transaction(&details.id, 0).await.unwrap();
        assert_eq!(seen.state, TransactionState::Failed);
    }
    let refused = p
        .bank
        .register_transaction(token.user_id, &transfer("4000004", 100))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409));
    assert_eq!(refused.code(), Some(ErrorCode::TokenNotActive));
}

#[tokio::test]
async fn revoking_a_token_fails_its_pending_transactions_and_refuses_new_ones() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (details, txn) = registered(&p, &token, &keys, &transfer("5555555", 999)).await;
    p.bank.revoke(token.user_id).await.unwrap();
    let seen = p.bank.transaction(&details.id, 0).await.unwrap();
    assert_eq!(seen.state, TransactionState::Failed);
    let refused = p
        .bank
        .register_transaction(token.user_id, &transfer("5555555", 999))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::TokenNotActive));
    let late = p
        .phone
        .decide(&keys, &txn, Decision::Approve)
        .await
        .unwrap_err();
    assert_eq!(late.refused().unwrap().1.error, ErrorCode::TokenRevoked);
    let code = online_code(&p, &keys, &txn);
    let verified = p.bank.verify_transaction(&details.id, &code).await.unwrap();
    assert_eq!(verified.result, TransactionVerifyResult::Revoked);
    // The audit names the transaction by id only.
    let mut conn = p.state().db.read().await.unwrap();
    let trail = audit::of_token(&mut conn, &token.service_id, &token.user_id)
        .await
        .unwrap();
    let failed: Vec<_> = trail
        .iter()
        .filter(|r| r.event == "transaction_failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].detail.as_deref(), Some(details.id.as_str()));
    let text = format!("{trail:?}");
    assert!(!text.contains("5555555") && !text.contains("ヤマダ") && !text.contains("家賃"));
}

#[tokio::test]
async fn bad_registrations_are_refused_with_their_own_codes() {
    let p = start().await;
    let (token, _app, _keys) = active(&p).await;
    let mut usd = transfer("1234567", 100);
    usd.amount.currency = "USD".into();
    let e = p
        .bank
        .register_transaction(token.user_id, &usd)
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (Some(400), Some(ErrorCode::UnsupportedCurrency))
    );
    let mut kanji = transfer("1234567", 100);
    kanji.payee.name = "山田太郎".into();
    let e = p
        .bank
        .register_transaction(token.user_id, &kanji)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::BadRequest));
    let mut long = transfer("1234567", 100);
    long.lifetime_s = Some(901);
    let e = p
        .bank
        .register_transaction(token.user_id, &long)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::BadRequest));
    for n in 0..10 {
        p.bank
            .register_transaction(token.user_id, &transfer("1234567", 100 + n))
            .await
            .unwrap();
    }
    let e = p
        .bank
        .register_transaction(token.user_id, &transfer("1234567", 1))
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (Some(409), Some(ErrorCode::TooManyPending))
    );
    // A token not yet confirmed takes none.
    let (fresh, _) = p.activated(Some("other-customer")).await;
    let e = p
        .bank
        .register_transaction(fresh.user_id, &transfer("1234567", 1))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::TokenNotActive));
}

#[tokio::test]
async fn another_services_key_sees_nothing_of_a_transaction() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (details, txn) = registered(&p, &token, &keys, &transfer("6666666", 100)).await;
    // The path of another service with this key: 401.
    let e = p
        .bank
        .for_service("20202020")
        .transaction(&details.id, 0)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::Unauthorized));
    // Another service's own key, on its own path: this transaction is not found there.
    let state = p.state();
    let other = ServiceId::parse("20202020").unwrap();
    ops::services::create(
        &state.db,
        &state.keys,
        &ServiceSpec::new(other, "Other Bank"),
        0,
    )
    .await
    .unwrap();
    let key = ops::api_keys::create(&state.db, &other, None, 0)
        .await
        .unwrap();
    let other_bank = BankClient::new(
        p.provider.url(),
        p.provider.ca_pem(),
        "20202020",
        key.as_str(),
    )
    .unwrap();
    for e in [
        other_bank.transaction(&details.id, 0).await.unwrap_err(),
        other_bank
            .cancel_transaction(&details.id)
            .await
            .unwrap_err(),
        other_bank
            .verify_transaction(&details.id, &online_code(&p, &keys, &txn))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(
            (e.status(), e.code()),
            (Some(404), Some(ErrorCode::NotFound))
        );
    }
    // Still pending for its own bank, which can cancel it (once).
    let cancelled = p.bank.cancel_transaction(&details.id).await.unwrap();
    assert_eq!(cancelled.state, TransactionState::Cancelled);
    let again = p.bank.cancel_transaction(&details.id).await.unwrap_err();
    assert_eq!(again.code(), Some(ErrorCode::Conflict));
}

#[tokio::test]
async fn offline_codes_bind_the_account_and_amount_and_verify_once() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let now = || p.provider.now_ms() / 1000;
    let account_only =
        softtoken_protocol::transaction::OfflineChallenge::parse("１２３-４５６７", None).unwrap();
    let code = keys.offline_code(&account_only, now()).as_str().to_owned();
    let other_account = p
        .bank
        .verify_challenge(token.user_id, "1234568", None, &code)
        .await
        .unwrap();
    assert_eq!(other_account.result, VerifyResult::Rejected);
    assert_eq!(other_account.failures_left, 4);
    let right = p
        .bank
        .verify_challenge(token.user_id, "1234567", None, &code)
        .await
        .unwrap();
    assert_eq!(
        (right.result, right.failures_left),
        (VerifyResult::Accepted, 5)
    );
    let replay = p
        .bank
        .verify_challenge(token.user_id, "1234567", None, &code)
        .await
        .unwrap();
    assert_eq!(replay.result, VerifyResult::Replayed);

    let with_amount =
        softtoken_protocol::transaction::OfflineChallenge::parse("1234567", Some("¥12,345"))
            .unwrap();
    let code = keys.offline_code(&with_amount, now()).as_str().to_owned();
    let other_amount = p
        .bank
        .verify_challenge(token.user_id, "1234567", Some(12_346), &code)
        .await
        .unwrap();
    assert_eq!(other_amount.result, VerifyResult::Rejected);
    let right = p
        .bank
        .verify_challenge(token.user_id, "1234567", Some(12_345), &code)
        .await
        .unwrap();
    assert_eq!(right.result, VerifyResult::Accepted);
    // Not 7 digits: a bad request.
    let e = p
        .bank
        .verify_challenge(token.user_id, "12345", None, &code)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::BadRequest));
}

#[tokio::test]
async fn parallel_verifies_and_decisions_of_one_transaction_succeed_exactly_once() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (details, txn) = registered(&p, &token, &keys, &transfer("7777777", 777)).await;
    let code = online_code(&p, &keys, &txn);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (bank, code, id) = (p.bank.clone(), code.clone(), details.id);
        tasks.spawn(async move { bank.verify_transaction(&id, &code).await.unwrap().result });
    }
    let results = tasks.join_all().await;
    let accepted = common::count(&results, &TransactionVerifyResult::Accepted);
    let replayed = common::count(&results, &TransactionVerifyResult::Replayed);
    assert_eq!((accepted, replayed), (1, 31));

    let (details, txn) = registered(&p, &token, &keys, &transfer("8888888", 888)).await;
    let keys = std::sync::Arc::new(keys);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..32 {
        let (phone, keys, txn) = (p.phone.clone(), keys.clone(), txn.clone());
        let decision = if n % 2 == 0 {
            Decision::Approve
        } else {
            Decision::Reject
        };
        tasks.spawn(async move {
            phone
                .decide(&keys, &txn, decision)
                .await
                .map(|r| r.state)
                .map_err(|e| e.refused().map(|(s, b)| (s, b.error)))
        });
    }
    let results = tasks.join_all().await;
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| *e == Some((409, ErrorCode::TransactionDecided)))
    );
    let seen = p.bank.transaction(&details.id, 0).await.unwrap();
    assert_eq!(seen.state, *won[0]);
    // The audit agrees: one decision taken, 31 refused.
    let mut conn = p.state().db.read().await.unwrap();
    let trail = audit::of_token(&mut conn, &token.service_id, &token.user_id)
        .await
        .unwrap();
    let decisions: Vec<_> = trail
        .iter()
        .filter(|r| {
            r.event == "transaction_decision" && r.detail.as_deref() == Some(details.id.as_str())
        })
        .collect();
    assert_eq!(decisions.len(), 32);
    assert_eq!(
        decisions
            .iter()
            .filter(|r| r.outcome == won[0].as_str())
            .count(),
        1
    );
}

#[tokio::test]
async fn housekeeping_expires_and_purges_after_the_retention() {
    let p = start().await;
    let (token, _app, keys) = active(&p).await;
    let (details, _) = registered(&p, &token, &keys, &transfer("9999999", 9)).await;
    p.provider.clock().advance(Duration::from_secs(400));
    let swept = housekeeping::run(p.state()).await.unwrap();
    assert_eq!(swept.expired, 1);
    assert_eq!(
        p.bank.transaction(&details.id, 0).await.unwrap().state,
        TransactionState::Expired
    );
    p.provider.clock().advance(Duration::from_secs(30 * 86_400));
    let swept = housekeeping::run(p.state()).await.unwrap();
    assert_eq!(swept.transactions, 1);
    let gone = p.bank.transaction(&details.id, 0).await.unwrap_err();
    assert_eq!(gone.code(), Some(ErrorCode::NotFound));
}
