//! The secret scan (issue 12): one whole flow — issue, a wrong activation password, activate,
//! code, confirm, a wrong code, refresh, a wrong bank key, revoke, refresh — with the provider
//! and the app core in this process logging at TRACE into a buffer (one `tracing` subscriber for
//! both: the core's logger is `tracing`, which the FFI forwards to the apps), then every log
//! line, every file the provider and the phone wrote (database, WAL, outbox mails, `tokens.json`)
//! and every error string met on the way is searched for the activation password, the seed (hex,
//! base32, base64 standard and URL-safe, with and without padding) and the bank API key (raw,
//! base64, hex; its secret part alone too): 0 hits. The mails legitimately carry the User ID.
//!
//! The subscriber is global: it also records the other tests of this binary running at the same
//! time, which only widens the search. The scanner is shown to work by planting each needle.

use std::{
    io,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD},
};
use softtoken_core::{
    StoreChoice,
    keystore::{SeedLookup, SeedVault},
};
use softtoken_protocol::{
    transaction::AccountType,
    wire::{RegisterTransactionRequest, VerifyResult, WireAmount, WirePayee},
};
use softtoken_testkit::{
    TestProvider,
    fixtures::{ACTIVATION_PASSWORD, SERVICE_ID},
};
use tracing_subscriber::fmt::MakeWriter;

use crate::{issue, phone_on_provider_time, verify};

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs the TRACE subscriber (and the `log` bridge) once for the process; its buffer.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(logs.clone())
            .try_init()
            .expect("no other global subscriber in this test binary");
        logs
    })
}

/// One secret in one encoding.
struct Needle {
    what: String,
    bytes: Vec<u8>,
}

fn needle(what: &str, text: impl Into<Vec<u8>>) -> Needle {
    Needle {
        what: what.to_owned(),
        bytes: text.into(),
    }
}

