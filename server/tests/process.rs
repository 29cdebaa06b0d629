#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
// Helpers outside #[test] functions fail the test with a message; that is their job.
#![allow(clippy::panic)]
//! The real `softtoken-server` binary as a child process on 127.0.0.1: the `serve` contract
//! (ready line, `--dev` bootstrap, config refusal, SIGTERM), the admin subcommands, and
//! durability across `kill -9`.
//!
//! The child-process harness is `common/serve.rs` (shared with `instances.rs`). Every wait is
//! bounded by its `WAIT`; every child is killed when its guard drops.

use std::{
    collections::HashSet,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

mod common;

use common::serve::{
    BIN, Server, WAIT, assert_accept_not_repeated, assert_failures_not_back, run, run_fails,
    run_ok, s, serve, stop_load, write_config,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use softtoken_protocol::{
    clock::{Clock, SystemClock},
    totp::Totp,
    wire::{IssueTokenResponse, TokenState, VerifyResponse, VerifyResult},
};
use softtoken_server::auth::KEY_CACHE_TTL;
use softtoken_testkit::{
    BankClient, BankError, DeviceClient,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, SERVICE_ID as DEV_SERVICE},
    tls,
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
    sync::Notify,
    time::timeout,
};

/// `serve --dev --data-dir DIR --listen 127.0.0.1:0`, logging to `DIR/../<log_name>`.
async fn serve_dev(data_dir: &Path, log_name: &str) -> Server {
    let log = data_dir.parent().unwrap().join(log_name);
    serve(
        &[
            "--dev",
            "--data-dir",
            data_dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &log,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The bank and the phone over HTTPS (the test kit's clients, pinned to the child's CA)
// ---------------------------------------------------------------------------------------------

/// The development CA a `--dev` child wrote into `data_dir`.
fn dev_ca(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("tls/ca.pem")).unwrap()
}

/// The bank of the `--dev` demo service of `data_dir`, with the key the child wrote there.
fn dev_bank(data_dir: &Path, server: &Server) -> BankClient {
    let key = std::fs::read_to_string(data_dir.join("dev-api-key")).unwrap();
    BankClient::new(&server.url, &dev_ca(data_dir), DEV_SERVICE, key.trim()).unwrap()
}

/// A verify call; `None` when no reply was received (e.g. the server was killed). Any reply
/// but 200 fails the test.
async fn try_verify(
    bank: &BankClient,
    token: &IssueTokenResponse,
    otp: &str,
) -> Option<VerifyResponse> {
    match bank.verify(token.user_id, otp).await {
        Ok(reply) => Some(reply),
        Err(BankError::Transport(_)) => None,
        Err(other) => panic!("{other}"),
    }
}

/// The child's clock: the system's.
fn now_secs() -> u64 {
    SystemClock.now_ms() / 1000
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn dev_server_prints_ready_serves_https_and_exits_0_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = serve_dev(&data, "server.log").await;

    for file in ["tls/ca.pem", "dev-api-key", "kek.hex"] {
        assert!(data.join(file).is_file(), "{file} missing");
    }
    let client = tls::pinned_client(&dev_ca(&data)).unwrap();
    let response = client
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    let status = server.sigterm().await;
    assert_eq!(status.code(), Some(0), "{status:?}; log:\n{}", server.log());
}

#[tokio::test]
async fn restart_reuses_ca_key_and_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");

    let mut first = serve_dev(&data, "first.log").await;
    let ca = std::fs::read(data.join("tls/ca.pem")).unwrap();
    let api_key = std::fs::read(data.join("dev-api-key")).unwrap();
    let token = dev_bank(&data, &first)
        .issue("a@b.jp", PASSWORD)
        .await
        .unwrap();
    assert_eq!(first.sigterm().await.code(), Some(0), "{}", first.log());

    let mut second = serve_dev(&data, "second.log").await;
    assert_eq!(std::fs::read(data.join("tls/ca.pem")).unwrap(), ca);
    assert_eq!(std::fs::read(data.join("dev-api-key")).unwrap(), api_key);
    // A client pinned to the old CA bytes still connects, with the old key.
    let details = dev_bank(&data, &second)
        .details(token.user_id)
        .await
        .unwrap();
    assert_eq!(details.state, TokenState::Issued);
    assert_eq!(details.user_id, token.user_id);
    assert_eq!(second.sigterm().await.code(), Some(0), "{}", second.log());
}

#[tokio::test]
async fn refuses_to_start_without_config_or_dev() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let listen = ["--listen", "127.0.0.1:0"];

    // Neither --config nor --dev.
    let stderr = run_fails(
        &[&["serve", "--data-dir", s(&data)], &listen[..]].concat(),
        2,
    )
    .await;
    assert!(stderr.contains("--config"), "{stderr}");
    assert!(!data.join("softtoken.db").exists(), "nothing is created");
    // Contradictory or incomplete flags are usage errors too.
    let config = tmp.path().join("server.toml");
    let stderr = run_fails(
        &[&["serve", "--dev", "--config", s(&config)], &listen[..]].concat(),
        2,
    )
    .await;
    assert!(stderr.contains("--dev"), "{stderr}");
    let stderr = run_fails(&[&["serve", "--dev"], &listen[..]].concat(), 2).await;
    assert!(stderr.contains("--data-dir"), "{stderr}");

    // A config whose TLS files do not exist.
    let tls_dir = tmp.path().join("tls");
    let kek = tmp.path().join("kek");
    write_config(
        &config,
        &data,
        &tls_dir.join("server.pem"),
        &tls_dir.join("server-key.pem"),
        &kek,
    );
    let stderr = run_fails(
        &[&["serve", "--config", s(&config)], &listen[..]].concat(),
        2,
    )
    .await;
    assert!(
        stderr.contains(s(&tls_dir.join("server.pem"))),
        "names the missing file: {stderr}"
    );

    // TLS present, KEK missing.
    let tls = softtoken_server::tls::ensure_dev_tls(tmp.path()).unwrap();
    write_config(&config, &data, &tls.cert_pem, &tls.key_pem, &kek);
    let stderr = run_fails(
        &[&["serve", "--config", s(&config)], &listen[..]].concat(),
        2,
    )
    .await;
    assert!(stderr.contains("KEK"), "{stderr}");
    assert!(stderr.contains(s(&kek)), "names the KEK file: {stderr}");
    assert!(
        stderr.contains("kek generate"),
        "says how to fix it: {stderr}"
    );
    assert!(!kek.exists(), "a production start never invents a KEK");
    assert!(!data.join("softtoken.db").exists(), "nothing is created");
}

#[tokio::test]
async fn production_config_works_end_to_end() {
    // TLS material as a deployment would have it (here: from the dev CA), in another dir.
    let tls_home = tempfile::tempdir().unwrap();
    let tls = softtoken_server::tls::ensure_dev_tls(tls_home.path()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path();
    let kek = b.join("kek");
    let data = b.join("data");
    let config = b.join("server.toml");

    let out = run_ok(&["kek", "generate", s(&kek)]).await;
    assert!(out.contains(s(&kek)), "{out}");
    let meta = std::fs::metadata(&kek).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.len(), 65, "64 hex characters and a newline");
    let original = std::fs::read(&kek).unwrap();
    // Never over an existing key.
    let stderr = run_fails(&["kek", "generate", s(&kek)], 1).await;
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(&kek).unwrap(), original);

    write_config(&config, &data, &tls.cert_pem, &tls.key_pem, &kek);
    let f = s(&config);

    // A new provider's database is made by `init`, once; `migrate` then finds it.
    let out = run_ok(&["init", "--config", f]).await;
    assert!(out.contains("schema version 4"), "{out}");
    let out = run_ok(&["migrate", "--config", f]).await;
    assert!(out.contains("schema version 4"), "{out}");

    let out = run_ok(&[
        "service",
        "add",
        "--config",
        f,
        "--service-id",
        "20240001",
        "--name",
        "Test Bank",
    ])
    .await;
    assert!(out.contains("20240001"), "{out}");
    let out = run_ok(&["service", "list", "--config", f]).await;
    assert!(
        out.contains("20240001") && out.contains("Test Bank"),
        "{out}"
    );

    let out = run_ok(&[
        "key",
        "create",
        "--config",
        f,
        "--service-id",
        "20240001",
        "--label",
        "t",
    ])
    .await;
    let api_key = out.trim().to_owned();
    assert_eq!(api_key.lines().count(), 1, "stdout is the key alone: {out}");
    let (key_id, secret) = api_key
        .strip_prefix("st_")
        .and_then(|rest| rest.split_once('.'))
        .unwrap_or_else(|| panic!("not an API key: {api_key:?}"));
    assert!(!key_id.is_empty() && !secret.is_empty());
    let listing = run_ok(&["key", "list", "--config", f]).await;
    assert!(listing.contains(key_id), "{listing}");
    assert!(listing.contains("20240001"), "{listing}");
    assert!(
        !listing.contains(secret),
        "key list shows a secret: {listing}"
    );

    let mut server = serve(
        &["--config", f, "--listen", "127.0.0.1:0"],
        &b.join("server.log"),
    )
    .await;
    assert!(
        !data.join("dev-api-key").exists(),
        "no dev bootstrap in production"
    );
    let ca = std::fs::read_to_string(&tls.ca_pem).unwrap();
    let bank = BankClient::new(&server.url, &ca, "20240001", &api_key).unwrap();
    let token = bank.issue("a@b.jp", PASSWORD).await.unwrap();
    assert_eq!(token.service_id.as_str(), "20240001");
    assert_eq!(
        bank.details(token.user_id).await.unwrap().state,
        TokenState::Issued
    );

    // Revoked by another process while the server runs: refused within the key cache's
    // lifetime (KEY_CACHE_TTL, 2 s; docs/server.md), and from then on.
    // `--`: key ids are URL-safe base64 and may start with `-` (see the report on main.rs).
    let out = run_ok(&["key", "revoke", "--config", f, "--", key_id]).await;
    let revoked_at = Instant::now();
    assert!(out.contains(key_id), "{out}");
    loop {
        match bank.details(token.user_id).await {
            Err(refused) if refused.status() == Some(401) => break,
            reply => assert!(reply.is_ok(), "{reply:?}"),
        }
        assert!(
            revoked_at.elapsed() < KEY_CACHE_TTL + Duration::from_millis(500),
            "a revoked key still works {:?} after the revocation",
            revoked_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = bank.details(token.user_id).await.unwrap_err();
    assert_eq!(refused.status(), Some(401), "{refused}");
    let refused = bank.issue("c@d.jp", PASSWORD).await.unwrap_err();
    assert_eq!(refused.status(), Some(401), "{refused}");
    let listing = run_ok(&["key", "list", "--config", f]).await;
    assert!(
        listing
            .lines()
            .any(|line| line.contains(key_id) && line.contains("revoked")),
        "{listing}"
    );
    // Unknown key ids are an error, not a silent success.
    let out = run(&["key", "revoke", "--config", f, "nosuchkey000"]).await;
    assert!(!out.status.success());

    assert_eq!(server.sigterm().await.code(), Some(0), "{}", server.log());
}

/// One token the load drives with right codes, as the app holds it.
struct App {
    token: IssueTokenResponse,
    totp: Totp,
}

/// A code `totp` does not produce for `step` or its neighbours (so it is wrong, whatever the
/// window), of the right length.
fn wrong_code(totp: &Totp, step: u64) -> String {
    let near: Vec<String> = (step.saturating_sub(1)..=step + 1)
        .map(|s| totp.code_for_step(s).as_str().to_owned())
        .collect();
    let digits = near[0].len();
    (0..10u8)
        .map(|d| char::from(b'0' + d).to_string().repeat(digits))
        .find(|candidate| !near.contains(candidate))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_mid_load_keeps_every_promise() {
    const TASKS: usize = 8;
    const KILL_AFTER_REPLIES: usize = 150;
    const WRONG_CODES: usize = 4; // below the dev service's 5 (never locks); the last near the kill

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = serve_dev(&data, "before.log").await;
    let bank = dev_bank(&data, &server);
    let phone = DeviceClient::new(&server.url, &dev_ca(&data)).unwrap();

    // Three tokens for right codes, a fourth for wrong ones; all activated like the app does.
    let mut apps = Vec::new();
    for i in 0..4 {
        let token = bank
            .issue(&format!("user{i}@example.jp"), PASSWORD)
            .await
            .unwrap();
        let activated = phone
            .activate(&token.service_id, &token.user_id, PASSWORD)
            .await
            .unwrap();
        let totp = Totp::new(activated.params, activated.seed.expose()).unwrap();
        apps.push(App { token, totp });
    }
    let wrong = apps.pop().unwrap();
    let apps = Arc::new(apps);
    let wrong = Arc::new(wrong);
    let bank = Arc::new(bank);

    // Load: every task verifies the current code of a token in turn, and now and then a wrong
    // code for the fourth, until the server goes away.
    let replies = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let wrong_sent = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(Mutex::new(Vec::<(usize, String, u64)>::new()));
    let wrong_acks = Arc::new(Mutex::new(Vec::<u32>::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..TASKS {
        let (apps, wrong, bank) = (apps.clone(), wrong.clone(), bank.clone());
        let (replies, sent, wrong_sent, enough, stop) = (
            replies.clone(),
            sent.clone(),
            wrong_sent.clone(),
            enough.clone(),
            stop.clone(),
        );
        let (accepted, wrong_acks) = (accepted.clone(), wrong_acks.clone());
        tasks.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let n = sent.fetch_add(1, Ordering::SeqCst);
                let step = apps[0].totp.step_at(now_secs());
                if n % 37 == 36 && wrong_sent.fetch_add(1, Ordering::SeqCst) < WRONG_CODES {
                    let otp = wrong_code(&wrong.totp, step);
                    let Some(reply) = try_verify(&bank, &wrong.token, &otp).await else {
                        break;
                    };
                    assert_eq!(reply.result, VerifyResult::Rejected, "{reply:?}");
                    wrong_acks.lock().unwrap().push(reply.failures_left);
                } else {
                    let i = n % apps.len();
                    let otp = apps[i].totp.code_for_step(step).as_str().to_owned();
                    let Some(reply) = try_verify(&bank, &apps[i].token, &otp).await else {
                        break;
                    };
                    match reply.result {
                        VerifyResult::Accepted => accepted.lock().unwrap().push((i, otp, step)),
                        VerifyResult::Replayed => {}
                        other => panic!("right code answered {other:?}"),
                    }
                }
                if replies.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER_REPLIES {
                    enough.notify_one();
                }
            }
        });
    }
    let began = Instant::now();
    let _ = timeout(Duration::from_secs(1), enough.notified()).await;
    server.kill9().await;
    let killed_after = replies.load(Ordering::SeqCst);
    stop_load(&stop, &mut tasks).await;
    eprintln!(
        "killed after {killed_after} replies in {:?}; {} requests sent",
        began.elapsed(),
        sent.load(Ordering::SeqCst)
    );
    assert!(killed_after > 0, "no load reached the server");

    let accepted = std::mem::take(&mut *accepted.lock().unwrap());
    let wrong_acks = std::mem::take(&mut *wrong_acks.lock().unwrap());
    // Before the kill: at most one accepted code per token and step (replay protection).
    let distinct: HashSet<_> = accepted.iter().map(|(i, _, step)| (*i, *step)).collect();
    assert_eq!(distinct.len(), accepted.len(), "{accepted:?}");
    for i in 0..apps.len() {
        assert!(
            accepted.iter().any(|(j, _, _)| *j == i),
            "token {i} never accepted a code before the kill: {accepted:?}"
        );
    }
    assert!(!wrong_acks.is_empty(), "no wrong code was acknowledged");

    // Same directory, new process.
    let mut server = serve_dev(&data, "after.log").await;
    let bank = dev_bank(&data, &server);

    // Every promise made before the kill holds: an accepted code is never accepted again.
    for (i, otp, step) in &accepted {
        let app = &apps[*i];
        let age = app.totp.step_at(now_secs()) - step;
        let label = format!("token {i} step {step}");
        assert_accept_not_repeated(&bank, app.token.user_id, otp, age, &label).await;
    }
    // Failure counters never go back.
    assert_failures_not_back(
        &bank,
        wrong.token.user_id,
        &wrong_acks,
        WRONG_CODES,
        "after the restart",
    )
    .await;
    // And the tokens still work: the next step's code is accepted once.
    for app in apps.iter() {
        let next = app.totp.step_at(now_secs()) + 1;
        let otp = app.totp.code_for_step(next).as_str().to_owned();
        let verify = async || bank.verify(app.token.user_id, &otp).await.unwrap().result;
        assert_eq!(verify().await, VerifyResult::Accepted);
        assert_eq!(verify().await, VerifyResult::Replayed);
    }
    assert_eq!(server.sigterm().await.code(), Some(0), "{}", server.log());
}

/// An HTTP/1.1 exchange over TLS (pinned to `ca_pem`), driven by hand so the test knows
/// when the server has started on a request: the request says `Expect: 100-continue`, and
/// hyper answers `100 Continue` only once the handler reads the body. In between, `between`
/// runs (the test sends SIGTERM there). Returns the final response, head and body.
fn request_with_pause(
    ca_pem: &Path,
    addr: &str,
    head: &str,
    body: &[u8],
    between: impl FnOnce(),
) -> String {
    use std::io::{Read, Write};

    let config = tls::pinned_tls_config(&std::fs::read_to_string(ca_pem).unwrap()).unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.set_write_timeout(Some(WAIT)).unwrap();
    let mut stream = rustls::StreamOwned::new(tls, tcp);

    stream.write_all(head.as_bytes()).unwrap();
    stream.flush().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).unwrap();
        assert_ne!(n, 0, "closed before 100 Continue");
        got.extend_from_slice(&buf[..n]);
    }
    let interim = String::from_utf8_lossy(&got).into_owned();
    assert!(
        interim.starts_with("HTTP/1.1 100 Continue\r\n"),
        "{interim}"
    );
    let split = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut response = got.split_off(split);

    between();

    stream.write_all(body).unwrap();
    stream.flush().unwrap();
    // `Connection: close`: the response ends when the server closes (with or without
    // close_notify; a read timeout or reset also ends it, and the asserts judge the result).
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8(response).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_requests_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = serve_dev(&data, "server.log").await;
    let api_key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();

    // An issuance whose handler is already reading the body when SIGTERM arrives.
    let body =
        serde_json::to_vec(&json!({"email": "a@b.jp", "activation_password": PASSWORD})).unwrap();
    let head = format!(
        "POST /v1/services/{DEV_SERVICE}/tokens HTTP/1.1\r\n\
         Host: 127.0.0.1\r\n\
         Authorization: Bearer {}\r\n\
         Content-Type: application/json\r\n\
         Content-Length: {}\r\n\
         Expect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        api_key.trim(),
        body.len()
    );
    let addr = server.url.strip_prefix("https://").unwrap().to_owned();
    let ca = data.join("tls/ca.pem");
    let pid = server.pid;
    let probe = addr.clone();
    let response = timeout(
        WAIT,
        tokio::task::spawn_blocking(move || {
            request_with_pause(&ca, &addr, &head, &body, || {
                let sent = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .unwrap();
                assert!(sent.success());
                // Shutdown has begun once the listener is gone; our request is still open.
                let deadline = Instant::now() + WAIT;
                while std::net::TcpStream::connect(&probe).is_ok() {
                    assert!(Instant::now() < deadline, "still accepting after SIGTERM");
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        }),
    )
    .await
    .unwrap()
    .unwrap();
    let status = timeout(WAIT, server.child.wait()).await.unwrap().unwrap();
    assert_eq!(status.code(), Some(0), "{}", server.log());

    // The request finished, answered in full.
    assert!(response.starts_with("HTTP/1.1 201 "), "{response}");
    let (_, json) = response.split_once("\r\n\r\n").unwrap();
    let reply: IssueTokenResponse = serde_json::from_str(json).unwrap();

    // And what it acknowledged is in the database.
    let mut server = serve_dev(&data, "again.log").await;
    let details = dev_bank(&data, &server)
        .details(reply.user_id)
        .await
        .unwrap();
    assert_eq!(details.state, TokenState::Issued);
    assert_eq!(server.sigterm().await.code(), Some(0), "{}", server.log());
}

/// A production layout (TLS from a dev CA elsewhere, a generated KEK, a config), no database.
struct Production {
    tls_home: tempfile::TempDir,
    tmp: tempfile::TempDir,
    config: PathBuf,
    data: PathBuf,
    kek: PathBuf,
}

/// `/healthz` of a provider of `p` answers 200.
async fn assert_healthy(p: &Production, server: &Server) {
    let ca = dev_ca(p.tls_home.path());
    let health = tls::pinned_client(&ca).unwrap();
    let reply = health
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
}

async fn production() -> Production {
    let tls_home = tempfile::tempdir().unwrap();
    let tls = softtoken_server::tls::ensure_dev_tls(tls_home.path()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let kek = tmp.path().join("kek");
    let data = tmp.path().join("data");
    let config = tmp.path().join("server.toml");
    run_ok(&["kek", "generate", s(&kek)]).await;
    write_config(&config, &data, &tls.cert_pem, &tls.key_pem, &kek);
    Production {
        tls_home,
        tmp,
        config,
        data,
        kek,
    }
}

#[tokio::test]
async fn serve_never_creates_a_database_and_refuses_an_empty_or_corrupt_one() {
    let p = production().await;
    let f = s(&p.config);
    let db = p.data.join("softtoken.db");
    let serve_args = ["serve", "--config", f, "--listen", "127.0.0.1:0"];

    // No database, no init: refused, nothing created.
    let stderr = run_fails(&serve_args, 2).await;
    assert!(
        stderr.contains("no database") && stderr.contains("init"),
        "{stderr}"
    );
    assert!(!db.exists(), "serve created a database");
    // Admin commands do not create one either.
    let stderr = run_fails(&["service", "list", "--config", f], 2).await;
    assert!(stderr.contains("no database"), "{stderr}");
    assert!(!db.exists());

    // init creates it, once.
    let out = run_ok(&["init", "--config", f]).await;
    assert!(out.contains("schema version 4"), "{out}");
    let stderr = run_fails(&["init", "--config", f], 1).await;
    assert!(stderr.contains("exists already"), "{stderr}");
    let mut server = serve(&serve_args[1..], &p.tmp.path().join("ok.log")).await;
    assert_healthy(&p, &server).await;
    assert_eq!(server.sigterm().await.code(), Some(0), "{}", server.log());

    // Truncated to 0 bytes: refused, with what to do, and left as it is.
    std::fs::File::create(&db).unwrap();
    let stderr = run_fails(&serve_args, 2).await;
    assert!(stderr.contains("empty (0 bytes)"), "{stderr}");
    assert!(stderr.contains("backup"), "{stderr}");
    assert_eq!(
        std::fs::metadata(&db).unwrap().len(),
        0,
        "the empty file was written to"
    );

    // Not a database (garbage over the header): refused.
    std::fs::write(&db, vec![0x5au8; 8192]).unwrap();
    let stderr = run_fails(&serve_args, 2).await;
    assert!(stderr.contains("not a SQLite database"), "{stderr}");

    // --dev initialises a missing database for itself, but never an empty one.
    let dev = p.tmp.path().join("dev");
    let mut server = serve_dev(&dev, "dev.log").await;
    // A request first: SIGTERM right after the ready line may come before the handler is set.
    dev_bank(&dev, &server)
        .issue("a@b.jp", PASSWORD)
        .await
        .unwrap();
    assert_eq!(server.sigterm().await.code(), Some(0), "{}", server.log());
    std::fs::File::create(dev.join("softtoken.db")).unwrap();
    let args = [
        "serve",
        "--dev",
        "--data-dir",
        s(&dev),
        "--listen",
        "127.0.0.1:0",
    ];
    let stderr = run_fails(&args, 2).await;
    assert!(stderr.contains("empty (0 bytes)"), "{stderr}");
}

#[tokio::test]
async fn a_kek_file_others_may_read_is_refused_unless_allowed() {
    let p = production().await;
    let f = s(&p.config);
    run_ok(&["init", "--config", f]).await;
    std::fs::set_permissions(&p.kek, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stderr = run_fails(&["serve", "--config", f, "--listen", "127.0.0.1:0"], 2).await;
    assert!(
        stderr.contains("644") && stderr.contains(s(&p.kek)),
        "{stderr}"
    );
    assert!(
        stderr.contains("allow_insecure_kek_permissions"),
        "{stderr}"
    );

    let mut text = std::fs::read_to_string(&p.config).unwrap();
    text.push_str("\n[kek]\nallow_insecure_kek_permissions = true\n");
    std::fs::write(&p.config, text).unwrap();
    let log = p.tmp.path().join("allowed.log");
    let mut server = serve(&["--config", f, "--listen", "127.0.0.1:0"], &log).await;
    assert!(
        server.log().contains("readable by group or others"),
        "{}",
        server.log()
    );
    assert_healthy(&p, &server).await;
    assert_eq!(server.sigterm().await.code(), Some(0), "{}", server.log());
}

/// Every file under `dir` 0600 and every directory 0700 (`dir` itself included).
fn assert_owner_only(dir: &Path) {
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::metadata(&path).unwrap();
        if meta.is_dir() {
            assert_owner_only(&path);
        } else {
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
        }
    }
}

#[tokio::test]
async fn every_file_the_provider_creates_is_owner_only_under_umask_022() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let log = tmp.path().join("server.log");
    // The child runs under umask 022 (the usual one), whatever this process has.
    let script = format!(
        "umask 022 && exec \"$0\" serve --dev --data-dir '{}' --listen 127.0.0.1:0",
        s(&data)
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script, BIN])
        .env_remove("SOFTTOKEN_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = timeout(WAIT, stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = line.strip_prefix("ready ").unwrap().to_owned();
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    let bank = BankClient::new(&url, &dev_ca(&data), DEV_SERVICE, key.trim()).unwrap();
    // An issuance writes the database, its WAL and an outbox mail.
    bank.issue("a@b.jp", PASSWORD).await.unwrap();
    for file in [
        "softtoken.db",
        "softtoken.db-wal",
        "softtoken.db-shm",
        "kek.hex",
        "tls/ca.pem",
    ] {
        assert!(data.join(file).exists(), "{file} missing");
    }
    assert_eq!(std::fs::read_dir(data.join("outbox")).unwrap().count(), 1);
    assert_owner_only(&data);
    child.start_kill().unwrap();
}
