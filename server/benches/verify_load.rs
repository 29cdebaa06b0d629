//! Load benchmark of the bank's verify calls: valid verifications per second and latency
//! percentiles of a bounded, closed-loop Rust client against the real provider over HTTPS on
//! loopback, with SQLite in its default durability (WAL + `synchronous = NORMAL`: every accepted
//! code is in the WAL before the reply leaves, so it survives a crash of the process). Two
//! calls, measured the same way: the login code (`POST …/tokens/{user_id}/verify`) and the
//! transaction code of 取引認証 (`POST …/transactions/{id}/verify`, docs/protocol.md §9.6).
//!
//! Run: `cargo bench -p softtoken-server --bench verify_load` (release profile, about 90 s);
//! `-- --test` is a smoke run (one short phase per HTTP version and connection count, a few
//! hundred requests each) that checks the benchmark still works, not a measurement.
//!
//! What happens:
//!
//! 1. The provider starts in process as the test kit's `TestProvider` starts it (as `--dev`
//!    does: `Config::dev` in a temporary directory, demo service `10121234`, its bank API key;
//!    the per-IP device limit off, bank endpoints have none anyway), on its own Tokio runtime.
//! 2. `testing::create_active_tokens` puts activated tokens straight into the database
//!    (no OPAQUE, so no Argon2id). A token accepts one code per 30 s step, so every request
//!    uses a token nobody has used yet, with the code of the current step: every request is a
//!    real, valid, first-time verification that the provider writes (last step, audit record)
//!    and commits before replying. For the transaction call, `testing::create_pending_transactions`
//!    registers one pending transfer per token, and each request confirms a transfer nobody has
//!    confirmed yet with its transaction code (the provider reads the transaction and its token,
//!    opens the seed, derives the transaction keys, recomputes the canonical bytes' digest and the
//!    OCRA code, and writes the state `confirmed`, the token's `last_used_at` and an audit
//!    record). Every token is new to the provider, so every request also
//!    opens its sealed seed (the provider's seed cache never hits) and reads the token row on a
//!    reading connection (the fast path's row cache never hits either): the worst case.
//! 3. For each HTTP version and each connection count C, C workers (each the kit's bank client
//!    over its own HTTP client with exactly one connection, pinned to the dev CA; HTTP/2 is
//!    offered by ALPN and checked before the phase) send `POST .../verify` one after another
//!    (closed loop) for a warm-up, then for the measured time, bounded also by the tokens set
//!    aside for the phase. Any reply other than 200 with `"result":"accepted"` is an error.
//! 4. The client runs on its own Tokio runtime in the same process: client and provider share
//!    the machine's cores, which the figures include.
//!
//! Environment (all optional): `VERIFY_LOAD_CALLS` (`login`, `transaction` or both, default
//! `login,transaction`), `VERIFY_LOAD_SECS` (measured seconds per phase, default 8),
//! `VERIFY_LOAD_WARMUP_SECS` (default 1), `VERIFY_LOAD_CONNECTIONS` (default `2,4`),
//! `VERIFY_LOAD_HTTP` (HTTP versions, default `1,2`; `0` adds a diagnostic phase that calls
//! the verification function in process, without HTTP, TLS or the API key check: the database
//! path's own ceiling), `VERIFY_LOAD_MAX_REQUESTS` (per
//! phase, default 40000), `VERIFY_LOAD_SERVER_THREADS` / `VERIFY_LOAD_CLIENT_THREADS` (Tokio
//! workers, default 2 each).
#![allow(
    missing_docs,
    // A benchmark reports on stdout.
    clippy::print_stdout
)]

use std::{
    collections::BTreeMap,
    error::Error,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Method, Version};
use softtoken_protocol::{
    clock::{Clock, ManualClock},
    ids::{ServiceId, UserId},
    secret::Seed,
    totp::{TokenParams, Totp},
    transaction::{Transaction, TransactionKeys},
    wire::{TransactionVerifyResult, VerifyResult},
};
use softtoken_server::{
    rules::{transactions::typed_code, verification},
    state::{ServerState, ServiceCtx},
    testing,
};
use softtoken_testkit::{BankClient, BankError, TestProvider, fixtures::SERVICE_ID, tls};

