#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The exported API as Kotlin and Swift see it, driven from Rust: the wrapper types, the error
//! mapping, the foreign-trait adapters, the library's runtime and cancellation — against the
//! real provider over HTTPS on 127.0.0.1.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use softtoken_ffi::{
    CoreConfig, DeviceInfo, FfiClock, FfiError, FfiLogger, FfiSecretStore, FfiSecretStoreError,
    LogLevel, SoftToken, TokenInfo, TokenStatus, set_logger,
};
use softtoken_protocol::wire::VerifyResult;
use softtoken_testkit::{
    TestProvider,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, SERVICE_ID as SERVICE},
};

/// A shell's in-memory store, as a Kotlin or Swift test would write it.
#[derive(Default)]
struct ShellStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
    fail_set: bool,
}

impl FfiSecretStore for ShellStore {
    fn get(&self, key: String) -> Result<Option<Vec<u8>>, FfiSecretStoreError> {
        Ok(self.entries.lock().unwrap().get(&key).cloned())
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), FfiSecretStoreError> {
        if self.fail_set {
            return Err(FfiSecretStoreError::Failed {
                reason: "disk full".into(),
            });
        }
        self.entries.lock().unwrap().insert(key, value);
        Ok(())
    }

    fn delete(&self, key: String) -> Result<(), FfiSecretStoreError> {
        self.entries.lock().unwrap().remove(&key);
        Ok(())
    }
}

/// A shell's clock that counts its calls.
#[derive(Default)]
struct ShellClock {
    calls: AtomicUsize,
}

impl FfiClock for ShellClock {
    fn now_ms(&self) -> i64 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    }
}

fn config(
    url: &str,
    ca_pem: &str,
    dir: &std::path::Path,
    store: Arc<dyn FfiSecretStore>,
) -> CoreConfig {
    CoreConfig {
        provider_url: url.to_owned(),
        provider_ca_pem: ca_pem.to_owned(),
        data_dir: dir.display().to_string(),
        device: DeviceInfo {
            platform: "test".into(),
            model: Some("ffi".into()),
            app_version: None,
        },
        secret_store: Some(store),
        clock: None,
        connect_timeout_ms: 10_000,
        request_timeout_ms: 30_000,
    }
}

/// A phone with its own data directory and the given store, talking to `url` and trusting
/// `provider`'s CA.
fn phone(
    url: &str,
    provider: &TestProvider,
    store: Arc<dyn FfiSecretStore>,
) -> (Arc<SoftToken>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let token = SoftToken::new(config(url, provider.ca_pem(), dir.path(), store)).unwrap();
    (token, dir)
}

/// A phone with a token the bank issued and the phone set up (pending confirmation).
async fn activated_phone(
    provider: &TestProvider,
) -> (Arc<SoftToken>, TokenInfo, tempfile::TempDir) {
    let user_id = provider.bank().unwrap().issue_test_token().await.unwrap();
    let (token, dir) = phone(provider.url(), provider, Arc::new(ShellStore::default()));
    let info = token
        .activate(SERVICE.into(), user_id, PASSWORD.into())
        .await
        .unwrap();
    (token, info, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_code_and_refresh_through_the_exported_api() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = bank.issue_test_token().await.unwrap();
    let store = Arc::new(ShellStore::default());
    let clock = Arc::new(ShellClock::default());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(provider.url(), provider.ca_pem(), dir.path(), store.clone());
    cfg.clock = Some(clock.clone());
    let token = SoftToken::new(cfg).unwrap();

    // As typed on a phone: full-width digits and spaces in the Service ID.
    let info = token
        .activate("１０１２ １２３４".into(), user_id.clone(), PASSWORD.into())
        .await
        .unwrap();
    assert_eq!(info.service_id, SERVICE);
    assert_eq!(info.status, TokenStatus::PendingConfirmation);
    assert_eq!(
        store.entries.lock().unwrap().len(),
        1,
        "the seed is in the shell's store"
    );

    let code = token.current_code(info.id.clone()).unwrap();
    assert_eq!(code.code.len(), 8);
    assert!(code.remaining_ms <= 30_000);
    assert!(
        !format!("{code:?}").contains(&code.code),
        "Debug redacts the code"
    );
    assert_eq!(code.valid_until_unix(), code.valid_from_unix + 30);
    let fraction = code.remaining_fraction();
    assert!(
        (fraction - code.remaining_ms as f32 / 30_000.0).abs() < 1e-6,
        "{fraction}"
    );
    assert!(
        clock.calls.load(Ordering::SeqCst) > 0,
        "the shell's clock is used"
    );
    assert_eq!(
        bank.verify(&user_id, &code.code).await.unwrap().result,
        VerifyResult::Accepted
    );

    let refreshed = token.refresh(info.id.clone()).await.unwrap();
    assert_eq!(refreshed.status, TokenStatus::Active);
    assert_eq!(token.tokens().unwrap(), vec![refreshed.clone()]);

    let renamed = token.rename(info.id.clone(), Some("銀行".into())).unwrap();
    assert_eq!(renamed.label.as_deref(), Some("銀行"));

    bank.revoke(&user_id).await.unwrap();
    assert_eq!(
        token.refresh(info.id.clone()).await.unwrap().status,
        TokenStatus::Revoked
    );
    assert!(matches!(
        token.current_code(info.id.clone()),
        Err(FfiError::TokenRevoked { .. })
    ));
    token.remove(info.id.clone()).unwrap();
    assert!(token.tokens().unwrap().is_empty());
    assert!(store.entries.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_map_to_one_actionable_variant_with_a_sentence() {
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let user_id = bank.issue_test_token().await.unwrap();
    let (token, _dir) = phone(provider.url(), &provider, Arc::new(ShellStore::default()));

    let wrong = token
        .activate(SERVICE.into(), user_id.clone(), "not-the-password".into())
        .await
        .unwrap_err();
    match &wrong {
        FfiError::WrongActivationPassword {
            attempts_left,
            detail,
        } => {
            assert_eq!(*attempts_left, 4);
            assert!(detail.contains("4 attempts left"), "{detail}");
            assert!(!detail.contains("not-the-password"));
        }
        other => panic!("expected WrongActivationPassword, got {other:?}"),
    }

    // A typo in the User ID is caught before anything is sent.
    let mut typo = user_id.clone().into_bytes();
    typo[3] = if typo[3] == b'9' { b'8' } else { b'9' };
    let typo = String::from_utf8(typo).unwrap();
    assert!(matches!(
        token
            .activate(SERVICE.into(), typo, PASSWORD.into())
            .await
            .unwrap_err(),
        FfiError::InvalidUserId { .. }
    ));
    assert!(matches!(
        token.current_code("10121234-00000000000000AA".into()),
        Err(FfiError::TokenNotFound { .. } | FfiError::InvalidInput { .. })
    ));

    // A store that fails on write: a clear error, no token left behind.
    let failing = Arc::new(ShellStore {
        fail_set: true,
        ..ShellStore::default()
    });
    let (token2, _dir2) = phone(provider.url(), &provider, failing);
    let err = token2
        .activate(SERVICE.into(), user_id.clone(), PASSWORD.into())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FfiError::KeystoreUnavailable { .. }),
        "{err:?}"
    );
    assert!(token2.tokens().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_pending_activate_stops_it_and_the_library_keeps_working() {
    // A "provider" that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let held = Arc::new(Mutex::new(Vec::new()));
    {
        let (accepted, held) = (accepted.clone(), held.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                held.lock().unwrap().push(socket);
            }
        });
    }
    let provider = TestProvider::start().await.unwrap();
    let (token, _dir) = phone(
        &format!("https://{addr}"),
        &provider,
        Arc::new(ShellStore::default()),
    );

    let started = Instant::now();
    let pending = tokio::time::timeout(
        Duration::from_millis(300),
        token.activate(SERVICE.into(), "12345678901234CI".into(), PASSWORD.into()),
    )
    .await;
    assert!(pending.is_err(), "activate must still be pending");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // The dropped call's task was aborted: its connection is closed.
    let socket = held.lock().unwrap().pop().unwrap();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            socket.readable().await.unwrap();
            match socket.try_read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => break,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the aborted activation closed its connection"
    );

    // The library still works.
    assert!(token.tokens().unwrap().is_empty());
}

