//! Failover under load: two providers on a primary with a synchronous standby, configured with
//! the two-host url (`postgres://…@primary,standby/db`); the primary is killed (`kill -9`)
//! while right codes keep coming, the standby is promoted, and the same providers — no
//! restart — move to it. Then every code that was answered `accepted`, before or after, is
//! `replayed` when sent again, no token's last accepted step went back, and while the providers
//! had no primary every request answered `503 unavailable` within the request timeout.
//!
//! The providers are in process (the kit's `TestProvider`: each its own pool, batcher and
//! caches, on one data directory so they share the KEK and the bank's key), so the test moves
//! their clocks: each round of load is one TOTP step later, a fresh right code for every token.
//! A third test does the failover with real `serve` processes (`common/serve.rs`), with fewer
//! codes (their clock is the system's). Always on PostgreSQL, durable (a synchronous standby is
//! what the guarantee rests on).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use common::{Suite, serve::Fleet};
use softtoken_protocol::{
    clock::{Clock, ManualClock, SystemClock},
    totp::Totp,
    wire::{ErrorCode, IssueTokenResponse, VerifyResult},
};
use softtoken_server::config::SslMode;
use softtoken_testkit::{
    Activated, BankClient, BankError, PgCluster, TestProvider, fixtures::ACTIVATION_PASSWORD,
};

/// Tokens verified concurrently, one request each per round.
const TOKENS: usize = 8;
/// Rounds before the primary is killed.
const ROUNDS_BEFORE: usize = 12;
/// Rounds in a row, after the promotion, in which every request is accepted: the end.
const CLEAN_ROUNDS_AFTER: usize = 8;
/// Longest the whole load may take.
const LOAD_LIMIT: Duration = Duration::from_secs(40);

/// One verify request of the load.
struct Sent {
    token: usize,
    round: usize,
    code: String,
    /// The TOTP step of the code.
    step: u64,
    outcome: Outcome,
    asked: Instant,
    took: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Unavailable,
    Other(String),
}

/// Sets `clock` to read `now_ms` (unix ms) now.
fn set_time(clock: &ManualClock, now_ms: u64) {
    let now = i64::try_from(now_ms).unwrap();
    let read = i64::try_from(clock.now_ms()).unwrap();
    clock.shift_ms(now - read);
}

