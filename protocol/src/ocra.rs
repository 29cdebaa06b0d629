//! OCRA, the OATH challenge-response algorithm (RFC 6287), on ring's HMAC.
//!
//! No maintained Rust crate implements OCRA (the crates.io `ocra` crate has had no release since
//! 2018 and brings its own hash stack), so it is built here on the same HMAC and truncation as
//! the TOTP codes, and proved with **every** vector of RFC 6287 Appendix C (the tests below).
//! Transaction authentication (`docs/protocol.md` §9.3) uses it for both of its codes, so any
//! OATH implementation can check them.
//!
//! ```text
//! OCRASuite = "OCRA-1:HOTP-<SHA1|SHA256|SHA512>-<0|4..10>:<DataInput>"
//! DataInput = [C-]Q<A|N|H><04..64>[-P<SHA1|SHA256|SHA512>][-S<nnn>][-T<n><S|M|H>]
//! message   = suite ‖ 0x00 ‖ C (8) ‖ Q (128) ‖ P (hash length) ‖ S (nnn) ‖ T (8)
//! ```
//!
//! Only the parts the suite names are in the message. The challenge Q is written as nibbles
//! (hexadecimal digits: a `QH` challenge as is, a `QN` challenge as its number in hexadecimal,
//! a `QA` challenge as its ASCII bytes) and padded on the right with zeros to 128 bytes; the
//! session information S is padded on the left to its length; C and T are `u64be`. Truncation
//! to digits is HOTP's (RFC 4226 §5.3). Suites with 0 digits (the whole HMAC as the response)
//! are refused: this crate only makes codes a person types.

use std::{fmt, num::NonZeroU64};

use crate::totp::{Algorithm, Code, truncated_code};

/// The challenge field's size in the message, in bytes.
const QUESTION_BYTES: usize = 128;
/// The shortest and longest challenge a suite may declare (`Q?04` ..= `Q?64`).
const QUESTION_LEN: std::ops::RangeInclusive<u8> = 4..=64;
/// The digit counts a suite may ask for (0, "the whole HMAC", is refused).
const DIGITS: std::ops::RangeInclusive<u8> = 4..=10;

