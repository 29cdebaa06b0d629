//! The fixed-rate (open-loop) run, from a separate process: the benchmark starts itself again
//! with [`CHILD_FLAG`] and a spec file (targets, rate, durations, the phone side of fresh tokens);
//! that process sends request `i` at `start + i / rate` whether or not earlier replies came, over
//! HTTP/2 (two connections per provider instance), and reports every request's latency, from its
//! sending to its reply. Sending never waits for replies, so a stall of the provider shows in
//! every request sent during it (no coordinated omission); Tokio's timer ticks by the
//! millisecond, so requests leave in small bursts of about `rate / 1000`. It writes its outcome
//! as JSON beside the spec.

use std::{
    collections::BTreeMap,
    path::Path,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use softtoken_protocol::{
    ids::UserId,
    totp::{TokenParams, Totp},
    wire::VerifyResult,
};
use softtoken_testkit::{BankClient, fixtures::SERVICE_ID, tls};

use crate::{BoxError, closed_loop::expect};

/// The argument that makes the benchmark binary the load generator.
pub const CHILD_FLAG: &str = "--open-loop-client";

/// Longest a request waits for its reply (then it counts as an error): a provider slower than
/// the rate would otherwise keep the run going long after its end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP/2 connections to each instance.
const CONNECTIONS_PER_TARGET: usize = 2;

#[derive(Serialize, Deserialize)]
pub struct Target {
    pub url: String,
    pub api_key: String,
    pub ca_pem: String,
    /// The instance's clock less the system's, ms (its `ManualClock`).
    pub clock_offset_ms: i64,
}

#[derive(Serialize, Deserialize)]
pub struct Spec {
    pub targets: Vec<Target>,
    pub rate: u64,
    pub warmup_ms: u64,
    pub measure_ms: u64,
    /// User ID and seed (hex) of each token, one request each.
    pub tokens: Vec<(String, String)>,
}

impl Spec {
    /// Requests the run sends (as many tokens are needed).
    pub fn requests(rate: u64, warmup: Duration, measure: Duration) -> usize {
        let ms = u64::try_from((warmup + measure).as_millis()).unwrap_or(u64::MAX);
        usize::try_from(rate.saturating_mul(ms) / 1000).unwrap_or(usize::MAX)
    }
}

#[derive(Serialize, Deserialize, Default)]
pub struct Outcome {
    /// Measured requests (after the warm-up).
    pub requests: usize,
    pub accepted: usize,
    pub errors: BTreeMap<String, usize>,
    pub latencies_us: Vec<u64>,
    /// The measured window, ms.
    pub elapsed_ms: u64,
}

/// Runs the child for `spec` and waits for its outcome (at most the run's time and a minute).
pub fn run_child(spec: &Spec, dir: &Path) -> Result<Outcome, BoxError> {
    let path = dir.join("open-loop-spec.json");
    std::fs::write(&path, serde_json::to_vec(spec)?)?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg(CHILD_FLAG)
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let deadline = Instant::now()
        + Duration::from_millis(spec.warmup_ms + spec.measure_ms)
        + Duration::from_secs(60);
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill()?;
            child.wait()?;
            return Err("the open-loop client did not finish in time".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait()?;
    let _ = std::fs::remove_file(&path);
    if !status.success() {
        return Err(format!("the open-loop client failed: {status}").into());
    }
    Ok(serde_json::from_slice(&std::fs::read(outcome_path(
        &path,
    ))?)?)
}

/// The child's `main`.
pub fn child(spec_path: Option<&String>) -> Result<(), BoxError> {
    let path = spec_path.ok_or("usage: --open-loop-client SPEC.json")?;
    let spec: Spec = serde_json::from_slice(&std::fs::read(path)?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("open-loop")
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(send_all(spec))?;
    std::fs::write(outcome_path(Path::new(path)), serde_json::to_vec(&outcome)?)?;
    Ok(())
}

/// Where the child leaves its outcome: a file beside the spec (a pipe the parent reads only
/// after the child's exit would block the child on a large outcome).
fn outcome_path(spec: &Path) -> std::path::PathBuf {
    spec.with_extension("outcome.json")
}

struct Request {
    bank: Arc<BankClient>,
    offset_ms: i64,
    user_id: UserId,
    totp: Totp,
    scheduled: Instant,
    measured: bool,
}

async fn send_all(spec: Spec) -> Result<Outcome, BoxError> {
    let mut banks = Vec::new();
    for target in &spec.targets {
        for _ in 0..CONNECTIONS_PER_TARGET {
            let client = tls::pinned_h2_client_builder(&target.ca_pem)?
                .pool_max_idle_per_host(1)
                .build()?;
            let bank = BankClient::with_http(client, &target.url, SERVICE_ID, &target.api_key);
            // Connects (and checks the key) before the clock starts.
            bank.request(reqwest::Method::GET, "").send().await?;
            banks.push((Arc::new(bank), target.clock_offset_ms));
        }
    }
    if banks.is_empty() || spec.rate == 0 {
        return Err("no target or no rate".into());
    }
    let params = TokenParams::default();
    let period = Duration::from_secs_f64(1.0 / spec.rate as f64);
    let total = Spec::requests(
        spec.rate,
        Duration::from_millis(spec.warmup_ms),
        Duration::from_millis(spec.measure_ms),
    )
    .min(spec.tokens.len());
    // Every request made before the clock starts, so the schedule does no work but sending.
    let mut requests = Vec::with_capacity(total);
    let made = Instant::now();
    for (index, (user_id, seed)) in spec.tokens.iter().take(total).enumerate() {
        let (bank, offset_ms) = &banks[index % banks.len()];
        requests.push(Request {
            bank: Arc::clone(bank),
            offset_ms: *offset_ms,
            user_id: UserId::parse(user_id)?,
            totp: Totp::new(params, &hex::decode(seed)?)?,
            scheduled: made,
            measured: false,
        });
    }
    let start = Instant::now() + Duration::from_millis(100);
    let measure_from = start + Duration::from_millis(spec.warmup_ms);
    let (results, mut replies) = tokio::sync::mpsc::unbounded_channel();
    for (index, mut request) in requests.into_iter().enumerate() {
        request.scheduled = start + period.mul_f64(index as f64);
        request.measured = request.scheduled >= measure_from;
        tokio::time::sleep_until(request.scheduled.into()).await;
        let results = results.clone();
        tokio::spawn(async move {
            let sent = Instant::now();
            let outcome = tokio::time::timeout(REQUEST_TIMEOUT, send(&request))
                .await
                .unwrap_or_else(|_| Err(format!("no reply in {} s", REQUEST_TIMEOUT.as_secs())));
            let latency = sent.elapsed();
            let _ = results.send((request.measured, latency, outcome));
        });
    }
    drop(results);
    let mut outcome = Outcome::default();
    while let Some((measured, latency, result)) = replies.recv().await {
        if !measured {
            continue;
        }
        outcome.requests += 1;
        outcome
            .latencies_us
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        match result {
            Ok(()) => outcome.accepted += 1,
            Err(kind) => *outcome.errors.entry(kind).or_default() += 1,
        }
    }
    outcome.elapsed_ms = spec.measure_ms;
    Ok(outcome)
}

async fn send(request: &Request) -> Result<(), String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let unix_secs = u64::try_from(now_ms.saturating_add(request.offset_ms) / 1000).unwrap_or(0);
    let code = request.totp.code_at(unix_secs);
    expect(
        request.bank.verify(request.user_id, code.as_str()).await,
        VerifyResult::Accepted,
    )
}
