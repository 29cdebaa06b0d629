//! Stand-in until ocra.rs lands: RFC 6287 OCRA with the API the lead's `protocol/src/ocra.rs`
//! will have (`OcraSuite::parse`, `OcraInput`, `Question`, `generate`). Only what transaction
//! authentication needs is relied upon; it is replaced by `crate::ocra` as soon as that exists.

use ring::hmac;

use crate::totp::{Code, truncate};

/// Why a suite or an input is not usable. Messages never contain keys or inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcraError {
    /// The suite string is not `OCRA-1:HOTP-<H>-<digits>:<DataInput>` as RFC 6287 §6 writes it.
    #[error("invalid OCRA suite")]
    InvalidSuite,
    /// An input the suite requires is missing, or one it does not have was given.
    #[error("OCRA input does not match the suite")]
    InputMismatch,
    /// The challenge is not of the suite's kind or is longer than it allows.
    #[error("invalid OCRA challenge")]
    InvalidChallenge,
}

/// The question kinds of RFC 6287 §6.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuestionKind {
    Numeric,
    Alphanumeric,
    Hex,
}

/// A parsed suite, e.g. `OCRA-1:HOTP-SHA1-8:QN08-T1M`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcraSuite {
    text: String,
    hash: hmac::Algorithm,
    digits: u8,
    counter: bool,
    question: (QuestionKind, usize),
    password_len: Option<usize>,
    session_len: Option<usize>,
    time_step_secs: Option<u64>,
}

