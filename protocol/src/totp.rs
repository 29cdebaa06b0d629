//! RFC 6238 time-based one-time passwords: the codes the app shows and the server verifies.
//!
//! The token is HOTP (RFC 4226) over the step counter `T = unix_secs / period`, 8 digits and a
//! 30-second period by default, with SHA-1, SHA-256 or SHA-512 as the HMAC hash.
//!
//! # Time
//!
//! Every time value is unsigned Unix time (`u64` seconds, or milliseconds where the name says
//! so). Instants before 1970-01-01 are not representable; callers holding a signed clock reading
//! clamp negative values to 0 (a phone with its clock set before 1970 shows the codes of step 0,
//! which simply fail verification). No function here panics or wraps for any `u64` input: step
//! arithmetic saturates at 0 and `u64::MAX`.
//!
//! # Implementation
//!
//! The HMAC engine is chosen per token from measurements (`benches/totp.rs`); the RFC 4226
//! dynamic truncation is done here for every digit count, 10 included, because totp-rs's own
//! `generate` computes the modulus in u32 and panics at 10 digits.
//!
//! - SHA-1 with a 20-byte seed (every SHA-1 token the handshake derives): `totp_rs::Totp::sign`.
//!   It sets the HMAC key up again on every call (four compression-function calls instead of
//!   two), yet its SHA-1 (RustCrypto, using the CPU's SHA instructions where present) is still
//!   faster than ring's portable SHA-1 with a prepared key: about 0.45x the cost of one
//!   prepared-key ring HMAC-SHA-1 with SHA instructions and 0.9x without, well inside the
//!   2x budget. It also wipes its copy of the seed on drop.
//! - Everything else, a prepared `ring::hmac::Key`: totp-rs built without its `alloc` feature
//!   (as this workspace does) can only hold 20-byte secrets, so it cannot represent the 32- and
//!   64-byte SHA-256/SHA-512 seeds; and ring's assembly SHA-256/SHA-512 with a prepared key is
//!   as fast or faster than totp-rs's per-call key setup anyway.
//!
//! Tests prove both engines, and totp-rs's own `generate`, produce identical codes.

use std::{
    fmt,
    num::{NonZeroU32, NonZeroU64},
    str::FromStr,
};

use ring::hmac;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Fewest digits a code may have (RFC 4226 §5.3 requires at least 6).
pub const MIN_DIGITS: u8 = 6;
/// Most digits a code may have: the truncated HMAC value is 31 bits, below 10^10, so an
/// eleventh digit would always be a leading zero.
pub const MAX_DIGITS: u8 = 10;
/// Digits the app shows unless the provider says otherwise.
pub const DEFAULT_DIGITS: u8 = 8;
/// Shortest accepted period in seconds.
pub const MIN_PERIOD: u32 = 1;
/// Longest accepted period in seconds (five minutes): longer codes stay valid too long to be a
/// second factor.
pub const MAX_PERIOD: u32 = 300;
/// Period used unless the provider says otherwise (RFC 6238 §5.2 recommends 30 seconds).
pub const DEFAULT_PERIOD: u32 = 30;
/// Shortest accepted seed in bytes: RFC 4226 §4 requires at least 128 bits.
pub const MIN_SEED_LEN: usize = 16;

/// [`DEFAULT_PERIOD`] as the non-zero divisor `TokenParams` stores.
const DEFAULT_PERIOD_NZ: NonZeroU32 = match NonZeroU32::new(DEFAULT_PERIOD) {
    Some(period) => period,
    None => NonZeroU32::MIN,
};

/// Milliseconds per second, non-zero by type so dividing by a period in milliseconds is total.
const MS_PER_SEC: NonZeroU64 = match NonZeroU64::new(1000) {
    Some(ms) => ms,
    None => NonZeroU64::MIN,
};

/// Bytes of a [`Code`]'s buffer: room for the longest code.
const CODE_CAPACITY: usize = MAX_DIGITS as usize;

/// 10^n for n in 0..=10, so the modulus is a lookup instead of an exponentiation per code. u64,
/// not u32, because 10^10 does not fit in 32 bits (the reason totp-rs panics at 10 digits).
const POW10: [u64; 11] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
];

