//! Load benchmark of the bank's login verification (`POST …/tokens/{user_id}/verify`) on the
//! real provider over HTTPS on loopback, on SQLite and on PostgreSQL (one and two provider
//! instances sharing a database), with durable settings: SQLite in WAL with `synchronous =
//! NORMAL` (every accepted code is in the WAL before its reply), PostgreSQL a throwaway
//! `PgCluster::start()` with `fsync` and `synchronous_commit` on. One command prints one
//! markdown table, a latency histogram per fixed-rate run, and the machine's load
//! (`/proc/loadavg`) before and after each run.
//!
//! Run: `cargo bench -p softtoken-server --bench verify_load` (release profile; the full set
//! takes about 6 minutes on the 2-core benchmark machine); `-- --test` is a smoke run (a 2,000-row
//! table, one-second runs) that checks the benchmark still works, not a measurement.
//!
//! What happens, per backend:
//!
//! 1. The provider starts in process as the test kit's `TestProvider` starts it (`--dev`: the
//!    demo service `10121234` and its bank API key), on its own Tokio runtime; for PostgreSQL
//!    on a fresh durable cluster, the second instance on the same database and data directory
//!    (same KEK).
//! 2. `testing::create_active_tokens` puts `VERIFY_LOAD_TOKENS` activated tokens with real seeds
//!    in the database: the tokens the closed-loop runs verify.
//! 3. For each table size the tokens table is filled up to that many rows with copies of one
//!    token (`fill.rs`), then for each instance count and kind of code a closed-loop run
//!    (`closed_loop.rs`: C HTTP/1.1 connections, round robin over the instances, valid unused
//!    codes or wrong codes; every request reads its token row and opens its seed afresh).
//! 4. The fixed-rate run (`open_loop.rs`): `VERIFY_LOAD_OPEN_RATE` requests/s of valid codes on
//!    fresh tokens from a separate process (this binary, started again), HTTP/2 on connections
//!    opened beforehand; latencies from each request's sending (at its scheduled time, within
//!    the timer's millisecond); p50/p99/p99.9/max and a log-bucket histogram, and beside it the
//!    disk's own sync latency over the run (`disk_probe.rs`), since every PostgreSQL commit
//!    waits for one.
//!
//! A PostgreSQL cluster is fresh, so its WAL segments are recycled once before anything is
//! measured (`recycle_wal`), as they are on a server that has been running.
//!
//! The client of the closed-loop runs runs in the same process, the open-loop client in
//! another: either way on the same cores as the provider (and PostgreSQL), which the figures
//! include.
//!
//! Environment (all optional): `VERIFY_LOAD_BACKENDS` (`sqlite`, `pg1`, `pg2`; default all),
//! `VERIFY_LOAD_SIZES` (tokens-table rows, default `10000,100000,1000000`), `VERIFY_LOAD_CODES`
//! (`valid`, `wrong`; default both), `VERIFY_LOAD_TOKENS` (tokens verified in closed loop,
//! default 10000, at most the smallest size), `VERIFY_LOAD_CONNECTIONS` (closed loop, default
//! 8), `VERIFY_LOAD_SECS` / `VERIFY_LOAD_WARMUP_SECS` (closed-loop run, default 6 / 1),
//! `VERIFY_LOAD_MAX_REQUESTS` (per closed-loop run, default 200000), `VERIFY_LOAD_OPEN_RATE`
//! (requests/s, default 3300; 0: no fixed-rate run), `VERIFY_LOAD_OPEN_SECS` /
//! `VERIFY_LOAD_OPEN_WARMUP_SECS` (default 10 / 2), `VERIFY_LOAD_SERVER_THREADS` /
//! `VERIFY_LOAD_CLIENT_THREADS` (Tokio workers, default 2 each).
#![allow(
    missing_docs,
    // A benchmark reports on stdout.
    clippy::print_stdout
)]

mod closed_loop;
mod disk_probe;
mod fill;
mod open_loop;
mod report;
mod settings;

use std::{error::Error, sync::Arc, time::Instant};

use softtoken_protocol::{
    ids::ServiceId,
    totp::{TokenParams, Totp},
};
use softtoken_server::{config::SslMode, storage::Db, testing};
use softtoken_testkit::{TestProvider, fixtures::SERVICE_ID, postgres::PgCluster};

use closed_loop::{BenchToken, Instance};
use report::{Latencies, Row, loadavg, rate};
use settings::{Codes, Settings};

type BoxError = Box<dyn Error + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    Sqlite,
    Postgres,
}

