//! Cost of one TOTP code against the performance target: an 8-digit SHA-1 code may cost at most
//! twice one HMAC-SHA-1 with a prepared `ring` key (`hmac_sha1_prepared_key`).
//!
//! `code_at_sha1_8` runs the totp-rs engine (SHA-1, 20-byte seed); `code_at_sha1_8_seed16`
//! forces the ring engine through the public API (totp-rs cannot hold a 16-byte seed here), so
//! the two engines can be compared on the same algorithm. The `*_sign_*_seed20` rows compare
//! the engines' raw HMACs for SHA-256/SHA-512, which is why those algorithms stay on ring.
//!
//! Run: `cargo bench -p softtoken-protocol --bench totp` (about 45 seconds).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use ring::hmac;
use softtoken_protocol::totp::{Algorithm, TokenParams, Totp};

const SEED_SHA1: &[u8; 20] = b"12345678901234567890";
const SEED_SHA256: &[u8; 32] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8; 64] = b"1234567890123456789012345678901234567890123456789012345678901234";
const TIME: u64 = 1_234_567_890;

fn totp(algorithm: Algorithm, seed: &[u8]) -> Totp {
    Totp::new(TokenParams::new(algorithm, 8, 30).unwrap(), seed).unwrap()
}

fn totp_rs_token(algorithm: totp_rs::Algorithm) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(algorithm)
        .with_digits(8)
        .with_step_duration(30)
        .with_secret(*SEED_SHA1)
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("totp");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // The baseline of the performance target.
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, SEED_SHA1);
    let counter = (TIME / 30).to_be_bytes();
    group.bench_function("hmac_sha1_prepared_key", |b| {
        b.iter(|| hmac::sign(&key, black_box(&counter)))
    });

    for (name, algorithm, seed) in [
        ("code_at_sha1_8", Algorithm::Sha1, &SEED_SHA1[..]),
        ("code_at_sha1_8_seed16", Algorithm::Sha1, &SEED_SHA1[..16]),
        ("code_at_sha256_8", Algorithm::Sha256, &SEED_SHA256[..]),
        ("code_at_sha512_8", Algorithm::Sha512, &SEED_SHA512[..]),
    ] {
        let t = totp(algorithm, seed);
        group.bench_function(name, |b| b.iter(|| t.code_at(black_box(TIME))));
    }

    let ours = totp(Algorithm::Sha1, SEED_SHA1);
    let code = ours.code_at(TIME);
    group.bench_function("verify_sha1_8_window1", |b| {
        b.iter(|| ours.verify(black_box(code.as_str()), black_box(TIME), 1))
    });

    let theirs = totp_rs_token(totp_rs::Algorithm::SHA1);
    group.bench_function("totp_rs_generate_sha1_8", |b| {
        b.iter(|| theirs.generate(black_box(TIME)))
    });

    for (name, algorithm) in [
        ("totp_rs_sign_sha256_seed20", totp_rs::Algorithm::SHA256),
        ("totp_rs_sign_sha512_seed20", totp_rs::Algorithm::SHA512),
    ] {
        let t = totp_rs_token(algorithm);
        group.bench_function(name, |b| b.iter(|| t.sign(black_box(TIME))));
    }
    for (name, algorithm) in [
        ("ring_sign_sha256_seed20", hmac::HMAC_SHA256),
        ("ring_sign_sha512_seed20", hmac::HMAC_SHA512),
    ] {
        let key = hmac::Key::new(algorithm, SEED_SHA1);
        group.bench_function(name, |b| b.iter(|| hmac::sign(&key, black_box(&counter))));
    }

    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