/// Errors from building token parameters or a [`Totp`]. Messages never contain seed material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The number of digits is outside 6..=10.
    #[error("TOTP codes must have between 6 and 10 digits, not {digits}")]
    InvalidDigits {
        /// The rejected digit count.
        digits: u8,
    },
    /// The period is outside 1..=300 seconds.
    #[error("the TOTP period must be between 1 and 300 seconds, not {period}")]
    InvalidPeriod {
        /// The rejected period in seconds.
        period: u32,
    },
    /// The seed is shorter than 128 bits.
    #[error("the TOTP seed is {len} bytes long, but at least {min} bytes are required")]
    SeedTooShort {
        /// Length of the rejected seed in bytes (the length only, never the bytes).
        len: usize,
        /// The minimum length in bytes.
        min: usize,
    },
    /// An algorithm name other than SHA1, SHA256 or SHA512 (in any case, with or without a
    /// hyphen).
    #[error("unknown TOTP algorithm: expected SHA1, SHA256 or SHA512")]
    UnknownAlgorithm,
}

/// The HMAC hash of a token.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Algorithm {
    /// HMAC-SHA-1, the RFC 6238 default and what every authenticator supports.
    #[default]
    #[serde(rename = "SHA1")]
    Sha1,
    /// HMAC-SHA-256.
    #[serde(rename = "SHA256")]
    Sha256,
    /// HMAC-SHA-512.
    #[serde(rename = "SHA512")]
    Sha512,
}

impl Algorithm {
    /// Every algorithm, in wire-code order.
    pub const ALL: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];

    /// The seed length in bytes the handshake derives for this algorithm: the hash output size,
    /// as in the RFC 6238 test vectors (20, 32 or 64).
    pub const fn seed_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The one-byte code that stands for this algorithm in the handshake's byte layouts.
    pub const fn wire_code(self) -> u8 {
        match self {
            Algorithm::Sha1 => 1,
            Algorithm::Sha256 => 2,
            Algorithm::Sha512 => 3,
        }
    }

    /// The algorithm a handshake wire code stands for, or `None` for an unknown code.
    pub const fn from_wire_code(code: u8) -> Option<Algorithm> {
        match code {
            1 => Some(Algorithm::Sha1),
            2 => Some(Algorithm::Sha256),
            3 => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    /// The canonical name, as serialised: `"SHA1"`, `"SHA256"` or `"SHA512"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    pub(crate) fn ring_algorithm(self) -> hmac::Algorithm {
        match self {
            // SHA-1's collision weakness does not carry over to HMAC (RFC 4226 Appendix B.2);
            // ring only names it "legacy" to steer new designs away.
            Algorithm::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Algorithm::Sha256 => hmac::HMAC_SHA256,
            Algorithm::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = TotpError;

    /// Accepts the names in any case, with or without a hyphen (`"sha1"`, `"SHA-256"`), because
    /// otpauth URIs and configuration files spell them both ways.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (sha, bits) = s.split_at_checked(3).ok_or(TotpError::UnknownAlgorithm)?;
        if !sha.eq_ignore_ascii_case("SHA") {
            return Err(TotpError::UnknownAlgorithm);
        }
        match bits.strip_prefix('-').unwrap_or(bits) {
            "1" => Ok(Algorithm::Sha1),
            "256" => Ok(Algorithm::Sha256),
            "512" => Ok(Algorithm::Sha512),
            _ => Err(TotpError::UnknownAlgorithm),
        }
    }
}

/// How a token's codes are made: algorithm, digit count and period.
///
/// Only valid combinations exist: [`TokenParams::new`] and deserialisation both reject digit
/// counts outside 6..=10 and periods outside 1..=300 seconds. Serialised as
/// `{"algorithm":"SHA1","digits":8,"period":30}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawTokenParams")]
pub struct TokenParams {
    algorithm: Algorithm,
    digits: u8,
    // Non-zero by type, so `t / period` needs no check and cannot panic. serde writes it as a
    // plain number.
    period: NonZeroU32,
}

/// The unvalidated wire form of [`TokenParams`], so deserialisation goes through
/// [`TokenParams::new`] and cannot produce an invalid value.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTokenParams {
    algorithm: Algorithm,
    digits: u8,
    period: u32,
}