type BoxError = Box<dyn Error + Send + Sync>;

/// What the phone holds for one token: its User ID and TOTP key, and for the transaction call
/// its transaction keys and the transfer the bank registered for it.
struct BenchToken {
    user_id: UserId,
    totp: Totp,
    pending: Option<(TransactionKeys, Transaction)>,
}

/// Which of the bank's verify calls a phase sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `POST …/tokens/{user_id}/verify` with the login code.
    Login,
    /// `POST …/transactions/{id}/verify` with the transaction code.
    Transaction,
}

impl Call {
    fn label(self) -> &'static str {
        match self {
            Call::Login => "login verify",
            Call::Transaction => "transaction verify",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Http {
    One,
    Two,
    /// No HTTP: the verification function called in process.
    Direct,
}

impl Http {
    fn label(self) -> &'static str {
        match self {
            Http::One => "HTTP/1.1",
            Http::Two => "HTTP/2",
            Http::Direct => "direct call",
        }
    }
}

struct Settings {
    calls: Vec<Call>,
    warmup: Duration,
    measure: Duration,
    connections: Vec<usize>,
    http: Vec<Http>,
    max_requests: usize,
    server_threads: usize,
    client_threads: usize,
}

impl Settings {
    /// The settings from the environment; `quick` (the `--test` smoke run) changes the
    /// defaults to one short phase per HTTP version and connection count.
    fn from_env(quick: bool) -> Result<Settings, BoxError> {
        let number = |name: &str, default: u64| -> Result<u64, BoxError> {
            match std::env::var(name) {
                Ok(value) => Ok(value.trim().parse()?),
                Err(_) => Ok(default),
            }
        };
        let list = |name: &str, default: &str| -> Result<Vec<usize>, BoxError> {
            let text = std::env::var(name).unwrap_or_else(|_| default.to_owned());
            text.split(',')
                .map(|item| Ok(item.trim().parse::<usize>()?))
                .collect()
        };
        let http = list("VERIFY_LOAD_HTTP", "1,2")?
            .into_iter()
            .map(|v| match v {
                0 => Ok(Http::Direct),
                1 => Ok(Http::One),
                2 => Ok(Http::Two),
                other => Err(format!("VERIFY_LOAD_HTTP: no HTTP version {other}").into()),
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let calls = std::env::var("VERIFY_LOAD_CALLS")
            .unwrap_or_else(|_| "login,transaction".to_owned())
            .split(',')
            .map(|name| match name.trim() {
                "login" => Ok(Call::Login),
                "transaction" => Ok(Call::Transaction),
                other => Err(format!("VERIFY_LOAD_CALLS: no call {other:?}").into()),
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let connections = list("VERIFY_LOAD_CONNECTIONS", "2,4")?;
        if connections.contains(&0) {
            return Err("VERIFY_LOAD_CONNECTIONS: at least one connection".into());
        }
        let (warmup, measure, max_requests) = if quick { (0, 1, 300) } else { (1, 8, 40_000) };
        Ok(Settings {
            calls,
            warmup: Duration::from_secs(number("VERIFY_LOAD_WARMUP_SECS", warmup)?),
            measure: Duration::from_secs(number("VERIFY_LOAD_SECS", measure)?.max(1)),
            connections,
            http,
            max_requests: usize::try_from(number("VERIFY_LOAD_MAX_REQUESTS", max_requests)?)?,
            server_threads: usize::try_from(number("VERIFY_LOAD_SERVER_THREADS", 2)?)?.max(1),
            client_threads: usize::try_from(number("VERIFY_LOAD_CLIENT_THREADS", 2)?)?.max(1),
        })
    }
}

/// How a worker verifies a code: as the bank over HTTPS (the benchmark), or by calling the
/// provider's verification function directly (diagnostic: the provider's own ceiling, no HTTP
/// or TLS).
enum Sender {
    Https(BankClient),
    Direct(Arc<ServerState>, Arc<ServiceCtx>),
}

impl Sender {
    /// Sends `call` for `token` with its current code at `unix_secs`; `Err` describes anything
    /// but an `accepted` verdict.
    async fn send(&self, call: Call, token: &BenchToken, unix_secs: u64) -> Result<(), String> {
        match call {
            Call::Login => {
                let code = token.totp.code_at(unix_secs);
                self.verify(&token.user_id, code.as_str()).await
            }
            Call::Transaction => {
                let (keys, transaction) = token.pending.as_ref().ok_or("no transaction")?;
                let code = keys.online_code(transaction, unix_secs);
                self.verify_transaction(transaction, code.as_str()).await
            }
        }
    }

    async fn verify_transaction(
        &self,
        transaction: &Transaction,
        code: &str,
    ) -> Result<(), String> {
        let reply = match self {
            Sender::Https(bank) => bank
                .verify_transaction(&transaction.id, code)
                .await
                .map_err(bank_error)?,
            Sender::Direct(state, service) => {
                typed_code::verify(state, service, &transaction.id, code, "bench")
                    .await
                    .map_err(|e| format!("error {e}"))?
            }
        };
        match reply.result {
            TransactionVerifyResult::Accepted => Ok(()),
            other => Err(format!("result {other:?}")),
        }
    }

    /// `Err` describes anything but an `accepted` verdict.
    async fn verify(&self, user_id: &UserId, code: &str) -> Result<(), String> {
        match self {
            Sender::Https(bank) => match bank.verify(user_id, code).await {
                Ok(reply) if reply.result == VerifyResult::Accepted => Ok(()),
                Ok(reply) => Err(format!("result {:?}", reply.result)),
                Err(e) => Err(bank_error(e)),
            },
            Sender::Direct(state, service) => {
                match verification::verify(state, service, user_id, code, "bench").await {
                    Ok(reply) if reply.result == VerifyResult::Accepted => Ok(()),
                    Ok(reply) => Err(format!("result {:?}", reply.result)),
                    Err(e) => Err(format!("error {e}")),
                }
            }
        }
    }
}

/// A refused or failed bank call, by status and code, not the body's text (it carries the
/// server's time, which would make every error a kind of its own).
fn bank_error(error: BankError) -> String {
    match error {
        refused @ BankError::Refused { status, .. } => {
            format!("HTTP {status}: {:?}", refused.code())
        }
        BankError::Transport(e) => format!("transport: {e}"),
        BankError::Reply(e) => format!("bad reply: {e}"),
    }
}

/// When a phase's requests start counting, and when the phase ends.
#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    stop_at: Instant,
}

/// One worker's measured requests.
#[derive(Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    accepted: usize,
    errors: BTreeMap<String, usize>,
    warmup_requests: usize,
    warmup_accepted: usize,
}

/// One phase's figures.
struct PhaseResult {
    call: Call,
    http: Http,
    connections: usize,
    requests: usize,
    accepted: usize,
    errors: BTreeMap<String, usize>,
    elapsed: Duration,
    latencies: Vec<Duration>,
    warmup_accepted: usize,
    exhausted: bool,
}

fn main() -> Result<(), BoxError> {
    let settings = Settings::from_env(std::env::args().any(|arg| arg == "--test"))?;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.server_threads)
        .thread_name("provider")
        .enable_all()
        .build()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.client_threads)
        .thread_name("client")
        .enable_all()
        .build()?;

