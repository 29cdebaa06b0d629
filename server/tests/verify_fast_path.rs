//! Verification's fast path: the token-row cache never lets a changed token accept a code
//! (revoked, locked, re-activated, re-issued, expired behind the cache's back), and group
//! commit keeps every rule — exactly one accept per code, independent tokens in one batch,
//! nothing half-written when a batch fails, and a batcher that survives dropped requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::{sync::Arc, time::Duration};

use common::{Suite, start};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    totp::Totp,
    wire::{IssueTokenRequest, IssueTokenResponse as Issued, TokenState, VerifyResult},
};
use softtoken_server::{
    rules::verification,
    state::{ServerState, ServiceCtx},
    storage::{
        Backend,
        accept::{SeenAccept, accept_steps_if_unchanged},
        audit,
        batcher::AcceptJob,
        token_reads::{self, ReadFailed},
        tokens::{self, TokenRow},
    },
    testing,
};
use softtoken_testkit::{
    Activated,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, EMAIL, SERVICE_ID as SERVICE},
};

/// Moves the provider clock one 30 s step on (the codes of `Suite::code` follow it).
fn next_step(p: &Suite) {
    p.provider
        .clock()
        .advance(std::time::Duration::from_millis(30_000));
}

/// The bank's verdict on `otp` for `token`.
async fn verify(p: &Suite, token: &Issued, otp: &str) -> VerifyResult {
    p.bank.verify(token.user_id, otp).await.unwrap().result
}

/// A code of the right length that the token's seed gives for none of the steps around now.
fn wrong_code(activated: &Activated, p: &Suite) -> String {
    let near: Vec<String> = (-2..=2).map(|k| p.code(activated, k)).collect();
    let digits = near[0].len();
    (0u64..)
        .map(|n| {
            format!(
                "{:0digits$}",
                n * 7919 % 10u64.pow(u32::try_from(digits).unwrap())
            )
        })
        .find(|candidate| !near.contains(candidate))
        .unwrap()
}

fn server_state(p: &Suite) -> &Arc<ServerState> {
    p.state()
}

/// `(event, outcome)` of a token's audit records, oldest first.
async fn audit(p: &Suite, token: &Issued) -> Vec<(String, String)> {
    let mut conn = server_state(p).db.read().await.unwrap();
    audit::of_token(&mut conn, &token.service_id, &token.user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|record| (record.event, record.outcome))
        .collect()
}

fn cached_state(p: &Suite, token: &Issued) -> Option<String> {
    server_state(p)
        .cached_token(&token.service_id, &token.user_id)
        .map(|row| row.state.as_str().to_owned())
}

#[tokio::test]
async fn a_revoked_token_refuses_a_right_code_though_its_row_is_cached() {
    let p = start().await;
    let (token, phone) = p.activated(None).await;
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Accepted
    );
    // The accept confirmed the token; the cache followed.
    assert_eq!(cached_state(&p, &token).as_deref(), Some("active"));
    let reply = p.bank.revoke(token.user_id).await;
    assert!(reply.is_ok(), "{reply:?}");
    // Revocation does not touch the cache: the database's guard alone must refuse.
    assert_eq!(cached_state(&p, &token).as_deref(), Some("active"));
    next_step(&p);
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Revoked
    );
    assert_eq!(cached_state(&p, &token).as_deref(), Some("revoked"));
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 1)).await,
        VerifyResult::Revoked
    );
    let accepted = audit(&p, &token)
        .await
        .iter()
        .filter(|(event, outcome)| event == "verify" && outcome == "accepted")
        .count();
    assert_eq!(accepted, 1);
}

#[tokio::test]
async fn a_token_locked_behind_the_caches_back_refuses_then_unlock_works() {
    let p = start().await;
    let (token, phone) = p.activated(None).await;
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Accepted
    );
    // Locked by a write the cache never hears of.
    server_state(&p)
        .db
        .test_execute(
            "UPDATE tokens SET state = 'locked' WHERE service_id = $1 AND user_id = $2",
            &[token.service_id.as_str(), token.user_id.as_str()],
        )
        .await
        .unwrap();
    assert_eq!(cached_state(&p, &token).as_deref(), Some("active"));
    next_step(&p);
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Locked
    );
    let reply = p.bank.unlock(token.user_id).await;
    assert!(reply.is_ok(), "{reply:?}");
    // The cache now says locked (stale the other way): the full check accepts.
    assert_eq!(cached_state(&p, &token).as_deref(), Some("locked"));
    next_step(&p);
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Accepted
    );
    assert_eq!(cached_state(&p, &token).as_deref(), Some("active"));
}