/// Why a suite was refused or a code could not be made. Never carries a key or a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcraError {
    /// The suite string does not follow RFC 6287 §6 (the reason says which part).
    #[error("malformed OCRA suite: {0}")]
    Suite(&'static str),
    /// The suite is valid but asks for something this implementation does not make.
    #[error("unsupported OCRA suite: {0}")]
    Unsupported(&'static str),
    /// An input does not match what the suite declares (the reason says which).
    #[error("OCRA input does not fit the suite: {0}")]
    Input(&'static str),
}

/// The kind of challenge a suite takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    /// `QA`: alphanumeric (printable ASCII).
    Alphanumeric,
    /// `QN`: decimal digits.
    Numeric,
    /// `QH`: hexadecimal digits.
    Hex,
}

/// A challenge, of the kind the suite declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question<'a> {
    /// For a `QN` suite: decimal digits.
    Numeric(&'a str),
    /// For a `QA` suite: printable ASCII.
    Alphanumeric(&'a str),
    /// For a `QH` suite: hexadecimal digits, either case.
    Hex(&'a str),
    /// For a `QH` suite: the bytes an even number of hexadecimal digits spell (a digest, say),
    /// so the caller need not write them out.
    HexBytes(&'a [u8]),
}

/// Everything besides the key that goes into one code. Fields the suite does not name are
/// ignored; fields it names must be given.
#[derive(Debug, Clone, Copy)]
pub struct OcraInput<'a> {
    /// C: the counter, for suites with `C`.
    pub counter: Option<u64>,
    /// Q: the challenge.
    pub question: Question<'a>,
    /// P: the hash of the PIN or password (its length must be the `P` hash's), for suites with `P`.
    pub password_hash: Option<&'a [u8]>,
    /// S: session information (at most the `S` length; padded on the left), for suites with `S`.
    pub session: Option<&'a [u8]>,
    /// The time in unix seconds, for suites with `T` (turned into the suite's time step here).
    pub unix_secs: Option<u64>,
}

/// A parsed OCRA suite, e.g. `OCRA-1:HOTP-SHA1-8:QN08-T1M`.
#[derive(Clone, PartialEq, Eq)]
pub struct OcraSuite {
    text: String,
    algorithm: Algorithm,
    digits: u8,
    counter: bool,
    question_kind: QuestionKind,
    question_len: u8,
    password: Option<Algorithm>,
    session_len: Option<usize>,
    time_step: Option<NonZeroU64>,
}

impl fmt::Debug for OcraSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OcraSuite").field(&self.text).finish()
    }
}

impl fmt::Display for OcraSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl OcraSuite {
    /// Parses a suite string (RFC 6287 §6). The text is kept exactly as given: it is the first
    /// part of every message, so it must be byte for byte what the other side uses.
    pub fn parse(suite: &str) -> Result<OcraSuite, OcraError> {
        let mut parts = suite.split(':');
        let (Some(version), Some(function), Some(data), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OcraError::Suite("expected three parts separated by ':'"));
        };
        if version != "OCRA-1" {
            return Err(OcraError::Suite("the algorithm must be OCRA-1"));
        }
        let (algorithm, digits) = parse_function(function)?;
        let mut suite_parts = OcraSuite {
            text: suite.to_owned(),
            algorithm,
            digits,
            counter: false,
            question_kind: QuestionKind::Numeric,
            question_len: 0,
            password: None,
            session_len: None,
            time_step: None,
        };
        suite_parts.parse_data_input(data)?;
        Ok(suite_parts)
    }

    /// The suite as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The HMAC hash.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits of a code.
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// The kind of challenge the suite takes.
    pub fn question_kind(&self) -> QuestionKind {
        self.question_kind
    }

    /// The longest challenge the suite names, in characters (one side's, in mutual mode).
    pub fn question_len(&self) -> u8 {
        self.question_len
    }

    /// The time step in seconds, for suites with `T`.
    pub fn time_step_secs(&self) -> Option<u64> {
        self.time_step.map(NonZeroU64::get)
    }

    /// The time step that `unix_secs` falls in, for suites with `T`.
    pub fn step_at(&self, unix_secs: u64) -> Option<u64> {
        self.time_step.map(|step| unix_secs / step)
    }

    /// `[C-]Q..[-P..][-S..][-T..]`, in this order, each at most once.
    fn parse_data_input(&mut self, data: &str) -> Result<(), OcraError> {
        let mut items = data.split('-').peekable();
        if items.peek() == Some(&"C") {
            self.counter = true;
            items.next();
        }
        let question = items
            .next()
            .ok_or(OcraError::Suite("the challenge (Q) is missing"))?;
        self.parse_question(question)?;
        for item in items {
            let value = item.get(1..).unwrap_or("");
            match item.as_bytes().first() {
                Some(b'P')
                    if self.password.is_none()
                        && self.session_len.is_none()
                        && self.time_step.is_none() =>
                {
                    self.password = Some(
                        value
                            .parse()
                            .map_err(|_| OcraError::Suite("P names an unknown hash"))?,
                    );
                }
                Some(b'S') if self.session_len.is_none() && self.time_step.is_none() => {
                    self.session_len = Some(parse_session_len(value)?);
                }
                Some(b'T') if self.time_step.is_none() => {
                    self.time_step = Some(parse_time_step(value)?);
                }
                _ => {
                    return Err(OcraError::Suite(
                        "unknown, repeated or misplaced data input",
                    ));
                }
            }
        }
        Ok(())
    }

    fn parse_question(&mut self, question: &str) -> Result<(), OcraError> {
        let rest = question
            .strip_prefix('Q')
            .ok_or(OcraError::Suite("the challenge (Q) is missing"))?;
        let (kind, len) = rest
            .split_at_checked(1)
            .ok_or(OcraError::Suite("Q needs a kind and a length"))?;
        self.question_kind = match kind {
            "A" => QuestionKind::Alphanumeric,
            "N" => QuestionKind::Numeric,
            "H" => QuestionKind::Hex,
            _ => return Err(OcraError::Suite("Q's kind must be A, N or H")),
        };
        if len.len() != 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OcraError::Suite("Q's length must be two digits"));
        }
        let len: u8 = len
            .parse()
            .map_err(|_| OcraError::Suite("Q's length must be two digits"))?;
        if !QUESTION_LEN.contains(&len) {
            return Err(OcraError::Suite("Q's length must be 04 to 64"));
        }
        self.question_len = len;
        Ok(())
    }

    /// HMACs the message for `input` (RFC 6287 §5.1), streamed into `mac` part by part: no
    /// buffer holds the message, so a code costs the hash and nothing else.
    fn sign(&self, key: &OcraKey, input: &OcraInput<'_>) -> Result<Code, OcraError> {
        if key.algorithm != self.algorithm {
            return Err(OcraError::Input(
                "the key is for another hash than the suite's",
            ));
        }
        let question = self.question_bytes(input.question)?;
        let mut mac = key.start();
        mac.update(self.text.as_bytes());
        mac.update(&[0]);
        if self.counter {
            let counter = input
                .counter
                .ok_or(OcraError::Input("the suite needs a counter (C)"))?;
            mac.update(&counter.to_be_bytes());
        }
        mac.update(&question);
        if let Some(hash) = self.password {
            let password = input
                .password_hash
                .ok_or(OcraError::Input("the suite needs a password hash (P)"))?;
            if password.len() != hash.seed_len() {
                return Err(OcraError::Input("the password hash has the wrong length"));
            }
            mac.update(password);
        }
        if let Some(len) = self.session_len {
            let session = input
                .session
                .ok_or(OcraError::Input("the suite needs session information (S)"))?;
            let pad = len
                .checked_sub(session.len())
                .ok_or(OcraError::Input("the session information is too long"))?;
            const ZEROS: [u8; 512] = [0; 512];
            mac.update(ZEROS.get(..pad).unwrap_or(&[]));
            mac.update(session);
        }
        if let Some(step) = self.time_step {
            let unix_secs = input
                .unix_secs
                .ok_or(OcraError::Input("the suite needs a time (T)"))?;
            mac.update(&(unix_secs / step).to_be_bytes());
        }
        Ok(mac.finish(self.digits))
    }

    /// The challenge as the 128 bytes of the message: its nibbles, left-aligned, zero-padded.
    fn question_bytes(&self, question: Question<'_>) -> Result<[u8; QUESTION_BYTES], OcraError> {
        let kind = match question {
            Question::Numeric(_) => QuestionKind::Numeric,
            Question::Alphanumeric(_) => QuestionKind::Alphanumeric,
            Question::Hex(_) | Question::HexBytes(_) => QuestionKind::Hex,
        };
        if kind != self.question_kind {
            return Err(OcraError::Input("the challenge is not of the suite's kind"));
        }
        // The suite's length bounds one challenge, but RFC 6287's mutual mode (Appendix C.2)
        // concatenates the client's and the server's: only the 128-byte field bounds the whole.
        let mut out = Nibbles::default();
        match question {
            Question::Numeric(text) => decimal_to_hex_nibbles(text, &mut out)?,
            Question::Hex(text) => {
                for c in text.chars() {
                    let nibble = c.to_digit(16).and_then(|d| u8::try_from(d).ok()).ok_or(
                        OcraError::Input("a hexadecimal challenge has a non-hex character"),
                    )?;
                    out.push(nibble)?;
                }
            }
            Question::HexBytes(bytes) => {
                for byte in bytes {
                    out.push(byte >> 4)?;
                    out.push(byte & 0x0f)?;
                }
            }
            Question::Alphanumeric(text) => {
                if !text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                    return Err(OcraError::Input(
                        "an alphanumeric challenge must be printable ASCII",
                    ));
                }
                for byte in text.bytes() {
                    out.push(byte >> 4)?;
                    out.push(byte & 0x0f)?;
                }
            }
        }
        if out.len == 0 {
            return Err(OcraError::Input("the challenge is empty"));
        }
        Ok(out.bytes)
    }
}

