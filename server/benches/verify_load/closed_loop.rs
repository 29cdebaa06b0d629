//! Closed-loop runs: C workers, each the bank over one HTTPS connection (HTTP/1.1) to one of the
//! provider instances (round robin), each sending its next verification as soon as the last
//! one's reply came.
//!
//! The tokens verified are a fixed set taken in turn. A token accepts one code per step, so
//! whenever the set has been gone through (a lap), every instance's clock moves on one step (30 s)
//! and every instance forgets its cached token rows and TOTP keys: each request is still a valid,
//! unused code of a token whose row and seed the provider reads afresh (its worst case). Wrong
//! codes move no clock (they use no step); each counts one failure on its token, so a wrong-code
//! run has at most `max_failures - 1` laps, and starts with every failure count at 0.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use softtoken_protocol::{
    clock::{Clock, ManualClock},
    totp::Totp,
    wire::VerifyResult,
};
use softtoken_server::state::ServerState;
use softtoken_testkit::{BankClient, BankError, fixtures::SERVICE_ID, tls};

use crate::{BoxError, settings::Codes};

/// What the phone holds for one token.
pub struct BenchToken {
    pub user_id: softtoken_protocol::ids::UserId,
    pub totp: Totp,
}

/// One provider instance as the client sees it.
pub struct Instance {
    pub url: String,
    pub api_key: String,
    pub ca_pem: String,
    pub clock: Arc<ManualClock>,
    pub state: Arc<ServerState>,
}

/// One run's figures.
pub struct RunResult {
    pub requests: usize,
    pub expected: usize,
    pub errors: BTreeMap<String, usize>,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    pub exhausted: bool,
}

/// The TOTP step length of the dev service's tokens, s.
pub const STEP: Duration = Duration::from_secs(30);

/// Laps a wrong-code run may make: one failure per token per lap, below the dev service's
/// lockout at 5.
const WRONG_LAPS: usize = 4;

/// What the workers share.
struct Shared {
    codes: Codes,
    tokens: Arc<Vec<BenchToken>>,
    next: AtomicUsize,
    end: usize,
    /// The lap whose clocks and caches are in place.
    lap: Mutex<usize>,
    clocks: Vec<Arc<ManualClock>>,
    states: Vec<Arc<ServerState>>,
}

impl Shared {
    /// Before the first request of `lap`: the clocks one step on per lap (valid codes), the
    /// caches emptied.
    fn enter_lap(&self, lap: usize) {
        let mut applied = self.lap.lock().unwrap_or_else(PoisonError::into_inner);
        if *applied >= lap {
            return;
        }
        if self.codes == Codes::Valid {
            let steps = u32::try_from(lap - *applied).unwrap_or(u32::MAX);
            for clock in &self.clocks {
                clock.advance(STEP * steps);
            }
        }
        for state in &self.states {
            state.forget_all_cached();
        }
        *applied = lap;
    }
}

/// Moves every instance's clock past the steps any run used so far and empties the caches:
/// what every run starts from.
pub fn fresh_start(instances: &[Instance]) {
    for instance in instances {
        instance.clock.advance(STEP * 2);
        instance.state.forget_all_cached();
    }
}

/// Runs `connections` workers against the first `count` of `instances` (round robin) over
/// `tokens`; every instance's clock moves with the laps (all of them share the database).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    instances: &[Instance],
    count: usize,
    connections: usize,
    codes: Codes,
    tokens: &Arc<Vec<BenchToken>>,
    warmup: Duration,
    measure: Duration,
    max_requests: usize,
) -> Result<RunResult, BoxError> {
    let laps = match codes {
        Codes::Valid => usize::MAX,
        Codes::Wrong => WRONG_LAPS,
    };
    let shared = Arc::new(Shared {
        codes,
        tokens: Arc::clone(tokens),
        next: AtomicUsize::new(0),
        end: tokens.len().saturating_mul(laps).min(max_requests),
        lap: Mutex::new(0),
        clocks: instances.iter().map(|i| Arc::clone(&i.clock)).collect(),
        states: instances.iter().map(|i| Arc::clone(&i.state)).collect(),
    });
    let mut banks = Vec::with_capacity(connections);
    for index in 0..connections {
        let instance = &instances[index % count.clamp(1, instances.len())];
        let client = tls::pinned_client_builder(&instance.ca_pem)?
            .http1_only()
            .pool_max_idle_per_host(1)
            .build()?;
        let bank = BankClient::with_http(client, &instance.url, SERVICE_ID, &instance.api_key);
        banks.push((bank, Arc::clone(&instance.clock)));
    }
    let began = Instant::now();
    let measure_from = began + warmup;
    let stop_at = measure_from + measure;
    let workers: Vec<_> = banks
        .into_iter()
        .map(|(bank, clock)| {
            tokio::spawn(worker(
                bank,
                clock,
                Arc::clone(&shared),
                measure_from,
                stop_at,
            ))
        })
        .collect();
    let mut result = RunResult {
        requests: 0,
        expected: 0,
        errors: BTreeMap::new(),
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        exhausted: false,
    };
    for handle in workers {
        let one = handle.await?;
        result.latencies.extend(one.latencies);
        result.expected += one.expected;
        for (kind, n) in one.errors {
            *result.errors.entry(kind).or_default() += n;
        }
    }
    result.elapsed = Instant::now().saturating_duration_since(measure_from);
    result.requests = result.latencies.len();
    result.exhausted = shared.next.load(Ordering::Relaxed) >= shared.end;
    Ok(result)
}

