#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The app core's costs: showing a code, and activating a token.
//!
//! - `current_code/*`: [`SoftToken::current_code`], which reads the metadata file and the seed
//!   from the keystore on every call (nothing is cached), then computes the code. Once with the
//!   platform keystore (the Linux kernel keyring; needs a session keyring, which
//!   `cargo xtask bench` provides through `keyctl session -`; without one the bench falls back
//!   to the memory store and says so), once with the in-memory store.
//! - `activation/full_loopback`: [`SoftToken::activate`] end to end against the real provider
//!   in process over HTTPS on 127.0.0.1: two round trips, the app's Argon2id, OPAQUE and seed
//!   storage. Each iteration activates a fresh token; issuing it (an Argon2id on the provider)
//!   happens outside the measured time.
//! - `activation/client_handshake_local`: only the app's own handshake work, no network:
//!   `ClientActivation::start` + `finish` against a local `ServerActivation` (whose own work is
//!   not timed). About one Argon2id plus the curve operations; the rest of `full_loopback` is
//!   HTTPS, JSON, the provider's work and storage.
//! - `activation/register_one_argon2id`: OPAQUE registration (what the provider does at
//!   issuance): one Argon2id plus a few curve operations, the nearest public proxy for one
//!   Argon2id evaluation (m = 64 MiB, t = 3, p = 1).
//!
//! Run: `keyctl session - cargo bench -p softtoken-core --bench core` (about a minute).

use std::{
    hint::black_box,
    net::SocketAddr,
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use criterion::{Criterion, SamplingMode};
use rand_core::{OsRng, RngCore};
use softtoken_core::{
    CoreConfig, SoftToken, StoreChoice, Timeouts,
    keystore::SeedVault,
    secret_store::{MemorySecretStore, SecretStore},
};
use softtoken_protocol::clock::{Clock as ServerClock, SystemClock as ServerSystemClock};
use softtoken_protocol::{
    activation::{
        Binding, ClientActivation, ProviderSetup, ServerActivation, prepare_password, register,
    },
    ids::{ServiceId, UserId},
    secret::Seed,
    totp::{Algorithm, TokenParams},
    wire::{DeviceInfo, IssueTokenResponse},
};
use softtoken_server::{
    config::Config,
    server::{self, RunningServer, StartOptions},
};
use tokio::runtime::Runtime;

const SERVICE: &str = "10121234";
const PASSWORD: &str = "Sakura#2026";

/// The real provider, in process, on its own Tokio runtime.
struct Provider {
    rt: Runtime,
    server: RunningServer,
    ca_pem: String,
    http: reqwest::Client,
    api_key: String,
    _dir: tempfile::TempDir,
}

impl Provider {
    fn start() -> Provider {
        softtoken_server::tls::install_crypto_provider();
        let rt = Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::dev(dir.path(), SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        config.limits.device_requests_per_minute = 0;
        let server = rt
            .block_on(server::start(StartOptions {
                config,
                dev: true,
                clock: Arc::new(ServerSystemClock) as Arc<dyn ServerClock>,
            }))
            .unwrap();
        let ca_pem = std::fs::read_to_string(dir.path().join("tls/ca.pem")).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let api_key = server.dev_api_key.clone().unwrap();
        Provider {
            rt,
            server,
            ca_pem,
            http,
            api_key,
            _dir: dir,
        }
    }

    /// Issues `n` tokens through the bank API (concurrently); returns their User IDs.
    fn issue(&self, n: usize) -> Vec<String> {
        let url = format!("{}/v1/services/{SERVICE}/tokens", self.server.url());
        self.rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..n {
                let (http, url, key) = (self.http.clone(), url.clone(), self.api_key.clone());
                tasks.spawn(async move {
                    let body = serde_json::json!({"email": format!("bench{i}@example.jp"), "activation_password": PASSWORD});
                    let response = http.post(url).bearer_auth(key).json(&body).send().await.unwrap();
                    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
                    response.json::<IssueTokenResponse>().await.unwrap().user_id.to_string()
                });
            }
            tasks.join_all().await
        })
    }

    fn phone(&self, store: StoreChoice, data_dir: &Path) -> SoftToken {
        SoftToken::new(CoreConfig {
            provider_url: self.server.url(),
            provider_ca_pem: self.ca_pem.clone(),
            data_dir: data_dir.to_path_buf(),
            secret_store: store,
            clock: None,
            timeouts: Timeouts::default(),
            device: DeviceInfo {
                platform: "linux".into(),
                model: Some("bench".into()),
                app_version: None,
            },
        })
        .unwrap()
    }
}

/// Whether the platform keystore works here (on Linux: a session keyring is there).
fn platform_keystore_works() -> bool {
    let Ok(vault) = SeedVault::new(StoreChoice::Platform) else {
        return false;
    };
    let mut bytes = [0u8; 8];
    OsRng.fill_bytes(&mut bytes);
    let id = format!("bench-probe-{}", hex::encode(bytes));
    let works = vault
        .put(
            &id,
            Algorithm::Sha1,
            &Seed::from_vec(vec![7; Algorithm::Sha1.seed_len()]),
        )
        .is_ok();
    let _ = vault.delete(&id);
    works
}