/// The challenge field being filled nibble by nibble, left-aligned.
struct Nibbles {
    bytes: [u8; QUESTION_BYTES],
    len: usize,
}

impl Default for Nibbles {
    fn default() -> Self {
        Nibbles {
            bytes: [0; QUESTION_BYTES],
            len: 0,
        }
    }
}

impl Nibbles {
    fn push(&mut self, nibble: u8) -> Result<(), OcraError> {
        let byte = self
            .bytes
            .get_mut(self.len / 2)
            .ok_or(OcraError::Input("the challenge does not fit in 128 bytes"))?;
        *byte |= if self.len.is_multiple_of(2) {
            nibble << 4
        } else {
            nibble & 0x0f
        };
        self.len += 1;
        Ok(())
    }
}

/// An OCRA key, prepared once for its hash (the HMAC's padded key blocks are computed here, not
/// per code). `Debug` is redacted.
pub struct OcraKey {
    algorithm: Algorithm,
    engine: Engine,
}

/// Who computes the HMAC. SHA-1 runs on the RustCrypto engine that the TOTP codes already use
/// (through totp-rs): it uses the CPU's SHA instructions, which ring's SHA-1 does not, and an
/// OCRA message is four SHA-1 blocks where a TOTP message is one (measured in
/// `benches/transaction.rs`). SHA-256 and SHA-512 run on ring, which is the faster there.
enum Engine {
    Ring(ring::hmac::Key),
    Sha1(hmac::Hmac<sha1::Sha1>),
}

/// One HMAC in progress.
enum Signing {
    Ring(ring::hmac::Context),
    Sha1(hmac::Hmac<sha1::Sha1>),
}

impl Signing {
    fn update(&mut self, data: &[u8]) {
        match self {
            Signing::Ring(context) => context.update(data),
            Signing::Sha1(mac) => hmac::Mac::update(mac, data),
        }
    }

