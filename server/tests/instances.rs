#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
// Helpers outside #[test] functions fail the test with a message; that is their job.
#![allow(clippy::panic)]
//! Several real provider processes (`softtoken-server serve`) on one PostgreSQL database, as a
//! deployment runs them behind a load balancer (issue 15): the single-instance rules — a code
//! accepted once, the lockout at the 5th wrong code, 5 activation attempts, a revocation —
//! hold across instances, through a `kill -9` of one instance under load, and through a
//! PostgreSQL restart under load (503 `unavailable` meanwhile, then the same processes serve).
//!
//! The instances are [`Fleet`]s (`common/serve.rs`): one KEK, TLS certificate and database,
//! three processes. The cheap tests each take a fresh database on the cluster this binary
//! shares; the restart test faults its own cluster.

mod common;

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use common::serve::{
    Fleet, Server, assert_accept_not_repeated, assert_failures_not_back, join_all, stop_load,
};
use rand_core::OsRng;
use serde_json::Value;
use softtoken_protocol::{
    activation::{Binding, HandshakeError, prepare_password},
    clock::{Clock, SystemClock},
    totp::Totp,
    wire::{
        self, ActivationFinishRequest, Bytes, ErrorCode, IssueTokenResponse, TokenState, V1,
        VerifyResponse, VerifyResult,
    },
};
use softtoken_testkit::{
    BankClient, BankError, DeviceError, PgCluster,
    fixtures::{self, ACTIVATION_PASSWORD as PASSWORD, EMAIL},
};
use tokio::{sync::Notify, time::timeout};

/// How many instances the tests run.
const INSTANCES: usize = 3;

/// A fresh database on the cluster this test binary shares.
fn shared_database(prefix: &str) -> String {
    PgCluster::shared().unwrap().fresh_database(prefix).unwrap()
}

/// A bootstrapped fleet of [`INSTANCES`] on a fresh shared database, all started.
async fn running_fleet(prefix: &str) -> (Fleet, Vec<Server>) {
    let fleet = Fleet::new(&shared_database(prefix), INSTANCES).await;
    let servers = fleet.start_all().await;
    (fleet, servers)
}

/// A token as the app holds it after activation.
struct App {
    token: IssueTokenResponse,
    totp: Totp,
}

/// Issues a token through `bank` and activates it through `fleet`'s phone on `server`.
async fn activated_app(fleet: &Fleet, server: &Server, bank: &BankClient, n: usize) -> App {
    let token = bank
        .issue(&format!("user{n}@example.jp"), PASSWORD)
        .await
        .unwrap();
    let activated = fleet
        .phone(server)
        .activate(&token.service_id, &token.user_id, PASSWORD)
        .await
        .unwrap();
    let totp = Totp::new(activated.params, activated.seed.expose()).unwrap();
    App { token, totp }
}

/// The instances' clock: the system's.
fn now_secs() -> u64 {
    SystemClock.now_ms() / 1000
}

impl App {
    /// The current step.
    fn step(&self) -> u64 {
        self.totp.step_at(now_secs())
    }

    /// The code of `step`.
    fn code(&self, step: u64) -> String {
        self.totp.code_for_step(step).as_str().to_owned()
    }

    /// A code of the right length the token produces for none of the steps around `step`
    /// (wrong whatever the window).
    fn wrong_code(&self, step: u64) -> String {
        let near: Vec<String> = (step.saturating_sub(1)..=step + 1)
            .map(|s| self.code(s))
            .collect();
        let digits = near[0].len();
        (0..10u8)
            .map(|d| char::from(b'0' + d).to_string().repeat(digits))
            .find(|candidate| !near.contains(candidate))
            .unwrap()
    }
}

