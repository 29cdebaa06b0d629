#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! `softtoken totp` reproduces the 18 test vectors of RFC 6238 Appendix B (8 digits, 30 s), with
//! the RFC's 20-, 32- and 64-byte ASCII seeds for SHA-1, SHA-256 and SHA-512.

use std::process::Command;

const SEED_SHA1: &[u8] = b"12345678901234567890";
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// (time, SHA-1, SHA-256, SHA-512), RFC 6238 Appendix B.
const VECTORS: [(u64, &str, &str, &str); 6] = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
];

fn totp(seed: &[u8], algorithm: &str, time: u64) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_softtoken"))
        .args(["totp", "--secret-hex", &hex::encode(seed)])
        .args(["--algorithm", algorithm, "--digits", "8", "--period", "30"])
        .args(["--time", &time.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn all_18_rfc_6238_vectors() {
    let mut checked = 0;
    for (time, sha1, sha256, sha512) in VECTORS {
        assert_eq!(totp(SEED_SHA1, "sha1", time), sha1, "SHA-1 at {time}");
        assert_eq!(
            totp(SEED_SHA256, "sha256", time),
            sha256,
            "SHA-256 at {time}"
        );
        assert_eq!(
            totp(SEED_SHA512, "sha512", time),
            sha512,
            "SHA-512 at {time}"
        );
        checked += 3;
    }
    assert_eq!(checked, 18);
}

#[test]
fn json_output_and_defaults() {
    let out = Command::new(env!("CARGO_BIN_EXE_softtoken"))
        .args([
            "totp",
            "--secret-hex",
            &hex::encode(SEED_SHA1),
            "--time",
            "59",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["code"], "94287082");
    assert_eq!(json["step"], 1);
    assert_eq!(json["algorithm"], "SHA1");
    assert_eq!(json["digits"], 8);
    assert_eq!(json["period"], 30);
}

#[test]
fn the_secret_can_come_from_stdin() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_softtoken"))
        .args(["totp", "--secret-hex", "-", "--time", "1111111109"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", hex::encode(SEED_SHA1)).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "07081804");
}

#[test]
fn bad_input_is_one_line_with_exit_code_3() {
    for args in [
        vec!["totp", "--secret-hex", "not-hex"],
        vec!["totp", "--secret-hex", "3132"],
        vec!["totp", "--secret-hex", &"31".repeat(20), "--digits", "12"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_softtoken"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}
