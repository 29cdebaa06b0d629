//! Properties of transaction authentication (issue 13's acceptance): any change to the payee
//! (each field) or the amount changes the digest and the online code; codes are always 8 ASCII
//! digits; wire messages round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use proptest::prelude::*;
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    secret::Seed,
    totp::Algorithm,
    transaction::{
        AccountNumber, AccountType, Amount, BankCode, BranchCode, HolderName, OfflineChallenge,
        Payee, Reference, Transaction, TransactionId, TransactionKeys, TransactionState,
    },
    wire::{
        self, MAX_RESPONSE_BYTES, PendingTransaction, RegisterTransactionRequest,
        TransactionDetails, TransactionRecord, WireAmount, WirePayee,
    },
};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

fn account_type() -> impl Strategy<Value = AccountType> {
    prop::sample::select(AccountType::ALL.to_vec())
}

fn payee() -> impl Strategy<Value = Payee> {
    (
        "[0-9]{4}",
        "[0-9]{3}",
        account_type(),
        "[0-9]{7}",
        "[ァ-ヶー][ァ-ヶーA-Z0-9().,/ -]{0,28}[ァ-ヶ]",
    )
        .prop_map(|(bank, branch, account_type, number, name)| Payee {
            bank_code: BankCode::parse(&bank).unwrap(),
            branch_code: BranchCode::parse(&branch).unwrap(),
            account_type,
            account_number: AccountNumber::parse(&number).unwrap(),
            // Spaces may come in runs: the canonical form collapses them.
            name: HolderName::parse(&name).unwrap(),
        })
}

fn transaction() -> impl Strategy<Value = Transaction> {
    (
        any::<[u8; 16]>(),
        payee(),
        Amount::MIN..=Amount::MAX,
        prop::option::of("[a-zA-Z0-9家賃月分 ]{0,32}"),
        any::<u64>(),
    )
        .prop_map(|(id, payee, yen, reference, expires_at_ms)| Transaction {
            id: TransactionId::from_bytes(id),
            service_id: ServiceId::parse("10121234").unwrap(),
            user_id: UserId::parse("12345678901234CI").unwrap(),
            payee,
            amount: Amount::jpy(yen).unwrap(),
            reference: Reference::parse_optional(reference.as_deref()).unwrap(),
            expires_at_ms,
        })
}

fn keys(seed: &[u8; 64], algorithm: Algorithm) -> TransactionKeys {
    TransactionKeys::derive(
        &Seed::from_slice(&seed[..algorithm.seed_len()]),
        algorithm,
        &ServiceId::parse("10121234").unwrap(),
        &UserId::parse("12345678901234CI").unwrap(),
    )
}

/// The other digit string of the same length: each digit moved by `by` (1..=9) mod 10.
fn shift_digits(digits: &str, at: usize, by: u8) -> String {
    digits
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            if i == at % digits.len() {
                char::from(b'0' + (b - b'0' + by) % 10)
            } else {
                char::from(b)
            }
        })
        .collect()
}

/// One changed field of a payee or the amount.
#[derive(Debug, Clone)]
enum Change {
    Bank(usize, u8),
    Branch(usize, u8),
    AccountType(AccountType),
    Account(usize, u8),
    Name(char),
    Amount(u64),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), 1u8..=9).prop_map(|(at, by)| Change::Bank(at, by)),
        (any::<usize>(), 1u8..=9).prop_map(|(at, by)| Change::Branch(at, by)),
        account_type().prop_map(Change::AccountType),
        (any::<usize>(), 1u8..=9).prop_map(|(at, by)| Change::Account(at, by)),
        prop::char::range('ァ', 'ヶ').prop_map(Change::Name),
        (1u64..=Amount::MAX).prop_map(Change::Amount),
    ]
}

