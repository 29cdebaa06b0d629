//! `softtoken-server copy-database`, for real: a SQLite provider that served real phones (OPAQUE
//! activations, accepted, wrong and offline codes, a revoked token, a pending transaction) is
//! copied by the binary into an empty database of a throwaway PostgreSQL cluster; the counts
//! match, and the provider started on PostgreSQL carries on where SQLite left off (a fresh code
//! accepted, the codes used before the copy replayed, counters and states kept). A second copy
//! into the now non-empty target, an outdated source and a wrong KEK are refused before
//! anything is written; and the copy knows every table the migrations make.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Output,
    time::{Duration, Instant},
};

use common::serve::{BIN, run, run_fails, s};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    transaction::{OfflineChallenge, TransactionState},
    wire::{IssueTokenRequest, TokenState, VerifyResult},
};
use softtoken_server::{
    config::{Config, DatabaseConfig, DatabaseLocation, SslMode},
    secrets::kek::generate_kek_file,
    server,
    storage::{Db, Missing, copy::TABLES},
    tls::dev_tls_paths,
};
use softtoken_testkit::{
    Activated, BankClient, DeviceClient, PgCluster, TestProvider,
    fixtures::{self, ACTIVATION_PASSWORD},
};

/// `copy-database --from SOURCE --config CONFIG`.
fn copy_args<'a>(source: &'a Path, config: &'a Path) -> [&'a str; 5] {
    ["copy-database", "--from", s(source), "--config", s(config)]
}

/// `softtoken-server copy-database --from SOURCE --config CONFIG`, bounded (`common::serve`).
async fn copy_database(source: &Path, config: &Path) -> Output {
    run(&copy_args(source, config)).await
}

/// A copy that must be refused (exit code 2): its stderr.
async fn copy_refused(source: &Path, config: &Path) -> String {
    run_fails(&copy_args(source, config), 2).await
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A TOML configuration of the provider in `data_dir` (its development TLS files), with the KEK
/// in `kek_file` and the database `url` (plain TCP: the cluster is on 127.0.0.1).
fn write_config(dir: &Path, data_dir: &Path, kek_file: &Path, url: &str) -> PathBuf {
    let postgres = url.starts_with("postgres");
    let tls = dev_tls_paths(data_dir);
    let toml = format!(
        "listen = \"127.0.0.1:0\"\n\
         data_dir = {data_dir:?}\n\
         [tls]\n\
         cert_file = {cert:?}\n\
         key_file = {key:?}\n\
         [kek.current]\n\
         version = 1\n\
         file = {kek_file:?}\n\
         [database]\n\
         url = {url:?}\n\
         {sslmode}",
        cert = tls.cert_pem,
        key = tls.key_pem,
        sslmode = if postgres {
            "sslmode = \"disable\"\n"
        } else {
            ""
        },
    );
    let path = dir.join(format!("config-{}.toml", rand_suffix()));
    std::fs::write(&path, toml).unwrap();
    path
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The rows of every table of [`TABLES`] in `db`.
async fn counts(db: &Db) -> BTreeMap<&'static str, i64> {
    let mut counts = BTreeMap::new();
    for table in TABLES {
        let sql = format!("SELECT count(*) FROM {table}");
        counts.insert(*table, db.test_scalar(&sql, &[]).await.unwrap());
    }
    counts
}

/// The counts `copy-database` printed: `table  SQLite  PostgreSQL` lines.
fn printed_counts(stdout: &str) -> BTreeMap<String, (i64, i64)> {
    stdout
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [table, source, target] => Some((
                    (*table).to_owned(),
                    (source.parse().ok()?, target.parse().ok()?),
                )),
                _ => None,
            }
        })
        .collect()
}

fn location(url: &str) -> DatabaseLocation {
    DatabaseConfig {
        url: Some(url.to_owned()),
        sslmode: Some(SslMode::Disable),
        ..DatabaseConfig::default()
    }
    .location(Path::new("/nonexistent"))
    .unwrap()
}

/// Whether the PostgreSQL database at `url` has any table (the provider's schema or another).
async fn has_tables(url: &str) -> bool {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(&format!("{url}?sslmode=disable"))
        .await
        .unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    tables > 0
}

/// A token issued to `email` and activated on a phone with real OPAQUE.
async fn activated(bank: &BankClient, phone: &DeviceClient, email: &str) -> (UserId, Activated) {
    let token = bank
        .issue_with(&IssueTokenRequest {
            email: email.into(),
            activation_password: ACTIVATION_PASSWORD.into(),
            label: None,
            customer_ref: Some(email.into()),
        })
        .await
        .unwrap();
    let app = phone
        .activate(&token.service_id, &token.user_id, ACTIVATION_PASSWORD)
        .await
        .unwrap();
    (token.user_id, app)
}