    let mut provider = server_rt.block_on(TestProvider::start())?;
    let running = provider.server().ok_or("the provider is stopped")?;
    let service_id = ServiceId::parse(SERVICE_ID)?;

    let (journal_mode, synchronous, autocheckpoint): (String, i64, i64) =
        server_rt.block_on(async {
            let mut conn = running.state.db.writer_pool().acquire().await?;
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await?;
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await?;
            let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *conn)
                .await?;
            Ok::<_, sqlx::Error>((mode, sync, pages))
        })?;

    let mut phases: Vec<(Call, Http, usize)> = Vec::new();
    for call in &settings.calls {
        for http in &settings.http {
            for connections in &settings.connections {
                phases.push((*call, *http, *connections));
            }
        }
    }
    let total_tokens = settings.max_requests.saturating_mul(phases.len());
    let created_at = Instant::now();
    let created = server_rt.block_on(testing::create_active_tokens(
        &running.state,
        &service_id,
        total_tokens,
    ))?;
    let creation_time = created_at.elapsed();
    // Start from an empty WAL: the bulk insert is checkpointed now, not during a phase.
    server_rt.block_on(
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(running.state.db.writer_pool()),
    )?;
    let params = TokenParams::default();
    let mut tokens = created
        .iter()
        .map(|(user_id, seed)| {
            Ok(BenchToken {
                user_id: *user_id,
                totp: Totp::new(params, seed)?,
                pending: None,
            })
        })
        .collect::<Result<Vec<_>, BoxError>>()?;
    // One pending transfer per token of every transaction phase, registered before any phase.
    let registered_at = Instant::now();
    let mut registered = 0;
    for (index, (call, _, _)) in phases.iter().enumerate() {
        if *call != Call::Transaction {
            continue;
        }
        let range = index * settings.max_requests..(index + 1) * settings.max_requests;
        let user_ids: Vec<UserId> = created[range.clone()].iter().map(|(id, _)| *id).collect();
        let transactions = server_rt.block_on(testing::create_pending_transactions(
            &running.state,
            &service_id,
            &user_ids,
            50_000,
            900,
        ))?;
        registered += transactions.len();
        for ((token, (_, seed)), transaction) in tokens[range.clone()]
            .iter_mut()
            .zip(&created[range])
            .zip(transactions)
        {
            let keys = TransactionKeys::derive(
                &Seed::from_slice(seed),
                params.algorithm(),
                &service_id,
                &token.user_id,
            );
            token.pending = Some((keys, transaction));
        }
    }
    let registration_time = registered_at.elapsed();
    server_rt.block_on(
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(running.state.db.writer_pool()),
    )?;
    drop(created);
    let tokens = Arc::new(tokens);

    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "verify_load: POST /v1/services/{SERVICE_ID}/tokens/{{user_id}}/verify (login) and \
         POST /v1/services/{SERVICE_ID}/transactions/{{id}}/verify (transaction)"
    );
    println!(
        "  provider {} (in process, {} Tokio workers), client: {} Tokio workers, {cores} CPU cores shared",
        running.url(),
        settings.server_threads,
        settings.client_threads
    );
    println!(
        "  SQLite journal_mode={journal_mode}, synchronous={}, wal_autocheckpoint={autocheckpoint} \
         (WAL + NORMAL: a reply is sent only after its commit is in the WAL, so accepted codes \
         survive a crash of the process; not an OS crash or power loss)",
        synchronous_name(synchronous)
    );
    println!(
        "  {} active tokens created in {:.2} s; each request uses a fresh token with its current code",
        tokens.len(),
        creation_time.as_secs_f64()
    );
    if registered > 0 {
        println!(
            "  {registered} pending transfers registered in {:.2} s; each transaction request \
             confirms a fresh one with its transaction code",
            registration_time.as_secs_f64()
        );
    }
    println!(
        "  per phase: {:.0} s warm-up + {:.0} s measured, closed loop, at most {} requests",
        settings.warmup.as_secs_f64(),
        settings.measure.as_secs_f64(),
        settings.max_requests
    );
    println!();

    let service = server_rt
        .block_on(running.state.service(&service_id))
        .map_err(|e| format!("service: {e}"))?
        .ok_or("no dev service")?;
    let direct = (Arc::clone(&running.state), service);
    let clock = Arc::clone(provider.clock());

    let mut results = Vec::new();
    for (index, (call, http, connections)) in phases.iter().enumerate() {
        let start = index.saturating_mul(settings.max_requests);
        let end = start.saturating_add(settings.max_requests);
        let senders = client_rt.block_on(senders(*http, *connections, &provider, &direct))?;
        let phase = run_phase(
            &settings,
            *call,
            *http,
            senders,
            &tokens,
            &clock,
            start..end,
        );
        // The direct calls run on the provider's runtime, as its handlers do.
        let result = if *http == Http::Direct {
            server_rt.block_on(phase)?
        } else {
            client_rt.block_on(phase)?
        };
        print_phase(&result);
        results.push(result);
    }

    println!();
    for (call, event) in [
        (Call::Login, "verify"),
        (Call::Transaction, "transaction_verify"),
    ] {
        let recorded: i64 = server_rt.block_on(async {
            sqlx::query_scalar(
                "SELECT count(*) FROM audit WHERE event = ?1 AND outcome = 'accepted'",
            )
            .bind(event)
            .fetch_one(running.state.db.reader_pool())
            .await
        })?;
        let client_accepted: usize = results
            .iter()
            .filter(|r| r.call == call)
            .map(|r| r.accepted.saturating_add(r.warmup_accepted))
            .sum();
        println!(
            "  cross-check, {}: {recorded} accepted in the audit table, {client_accepted} accepted replies seen by the client",
            call.label()
        );
    }
    println!();
    println!(
        "| call | HTTP | connections | requests | errors | valid verifications/s | p50 | p90 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        let (p50, p90, p99, max) = percentiles(&r.latencies);
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
            r.call.label(),
            r.http.label(),
            r.connections,
            r.requests,
            r.errors.values().sum::<usize>(),
            rate(r.accepted, r.elapsed),
            ms(p50),
            ms(p90),
            ms(p99),
            ms(max)
        );
    }

    server_rt.block_on(provider.stop());
    drop(client_rt);
    drop(server_rt);
    Ok(())
}