    fn finish(self, digits: u8) -> Code {
        match self {
            Signing::Ring(context) => truncated_code(context.sign().as_ref(), digits),
            Signing::Sha1(mac) => {
                truncated_code(hmac::Mac::finalize(mac).into_bytes().as_slice(), digits)
            }
        }
    }
}

impl fmt::Debug for OcraKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OcraKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl OcraKey {
    /// Prepares `key` for suites with `algorithm`'s HMAC.
    pub fn new(algorithm: Algorithm, key: &[u8]) -> OcraKey {
        let engine = match algorithm {
            // HMAC takes keys of any length, so this never falls back; the fallback keeps the
            // function total without a panic path.
            Algorithm::Sha1 => match <hmac::Hmac<sha1::Sha1> as hmac::KeyInit>::new_from_slice(key)
            {
                Ok(mac) => Engine::Sha1(mac),
                Err(_) => Engine::Ring(ring::hmac::Key::new(algorithm.ring_algorithm(), key)),
            },
            Algorithm::Sha256 | Algorithm::Sha512 => {
                Engine::Ring(ring::hmac::Key::new(algorithm.ring_algorithm(), key))
            }
        };
        OcraKey { algorithm, engine }
    }

    fn start(&self) -> Signing {
        match &self.engine {
            Engine::Ring(key) => Signing::Ring(ring::hmac::Context::with_key(key)),
            Engine::Sha1(mac) => Signing::Sha1(mac.clone()),
        }
    }
}

/// An OCRA code for `input` under `key`.
pub fn generate(suite: &OcraSuite, key: &[u8], input: &OcraInput<'_>) -> Result<Code, OcraError> {
    suite.sign(&OcraKey::new(suite.algorithm, key), input)
}

/// An OCRA code for `input` under a prepared key (for a key used more than once).
pub fn generate_with(
    suite: &OcraSuite,
    key: &OcraKey,
    input: &OcraInput<'_>,
) -> Result<Code, OcraError> {
    suite.sign(key, input)
}

/// Checks a code a user typed against the suite's time steps `step(now) − window ..=
/// step(now) + window` (a suite without `T` has the one code of `input`), comparing in
/// constant time. Returns the matched time step (0 for a suite without `T`).
///
/// `otp_ascii_digits` must already be normalised (see `otp_input`); anything but exactly
/// `digits` ASCII digits never matches.
pub fn verify(
    suite: &OcraSuite,
    key: &OcraKey,
    input: &OcraInput<'_>,
    otp_ascii_digits: &str,
    window: u32,
) -> Result<Option<u64>, OcraError> {
    let typed = Code::parse(otp_ascii_digits, suite.digits);
    let Some(step) = suite.time_step else {
        let code = suite.sign(key, input)?;
        return Ok(typed.filter(|typed| *typed == code).map(|_| 0));
    };
    let now = input
        .unix_secs
        .ok_or(OcraError::Input("the suite needs a time (T)"))?;
    let current = now / step;
    let mut matched = None;
    // Every step of the window is computed and compared, matched or not, so the time taken
    // does not say which one matched.
    for candidate in
        current.saturating_sub(u64::from(window))..=current.saturating_add(u64::from(window))
    {
        let at = OcraInput {
            unix_secs: Some(candidate.saturating_mul(step.get())),
            ..*input
        };
        let code = suite.sign(key, &at)?;
        if typed.as_ref().is_some_and(|typed| *typed == code) && matched.is_none() {
            matched = Some(candidate);
        }
    }
    Ok(matched)
}

/// `HOTP-SHA1-6` → (SHA1, 6).
fn parse_function(function: &str) -> Result<(Algorithm, u8), OcraError> {
    let mut parts = function.split('-');
    let (Some("HOTP"), Some(hash), Some(digits), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(OcraError::Suite(
            "the crypto function must be HOTP-<hash>-<digits>",
        ));
    };
    let algorithm = match hash {
        "SHA1" => Algorithm::Sha1,
        "SHA256" => Algorithm::Sha256,
        "SHA512" => Algorithm::Sha512,
        _ => return Err(OcraError::Suite("the hash must be SHA1, SHA256 or SHA512")),
    };
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OcraError::Suite("the digit count must be a number"));
    }
    let digits: u8 = digits
        .parse()
        .map_err(|_| OcraError::Suite("the digit count must be a number"))?;
    if digits == 0 {
        return Err(OcraError::Unsupported(
            "0 digits (the whole HMAC) is not a typed code",
        ));
    }
    if !DIGITS.contains(&digits) {
        return Err(OcraError::Suite("the digit count must be 0 or 4 to 10"));
    }
    Ok((algorithm, digits))
}