/// What every backend's measurement adds to.
struct Report {
    rows: Vec<Row>,
    histograms: Vec<(String, Latencies)>,
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == open_loop::CHILD_FLAG) {
        return open_loop::child(args.get(at + 1));
    }
    let settings = Settings::from_env(args.iter().any(|arg| arg == "--test"))?;
    let runtimes = Runtimes {
        server: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(settings.server_threads)
            .thread_name("provider")
            .enable_all()
            .build()?,
        client: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(settings.client_threads)
            .thread_name("client")
            .enable_all()
            .build()?,
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "verify_load: POST /v1/services/{SERVICE_ID}/tokens/{{user_id}}/verify over HTTPS on loopback"
    );
    println!(
        "  provider in process ({} Tokio workers per instance), closed-loop client in process ({} workers, \
         {} HTTP/1.1 connections), open-loop client in its own process; {cores} CPU cores shared; loadavg {}",
        settings.server_threads,
        settings.client_threads,
        settings.connections,
        loadavg()
    );
    let started = Instant::now();
    let mut report = Report {
        rows: Vec::new(),
        histograms: Vec::new(),
    };
    if settings.sqlite {
        measure(Store::Sqlite, &[1], &settings, &runtimes, &mut report)?;
    }
    if !settings.pg_instances.is_empty() {
        measure(
            Store::Postgres,
            &settings.pg_instances,
            &settings,
            &runtimes,
            &mut report,
        )?;
    }
    println!();
    println!(
        "closed loop: {} connections, {:.0} s + {:.0} s warm-up per run; open loop: {} requests/s, {:.0} s + {:.0} s warm-up, from a separate process; \
         latencies in ms; total {:.0} s",
        settings.connections,
        settings.measure.as_secs_f64(),
        settings.warmup.as_secs_f64(),
        settings.open_rate,
        settings.open_measure.as_secs_f64(),
        settings.open_warmup.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    println!();
    report::print_table(&report.rows);
    for (title, latencies) in &report.histograms {
        report::print_histogram(title, latencies);
    }
    Ok(())
}

struct Runtimes {
    server: tokio::runtime::Runtime,
    client: tokio::runtime::Runtime,
}

