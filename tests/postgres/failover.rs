//! A synchronous standby: the primary waits for it, it serves reads, and after the primary
//! crashes it is promoted and takes writes, with every row the primary confirmed.

use std::time::Duration;

use softtoken_testkit::{PgCluster, PgError, postgres::Role};

use crate::{connect, execute, texts};

#[tokio::test]
async fn write_on_primary_read_on_standby_crash_the_primary_promote_write() {
    let mut primary = PgCluster::start().unwrap();
    let url = primary.create_database("failover").unwrap();
    let mut standby = PgCluster::standby(&primary).unwrap();
    assert_eq!(standby.role(), Role::Standby);
    assert_ne!(standby.port(), primary.port());
    assert_eq!(
        primary
            .psql("postgres", "SELECT sync_state FROM pg_stat_replication")
            .unwrap(),
        "sync"
    );

    // Write on the primary: the commit returns once the standby has it on disk.
    let on_primary = connect(&url).await;
    execute(
        &on_primary,
        "CREATE TABLE payments (id int PRIMARY KEY, payee text)",
    )
    .await;
    execute(
        &on_primary,
        "INSERT INTO payments VALUES (1, 'before the crash')",
    )
    .await;

    // Read on the standby (once replayed); it refuses writes.
    standby.wait_for_replay(&primary).unwrap();
    let standby_url = standby.url("failover");
    let on_standby = connect(&standby_url).await;
    assert_eq!(
        texts(&on_standby, "SELECT payee FROM payments").await,
        ["before the crash"]
    );
    let refused = sqlx::query("INSERT INTO payments VALUES (2, 'x')")
        .execute(&on_standby)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("read-only transaction"),
        "{refused}"
    );
    assert!(matches!(primary.promote(), Err(PgError::State(_))));

    // The primary crashes; the standby is promoted and takes writes.
    primary.kill9().unwrap();
    standby.promote().unwrap();
    assert_eq!(standby.role(), Role::Primary);
    let on_new_primary = connect(&standby_url).await;
    execute(
        &on_new_primary,
        "INSERT INTO payments VALUES (2, 'after the failover')",
    )
    .await;
    assert_eq!(
        texts(&on_new_primary, "SELECT payee FROM payments ORDER BY id").await,
        ["before the crash", "after the failover"]
    );
    // The promoted standby has no standby of its own to wait for.
    assert_eq!(
        standby
            .psql("postgres", "SHOW synchronous_standby_names")
            .unwrap(),
        ""
    );
}

#[tokio::test]
async fn a_commit_on_the_primary_waits_while_its_standby_is_down() {
    let primary = PgCluster::start().unwrap();
    let url = primary.create_database("failover_wait").unwrap();
    let mut standby = PgCluster::standby(&primary).unwrap();
    let on_primary = connect(&url).await;
    execute(&on_primary, "CREATE TABLE t (v text)").await;

    standby.stop().unwrap();
    let insert = sqlx::query("INSERT INTO t VALUES ('waits for the standby')").execute(&on_primary);
    let mut insert = Box::pin(insert);
    assert!(
        tokio::time::timeout(Duration::from_secs(1), &mut insert)
            .await
            .is_err(),
        "the commit returned with no standby to confirm it"
    );

    standby.start_again().unwrap();
    tokio::time::timeout(Duration::from_secs(30), insert)
        .await
        .expect("the commit still waits after the standby came back")
        .unwrap();
    standby.wait_for_replay(&primary).unwrap();
    let on_standby = connect(&standby.url("failover_wait")).await;
    assert_eq!(
        texts(&on_standby, "SELECT v FROM t").await,
        ["waits for the standby"]
    );
}