/// `064` → 64: three digits, one of the lengths RFC 6287 names.
fn parse_session_len(len: &str) -> Result<usize, OcraError> {
    match len {
        "064" => Ok(64),
        "128" => Ok(128),
        "256" => Ok(256),
        "512" => Ok(512),
        _ => Err(OcraError::Suite("S's length must be 064, 128, 256 or 512")),
    }
}

/// `1M` → 60 s: 1–59 seconds or minutes, or 0–48 hours (`T0H` is refused: a zero step).
fn parse_time_step(step: &str) -> Result<NonZeroU64, OcraError> {
    let (count, unit) = step
        .split_at_checked(step.len().saturating_sub(1))
        .ok_or(OcraError::Suite("T needs a count and a unit"))?;
    if count.is_empty() || count.len() > 2 || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OcraError::Suite("T's count must be a number"));
    }
    let count: u64 = count
        .parse()
        .map_err(|_| OcraError::Suite("T's count must be a number"))?;
    let (max, unit_secs) = match unit {
        "S" => (59, 1),
        "M" => (59, 60),
        "H" => (48, 3600),
        _ => return Err(OcraError::Suite("T's unit must be S, M or H")),
    };
    if count > max {
        return Err(OcraError::Suite("T's count is out of range"));
    }
    NonZeroU64::new(count * unit_secs).ok_or(OcraError::Suite("T's step must not be zero"))
}

/// The longest decimal challenge whose hexadecimal form fits the 128-byte field (10^308 <
/// 16^256).
const MAX_DECIMAL_DIGITS: usize = 308;

