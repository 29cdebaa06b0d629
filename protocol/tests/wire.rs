//! Wire messages: round trips, versions, limits, encodings, redaction; status proofs.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use proptest::prelude::*;
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    secret::Seed,
    status::StatusKey,
    totp::TokenParams,
    wire::{
        self, ActivationFinishRequest, ActivationStartRequest, ActivationStartResponse, Bytes,
        DeviceInfo, ErrorBody, ErrorCode, IssueTokenRequest, MAX_DEVICE_REQUEST_BYTES,
        StatusRequest, StatusResponse, TokenState, V1, VerifyRequest, VerifyResponse, VerifyResult,
        WireError,
    },
};

fn start_request() -> ActivationStartRequest {
    ActivationStartRequest {
        v: V1,
        service_id: ServiceId::parse("10121234").unwrap(),
        user_id: UserId::parse("12345678901234CI").unwrap(),
        ke1: Bytes(vec![0xfb; 96]),
    }
}

#[test]
fn start_request_round_trips_with_base64url_and_version() {
    let body = wire::encode(&start_request());
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains(r#""v":1"#), "{text}");
    assert!(text.contains(r#""service_id":"10121234""#), "{text}");
    // 0xfb bytes are "-_" heavy in base64url and never padded.
    assert!(text.contains("-_"), "{text}");
    assert!(!text.contains('='), "{text}");
    let back: ActivationStartRequest = wire::decode(&body, MAX_DEVICE_REQUEST_BYTES).unwrap();
    assert_eq!(back, start_request());
}

#[test]
fn ids_in_json_are_normalised_on_the_way_in() {
    let body =
        r#"{"v":1,"service_id":"１０１２ １２３４","user_id":"12345678901234ci","ke1":"AA"}"#;
    let request: ActivationStartRequest = wire::decode(body.as_bytes(), 4096).unwrap();
    assert_eq!(request.service_id.as_str(), "10121234");
    assert_eq!(request.user_id.as_str(), "12345678901234CI");
}

#[test]
fn another_version_is_refused_by_name() {
    let body = r#"{"v":2,"service_id":"10121234","user_id":"12345678901234CI","ke1":"AA"}"#;
    let err = wire::decode::<ActivationStartRequest>(body.as_bytes(), 4096).unwrap_err();
    assert_eq!(err, WireError::UnsupportedVersion { found: 2 });
    assert!(err.to_string().contains("unsupported protocol version 2"));
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let body = vec![b' '; MAX_DEVICE_REQUEST_BYTES + 1];
    assert_eq!(
        wire::decode::<ActivationStartRequest>(&body, MAX_DEVICE_REQUEST_BYTES).unwrap_err(),
        WireError::TooLarge {
            size: MAX_DEVICE_REQUEST_BYTES + 1,
            limit: MAX_DEVICE_REQUEST_BYTES
        }
    );
}

#[test]
fn bad_fields_are_malformed_and_do_not_echo_values() {
    let cases = [
        // padded base64
        r#"{"v":1,"service_id":"10121234","user_id":"12345678901234CI","ke1":"AA=="}"#,
        // standard alphabet
        r#"{"v":1,"service_id":"10121234","user_id":"12345678901234CI","ke1":"+/+/"}"#,
        // typo in the user id
        r#"{"v":1,"service_id":"10121234","user_id":"12345678901243CI","ke1":"AA"}"#,
        // missing field
        r#"{"v":1,"service_id":"10121234","ke1":"AA"}"#,
        // not JSON
        "SECRET-GARBAGE",
    ];
    for case in cases {
        match wire::decode::<ActivationStartRequest>(case.as_bytes(), 4096) {
            Err(WireError::Malformed { reason }) => {
                assert!(!reason.contains("12345678901243"), "{reason}");
                assert!(!reason.contains("SECRET"), "{reason}");
            }
            other => panic!("{case}: {other:?}"),
        }
    }
    let long_field = format!(
        r#"{{"v":1,"service_id":"10121234","user_id":"12345678901234CI","ke1":"{}"}}"#,
        "A".repeat(2000)
    );
    assert!(matches!(
        wire::decode::<ActivationStartRequest>(long_field.as_bytes(), 4096),
        Err(WireError::Malformed { .. })
    ));
}

#[test]
fn decode_errors_keep_field_names_but_never_values() {
    let body = r#"{"email":"a@b.jp","activation_password":31415926}"#;
    let WireError::Malformed { reason } =
        wire::decode::<IssueTokenRequest>(body.as_bytes(), 4096).unwrap_err()
    else {
        panic!("expected malformed")
    };
    assert!(!reason.contains("31415926"), "{reason}");
    let body = r#"{"email":"a@b.jp","activation_password":"x","label":["Sakura#2026"]}"#;
    let reason = wire::decode::<IssueTokenRequest>(body.as_bytes(), 4096)
        .unwrap_err()
        .to_string();
    assert!(!reason.contains("Sakura"), "{reason}");
    let reason = wire::decode::<IssueTokenRequest>(br#"{"email":"a@b.jp"}"#, 4096)
        .unwrap_err()
        .to_string();
    assert!(reason.contains("`activation_password`"), "{reason}");
}

fn start_response() -> ActivationStartResponse {
    ActivationStartResponse {
        v: V1,
        activation_id: "abc_DEF-123".into(),
        ke2: Bytes(vec![1; 320]),
        token: TokenParams::default(),
        attempts_left: 4,
        activation_expires_at_ms: 1_795_000_300_000,
        server_time_ms: 1_795_000_000_000,
    }
}

#[test]
fn token_params_inside_messages_are_validated() {
    let response = start_response();
    let text = String::from_utf8(wire::encode(&response)).unwrap();
    assert!(
        text.contains(r#""token":{"algorithm":"SHA1","digits":8,"period":30}"#),
        "{text}"
    );
    let back: ActivationStartResponse = wire::decode(text.as_bytes(), 65536).unwrap();
    assert_eq!(back, response);

    let bad_period = text.replace(r#""period":30"#, r#""period":0"#);
    assert!(wire::decode::<ActivationStartResponse>(bad_period.as_bytes(), 65536).is_err());
    let bad_id = text.replace("abc_DEF-123", "../../etc");
    assert!(wire::decode::<ActivationStartResponse>(bad_id.as_bytes(), 65536).is_err());
}

#[test]
fn start_reply_names_the_activation_deadline_apart_from_the_tokens() {
    // docs/protocol.md §6.2: the start reply carries the activation id's 5-minute deadline as
    // `activation_expires_at_ms`; `expires_at_ms` is the token's set-up deadline (bank API).
    let text = String::from_utf8(wire::encode(&start_response())).unwrap();
    assert!(
        text.contains(r#""activation_expires_at_ms":1795000300000"#),
        "{text}"
    );
    assert!(!text.contains(r#""expires_at_ms""#), "{text}");
    let old_name = text.replace("activation_expires_at_ms", "expires_at_ms");
    let err = wire::decode::<ActivationStartResponse>(old_name.as_bytes(), 65536).unwrap_err();
    assert!(
        err.to_string().contains("`activation_expires_at_ms`"),
        "{err}"
    );
}

#[test]
fn replies_ignore_unknown_fields_except_inside_token() {
    // docs/protocol.md §6.1: an app ignores fields it does not know, so a provider may add
    // fields within version 1; token parameters are bound into the handshake and admit none.
    let reply = r#"{"v":1,"activation_id":"a","ke2":"AQ","token":{"algorithm":"SHA1","digits":8,"period":30},"attempts_left":4,"activation_expires_at_ms":2,"server_time_ms":1,"hint":"new"}"#;
    assert!(wire::decode::<ActivationStartResponse>(reply.as_bytes(), 65536).is_ok());
    let in_token = reply.replace(r#""period":30}"#, r#""period":30,"skew":1}"#);
    assert!(matches!(
        wire::decode::<ActivationStartResponse>(in_token.as_bytes(), 65536),
        Err(WireError::Malformed { .. })
    ));
    let status = r#"{"v":1,"state":"active","server_time_ms":1,"mac":"AQ","hint":"new"}"#;
    assert!(wire::decode::<StatusResponse>(status.as_bytes(), 4096).is_ok());
}

#[test]
fn finish_request_requires_device_with_platform() {
    // docs/protocol.md §6.2: `device` and its `platform` are required; `model` and
    // `app_version` are optional.
    let cases = [
        (
            r#"{"v":1,"ke3":"AA","client_confirmation":"AA"}"#,
            "`device`",
        ),
        (
            r#"{"v":1,"ke3":"AA","client_confirmation":"AA","device":{}}"#,
            "`platform`",
        ),
    ];
    for (body, missing) in cases {
        match wire::decode::<ActivationFinishRequest>(body.as_bytes(), 4096) {
            Err(WireError::Malformed { reason }) => assert!(reason.contains(missing), "{reason}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    let minimal = r#"{"v":1,"ke3":"AA","client_confirmation":"AA","device":{"platform":"x"}}"#;
    let request = wire::decode::<ActivationFinishRequest>(minimal.as_bytes(), 4096).unwrap();
    assert_eq!(request.device.model, None);
}

#[test]
fn device_info_limits() {
    let ok = ActivationFinishRequest {
        v: V1,
        ke3: Bytes(vec![0; 64]),
        client_confirmation: Bytes(vec![0; 32]),
        device: DeviceInfo {
            platform: "android".into(),
            model: Some("Pixel 8".into()),
            app_version: None,
        },
    };
    let text = String::from_utf8(wire::encode(&ok)).unwrap();
    assert!(!text.contains("app_version"));
    assert_eq!(
        wire::decode::<ActivationFinishRequest>(text.as_bytes(), 4096).unwrap(),
        ok
    );
    let long = text.replace("Pixel 8", &"x".repeat(65));
    assert!(wire::decode::<ActivationFinishRequest>(long.as_bytes(), 4096).is_err());
}

#[test]
fn secrets_are_redacted_in_debug() {
    let issue: IssueTokenRequest = serde_json::from_str(
        r#"{"email":"hanako@example.jp","activation_password":"Sakura#2026"}"#,
    )
    .unwrap();
    let shown = format!("{issue:?}");
    assert!(!shown.contains("Sakura"), "{shown}");
    assert!(shown.contains("hanako@example.jp"));
    let verify: VerifyRequest = serde_json::from_str(r#"{"otp":"12345678"}"#).unwrap();
    assert!(!format!("{verify:?}").contains("1234"));
    assert!(!format!("{:?}", Bytes(vec![0x41; 4])).contains("41"));
}

#[test]
fn error_and_verify_bodies_use_snake_case_names() {
    let body = ErrorBody {
        error: ErrorCode::ActivationLocked,
        message: "locked".into(),
        attempts_left: None,
        retry_after_s: None,
        state: None,
        server_time_ms: 5,
    };
    let text = String::from_utf8(wire::encode(&body)).unwrap();
    assert_eq!(
        text,
        r#"{"error":"activation_locked","message":"locked","server_time_ms":5}"#
    );
    let verify = VerifyResponse {
        result: VerifyResult::NotActivated,
        failures_left: 5,
        server_time_ms: 1,
    };
    let text = String::from_utf8(wire::encode(&verify)).unwrap();
    assert!(text.contains(r#""result":"not_activated""#));
    assert_eq!(
        TokenState::PendingConfirmation.as_str(),
        "pending_confirmation"
    );
    assert_eq!(
        serde_json::to_string(&TokenState::ActivationLocked).unwrap(),
        r#""activation_locked""#
    );
}

#[test]
fn status_proof_binds_seed_nonce_time_and_state() {
    let service_id = ServiceId::parse("10121234").unwrap();
    let user_id = UserId::parse("12345678901234CI").unwrap();
    let key = StatusKey::derive(&Seed::from_slice(&[7; 20]), &service_id, &user_id);
    let other = StatusKey::derive(&Seed::from_slice(&[8; 20]), &service_id, &user_id);
    let nonce = [1u8; 16];

    let proof = key.request_proof(&nonce, 1000);
    assert!(key.verify_request(&nonce, 1000, &proof));
    assert!(!key.verify_request(&nonce, 1001, &proof));
    assert!(!key.verify_request(&[2u8; 16], 1000, &proof));
    assert!(!key.verify_request(&nonce[..15], 1000, &proof));
    assert!(!other.verify_request(&nonce, 1000, &proof));

    let mac = key.response_mac(&nonce, TokenState::Revoked, 2000, None);
    assert!(key.verify_response(&nonce, TokenState::Revoked, 2000, None, &mac));
    assert!(!key.verify_response(&nonce, TokenState::Active, 2000, None, &mac));
    assert!(!key.verify_response(&nonce, TokenState::Revoked, 2001, None, &mac));
    assert!(!other.verify_response(&nonce, TokenState::Revoked, 2000, None, &mac));
    // A time beside another state is outside its MAC: refused, and ignored by the MAC itself
    // (so every other state's MAC is what it was before `replaced` existed).
    assert!(!key.verify_response(&nonce, TokenState::Revoked, 2000, Some(1500), &mac));
    assert_eq!(
        key.response_mac(&nonce, TokenState::Revoked, 2000, Some(1500)),
        mac
    );
    // `replaced` covers its time, and must carry one.
    let replaced = key.response_mac(&nonce, TokenState::Replaced, 2000, Some(1500));
    assert!(key.verify_response(&nonce, TokenState::Replaced, 2000, Some(1500), &replaced));
    assert!(!key.verify_response(&nonce, TokenState::Replaced, 2000, Some(1501), &replaced));
    assert!(!key.verify_response(&nonce, TokenState::Replaced, 2000, None, &replaced));
    assert!(!key.verify_response(&nonce, TokenState::Revoked, 2000, None, &replaced));
    assert_eq!(format!("{key:?}"), "StatusKey(<redacted>)");

    let request = StatusRequest {
        v: V1,
        service_id,
        user_id,
        nonce: Bytes(nonce.to_vec()),
        time_ms: 1000,
        proof: Bytes(proof.to_vec()),
    };
    let back: StatusRequest = wire::decode(&wire::encode(&request), 4096).unwrap();
    assert_eq!(back, request);
    let response = StatusResponse {
        v: V1,
        state: TokenState::Revoked,
        server_time_ms: 2000,
        replaced_at_ms: None,
        mac: Bytes(mac.to_vec()),
    };
    let back: StatusResponse = wire::decode(&wire::encode(&response), 4096).unwrap();
    assert_eq!(back, response);
}

proptest! {
    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = wire::decode::<ActivationStartRequest>(&body, 4096);
        let _ = wire::decode::<ActivationStartResponse>(&body, 4096);
        let _ = wire::decode::<ActivationFinishRequest>(&body, 4096);
        let _ = wire::decode::<StatusRequest>(&body, 4096);
        let _ = wire::decode::<StatusResponse>(&body, 4096);
        let _ = wire::decode::<IssueTokenRequest>(&body, 4096);
        let _ = wire::decode::<ErrorBody>(&body, 4096);
    }

    #[test]
    fn decoders_never_panic_on_json_shaped_input(
        service in "\\PC{0,20}", user in "\\PC{0,40}", ke1 in "[A-Za-z0-9_=+/-]{0,200}", v in any::<u64>()
    ) {
        let body = serde_json::json!({"v": v, "service_id": service, "user_id": user, "ke1": ke1});
        let _ = wire::decode::<ActivationStartRequest>(body.to_string().as_bytes(), 4096);
    }
}