/// Applies a change; `None` when it happens to change nothing (same type or amount drawn).
fn apply(t: &Transaction, change: &Change) -> Option<Transaction> {
    let mut changed = t.clone();
    let p = &mut changed.payee;
    match change {
        Change::Bank(at, by) => {
            p.bank_code = BankCode::parse(&shift_digits(p.bank_code.as_str(), *at, *by)).unwrap()
        }
        Change::Branch(at, by) => {
            p.branch_code =
                BranchCode::parse(&shift_digits(p.branch_code.as_str(), *at, *by)).unwrap()
        }
        Change::AccountType(kind) => p.account_type = *kind,
        Change::Account(at, by) => {
            p.account_number =
                AccountNumber::parse(&shift_digits(p.account_number.as_str(), *at, *by)).unwrap()
        }
        Change::Name(c) => {
            // Replace the last character (always katakana) or append one if that is the same.
            let mut name: String = p.name.as_str().into();
            let last = name.pop().unwrap();
            if last == *c {
                if name.chars().count() + 2 > HolderName::MAX_CHARS {
                    name.pop();
                }
                name.push(last);
            }
            name.push(*c);
            p.name = HolderName::parse(&name).unwrap();
        }
        Change::Amount(yen) => changed.amount = Amount::jpy(*yen).unwrap(),
    }
    (changed != *t).then_some(changed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_change_to_payee_or_amount_changes_digest_and_code(
        t in transaction(),
        change in change(),
        seed in any::<[u8; 64]>(),
        algorithm in algorithm(),
        now in 0u64..=4_000_000_000,
    ) {
        let Some(changed) = apply(&t, &change) else { return Ok(()) };
        prop_assert_ne!(t.digest(), changed.digest());
        let k = keys(&seed, algorithm);
        let code = k.online_code(&t, now);
        prop_assert_ne!(k.online_code(&changed, now), code.clone());
        prop_assert_eq!(k.verify_online(&changed, code.as_str(), now, 1), None);
        prop_assert!(k.verify_online(&t, code.as_str(), now, 1).is_some());
    }

    #[test]
    fn codes_are_always_eight_ascii_digits(
        t in transaction(),
        account in "[0-9]{7}",
        yen in prop::option::of(Amount::MIN..=Amount::MAX),
        seed in any::<[u8; 64]>(),
        algorithm in algorithm(),
        now in any::<u64>(),
    ) {
        let k = keys(&seed, algorithm);
        let online = k.online_code(&t, now);
        let challenge = OfflineChallenge::parse(&account, yen.map(|y| y.to_string()).as_deref()).unwrap();
        let offline = k.offline_code(&challenge, now);
        for code in [online, offline] {
            prop_assert_eq!(code.as_str().len(), 8);
            prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
        prop_assert!(k.verify_offline(&challenge, k.offline_code(&challenge, now).as_str(), now, 1).is_some());
    }

    #[test]
    fn wire_messages_round_trip(t in transaction(), attempts_left in 0u32..=3, now in any::<u64>()) {
        let pending = PendingTransaction::from(&t);
        let back: PendingTransaction = wire::decode(&wire::encode(&pending), MAX_RESPONSE_BYTES).unwrap();
        prop_assert_eq!(back.to_transaction(t.service_id, t.user_id).unwrap(), t.clone());

        let record = TransactionRecord {
            state: TransactionState::Pending,
            created_at_ms: now / 2,
            decided_at_ms: None,
            attempts_left,
        };
        let details = TransactionDetails::new(&t, record, now);
        let back: TransactionDetails = wire::decode(&wire::encode(&details), MAX_RESPONSE_BYTES).unwrap();
        prop_assert_eq!(&back, &details);
        prop_assert_eq!(back.to_transaction().unwrap(), t.clone());

        let register = RegisterTransactionRequest {
            payee: WirePayee::from(&t.payee),
            amount: WireAmount::from(t.amount),
            reference: t.reference.as_ref().map(|r| r.as_str().to_owned()),
            lifetime_s: None,
        };
        let back: RegisterTransactionRequest = wire::decode(&wire::encode(&register), 16 * 1024).unwrap();
        let registration = back.validate().unwrap();
        prop_assert_eq!(registration.payee, t.payee.clone());
        prop_assert_eq!(registration.amount, t.amount);
        prop_assert_eq!(registration.reference, t.reference.clone());
    }

    #[test]
    fn names_are_canonical_fixed_points(name in "[ァ-ヶーA-Z0-9().,/ \u{3000}]{1,40}") {
        if let Ok(canonical) = HolderName::parse(&name) {
            prop_assert_eq!(HolderName::parse(canonical.as_str()).unwrap(), canonical.clone());
            prop_assert!(!canonical.as_str().starts_with(' ') && !canonical.as_str().contains("  "));
        }
    }
}