impl TryFrom<RawTokenParams> for TokenParams {
    type Error = TotpError;

    fn try_from(raw: RawTokenParams) -> Result<Self, Self::Error> {
        TokenParams::new(raw.algorithm, raw.digits, raw.period)
    }
}

impl TokenParams {
    /// Validated parameters: `digits` in 6..=10, `period` in 1..=300 seconds.
    pub fn new(algorithm: Algorithm, digits: u8, period: u32) -> Result<Self, TotpError> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            return Err(TotpError::InvalidDigits { digits });
        }
        if !(MIN_PERIOD..=MAX_PERIOD).contains(&period) {
            return Err(TotpError::InvalidPeriod { period });
        }
        let period = NonZeroU32::new(period).ok_or(TotpError::InvalidPeriod { period })?;
        Ok(Self {
            algorithm,
            digits,
            period,
        })
    }

    /// The HMAC hash.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Digits per code, 6..=10.
    pub const fn digits(&self) -> u8 {
        self.digits
    }

    /// Seconds per step, 1..=300.
    pub const fn period(&self) -> u32 {
        self.period.get()
    }

    /// The period as a divisor that cannot be zero, so step arithmetic is total.
    fn period_divisor(&self) -> NonZeroU64 {
        NonZeroU64::from(self.period)
    }
}

impl Default for TokenParams {
    /// SHA-1, 8 digits, 30 seconds.
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Sha1,
            digits: DEFAULT_DIGITS,
            period: DEFAULT_PERIOD_NZ,
        }
    }
}

/// One code: exactly `digits` ASCII digits, zero-padded on the left.
///
/// `Display` and [`Code::as_str`] give the digits (showing them is the app's job); `Debug` only
/// says how many there are, so codes do not end up in logs. Equality is constant-time and the
/// buffer is wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Code {
    // Bytes past `len` stay 0, so two codes of equal length compare equal exactly when their
    // whole buffers do, and the comparison needs no secret-dependent slicing.
    digits: [u8; CODE_CAPACITY],
    len: u8,
}

impl Code {
    /// The code as ASCII digits, e.g. `"07081804"`.
    pub fn as_str(&self) -> &str {
        let digits = self.digits.get(..usize::from(self.len)).unwrap_or(&[]);
        // Only ASCII digits are ever stored, so this never falls back.
        std::str::from_utf8(digits).unwrap_or("")
    }

    /// Number of digits: 6..=10 for TOTP, 4..=10 for OCRA.
    pub const fn digits(&self) -> u8 {
        self.len
    }

    /// Renders the low `len` decimal digits of `value`, zero-padded.
    fn from_value(mut value: u64, len: u8) -> Self {
        let mut digits = [0u8; CODE_CAPACITY];
        if let Some(used) = digits.get_mut(..usize::from(len)) {
            for slot in used.iter_mut().rev() {
                // `value % 10` < 10, so the cast and the addition stay within ASCII digits.
                *slot = b'0'.saturating_add((value % 10) as u8);
                value /= 10;
            }
        }
        Self { digits, len }
    }

    /// Parses what a user submitted: `None` unless it is exactly `len` ASCII digits.
    pub(crate) fn parse(ascii_digits: &str, len: u8) -> Option<Self> {
        let bytes = ascii_digits.as_bytes();
        // Length and character class describe the input, not the secret, so rejecting early
        // here leaks nothing about the expected code.
        if bytes.len() != usize::from(len) || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut digits = [0u8; CODE_CAPACITY];
        digits.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Self { digits, len })
    }
}

impl ConstantTimeEq for Code {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.len.ct_eq(&other.len) & self.digits.as_slice().ct_eq(other.digits.as_slice())
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Code {}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code(<{} digits>)", self.len)
    }
}

/// Where an instant falls in the step sequence, for the app's countdown ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CodeWindow {
    /// The step counter `T` (Unix seconds / period).
    pub step: u64,
    /// First Unix second of this step: `step * period`.
    pub valid_from_secs: u64,
    /// Milliseconds until the next step begins, in `1..=period * 1000`.
    pub remaining_ms: u64,
}

