#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Property tests for `softtoken_protocol::totp`: code shape, verification windows (including
//! the saturation edges at step 0 and u64::MAX), agreement with totp-rs and with an independent
//! RFC 2104 / RFC 4226 reference, and the countdown invariants.

use proptest::prelude::*;
use ring::digest;
use softtoken_protocol::totp::{Algorithm, TokenParams, Totp};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

fn seed() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 16..=64)
}

fn token(algorithm: Algorithm, digits: u8, period: u32, seed: &[u8]) -> Totp {
    Totp::new(TokenParams::new(algorithm, digits, period).unwrap(), seed).unwrap()
}

fn totp_rs_algorithm(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

/// totp-rs as configured here (no `alloc`) holds 20-byte secrets only, and builds 9-digit tokens
/// only through `build_noncompliant`.
fn totp_rs_token(algorithm: Algorithm, digits: u8, period: u32, seed: [u8; 20]) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs_algorithm(algorithm))
        .with_digits(digits)
        .with_step_duration(u64::from(period))
        .with_secret(seed)
        .build_noncompliant()
}

/// HMAC per RFC 2104 built from plain digests, independent of both engines' HMAC code.
fn reference_hmac(algorithm: Algorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    let digest_alg = match algorithm {
        Algorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        Algorithm::Sha256 => &digest::SHA256,
        Algorithm::Sha512 => &digest::SHA512,
    };
    let block_len = digest_alg.block_len();
    let mut padded = if key.len() > block_len {
        digest::digest(digest_alg, key).as_ref().to_vec()
    } else {
        key.to_vec()
    };
    padded.resize(block_len, 0);
    let mut inner = digest::Context::new(digest_alg);
    inner.update(&padded.iter().map(|b| b ^ 0x36).collect::<Vec<_>>());
    inner.update(message);
    let mut outer = digest::Context::new(digest_alg);
    outer.update(&padded.iter().map(|b| b ^ 0x5c).collect::<Vec<_>>());
    outer.update(inner.finish().as_ref());
    outer.finish().as_ref().to_vec()
}

/// RFC 4226 §5.3 HOTP straight from the text, with u64 arithmetic so 10 digits work.
fn reference_code(algorithm: Algorithm, digits: u8, seed: &[u8], step: u64) -> String {
    let mac = reference_hmac(algorithm, seed, &step.to_be_bytes());
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = (u64::from(mac[offset] & 0x7f) << 24)
        | (u64::from(mac[offset + 1]) << 16)
        | (u64::from(mac[offset + 2]) << 8)
        | u64::from(mac[offset + 3]);
    let value = binary % 10u64.pow(u32::from(digits));
    format!("{value:0width$}", width = usize::from(digits))
}