/// The two-host url of `first` then `second`.
fn two_hosts(first: &PgCluster, second: &PgCluster, database: &str) -> String {
    format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{database}",
        first.port(),
        second.port()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_providers_follow_a_promoted_standby_and_no_accepted_code_verifies_twice() {
    let primary = PgCluster::start().unwrap();
    primary.create_database("failover").unwrap();
    let standby = PgCluster::standby(&primary).unwrap();

    // Provider A lists the primary first; B lists the standby first, so B's start must refuse
    // the standby (it takes no writes) and pick the primary.
    let a = Suite::over(
        TestProvider::start_with(|c| {
            c.database.url = Some(two_hosts(&primary, &standby, "failover"));
            c.database.sslmode = Some(SslMode::Disable);
        })
        .await
        .unwrap(),
    );
    let b_provider = TestProvider::start_in(a.provider.data_dir(), |c| {
        c.database.url = Some(two_hosts(&standby, &primary, "failover"));
        c.database.sslmode = Some(SslMode::Disable);
    })
    .await
    .unwrap();
    // Same data directory: the same KEK and bank key; its own pool, batcher and caches.
    let b_bank = BankClient::new(
        b_provider.url(),
        b_provider.ca_pem(),
        b_provider.service_id(),
        b_provider.api_key(),
    )
    .unwrap();
    let banks = [a.bank.clone(), b_bank];
    let clocks = [a.provider.clock().clone(), b_provider.clock().clone()];

    let mut tokens: Vec<(IssueTokenResponse, Activated)> = Vec::new();
    for i in 0..TOKENS {
        // A customer each: a second token of one customer would replace the first (機種変更).
        tokens.push(a.activated(Some(&format!("customer-{i}"))).await);
    }
    // Activation may have moved A's clock past a step's end (`settle`): B's reads the same.
    set_time(&clocks[1], clocks[0].now_ms());
    let period_ms = i64::from(tokens[0].1.params.period()) * 1000;
    let request_timeout = Duration::from_secs(a.provider.config().limits.request_timeout_secs);

    // The load: rounds of one right code per token, half to each provider; the clocks move one
    // step between rounds. The primary is killed, in the background, after ROUNDS_BEFORE.
    let mut sent: Vec<Sent> = Vec::new();
    // The providers' time of each round.
    let mut round_times: Vec<u64> = Vec::new();
    let mut failover = None;
    let mut killed_at = None;
    let mut promoted_at: Option<Instant> = None;
    let mut clean_after = 0;
    let load_started = Instant::now();
    let mut clusters = Some((primary, standby));
    for round in 0.. {
        assert!(
            load_started.elapsed() < LOAD_LIMIT,
            "no recovery within {LOAD_LIMIT:?}"
        );
        if round == ROUNDS_BEFORE {
            let (mut primary, mut standby) = clusters.take().unwrap();
            killed_at = Some(Instant::now());
            failover = Some(tokio::task::spawn_blocking(move || {
                primary.kill9().unwrap();
                standby.promote().unwrap();
                (Instant::now(), primary, standby)
            }));
        }
        if promoted_at.is_none() && failover.as_ref().is_some_and(|f| f.is_finished()) {
            let (at, primary, standby) = failover.take().unwrap().await.unwrap();
            promoted_at = Some(at);
            clusters = Some((primary, standby));
        }
        let now_ms = a.provider.now_ms();
        round_times.push(now_ms);
        let step = now_ms / 1000 / u64::try_from(period_ms / 1000).unwrap();
        let requests = tokens.iter().enumerate().map(|(i, (token, app))| {
            let bank = banks[(i + round) % 2].clone();
            let code = app.code_at(now_ms, 0);
            let user_id = token.user_id;
            tokio::spawn(async move {
                let asked = Instant::now();
                let outcome = match bank.verify(user_id, &code).await {
                    Ok(reply) if reply.result == VerifyResult::Accepted => Outcome::Accepted,
                    Ok(reply) => Outcome::Other(format!("{:?}", reply.result)),
                    Err(err @ BankError::Refused { status: 503, .. })
                        if err.code() == Some(ErrorCode::Unavailable) =>
                    {
                        Outcome::Unavailable
                    }
                    Err(err) => Outcome::Other(err.to_string()),
                };
                (code, outcome, asked, asked.elapsed())
            })
        });
        let requests: Vec<_> = requests.collect();
        let mut all_accepted = true;
        for (token, request) in requests.into_iter().enumerate() {
            let (code, outcome, asked, took) = request.await.unwrap();
            all_accepted &= outcome == Outcome::Accepted;
            sent.push(Sent {
                token,
                round,
                code,
                step,
                outcome,
                asked,
                took,
            });
        }
        let this_round = sent.iter().filter(|s| s.round == round);
        eprintln!(
            "round {round}: {:?}",
            this_round
                .map(|s| match &s.outcome {
                    Outcome::Accepted => "A".to_owned(),
                    Outcome::Unavailable => format!("503({}ms)", s.took.as_millis()),
                    Outcome::Other(what) => what.clone(),
                })
                .collect::<Vec<_>>()
        );
        if promoted_at.is_some() && all_accepted {
            clean_after += 1;
            if clean_after == CLEAN_ROUNDS_AFTER {
                break;
            }
        } else if promoted_at.is_some() {
            clean_after = 0;
        }
        for clock in &clocks {
            clock.shift_ms(period_ms);
        }
    }
    let killed_at = killed_at.unwrap();
    let promoted_at = promoted_at.unwrap();

    // Every request was accepted or answered 503 unavailable, within the request timeout.
    let others: Vec<_> = sent
        .iter()
        .filter_map(|s| match &s.outcome {
            Outcome::Other(what) => Some((s.round, s.token, what.clone())),
            _ => None,
        })
        .collect();
    assert!(others.is_empty(), "neither accepted nor 503: {others:?}");
    let slowest = sent.iter().map(|s| s.took).max().unwrap();
    assert!(slowest < request_timeout, "a request took {slowest:?}");
    let unavailable = sent
        .iter()
        .filter(|s| s.outcome == Outcome::Unavailable)
        .count();
    let accepted: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.outcome == Outcome::Accepted)
        .collect();
    // Both providers served before the kill and after the promotion (no restart).
    for provider in 0..2 {
        let served = |after: bool| {
            accepted
                .iter()
                .any(|s| (s.token + s.round) % 2 == provider && (s.round >= ROUNDS_BEFORE) == after)
        };
        assert!(
            served(false) && served(true),
            "provider {provider} did not serve on both sides"
        );
    }
    let first_round_after = sent
        .iter()
        .filter(|s| s.round >= ROUNDS_BEFORE && s.outcome == Outcome::Accepted)
        .map(|s| s.round)
        .min()
        .unwrap();
    // The gap as a client sees it: from the kill to the first accepted answer of a request
    // sent after it; and the last 503.
    let first_accepted_after = accepted
        .iter()
        .filter(|s| s.asked > killed_at)
        .map(|s| s.asked + s.took)
        .min()
        .unwrap();
    let last_unavailable = sent
        .iter()
        .filter(|s| s.outcome == Outcome::Unavailable)
        .map(|s| s.asked + s.took)
        .max();
    eprintln!(
        "failover: {} requests, {} accepted, {unavailable} answered 503, slowest {slowest:?}; \
         kill → standby promoted (pg_ctl promote -w returned) {:?}; promoted → first accepted \
         {:?}; kill → first accepted {:?}; kill → last 503 {:?}; first accepted round after \
         the kill {first_round_after} (killed at round {ROUNDS_BEFORE}, {} rounds); load {:?}",
        sent.len(),
        accepted.len(),
        promoted_at - killed_at,
        first_accepted_after.saturating_duration_since(promoted_at),
        first_accepted_after - killed_at,
        last_unavailable.map(|at| at.saturating_duration_since(killed_at)),
        round_times.len(),
        load_started.elapsed(),
    );

    // Every accepted code, sent again at its own time (the clocks moved back to its round), is
    // `replayed`: its step is on the new primary. Alternating providers, as the load did.
    let load_end = clocks[0].now_ms();
    let mut replays = Vec::new();
    for (round, at) in round_times.iter().enumerate() {
        for clock in &clocks {
            set_time(clock, *at);
        }
        let again: Vec<_> = accepted
            .iter()
            .filter(|s| s.round == round)
            .map(|s| {
                let bank = banks[(s.token + s.round + 1) % 2].clone();
                let user_id = tokens[s.token].0.user_id;
                let code = s.code.clone();
                tokio::spawn(async move { bank.verify(user_id, &code).await })
            })
            .collect();
        for request in again {
            replays.push((round, request.await.unwrap().map(|r| r.result)));
        }
    }
    for clock in &clocks {
        set_time(clock, load_end);
    }
    let not_replayed: Vec<_> = replays
        .iter()
        .filter(|(_, result)| !matches!(result, Ok(VerifyResult::Replayed)))
        .collect();
    assert!(
        not_replayed.is_empty(),
        "accepted codes not replayed after the failover: {not_replayed:?}"
    );
    assert_eq!(replays.len(), accepted.len());

    // No token's last accepted step went back: on the new primary it is at least the step of
    // every code answered accepted (a 503 whose commit went through may have moved it further).
    let (_, new_primary) = clusters.as_ref().unwrap();
    let rows = new_primary
        .psql(
            "failover",
            "SELECT user_id, last_step FROM tokens WHERE last_step IS NOT NULL",
        )
        .unwrap();
    let last_steps: HashMap<String, u64> = rows
        .lines()
        .map(|line| {
            let (user_id, step) = line.split_once('|').unwrap();
            (user_id.to_owned(), step.parse().unwrap())
        })
        .collect();
    for (i, (token, _)) in tokens.iter().enumerate() {
        let last = *last_steps
            .get(&token.user_id.to_string())
            .unwrap_or_else(|| panic!("token {} not in {rows}", token.user_id));
        let highest = accepted
            .iter()
            .filter(|s| s.token == i)
            .map(|s| s.step)
            .max()
            .unwrap();
        assert!(
            last >= highest,
            "token {i}: last step {last} < accepted {highest}"
        );
    }
}