#[derive(Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    expected: usize,
    errors: BTreeMap<String, usize>,
}

async fn worker(
    bank: BankClient,
    clock: Arc<ManualClock>,
    shared: Arc<Shared>,
    measure_from: Instant,
    stop_at: Instant,
) -> WorkerResult {
    let mut result = WorkerResult::default();
    let count = shared.tokens.len();
    loop {
        let sent = Instant::now();
        if sent >= stop_at {
            break;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if index >= shared.end {
            break;
        }
        shared.enter_lap(index / count);
        let Some(token) = shared.tokens.get(index % count) else {
            break;
        };
        let unix_secs = clock.now_ms() / 1000;
        let outcome = match shared.codes {
            Codes::Valid => {
                let code = token.totp.code_at(unix_secs);
                expect(
                    bank.verify(token.user_id, code.as_str()).await,
                    VerifyResult::Accepted,
                )
            }
            Codes::Wrong => {
                let code = wrong_code(&token.totp, unix_secs);
                expect(
                    bank.verify(token.user_id, &code).await,
                    VerifyResult::Rejected,
                )
            }
        };
        if sent < measure_from {
            continue;
        }
        result.latencies.push(sent.elapsed());
        match outcome {
            Ok(()) => result.expected += 1,
            Err(kind) => *result.errors.entry(kind).or_default() += 1,
        }
    }
    result
}

/// `Err` describes any reply but `expected`.
pub fn expect(
    reply: Result<softtoken_protocol::wire::VerifyResponse, BankError>,
    expected: VerifyResult,
) -> Result<(), String> {
    match reply {
        Ok(reply) if reply.result == expected => Ok(()),
        Ok(reply) => Err(format!("result {:?}", reply.result)),
        Err(e) => Err(bank_error(e)),
    }
}

/// A refused or failed bank call, by status and code, not the body's text (it carries the
/// server's time, which would make every error a kind of its own).
fn bank_error(error: BankError) -> String {
    match error {
        refused @ BankError::Refused { status, .. } => {
            format!("HTTP {status}: {:?}", refused.code())
        }
        // Without the url (each token's own), so that errors group by kind.
        BankError::Transport(e) => match (e.find(" for url ("), e.find("): ")) {
            (Some(from), Some(to)) if from < to => {
                format!("transport: {}{}", &e[..from], &e[to + 1..])
            }
            _ => format!("transport: {e}"),
        },
        BankError::Reply(e) => format!("bad reply: {e}"),
    }
}

/// A code the token would not accept at `unix_secs` (nor a step either side): the right one
/// with its last digit changed until it matches none of them.
pub fn wrong_code(totp: &Totp, unix_secs: u64) -> String {
    let step = STEP.as_secs();
    let near: Vec<String> = [unix_secs.saturating_sub(step), unix_secs, unix_secs + step]
        .iter()
        .map(|t| totp.code_at(*t).as_str().to_owned())
        .collect();
    let mut code = near[1].clone().into_bytes();
    for _ in 0..10 {
        if let Some(last) = code.last_mut() {
            *last = if *last == b'9' { b'0' } else { *last + 1 };
        }
        if !near.iter().any(|n| n.as_bytes() == code.as_slice()) {
            break;
        }
    }
    String::from_utf8(code).unwrap_or_default()
}