#[tokio::test]
async fn a_copied_provider_serves_from_postgresql_where_sqlite_left_off() {
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();
    // The SQLite provider, whatever backend the suites run on.
    let mut sqlite = TestProvider::start_with(|config| {
        config.database = DatabaseConfig::default();
    })
    .await
    .unwrap();
    let data_dir = sqlite.data_dir().to_path_buf();
    let bank = sqlite.bank().unwrap();
    let phone = sqlite.device().unwrap();
    let service = ServiceId::parse(fixtures::SERVICE_ID).unwrap();

    // A token confirmed with a code, an offline code accepted, then a wrong code counted.
    let (user, app) = activated(&bank, &phone, "hanako@example.jp").await;
    sqlite.settle(app.params.period());
    let code = app.code_at(sqlite.now_ms(), 0);
    assert_eq!(
        bank.verify(user, &code).await.unwrap().result,
        VerifyResult::Accepted
    );
    let keys = app.transaction_keys(&service, &user);
    let challenge = OfflineChallenge::parse("1234567", None).unwrap();
    let offline = keys
        .offline_code(&challenge, sqlite.now_ms() / 1000)
        .as_str()
        .to_owned();
    let accepted = bank
        .verify_challenge(user, "1234567", None, &offline)
        .await
        .unwrap();
    assert_eq!(accepted.result, VerifyResult::Accepted);
    let mut wrong = code.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let rejected = bank.verify(user, &wrong).await.unwrap();
    assert_eq!(rejected.result, VerifyResult::Rejected);
    // A pending transfer.
    let pending = bank
        .register_transaction(user, &fixtures::transfer("7654321", 12_345))
        .await
        .unwrap();
    // A revoked token; a token issued and never activated; an activation left half-way; an
    // activation start for a User ID that has no token.
    let (revoked, revoked_app) = activated(&bank, &phone, "taro@example.jp").await;
    bank.revoke(revoked).await.unwrap();
    let issued = bank
        .issue("jiro@example.jp", ACTIVATION_PASSWORD)
        .await
        .unwrap();
    let half = bank
        .issue("saburo@example.jp", ACTIVATION_PASSWORD)
        .await
        .unwrap();
    phone
        .start_activation(&half.service_id, &half.user_id, ACTIVATION_PASSWORD)
        .await
        .unwrap();
    let nobody = UserId::from_body("10121234000042").unwrap();
    let _ = phone
        .start_activation(&service, &nobody, ACTIVATION_PASSWORD)
        .await;
    // And one for a Service ID no service has (the unknown-service setup answers it).
    let _ = phone
        .start_activation(
            &ServiceId::parse("99999999").unwrap(),
            &nobody,
            ACTIVATION_PASSWORD,
        )
        .await;
    let mut before = BTreeMap::new();
    for token in [user, revoked, issued.user_id] {
        before.insert(token.to_string(), bank.details(token).await.unwrap());
    }
    sqlite.stop().await;

    let source = data_dir.join("softtoken.db");
    let sqlite_db = Db::open(
        &DatabaseLocation::Sqlite {
            path: source.clone(),
            full_sync: false,
        },
        Missing::Refuse,
    )
    .await
    .unwrap();
    let source_counts = counts(&sqlite_db).await;
    sqlite_db.close().await;
    // Every table has rows, so each one's copy is put to the test.
    for (table, rows) in &source_counts {
        assert!(*rows > 0, "the source's {table} is empty");
    }

    // The copy, into a new empty database.
    let cluster = PgCluster::shared().unwrap();
    let url = cluster.create_database("copy_target").unwrap();
    let config = write_config(work.path(), &data_dir, &data_dir.join("kek.hex"), &url);
    let copy_started = Instant::now();
    let out = copy_database(&source, &config).await;
    let copy_took = copy_started.elapsed();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("the counts match"), "{stdout}");
    eprint!("{stdout}");
    let printed = printed_counts(&stdout);
    let pg = Db::open(&location(&url), Missing::Refuse).await.unwrap();
    let target_counts = counts(&pg).await;
    assert_eq!(target_counts, source_counts);
    for table in TABLES {
        assert_eq!(
            printed.get(*table),
            Some(&(source_counts[table], source_counts[table])),
            "{stdout}"
        );
    }
    let audit_before: i64 = pg
        .test_scalar("SELECT max(id) FROM audit", &[])
        .await
        .unwrap();
    pg.close().await;

    // The provider on PostgreSQL, same data directory (TLS, KEK, the bank's API key).
    let mut postgres = TestProvider::start_in(&data_dir, |config| {
        config.database.url = Some(url.clone());
        config.database.sslmode = Some(SslMode::Disable);
    })
    .await
    .unwrap();
    let bank = postgres.bank().unwrap();
    let state = &postgres.server().unwrap().state;
    assert_eq!(
        state.db.backend(),
        softtoken_server::storage::Backend::Postgres
    );
    for (token, details) in &before {
        let now = bank.details(token).await.unwrap();
        assert_eq!(
            (
                now.state,
                now.failures_left,
                now.activation_attempts_left,
                now.last_used_at_ms,
                now.confirmed_at_ms,
                now.revoked_at_ms,
                now.issued_at_ms,
            ),
            (
                details.state,
                details.failures_left,
                details.activation_attempts_left,
                details.last_used_at_ms,
                details.confirmed_at_ms,
                details.revoked_at_ms,
                details.issued_at_ms,
            ),
            "token {token}"
        );
    }
    // The wrong code is still counted; the revoked token still revoked.
    assert_eq!(
        before[&user.to_string()].failures_left,
        rejected.failures_left
    );
    assert_eq!(before[&revoked.to_string()].state, TokenState::Revoked);
    let code_now = revoked_app.code_at(postgres.now_ms(), 0);
    assert_eq!(
        bank.verify(revoked, &code_now).await.unwrap().result,
        VerifyResult::Revoked
    );
    // The codes used before the copy are replayed (the last accepted step came along, and the
    // offline code's challenge).
    assert_eq!(
        bank.verify(user, &code).await.unwrap().result,
        VerifyResult::Replayed
    );
    assert_eq!(
        bank.verify_challenge(user, "1234567", None, &offline)
            .await
            .unwrap()
            .result,
        VerifyResult::Replayed
    );
    // The pending transfer is still pending.
    assert_eq!(
        bank.transaction(&pending.id, 0).await.unwrap().state,
        TransactionState::Pending
    );
    // A fresh code (two steps on: past any step used before) verifies with the copied seed.
    postgres
        .clock()
        .advance(Duration::from_secs(2 * u64::from(app.params.period())));
    let fresh = app.code_at(postgres.now_ms(), 0);
    let verdict = bank.verify(user, &fresh).await.unwrap();
    assert_eq!(verdict.result, VerifyResult::Accepted);
    postgres.stop().await;

    // The audit's ids carry on after the copied ones.
    let pg = Db::open(&location(&url), Missing::Refuse).await.unwrap();
    let audit_after: i64 = pg
        .test_scalar("SELECT max(id) FROM audit", &[])
        .await
        .unwrap();
    assert!(
        audit_after > audit_before,
        "{audit_after} <= {audit_before}"
    );

    // A second copy into the now non-empty target: refused, nothing changed.
    let counts_now = counts(&pg).await;
    let stderr = copy_refused(&source, &config).await;
    assert!(
        stderr.contains("is not empty: table kek_check has rows"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(counts(&pg).await, counts_now);
    pg.close().await;
    eprintln!(
        "copy_database: the copy took {:.2} s, the whole test {:.1} s",
        copy_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

/// A SQLite provider database with its KEK check value and the demo service, made by the
/// store's own opening (no HTTPS, no OPAQUE): a source for the refusals.
async fn small_source(data_dir: &Path) -> (Config, PathBuf) {
    let config = Config::dev(data_dir, "127.0.0.1:0".parse().unwrap()).unwrap();
    let (db, _) = server::open_store(&config, Missing::Create).await.unwrap();
    db.close().await;
    (config, data_dir.join("softtoken.db"))
}

#[tokio::test]
async fn an_outdated_source_a_wrong_kek_or_a_sqlite_target_is_refused_before_writing() {
    let work = tempfile::tempdir().unwrap();
    let data_dir = work.path().join("data");
    let (_, source) = small_source(&data_dir).await;
    let cluster = PgCluster::shared().unwrap();
    let url = cluster.create_database("copy_refusals").unwrap();

    // A KEK that did not seal the source's secrets.
    let other_kek = work.path().join("other-kek.hex");
    generate_kek_file(&other_kek).unwrap();
    let wrong_kek = write_config(work.path(), &data_dir, &other_kek, &url);
    let stderr = copy_refused(&source, &wrong_kek).await;
    assert!(
        stderr.contains("key-encryption keys cannot open"),
        "{stderr}"
    );
    assert!(!has_tables(&url).await, "the target was written");

    // A SQLite target.
    let kek = data_dir.join("kek.hex");
    let sqlite_target = write_config(
        work.path(),
        &data_dir,
        &kek,
        &format!("sqlite://{}", work.path().join("other.db").display()),
    );
    let stderr = copy_refused(&source, &sqlite_target).await;
    assert!(
        stderr.contains("the configuration's database is SQLite"),
        "{stderr}"
    );

    // No source at all.
    let config = write_config(work.path(), &data_dir, &kek, &url);
    let stderr = copy_refused(&work.path().join("missing.db"), &config).await;
    assert!(stderr.contains("no database at"), "{stderr}");

    // A source at an older schema version (as a provider of the previous release left it).
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", source.display()))
            .await
            .unwrap();
        sqlx::query("PRAGMA user_version = 3")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let stderr = copy_refused(&source, &config).await;
    assert!(
        stderr.contains("schema version 3")
            && stderr.contains("run `softtoken-server migrate` on it first"),
        "{stderr}"
    );
    assert!(!has_tables(&url).await, "the target was written");
}

/// The tables of a database the migrations made: SQLite's from `sqlite_master`, PostgreSQL's
/// from `information_schema` (the migrations' own bookkeeping left out).
async fn tables(db: &Db, sql: &str) -> BTreeSet<String> {
    db.test_texts(sql, &[])
        .await
        .unwrap()
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .filter(|table| table != "_sqlx_migrations")
        .collect()
}

/// If a migration adds a table, this fails until the copy knows it (and where it goes among
/// the foreign keys).
#[tokio::test]
async fn the_copy_knows_every_table_of_both_schemas_in_foreign_key_order() {
    let known: BTreeSet<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(known.len(), TABLES.len(), "a table is listed twice");

    let work = tempfile::tempdir().unwrap();
    let sqlite = Db::open(
        &DatabaseLocation::Sqlite {
            path: work.path().join("fresh.db"),
            full_sync: false,
        },
        Missing::Create,
    )
    .await
    .unwrap();
    let in_sqlite = tables(
        &sqlite,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .await;
    assert_eq!(
        in_sqlite, known,
        "SQLite's tables are not the copy's TABLES"
    );
    sqlite.close().await;

    let url = PgCluster::shared()
        .unwrap()
        .create_database("copy_tables")
        .unwrap();
    let pg = Db::open(&location(&url), Missing::Create).await.unwrap();
    let in_postgres = tables(
        &pg,
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .await;
    assert_eq!(
        in_postgres, known,
        "PostgreSQL's tables are not the copy's TABLES"
    );

    // Every foreign key names a table copied before its own.
    let references = pg
        .test_texts(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint \
             WHERE contype = 'f'",
            &[],
        )
        .await
        .unwrap();
    assert!(!references.is_empty());
    let position = |table: &str| TABLES.iter().position(|t| *t == table).unwrap();
    for pair in references {
        let (table, parent) = (pair[0].clone().unwrap(), pair[1].clone().unwrap());
        assert!(
            position(&parent) < position(&table),
            "{table} refers to {parent}, which TABLES lists after it"
        );
    }
    pg.close().await;
}

/// Measurement, not run by default (`cargo test -p softtoken-server --test copy_database --
/// --ignored --nocapture`): the copy of a source whose audit has 20,000 and then 200,000 rows,
/// its time and the command's peak memory (by `/usr/bin/time`), which stays flat as the audit
/// grows because rows are streamed in batches.
#[tokio::test]
#[ignore = "a measurement: run by hand"]
async fn a_large_audit_is_streamed_in_bounded_memory() {
    for rows in [20_000u32, 200_000] {
        let work = tempfile::tempdir().unwrap();
        let data_dir = work.path().join("data");
        let (config, source) = small_source(&data_dir).await;
        let (db, _) = server::open_store(&config, Missing::Refuse).await.unwrap();
        db.test_execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < CAST($1 AS INTEGER)) \
             INSERT INTO audit (at_ms, service_id, user_id, event, outcome, actor, detail) \
             SELECT 1764547200000 + i, '10121234', 'AB12345678901234', 'verify', 'accepted', \
             'bank', 'a detail of some forty characters, as most' FROM n",
            &[&rows.to_string()],
        )
        .await
        .unwrap();
        db.close().await;
        let url = PgCluster::shared()
            .unwrap()
            .create_database(&format!("copy_large_{rows}"))
            .unwrap();
        let target = write_config(work.path(), &data_dir, &data_dir.join("kek.hex"), &url);
        let started = Instant::now();
        let out = tokio::process::Command::new("/usr/bin/time")
            .args(["-f", "peak RSS %M KiB"])
            .arg(BIN)
            .arg("copy-database")
            .arg("--from")
            .arg(&source)
            .arg("--config")
            .arg(&target)
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        eprintln!(
            "{rows} audit rows: {:.2} s, {}",
            started.elapsed().as_secs_f64(),
            text(&out.stderr).trim()
        );
    }
}