/// While the synchronous standby is away the primary cannot confirm a commit: the verification
/// waits and answers 503 at the request timeout — never `accepted` once the statement timeout
/// has passed (PostgreSQL would end the COMMIT's wait then and report success, committed on the
/// primary only, which a failover would lose). When the standby is back the commit completes:
/// the code's step is taken on both.
#[tokio::test]
async fn with_the_standby_away_a_verification_waits_and_answers_503_never_accepted() {
    let primary = PgCluster::start().unwrap();
    primary.create_database("standby_away").unwrap();
    let mut standby = PgCluster::standby(&primary).unwrap();
    let p = Suite::over(
        TestProvider::start_with(|c| {
            c.database.url = Some(two_hosts(&primary, &standby, "standby_away"));
            c.database.sslmode = Some(SslMode::Disable);
            c.database.statement_timeout_ms = Some(300);
            c.limits.request_timeout_secs = 2;
        })
        .await
        .unwrap(),
    );
    let (token, app) = p.activated(Some("customer-away")).await;

    standby.stop().unwrap();
    let code = p.code(&app, 0);
    let asked = Instant::now();
    match p.bank.verify(token.user_id, &code).await {
        Err(err @ BankError::Refused { status: 503, .. }) => {
            assert_eq!(err.code(), Some(ErrorCode::Unavailable), "{err}");
        }
        other => panic!("expected 503 unavailable while the standby is away, got {other:?}"),
    }
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "answered after {took:?}, not at the 2 s request timeout"
    );

    standby.start_again().unwrap();
    standby.wait_for_replay(&primary).unwrap();
    // The COMMIT that waited went through with the standby back: the step is taken.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match p.bank.verify(token.user_id, &code).await {
            Ok(reply) => {
                assert_eq!(reply.result, VerifyResult::Replayed);
                break;
            }
            Err(err) if Instant::now() < deadline => {
                eprintln!("not yet: {err}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => panic!("no answer within 10 s of the standby's return: {err}"),
        }
    }
}