#[tokio::test]
async fn five_wrong_codes_lock_even_with_the_row_cached() {
    let p = start().await;
    let (token, phone) = p.activated(None).await;
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Accepted
    );
    let wrong = wrong_code(&phone, &p);
    for _ in 0..4 {
        assert_eq!(verify(&p, &token, &wrong).await, VerifyResult::Rejected);
    }
    assert_eq!(verify(&p, &token, &wrong).await, VerifyResult::Locked);
    next_step(&p);
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Locked
    );
}

#[tokio::test]
async fn a_reactivated_token_never_accepts_the_old_seed_from_the_cache() {
    let p = start().await;
    let (token, first) = p.activated(None).await;
    // A wrong code caches the pending row with the first seed.
    assert_eq!(
        verify(&p, &token, &wrong_code(&first, &p)).await,
        VerifyResult::Rejected
    );
    assert_eq!(
        cached_state(&p, &token).as_deref(),
        Some("pending_confirmation")
    );
    let cached_generation = server_state(&p)
        .cached_token(&token.service_id, &token.user_id)
        .unwrap()
        .seed_generation;
    let second = p.activate(&token, PASSWORD).await.unwrap();
    p.provider.settle(second.params.period());
    // The cache still holds the first seed: its code passes the fast path's own check, and
    // only the database's guard stands between it and an accept.
    assert_eq!(
        server_state(&p)
            .cached_token(&token.service_id, &token.user_id)
            .unwrap()
            .seed_generation,
        cached_generation
    );
    assert_eq!(
        verify(&p, &token, &p.code(&first, 0)).await,
        VerifyResult::Rejected
    );
    assert_eq!(
        verify(&p, &token, &p.code(&second, 0)).await,
        VerifyResult::Accepted
    );
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Active
    );
}

#[tokio::test]
async fn a_reissued_customers_cached_token_is_refused() {
    let p = start().await;
    let (first, phone) = p.activated(Some("C-1")).await;
    assert_eq!(
        verify(&p, &first, &wrong_code(&phone, &p)).await,
        VerifyResult::Rejected
    );
    assert_eq!(
        cached_state(&p, &first).as_deref(),
        Some("pending_confirmation")
    );
    let second = p
        .bank
        .issue_with(&IssueTokenRequest {
            email: EMAIL.into(),
            activation_password: PASSWORD.into(),
            label: None,
            customer_ref: Some("C-1".into()),
        })
        .await
        .unwrap();
    assert_ne!(first.user_id, second.user_id);
    assert_eq!(
        verify(&p, &first, &p.code(&phone, 0)).await,
        VerifyResult::Revoked
    );
}

#[tokio::test]
async fn a_cached_pending_token_expires_on_time() {
    let p = start().await;
    let (token, phone) = p.activated(None).await;
    assert_eq!(
        verify(&p, &token, &wrong_code(&phone, &p)).await,
        VerifyResult::Rejected
    );
    // Past the setup deadline (24 h by default) without a confirmed code.
    p.provider
        .clock()
        .advance(std::time::Duration::from_millis(25 * 3600 * 1000));
    p.provider.settle(phone.params.period());
    assert_eq!(
        verify(&p, &token, &p.code(&phone, 0)).await,
        VerifyResult::Expired
    );
}

/// Activated tokens straight in the database, with the phone's TOTP for each.
async fn bench_tokens(p: &Suite, count: usize) -> (Arc<ServiceCtx>, Vec<(UserId, Totp)>) {
    let service_id = ServiceId::parse(SERVICE).unwrap();
    let service = server_state(p).service(&service_id).await.unwrap().unwrap();
    let tokens = testing::create_active_tokens(server_state(p), &service_id, count)
        .await
        .unwrap()
        .into_iter()
        .map(|(user_id, seed)| (user_id, Totp::new(service.row.rules.params, &seed).unwrap()))
        .collect();
    (service, tokens)
}