/// Writes a decimal number's hexadecimal digits, without leading zeros ("0" for zero), into
/// `out`: RFC 6287's reference converts a `QN` challenge this way (`BigInteger.toString(16)`).
fn decimal_to_hex_nibbles(decimal: &str, out: &mut Nibbles) -> Result<(), OcraError> {
    // Every challenge this app makes (at most 17 digits) fits in a u128: write it out directly.
    if decimal.len() <= 38 && !decimal.is_empty() {
        let mut value: u128 = 0;
        for byte in decimal.bytes() {
            if !byte.is_ascii_digit() {
                return Err(OcraError::Input(
                    "a numeric challenge has a non-digit character",
                ));
            }
            value = value * 10 + u128::from(byte - b'0');
        }
        let nibbles = (128 - value.leading_zeros()).div_ceil(4).max(1);
        for shift in (0..nibbles).rev() {
            // Masked to four bits, so the cast keeps the whole nibble.
            out.push(((value >> (shift * 4)) & 0x0f) as u8)?;
        }
        return Ok(());
    }
    let mut digits = [0u8; MAX_DECIMAL_DIGITS];
    let used = digits
        .get_mut(..decimal.len())
        .ok_or(OcraError::Input("the challenge does not fit in 128 bytes"))?;
    for (slot, byte) in used.iter_mut().zip(decimal.bytes()) {
        if !byte.is_ascii_digit() {
            return Err(OcraError::Input(
                "a numeric challenge has a non-digit character",
            ));
        }
        *slot = byte - b'0';
    }
    // Long division by 16, repeated: each pass yields the next hexadecimal digit, lowest first.
    let mut reversed = [0u8; QUESTION_BYTES * 2 + 1];
    let mut count = 0;
    while used.iter().any(|&d| d != 0) {
        let mut remainder = 0u8;
        for digit in used.iter_mut() {
            let value = u16::from(remainder) * 10 + u16::from(*digit);
            // value < 160, so the quotient is < 10 and the remainder < 16.
            *digit = u8::try_from(value / 16).unwrap_or(0);
            remainder = u8::try_from(value % 16).unwrap_or(0);
        }
        let slot = reversed
            .get_mut(count)
            .ok_or(OcraError::Input("the challenge does not fit in 128 bytes"))?;
        *slot = remainder;
        count += 1;
    }
    if count == 0 && !decimal.is_empty() {
        return out.push(0);
    }
    for nibble in reversed.iter().take(count).rev() {
        out.push(*nibble)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6287 Appendix C's keys: the ASCII digits "1234567890" repeated to 20, 32 and 64 bytes.
    const KEY20: &[u8] = b"12345678901234567890";
    const KEY32: &[u8] = b"12345678901234567890123456789012";
    const KEY64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";
    /// SHA-1("1234"), the PIN hash of Appendix C.
    const PIN_SHA1: [u8; 20] = [
        0x71, 0x10, 0xed, 0xa4, 0xd0, 0x9e, 0x06, 0x2a, 0xa5, 0xe4, 0xa3, 0x90, 0xb0, 0xa5, 0x72,
        0xac, 0x0d, 0x2c, 0x02, 0x20,
    ];
    /// Appendix C's time step 0x132d0b6 (minutes), as unix seconds.
    const T_132D0B6: u64 = 0x132_d0b6 * 60;

    fn code(suite: &str, key: &[u8], input: OcraInput<'_>) -> String {
        let suite = OcraSuite::parse(suite).unwrap();
        generate(&suite, key, &input).unwrap().as_str().to_owned()
    }

    fn input(question: Question<'_>) -> OcraInput<'_> {
        OcraInput {
            counter: None,
            question,
            password_hash: None,
            session: None,
            unix_secs: None,
        }
    }

    #[test]
    fn pin_hash_is_sha1_of_1234() {
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, b"1234");
        assert_eq!(digest.as_ref(), PIN_SHA1);
    }

    /// C.1, `OCRA-1:HOTP-SHA1-6:QN08`: Q = 00000000 … 99999999.
    #[test]
    fn appendix_c1_sha1_6_qn08() {
        let expected = [
            "237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598",
            "750600", "294470",
        ];
        for (digit, want) in expected.iter().enumerate() {
            let q = digit.to_string().repeat(8);
            assert_eq!(
                code(
                    "OCRA-1:HOTP-SHA1-6:QN08",
                    KEY20,
                    input(Question::Numeric(&q))
                ),
                *want
            );
        }
    }

    /// C.1, `OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1`: C = 0 … 9, Q = 12345678, PIN 1234.
    #[test]
    fn appendix_c1_sha256_8_c_qn08_psha1() {
        let expected = [
            "65347737", "86775851", "78192410", "71565254", "10104329", "65983500", "70069104",
            "91771096", "75011558", "08522129",
        ];
        for (counter, want) in (0u64..).zip(expected) {
            let got = code(
                "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1",
                KEY32,
                OcraInput {
                    counter: Some(counter),
                    password_hash: Some(&PIN_SHA1),
                    ..input(Question::Numeric("12345678"))
                },
            );
            assert_eq!(got, want, "C = {counter}");
        }
    }

    /// C.1, `OCRA-1:HOTP-SHA256-8:QN08-PSHA1`: Q = 00000000 … 44444444, PIN 1234.
    #[test]
    fn appendix_c1_sha256_8_qn08_psha1() {
        let expected = ["83238735", "01501458", "17957585", "86776967", "86807031"];
        for (digit, want) in expected.iter().enumerate() {
            let q = digit.to_string().repeat(8);
            let got = code(
                "OCRA-1:HOTP-SHA256-8:QN08-PSHA1",
                KEY32,
                OcraInput {
                    password_hash: Some(&PIN_SHA1),
                    ..input(Question::Numeric(&q))
                },
            );
            assert_eq!(got, *want, "Q = {q}");
        }
    }

    /// C.1, `OCRA-1:HOTP-SHA512-8:C-QN08`: C = 0 … 9 with Q = 00000000 … 99999999.
    #[test]
    fn appendix_c1_sha512_8_c_qn08() {
        let expected = [
            "07016083", "63947962", "70123924", "25341727", "33203315", "34205738", "44343969",
            "51946085", "20403879", "31409299",
        ];
        for (counter, want) in (0u64..).zip(expected) {
            let q = counter.to_string().repeat(8);
            let got = code(
                "OCRA-1:HOTP-SHA512-8:C-QN08",
                KEY64,
                OcraInput {
                    counter: Some(counter),
                    ..input(Question::Numeric(&q))
                },
            );
            assert_eq!(got, want, "C = {counter}");
        }
    }

    /// C.1, `OCRA-1:HOTP-SHA512-8:QN08-T1M`: Q = 00000000 … 44444444, T = 0x132d0b6.
    #[test]
    fn appendix_c1_sha512_8_qn08_t1m() {
        let expected = ["95209754", "55907591", "22048402", "24218844", "36209546"];
        for (digit, want) in expected.iter().enumerate() {
            let q = digit.to_string().repeat(8);
            let got = code(
                "OCRA-1:HOTP-SHA512-8:QN08-T1M",
                KEY64,
                OcraInput {
                    unix_secs: Some(T_132D0B6),
                    ..input(Question::Numeric(&q))
                },
            );
            assert_eq!(got, *want, "Q = {q}");
        }
    }

    /// C.2, `OCRA-1:HOTP-SHA256-8:QA08`, server and client side of the mutual exchange.
    #[test]
    fn appendix_c2_sha256_8_qa08_mutual() {
        let server = ["28247970", "01984843", "65387857", "03351211", "83412541"];
        let client = ["15510767", "90175646", "33777207", "95285278", "28934924"];
        for n in 0..5 {
            let q = format!("CLI2222{n}SRV1111{n}");
            assert_eq!(
                code(
                    "OCRA-1:HOTP-SHA256-8:QA08",
                    KEY32,
                    input(Question::Alphanumeric(&q))
                ),
                server[n]
            );
            let q = format!("SRV1111{n}CLI2222{n}");
            assert_eq!(
                code(
                    "OCRA-1:HOTP-SHA256-8:QA08",
                    KEY32,
                    input(Question::Alphanumeric(&q))
                ),
                client[n]
            );
        }
    }

    /// C.2, `OCRA-1:HOTP-SHA512-8:QA08` (server) and `…:QA08-PSHA1` (client, with the PIN).
    #[test]
    fn appendix_c2_sha512_8_qa08_mutual() {
        let server = ["79496648", "76831980", "12250499", "90856481", "12761449"];
        let client = ["18806276", "70020315", "01600026", "18951020", "32528969"];
        for n in 0..5 {
            let q = format!("CLI2222{n}SRV1111{n}");
            assert_eq!(
                code(
                    "OCRA-1:HOTP-SHA512-8:QA08",
                    KEY64,
                    input(Question::Alphanumeric(&q))
                ),
                server[n]
            );
            let q = format!("SRV1111{n}CLI2222{n}");
            let got = code(
                "OCRA-1:HOTP-SHA512-8:QA08-PSHA1",
                KEY64,
                OcraInput {
                    password_hash: Some(&PIN_SHA1),
                    ..input(Question::Alphanumeric(&q))
                },
            );
            assert_eq!(got, client[n]);
        }
    }

    /// C.3, plain signature: `OCRA-1:HOTP-SHA256-8:QA08` and `OCRA-1:HOTP-SHA512-8:QA10-T1M`.
    #[test]
    fn appendix_c3_signatures() {
        let sha256 = ["53095496", "04110475", "31331128", "76028668", "46554205"];
        let sha512 = ["77537423", "31970405", "10235557", "95213541", "65360607"];
        for n in 0..5 {
            let q = format!("SIG1{n}000");
            assert_eq!(
                code(
                    "OCRA-1:HOTP-SHA256-8:QA08",
                    KEY32,
                    input(Question::Alphanumeric(&q))
                ),
                sha256[n]
            );
            let q = format!("SIG1{n}00000");
            let got = code(
                "OCRA-1:HOTP-SHA512-8:QA10-T1M",
                KEY64,
                OcraInput {
                    unix_secs: Some(T_132D0B6),
                    ..input(Question::Alphanumeric(&q))
                },
            );
            assert_eq!(got, sha512[n]);
        }
    }

    #[test]
    fn numeric_challenges_are_written_in_hexadecimal() {
        let field = |decimal: &str| {
            let mut out = Nibbles::default();
            decimal_to_hex_nibbles(decimal, &mut out).unwrap();
            (out.len, out.bytes[..20].to_vec())
        };
        let padded = |head: &[u8]| {
            let mut bytes = head.to_vec();
            bytes.resize(20, 0);
            bytes
        };
        assert_eq!(field("0"), (1, padded(&[])));
        assert_eq!(field("00000000"), (1, padded(&[])));
        assert_eq!(field("255"), (2, padded(&[0xff])));
        // 99999999 = 0x5F5E0FF: seven nibbles, left-aligned, so the message holds 5F 5E 0F F0.
        assert_eq!(field("99999999"), (7, padded(&[0x5f, 0x5e, 0x0f, 0xf0])));
        // 2^64 = 0x10000000000000000, past u64.
        assert_eq!(field("18446744073709551616"), (17, padded(&[0x10])));
        // Past 38 digits the general long division runs: leading zeros make the same number.
        for number in [
            "0",
            "255",
            "99999999",
            "18446744073709551616",
            &"9".repeat(38),
        ] {
            assert_eq!(
                field(number),
                field(&format!("{}{number}", "0".repeat(40))),
                "{number}"
            );
        }
        let mut out = Nibbles::default();
        assert!(decimal_to_hex_nibbles(&"9".repeat(309), &mut out).is_err());
    }

    #[test]
    fn suites_outside_rfc_6287_are_refused() {
        for bad in [
            "OCRA-2:HOTP-SHA1-6:QN08",
            "OCRA-1:HOTP-SHA1-6:QN08:MORE",
            "OCRA-1:SOTP-SHA1-6:QN08",
            "OCRA-1:HOTP-SHA1024-8:QN08",
            "OCRA-1:HOTP-SHA1-3:QN08",
            "OCRA-1:HOTP-SHA1-11:QN08",
            "OCRA-1:HOTP-SHA1-8:QR08",
            "OCRA-1:HOTP-SHA1-8:QN0F",
            "OCRA-1:HOTP-SHA1-8:QN03",
            "OCRA-1:HOTP-SHA1-8:QN65",
            "OCRA-1:HOTP-SHA1-8:QN8",
            "OCRA-1:HOTP-SHA1-8:QN08-PMD5",
            "OCRA-1:HOTP-SHA1-8:QN08-S64",
            "OCRA-1:HOTP-SHA1-8:QN08-T1D",
            "OCRA-1:HOTP-SHA1-8:QN08-T0M",
            "OCRA-1:HOTP-SHA1-8:QN08-T60M",
            "OCRA-1:HOTP-SHA1-8:QN08-T49H",
            "OCRA-1:HOTP-SHA1-8:QN08-WD40",
            "OCRA-1:HOTP-SHA1-8:C-T2H",
            "OCRA-1:HOTP-SHA1-8:QN08-T1M-PSHA1",
            "OCRA-1:HOTP-SHA1-8:QN08-T1M-T1M",
            "OCRA-1:HOTP-SHA1-8:QN08-C",
        ] {
            assert!(
                matches!(OcraSuite::parse(bad), Err(OcraError::Suite(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            OcraSuite::parse("OCRA-1:HOTP-SHA1-0:QN08"),
            Err(OcraError::Unsupported(_))
        ));
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA1-8:QN10-T1M").unwrap();
        assert_eq!(suite.time_step_secs(), Some(60));
        assert_eq!(suite.question_len(), 10);
        assert_eq!(suite.to_string(), "OCRA-1:HOTP-SHA1-8:QN10-T1M");
    }

    #[test]
    fn inputs_that_do_not_fit_the_suite_are_refused() {
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA1-8:C-QN08-PSHA1-S064-T30S").unwrap();
        let long = "9".repeat(400);
        let full = OcraInput {
            counter: Some(1),
            question: Question::Numeric("12345678"),
            password_hash: Some(&PIN_SHA1),
            session: Some(b"session"),
            unix_secs: Some(1_000_000),
        };
        assert!(generate(&suite, KEY20, &full).is_ok());
        for bad in [
            OcraInput {
                counter: None,
                ..full
            },
            OcraInput {
                question: Question::Numeric(&long),
                ..full
            },
            OcraInput {
                question: Question::Numeric("1234a678"),
                ..full
            },
            OcraInput {
                question: Question::Numeric(""),
                ..full
            },
            OcraInput {
                question: Question::Hex("12345678"),
                ..full
            },
            OcraInput {
                password_hash: None,
                ..full
            },
            OcraInput {
                password_hash: Some(&PIN_SHA1[..19]),
                ..full
            },
            OcraInput {
                session: None,
                ..full
            },
            OcraInput {
                session: Some(&[0u8; 65]),
                ..full
            },
            OcraInput {
                unix_secs: None,
                ..full
            },
        ] {
            assert!(
                matches!(generate(&suite, KEY20, &bad), Err(OcraError::Input(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn verify_accepts_the_window_and_says_which_step() {
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA1-8:QH64-T1M").unwrap();
        let q = "AB".repeat(32);
        let at = |unix_secs| OcraInput {
            unix_secs: Some(unix_secs),
            ..input(Question::Hex(&q))
        };
        let now = 1_795_000_000;
        let key = OcraKey::new(Algorithm::Sha1, KEY20);
        let earlier = generate(&suite, KEY20, &at(now - 60)).unwrap();
        let later = generate(&suite, KEY20, &at(now + 60)).unwrap();
        let too_old = generate(&suite, KEY20, &at(now - 120)).unwrap();
        assert_eq!(
            verify(&suite, &key, &at(now), earlier.as_str(), 1).unwrap(),
            Some(now / 60 - 1)
        );
        assert_eq!(
            verify(&suite, &key, &at(now), later.as_str(), 1).unwrap(),
            Some(now / 60 + 1)
        );
        assert_eq!(
            verify(&suite, &key, &at(now), too_old.as_str(), 1).unwrap(),
            None
        );
        assert_eq!(verify(&suite, &key, &at(now), "1234567", 1).unwrap(), None);
        assert_eq!(verify(&suite, &key, &at(now), "abcdefgh", 1).unwrap(), None);
    }

    #[test]
    fn hex_challenges_take_either_case() {
        let suite = "OCRA-1:HOTP-SHA256-8:QH64";
        assert_eq!(
            code(suite, KEY32, input(Question::Hex("00ff"))),
            code(suite, KEY32, input(Question::Hex("00FF")))
        );
        assert_eq!(
            code(suite, KEY32, input(Question::HexBytes(&[0x00, 0xff]))),
            code(suite, KEY32, input(Question::Hex("00ff")))
        );
    }
}