/// The same failover with real `softtoken-server serve` processes (`common/serve.rs`'s
/// [`Fleet`]), whose clock is the system's: a right code each before the kill, the next step's
/// code sent until the processes, not restarted, accept it from the promoted standby; then
/// both codes are `replayed` on either process.
#[tokio::test]
async fn serve_processes_follow_a_promoted_standby_without_restart() {
    let mut primary = PgCluster::start().unwrap();
    primary.create_database("failover_processes").unwrap();
    let mut standby = PgCluster::standby(&primary).unwrap();
    let fleet = Fleet::new(&two_hosts(&primary, &standby, "failover_processes"), 2).await;
    let servers = fleet.start_all().await;
    let banks: Vec<BankClient> = servers.iter().map(|server| fleet.bank(server)).collect();
    let token = banks[0]
        .issue("failover@example.jp", ACTIVATION_PASSWORD)
        .await
        .unwrap();
    let app = fleet
        .phone(&servers[1])
        .activate(&token.service_id, &token.user_id, ACTIVATION_PASSWORD)
        .await
        .unwrap();
    let totp = Totp::new(app.params, app.seed.expose()).unwrap();
    let step = totp.step_at(SystemClock.now_ms() / 1000);
    let code = |step: u64| totp.code_for_step(step).as_str().to_owned();
    let before = banks[0].verify(token.user_id, &code(step)).await.unwrap();
    assert_eq!(before.result, VerifyResult::Accepted);

    let killed = Instant::now();
    primary.kill9().unwrap();
    standby.promote().unwrap();
    let deadline = killed + Duration::from_secs(15);
    let after = loop {
        match banks[1].verify(token.user_id, &code(step + 1)).await {
            Ok(reply) => break reply,
            Err(err @ BankError::Refused { status: 503, .. }) if Instant::now() < deadline => {
                assert_eq!(err.code(), Some(ErrorCode::Unavailable), "{err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("no accept from the promoted standby: {err}"),
        }
    };
    assert_eq!(after.result, VerifyResult::Accepted);
    eprintln!(
        "serve processes: kill -9 → accepted again {:?}",
        killed.elapsed()
    );
    for bank in &banks {
        for step in [step, step + 1] {
            let again = bank.verify(token.user_id, &code(step)).await.unwrap();
            assert_eq!(again.result, VerifyResult::Replayed);
        }
    }
    let log = servers[1].log();
    assert!(log.contains("moved to the host that takes writes"), "{log}");
}