/// The keystore the measured phone uses: the platform one if it works, else memory.
fn primary_store() -> (&'static str, StoreChoice) {
    if platform_keystore_works() {
        eprintln!("core bench: seeds in the platform keystore (Linux kernel keyring)");
        ("platform_keyring", StoreChoice::Platform)
    } else {
        eprintln!(
            "core bench: the platform keystore is unavailable (no session keyring? run under \
             `keyctl session -`); falling back to the memory store"
        );
        (
            "memory_fallback",
            StoreChoice::Foreign(Arc::new(MemorySecretStore::new()) as Arc<dyn SecretStore>),
        )
    }
}

fn bench_current_code(
    c: &mut Criterion,
    provider: &Provider,
    primary: &(&'static str, StoreChoice),
) {
    let mut group = c.benchmark_group("current_code");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let memory = StoreChoice::Foreign(Arc::new(MemorySecretStore::new()) as Arc<dyn SecretStore>);
    let users = provider.issue(2);
    for ((name, store), user) in [(primary.0, primary.1.clone()), ("memory_store", memory)]
        .into_iter()
        .zip(users)
    {
        let dir = tempfile::tempdir().unwrap();
        let phone = provider.phone(store, dir.path());
        let info = provider
            .rt
            .block_on(phone.activate(SERVICE, &user, PASSWORD))
            .unwrap();
        assert_eq!(phone.current_code(&info.id).unwrap().code.len(), 8);
        group.bench_function(name, |b| {
            b.iter(|| phone.current_code(black_box(&info.id)).unwrap())
        });
        phone.remove(&info.id).unwrap();
    }
    group.finish();
}

/// Per-iteration times of the `iter_custom` benchmarks, for the summary at the end.
#[derive(Default)]
struct Samples(Mutex<Vec<Duration>>);

impl Samples {
    fn push(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }

    fn median(&self) -> Option<Duration> {
        let mut all = self.0.lock().unwrap().clone();
        all.sort();
        all.get(all.len() / 2).copied()
    }
}

fn bench_activation(c: &mut Criterion, provider: &Provider, primary: &(&'static str, StoreChoice)) {
    let mut group = c.benchmark_group("activation");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    // End to end. Tokens are issued ahead (untimed), topped up when criterion wants more.
    let full = Samples::default();
    let mut pool = provider.issue(24);
    let dir = tempfile::tempdir().unwrap();
    let phone = provider.phone(primary.1.clone(), dir.path());
    group.bench_function("full_loopback", |b| {
        b.iter_custom(|iters| {
            let iters = usize::try_from(iters).unwrap();
            if pool.len() < iters {
                pool.extend(provider.issue(iters - pool.len()));
            }
            let users: Vec<String> = pool.drain(..iters).collect();
            let mut ids = Vec::with_capacity(iters);
            let mut total = Duration::ZERO;
            for user in &users {
                let started = Instant::now();
                let info = provider
                    .rt
                    .block_on(phone.activate(SERVICE, black_box(user), PASSWORD))
                    .unwrap();
                let took = started.elapsed();
                full.push(took);
                total += took;
                ids.push(info.id);
            }
            for id in ids {
                phone.remove(&id).unwrap();
            }
            total
        })
    });

    // The app's handshake alone, against a local provider side (untimed).
    let client = Samples::default();
    let setup = ProviderSetup::generate(&mut OsRng);
    let params = TokenParams::new(Algorithm::Sha1, 8, 30).unwrap();
    let binding = Binding::new(
        ServiceId::parse(SERVICE).unwrap(),
        UserId::parse("12345678901234CI").unwrap(),
        params,
    );
    let password = prepare_password(PASSWORD).unwrap();
    let file = register(&mut OsRng, &setup, &binding, &password).unwrap();
    group.bench_function("client_handshake_local", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let (state, ke1) = ClientActivation::start(&mut OsRng, &password).unwrap();
                let mut took = started.elapsed();
                let (server, ke2) =
                    ServerActivation::start(&mut OsRng, &setup, Some(&file), binding, &ke1)
                        .unwrap();
                let started = Instant::now();
                let finished = state.finish(&mut OsRng, &password, &binding, &ke2).unwrap();
                took += started.elapsed();
                let done = server
                    .finish(&finished.ke3, &finished.client_confirmation)
                    .unwrap();
                let started = Instant::now();
                let seed = finished
                    .pending
                    .accept_server_confirmation(&done.server_confirmation)
                    .unwrap();
                took += started.elapsed();
                assert_eq!(seed.expose(), done.seed.expose());
                client.push(took);
                total += took;
            }
            total
        })
    });

    group.bench_function("register_one_argon2id", |b| {
        b.iter(|| register(&mut OsRng, &setup, black_box(&binding), &password).unwrap())
    });
    group.finish();

    if let (Some(full), Some(client)) = (full.median(), client.median()) {
        // Signed: Argon2id dominates both and varies by several ms, so "the rest" is only as
        // precise as that noise.
        let rest_ms = full.as_secs_f64() * 1e3 - client.as_secs_f64() * 1e3;
        eprintln!(
            "activation medians: full on loopback {:.1} ms = the app's handshake {:.1} ms + the \
             rest (HTTPS, JSON, provider, storage) {rest_ms:+.1} ms",
            full.as_secs_f64() * 1e3,
            client.as_secs_f64() * 1e3,
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let provider = Provider::start();
    let primary = primary_store();
    bench_current_code(&mut c, &provider, &primary);
    bench_activation(&mut c, &provider, &primary);
    c.final_summary();
}
