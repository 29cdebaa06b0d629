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
//!   storage. Each iteration activates a token issued for it alone (a fresh mail address, so no
//!   issuance replaces a token still waiting in the pool); issuing it (an Argon2id on the
//!   provider) happens outside the measured time.
//! - `activation/phase_*`: the same activations, each timing one of its phases
//!   ([`ACTIVATION_PHASES`], the core's `tracing` spans, timed by [`PhaseTimer`]):
//!   1. `phase_1_start_round_trip`: `POST /v1/activations`, TCP and TLS handshake included;
//!   2. `phase_2_key_stretching`: the app's Argon2id and OPAQUE finish (blocking pool);
//!   3. `phase_3_finish_round_trip`: `POST …/finish` on a new connection;
//!   4. `phase_4_storage`: keystore write, then the metadata file.
//! - `activation/argon2id`: one Argon2id evaluation alone (the protocol's `KsfV1`, m = 64 MiB,
//!   t = 3, p = 1), what the phone spends on key stretching.
//! - `activation/client_handshake_local`: only the app's own handshake work, no network:
//!   `ClientActivation::start` + `finish` against a local `ServerActivation` (whose own work is
//!   not timed). About one Argon2id plus the curve operations.
//!
//! At the end it prints the medians: the whole, each phase, and "activation besides Argon2id"
//! (the whole minus `argon2id`), the figure issue 5 bounds at 50 ms on loopback.
//!
//! Run: `keyctl session - cargo bench -p softtoken-core --bench core` (about two minutes).

use std::{
    hint::black_box,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, measurement::WallTime};
use opaque_ke::{generic_array::GenericArray, ksf::Ksf};
use rand_core::{OsRng, RngCore};
use softtoken_core::{
    SoftToken, StoreChoice,
    keystore::SeedVault,
    secret_store::{MemorySecretStore, SecretStore},
    softtoken::ACTIVATION_PHASES,
};
use softtoken_protocol::{
    activation::{
        Binding, ClientActivation, KsfV1, ProviderSetup, ServerActivation, prepare_password,
        register,
    },
    ids::{ServiceId, UserId},
    secret::Seed,
    totp::{Algorithm, TokenParams},
};
use softtoken_testkit::{
    BankClient, TestProvider,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, SERVICE_ID as SERVICE},
    tls,
};
use tokio::runtime::Runtime;
use tracing::{
    Metadata, Subscriber,
    span::{Attributes, Id},
    subscriber::Interest,
};
use tracing_subscriber::{
    layer::{Context, Layer, SubscriberExt},
    registry::LookupSpan,
};

/// The kit's provider, on a Tokio runtime of the bench's own, and its bank.
struct Provider {
    rt: Runtime,
    kit: TestProvider,
    bank: BankClient,
    /// How many tokens were issued so far: each gets a mail address of its own, because the
    /// provider replaces a customer's unfinished token when it issues another for them.
    issued: AtomicUsize,
}

impl Provider {
    fn start() -> Provider {
        let rt = Runtime::new().unwrap();
        let kit = rt.block_on(TestProvider::start()).unwrap();
        // Longer than the kit's default: the pool is issued many at once, each an Argon2id.
        let http = tls::pinned_client_builder(kit.ca_pem())
            .unwrap()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let bank = BankClient::with_http(http, kit.url(), kit.service_id(), kit.api_key());
        Provider {
            rt,
            kit,
            bank,
            issued: AtomicUsize::new(0),
        }
    }

