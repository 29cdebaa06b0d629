//! A write transaction PostgreSQL aborts in a conflict is run again (`storage::retry`), and
//! the request succeeds as if nothing happened. The conflict is real: a deadlock between the
//! provider's 認証確認 (which locks the new token, then the customer's token it retires) and
//! another session that locks the same two rows the other way round, on the provider's own
//! database. PostgreSQL breaks it by aborting the provider's transaction (`40P01`).
//!
//! Always on PostgreSQL: a database of its own on the cluster this binary shares, with a short
//! `deadlock_timeout` for the provider's sessions and a long one for the other, so that the
//! provider's is the transaction PostgreSQL aborts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::start_with;
use softtoken_protocol::wire::{TokenState, VerifyResult};
use softtoken_server::config::SslMode;
use softtoken_testkit::PgCluster;

/// How long the provider's sessions wait on a lock before PostgreSQL looks for a deadlock
/// (PostgreSQL's default): the other session must close the cycle within it, as PostgreSQL
/// looks once per wait; it polls every 5 ms, so a loaded machine has ample time.
const PROVIDER_DEADLOCK_TIMEOUT: &str = "1s";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_aborted_by_a_deadlock_is_run_again_and_accepted() {
    let cluster = PgCluster::shared().unwrap();
    let url = cluster.create_database("deadlock").unwrap();
    cluster
        .psql(
            "postgres",
            &format!(
                "ALTER DATABASE deadlock SET deadlock_timeout = '{PROVIDER_DEADLOCK_TIMEOUT}'"
            ),
        )
        .unwrap();
    let p = start_with(|c| {
        c.database.url = Some(url);
        c.database.sslmode = Some(SslMode::Disable);
    })
    .await;

    // A customer's token in use, and the new token of their phone change, activated.
    let (old, old_app) = p.activated(Some("customer-1")).await;
    assert_eq!(
        p.verify_code(old.user_id, &old_app, 0).await,
        VerifyResult::Accepted
    );
    let (new, new_app) = p.activated(Some("customer-1")).await;
    let confirmation = p.code(&new_app, 1);

    // Another session locks the old token's row (a longer deadlock_timeout: PostgreSQL finds
    // the cycle from the provider's side first and aborts the provider's transaction).
    let pool = p.state().db.pg_pool().unwrap().clone();
    let mut other = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL deadlock_timeout = '10s'")
        .execute(&mut *other)
        .await
        .unwrap();
    let lock_row = "SELECT 1 FROM tokens WHERE user_id = $1 FOR UPDATE";
    sqlx::query(lock_row)
        .bind(old.user_id.to_string())
        .execute(&mut *other)
        .await
        .unwrap();

    let confirm = p.bank.verify(new.user_id, &confirmation);
    let collide = async {
        // Once the confirmation waits for the old row (it holds the new one) ...
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the confirmation never waited");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // ... the other session asks for the new row: a deadlock, which PostgreSQL breaks
        // by aborting the confirmation's transaction; this lock is then granted.
        sqlx::query(lock_row)
            .bind(new.user_id.to_string())
            .execute(&mut *other)
            .await
            .unwrap();
        // The rerun now waits for this session, which ends without changing anything.
        tokio::time::sleep(Duration::from_millis(100)).await;
        other.commit().await.unwrap();
    };
    let (reply, ()) = tokio::join!(confirm, collide);
    let reply = reply.unwrap();
    assert_eq!(reply.result, VerifyResult::Accepted, "{reply:?}");

    // The deadlock happened, and its victim was the provider's transaction.
    let log = std::fs::read_to_string(cluster.log_path()).unwrap();
    assert!(log.contains("deadlock detected"), "no deadlock in the log");
    // The rerun did the whole confirmation: the old token is retired, the new one in use.
    let old_now = p.bank.details(old.user_id).await.unwrap();
    assert_eq!(old_now.state, TokenState::Replaced);
    let new_now = p.bank.details(new.user_id).await.unwrap();
    assert_eq!(new_now.state, TokenState::Active);
    // Once, exactly: the code is now a replay.
    assert_eq!(
        p.bank
            .verify(new.user_id, &confirmation)
            .await
            .unwrap()
            .result,
        VerifyResult::Replayed
    );
}
