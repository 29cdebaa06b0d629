//! The codes of both modes (9.3): OCRA with the token's hash, 8 digits, a 1-minute step. The
//! online code's challenge is the transaction digest in hex, so any change to the payee or the
//! amount changes the code; the offline code's is what the user typed.

use super::{DIGEST_LEN, OfflineChallenge, Transaction, TransactionKeys};
use crate::{
    ocra::{self, OcraInput, OcraSuite, Question},
    totp::{Code, truncated_code},
};

/// Digits of every transaction code, whatever the token's TOTP digits.
pub const CODE_DIGITS: u8 = 8;
/// The OCRA time step (`T1M`), in seconds.
pub const CODE_STEP_SECS: u64 = 60;
/// The verification window of 9.3: one step either side.
pub const VERIFY_WINDOW: u32 = 1;

impl TransactionKeys {
    /// The input of `question` at `unix_secs`.
    fn input<'a>(question: Question<'a>, unix_secs: u64) -> OcraInput<'a> {
        OcraInput {
            counter: None,
            question,
            password_hash: None,
            session: None,
            unix_secs: Some(unix_secs),
        }
    }

    /// The code of `suite` for `question` at `unix_secs`; `None` only if the suite did not
    /// parse (it always does: tested for every algorithm).
    fn ocra_at(
        &self,
        suite: Option<&OcraSuite>,
        question: Question<'_>,
        unix_secs: u64,
    ) -> Option<Code> {
        ocra::generate_with(suite?, &self.ocra_key, &Self::input(question, unix_secs)).ok()
    }

    /// Checks `otp` against the steps around `unix_secs` in constant time (`ocra::verify`
    /// computes every step of the window) and returns the matched step.
    fn verify_steps(
        &self,
        suite: Option<&OcraSuite>,
        question: Question<'_>,
        otp_ascii_digits: &str,
        unix_secs: u64,
        window: u32,
    ) -> Option<u64> {
        ocra::verify(
            suite?,
            &self.ocra_key,
            &Self::input(question, unix_secs),
            otp_ascii_digits,
            window,
        )
        .ok()
        .flatten()
    }

    /// The fallback if a suite did not parse: unreachable (tests parse every suite), and a code
    /// no verification accepts, since verification never falls back.
    fn unreachable_code() -> Code {
        truncated_code(&[], CODE_DIGITS)
    }

    /// The online transaction code the app shows at `unix_secs`.
    pub fn online_code(&self, transaction: &Transaction, unix_secs: u64) -> Code {
        self.online_code_for_digest(&transaction.digest(), unix_secs)
    }

    /// [`online_code`](Self::online_code) for a digest already computed (the app has it from
    /// checking the list MAC): a screen that refreshes the code every step then pays one OCRA
    /// per step, not the canonical bytes and SHA-256 again.
    pub fn online_code_for_digest(&self, digest: &[u8; DIGEST_LEN], unix_secs: u64) -> Code {
        self.ocra_at(
            self.suites.online.as_ref(),
            Question::HexBytes(digest),
            unix_secs,
        )
        .unwrap_or_else(Self::unreachable_code)
    }

    /// Checks a typed online code (8 ASCII digits: normalise user input first) against the
    /// steps `now − window ..= now + window`; returns the matched step. The provider needs only
    /// whether it matched (a transaction is single-use, so replay is its state, not the step),
    /// but the step is there for its audit and for symmetry with TOTP and offline codes.
    pub fn verify_online(
        &self,
        transaction: &Transaction,
        otp_ascii_digits: &str,
        unix_secs: u64,
        window: u32,
    ) -> Option<u64> {
        let digest = transaction.digest();
        self.verify_steps(
            self.suites.online.as_ref(),
            Question::HexBytes(&digest),
            otp_ascii_digits,
            unix_secs,
            window,
        )
    }

    fn offline_suite(&self, challenge: &OfflineChallenge) -> Option<&OcraSuite> {
        match challenge.amount {
            Some(_) => self.suites.account_and_amount.as_ref(),
            None => self.suites.account.as_ref(),
        }
    }

    /// The offline code for what the user typed, at `unix_secs`.
    pub fn offline_code(&self, challenge: &OfflineChallenge, unix_secs: u64) -> Code {
        let question = challenge.challenge();
        self.ocra_at(
            self.offline_suite(challenge),
            Question::Numeric(&question),
            unix_secs,
        )
        .unwrap_or_else(Self::unreachable_code)
    }

    /// Checks an offline code; returns the matched step, which the provider records per
    /// challenge to refuse a replay (9.6).
    pub fn verify_offline(
        &self,
        challenge: &OfflineChallenge,
        otp_ascii_digits: &str,
        unix_secs: u64,
        window: u32,
    ) -> Option<u64> {
        let question = challenge.challenge();
        self.verify_steps(
            self.offline_suite(challenge),
            Question::Numeric(&question),
            otp_ascii_digits,
            unix_secs,
            window,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ids::{ServiceId, UserId},
        secret::Seed,
        totp::Algorithm,
        transaction::{AccountNumber, canonical::tests::example},
    };

    const NOW: u64 = 1_795_000_000;

    fn keys(algorithm: Algorithm) -> TransactionKeys {
        TransactionKeys::derive(
            &Seed::from_slice(&[9; 64][..algorithm.seed_len()]),
            algorithm,
            &ServiceId::parse("10121234").unwrap(),
            &UserId::parse("12345678901234CI").unwrap(),
        )
    }

    #[test]
    fn online_codes_verify_within_one_step_and_not_beyond() {
        for algorithm in Algorithm::ALL {
            let k = keys(algorithm);
            let t = example();
            let code = k.online_code(&t, NOW);
            assert_eq!(code.as_str().len(), 8);
            assert_eq!(k.online_code_for_digest(&t.digest(), NOW), code);
            assert_eq!(k.verify_online(&t, code.as_str(), NOW, 1), Some(NOW / 60));
            assert_eq!(
                k.verify_online(&t, code.as_str(), NOW + 60, 1),
                Some(NOW / 60)
            );
            assert_eq!(k.verify_online(&t, code.as_str(), NOW + 120, 1), None);
            assert_eq!(k.verify_online(&t, "1234567", NOW, 1), None);
            assert_eq!(k.verify_online(&t, "１２３４５６７８", NOW, 1), None);
        }
    }

    #[test]
    fn online_code_is_ocra_over_the_digest() {
        let k = keys(Algorithm::Sha256);
        let t = example();
        let suite = OcraSuite::parse("OCRA-1:HOTP-SHA256-8:QH64-T1M").unwrap();
        // The digest as the 64 hex digits of 9.3, through the text form of the question.
        let challenge: String = t.digest().iter().map(|b| format!("{b:02x}")).collect();
        let direct = ocra::generate_with(
            &suite,
            &k.ocra_key,
            &OcraInput {
                counter: None,
                question: Question::Hex(&challenge),
                password_hash: None,
                session: None,
                unix_secs: Some(NOW),
            },
        )
        .unwrap();
        assert_eq!(k.online_code(&t, NOW), direct);
    }

    #[test]
    fn a_changed_account_changes_the_offline_code() {
        let k = keys(Algorithm::Sha1);
        let intended = OfflineChallenge::parse("1234567", Some("50000")).unwrap();
        let code = k.offline_code(&intended, NOW);
        assert_eq!(
            k.verify_offline(&intended, code.as_str(), NOW, VERIFY_WINDOW),
            Some(NOW / 60)
        );
        let relayed = OfflineChallenge {
            account_number: AccountNumber::parse("7654321").unwrap(),
            ..intended
        };
        assert_eq!(
            k.verify_offline(&relayed, code.as_str(), NOW, VERIFY_WINDOW),
            None
        );
        let without_amount = OfflineChallenge {
            amount: None,
            ..intended
        };
        assert_ne!(k.offline_code(&without_amount, NOW), code);
    }
}