/// A token ready to make and check codes: parameters plus the prepared HMAC key.
///
/// `Debug` prints the parameters only. The key material is wiped when the value is dropped.
pub struct Totp {
    params: TokenParams,
    mac: Mac,
}

/// The HMAC engine behind a [`Totp`] (the module documentation says why there are two).
enum Mac {
    /// SHA-1 with a 20-byte seed. Built with a 1-second step so `sign(step)` is the HMAC of the
    /// step counter itself; its `digits` are unused because truncation is done here.
    TotpRs(totp_rs::Totp),
    /// Every other algorithm and seed length.
    Ring(RingKey),
}

/// A prepared ring key, overwritten on drop.
///
/// ring keeps the hash states after absorbing key^ipad and key^opad: not the seed, but
/// equivalent to it (they compute every code), and ring neither zeroizes them nor exposes their
/// bytes.
struct RingKey(hmac::Key);

impl Drop for RingKey {
    fn drop(&mut self) {
        // `unsafe` is forbidden here, so overwrite the key in place with the key of a public
        // (empty) seed, which replaces both secret hash states. The `black_box` read keeps the
        // optimiser from removing the store as dead before the memory is freed. Best effort,
        // like every wipe in Rust: copies left behind by earlier moves are out of reach.
        self.0 = hmac::Key::new(self.0.algorithm(), &[]);
        std::hint::black_box(&self.0);
    }
}

/// Seed length totp-rs can hold when built without its `alloc` feature.
const TOTP_RS_SEED_LEN: usize = 20;

impl Totp {
    /// Prepares a token from its parameters and seed (at least 16 bytes; the handshake derives
    /// [`Algorithm::seed_len`] bytes). Only key material derived from the seed is kept; the
    /// caller's buffer is not referenced afterwards.
    pub fn new(params: TokenParams, seed: &[u8]) -> Result<Self, TotpError> {
        Self::with_engine(params, seed, true)
    }

    /// [`Totp::new`], with the option to force the ring engine so tests can compare the two.
    fn with_engine(
        params: TokenParams,
        seed: &[u8],
        allow_totp_rs: bool,
    ) -> Result<Self, TotpError> {
        if seed.len() < MIN_SEED_LEN {
            return Err(TotpError::SeedTooShort {
                len: seed.len(),
                min: MIN_SEED_LEN,
            });
        }
        let stack_seed = <[u8; TOTP_RS_SEED_LEN]>::try_from(seed)
            .ok()
            .map(Zeroizing::new);
        let mac = match stack_seed {
            Some(stack_seed) if allow_totp_rs && params.algorithm == Algorithm::Sha1 => {
                // build_noncompliant cannot fail; our own checks above and in TokenParams are
                // the validation (totp-rs's `build` would also reject 9 and 10 digits).
                Mac::TotpRs(
                    totp_rs::Builder::new()
                        .with_algorithm(totp_rs::Algorithm::SHA1)
                        .with_step_duration(1)
                        .with_secret(totp_rs::Secret::new_stack(*stack_seed))
                        .build_noncompliant(),
                )
            }
            _ => Mac::Ring(RingKey(hmac::Key::new(
                params.algorithm.ring_algorithm(),
                seed,
            ))),
        };
        Ok(Self { params, mac })
    }

    /// The parameters this token was built with.
    pub const fn params(&self) -> TokenParams {
        self.params
    }

    /// The step counter at a Unix time: `unix_secs / period`. Callers clamp times before 1970
    /// to 0.
    pub fn step_at(&self, unix_secs: u64) -> u64 {
        unix_secs / self.params.period_divisor()
    }

    /// The code shown at a Unix time.
    pub fn code_at(&self, unix_secs: u64) -> Code {
        self.code_for_step(self.step_at(unix_secs))
    }

    /// The code of a step counter (RFC 4226 HOTP with the step as the counter).
    pub fn code_for_step(&self, step: u64) -> Code {
        let digits = self.params.digits;
        let value = match &self.mac {
            Mac::TotpRs(totp) => truncate(totp.sign(step).as_ref(), digits),
            Mac::Ring(RingKey(key)) => {
                truncate(hmac::sign(key, &step.to_be_bytes()).as_ref(), digits)
            }
        };
        Code::from_value(value, digits)
    }