/// RFC 4648 base32, padded (what authenticator apps' `otpauth://` URIs carry, unpadded).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(char::from(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every encoding of `secret` the scan looks for.
fn encodings(what: &str, secret: &[u8]) -> Vec<Needle> {
    let b32 = base32(secret);
    vec![
        needle(&format!("{what} (raw)"), secret),
        needle(&format!("{what} (hex)"), hex::encode(secret)),
        needle(&format!("{what} (HEX)"), hex::encode_upper(secret)),
        needle(&format!("{what} (base32)"), b32.clone()),
        needle(
            &format!("{what} (base32, unpadded)"),
            b32.trim_end_matches('='),
        ),
        needle(&format!("{what} (base64)"), STANDARD.encode(secret)),
        needle(
            &format!("{what} (base64, unpadded)"),
            STANDARD_NO_PAD.encode(secret),
        ),
        needle(&format!("{what} (base64url)"), URL_SAFE.encode(secret)),
        needle(
            &format!("{what} (base64url, unpadded)"),
            URL_SAFE_NO_PAD.encode(secret),
        ),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// `(needle, where)` for every needle found in a haystack.
fn hits(needles: &[Needle], haystacks: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (place, haystack) in haystacks {
        for needle in needles {
            if contains(haystack, &needle.bytes) {
                found.push((needle.what.clone(), place.clone()));
            }
        }
    }
    found
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_files_or_errors_in_a_whole_flow() {
    let logs = captured_logs();
    let provider = TestProvider::start().await.unwrap();
    let bank = provider.bank().unwrap();
    let mut errors: Vec<String> = Vec::new();
    let mut note = |err: &dyn std::fmt::Debug, text: String| {
        errors.push(format!("{text} | {err:?}"));
    };

    let user_id = issue(&bank).await;
    let phone = phone_on_provider_time(&provider);
    let wrong = phone
        .activate(SERVICE_ID, &user_id, "not-the-password")
        .await
        .unwrap_err();
    note(&wrong, wrong.to_string());
    let token = phone
        .activate(SERVICE_ID, &user_id, ACTIVATION_PASSWORD)
        .await
        .unwrap();
    provider.settle(token.period);
    let code = phone.current_code(&token.id).unwrap();
    assert_eq!(
        verify(&bank, &user_id, &code.code).await,
        VerifyResult::Accepted
    );
    let wrong_code = if code.code.starts_with('0') { "1" } else { "0" };
    let wrong_code = format!("{wrong_code}{}", &code.code[1..]);
    let rejected = bank.verify(&user_id, &wrong_code).await.unwrap();
    note(&rejected, String::new());
    phone.refresh(&token.id).await.unwrap();
    // A transfer's details: registered, an offline code for its account refused, then failed
    // by the revocation below. They are the customer's data: the database keeps them, logs
    // and error texts must not.
    let transfer = RegisterTransactionRequest {
        payee: WirePayee {
            bank_code: "0001".into(),
            branch_code: "101".into(),
            account_type: AccountType::Ordinary,
            account_number: "7654321".into(),
            name: "ｽｷｬﾝ ﾃｽﾄ".into(),
        },
        amount: WireAmount {
            value: 4_321_987,
            currency: "JPY".into(),
        },
        reference: Some("scan-reference-42".into()),
        lifetime_s: None,
    };
    bank.register_transaction(&user_id, &transfer)
        .await
        .unwrap();
    let offline = bank
        .verify_challenge(&user_id, "7654321", Some(4_321_987), "00000000")
        .await
        .unwrap();
    note(&offline, String::new());
    let bad_transfer = RegisterTransactionRequest {
        amount: WireAmount {
            value: 4_321_987,
            currency: "USD".into(),
        },
        ..transfer
    };
    let refused = bank
        .register_transaction(&user_id, &bad_transfer)
        .await
        .unwrap_err();
    note(&refused, refused.to_string());
    let bad_key = bank
        .with_api_key("st_0123456789abcdef.not-the-secret")
        .details(&user_id)
        .await
        .unwrap_err();
    note(&bad_key, bad_key.to_string());
    bank.revoke(&user_id).await.unwrap();
    phone.refresh(&token.id).await.unwrap();
    let revoked = phone.current_code(&token.id).unwrap_err();
    note(&revoked, revoked.to_string());
    let again = phone
        .activate(SERVICE_ID, &user_id, ACTIVATION_PASSWORD)
        .await
        .unwrap_err();
    note(&again, again.to_string());

    // The secrets, as the flow left them.
    let SeedLookup::Found(seed) = SeedVault::new(StoreChoice::Platform)
        .unwrap()
        .get(&token.id, token.algorithm)
        .unwrap()
    else {
        panic!("the seed is in the keyring");
    };
    let api_key = provider.api_key().to_owned();
    let api_secret = api_key.split_once('.').unwrap().1.to_owned();
    let mut needles = encodings("seed", seed.expose());
    needles.extend(encodings(
        "activation password",
        ACTIVATION_PASSWORD.as_bytes(),
    ));
    needles.extend(encodings("bank API key", api_key.as_bytes()));
    needles.push(needle("bank API key secret (raw)", api_secret.as_bytes()));

    // Where they must not be. Let the last log lines and writes land first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log_text = logs.0.lock().unwrap().clone();
    let lines = log_text.split(|b| *b == b'\n').count();
    let log_str = String::from_utf8_lossy(&log_text);
    assert!(
        log_str.contains("token activated"),
        "the core's log was captured"
    );
    assert!(
        log_str.contains("bank authentication failed"),
        "the provider's log was captured"
    );
    assert!(log_str.contains("TRACE"), "TRACE level was on");
    // Transaction details are looked for in the log and error texts only (the database holds
    // them on purpose, for the retention of [transactions]).
    let details = [
        needle("payee name (canonical)", "スキャン テスト"),
        needle("payee name (as sent)", "ｽｷｬﾝ ﾃｽﾄ"),
        needle("reference", "scan-reference-42"),
    ];
    let mut in_log_and_errors = vec![(format!("log ({lines} lines)"), log_text.clone())];
    for (n, error) in errors.iter().enumerate() {
        in_log_and_errors.push((format!("error {n}: {error}"), error.clone().into_bytes()));
    }
    let found = hits(&details, &in_log_and_errors);
    assert!(found.is_empty(), "transaction details found: {found:#?}");
    let mut haystacks = vec![(format!("log ({lines} lines)"), log_text)];
    let scan_files = |haystacks: &mut Vec<(String, Vec<u8>)>, when: &str| {
        for path in files_under(provider.data_dir()) {
            // `serve --dev` writes the dev service's key to this file on purpose, for the bank.
            if path.ends_with(softtoken_server::server::DEV_API_KEY_FILE) {
                continue;
            }
            if let Some(bytes) = read_if_present(&path) {
                haystacks.push((format!("{} ({when})", path.display()), bytes));
            }
        }
    };
    scan_files(&mut haystacks, "running");
    assert!(
        haystacks
            .iter()
            .any(|(place, _)| place.ends_with("-wal (running)")),
        "the WAL is scanned: {:?}",
        haystacks.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    assert!(haystacks.iter().any(|(place, _)| place.contains(".eml")));
    assert!(
        haystacks
            .iter()
            .any(|(place, _)| place.contains("tokens.json"))
    );
    for (n, error) in errors.iter().enumerate() {
        haystacks.push((format!("error {n}: {error}"), error.clone().into_bytes()));
    }

    // The scanner finds each needle where one is planted.
    for needle in &needles {
        let mut planted = b"...".to_vec();
        planted.extend_from_slice(&needle.bytes);
        planted.extend_from_slice(b"...");
        assert_eq!(
            hits(&needles, &[("planted".to_owned(), planted)])
                .iter()
                .filter(|(what, _)| *what == needle.what)
                .count(),
            1,
            "the scanner misses {}",
            needle.what
        );
    }

    let found = hits(&needles, &haystacks);
    eprintln!(
        "secret scan: {} needles in {} haystacks ({} log lines, {} bytes in all)",
        needles.len(),
        haystacks.len(),
        lines,
        haystacks.iter().map(|(_, h)| h.len()).sum::<usize>()
    );
    assert!(found.is_empty(), "secrets found: {found:#?}");

    // Once more after a clean stop (the WAL checkpointed into the database).
    let mut provider = provider;
    provider.stop().await;
    let mut after = Vec::new();
    for path in files_under(provider.data_dir()) {
        if !path.ends_with(softtoken_server::server::DEV_API_KEY_FILE)
            && let Some(bytes) = read_if_present(&path)
        {
            after.push((format!("{} (stopped)", path.display()), bytes));
        }
    }
    let found = hits(&needles, &after);
    assert!(found.is_empty(), "secrets found: {found:#?}");
}

/// A file's bytes, or `None` if it went away between the listing and the read: SQLite removes
/// its `-wal` and `-shm` files when the last connection closes, which can happen just then. A
/// file that is gone holds no secret.
fn read_if_present(path: &std::path::Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => panic!("cannot read {}: {err}", path.display()),
    }
}