/// What `verify` must return: the latest step in the saturated window whose code matches.
fn reference_verify(token: &Totp, code: &str, unix_secs: u64, window: u32) -> Option<u64> {
    let now = token.step_at(unix_secs);
    let first = now.saturating_sub(u64::from(window));
    let last = now.saturating_add(u64::from(window));
    (first..=last).rfind(|&step| token.code_for_step(step).as_str() == code)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_code_is_exactly_digits_ascii_digits(
        algorithm in algorithm(),
        digits in 6u8..=10,
        seed in seed(),
        period in 1u32..=300,
        unix_secs in any::<u64>(),
    ) {
        let t = token(algorithm, digits, period, &seed);
        let code = t.code_at(unix_secs);
        prop_assert_eq!(code.as_str().len(), usize::from(digits));
        prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(code.digits(), digits);
        prop_assert_eq!(code.to_string(), code.as_str());
        prop_assert_eq!(format!("{code:?}"), format!("Code(<{digits} digits>)"));
        prop_assert_eq!(t.step_at(unix_secs), unix_secs / u64::from(period));
        prop_assert_eq!(&code, &t.code_for_step(t.step_at(unix_secs)));
    }

    /// Both engines against a from-the-RFC reference, for every algorithm and seed length.
    #[test]
    fn matches_independent_rfc_reference(
        algorithm in algorithm(),
        digits in 6u8..=10,
        seed in seed(),
        step in any::<u64>(),
    ) {
        let t = token(algorithm, digits, 30, &seed);
        let code = t.code_for_step(step);
        prop_assert_eq!(code.as_str(), reference_code(algorithm, digits, &seed, step));
    }

    /// SHA-1 with 20-byte seeds (the totp-rs engine) gets extra cases against the reference.
    #[test]
    fn sha1_20_byte_seed_matches_reference(
        digits in 6u8..=10,
        seed in any::<[u8; 20]>(),
        step in any::<u64>(),
    ) {
        let t = token(Algorithm::Sha1, digits, 30, &seed);
        let code = t.code_for_step(step);
        prop_assert_eq!(code.as_str(), reference_code(Algorithm::Sha1, digits, &seed, step));
    }

    #[test]
    fn agrees_with_totp_rs_generate_for_6_to_9_digits(
        algorithm in algorithm(),
        digits in 6u8..=9,
        seed in any::<[u8; 20]>(),
        period in 1u32..=300,
        unix_secs in any::<u64>(),
    ) {
        let ours = token(algorithm, digits, period, &seed);
        let theirs = totp_rs_token(algorithm, digits, period, seed);
        let expected = theirs.generate(unix_secs).to_string();
        let code = ours.code_at(unix_secs);
        prop_assert_eq!(code.as_str(), expected.as_str());
        // And totp-rs's own check accepts our code at the same instant (skew 1 by default).
        prop_assert!(theirs.check(code.as_str(), unix_secs).is_some());
    }

    /// totp-rs cannot make 10-digit codes (it panics); ours end in its 9-digit code.
    #[test]
    fn ten_digits_extend_totp_rs_nine_digits(
        algorithm in algorithm(),
        seed in any::<[u8; 20]>(),
        period in 1u32..=300,
        unix_secs in any::<u64>(),
    ) {
        let ten = token(algorithm, 10, period, &seed).code_at(unix_secs);
        let nine = totp_rs_token(algorithm, 9, period, seed).generate(unix_secs).to_string();
        prop_assert_eq!(ten.as_str().get(1..), Some(nine.as_str()));
        // The 31-bit truncated value is below 2^31, so the leading digit is 0, 1 or 2.
        prop_assert!(ten.as_str().parse::<u64>().unwrap() < 1 << 31);
    }

    /// `verify(code_at(t), t + k * period, window)` matches iff |k| <= window, away from the
    /// saturation edges. A different step of the window may share the code by chance (about
    /// one in 10^digits), so the exact expectation is the brute-force reference, and the
    /// generating step must be found exactly when it is inside the window.
    #[test]
    fn verify_window_semantics(
        algorithm in algorithm(),
        digits in 6u8..=10,
        seed in seed(),
        period in 1u32..=300,
        unix_secs in 1_500u64..=u64::MAX - 1_500,
        k in -5i64..=5,
        window in 0u32..=3,
    ) {
        let t = token(algorithm, digits, period, &seed);
        let code = t.code_at(unix_secs);
        let step = t.step_at(unix_secs);
        let later = unix_secs.checked_add_signed(k * i64::from(period)).unwrap();
        prop_assert_eq!(t.step_at(later), step.checked_add_signed(k).unwrap());
        let got = t.verify(code.as_str(), later, window);
        prop_assert_eq!(got, reference_verify(&t, code.as_str(), later, window));
        if k.unsigned_abs() <= u64::from(window) {
            // Some, and the generating step unless a later step in the window collides.
            let matched = got.unwrap();
            prop_assert!(matched >= step);
            prop_assert_eq!(&t.code_for_step(matched), &code);
        } else {
            prop_assert_ne!(got, Some(step));
        }
    }

    /// Near 1970: the window's lower end saturates at step 0.
    #[test]
    fn verify_saturates_at_step_zero(
        algorithm in algorithm(),
        seed in seed(),
        period in 1u32..=300,
        now_step in 0u64..=5,
        code_step in 0u64..=10,
        window in 0u32..=7,
        into_step in 0u32..300,
    ) {
        let t = token(algorithm, 8, period, &seed);
        let unix_secs = now_step * u64::from(period) + u64::from(into_step % period);
        let code = t.code_for_step(code_step);
        let got = t.verify(code.as_str(), unix_secs, window);
        prop_assert_eq!(got, reference_verify(&t, code.as_str(), unix_secs, window));
        let in_window = code_step + u64::from(window) >= now_step
            && code_step <= now_step + u64::from(window);
        if in_window {
            prop_assert!(got.is_some());
        } else {
            prop_assert_ne!(got, Some(code_step));
        }
    }

    /// Near the end of time: the window's upper end saturates at u64::MAX without wrapping.
    #[test]
    fn verify_saturates_at_u64_max(
        algorithm in algorithm(),
        seed in seed(),
        period in 1u32..=300,
        secs_before_end in 0u64..=1_500,
        steps_before_last in 0u64..=10,
        window in 0u32..=7,
    ) {
        let t = token(algorithm, 8, period, &seed);
        let unix_secs = u64::MAX - secs_before_end;
        let now = t.step_at(unix_secs);
        let code_step = t.step_at(u64::MAX) - steps_before_last;
        let code = t.code_for_step(code_step);
        let got = t.verify(code.as_str(), unix_secs, window);
        prop_assert_eq!(got, reference_verify(&t, code.as_str(), unix_secs, window));
        if code_step.abs_diff(now) <= u64::from(window) {
            prop_assert!(got.is_some());
        } else {
            prop_assert_ne!(got, Some(code_step));
        }
        // Step 0, where a wrapped window would land, is never a candidate here.
        if now > u64::from(window) {
            let wrapped = t.code_for_step(0);
            prop_assert_ne!(t.verify(wrapped.as_str(), unix_secs, window), Some(0));
        }
    }

    /// Anything accepted is exactly `digits` ASCII digits; other input is always rejected.
    #[test]
    fn verify_rejects_anything_but_ascii_digits(
        input in "\\PC{0,12}",
        digits in 6u8..=10,
        unix_secs in any::<u64>(),
    ) {
        let t = token(Algorithm::Sha1, digits, 30, &[9; 20]);
        let well_formed = input.len() == usize::from(digits)
            && input.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            prop_assert_eq!(t.verify(&input, unix_secs, 3), None);
        }
    }

    #[test]
    fn window_at_ms_invariants(
        algorithm in algorithm(),
        period in 1u32..=300,
        unix_ms in any::<u64>(),
    ) {
        let t = token(algorithm, 8, period, &[1; 32]);
        let w = t.window_at_ms(unix_ms);
        let period_ms = u64::from(period) * 1000;
        prop_assert!((1..=period_ms).contains(&w.remaining_ms));
        prop_assert_eq!(w.valid_from_secs, w.step * u64::from(period));
        prop_assert_eq!(w.step, t.step_at(unix_ms / 1000));
        // The step started valid_from_secs ago and ends remaining_ms from now.
        let start_ms = u128::from(w.valid_from_secs) * 1000;
        prop_assert!(start_ms <= u128::from(unix_ms));
        prop_assert_eq!(
            u128::from(unix_ms) + u128::from(w.remaining_ms),
            start_ms + u128::from(period_ms)
        );
    }

    #[test]
    fn token_params_serde_round_trip_and_validation(
        algorithm in algorithm(),
        digits in any::<u8>(),
        period in any::<u32>(),
    ) {
        let json = format!(
            r#"{{"algorithm":"{}","digits":{digits},"period":{period}}}"#,
            algorithm.as_str()
        );
        let parsed = serde_json::from_str::<TokenParams>(&json);
        let valid = (6..=10).contains(&digits) && (1..=300).contains(&period);
        prop_assert_eq!(parsed.is_ok(), valid);
        prop_assert_eq!(parsed.ok(), TokenParams::new(algorithm, digits, period).ok());
        if let Ok(params) = TokenParams::new(algorithm, digits, period) {
            prop_assert_eq!(serde_json::to_string(&params).unwrap(), json);
        }
    }
}