    /// The step and countdown at a Unix time in milliseconds, for the app's progress ring.
    pub fn window_at_ms(&self, unix_ms: u64) -> CodeWindow {
        let period_secs = self.params.period_divisor();
        // At most 300 * 1000, so the multiplication never saturates in practice; saturating
        // keeps it panic-free by construction, and the result stays non-zero.
        let period_ms = period_secs.saturating_mul(MS_PER_SEC);
        // floor(floor(ms / 1000) / period) == floor(ms / (1000 * period)), so this is the same
        // step `step_at` gives for the whole second.
        let step = unix_ms / period_ms;
        let into_step_ms = unix_ms % period_ms;
        CodeWindow {
            step,
            valid_from_secs: step.saturating_mul(period_secs.get()),
            remaining_ms: period_ms.get().saturating_sub(into_step_ms),
        }
    }

    /// Checks a submitted code against the steps `step_at(unix_secs) - window ..= + window`
    /// (clamped to `0..=u64::MAX`) and returns the step it matched.
    ///
    /// Every candidate step is computed and compared in constant time, with no early exit, so
    /// the time taken does not reveal whether or where the code matched. If two steps in the
    /// window happen to share the code, the later step is returned.
    ///
    /// `None` for a wrong code, a code of the wrong length, or anything other than ASCII digits
    /// (normalise user input, e.g. full-width digits, before calling).
    ///
    /// The caller must reject replays: accept a returned step only if it is greater than the
    /// last step accepted for this token, then record it (RFC 6238 §5.2). Cost grows with the
    /// window (`2 * window + 1` HMACs); RFC 6238 §5.2 recommends a window of 1.
    pub fn verify(&self, otp_ascii_digits: &str, unix_secs: u64, window: u32) -> Option<u64> {
        let submitted = Code::parse(otp_ascii_digits, self.params.digits)?;
        let now = self.step_at(unix_secs);
        let first = now.saturating_sub(u64::from(window));
        let last = now.saturating_add(u64::from(window));

        let mut found = Choice::from(0);
        let mut matched = 0u64;
        // An inclusive range, so a window ending at u64::MAX neither overflows nor loops forever.
        for step in first..=last {
            let hit = self.code_for_step(step).ct_eq(&submitted);
            matched.conditional_assign(&step, hit);
            found |= hit;
        }
        bool::from(found).then_some(matched)
    }
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// The code an HMAC output truncates to (RFC 4226 §5.3), for OCRA (RFC 6287), which truncates
/// as HOTP does.
pub(crate) fn truncated_code(mac: &[u8], digits: u8) -> Code {
    Code::from_value(truncate(mac, digits), digits)
}

/// RFC 4226 §5.3 dynamic truncation, reduced to `digits` decimal digits.
///
/// The low nibble of the last HMAC byte picks four bytes; their big-endian value without the
/// top bit (31 bits) is taken modulo 10^digits in u64, which also covers 10 digits, where the
/// value (< 2^31 < 10^10) is the code itself.
fn truncate(mac: &[u8], digits: u8) -> u64 {
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    // HMAC outputs are at least 20 bytes and offset + 4 <= 19, so the window always exists;
    // the fallback only keeps this total for a hypothetical shorter input.
    let window: [u8; 4] = mac
        .get(offset..offset.saturating_add(4))
        .and_then(|bytes| bytes.try_into().ok())
        .unwrap_or([0; 4]);
    let value = u64::from(u32::from_be_bytes(window) & 0x7fff_ffff);
    // Digit counts are 6..=10 by construction; a modulus of u64::MAX would leave the 31-bit value
    // whole, which is what 10 digits does anyway.
    let modulus = POW10.get(usize::from(digits)).copied().unwrap_or(u64::MAX);
    value % modulus
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SEED_SHA1: &[u8] = b"12345678901234567890";

    fn totp(algorithm: Algorithm, digits: u8, period: u32, seed: &[u8]) -> Totp {
        Totp::new(TokenParams::new(algorithm, digits, period).unwrap(), seed).unwrap()
    }

    /// RFC 4226 §5.4: the worked truncation example.
    #[test]
    fn truncation_matches_rfc4226_example() {
        let mac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(truncate(&mac, 6), 872_921);
        assert_eq!(truncate(&mac, 10), 0x50ef_7f19);
    }

    /// RFC 4226 Appendix D: the 31-bit values are the 10-digit codes, zero-padded.
    #[test]
    fn rfc4226_appendix_d_hotp_values_as_10_and_6_digits() {
        let expected: [(u64, &str, &str); 10] = [
            (0, "1284755224", "755224"),
            (1, "1094287082", "287082"),
            (2, "0137359152", "359152"),
            (3, "1726969429", "969429"),
            (4, "1640338314", "338314"),
            (5, "0868254676", "254676"),
            (6, "1918287922", "287922"),
            (7, "0082162583", "162583"),
            (8, "0673399871", "399871"),
            (9, "0645520489", "520489"),
        ];
        let ten = totp(Algorithm::Sha1, 10, 30, RFC_SEED_SHA1);
        let six = totp(Algorithm::Sha1, 6, 30, RFC_SEED_SHA1);
        for (counter, code10, code6) in expected {
            assert_eq!(
                ten.code_for_step(counter).as_str(),
                code10,
                "counter {counter}"
            );
            assert_eq!(
                six.code_for_step(counter).as_str(),
                code6,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn code_zero_pads_and_parses() {
        let code = Code::from_value(42, 8);
        assert_eq!(code.as_str(), "00000042");
        assert_eq!(code.digits(), 8);
        assert_eq!(Code::parse("00000042", 8), Some(code.clone()));
        assert_eq!(Code::parse("0000042", 8), None);
        assert_eq!(Code::parse("+0000042", 8), None);
        assert_eq!(Code::parse("0000004２", 8), None);
        assert_ne!(Code::from_value(42, 8), Code::from_value(42, 9));
    }

    #[test]
    fn debug_output_hides_codes_and_keys() {
        let t = totp(Algorithm::Sha1, 8, 30, RFC_SEED_SHA1);
        let code = t.code_at(59);
        assert_eq!(code.to_string(), "94287082");
        assert_eq!(format!("{code:?}"), "Code(<8 digits>)");
        let shown = format!("{t:?}");
        assert!(shown.starts_with("Totp { params: TokenParams {"), "{shown}");
        assert!(!shown.contains("1234"), "{shown}");
        assert!(!shown.contains("94287082"), "{shown}");
    }

    #[test]
    fn algorithm_names_and_codes() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
            assert_eq!(alg.to_string(), alg.as_str());
            assert_eq!(Algorithm::from_wire_code(alg.wire_code()), Some(alg));
        }
        assert_eq!("sha-256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert_eq!("Sha512".parse::<Algorithm>(), Ok(Algorithm::Sha512));
        assert_eq!("SHA-1".parse::<Algorithm>(), Ok(Algorithm::Sha1));
        for bad in [
            "", "SHA", "SHA--1", "SHA 1", "MD5", "SHA384", "SHA1 ", "-SHA1",
        ] {
            assert_eq!(
                bad.parse::<Algorithm>(),
                Err(TotpError::UnknownAlgorithm),
                "{bad:?}"
            );
        }
        assert_eq!(Algorithm::from_wire_code(0), None);
        assert_eq!(Algorithm::from_wire_code(4), None);
        assert_eq!(
            Algorithm::ALL.map(Algorithm::seed_len),
            [20, 32, 64],
            "seed lengths are the hash output sizes"
        );
    }

    #[test]
    fn default_params_are_sha1_8_30() {
        let p = TokenParams::default();
        assert_eq!(
            (p.algorithm(), p.digits(), p.period()),
            (Algorithm::Sha1, 8, 30)
        );
        assert_eq!(p, TokenParams::new(Algorithm::Sha1, 8, 30).unwrap());
    }

    /// Same output as totp-rs for every algorithm at 6..=9 digits (20-byte seeds: all the
    /// workspace's totp-rs build can hold).
    #[test]
    fn agrees_with_totp_rs() {
        let seed: [u8; 20] = *b"12345678901234567890";
        for alg in Algorithm::ALL {
            for digits in 6..=9u8 {
                let ours = totp(alg, digits, 30, &seed);
                let theirs = totp_rs::Builder::new()
                    .with_algorithm(match alg {
                        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
                        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
                        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
                    })
                    .with_digits(digits)
                    .with_step_duration(30)
                    .with_secret(seed)
                    .build_noncompliant();
                for t in [
                    0,
                    59,
                    1_111_111_109,
                    2_000_000_000,
                    20_000_000_000,
                    u64::MAX,
                ] {
                    assert_eq!(
                        ours.code_at(t).as_str(),
                        theirs.generate(t).to_string(),
                        "{alg} {digits} digits at {t}"
                    );
                }
            }
        }
    }

    #[test]
    fn verify_returns_latest_step_and_rejects_garbage() {
        let t = totp(Algorithm::Sha1, 8, 30, RFC_SEED_SHA1);
        let now = 1_234_567_890;
        let code = t.code_at(now);
        assert_eq!(t.verify(code.as_str(), now, 1), Some(t.step_at(now)));
        assert_eq!(t.verify("", now, 1), None);
        assert_eq!(t.verify("1234567", now, 1), None);
        assert_eq!(t.verify("123456789", now, 1), None);
        assert_eq!(t.verify("1234567a", now, 1), None);
    }

    #[test]
    fn window_at_ms_edges() {
        let t = totp(Algorithm::Sha1, 8, 30, RFC_SEED_SHA1);
        assert_eq!(
            t.window_at_ms(0),
            CodeWindow {
                step: 0,
                valid_from_secs: 0,
                remaining_ms: 30_000
            }
        );
        assert_eq!(
            t.window_at_ms(29_999),
            CodeWindow {
                step: 0,
                valid_from_secs: 0,
                remaining_ms: 1
            }
        );
        assert_eq!(
            t.window_at_ms(30_000),
            CodeWindow {
                step: 1,
                valid_from_secs: 30,
                remaining_ms: 30_000
            }
        );
        let end = t.window_at_ms(u64::MAX);
        assert_eq!(end.step, u64::MAX / 30_000);
        assert!((1..=30_000).contains(&end.remaining_ms));
    }

    #[test]
    fn engine_choice() {
        let uses_totp_rs = |alg: Algorithm, len: usize| {
            matches!(totp(alg, 8, 30, &vec![7u8; len]).mac, Mac::TotpRs(_))
        };
        assert!(uses_totp_rs(Algorithm::Sha1, 20));
        assert!(!uses_totp_rs(Algorithm::Sha1, 16));
        assert!(!uses_totp_rs(Algorithm::Sha1, 32));
        assert!(!uses_totp_rs(Algorithm::Sha256, 20));
        assert!(!uses_totp_rs(Algorithm::Sha256, 32));
        assert!(!uses_totp_rs(Algorithm::Sha512, 64));
    }

    /// The two engines give the same codes where both apply (SHA-1, 20-byte seed).
    #[test]
    fn engines_agree() {
        let mut seed = [0u8; 20];
        for round in 0..64u64 {
            for (i, byte) in seed.iter_mut().enumerate() {
                *byte = (round as u8)
                    .wrapping_mul(31)
                    .wrapping_add(i as u8)
                    .wrapping_mul(97);
            }
            for digits in MIN_DIGITS..=MAX_DIGITS {
                let params = TokenParams::new(Algorithm::Sha1, digits, 30).unwrap();
                let fast = Totp::with_engine(params, &seed, true).unwrap();
                let ring = Totp::with_engine(params, &seed, false).unwrap();
                assert!(matches!(fast.mac, Mac::TotpRs(_)));
                assert!(matches!(ring.mac, Mac::Ring(_)));
                let step = round.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                assert_eq!(fast.code_for_step(step), ring.code_for_step(step));
            }
        }
    }

    #[test]
    fn totp_and_code_are_send_and_sync() {
        // The app shares one Totp across threads (FFI objects must be Send + Sync).
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Totp>();
        assert_send_sync::<Code>();
        assert_send_sync::<TokenParams>();
    }

    #[test]
    fn drop_does_not_panic() {
        for alg in Algorithm::ALL {
            drop(totp(alg, 8, 30, &vec![7u8; alg.seed_len()]));
            drop(totp(alg, 8, 30, &[7u8; 16]));
        }
    }
}