/// Every run on one backend, `instance_counts` the numbers of provider instances measured.
fn measure(
    store: Store,
    instance_counts: &[usize],
    settings: &Settings,
    runtimes: &Runtimes,
    report: &mut Report,
) -> Result<(), BoxError> {
    let cluster = match store {
        Store::Postgres => Some(PgCluster::start()?),
        Store::Sqlite => None,
    };
    let url = match &cluster {
        Some(cluster) => {
            let url = cluster.create_database("bench")?;
            recycle_wal(cluster)?;
            Some(url)
        }
        None => None,
    };
    let tweak = |config: &mut softtoken_server::config::Config| {
        config.database.url.clone_from(&url);
        if url.is_some() {
            config.database.sslmode = Some(SslMode::Disable);
        }
    };
    let first = runtimes.server.block_on(TestProvider::start_with(tweak))?;
    let mut providers = vec![first];
    let most = instance_counts.iter().copied().max().unwrap_or(1);
    while providers.len() < most {
        let dir = providers[0].data_dir().to_path_buf();
        providers.push(
            runtimes
                .server
                .block_on(TestProvider::start_in(&dir, tweak))?,
        );
    }
    let mut instances = Vec::new();
    for provider in &providers {
        let running = provider.server().ok_or("a provider is stopped")?;
        instances.push(Instance {
            url: provider.url().to_owned(),
            api_key: provider.api_key().to_owned(),
            ca_pem: provider.ca_pem().to_owned(),
            clock: Arc::clone(provider.clock()),
            state: Arc::clone(&running.state),
        });
    }
    let state = Arc::clone(&instances[0].state);
    let db = state.db.clone();
    println!();
    println!("{}", runtimes.server.block_on(describe(&db))?);

    let service_id = ServiceId::parse(SERVICE_ID)?;
    let smallest = settings.sizes.first().copied().unwrap_or(1);
    let count = settings
        .verify_tokens
        .min(usize::try_from(smallest).unwrap_or(usize::MAX));
    let created_at = Instant::now();
    let created =
        runtimes
            .server
            .block_on(testing::create_active_tokens(&state, &service_id, count))?;
    let params = TokenParams::default();
    let tokens = Arc::new(
        created
            .iter()
            .map(|(user_id, seed)| {
                Ok(BenchToken {
                    user_id: *user_id,
                    totp: Totp::new(params, seed)?,
                })
            })
            .collect::<Result<Vec<_>, BoxError>>()?,
    );
    let template = created
        .first()
        .map(|(id, _)| *id)
        .ok_or("no token created")?;
    drop(created);
    println!(
        "  {count} tokens to verify created in {:.1} s",
        created_at.elapsed().as_secs_f64()
    );

    let mut next_ballast = 1;
    for size in &settings.sizes {
        let filled_at = Instant::now();
        let rows = runtimes.server.block_on(async {
            let rows = fill::fill_to(&db, &service_id, &template, *size, &mut next_ballast).await?;
            fill::settle(&db).await?;
            Ok::<_, BoxError>(rows)
        })?;
        println!(
            "  tokens table at {rows} rows ({:.1} s)",
            filled_at.elapsed().as_secs_f64()
        );
        for &count in instance_counts {
            for &codes in &settings.codes {
                closed_loop::fresh_start(&instances);
                if codes == Codes::Wrong {
                    // The verified tokens only (`create_active_tokens` names their customers
                    // `bench-…`), through the customer index: a scan of 1M rows may outlast
                    // the statement timeout.
                    runtimes.server.block_on(db.test_execute(
                        "UPDATE tokens SET failures = 0 WHERE service_id = $1 \
                         AND customer_ref >= 'bench-' AND customer_ref < 'bench.' AND failures > 0",
                        &[SERVICE_ID],
                    ))?;
                }
                let load_before = loadavg();
                let result = runtimes.client.block_on(closed_loop::run(
                    &instances,
                    count,
                    settings.connections,
                    codes,
                    &tokens,
                    settings.warmup,
                    settings.measure,
                    settings.max_requests,
                ))?;
                let row = Row {
                    backend: label(store, count),
                    table_tokens: rows,
                    codes: codes.label(),
                    load: format!("closed, {} conn.", settings.connections),
                    requests: result.requests,
                    errors: result.errors.values().sum(),
                    per_second: rate(result.expected, result.elapsed),
                    latencies: Latencies::new(result.latencies),
                    load_before,
                    load_after: loadavg(),
                    note: if result.exhausted {
                        "stopped early: request bound".to_owned()
                    } else {
                        String::new()
                    },
                };
                print_run(&row, &result.errors);
                report.rows.push(row);
            }
        }
    }

    if settings.open_rate > 0 {
        for &count in instance_counts {
            open_loop_run(
                store,
                count,
                &instances,
                &service_id,
                settings,
                runtimes,
                report,
            )?;
        }
    }

    for provider in providers.iter_mut().rev() {
        runtimes.server.block_on(provider.stop());
    }
    drop(cluster);
    Ok(())
}

/// Makes the fresh cluster's WAL what a server that has been running has: segments that are
/// recycled, not created. A fresh cluster creates each new 16 MiB WAL segment on the commit
/// path that first needs it, writing it full of zeros and syncing it, which a running server —
/// whose checkpoints rename old segments for reuse — does not do. So 32 segments are filled
/// here and a checkpoint recycles them (its log line: "32 recycled") before anything is
/// measured.
fn recycle_wal(cluster: &PgCluster) -> Result<(), BoxError> {
    cluster.psql(
        "postgres",
        "CREATE TABLE wal_warmup (n integer);
         DO $$ BEGIN
             FOR i IN 1..32 LOOP
                 INSERT INTO wal_warmup SELECT generate_series(1, 100);
                 PERFORM pg_switch_wal();
             END LOOP;
         END $$;
         DROP TABLE wal_warmup;
         CHECKPOINT;",
    )?;
    Ok(())
}

