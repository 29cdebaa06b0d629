#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! A database damaged while the provider runs (issue 12, finding 6): SQLite's `SQLITE_CORRUPT`
//! or `SQLITE_NOTADB` turns every request into `503 unavailable` and fails `/healthz`, instead
//! of `500`s and a health check that says all is well. The damage is real: the file's pages are
//! overwritten on disk under the running provider.

use std::io::{Seek, SeekFrom, Write};

use softtoken_testkit::{TestProvider, tls};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_corrupted_at_run_time_answers_503_and_fails_health() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user = bank.issue_test_token().await.unwrap();
    let health = tls::pinned_client(provider.ca_pem()).unwrap();
    let healthz = format!("{}/healthz", provider.url());
    assert_eq!(health.get(&healthz).send().await.unwrap().status(), 200);

    // Fold the WAL into the file, then overwrite every page after the header with garbage; a
    // new write makes every reader drop its cache and read the file again.
    let db = provider.server().unwrap().state.db.clone();
    sqlx_checkpoint(&db).await;
    let path = provider.data_dir().join("softtoken.db");
    let len = std::fs::metadata(&path).unwrap().len();
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.seek(SeekFrom::Start(100)).unwrap();
    file.write_all(&vec![0xa5u8; usize::try_from(len - 100).unwrap()])
        .unwrap();
    file.sync_all().unwrap();

    let mut saw_503 = false;
    for _ in 0..5 {
        let _ = bank.issue("b@c.jp", "another-password-1").await;
        match bank.details(&user).await {
            Err(refused) if refused.status() == Some(503) => {
                saw_503 = true;
                break;
            }
            other => eprintln!("{other:?}"),
        }
    }
    assert!(saw_503, "no 503 from a corrupt database");
    let reply = health.get(&healthz).send().await.unwrap();
    assert_eq!(reply.status(), 503);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    // And it stays so: no request runs on the damaged file.
    let refused = bank.details(&user).await.unwrap_err();
    assert_eq!(refused.status(), Some(503), "{refused}");
}

async fn sqlx_checkpoint(db: &softtoken_server::storage::Db) {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.writer_pool())
        .await
        .unwrap();
}