fn hash_of(name: &str) -> Option<hmac::Algorithm> {
    match name {
        "SHA1" => Some(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
        "SHA256" => Some(hmac::HMAC_SHA256),
        "SHA512" => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

impl OcraSuite {
    /// Parses a suite string.
    pub fn parse(suite: &str) -> Result<OcraSuite, OcraError> {
        let bad = OcraError::InvalidSuite;
        let mut parts = suite.split(':');
        let (Some("OCRA-1"), Some(function), Some(data), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad);
        };
        let mut f = function.split('-');
        let (Some("HOTP"), Some(h), Some(d), None) = (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(bad);
        };
        let hash = hash_of(h).ok_or(OcraError::InvalidSuite)?;
        let digits: u8 = d.parse().map_err(|_| OcraError::InvalidSuite)?;
        if !(4..=10).contains(&digits) {
            return Err(bad);
        }
        let mut counter = false;
        let mut question = None;
        let mut password = None;
        let mut session_len = None;
        let mut time_step_secs = None;
        for item in data.split('-') {
            if item == "C" {
                counter = true;
            } else if let Some(q) = item.strip_prefix('Q') {
                let (kind, len) = q.split_at_checked(1).ok_or(OcraError::InvalidSuite)?;
                let kind = match kind {
                    "N" => QuestionKind::Numeric,
                    "A" => QuestionKind::Alphanumeric,
                    "H" => QuestionKind::Hex,
                    _ => return Err(bad),
                };
                let len: usize = len.parse().map_err(|_| OcraError::InvalidSuite)?;
                if !(4..=64).contains(&len) {
                    return Err(bad);
                }
                question = Some((kind, len));
            } else if let Some(p) = item.strip_prefix('P') {
                password = Some(match p {
                    "SHA1" => 20,
                    "SHA256" => 32,
                    "SHA512" => 64,
                    _ => return Err(bad),
                });
            } else if let Some(s) = item.strip_prefix('S') {
                session_len = Some(s.parse().map_err(|_| OcraError::InvalidSuite)?);
            } else if let Some(t) = item.strip_prefix('T') {
                let (n, unit) = t
                    .split_at_checked(t.len().saturating_sub(1))
                    .ok_or(OcraError::InvalidSuite)?;
                let n: u64 = n.parse().map_err(|_| OcraError::InvalidSuite)?;
                let unit = match unit {
                    "S" => 1,
                    "M" => 60,
                    "H" => 3600,
                    _ => return Err(bad),
                };
                time_step_secs = Some(n.checked_mul(unit).filter(|s| *s > 0).ok_or(bad.clone())?);
            } else {
                return Err(bad);
            }
        }
        Ok(OcraSuite {
            text: suite.to_owned(),
            hash,
            digits,
            counter,
            question: question.ok_or(OcraError::InvalidSuite)?,
            password_len: password,
            session_len,
            time_step_secs,
        })
    }
}

/// The inputs of one OCRA computation.
#[derive(Debug, Clone)]
pub struct OcraInput<'a> {
    /// `C`, if the suite has it.
    pub counter: Option<u64>,
    /// `Q`, always.
    pub question: Question<'a>,
    /// `P` (already hashed), if the suite has it.
    pub password_hash: Option<&'a [u8]>,
    /// `S`, if the suite has it.
    pub session: Option<&'a [u8]>,
    /// Unix seconds, converted to the suite's time step, if the suite has `T`.
    pub unix_secs: Option<u64>,
}

/// A challenge, of the suite's kind.
#[derive(Debug, Clone, Copy)]
pub enum Question<'a> {
    /// `QN`: decimal digits.
    Numeric(&'a str),
    /// `QA`: printable ASCII.
    #[allow(dead_code)] // part of the API the stand-in mirrors; unused by transactions
    Alphanumeric(&'a str),
    /// `QH`: hex digits.
    Hex(&'a str),
}

/// RFC 6287 §5.2: `HOTP-truncate(HMAC(key, DataInput))`.
pub fn generate(suite: &OcraSuite, key: &[u8], input: &OcraInput<'_>) -> Result<Code, OcraError> {
    let mismatch = OcraError::InputMismatch;
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(suite.hash, key));
    ctx.update(suite.text.as_bytes());
    ctx.update(&[0]);
    match (suite.counter, input.counter) {
        (true, Some(c)) => ctx.update(&c.to_be_bytes()),
        (false, None) => {}
        _ => return Err(mismatch),
    }
    ctx.update(&question_block(suite.question, input.question)?);
    match (suite.password_len, input.password_hash) {
        (Some(len), Some(p)) if p.len() == len => ctx.update(p),
        (None, None) => {}
        _ => return Err(mismatch),
    }
    match (suite.session_len, input.session) {
        (Some(len), Some(s)) if s.len() == len => ctx.update(s),
        (None, None) => {}
        _ => return Err(mismatch),
    }
    match (suite.time_step_secs, input.unix_secs) {
        (Some(step), Some(t)) => ctx.update(&(t / step).to_be_bytes()),
        (None, None) => {}
        _ => return Err(OcraError::InputMismatch),
    }
    let mac = ctx.sign();
    Ok(Code::from_value(
        truncate(mac.as_ref(), suite.digits),
        suite.digits,
    ))
}

/// The 128-byte `Q` field: the challenge's bytes (hex: as nibbles), padded with zeros.
fn question_block(
    (kind, max): (QuestionKind, usize),
    question: Question<'_>,
) -> Result<[u8; 128], OcraError> {
    let bad = OcraError::InvalidChallenge;
    let (text, nibbles) = match (kind, question) {
        (QuestionKind::Numeric, Question::Numeric(q)) => {
            if q.is_empty() || q.len() > max || !q.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad);
            }
            // The stand-in handles numbers below 10^38 (the transaction suites use 20 digits).
            let value: u128 = q.parse().map_err(|_| OcraError::InvalidChallenge)?;
            (format!("{value:X}"), true)
        }
        (QuestionKind::Hex, Question::Hex(q)) => {
            if q.is_empty() || q.len() > max || !q.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad);
            }
            (q.to_owned(), true)
        }
        (QuestionKind::Alphanumeric, Question::Alphanumeric(q)) => {
            if q.is_empty() || q.len() > max || !q.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(bad);
            }
            (q.to_owned(), false)
        }
        _ => return Err(bad),
    };
    let mut block = [0u8; 128];
    if nibbles {
        for (i, c) in text.chars().enumerate() {
            let nibble = u8::try_from(c.to_digit(16).ok_or(OcraError::InvalidChallenge)?)
                .map_err(|_| OcraError::InvalidChallenge)?;
            let slot = block.get_mut(i / 2).ok_or(OcraError::InvalidChallenge)?;
            *slot |= if i % 2 == 0 { nibble << 4 } else { nibble };
        }
    } else {
        block
            .get_mut(..text.len())
            .ok_or(OcraError::InvalidChallenge)?
            .copy_from_slice(text.as_bytes());
    }
    Ok(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED20: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    fn code(suite: &str, key: &[u8], input: OcraInput<'_>) -> String {
        generate(&OcraSuite::parse(suite).unwrap(), key, &input)
            .unwrap()
            .as_str()
            .to_owned()
    }

    fn q(question: Question<'_>) -> OcraInput<'_> {
        OcraInput {
            counter: None,
            question,
            password_hash: None,
            session: None,
            unix_secs: None,
        }
    }

    /// A sample of RFC 6287 Appendix C (the lead's ocra.rs carries all of them).
    #[test]
    fn rfc6287_appendix_c_samples() {
        for (question, expected) in [("00000000", "237653"), ("11111111", "243178")] {
            let got = code(
                "OCRA-1:HOTP-SHA1-6:QN08",
                SEED20,
                q(Question::Numeric(question)),
            );
            assert_eq!(got, expected);
        }
        let pin = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, b"1234");
        let got = code(
            "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1",
            SEED32,
            OcraInput {
                counter: Some(0),
                password_hash: Some(pin.as_ref()),
                ..q(Question::Numeric("12345678"))
            },
        );
        assert_eq!(got, "65347737");
        let got = code(
            "OCRA-1:HOTP-SHA512-8:QN08-T1M",
            SEED64,
            OcraInput {
                unix_secs: Some(0x132d0b6 * 60),
                ..q(Question::Numeric("00000000"))
            },
        );
        assert_eq!(got, "95209754");
    }

    #[test]
    fn question_kind_must_match_the_suite() {
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA1-8:QH64-T1M").unwrap();
        let input = OcraInput {
            unix_secs: Some(0),
            ..q(Question::Numeric("123"))
        };
        assert_eq!(
            generate(&suite, SEED20, &input).unwrap_err(),
            OcraError::InvalidChallenge
        );
    }
}
