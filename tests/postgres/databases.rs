//! The shared cluster (fast), one database per test, the options (fast, settings, TLS) and the
//! typed errors.

use std::os::unix::fs::PermissionsExt;

use softtoken_testkit::{
    PgCluster, PgError, PgOptions,
    postgres::{PgBinaries, Role},
};

use crate::{connect, execute, shared, texts};

#[tokio::test]
async fn each_test_gets_its_own_database_on_the_shared_cluster() {
    let cluster = shared();
    let first = cluster.create_database("databases_first").unwrap();
    let second = cluster.create_database("databases_second").unwrap();
    assert_eq!(
        first,
        format!(
            "postgres://postgres@127.0.0.1:{}/databases_first",
            cluster.port()
        )
    );

    let first = connect(&first).await;
    let second = connect(&second).await;
    execute(&first, "CREATE TABLE tokens (user_id text PRIMARY KEY)").await;
    execute(&first, "INSERT INTO tokens VALUES ('U-1')").await;
    assert_eq!(texts(&first, "SELECT user_id FROM tokens").await, ["U-1"]);
    // The other test's database does not see the table.
    let missing = sqlx::query("SELECT 1 FROM tokens").execute(&second).await;
    assert!(missing.unwrap_err().to_string().contains("does not exist"));
}

#[tokio::test]
async fn the_shared_cluster_is_one_server_and_fast() {
    let cluster = shared();
    assert!(std::ptr::eq(cluster, shared()));
    assert!(cluster.is_running());
    assert_eq!(cluster.role(), Role::Primary);
    let pool = connect(&cluster.create_database("databases_settings").unwrap()).await;
    let settings = texts(
        &pool,
        "SELECT name || '=' || setting FROM pg_settings \
         WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'listen_addresses') \
         ORDER BY name",
    )
    .await;
    assert_eq!(
        settings,
        [
            "fsync=off",
            "full_page_writes=off",
            "listen_addresses=127.0.0.1",
            "synchronous_commit=off"
        ]
    );
    let version = texts(
        &pool,
        "SELECT setting FROM pg_settings WHERE name = 'server_version_num'",
    )
    .await;
    assert!(version[0].parse::<u32>().unwrap() >= 150_000, "{version:?}");
}

#[test]
fn fast_options_turn_durability_off_and_settings_are_applied() {
    let cluster =
        PgCluster::start_with(PgOptions::fast().setting("cluster_name", "kit's test")).unwrap();
    let shown = cluster
        .psql(
            "postgres",
            "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings \
             WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'cluster_name')",
        )
        .unwrap();
    assert_eq!(
        shown,
        "cluster_name=kit's test fsync=off full_page_writes=off synchronous_commit=off"
    );
}

#[test]
fn fresh_databases_have_names_of_their_own() {
    let cluster = shared();
    let first = cluster.fresh_database("databases_fresh").unwrap();
    let second = cluster.fresh_database("databases_fresh").unwrap();
    assert_ne!(first, second);
    assert!(
        first.starts_with(&cluster.url("databases_fresh_")),
        "{first}"
    );
}

#[test]
fn tls_places_the_certificate_and_a_key_only_its_owner_reads() {
    let dir = tempfile::tempdir().unwrap();
    let pki = softtoken_server::tls::ensure_dev_tls(&dir.path().join("pki")).unwrap();
    let cluster =
        PgCluster::start_with(PgOptions::fast().tls(&pki.cert_pem, &pki.key_pem)).unwrap();
    let shown = cluster
        .psql(
            "postgres",
            "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings \
             WHERE name IN ('ssl', 'ssl_cert_file', 'ssl_key_file')",
        )
        .unwrap();
    assert_eq!(
        shown,
        "ssl=on ssl_cert_file=server.crt ssl_key_file=server.key"
    );
    let key = std::fs::metadata(cluster.data_dir().join("server.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read(cluster.data_dir().join("server.crt")).unwrap(),
        std::fs::read(&pki.cert_pem).unwrap()
    );
}

#[test]
fn database_names_that_would_need_quoting_are_refused() {
    let cluster = shared();
    for bad in [
        "",
        "Tokens",
        "1st",
        "a-b",
        "a;DROP DATABASE postgres",
        &"x".repeat(64),
    ] {
        match cluster.create_database(bad) {
            Err(PgError::BadName(name)) => assert_eq!(name, bad),
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn a_database_made_twice_is_a_failed_command_with_the_servers_reason() {
    let cluster = shared();
    cluster.create_database("databases_twice").unwrap();
    let error = cluster.create_database("databases_twice").unwrap_err();
    assert!(matches!(error, PgError::Failed { .. }), "{error:?}");
    assert!(error.to_string().contains("already exists"), "{error}");
}

#[test]
fn a_missing_installation_says_what_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let error = PgBinaries::in_dir(empty.path()).unwrap_err();
    assert!(matches!(error, PgError::NotInstalled { .. }), "{error:?}");
    assert!(
        error.to_string().contains("apt-get install postgresql"),
        "{error}"
    );

    let found = PgBinaries::get().unwrap();
    assert!(found.dir().join("initdb").is_file());
    let major: u32 = found.version().split('.').next().unwrap().parse().unwrap();
    assert!(major >= 15, "{}", found.version());
}