/// Builds one sender per connection: the dev service's bank over its own HTTP client with
/// one connection, pinned to the dev CA. For HTTP/2 one request first checks that the
/// provider picked h2 (a client without it in ALPN would quietly measure HTTP/1.1).
async fn senders(
    http: Http,
    connections: usize,
    provider: &TestProvider,
    direct: &(Arc<ServerState>, Arc<ServiceCtx>),
) -> Result<Vec<Sender>, BoxError> {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        let builder = match http {
            Http::One => tls::pinned_client_builder(provider.ca_pem())?.http1_only(),
            Http::Two => tls::pinned_h2_client_builder(provider.ca_pem())?,
            Http::Direct => {
                senders.push(Sender::Direct(Arc::clone(&direct.0), Arc::clone(&direct.1)));
                continue;
            }
        };
        let client = builder.pool_max_idle_per_host(1).build()?;
        let bank = BankClient::with_http(client, provider.url(), SERVICE_ID, provider.api_key());
        if http == Http::Two {
            let version = bank.request(Method::GET, "").send().await?.version();
            if version != Version::HTTP_2 {
                return Err(format!("HTTP/2 phase, but the provider answered {version:?}").into());
            }
        }
        senders.push(Sender::Https(bank));
    }
    Ok(senders)
}

/// Runs one phase: one closed-loop worker per sender over tokens `range`.
async fn run_phase(
    settings: &Settings,
    call: Call,
    http: Http,
    senders: Vec<Sender>,
    tokens: &Arc<Vec<BenchToken>>,
    clock: &Arc<ManualClock>,
    range: std::ops::Range<usize>,
) -> Result<PhaseResult, BoxError> {
    let connections = senders.len();
    let next = Arc::new(AtomicUsize::new(range.start));
    let began = Instant::now();
    let measure_from = began + settings.warmup;
    let stop_at = measure_from + settings.measure;
    let workers: Vec<_> = senders
        .into_iter()
        .map(|sender| {
            tokio::spawn(worker(
                sender,
                call,
                Arc::clone(tokens),
                Arc::clone(clock),
                Arc::clone(&next),
                range.end,
                Window {
                    measure_from,
                    stop_at,
                },
            ))
        })
        .collect();
    let mut merged = WorkerResult::default();
    for handle in workers {
        let one = handle.await?;
        merged.latencies.extend(one.latencies);
        merged.accepted += one.accepted;
        merged.warmup_requests += one.warmup_requests;
        merged.warmup_accepted += one.warmup_accepted;
        for (kind, n) in one.errors {
            *merged.errors.entry(kind).or_default() += n;
        }
    }
    let elapsed = Instant::now().saturating_duration_since(measure_from);
    merged.latencies.sort_unstable();
    Ok(PhaseResult {
        call,
        http,
        connections,
        requests: merged.latencies.len(),
        accepted: merged.accepted,
        errors: merged.errors,
        elapsed,
        latencies: merged.latencies,
        warmup_accepted: merged.warmup_accepted,
        exhausted: next.load(Ordering::Relaxed) >= range.end,
    })
}