    /// Issues `n` new tokens through the bank API (concurrently), each for a mail address never
    /// used before; returns their User IDs.
    fn issue(&self, n: usize) -> Vec<String> {
        let first = self.issued.fetch_add(n, Ordering::Relaxed);
        self.rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for i in first..first + n {
                let bank = self.bank.clone();
                tasks.spawn(async move {
                    let email = format!("bench{i}@example.jp");
                    let issued = bank.issue(&email, PASSWORD).await.unwrap();
                    issued.user_id.to_string()
                });
            }
            tasks.join_all().await
        })
    }

    /// A phone with its metadata in `data_dir`, on the system clock.
    fn phone(&self, store: StoreChoice, data_dir: &Path) -> SoftToken {
        SoftToken::new(self.kit.core_config(data_dir, store, None)).unwrap()
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

/// A `tracing` layer that times the core's activation phase spans ([`ACTIVATION_PHASES`]):
/// from the span's creation to its close. Every other span and event is disabled, so the
/// provider's logging costs nothing here.
#[derive(Clone, Default)]
struct PhaseTimer(Arc<Mutex<Vec<(&'static str, Duration)>>>);

/// When a phase span was opened (kept in the span's extensions).
struct Opened(Instant);

fn is_phase(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && ACTIVATION_PHASES.contains(&metadata.name())
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for PhaseTimer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_phase(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        is_phase(metadata)
    }

    fn on_new_span(&self, _: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Opened(Instant::now()));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(Opened(at)) = span.extensions().get::<Opened>()
        {
            self.0.lock().unwrap().push((span.name(), at.elapsed()));
        }
    }
}

impl PhaseTimer {
    /// Installs the timer as the process's `tracing` subscriber.
    fn install() -> PhaseTimer {
        let timer = PhaseTimer::default();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(timer.clone()))
            .unwrap();
        timer
    }

    /// Forgets what was recorded so far.
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// The phase durations of the one activation recorded since [`PhaseTimer::clear`], in
    /// [`ACTIVATION_PHASES`] order.
    fn take(&self) -> [Duration; 4] {
        let recorded = std::mem::take(&mut *self.0.lock().unwrap());
        ACTIVATION_PHASES.map(|phase| {
            let mut found = recorded.iter().filter(|(name, _)| *name == phase);
            let (_, took) = found.next().unwrap_or_else(|| panic!("no {phase} span"));
            assert!(
                found.next().is_none(),
                "two {phase} spans in one activation"
            );
            *took
        })
    }
}

/// One activation, timed whole and by phase.
#[derive(Clone, Copy)]
struct Timed {
    whole: Duration,
    phases: [Duration; 4],
}

/// A phone that activates tokens issued for it ahead of time (untimed), then removes them.
struct Activator<'a> {
    provider: &'a Provider,
    phone: SoftToken,
    timer: PhaseTimer,
    /// Issued, not yet activated: each is used once.
    pool: Vec<String>,
    /// Every activation's times, for the summary.
    all: Vec<Timed>,
    _dir: tempfile::TempDir,
}

