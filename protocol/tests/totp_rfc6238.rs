#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Known-answer and edge-case tests for `softtoken_protocol::totp`: all of RFC 6238 Appendix B,
//! RFC 4226 Appendix D for the 6- and 10-digit forms, parameter validation, the saturation
//! edges of time and step arithmetic, verification windows and the serde form.

use softtoken_protocol::totp::{Algorithm, CodeWindow, TokenParams, Totp, TotpError};

const SEED_SHA1: &[u8] = b"12345678901234567890";
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

fn seed_for(algorithm: Algorithm) -> &'static [u8] {
    match algorithm {
        Algorithm::Sha1 => SEED_SHA1,
        Algorithm::Sha256 => SEED_SHA256,
        Algorithm::Sha512 => SEED_SHA512,
    }
}

fn totp(algorithm: Algorithm, digits: u8, period: u32) -> Totp {
    let params = TokenParams::new(algorithm, digits, period).unwrap();
    Totp::new(params, seed_for(algorithm)).unwrap()
}

/// RFC 6238 Appendix B, typed in from the RFC: (time, T in hex, SHA1, SHA256, SHA512).
const RFC6238_APPENDIX_B: [(u64, u64, &str, &str, &str); 6] = [
    (
        59,
        0x0000_0000_0000_0001,
        "94287082",
        "46119246",
        "90693936",
    ),
    (
        1111111109,
        0x0000_0000_0235_23EC,
        "07081804",
        "68084774",
        "25091201",
    ),
    (
        1111111111,
        0x0000_0000_0235_23ED,
        "14050471",
        "67062674",
        "99943326",
    ),
    (
        1234567890,
        0x0000_0000_0273_EF07,
        "89005924",
        "91819424",
        "93441116",
    ),
    (
        2000000000,
        0x0000_0000_03F9_40AA,
        "69279037",
        "90698825",
        "38618901",
    ),
    (
        20000000000,
        0x0000_0000_27BC_86AA,
        "65353130",
        "77737706",
        "47863826",
    ),
];

