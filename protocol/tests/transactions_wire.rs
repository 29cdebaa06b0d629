//! The JSON messages of transaction authentication (docs/protocol.md 9.5, 9.6): the spec's
//! examples parse, bank input is canonicalised, provider replies must be canonical, and the app
//! shows nothing of a list whose MAC does not verify.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use softtoken_protocol::{
    ids::{ServiceId, UserId},
    secret::Seed,
    totp::Algorithm,
    transaction::{
        Decision, Transaction, TransactionError, TransactionField, TransactionId, TransactionKeys,
        TransactionState,
    },
    wire::{
        self, ChallengeVerifyRequest, DecisionRequest, ErrorBody, ErrorCode, ListReplyError,
        MAX_DEVICE_REQUEST_BYTES, MAX_RESPONSE_BYTES, PendingTransaction,
        RegisterTransactionRequest, TokenState, TransactionDetails, TransactionListResponse,
        TransactionRecord, TransactionVerifyResponse, TransactionVerifyResult,
    },
};

fn ids() -> (ServiceId, UserId) {
    (
        ServiceId::parse("10121234").unwrap(),
        UserId::parse("12345678901234CI").unwrap(),
    )
}

fn keys(seed: u8) -> TransactionKeys {
    let (s, u) = ids();
    TransactionKeys::derive(&Seed::from_slice(&[seed; 20]), Algorithm::Sha1, &s, &u)
}

const REGISTER: &str = r#"{"payee":{"bank_code":"0001","branch_code":"101","account_type":"ordinary",
  "account_number":"1234567","name":"ﾔﾏﾀﾞ ﾀﾛｳ"},
  "amount":{"value":123456,"currency":"JPY"},"reference":"3月分家賃","lifetime_s":300}"#;

fn registered() -> Transaction {
    let request: RegisterTransactionRequest = wire::decode(REGISTER.as_bytes(), 16 * 1024).unwrap();
    let (s, u) = ids();
    request.validate().unwrap().into_transaction(
        TransactionId::parse("AAECAwQFBgcICQoLDA0ODw").unwrap(),
        s,
        u,
        1_795_000_000_000,
    )
}

