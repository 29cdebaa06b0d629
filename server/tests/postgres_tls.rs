//! TLS to PostgreSQL, for real: a throwaway cluster with `ssl = on` and a certificate issued by
//! a CA of the test's own; the provider's storage connects with `sslmode = verify-full` and
//! that CA as `ca_file` (and the connection is encrypted), refuses a server whose certificate
//! does not chain to `ca_file`, and with `require` encrypts without checking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

use softtoken_server::{
    config::{DatabaseConfig, DatabaseLocation, SslMode},
    error::StartupError,
    storage::{Db, Missing},
    tls::ensure_dev_tls,
};
use softtoken_testkit::{PgCluster, PgOptions};

fn location(url: &str, sslmode: SslMode, ca_file: Option<PathBuf>, dir: &Path) -> DatabaseLocation {
    DatabaseConfig {
        url: Some(url.to_owned()),
        sslmode: Some(sslmode),
        ca_file,
        ..DatabaseConfig::default()
    }
    .location(dir)
    .unwrap()
}

/// Whether this session's connection is encrypted, as the server sees it.
async fn encrypted(db: &Db) -> bool {
    db.test_scalar(
        "SELECT CAST(CASE WHEN ssl THEN 1 ELSE 0 END AS BIGINT) FROM pg_stat_ssl \
         WHERE pid = pg_backend_pid()",
        &[],
    )
    .await
    .unwrap()
        == 1
}

#[tokio::test]
async fn verify_full_checks_the_servers_certificate_against_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    // A CA and a server certificate for 127.0.0.1 (the development CA the provider makes).
    let server = ensure_dev_tls(&dir.path().join("db-tls")).unwrap();
    let cluster =
        PgCluster::start_with(PgOptions::fast().tls(&server.cert_pem, &server.key_pem)).unwrap();
    let url = cluster.create_database("tls").unwrap();

    let trusted = location(
        &url,
        SslMode::VerifyFull,
        Some(server.ca_pem.clone()),
        dir.path(),
    );
    let db = Db::open(&trusted, Missing::Create).await.unwrap();
    assert!(encrypted(&db).await);
    assert_eq!(db.schema_version().await.unwrap(), 4);
    db.close().await;

    // Another CA: the server is not who it claims; refused at start, the message says why.
    let other = ensure_dev_tls(&dir.path().join("other-ca")).unwrap();
    let untrusted = location(&url, SslMode::VerifyFull, Some(other.ca_pem), dir.path());
    match Db::open(&untrusted, Missing::Refuse).await {
        Err(StartupError::Database(message)) => {
            assert!(message.contains("cannot connect"), "{message}");
        }
        Err(other) => panic!("expected a database error, got {other}"),
        Ok(_) => panic!("a server whose certificate does not chain to ca_file was accepted"),
    }

    // `require`: encrypted, the certificate not checked.
    let db = Db::open(
        &location(&url, SslMode::Require, None, dir.path()),
        Missing::Refuse,
    )
    .await
    .unwrap();
    assert!(encrypted(&db).await);
    db.close().await;
}