/// One connection's closed loop: take the next unused token, send its current code (by the
/// provider's clock), wait for the reply, repeat until `stop_at` or the phase's tokens run out.
async fn worker(
    sender: Sender,
    call: Call,
    tokens: Arc<Vec<BenchToken>>,
    clock: Arc<ManualClock>,
    next: Arc<AtomicUsize>,
    end: usize,
    window: Window,
) -> WorkerResult {
    let Window {
        measure_from,
        stop_at,
    } = window;
    let mut result = WorkerResult {
        latencies: Vec::with_capacity(40_000),
        ..WorkerResult::default()
    };
    loop {
        let sent = Instant::now();
        if sent >= stop_at {
            break;
        }
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(token) = tokens.get(index).filter(|_| index < end) else {
            break;
        };
        let outcome = sender.send(call, token, clock.now_ms() / 1000).await;
        let latency = sent.elapsed();
        if sent < measure_from {
            result.warmup_requests += 1;
            result.warmup_accepted += usize::from(outcome.is_ok());
            continue;
        }
        result.latencies.push(latency);
        match outcome {
            Ok(()) => result.accepted += 1,
            Err(kind) => *result.errors.entry(kind).or_default() += 1,
        }
    }
    result
}

fn print_phase(r: &PhaseResult) {
    let (p50, p90, p99, max) = percentiles(&r.latencies);
    let errors: usize = r.errors.values().sum();
    println!(
        "{} {} C={}: {} requests in {:.2} s, {} errors, {:.0} valid verifications/s, p50 {} p90 {} p99 {} max {}{}",
        r.call.label(),
        r.http.label(),
        r.connections,
        r.requests,
        r.elapsed.as_secs_f64(),
        errors,
        rate(r.accepted, r.elapsed),
        ms(p50),
        ms(p90),
        ms(p99),
        ms(max),
        if r.exhausted {
            " (stopped early: request bound reached)"
        } else {
            ""
        }
    );
    for (kind, n) in &r.errors {
        println!("    {n} × {kind}");
    }
}

fn percentiles(sorted: &[Duration]) -> (Duration, Duration, Duration, Duration) {
    let at = |q: f64| -> Duration {
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        // Nearest rank: the smallest value with at least q of the samples at or below it.
        let rank = (q * sorted.len() as f64).ceil() as usize;
        sorted
            .get(rank.saturating_sub(1).min(sorted.len() - 1))
            .copied()
            .unwrap_or_default()
    };
    (at(0.50), at(0.90), at(0.99), at(1.0))
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn synchronous_name(value: i64) -> &'static str {
    match value {
        0 => "OFF",
        1 => "NORMAL",
        2 => "FULL",
        3 => "EXTRA",
        _ => "?",
    }
}