impl Activator<'_> {
    /// Activates `iters` tokens, returning each one's times; issues more first if the pool
    /// is short (never re-issuing for a customer whose token is still in the pool).
    fn activate(&mut self, iters: u64) -> Vec<Timed> {
        let iters = usize::try_from(iters).unwrap();
        if self.pool.len() < iters {
            self.pool
                .extend(self.provider.issue(iters - self.pool.len()));
        }
        let users: Vec<String> = self.pool.drain(..iters).collect();
        let mut ids = Vec::with_capacity(iters);
        let mut times = Vec::with_capacity(iters);
        for user in &users {
            self.timer.clear();
            let started = Instant::now();
            let info = self
                .provider
                .rt
                .block_on(self.phone.activate(SERVICE, black_box(user), PASSWORD))
                .unwrap();
            let whole = started.elapsed();
            times.push(Timed {
                whole,
                phases: self.timer.take(),
            });
            ids.push(info.id);
        }
        for id in ids {
            self.phone.remove(&id).unwrap();
        }
        self.all.extend_from_slice(&times);
        times
    }

    /// A benchmark of activations that reports `part` of each.
    fn bench(
        &mut self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        name: &str,
        part: fn(&Timed) -> Duration,
    ) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| self.activate(iters).iter().map(part).sum())
        });
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn bench_activation(
    c: &mut Criterion,
    provider: &Provider,
    primary: &(&'static str, StoreChoice),
    timer: PhaseTimer,
) {
    let mut group = c.benchmark_group("activation");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    // On loopback against the real provider: the whole, then each phase.
    let dir = tempfile::tempdir().unwrap();
    let mut activator = Activator {
        provider,
        phone: provider.phone(primary.1.clone(), dir.path()),
        timer,
        pool: provider.issue(24),
        all: Vec::new(),
        _dir: dir,
    };
    activator.bench(&mut group, "full_loopback", |t| t.whole);
    let phase_names = [
        "phase_1_start_round_trip",
        "phase_2_key_stretching",
        "phase_3_finish_round_trip",
        "phase_4_storage",
    ];
    let phase_parts: [fn(&Timed) -> Duration; 4] = [
        |t| t.phases[0],
        |t| t.phases[1],
        |t| t.phases[2],
        |t| t.phases[3],
    ];
    for (name, part) in phase_names.into_iter().zip(phase_parts) {
        activator.bench(&mut group, name, part);
    }

    // One Argon2id evaluation: the key stretching the phone does in phase 2.
    let argon2id = Samples::default();
    group.bench_function("argon2id", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let input = GenericArray::<u8, opaque_ke::generic_array::typenum::U64>::default();
                let started = Instant::now();
                black_box(KsfV1.hash(black_box(input)).unwrap());
                let took = started.elapsed();
                argon2id.push(took);
                total += took;
            }
            total
        })
    });

    // The app's handshake alone, against a local provider side (untimed).
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
                total += took;
            }
            total
        })
    });
    group.finish();

    summarise(&activator.all, argon2id.median());
}

/// Prints the medians over every timed activation: the whole, each phase, what lies outside
/// the phases, and the whole besides Argon2id, two ways: minus the median of one Argon2id
/// alone (`argon2id`), and minus each activation's own key stretching (Argon2id plus OPAQUE's
/// finish; steadier on a loaded machine, where Argon2id varies by tens of milliseconds).
fn summarise(all: &[Timed], argon2id: Option<Duration>) {
    if all.is_empty() {
        return;
    }
    let median_of = |f: &dyn Fn(&Timed) -> f64| {
        let mut values: Vec<f64> = all.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let whole = median_of(&|t| ms(t.whole));
    eprintln!(
        "activation on loopback, medians of {} activations:",
        all.len()
    );
    eprintln!("  whole                              {whole:7.2} ms");
    for (i, phase) in ACTIVATION_PHASES.iter().enumerate() {
        let took = median_of(&|t| ms(t.phases[i]));
        eprintln!("  {}. {phase:<31} {took:7.2} ms", i + 1);
    }
    let outside = median_of(&|t| ms(t.whole) - t.phases.iter().copied().map(ms).sum::<f64>());
    eprintln!("  outside the phases (IDs, KE1, JSON) {outside:7.2} ms");
    eprintln!(
        "  whole − key stretching             {:7.2} ms",
        median_of(&|t| ms(t.whole) - ms(t.phases[1]))
    );
    // With `argon2id` filtered out there is no Argon2id figure to subtract.
    if let Some(argon2id) = argon2id {
        eprintln!(
            "  one Argon2id alone                 {:7.2} ms",
            ms(argon2id)
        );
        eprintln!(
            "  besides Argon2id: whole − Argon2id {:7.2} ms (target ≤ 50 ms)",
            whole - ms(argon2id)
        );
    }
}

fn main() {
    let timer = PhaseTimer::install();
    let mut c = Criterion::default().configure_from_args();
    let provider = Provider::start();
    let primary = primary_store();
    bench_current_code(&mut c, &provider, &primary);
    bench_activation(&mut c, &provider, &primary, timer);
    c.final_summary();
}