/// The fixed-rate run on `count` instances, from a separate process, on fresh tokens.
fn open_loop_run(
    store: Store,
    count: usize,
    instances: &[Instance],
    service_id: &ServiceId,
    settings: &Settings,
    runtimes: &Runtimes,
    report: &mut Report,
) -> Result<(), BoxError> {
    let state = &instances[0].state;
    let db = state.db.clone();
    let needed = open_loop::Spec::requests(
        settings.open_rate,
        settings.open_warmup,
        settings.open_measure,
    );
    let (created, rows) = runtimes.server.block_on(async {
        let created = testing::create_active_tokens(state, service_id, needed).await?;
        fill::settle(&db).await?;
        Ok::<_, BoxError>((created, fill::count(&db).await?))
    })?;
    closed_loop::fresh_start(instances);
    let spec = open_loop::Spec {
        targets: instances[..count]
            .iter()
            .map(|instance| open_loop::Target {
                url: instance.url.clone(),
                api_key: instance.api_key.clone(),
                ca_pem: instance.ca_pem.clone(),
                clock_offset_ms: instance.clock.offset_ms(),
            })
            .collect(),
        rate: settings.open_rate,
        warmup_ms: u64::try_from(settings.open_warmup.as_millis())?,
        measure_ms: u64::try_from(settings.open_measure.as_millis())?,
        tokens: created
            .iter()
            .map(|(user_id, seed)| (user_id.to_string(), hex::encode(seed)))
            .collect(),
    };
    drop(created);
    let dir = tempfile::tempdir()?;
    let load_before = loadavg();
    let probe = disk_probe::DiskProbe::start()?;
    let outcome = open_loop::run_child(&spec, dir.path())?;
    let disk = probe.finish()?;
    let latencies = Latencies::new(
        outcome
            .latencies_us
            .iter()
            .map(|us| std::time::Duration::from_micros(*us))
            .collect(),
    );
    let row = Row {
        backend: label(store, count),
        table_tokens: rows,
        codes: "valid",
        load: format!("open, {}/s", settings.open_rate),
        requests: outcome.requests,
        errors: outcome.errors.values().sum(),
        per_second: rate(
            outcome.accepted,
            std::time::Duration::from_millis(outcome.elapsed_ms),
        ),
        latencies: latencies.clone(),
        load_before,
        load_after: loadavg(),
        note: String::new(),
    };
    print_run(&row, &outcome.errors);
    let disk_line = format!(
        "disk during the run: {} syncs of 4 KiB (fdatasync, every 5 ms, beside the database): p50 {} p99 {} max {} ms",
        disk.len(),
        report::ms(disk.at(0.5)),
        report::ms(disk.at(0.99)),
        report::ms(disk.at(1.0)),
    );
    println!("    {disk_line}");
    report.rows.push(row);
    report.histograms.push((
        format!(
            "{}, {} valid verifications/s from a separate process ({disk_line})",
            label(store, count),
            settings.open_rate
        ),
        latencies,
    ));
    Ok(())
}

fn label(store: Store, instances: usize) -> String {
    match store {
        Store::Sqlite => "SQLite".to_owned(),
        Store::Postgres => format!("PostgreSQL ×{instances}"),
    }
}

/// One run's line while the benchmark goes on (the table comes at the end).
fn print_run(row: &Row, errors: &std::collections::BTreeMap<String, usize>) {
    println!(
        "  {} | {} rows | {} codes | {} | {} requests, {} errors, {:.0}/s, p50 {} p99 {} p99.9 {} max {} ms | load {} → {}",
        row.backend,
        row.table_tokens,
        row.codes,
        row.load,
        row.requests,
        row.errors,
        row.per_second,
        report::ms(row.latencies.at(0.5)),
        report::ms(row.latencies.at(0.99)),
        report::ms(row.latencies.at(0.999)),
        report::ms(row.latencies.at(1.0)),
        row.load_before,
        row.load_after
    );
    for (kind, n) in errors {
        println!("      {n} × {kind}");
    }
}

/// The backend's durability settings, as the database reports them.
async fn describe(db: &Db) -> Result<String, BoxError> {
    Ok(match db.backend() {
        softtoken_server::storage::Backend::Sqlite => {
            let mut conn = db.writer_pool().acquire().await?;
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await?;
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await?;
            let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *conn)
                .await?;
            format!(
                "SQLite: journal_mode={mode}, synchronous={sync} (1 = NORMAL: a reply leaves after its commit is in the WAL), \
                 checkpoints every {} ms off the request path (writer's own past {pages} pages)",
                softtoken_server::storage::checkpointer::CHECKPOINT_INTERVAL.as_millis()
            )
        }
        softtoken_server::storage::Backend::Postgres => {
            let show = |name: &'static str| async move {
                db.test_texts(&format!("SHOW {name}"), &[])
                    .await
                    .map(|rows| {
                        rows.into_iter()
                            .next()
                            .and_then(|row| row.into_iter().next().flatten())
                            .unwrap_or_default()
                    })
            };
            let version = show("server_version").await?;
            format!(
                "PostgreSQL {version} (throwaway cluster, same machine): fsync={}, synchronous_commit={}, full_page_writes={}",
                show("fsync").await?,
                show("synchronous_commit").await?,
                show("full_page_writes").await?
            )
        }
    })
}
