//! What the harness costs on this machine. The figures are printed (`--nocapture`) and bounded
//! loosely, so a slow CI machine does not fail the suite but a regression by an order of
//! magnitude (a forgotten `--no-sync`, a spread checkpoint) does. Beside the other tests of the
//! binary every cluster fsyncs at once and the figures grow several-fold; alone:
//! `cargo test -p softtoken-testkit --test postgres timings -- --nocapture`.

use std::time::{Duration, Instant};

use softtoken_testkit::PgCluster;

#[test]
fn starting_a_cluster_a_database_and_a_standby() {
    let started = Instant::now();
    let mut primary = PgCluster::start().unwrap();
    let start = started.elapsed();

    let mut databases = Vec::new();
    for n in 0..5 {
        let started = Instant::now();
        primary.create_database(&format!("timing_{n}")).unwrap();
        databases.push(started.elapsed());
    }
    let database = databases.iter().sum::<Duration>() / 5;

    let started = Instant::now();
    let mut standby = PgCluster::standby(&primary).unwrap();
    let standby_setup = started.elapsed();

    let started = Instant::now();
    primary.kill9().unwrap();
    let kill = started.elapsed();
    let started = Instant::now();
    standby.promote().unwrap();
    let promote = started.elapsed();
    let started = Instant::now();
    primary.start_again().unwrap();
    let recover = started.elapsed();

    eprintln!(
        "postgres harness timings: cluster start {start:?}, create database {database:?} \
         (mean of 5, durable), standby {standby_setup:?}, kill -9 {kill:?}, promote {promote:?}, \
         start again after the crash {recover:?}"
    );
    assert!(
        start < Duration::from_secs(20),
        "cluster start took {start:?}"
    );
    assert!(
        database < Duration::from_secs(5),
        "a database took {database:?}"
    );
    assert!(
        standby_setup < Duration::from_secs(60),
        "a standby took {standby_setup:?}"
    );
}