/// One bank client per instance.
fn banks(fleet: &Fleet, servers: &[Server]) -> Vec<BankClient> {
    servers.iter().map(|server| fleet.bank(server)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_code_sent_to_three_instances_32_times_is_accepted_once() {
    let (fleet, servers) = running_fleet("once").await;
    let banks = banks(&fleet, &servers);
    let app = activated_app(&fleet, &servers[0], &banks[0], 0).await;
    // Every instance has read the token (its row cache is warm): the race is on the writes.
    for bank in &banks {
        let details = bank.details(app.token.user_id).await.unwrap();
        assert_eq!(details.state, TokenState::PendingConfirmation);
    }
    let otp = app.code(app.step());
    let verifies: Vec<_> = (0..32)
        .map(|n| banks[n % INSTANCES].verify(app.token.user_id, &otp))
        .collect();
    let results: Vec<VerifyResult> = join_all(verifies)
        .await
        .into_iter()
        .map(|reply| reply.unwrap().result)
        .collect();
    let accepted = common::count(&results, &VerifyResult::Accepted);
    let replayed = common::count(&results, &VerifyResult::Replayed);
    assert_eq!((accepted, replayed), (1, 31), "{results:?}");
    for bank in &banks {
        let details = bank.details(app.token.user_id).await.unwrap();
        assert_eq!(
            details.state,
            TokenState::Active,
            "confirmed once, everywhere"
        );
        assert_eq!(details.failures_left, 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_spread_over_instances_lock_at_the_fifth() {
    let (fleet, servers) = running_fleet("lockout").await;
    let banks = banks(&fleet, &servers);
    let app = activated_app(&fleet, &servers[0], &banks[0], 0).await;
    let step = app.step();
    // Confirmed first, so that the lock is from `active`.
    assert_eq!(
        banks[2]
            .verify(app.token.user_id, &app.code(step))
            .await
            .unwrap()
            .result,
        VerifyResult::Accepted
    );
    let wrong = app.wrong_code(step);
    for (n, left) in [4, 3, 2, 1].into_iter().enumerate() {
        let reply = banks[n % INSTANCES]
            .verify(app.token.user_id, &wrong)
            .await
            .unwrap();
        assert_eq!(
            (reply.result, reply.failures_left),
            (VerifyResult::Rejected, left)
        );
    }
    let reply = banks[4 % INSTANCES]
        .verify(app.token.user_id, &wrong)
        .await
        .unwrap();
    assert_eq!(
        (reply.result, reply.failures_left),
        (VerifyResult::Locked, 0)
    );
    for bank in &banks {
        let details = bank.details(app.token.user_id).await.unwrap();
        assert_eq!(
            (details.state, details.failures_left),
            (TokenState::Locked, 0)
        );
        // Locked refuses even the right code, on every instance.
        let reply = bank
            .verify(app.token.user_id, &app.code(step + 1))
            .await
            .unwrap();
        assert_eq!(reply.result, VerifyResult::Locked);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_activations_over_instances_count_exactly_five() {
    let (fleet, servers) = running_fleet("activation").await;
    let banks = banks(&fleet, &servers);
    let token = banks[0].issue(EMAIL, PASSWORD).await.unwrap();
    let phones: Vec<_> = servers.iter().map(|server| fleet.phone(server)).collect();
    // The owner's phone starts with the right password first (attempt 1 of 5) ...
    let (owner, owner_start) = phones[0]
        .start_activation(&token.service_id, &token.user_id, PASSWORD)
        .await
        .unwrap();
    assert_eq!(owner_start.attempts_left, 4);
    // ... then 12 wrong guesses at once, spread over the instances: 4 more count.
    let starts: Vec<_> = (0..12)
        .map(|n| phones[n % INSTANCES].start_activation(&token.service_id, &token.user_id, "wrong"))
        .collect();
    let mut left: Vec<u32> = join_all(starts)
        .await
        .into_iter()
        .map(|reply| reply.unwrap().1.attempts_left)
        .collect();
    left.sort_unstable();
    // Every start is answered (no refusal before the password is proved); exactly 5 counted.
    assert_eq!(left, vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
    for bank in &banks {
        let details = bank.details(token.user_id).await.unwrap();
        assert_eq!(details.state, TokenState::ActivationLocked);
    }
    // The owner's activation, in flight since before the lock, finishes on another instance:
    // the password is proved, and the token is locked: 423 activation_locked.
    let prepared = prepare_password(PASSWORD).unwrap();
    let binding = Binding::new(token.service_id, token.user_id, owner_start.token);
    let finished = owner
        .finish(&mut OsRng, &prepared, &binding, owner_start.ke2.as_slice())
        .unwrap();
    let request = ActivationFinishRequest {
        v: V1,
        ke3: Bytes(finished.ke3.clone()),
        client_confirmation: Bytes(finished.client_confirmation.to_vec()),
        device: fixtures::device_info(),
    };
    let path = format!("/v1/activations/{}/finish", owner_start.activation_id);
    let reply = phones[2]
        .http()
        .post(phones[2].url(&path))
        .header("content-type", "application/json")
        .body(wire::encode(&request))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 423);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error"], "activation_locked", "{body}");
    // And a new attempt with the right password fails on any instance.
    for phone in &phones {
        match phone
            .activate(&token.service_id, &token.user_id, PASSWORD)
            .await
        {
            Err(DeviceError::Handshake {
                error: HandshakeError::AuthenticationFailed,
                attempts_left: 0,
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_instance_stops_the_next_code_on_another() {
    let (fleet, servers) = running_fleet("revoke").await;
    let banks = banks(&fleet, &servers);
    let app = activated_app(&fleet, &servers[0], &banks[0], 0).await;
    let step = app.step();
    // Instance 1 accepts a code: the token's row is in its cache.
    let reply = banks[1]
        .verify(app.token.user_id, &app.code(step))
        .await
        .unwrap();
    assert_eq!(reply.result, VerifyResult::Accepted);
    // Instance 2 revokes; instance 1 at once gets a valid code it has never seen.
    let revoked = banks[2].revoke(app.token.user_id).await.unwrap();
    assert_eq!(revoked.state, TokenState::Revoked);
    let reply = banks[1]
        .verify(app.token.user_id, &app.code(step + 1))
        .await
        .unwrap();
    assert_eq!(reply.result, VerifyResult::Revoked, "{reply:?}");
    let reply = banks[0]
        .verify(app.token.user_id, &app.code(step + 1))
        .await
        .unwrap();
    assert_eq!(reply.result, VerifyResult::Revoked, "{reply:?}");
}

/// A verify call; `None` when no reply was received (the instance was killed). Any reply but
/// 200 fails the test.
async fn try_verify(bank: &BankClient, app: &App, otp: &str) -> Option<VerifyResponse> {
    match bank.verify(app.token.user_id, otp).await {
        Ok(reply) => Some(reply),
        Err(BankError::Transport(_)) => None,
        Err(other) => panic!("{other}"),
    }
}

/// What the load saw: accepted codes `(app, code, step)`, the `failures_left` of
/// acknowledged wrong codes.
#[derive(Default)]
struct Seen {
    accepted: Mutex<Vec<(usize, String, u64)>>,
    wrong_acks: Mutex<Vec<u32>>,
}

/// Every promise an accept made: the code is never accepted again (replayed while in the
/// window), checked through `bank`; and at most one accept per token and step across all
/// instances.
async fn assert_accepts_hold(bank: &BankClient, apps: &[App], accepted: &[(usize, String, u64)]) {
    let distinct: HashSet<_> = accepted.iter().map(|(i, _, step)| (*i, *step)).collect();
    assert_eq!(
        distinct.len(),
        accepted.len(),
        "a double accept: {accepted:?}"
    );
    for (i, otp, step) in accepted {
        let app = &apps[*i];
        let label = format!("token {i} step {step}");
        assert_accept_not_repeated(bank, app.token.user_id, otp, app.step() - step, &label).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_of_one_instance_under_load_keeps_every_promise() {
    const TASKS_PER_INSTANCE: usize = 3;
    const KILL_AFTER_REPLIES: usize = 150;
    const WRONG_CODES: usize = 4; // below the service's 5: never locks

    let (fleet, mut servers) = running_fleet("kill9").await;
    let banks = Arc::new(banks(&fleet, &servers));
    let mut apps = Vec::new();
    for n in 0..4 {
        apps.push(activated_app(&fleet, &servers[n % INSTANCES], &banks[n % INSTANCES], n).await);
    }
    // Three tokens for right codes, the fourth for wrong ones.
    let wrong = Arc::new(apps.pop().unwrap());
    let apps = Arc::new(apps);

    let seen = Arc::new(Seen::default());
    let sent = Arc::new(AtomicUsize::new(0));
    let wrong_sent = Arc::new(AtomicUsize::new(0));
    let replies = Arc::new(AtomicUsize::new(0));
    let survivor_replies = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let enough = Arc::new(Notify::new());
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS_PER_INSTANCE * INSTANCES {
        let instance = task % INSTANCES;
        let (banks, apps, wrong, seen) = (banks.clone(), apps.clone(), wrong.clone(), seen.clone());
        let (sent, wrong_sent, replies, survivor_replies) = (
            sent.clone(),
            wrong_sent.clone(),
            replies.clone(),
            survivor_replies.clone(),
        );
        let (killed, stop, enough) = (killed.clone(), stop.clone(), enough.clone());
        tasks.spawn(async move {
            let bank = &banks[instance];
            while !stop.load(Ordering::SeqCst) {
                let n = sent.fetch_add(1, Ordering::SeqCst);
                let step = apps[0].step();
                if n % 37 == 36 && wrong_sent.fetch_add(1, Ordering::SeqCst) < WRONG_CODES {
                    let Some(reply) = try_verify(bank, &wrong, &wrong.wrong_code(step)).await
                    else {
                        break;
                    };
                    assert_eq!(reply.result, VerifyResult::Rejected, "{reply:?}");
                    seen.wrong_acks.lock().unwrap().push(reply.failures_left);
                } else {
                    let i = n % apps.len();
                    let otp = apps[i].code(step);
                    let Some(reply) = try_verify(bank, &apps[i], &otp).await else {
                        break;
                    };
                    match reply.result {
                        VerifyResult::Accepted => {
                            seen.accepted.lock().unwrap().push((i, otp, step))
                        }
                        VerifyResult::Replayed => {}
                        other => panic!("right code answered {other:?}"),
                    }
                }
                if killed.load(Ordering::SeqCst) {
                    survivor_replies.fetch_add(1, Ordering::SeqCst);
                }
                if replies.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER_REPLIES {
                    enough.notify_one();
                }
            }
        });
    }
    let began = Instant::now();
    let _ = timeout(Duration::from_secs(2), enough.notified()).await;
    servers[0].kill9().await;
    killed.store(true, Ordering::SeqCst);
    let killed_after = replies.load(Ordering::SeqCst);
    // The others keep serving.
    let deadline = Instant::now() + Duration::from_secs(10);
    while survivor_replies.load(Ordering::SeqCst) < 50 {
        assert!(Instant::now() < deadline, "the survivors stopped serving");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_load(&stop, &mut tasks).await;
    eprintln!(
        "killed after {killed_after} replies in {:?}; {} after the kill; {} requests",
        began.elapsed(),
        survivor_replies.load(Ordering::SeqCst),
        sent.load(Ordering::SeqCst)
    );
    assert!(killed_after > 0, "no load before the kill");

    let accepted = std::mem::take(&mut *seen.accepted.lock().unwrap());
    let wrong_acks = std::mem::take(&mut *seen.wrong_acks.lock().unwrap());
    for i in 0..apps.len() {
        assert!(
            accepted.iter().any(|(j, _, _)| *j == i),
            "token {i} never accepted: {accepted:?}"
        );
    }
    assert!(!wrong_acks.is_empty(), "no wrong code was acknowledged");
    // Checked on the survivors, half on each.
    let (left, right) = accepted.split_at(accepted.len() / 2);
    assert_accepts_hold(&banks[1], &apps, left).await;
    assert_accepts_hold(&banks[2], &apps, right).await;
    assert_accepts_hold(&banks[1], &apps, &accepted).await;

    // Failure counters never go back.
    assert_failures_not_back(
        &banks[1],
        wrong.token.user_id,
        &wrong_acks,
        WRONG_CODES,
        "after the kill",
    )
    .await;
    // A restarted instance serves the same database.
    servers[0] = fleet.start(0).await;
    let bank = fleet.bank(&servers[0]);
    for app in apps.iter() {
        let otp = app.code(app.step() + 1);
        assert_eq!(
            bank.verify(app.token.user_id, &otp).await.unwrap().result,
            VerifyResult::Accepted
        );
        assert_eq!(
            banks[2]
                .verify(app.token.user_id, &otp)
                .await
                .unwrap()
                .result,
            VerifyResult::Replayed
        );
    }
}

/// Waits (15 s at most, else fails saying `what`) until `done`.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within 15 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `503` with the documented body (`{"error": "unavailable", "message": …}`, docs/protocol.md).
fn assert_unavailable(err: &BankError) {
    let BankError::Refused { status, text, .. } = err else {
        panic!("expected 503 unavailable, got {err}");
    };
    assert_eq!(*status, 503, "{text}");
    assert_eq!(err.code(), Some(ErrorCode::Unavailable), "{text}");
    let body: Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["error"], "unavailable", "{text}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_restart_under_load_answers_503_then_the_same_processes_serve() {
    const TASKS_PER_INSTANCE: usize = 2;
    const INSTANCES_HERE: usize = 2;

    // A durable cluster of its own: it is stopped and started again.
    let mut cluster = PgCluster::start().unwrap();
    let url = cluster.create_database("restart").unwrap();
    let fleet = Fleet::new(&url, INSTANCES_HERE).await;
    let servers = fleet.start_all().await;
    let banks = Arc::new(banks(&fleet, &servers));
    let mut apps = Vec::new();
    for n in 0..3 {
        apps.push(activated_app(&fleet, &servers[0], &banks[0], n).await);
    }
    let apps = Arc::new(apps);

    let seen = Arc::new(Seen::default());
    let sent = Arc::new(AtomicUsize::new(0));
    let unavailable = Arc::new(AtomicUsize::new(0));
    // Replies (200) per instance, and per instance since the database came back.
    let served: Arc<Vec<AtomicUsize>> =
        Arc::new((0..INSTANCES_HERE).map(|_| AtomicUsize::new(0)).collect());
    let back = Arc::new(AtomicBool::new(false));
    let served_back: Arc<Vec<AtomicUsize>> =
        Arc::new((0..INSTANCES_HERE).map(|_| AtomicUsize::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS_PER_INSTANCE * INSTANCES_HERE {
        let instance = task % INSTANCES_HERE;
        let (banks, apps, seen, sent, unavailable) = (
            banks.clone(),
            apps.clone(),
            seen.clone(),
            sent.clone(),
            unavailable.clone(),
        );
        let (served, back, served_back, stop) = (
            served.clone(),
            back.clone(),
            served_back.clone(),
            stop.clone(),
        );
        tasks.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let n = sent.fetch_add(1, Ordering::SeqCst);
                let i = n % apps.len();
                let step = apps[i].step();
                let otp = apps[i].code(step);
                let was_back = back.load(Ordering::SeqCst);
                match banks[instance].verify(apps[i].token.user_id, &otp).await {
                    Ok(reply) => {
                        match reply.result {
                            VerifyResult::Accepted => {
                                seen.accepted.lock().unwrap().push((i, otp, step))
                            }
                            VerifyResult::Replayed => {}
                            other => panic!("right code answered {other:?}"),
                        }
                        served[instance].fetch_add(1, Ordering::SeqCst);
                        if was_back {
                            served_back[instance].fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Err(err) => {
                        assert_unavailable(&err);
                        unavailable.fetch_add(1, Ordering::SeqCst);
                        // No busy loop against a database that is down.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
    }
    until("load on every instance", || {
        served.iter().all(|n| n.load(Ordering::SeqCst) >= 20)
    })
    .await;

    let began = Instant::now();
    let mut cluster = tokio::task::spawn_blocking(move || {
        cluster.stop().unwrap();
        cluster
    })
    .await
    .unwrap();
    until("503s while the database is down", || {
        unavailable.load(Ordering::SeqCst) >= 2 * INSTANCES_HERE
    })
    .await;
    // And a plain request answers the same.
    assert_unavailable(&banks[1].details(apps[0].token.user_id).await.unwrap_err());
    let down_for = began.elapsed();

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.start_again().unwrap();
        cluster
    })
    .await
    .unwrap();
    back.store(true, Ordering::SeqCst);
    until("every instance serving again", || {
        served_back.iter().all(|n| n.load(Ordering::SeqCst) >= 10)
    })
    .await;
    stop_load(&stop, &mut tasks).await;
    eprintln!(
        "down {down_for:?}; back after {:?}; {} requests, {} answered 503",
        began.elapsed(),
        sent.load(Ordering::SeqCst),
        unavailable.load(Ordering::SeqCst)
    );

    let accepted = std::mem::take(&mut *seen.accepted.lock().unwrap());
    assert!(!accepted.is_empty());
    assert_accepts_hold(&banks[0], &apps, &accepted).await;
    assert_accepts_hold(&banks[1], &apps, &accepted).await;
    // The same processes, never restarted.
    for mut server in servers {
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "{}",
            server.log()
        );
    }
    drop(cluster);
}
