//! Cost of the transaction-authentication codes against the performance target: an OCRA code
//! (RFC 6287) and a transaction code (digest of the canonical transaction + OCRA) may cost at
//! most twice a TOTP code (`totp_code_at_sha1_8`, the same measurement as `benches/totp.rs`).
//!
//! Run: `cargo bench -p softtoken-protocol --bench transaction` (about 20 seconds).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    ocra::{self, OcraInput, OcraKey, OcraSuite, Question},
    secret::Seed,
    totp::{Algorithm, TokenParams, Totp},
    transaction::{
        AccountNumber, AccountType, Amount, BankCode, BranchCode, HolderName, OfflineChallenge,
        Payee, Reference, Transaction, TransactionId, TransactionKeys,
    },
};

const SEED_SHA1: &[u8; 20] = b"12345678901234567890";
const TIME: u64 = 1_234_567_890;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("transaction");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // The baseline: one TOTP code, as the app shows it.
    let totp = Totp::new(TokenParams::new(Algorithm::Sha1, 8, 30).unwrap(), SEED_SHA1).unwrap();
    group.bench_function("totp_code_at_sha1_8", |b| {
        b.iter(|| totp.code_at(black_box(TIME)))
    });

    // The online suite over a 64-hex-digit challenge (a transaction digest).
    let online = OcraSuite::parse("OCRA-1:HOTP-SHA1-8:QH64-T1M").unwrap();
    let digest = [0x9f_u8; 32];
    let key = OcraKey::new(Algorithm::Sha1, SEED_SHA1);
    group.bench_function("ocra_sha1_8_qh64_t1m", |b| {
        b.iter(|| {
            let input = OcraInput {
                counter: None,
                question: Question::HexBytes(black_box(&digest)),
                password_hash: None,
                session: None,
                unix_secs: Some(black_box(TIME)),
            };
            ocra::generate_with(&online, &key, &input).unwrap()
        })
    });

    // The offline suite over an account number and an amount.
    let offline = OcraSuite::parse("OCRA-1:HOTP-SHA1-8:QN20-T1M").unwrap();
    group.bench_function("ocra_sha1_8_qn20_t1m", |b| {
        b.iter(|| {
            let input = OcraInput {
                counter: None,
                question: Question::Numeric(black_box("1234561234567")),
                password_hash: None,
                session: None,
                unix_secs: Some(black_box(TIME)),
            };
            ocra::generate_with(&offline, &key, &input).unwrap()
        })
    });

    // The whole transaction code as the app makes it: canonical bytes, SHA-256 digest, OCRA.
    let service_id = ServiceId::parse("10121234").unwrap();
    let user_id = UserId::parse("12345678901234CI").unwrap();
    let keys = TransactionKeys::derive(
        &Seed::from_slice(SEED_SHA1),
        Algorithm::Sha1,
        &service_id,
        &user_id,
    );
    let transaction = Transaction {
        id: TransactionId::from_bytes([7; 16]),
        service_id,
        user_id,
        payee: Payee {
            bank_code: BankCode::parse("0001").unwrap(),
            branch_code: BranchCode::parse("101").unwrap(),
            account_type: AccountType::Ordinary,
            account_number: AccountNumber::parse("1234567").unwrap(),
            name: HolderName::parse("ヤマダ タロウ").unwrap(),
        },
        amount: Amount::jpy(123_456).unwrap(),
        reference: Some(Reference::parse("3月分家賃").unwrap()),
        expires_at_ms: 1_795_000_300_000,
    };
    group.bench_function("transaction_online_code_sha1", |b| {
        b.iter(|| keys.online_code(black_box(&transaction), black_box(TIME)))
    });
    // Its parts: the canonical bytes alone, and their SHA-256 digest (bytes included).
    group.bench_function("transaction_canonical_bytes", |b| {
        b.iter(|| black_box(&transaction).canonical_bytes())
    });
    group.bench_function("transaction_digest", |b| {
        b.iter(|| black_box(&transaction).digest())
    });
    let digest = transaction.digest();
    group.bench_function("transaction_online_code_for_digest_sha1", |b| {
        b.iter(|| keys.online_code_for_digest(black_box(&digest), black_box(TIME)))
    });
    let challenge = OfflineChallenge::parse("1234567", Some("123456")).unwrap();
    group.bench_function("transaction_offline_code_sha1", |b| {
        b.iter(|| keys.offline_code(black_box(&challenge), black_box(TIME)))
    });

    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