#[test]
fn rfc6238_appendix_b_all_18_vectors() {
    let sha1 = totp(Algorithm::Sha1, 8, 30);
    let sha256 = totp(Algorithm::Sha256, 8, 30);
    let sha512 = totp(Algorithm::Sha512, 8, 30);
    let mut checked = 0;
    for (time, step, code1, code256, code512) in RFC6238_APPENDIX_B {
        for (token, expected) in [(&sha1, code1), (&sha256, code256), (&sha512, code512)] {
            let name = token.params().algorithm();
            assert_eq!(token.step_at(time), step, "{name} T at {time}");
            let code = token.code_at(time);
            assert_eq!(code.as_str(), expected, "{name} at {time}");
            assert_eq!(code.to_string(), expected, "{name} Display at {time}");
            assert_eq!(
                token.code_for_step(step).as_str(),
                expected,
                "{name} step {step}"
            );
            assert_eq!(
                token.verify(expected, time, 0),
                Some(step),
                "{name} at {time}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}

/// The default parameters are the ones the RFC vectors use for SHA-1.
#[test]
fn default_params_reproduce_rfc_sha1() {
    let token = Totp::new(TokenParams::default(), SEED_SHA1).unwrap();
    assert_eq!(token.code_at(1234567890).as_str(), "89005924");
}

/// RFC 4226 Appendix D counters 0..=9: the "Decimal" column is the 31-bit truncated value.
const RFC4226_DECIMAL: [u64; 10] = [
    1284755224, 1094287082, 137359152, 1726969429, 1640338314, 868254676, 1918287922, 82162583,
    673399871, 645520489,
];

#[test]
fn six_digits() {
    let token = totp(Algorithm::Sha1, 6, 30);
    // Counter 1 (t = 59) is the RFC 4226 HOTP value 287082.
    assert_eq!(token.code_at(59).as_str(), "287082");
    // The 8-digit RFC 6238 code 07081804 keeps its low six digits, leading zero included.
    assert_eq!(token.code_at(1111111109).as_str(), "081804");
    for (step, value) in (0u64..).zip(RFC4226_DECIMAL) {
        assert_eq!(
            token.code_for_step(step).as_str(),
            format!("{:06}", value % 1_000_000)
        );
    }
}

#[test]
fn ten_digits_are_the_whole_31_bit_value_zero_padded() {
    let token = totp(Algorithm::Sha1, 10, 30);
    assert_eq!(token.code_at(59).as_str(), "1094287082");
    assert_eq!(token.code_for_step(2).as_str(), "0137359152");
    assert_eq!(token.code_for_step(7).as_str(), "0082162583");
    for (step, value) in (0u64..).zip(RFC4226_DECIMAL) {
        let code = token.code_for_step(step);
        assert_eq!(code.as_str(), format!("{value:010}"));
        assert_eq!(code.digits(), 10);
        assert_eq!(token.verify(code.as_str(), step * 30, 0), Some(step));
    }
    // 10-digit codes reduce to the RFC's 8-digit codes, for every algorithm.
    for (time, _, code1, code256, code512) in RFC6238_APPENDIX_B {
        for (algorithm, expected) in [
            (Algorithm::Sha1, code1),
            (Algorithm::Sha256, code256),
            (Algorithm::Sha512, code512),
        ] {
            let ten = totp(algorithm, 10, 30).code_at(time);
            assert_eq!(
                ten.as_str().get(2..),
                Some(expected),
                "{algorithm} at {time}"
            );
        }
    }
}

#[test]
fn period_60() {
    let token = totp(Algorithm::Sha1, 8, 60);
    assert_eq!(token.step_at(59), 0);
    assert_eq!(token.step_at(60), 1);
    // Step 0 and 1 are RFC 4226 counters 0 and 1, reduced to 8 digits.
    assert_eq!(token.code_at(0).as_str(), "84755224");
    assert_eq!(token.code_at(59).as_str(), "84755224");
    assert_eq!(token.code_at(60).as_str(), "94287082");
    assert_eq!(token.code_at(119).as_str(), "94287082");
    // A step is a step: the 60-second token at t equals the 30-second one at step t / 60.
    let thirty = totp(Algorithm::Sha1, 8, 30);
    for (time, ..) in RFC6238_APPENDIX_B {
        assert_eq!(
            token.code_at(time),
            thirty.code_for_step(time / 60),
            "t = {time}"
        );
    }
    assert_eq!(
        token.window_at_ms(61_500),
        CodeWindow {
            step: 1,
            valid_from_secs: 60,
            remaining_ms: 58_500
        }
    );
}

#[test]
fn digits_outside_6_to_10_rejected() {
    for digits in [0, 1, 5, 11, 12, u8::MAX] {
        assert_eq!(
            TokenParams::new(Algorithm::Sha1, digits, 30),
            Err(TotpError::InvalidDigits { digits }),
        );
    }
    for digits in 6..=10 {
        assert_eq!(
            TokenParams::new(Algorithm::Sha256, digits, 30)
                .unwrap()
                .digits(),
            digits
        );
    }
    assert_eq!(
        TotpError::InvalidDigits { digits: 5 }.to_string(),
        "TOTP codes must have between 6 and 10 digits, not 5"
    );
}

#[test]
fn period_outside_1_to_300_rejected() {
    for period in [0, 301, 3600, u32::MAX] {
        assert_eq!(
            TokenParams::new(Algorithm::Sha1, 8, period),
            Err(TotpError::InvalidPeriod { period }),
        );
    }
    for period in [1, 30, 60, 300] {
        assert_eq!(
            TokenParams::new(Algorithm::Sha1, 8, period)
                .unwrap()
                .period(),
            period
        );
    }
    assert_eq!(
        TotpError::InvalidPeriod { period: 0 }.to_string(),
        "the TOTP period must be between 1 and 300 seconds, not 0"
    );
}

#[test]
fn seed_shorter_than_128_bits_rejected() {
    let params = TokenParams::default();
    for len in [0, 1, 15] {
        let err = Totp::new(params, &vec![0x41; len]).unwrap_err();
        assert_eq!(err, TotpError::SeedTooShort { len, min: 16 });
    }
    let err = Totp::new(params, b"SECRETSECRET123").unwrap_err();
    let message = err.to_string();
    assert_eq!(
        message,
        "the TOTP seed is 15 bytes long, but at least 16 bytes are required"
    );
    assert!(!message.contains("SECRET"));
    // 16 bytes is the minimum, any longer length works, for every algorithm.
    for algorithm in Algorithm::ALL {
        for len in [16, 17, 20, 32, 64, 65, 128, 129] {
            let token = Totp::new(TokenParams::new(algorithm, 8, 30).unwrap(), &vec![7; len]);
            assert_eq!(token.unwrap().code_at(59).digits(), 8, "{algorithm} {len}");
        }
    }
}

#[test]
fn debug_shows_params_never_the_seed_or_code() {
    let token = totp(Algorithm::Sha1, 8, 30);
    let shown = format!("{token:?}");
    assert!(shown.contains("Sha1") && shown.contains("30"), "{shown}");
    assert!(!shown.contains("1234567890"), "{shown}");
    let code = token.code_at(59);
    assert_eq!(format!("{code:?}"), "Code(<8 digits>)");
    assert_eq!(format!("{}", token.code_at(59)), "94287082");
}

#[test]
fn time_zero() {
    let token = totp(Algorithm::Sha1, 8, 30);
    assert_eq!(token.step_at(0), 0);
    assert_eq!(token.code_at(0).as_str(), "84755224");
    assert_eq!(
        token.window_at_ms(0),
        CodeWindow {
            step: 0,
            valid_from_secs: 0,
            remaining_ms: 30_000
        }
    );
}

#[test]
fn time_u64_max() {
    for algorithm in Algorithm::ALL {
        for period in [1, 30, 300] {
            let token = totp(algorithm, 8, period);
            let step = u64::MAX / u64::from(period);
            assert_eq!(token.step_at(u64::MAX), step);
            let code = token.code_at(u64::MAX);
            assert_eq!(code.as_str().len(), 8);
            assert_eq!(code, token.code_for_step(step));
            assert_eq!(token.verify(code.as_str(), u64::MAX, 1), Some(step));
            let window = token.window_at_ms(u64::MAX);
            assert_eq!(window.step, u64::MAX / (u64::from(period) * 1000));
            assert!((1..=u64::from(period) * 1000).contains(&window.remaining_ms));
        }
    }
}

#[test]
fn verify_at_step_0_with_window_1_does_not_underflow() {
    let token = totp(Algorithm::Sha1, 8, 30);
    for now in [0, 1, 29] {
        assert_eq!(token.verify("84755224", now, 1), Some(0)); // step 0
        assert_eq!(token.verify("94287082", now, 1), Some(1)); // step 1
        assert_eq!(token.verify(token.code_for_step(2).as_str(), now, 1), None);
        // A window far wider than the steps before 0 still covers only 0..=window.
        assert_eq!(token.verify("94287082", now, 1000), Some(1));
        assert_eq!(
            token.verify(token.code_for_step(1000).as_str(), now, 1000),
            Some(1000)
        );
        assert_eq!(
            token.verify(token.code_for_step(1001).as_str(), now, 1000),
            None
        );
    }
}

#[test]
fn verify_with_window_at_u64_max_step() {
    // Period 1 makes u64::MAX itself the current step, so the window's upper end saturates.
    let token = totp(Algorithm::Sha1, 8, 1);
    let last = u64::MAX;
    assert_eq!(token.step_at(u64::MAX), last);
    for window in [0, 1, 2, 5] {
        let now = token.code_for_step(last);
        assert_eq!(token.verify(now.as_str(), u64::MAX, window), Some(last));
    }
    let before = token.code_for_step(last - 1);
    assert_eq!(token.verify(before.as_str(), u64::MAX, 0), None);
    assert_eq!(token.verify(before.as_str(), u64::MAX, 1), Some(last - 1));
    let too_old = token.code_for_step(last - 2);
    assert_eq!(token.verify(too_old.as_str(), u64::MAX, 1), None);
    assert_eq!(token.verify(too_old.as_str(), u64::MAX, 2), Some(last - 2));
    // The step that would come after u64::MAX does not exist, and wrapping to 0 must not happen.
    let wrapped = token.code_for_step(0);
    assert_eq!(token.verify(wrapped.as_str(), u64::MAX, 3), None);
}

#[test]
fn window_1_accepts_previous_and_next_step_not_two_away() {
    for algorithm in Algorithm::ALL {
        let token = totp(algorithm, 8, 30);
        let now = 1_234_567_890;
        let step = token.step_at(now);
        let code = |offset: i64| token.code_for_step(step.checked_add_signed(offset).unwrap());
        for offset in [-1, 0, 1] {
            assert_eq!(
                token.verify(code(offset).as_str(), now, 1),
                step.checked_add_signed(offset),
                "{algorithm} offset {offset}"
            );
        }
        for offset in [-3, -2, 2, 3] {
            assert_eq!(
                token.verify(code(offset).as_str(), now, 1),
                None,
                "offset {offset}"
            );
            assert_eq!(
                token.verify(code(offset).as_str(), now, 3),
                step.checked_add_signed(offset),
                "offset {offset}"
            );
        }
        // Window 0 accepts only the current step.
        assert_eq!(token.verify(code(0).as_str(), now, 0), Some(step));
        assert_eq!(token.verify(code(-1).as_str(), now, 0), None);
        assert_eq!(token.verify(code(1).as_str(), now, 0), None);
        // Any second within the step gives the same answer.
        let start = step * 30;
        for t in [start, start + 29] {
            assert_eq!(token.verify(code(1).as_str(), t, 1), Some(step + 1));
        }
    }
}

#[test]
fn verify_rejects_malformed_input() {
    let token = totp(Algorithm::Sha1, 8, 30);
    let t = 59;
    assert_eq!(token.verify("94287082", t, 0), Some(1));
    for bad in [
        "",
        "9428708",
        "942870820",
        "094287082",
        " 94287082",
        "94287082 ",
        "9428-7082",
        "+4287082",
        "-4287082",
        "9428708a",
        "９４２８７０８２", // full-width digits must be normalised by the caller first
        "94287082\0",
    ] {
        assert_eq!(token.verify(bad, t, 1), None, "{bad:?}");
    }
}

#[test]
fn window_at_ms_counts_down_to_the_boundary() {
    let token = totp(Algorithm::Sha1, 8, 30);
    let base = 1_111_111_110_000u64; // a step boundary: 1111111110 = 37037037 * 30
    assert_eq!(token.window_at_ms(base).remaining_ms, 30_000);
    assert_eq!(token.window_at_ms(base + 1).remaining_ms, 29_999);
    assert_eq!(token.window_at_ms(base + 29_999).remaining_ms, 1);
    assert_eq!(token.window_at_ms(base - 1).remaining_ms, 1);
    assert_eq!(
        token.window_at_ms(base - 1).step + 1,
        token.window_at_ms(base).step
    );
    let w = token.window_at_ms(base + 12_345);
    assert_eq!((w.step, w.valid_from_secs), (37_037_037, 1_111_111_110));
    assert_eq!(w.step, token.step_at(1_111_111_122));
}

#[test]
fn token_params_serde_valid() {
    let params = TokenParams::default();
    let json = serde_json::to_string(&params).unwrap();
    assert_eq!(json, r#"{"algorithm":"SHA1","digits":8,"period":30}"#);
    assert_eq!(serde_json::from_str::<TokenParams>(&json).unwrap(), params);

    for algorithm in Algorithm::ALL {
        for (digits, period) in [(6, 1), (8, 30), (10, 60), (7, 300)] {
            let params = TokenParams::new(algorithm, digits, period).unwrap();
            let json = serde_json::to_string(&params).unwrap();
            assert_eq!(
                json,
                format!(
                    r#"{{"algorithm":"{}","digits":{digits},"period":{period}}}"#,
                    algorithm.as_str()
                )
            );
            assert_eq!(serde_json::from_str::<TokenParams>(&json).unwrap(), params);
        }
    }
    // Field order is free on input.
    let reordered = r#"{"period":60,"digits":6,"algorithm":"SHA512"}"#;
    assert_eq!(
        serde_json::from_str::<TokenParams>(reordered).unwrap(),
        TokenParams::new(Algorithm::Sha512, 6, 60).unwrap()
    );
}

#[test]
fn token_params_serde_rejects_invalid_values() {
    for json in [
        r#"{"algorithm":"SHA1","digits":5,"period":30}"#,
        r#"{"algorithm":"SHA1","digits":11,"period":30}"#,
        r#"{"algorithm":"SHA1","digits":8,"period":0}"#,
        r#"{"algorithm":"SHA1","digits":8,"period":301}"#,
        r#"{"algorithm":"SHA1","digits":8,"period":-30}"#,
        r#"{"algorithm":"SHA1","digits":8,"period":4294967296}"#,
        r#"{"algorithm":"SHA1","digits":256,"period":30}"#,
        r#"{"algorithm":"SHA1","digits":8.0,"period":30}"#,
        r#"{"algorithm":"sha1","digits":8,"period":30}"#,
        r#"{"algorithm":"SHA-1","digits":8,"period":30}"#,
        r#"{"algorithm":"MD5","digits":8,"period":30}"#,
        r#"{"algorithm":1,"digits":8,"period":30}"#,
        r#"{"algorithm":"SHA1","digits":8}"#,
        r#"{"algorithm":"SHA1","period":30}"#,
        r#"{"digits":8,"period":30}"#,
        r#"{"algorithm":"SHA1","digits":8,"period":30,"extra":1}"#,
        r#"{}"#,
        r#"null"#,
    ] {
        assert!(
            serde_json::from_str::<TokenParams>(json).is_err(),
            "accepted {json}"
        );
    }
    // The validation error surfaces in serde's message.
    let err = serde_json::from_str::<TokenParams>(r#"{"algorithm":"SHA1","digits":8,"period":0}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("between 1 and 300 seconds"), "{err}");
}

#[test]
fn algorithm_serde_names_and_wire_codes() {
    for (algorithm, name, wire, seed_len) in [
        (Algorithm::Sha1, "SHA1", 1, 20),
        (Algorithm::Sha256, "SHA256", 2, 32),
        (Algorithm::Sha512, "SHA512", 3, 64),
    ] {
        assert_eq!(
            serde_json::to_string(&algorithm).unwrap(),
            format!("\"{name}\"")
        );
        assert_eq!(
            serde_json::from_str::<Algorithm>(&format!("\"{name}\"")).unwrap(),
            algorithm
        );
        assert_eq!(algorithm.as_str(), name);
        assert_eq!(algorithm.to_string(), name);
        assert_eq!(algorithm.wire_code(), wire);
        assert_eq!(Algorithm::from_wire_code(wire), Some(algorithm));
        assert_eq!(algorithm.seed_len(), seed_len);
        assert_eq!(seed_for(algorithm).len(), seed_len);
        assert_eq!(name.to_lowercase().parse::<Algorithm>(), Ok(algorithm));
        assert_eq!(
            name.replace("SHA", "sha-").parse::<Algorithm>(),
            Ok(algorithm)
        );
    }
    assert_eq!(Algorithm::default(), Algorithm::Sha1);
    assert_eq!(
        "SHA3".parse::<Algorithm>(),
        Err(TotpError::UnknownAlgorithm)
    );
}