fn now_code(p: &Suite, totp: &Totp) -> String {
    totp.code_at(p.provider.now_ms() / 1000).as_str().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_codes_of_many_tokens_accept_exactly_once_each() {
    let p = start().await;
    p.provider.settle(30);
    let (service, tokens) = bench_tokens(&p, 16).await;
    let mut tasks = tokio::task::JoinSet::new();
    for (user_id, totp) in &tokens {
        let otp = now_code(&p, totp);
        for _ in 0..4 {
            let (state, service, user_id, otp) = (
                Arc::clone(server_state(&p)),
                Arc::clone(&service),
                *user_id,
                otp.clone(),
            );
            tasks.spawn(async move {
                let reply = verification::verify(&state, &service, &user_id, &otp, "test")
                    .await
                    .unwrap();
                (user_id, reply.result)
            });
        }
    }
    let results = tasks.join_all().await;
    for (user_id, _) in &tokens {
        let mine: Vec<VerifyResult> = results
            .iter()
            .filter(|(u, _)| u == user_id)
            .map(|(_, r)| *r)
            .collect();
        let accepted = common::count(&mine, &VerifyResult::Accepted);
        let replayed = common::count(&mine, &VerifyResult::Replayed);
        assert_eq!((accepted, replayed), (1, 3), "{user_id}: {mine:?}");
    }
    let accepted_in_audit = server_state(&p)
        .db
        .test_scalar(
            "SELECT COUNT(*) FROM audit WHERE event = 'verify' AND outcome = 'accepted'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(accepted_in_audit, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_copies_of_one_code_accept_once_in_process() {
    let p = start().await;
    p.provider.settle(30);
    let (service, tokens) = bench_tokens(&p, 1).await;
    let (user_id, totp) = &tokens[0];
    let otp = now_code(&p, totp);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (state, service, user_id, otp) = (
            Arc::clone(server_state(&p)),
            Arc::clone(&service),
            *user_id,
            otp.clone(),
        );
        tasks.spawn(async move {
            verification::verify(&state, &service, &user_id, &otp, "test")
                .await
                .unwrap()
                .result
        });
    }
    let results = tasks.join_all().await;
    let accepted = common::count(&results, &VerifyResult::Accepted);
    let replayed = common::count(&results, &VerifyResult::Replayed);
    assert_eq!((accepted, replayed), (1, 31), "{results:?}");
}

async fn token_row(p: &Suite, user_id: &UserId) -> TokenRow {
    let service_id = ServiceId::parse(SERVICE).unwrap();
    let mut conn = server_state(p).db.read().await.unwrap();
    tokens::get(&mut conn, &service_id, user_id)
        .await
        .unwrap()
        .unwrap()
}

async fn accepted_audits(p: &Suite, user_id: &UserId) -> i64 {
    server_state(p)
        .db
        .test_scalar(
            "SELECT COUNT(*) FROM audit WHERE user_id = $1 AND event = 'verify' \
             AND outcome = 'accepted'",
            &[user_id.as_str()],
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn one_batch_decides_each_accept_as_if_alone() {
    let p = start().await;
    let (_, tokens) = bench_tokens(&p, 3).await;
    let (a, b, c) = (
        token_row(&p, &tokens[0].0).await,
        token_row(&p, &tokens[1].0).await,
        token_row(&p, &tokens[2].0).await,
    );
    let mut stale = c.clone();
    stale.seed_generation -= 1;
    let now = p.provider.now_ms();
    let step = now / 30_000;
    let accept = |seen, step| SeenAccept {
        seen,
        step,
        now_ms: now,
        actor: "test",
    };
    let mut tx = server_state(&p).db.write().await.unwrap();
    let outcome = accept_steps_if_unchanged(
        &mut tx,
        &[
            accept(&a, step),
            accept(&b, step),
            // The same token and step again: a replay, inside the batch.
            accept(&a, step),
            // A token changed since it was read.
            accept(&stale, step),
            // A later step of a token accepted earlier in the batch.
            accept(&a, step + 1),
        ],
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(outcome, vec![true, true, false, false, true]);
    assert_eq!(token_row(&p, &tokens[0].0).await.last_step, Some(step + 1));
    assert_eq!(accepted_audits(&p, &tokens[0].0).await, 2);
    assert_eq!(accepted_audits(&p, &tokens[1].0).await, 1);
    assert_eq!(accepted_audits(&p, &tokens[2].0).await, 0);
    assert_eq!(token_row(&p, &tokens[2].0).await.last_step, None);
}

#[tokio::test]
async fn a_failed_batch_writes_nothing_and_the_batcher_carries_on() {
    let p = start().await;
    let (_, tokens) = bench_tokens(&p, 2).await;
    let (a, b) = (
        token_row(&p, &tokens[0].0).await,
        token_row(&p, &tokens[1].0).await,
    );
    // A trigger that fails the audit insert of actor `boom`, after the first accept's writes.
    // (The one fault here that is SQL of the test's own, in each backend's trigger language.)
    let db = &server_state(&p).db;
    let trigger: &[&str] = match db.backend() {
        Backend::Sqlite => &["CREATE TRIGGER fail_boom BEFORE INSERT ON audit \
             WHEN NEW.actor = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION fail_boom() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.actor = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER fail_boom BEFORE INSERT ON audit FOR EACH ROW \
             EXECUTE FUNCTION fail_boom()",
        ],
    };
    for sql in trigger {
        db.test_execute(sql, &[]).await.unwrap();
    }
    let now = p.provider.now_ms();
    let step = now / 30_000;
    let mut tx = server_state(&p).db.write().await.unwrap();
    let result = accept_steps_if_unchanged(
        &mut tx,
        &[
            SeenAccept {
                seen: &a,
                step,
                now_ms: now,
                actor: "test",
            },
            SeenAccept {
                seen: &b,
                step,
                now_ms: now,
                actor: "boom",
            },
        ],
    )
    .await;
    assert!(result.is_err());
    // Dropping the guard with the transaction open rolls it back.
    drop(tx);
    assert_eq!(token_row(&p, &tokens[0].0).await.last_step, None);
    assert_eq!(accepted_audits(&p, &tokens[0].0).await, 0);

    // Through the batcher: the failing job fails, nothing stays half-done, the next works.
    let job = |seen: &TokenRow, actor: &str| AcceptJob {
        seen: Arc::new(seen.clone()),
        step,
        now_ms: now,
        actor: actor.to_owned(),
    };
    assert!(
        server_state(&p)
            .accepts
            .accept(job(&b, "boom"))
            .await
            .is_err()
    );
    assert_eq!(token_row(&p, &tokens[1].0).await.last_step, None);
    // A request that goes away while queued or in flight does not break the batcher.
    let dropped = tokio::time::timeout(
        Duration::ZERO,
        server_state(&p).accepts.accept(job(&b, "test")),
    );
    let _ = dropped.await;
    assert!(
        server_state(&p)
            .accepts
            .accept(job(&a, "test"))
            .await
            .unwrap()
    );
    assert_eq!(accepted_audits(&p, &tokens[0].0).await, 1);
    let drop_trigger = match db.backend() {
        Backend::Sqlite => "DROP TRIGGER fail_boom",
        Backend::Postgres => "DROP TRIGGER fail_boom ON audit",
    };
    db.test_execute(drop_trigger, &[]).await.unwrap();
    // `b`'s job was either dropped before it ran or recorded; either way once at most.
    let again = server_state(&p)
        .accepts
        .accept(job(&b, "test"))
        .await
        .unwrap();
    let b_accepted = accepted_audits(&p, &tokens[1].0).await;
    assert_eq!(b_accepted, 1, "accepted again: {again}");
}

/// On PostgreSQL the fast path's reads queued together go as one statement (`token_reads`),
/// which returns a token's row once however many reads name it: each read still gets the row,
/// an unknown token's read gets none. A batch that fails answers every read of it with
/// `ReadFailed` (the fast path then leaves the decision to the full check). (SQLite reads each
/// token from the pool: nothing to check.)
#[tokio::test]
async fn reads_of_one_token_in_one_batch_each_get_its_row() {
    let p = start().await;
    let db = &server_state(&p).db;
    let Some(pool) = db.pg_pool() else {
        return;
    };
    let (_, tokens) = bench_tokens(&p, 2).await;
    let service_id = ServiceId::parse(SERVICE).unwrap();
    let (a, b) = (tokens[0].0, tokens[1].0);
    let unknown = softtoken_server::ids::random_user_id();
    let keys: Vec<(ServiceId, UserId)> = [a, b, a, unknown, a]
        .into_iter()
        .map(|user_id| (service_id, user_id))
        .collect();

    let answers = token_reads::read_as_one_batch(db, &keys).await;
    let read: Vec<Option<UserId>> = answers
        .into_iter()
        .map(|answer| answer.unwrap().map(|row| row.user_id))
        .collect();
    assert_eq!(read, vec![Some(a), Some(b), Some(a), None, Some(a)]);
    let row = token_reads::read_as_one_batch(db, &keys[..1]).await;
    assert_eq!(
        row[0].as_ref().unwrap().as_ref(),
        Some(&token_row(&p, &a).await)
    );

    // No connection to be had: every read of the batch is answered, each with the failure.
    pool.close().await;
    let answers = token_reads::read_as_one_batch(db, &keys).await;
    assert_eq!(answers, vec![Err(ReadFailed); keys.len()]);
}

/// On PostgreSQL every session of the provider runs each prepared statement on one generic plan
/// (`plan_cache_mode`, a startup parameter): left to choose, PostgreSQL planned the batch
/// statements, whose parameters are arrays, afresh at every run. (SQLite: nothing to check.)
#[tokio::test]
async fn postgres_sessions_plan_each_statement_once() {
    let p = start().await;
    let Some(pool) = server_state(&p).db.pg_pool() else {
        return;
    };
    let mode: String = sqlx::query_scalar("SELECT current_setting('plan_cache_mode')")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "force_generic_plan");
}
