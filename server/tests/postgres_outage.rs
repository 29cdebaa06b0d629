//! The provider on PostgreSQL while the database goes down and comes back: requests answer the
//! documented `503 unavailable` (not 500, not a hang), `/healthz` fails, and once the database
//! is back the same provider serves again — its pool reconnects, no restart.
//!
//! Always on PostgreSQL: a throwaway cluster of its own (`PgCluster`, not the shared one of
//! the suites), which it stops and starts again on the same port and data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::{Suite, start_with};
use reqwest::StatusCode;
use softtoken_protocol::wire::{ErrorCode, VerifyResult};
use softtoken_server::config::SslMode;
use softtoken_testkit::{
    BankError, PgCluster, PgOptions,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, EMAIL},
};

async fn healthz(p: &Suite) -> StatusCode {
    p.phone
        .http()
        .get(p.phone.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_database_outage_answers_503_and_the_provider_recovers_without_restart() {
    let mut cluster = PgCluster::start_with(PgOptions::fast()).unwrap();
    let url = cluster.create_database("outage").unwrap();
    let p = start_with(|c| {
        c.database.url = Some(url);
        c.database.sslmode = Some(SslMode::Disable);
    })
    .await;
    let before = p.bank.issue(EMAIL, PASSWORD).await.unwrap();
    let (token, app) = p.activated(None).await;
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
    assert_eq!(healthz(&p).await, StatusCode::OK);

    // A fast shutdown: the provider's connections are cut, as when a database server goes down.
    cluster.stop().unwrap();
    // The next step's code, right away (the bank's key still cached): the token row is in the
    // fast path's cache, so only the batcher's write meets the outage — a 503 too.
    match p.bank.verify(token.user_id, &p.code(&app, 1)).await {
        Err(err @ BankError::Refused { status: 503, .. }) => {
            assert_eq!(err.code(), Some(ErrorCode::Unavailable), "{err}");
        }
        other => panic!("expected 503 unavailable from the batcher, got {other:?}"),
    }
    let asked = Instant::now();
    match p.bank.details(before.user_id).await {
        Err(err @ BankError::Refused { status: 503, .. }) => {
            assert_eq!(err.code(), Some(ErrorCode::Unavailable), "{err}");
        }
        other => panic!("expected 503 unavailable, got {other:?}"),
    }
    // Within the pool's wait for a connection, well inside the request timeout.
    assert!(
        asked.elapsed() < Duration::from_secs(8),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(healthz(&p).await, StatusCode::SERVICE_UNAVAILABLE);

    cluster.start_again().unwrap();
    // The same provider, no restart: the pool opens new connections on demand.
    let deadline = Instant::now() + Duration::from_secs(10);
    let details = loop {
        match p.bank.details(before.user_id).await {
            Ok(details) => break details,
            Err(err) if Instant::now() < deadline => {
                eprintln!("not yet: {err}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => panic!("no recovery within 10 s: {err}"),
        }
    };
    assert_eq!(details.user_id, before.user_id);
    assert!(p.bank.issue(EMAIL, PASSWORD).await.is_ok());
    assert_eq!(healthz(&p).await, StatusCode::OK);
}