#[test]
fn registration_canonicalises_the_name_and_applies_the_lifetime() {
    let t = registered();
    assert_eq!(t.payee.name.as_str(), "ヤマダ タロウ");
    assert_eq!(t.expires_at_ms, 1_795_000_300_000);
    let without_lifetime = REGISTER.replace(r#","lifetime_s":300"#, "");
    let request: RegisterTransactionRequest =
        wire::decode(without_lifetime.as_bytes(), 16 * 1024).unwrap();
    assert_eq!(request.validate().unwrap().lifetime_s, 300);
}

#[test]
fn registration_errors_name_the_field() {
    let cases = [
        (
            REGISTER.replace("JPY", "USD"),
            TransactionError::UnsupportedCurrency,
        ),
        (
            REGISTER.replace(r#""lifetime_s":300"#, r#""lifetime_s":901"#),
            TransactionError::OutOfRange {
                field: TransactionField::Lifetime,
                min: 60,
                max: 900,
            },
        ),
        (
            REGISTER.replace("ﾔﾏﾀﾞ ﾀﾛｳ", "山田太郎"),
            TransactionError::InvalidCharacter {
                field: TransactionField::Name,
                position: 1,
            },
        ),
        (
            REGISTER.replace(r#""value":123456"#, r#""value":0"#),
            TransactionError::OutOfRange {
                field: TransactionField::Amount,
                min: 1,
                max: 9_999_999_999,
            },
        ),
        (
            REGISTER.replace("\"0001\"", "\"001\""),
            TransactionError::WrongLength {
                field: TransactionField::BankCode,
                expected: 4,
                found: 3,
            },
        ),
    ];
    for (body, expected) in cases {
        let request: RegisterTransactionRequest = wire::decode(body.as_bytes(), 16 * 1024).unwrap();
        assert_eq!(request.validate().unwrap_err(), expected);
    }
    let unknown_type = REGISTER.replace("ordinary", "current");
    assert!(
        wire::decode::<RegisterTransactionRequest>(unknown_type.as_bytes(), 16 * 1024).is_err()
    );
}

#[test]
fn the_list_reply_of_the_spec_verifies_and_round_trips() {
    let k = keys(1);
    let nonce = [5u8; 16];
    let t = registered();
    let reply = TransactionListResponse::new(
        &k,
        &nonce,
        TokenState::Active,
        1_795_000_000_123,
        std::slice::from_ref(&t),
    );
    let bytes = wire::encode(&reply);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains(r#""name":"ヤマダ タロウ""#), "{text}");
    assert!(text.contains(r#""amount":{"value":123456,"currency":"JPY"}"#));
    let back: TransactionListResponse = wire::decode(&bytes, MAX_RESPONSE_BYTES).unwrap();
    assert_eq!(back, reply);
    let (s, u) = ids();
    assert_eq!(back.verify(&k, &nonce, s, u).unwrap(), vec![t]);
}

#[test]
fn a_forged_or_altered_list_shows_nothing() {
    let nonce = [5u8; 16];
    let t = registered();
    let (s, u) = ids();
    // A fake provider without the seed: its MAC is under another key.
    let forged = TransactionListResponse::new(
        &keys(2),
        &nonce,
        TokenState::Active,
        1,
        std::slice::from_ref(&t),
    );
    assert_eq!(
        forged.verify(&keys(1), &nonce, s, u).unwrap_err(),
        ListReplyError::BadMac
    );
    // A relay that changes the account number after the provider MACed it.
    let mut altered = TransactionListResponse::new(&keys(1), &nonce, TokenState::Active, 1, &[t]);
    altered.transactions[0].payee.account_number = "7654321".into();
    assert_eq!(
        altered.verify(&keys(1), &nonce, s, u).unwrap_err(),
        ListReplyError::BadMac
    );
    // A name in half-width kana is not what the provider would have sent: malformed.
    altered.transactions[0].payee.account_number = "1234567".into();
    altered.transactions[0].payee.name = "ﾔﾏﾀﾞ ﾀﾛｳ".into();
    assert_eq!(
        altered.verify(&keys(1), &nonce, s, u).unwrap_err(),
        ListReplyError::Malformed(TransactionError::NotCanonical {
            field: TransactionField::Name
        })
    );
    // A reply for another nonce (a replayed reply) does not verify either.
    let replayed = TransactionListResponse::new(&keys(1), &[6u8; 16], TokenState::Active, 1, &[]);
    assert_eq!(
        replayed.verify(&keys(1), &nonce, s, u).unwrap_err(),
        ListReplyError::BadMac
    );
}

#[test]
fn provider_replies_must_be_canonical() {
    let t = registered();
    let (s, u) = ids();
    let canonical = PendingTransaction::from(&t);
    assert_eq!(canonical.to_transaction(s, u).unwrap(), t);
    for (edit, field) in [
        (
            (|p: &mut PendingTransaction| p.payee.bank_code = "０００１".into())
                as fn(&mut PendingTransaction),
            TransactionField::BankCode,
        ),
        (
            |p| p.payee.account_number = "123-4567".into(),
            TransactionField::AccountNumber,
        ),
        (
            |p| p.payee.name = " ヤマダ タロウ".into(),
            TransactionField::Name,
        ),
        (
            |p| p.reference = Some("３月分家賃".into()),
            TransactionField::Reference,
        ),
        (
            |p| p.reference = Some(String::new()),
            TransactionField::Reference,
        ),
    ] {
        let mut p = canonical.clone();
        edit(&mut p);
        assert_eq!(
            p.to_transaction(s, u).unwrap_err(),
            TransactionError::NotCanonical { field }
        );
    }
}

#[test]
fn details_decision_and_verify_bodies_round_trip() {
    let t = registered();
    let record = TransactionRecord {
        state: TransactionState::Approved,
        created_at_ms: 1_795_000_000_000,
        decided_at_ms: Some(1_795_000_042_000),
        attempts_left: 3,
    };
    let details = TransactionDetails::new(&t, record, 1_795_000_050_000);
    let back: TransactionDetails =
        wire::decode(&wire::encode(&details), MAX_RESPONSE_BYTES).unwrap();
    assert_eq!(back, details);
    assert_eq!(back.to_transaction().unwrap(), t);

    let k = keys(1);
    let decision = DecisionRequest {
        v: wire::V1,
        service_id: t.service_id,
        user_id: t.user_id,
        transaction_id: t.id,
        decision: Decision::Reject,
        mac: k
            .decision_mac(Decision::Reject, &t.digest())
            .to_vec()
            .into(),
    };
    let text = String::from_utf8(wire::encode(&decision)).unwrap();
    assert!(text.contains(r#""decision":"reject""#));
    let back: DecisionRequest = wire::decode(text.as_bytes(), MAX_DEVICE_REQUEST_BYTES).unwrap();
    assert!(k.verify_decision(back.decision, &t.digest(), back.mac.as_slice()));

    let verify = TransactionVerifyResponse {
        result: TransactionVerifyResult::Decided,
        state: TransactionState::Approved,
        attempts_left: 3,
        failures_left: 5,
        server_time_ms: 1,
    };
    assert_eq!(
        String::from_utf8(wire::encode(&verify)).unwrap(),
        r#"{"result":"decided","state":"approved","attempts_left":3,"failures_left":5,"server_time_ms":1}"#
    );
}

#[test]
fn challenge_request_normalises_and_redacts() {
    let request: ChallengeVerifyRequest = serde_json::from_str(
        r#"{"account_number":"１２３４５６７","amount":5000,"otp":"1234 5678"}"#,
    )
    .unwrap();
    let challenge = request.challenge().unwrap();
    assert_eq!(challenge.challenge(), "50001234567");
    assert!(!format!("{request:?}").contains("1234 5678"));
    let bad: ChallengeVerifyRequest =
        serde_json::from_str(r#"{"account_number":"12345","otp":"1"}"#).unwrap();
    assert!(matches!(
        bad.challenge().unwrap_err(),
        TransactionError::WrongLength {
            field: TransactionField::AccountNumber,
            ..
        }
    ));
}

#[test]
fn new_error_codes_have_their_wire_names() {
    for (code, name) in [
        (ErrorCode::ProofDenied, "proof_denied"),
        (ErrorCode::TokenLocked, "token_locked"),
        (ErrorCode::TransactionExpired, "transaction_expired"),
        (ErrorCode::TransactionDecided, "transaction_decided"),
        (ErrorCode::UnsupportedCurrency, "unsupported_currency"),
        (ErrorCode::TokenNotActive, "token_not_active"),
        (ErrorCode::TooManyPending, "too_many_pending"),
    ] {
        assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{name}\""));
    }
    let body = ErrorBody {
        error: ErrorCode::TransactionDecided,
        message: "already decided".into(),
        attempts_left: None,
        retry_after_s: None,
        state: Some("rejected".into()),
        server_time_ms: 1,
    };
    assert_eq!(
        String::from_utf8(wire::encode(&body)).unwrap(),
        r#"{"error":"transaction_decided","message":"already decided","state":"rejected","server_time_ms":1}"#
    );
}
