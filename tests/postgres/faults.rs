//! Stop, crash (SIGKILL), start again, restart; and that nothing is left behind, whether the
//! cluster is dropped or the test process is killed.

use std::{
    env,
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use softtoken_testkit::{PgCluster, PgError};
use sqlx::{Connection, PgConnection};

use crate::{connect, execute, texts};

#[tokio::test]
async fn stop_and_start_again_keep_the_port_and_the_data() {
    let mut cluster = PgCluster::start().unwrap();
    // Durable by default: what a bank's database runs with (the shared cluster is not).
    let durability = cluster
        .psql(
            "postgres",
            "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings \
             WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')",
        )
        .unwrap();
    assert_eq!(
        durability,
        "fsync=on full_page_writes=on synchronous_commit=on"
    );
    let url = cluster.create_database("faults_stop").unwrap();
    let pool = connect(&url).await;
    execute(&pool, "CREATE TABLE t (v text)").await;
    execute(&pool, "INSERT INTO t VALUES ('before the stop')").await;
    pool.close().await;
    let port = cluster.port();

    cluster.stop().unwrap();
    assert!(!cluster.is_running());
    assert_eq!(cluster.postmaster_pid(), None);
    assert!(
        // One attempt: a pool would retry until its acquire timeout.
        PgConnection::connect(&url).await.is_err(),
        "the stopped server answered"
    );
    assert!(matches!(cluster.stop(), Err(PgError::State(_))));

    cluster.start_again().unwrap();
    assert_eq!(cluster.port(), port);
    let pool = connect(&url).await;
    assert_eq!(texts(&pool, "SELECT v FROM t").await, ["before the stop"]);
    assert!(matches!(cluster.start_again(), Err(PgError::State(_))));
}

#[tokio::test]
async fn a_crash_by_sigkill_keeps_every_committed_row() {
    let mut cluster = PgCluster::start().unwrap();
    let url = cluster.create_database("faults_crash").unwrap();
    let pool = connect(&url).await;
    execute(&pool, "CREATE TABLE t (n int)").await;
    execute(&pool, "INSERT INTO t SELECT generate_series(1, 1000)").await;
    let postmaster = cluster.postmaster_pid().unwrap();
    let mut open = PgConnection::connect(&url).await.unwrap();

    cluster.kill9().unwrap();
    assert!(!running(postmaster), "the postmaster survived SIGKILL");
    // An open connection was cut without a goodbye (one connection: a pool would retry until
    // its acquire timeout).
    assert!(sqlx::query("SELECT 1").execute(&mut open).await.is_err());
    assert!(matches!(cluster.kill9(), Err(PgError::State(_))));

    cluster.start_again().unwrap();
    let log = std::fs::read_to_string(cluster.log_path()).unwrap();
    assert!(
        log.contains("database system was interrupted"),
        "no crash recovery in:\n{log}"
    );
    let pool = connect(&url).await;
    assert_eq!(texts(&pool, "SELECT count(*)::text FROM t").await, ["1000"]);
}

#[tokio::test]
async fn restart_keeps_the_data() {
    let mut cluster = PgCluster::start().unwrap();
    let url = cluster.create_database("faults_restart").unwrap();
    let pool = connect(&url).await;
    execute(&pool, "CREATE TABLE t (v text)").await;
    execute(&pool, "INSERT INTO t VALUES ('kept')").await;
    let before = cluster.postmaster_pid().unwrap();

    cluster.restart().unwrap();
    assert!(cluster.is_running());
    assert_ne!(cluster.postmaster_pid().unwrap(), before);
    let pool = connect(&url).await;
    assert_eq!(texts(&pool, "SELECT v FROM t").await, ["kept"]);
}

#[test]
fn dropping_a_cluster_stops_it_and_removes_its_directory() {
    let cluster = PgCluster::start().unwrap();
    let dir = cluster.dir().to_path_buf();
    let postmaster = cluster.postmaster_pid().unwrap();
    let watchdog = cluster.watchdog_pid();
    assert!(dir.join("data/PG_VERSION").is_file());

    drop(cluster);
    assert!(!dir.exists(), "{} is still there", dir.display());
    assert!(!running(postmaster), "the postmaster still runs");
    assert!(!running(watchdog), "the watchdog still runs");
}

/// The variable that turns [`holds_a_cluster_until_killed`] from a no-op into the child
/// process of [`a_killed_test_process_leaves_no_server_behind`].
const CHILD: &str = "SOFTTOKEN_PG_HARNESS_CHILD";

#[test]
fn a_killed_test_process_leaves_no_server_behind() {
    // This test binary again, running only the ignored test below, which starts a cluster,
    // reports it and waits to be killed.
    let mut child = Command::new(env::current_exe().unwrap())
        .args([
            "faults::holds_a_cluster_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let report = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("CLUSTER ").map(str::to_owned))
        .expect("the child reported no cluster");
    let (pid, dir) = report.split_once(' ').unwrap();
    let (pid, dir) = (pid.parse::<u32>().unwrap(), Path::new(dir));
    assert!(running(pid) && dir.exists());

    // SIGKILL: no Drop, no destructor of any kind runs in the child.
    child.kill().unwrap();
    child.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(15);
    while running(pid) || dir.exists() {
        assert!(
            Instant::now() < deadline,
            "15 s after the kill: postmaster running {}, {} present {}",
            running(pid),
            dir.display(),
            dir.exists()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "the child process of a_killed_test_process_leaves_no_server_behind"]
fn holds_a_cluster_until_killed() {
    if env::var_os(CHILD).is_none() {
        return;
    }
    let cluster = PgCluster::start().unwrap();
    println!(
        "CLUSTER {} {}",
        cluster.postmaster_pid().unwrap(),
        cluster.dir().display()
    );
    thread::sleep(Duration::from_secs(120));
}

/// Whether process `pid` runs (a zombie does not count: it holds no port and no memory).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rfind(')')
            .and_then(|end| stat[end + 1..].split_whitespace().next());
        state != Some("Z")
    })
}