struct ListLogger(Mutex<Vec<(LogLevel, String, String)>>);

impl FfiLogger for ListLogger {
    fn log(&self, level: LogLevel, target: String, message: String) {
        self.0.lock().unwrap().push((level, target, message));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logger_receives_the_cores_records_without_secrets() {
    let logger = Arc::new(ListLogger(Mutex::new(Vec::new())));
    set_logger(Some(logger.clone()), LogLevel::Debug);
    let provider = TestProvider::start().await.unwrap();
    let (token, info, _dir) = activated_phone(&provider).await;
    let code = token.current_code(info.id.clone()).unwrap();
    set_logger(None, LogLevel::Error);

    let records = logger.0.lock().unwrap();
    assert!(
        records
            .iter()
            .any(|(level, target, message)| *level == LogLevel::Info
                && target.starts_with("softtoken_core")
                && message.contains("activated")),
        "{records:?}"
    );
    for (_, _, message) in records.iter() {
        assert!(!message.contains(PASSWORD));
        assert!(!message.contains(&code.code));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_calls_refuse_bad_input_and_unlisted_ids_with_typed_errors() {
    let provider = TestProvider::start().await.unwrap();
    let (token, info, _dir) = activated_phone(&provider).await;

    for (account, amount) in [
        ("12345", None),
        ("12a4567", None),
        ("1234567", Some("12.5")),
        ("", None),
    ] {
        let err = token
            .offline_code(info.id.clone(), account.into(), amount.map(Into::into))
            .unwrap_err();
        assert!(
            matches!(err, FfiError::InvalidInput { .. }),
            "{account:?} {amount:?}: {err:?}"
        );
    }
    // As typed: full-width digits, a hyphen, the yen sign and grouping.
    let code = token
        .offline_code(
            info.id.clone(),
            "１２３-４５６７".into(),
            Some("¥1,234,567".into()),
        )
        .unwrap();
    assert!(code.code.len() == 8 && code.code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(code.period, 60);
    assert!(!format!("{code:?}").contains(&code.code));

    // An id no verified list showed is never acted on.
    assert!(matches!(
        token.transaction_code(info.id.clone(), "AAECAwQFBgcICQoLDA0ODw".into()),
        Err(FfiError::TransactionNotFound { .. })
    ));
    assert!(matches!(
        token
            .approve_transaction(info.id.clone(), "AAECAwQFBgcICQoLDA0ODw".into())
            .await,
        Err(FfiError::TransactionNotFound { .. })
    ));
    assert!(matches!(
        token.offline_code("no-such-token".into(), "1234567".into(), None),
        Err(FfiError::TokenNotFound { .. } | FfiError::InvalidInput { .. })
    ));
}
