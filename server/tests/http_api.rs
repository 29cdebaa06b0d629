//! The provider over real HTTPS on 127.0.0.1: every endpoint, rule and error of
//! docs/protocol.md §6–7.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Suite, send, start, start_with};
use reqwest::{Method, StatusCode};
use serde_json::json;
use softtoken_protocol::{
    activation::HandshakeError,
    ids::{ServiceId, UserId},
    wire::{ErrorCode, IssueTokenRequest, IssueTokenResponse, TokenState, VerifyResult},
};
use softtoken_testkit::{
    BankClient, DeviceError, TestProvider,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, EMAIL, SERVICE_ID as SERVICE},
};

/// トークン発行 for `customer_ref`: what a bank does when a customer asks again.
async fn issue_for(bank: &BankClient, email: &str, customer_ref: &str) -> IssueTokenResponse {
    bank.issue_with(&IssueTokenRequest {
        email: email.into(),
        activation_password: PASSWORD.into(),
        label: None,
        customer_ref: Some(customer_ref.into()),
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn healthz_and_unknown_routes_carry_server_time() {
    let p = start().await;
    let (status, body) = send(
        p.phone
            .http()
            .post(p.phone.url("/nowhere"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    assert!(body["server_time_ms"].as_u64().unwrap() > 1_700_000_000_000);
    let response = p
        .phone
        .http()
        .get(p.phone.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn error_bodies_carry_the_injected_clocks_time_like_the_header() {
    let p = start().await;
    // Ten years ahead: a body stamped by the system clock would be that far off the header.
    let ahead = std::time::Duration::from_secs(10 * 365 * 86_400);
    p.provider.clock().advance(ahead);
    let system_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let http = p.phone.http();
    let requests = [
        // A route that does not exist (the fallback).
        http.get(p.phone.url("/nowhere")),
        // A bank call without a key (the BankKey extractor).
        http.get(
            p.phone
                .url(&format!("/v1/services/{SERVICE}/tokens/12345678901234CI")),
        ),
        // A device call with a bad body (a rule's error).
        http.post(p.phone.url("/v1/tokens/status")).body("{}"),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());
        let header: u64 = response.headers()["server-time-ms"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["server_time_ms"].as_u64(), Some(header), "{body}");
        assert!(header >= u64::try_from((system_now + ahead).as_millis()).unwrap() - 60_000);
    }
}

#[tokio::test]
async fn issuance_mails_the_ids_and_forgets_the_password() {
    let p = start().await;
    let token = p.bank.issue(EMAIL, PASSWORD).await.unwrap();
    let outbox: Vec<_> = std::fs::read_dir(p.provider.outbox_dir())
        .unwrap()
        .collect();
    assert_eq!(outbox.len(), 1);
    let mail = std::fs::read_to_string(outbox[0].as_ref().unwrap().path()).unwrap();
    assert!(mail.contains(token.user_id.as_str()), "{mail}");
    assert!(mail.contains(SERVICE));
    // Nothing on disk holds the password: database, WAL, outbox, audit.
    for entry in walk(p.provider.data_dir()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !contains(&bytes, PASSWORD.as_bytes()),
            "password found in {}",
            entry.display()
        );
    }
    let details = p.bank.details(token.user_id).await.unwrap();
    assert_eq!(details.state, TokenState::Issued);
    assert_eq!(details.activation_attempts_left, 5);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn issuance_validates_input() {
    let p = start().await;
    for body in [
        json!({"email": "not-an-address", "activation_password": PASSWORD}),
        json!({"email": "a@b.jp", "activation_password": "abc"}),
        json!({"email": "a@b.jp"}),
        json!({"email": "a@b.jp", "activation_password": "x".repeat(300)}),
        // Refused alike on both backends (PostgreSQL's text cannot even hold a NUL).
        json!({"email": "a@b.jp", "activation_password": PASSWORD, "customer_ref": "c\u{0}1"}),
        json!({"email": "a@b.jp", "activation_password": PASSWORD, "label": "a\nb"}),
    ] {
        let (status, reply) = send(p.bank.request(Method::POST, "").json(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {reply}");
        assert_eq!(reply["error"], "bad_request");
        assert!(!reply.to_string().contains("xxxx"), "{reply}");
    }
}

/// Issue 12, finding 8: an address the mailer would refuse (a display name, a list) is a 400 at
/// issuance, checked with the mailer's own parser, and nothing is stored or mailed.
#[tokio::test]
async fn issuance_refuses_addresses_the_mailer_cannot_send_to_and_stores_nothing() {
    let p = start().await;
    for email in [
        "Hanako <hanako@example.jp>",
        "Hanako<hanako@example.jp>",
        "a;b@example.jp",
        "a@example.jp;b@example.jp",
        "a@example.jp, b@example.jp",
    ] {
        let body = json!({"email": email, "activation_password": PASSWORD, "customer_ref": "c-8"});
        let (status, reply) = send(p.bank.request(Method::POST, "").json(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{email} → {reply}");
        assert_eq!(reply["error"], "bad_request");
    }
    let tokens = p
        .state()
        .db
        .test_scalar("SELECT COUNT(*) FROM tokens", &[])
        .await
        .unwrap();
    assert_eq!(tokens, 0, "no token stored");
    let mails = std::fs::read_dir(p.provider.outbox_dir())
        .map(|dir| dir.count())
        .unwrap_or(0);
    assert_eq!(mails, 0, "no mail written");
}

/// Issue 12, finding 9: failed bank authentication is audited (key id when it has our shape,
/// client address, never the secret) and limited per client address: after the burst, `429
/// rate_limited` with `Retry-After`, even for a right key from that address; a right key from
/// another address still works, and successful calls count nothing.
#[tokio::test]
async fn failed_bank_authentication_is_audited_then_limited_per_address() {
    // The default `[limits] bank_auth_failure_burst`.
    const CLIENT_FAILURE_BURST: u32 = 10;
    let p = start().await;
    // Successful calls are never slowed: more of them than the failure burst.
    for _ in 0..CLIENT_FAILURE_BURST + 5 {
        p.bank.details("00000000000000AA").await.unwrap_err();
    }
    let token = p.bank.issue(EMAIL, PASSWORD).await.unwrap();
    let secrets: Vec<String> = (0..CLIENT_FAILURE_BURST)
        .map(|n| format!("guessed-secret-{n:04}-xyzzy"))
        .collect();
    for (n, secret) in secrets.iter().enumerate() {
        let guess = p
            .bank
            .with_api_key(&format!("st_{n:016x}.{secret}"))
            .details(token.user_id)
            .await
            .unwrap_err();
        assert_eq!(guess.status(), Some(401), "{guess}");
    }
    let (status, reply) = send(
        p.bank
            .with_api_key("st_00000000000000ff.one-more-guess")
            .request(Method::GET, &format!("/{}", token.user_id)),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{reply}");
    assert_eq!(reply["error"], "rate_limited");
    assert!(reply["retry_after_s"].as_u64().unwrap() >= 1, "{reply}");
    let response = p
        .bank
        .request(Method::GET, &format!("/{}", token.user_id))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the address is held off, right key or not"
    );
    assert!(response.headers().contains_key("retry-after"));

    // The bank's right key from another address is not held off.
    let other = softtoken_testkit::tls::pinned_client_builder(p.provider.ca_pem())
        .unwrap()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let bank_elsewhere =
        BankClient::with_http(other, p.provider.url(), SERVICE, p.provider.api_key());
    assert_eq!(
        bank_elsewhere.details(token.user_id).await.unwrap().state,
        TokenState::Issued
    );

    // One audit row per failure (the 429s are not failures of a key), none with a secret.
    let rows = p
        .state()
        .db
        .test_texts(
            "SELECT event, outcome, actor, detail FROM audit WHERE event = 'bank_auth' \
             ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), secrets.len(), "{rows:?}");
    for (n, row) in rows.iter().enumerate() {
        let [event, outcome, actor, detail] = row.as_slice() else {
            panic!("{row:?}")
        };
        assert_eq!(
            (event.as_deref(), outcome.as_deref()),
            (Some("bank_auth"), Some("failed"))
        );
        assert_eq!(actor.as_deref(), Some(format!("bank:{n:016x}").as_str()));
        assert_eq!(detail.as_deref(), Some("client 127.0.0.1"));
    }
    let text = format!("{rows:?}");
    let api_key = p.provider.api_key();
    let real_secret = api_key.split_once('.').unwrap().1;
    for secret in secrets
        .iter()
        .map(String::as_str)
        .chain([real_secret, "one-more-guess"])
    {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn bank_endpoints_need_the_services_own_key() {
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    let url = p
        .phone
        .url(&format!("/v1/services/{SERVICE}/tokens/{}", token.user_id));
    for auth in [
        None,
        Some("Bearer nope"),
        Some("Bearer st_abc.def"),
        Some("Basic xyz"),
    ] {
        let mut request = p.phone.http().get(&url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // The right key on another (even non-existent or malformed) service path is 401, not 404.
    for other in ["99999999", "1234"] {
        let refused = p
            .bank
            .for_service(other)
            .details(token.user_id)
            .await
            .unwrap_err();
        assert_eq!(refused.status(), Some(401), "{refused}");
    }
    let refused = p.bank.details("00000000000000AA").await.unwrap_err();
    assert_eq!(
        refused.status(),
        Some(400),
        "typo in the user id is a bad request"
    );
    let unknown = UserId::from_body("00000000000000").unwrap();
    let refused = p.bank.details(unknown).await.unwrap_err();
    assert_eq!(refused.status(), Some(404));
}

#[tokio::test]
async fn activation_then_first_code_confirms_the_token() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    assert_eq!(app.finish.state, TokenState::PendingConfirmation);
    assert_eq!(app.start.attempts_left, 4);
    let details = p.bank.details(token.user_id).await.unwrap();
    assert_eq!(details.state, TokenState::PendingConfirmation);
    assert_eq!(details.device.unwrap().platform, "linux");
    assert_eq!(
        details.activation_attempts_left, 5,
        "a success resets the attempt count"
    );

    let reply = p
        .bank
        .verify(token.user_id, &p.code(&app, 0))
        .await
        .unwrap();
    assert_eq!(reply.result, VerifyResult::Accepted);
    assert_eq!(reply.failures_left, 5);
    let details = p.bank.details(token.user_id).await.unwrap();
    assert_eq!(details.state, TokenState::Active);
    assert!(details.confirmed_at_ms.is_some());
}

#[tokio::test]
async fn full_width_ids_and_codes_are_accepted() {
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    let app = p.activate(&token, "Ｓａｋｕｒａ＃２０２６").await.unwrap();
    p.provider.settle(app.params.period());
    let wide: String = p
        .code(&app, 0)
        .chars()
        .map(|c| char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap())
        .collect();
    let spaced = format!("{} {}", &wide[..12], &wide[12..]);
    assert_eq!(
        p.bank.verify(token.user_id, &spaced).await.unwrap().result,
        VerifyResult::Accepted
    );
}

#[tokio::test]
async fn wrong_passwords_count_down_and_the_sixth_start_is_locked() {
    // Since issue 12 (finding 3) the sixth start is answered like any other (200, a fake
    // record: even the right password cannot verify it, so a locked setup is no password
    // oracle); the lock shows to the bank, and as `attempts_left: 0` to the app.
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    for expected_left in [4, 3, 2, 1, 0] {
        match p.activate(&token, "wrong-password").await {
            Err(DeviceError::Handshake {
                error: HandshakeError::AuthenticationFailed,
                attempts_left,
            }) => assert_eq!(attempts_left, expected_left),
            other => panic!("{other:?}"),
        }
    }
    match p.activate(&token, PASSWORD).await {
        Err(DeviceError::Handshake {
            error: HandshakeError::AuthenticationFailed,
            attempts_left: 0,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::ActivationLocked
    );
    assert_eq!(
        p.bank
            .verify(token.user_id, "12345678")
            .await
            .unwrap()
            .result,
        VerifyResult::Expired
    );
}

#[tokio::test]
async fn a_lost_reply_never_strands_the_user() {
    // The phone crashed after the provider stored the seed: the same password works again and
    // the newest seed replaces the pending one.
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    let first = p.activate(&token, PASSWORD).await.unwrap();
    let second = p.activate(&token, PASSWORD).await.unwrap();
    p.provider.settle(second.params.period());
    assert_ne!(first.seed, second.seed);
    assert_eq!(
        p.verify_code(token.user_id, &first, 0).await,
        VerifyResult::Rejected
    );
    assert_eq!(
        p.verify_code(token.user_id, &second, 0).await,
        VerifyResult::Accepted
    );
    // Once active, a new phone cannot take the token over.
    match p.activate(&token, PASSWORD).await {
        Err(DeviceError::Refused { status, body }) => {
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(body.error, ErrorCode::AlreadyActive);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unknown_tokens_look_like_wrong_passwords() {
    let p = start().await;
    let service_id = ServiceId::parse(SERVICE).unwrap();
    let unknown = UserId::from_body("11112222333344").unwrap();
    match p.phone.activate(&service_id, &unknown, PASSWORD).await {
        Err(DeviceError::Handshake {
            error: HandshakeError::AuthenticationFailed,
            attempts_left: 4,
        }) => {}
        other => panic!("{other:?}"),
    }
    let other_service = ServiceId::parse("55555555").unwrap();
    assert!(matches!(
        p.phone.activate(&other_service, &unknown, PASSWORD).await,
        Err(DeviceError::Handshake {
            error: HandshakeError::AuthenticationFailed,
            attempts_left: 4
        })
    ));
}

#[tokio::test]
async fn tokens_expire_when_not_set_up_in_time() {
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    p.provider
        .clock()
        .advance(std::time::Duration::from_millis(24 * 3600 * 1000 + 1));
    match p.activate(&token, PASSWORD).await {
        Err(DeviceError::Refused { status, body }) if status == StatusCode::GONE => {
            assert_eq!(body.error, ErrorCode::TokenExpired)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        p.bank
            .verify(token.user_id, "12345678")
            .await
            .unwrap()
            .result,
        VerifyResult::Expired
    );
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Expired
    );

    // A token activated but never confirmed expires too.
    let token = p.bank.issue("b@b.jp", PASSWORD).await.unwrap();
    let app = p.activate(&token, PASSWORD).await.unwrap();
    p.provider.settle(app.params.period());
    p.provider
        .clock()
        .advance(std::time::Duration::from_millis(24 * 3600 * 1000 + 1));
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Expired
    );
}

#[tokio::test]
async fn revocation_is_final_and_the_app_learns_it_by_status() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
    let status = async || p.status(&token, &app.seed).await.unwrap().state;
    assert_eq!(status().await, TokenState::Active);

    let revoked = p.bank.revoke(token.user_id).await.unwrap();
    assert_eq!(revoked.state, TokenState::Revoked);
    p.bank
        .revoke(token.user_id)
        .await
        .expect("revoking twice is fine");

    assert_eq!(status().await, TokenState::Revoked);
    assert_eq!(
        p.verify_code(token.user_id, &app, 1).await,
        VerifyResult::Revoked
    );
    match p.activate(&token, PASSWORD).await {
        Err(DeviceError::Refused { status, body }) if status == StatusCode::GONE => {
            assert_eq!(body.error, ErrorCode::TokenRevoked)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn status_needs_the_seed() {
    let p = start().await;
    let (token, _app) = p.activated(None).await;
    let wrong = softtoken_protocol::secret::Seed::from_slice(&[9; 20]);
    let denied = p.status(&token, &wrong).await.unwrap_err();
    let (status, body) = denied.refused().unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body.error, ErrorCode::StatusDenied);
    let issued_only = p.bank.issue("c@b.jp", PASSWORD).await.unwrap();
    let denied = p.status(&issued_only, &wrong).await.unwrap_err();
    assert_eq!(denied.refused().unwrap().1.error, ErrorCode::StatusDenied);
}

#[tokio::test]
async fn replays_are_refused_and_five_wrong_codes_lock() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    let verify = async |otp: &str| p.bank.verify(token.user_id, otp).await.unwrap();
    let now = p.code(&app, 0);
    assert_eq!(verify(&now).await.result, VerifyResult::Accepted);
    let again = verify(&now).await;
    assert_eq!(again.result, VerifyResult::Replayed);
    assert_eq!(again.failures_left, 5, "a replay is not a failure");
    // The previous step is within the window but before the last accepted one: replayed too.
    assert_eq!(
        verify(&p.code(&app, -1)).await.result,
        VerifyResult::Replayed
    );

    // Malformed codes are refused without counting.
    for malformed in ["1234567", "abcdefgh", ""] {
        let reply = verify(malformed).await;
        assert_eq!(
            (reply.result, reply.failures_left),
            (VerifyResult::Rejected, 5)
        );
    }
    let wrong = if now == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for left in [4, 3, 2, 1] {
        let reply = verify(wrong).await;
        assert_eq!(
            (reply.result, reply.failures_left),
            (VerifyResult::Rejected, left)
        );
    }
    let reply = verify(wrong).await;
    assert_eq!(
        (reply.result, reply.failures_left),
        (VerifyResult::Locked, 0)
    );
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Locked
    );
    // Locked refuses even the right code.
    assert_eq!(verify(&p.code(&app, 1)).await.result, VerifyResult::Locked);

    let unlocked = p.bank.unlock(token.user_id).await.unwrap();
    assert_eq!(unlocked.state, TokenState::Active);
    assert_eq!(unlocked.failures_left, 5);
    let reply = verify(&p.code(&app, 1)).await;
    assert_eq!(reply.result, VerifyResult::Accepted);
    let refused = p.bank.unlock(token.user_id).await.unwrap_err();
    assert_eq!(
        (refused.status(), refused.code()),
        (Some(409), Some(ErrorCode::Conflict))
    );
}

#[tokio::test]
async fn unlock_restores_the_state_wrong_codes_locked_the_token_from() {
    // Issue 12, finding 5: a token never confirmed, locked by wrong codes, must not come back
    // `active` (that would confirm it without a right code).
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    let app = p.activate(&token, PASSWORD).await.unwrap();
    p.provider.settle(app.params.period());
    let right = p.code(&app, 0);
    let wrong = if right == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for _ in 0..5 {
        p.bank.verify(token.user_id, wrong).await.unwrap();
    }
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Locked
    );
    let unlocked = p.bank.unlock(token.user_id).await.unwrap();
    assert_eq!(unlocked.state, TokenState::PendingConfirmation);
    assert_eq!(unlocked.failures_left, 5);
    assert!(unlocked.confirmed_at_ms.is_none());
    // The first right code then confirms it, as it would have before the lock.
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Active
    );
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    let right = p.code(&app, 0);
    let wrong = if right == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for _ in 0..4 {
        p.bank.verify(token.user_id, wrong).await.unwrap();
    }
    assert_eq!(
        p.bank
            .verify(token.user_id, &right)
            .await
            .unwrap()
            .failures_left,
        5
    );
}

#[tokio::test]
async fn verification_window_is_one_step_each_way() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    assert_eq!(
        p.verify_code(token.user_id, &app, 2).await,
        VerifyResult::Rejected
    );
    assert_eq!(
        p.verify_code(token.user_id, &app, 1).await,
        VerifyResult::Accepted
    );
}

#[tokio::test]
async fn not_activated_tokens_refuse_codes() {
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    assert_eq!(
        p.bank
            .verify(token.user_id, "12345678")
            .await
            .unwrap()
            .result,
        VerifyResult::NotActivated
    );
}

#[tokio::test]
async fn reissue_for_the_same_customer_replaces_the_unfinished_token() {
    let p = start().await;
    let first = issue_for(&p.bank, "wrong@b.jp", "C-1").await;
    let second = issue_for(&p.bank, "right@b.jp", "C-1").await;
    assert_ne!(first.user_id, second.user_id);
    let state =
        async |token: &IssueTokenResponse| p.bank.details(token.user_id).await.unwrap().state;
    assert_eq!(state(&first).await, TokenState::Revoked);
    assert_eq!(state(&second).await, TokenState::Issued);
    // Another customer's token is untouched.
    let other = issue_for(&p.bank, "x@b.jp", "C-2").await;
    issue_for(&p.bank, "y@b.jp", "C-1").await;
    assert_eq!(state(&other).await, TokenState::Issued);
}

#[tokio::test]
async fn device_requests_with_bad_bodies_get_typed_errors() {
    let p = start().await;
    let post = |path: &str, body: &serde_json::Value| {
        send(p.phone.http().post(p.phone.url(path)).json(body))
    };
    let cases = [
        (
            json!({"v": 2, "service_id": SERVICE, "user_id": "12345678901234CI", "ke1": "AA"}),
            StatusCode::BAD_REQUEST,
            "unsupported_version",
        ),
        (
            json!({"v": 1, "service_id": SERVICE}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"v": 1, "service_id": SERVICE, "user_id": "12345678901234CI", "ke1": "AA"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"v": 1, "service_id": SERVICE, "user_id": "12345678901234CI", "ke1": "x".repeat(5000)}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (body, status, code) in cases {
        let (got, reply) = post("/v1/activations", &body).await;
        assert_eq!(
            (got, reply["error"].as_str()),
            (status, Some(code)),
            "{reply}"
        );
    }
    let finish =
        json!({"v": 1, "ke3": "AA", "client_confirmation": "AA", "device": {"platform": "x"}});
    let (status, reply) = post("/v1/activations/doesnotexist/finish", &finish).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // Not JSON at all.
    let response = p
        .phone
        .http()
        .post(p.phone.url("/v1/tokens/status"))
        .header("content-type", "application/json")
        .body("{{{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn json_endpoints_refuse_other_content_types_before_counting_anything() {
    // Issue 12, finding 4: a web page can make a browser POST `text/plain` anywhere; five such
    // requests used to lock a token's setup.
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    let (_client, started) = p
        .phone
        .start_activation(&token.service_id, &token.user_id, PASSWORD)
        .await
        .unwrap();
    let ke1 = "A".repeat(128);
    let start_body =
        json!({"v": 1, "service_id": token.service_id, "user_id": token.user_id, "ke1": ke1})
            .to_string();
    let finish_body =
        json!({"v": 1, "ke3": "AA", "client_confirmation": "AA", "device": {"platform": "x"}})
            .to_string();
    let finish_path = format!("/v1/activations/{}/finish", started.activation_id);
    let device = [
        ("/v1/activations", &start_body),
        (finish_path.as_str(), &finish_body),
        ("/v1/tokens/status", &start_body),
    ];
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        None,
    ] {
        for (path, body) in device {
            let mut request = p.phone.http().post(p.phone.url(path)).body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let (status, reply) = send(request).await;
            assert_eq!(
                (status, reply["error"].as_str()),
                (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    Some("unsupported_media_type")
                ),
                "{path} {content_type:?}: {reply}"
            );
            assert!(reply["server_time_ms"].is_u64());
        }
        let issue = json!({"email": "c@d.jp", "activation_password": PASSWORD}).to_string();
        let mut request = p.bank.request(Method::POST, "").body(issue);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let (status, _) = send(request).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
    }
    // Nothing was counted: only the one real start above, and its activation is still there.
    let details = p.bank.details(token.user_id).await.unwrap();
    assert_eq!(
        (details.state, details.activation_attempts_left),
        (TokenState::Issued, 4)
    );
    // Parameters and case are allowed: the finish is read (and fails on its bogus KE3).
    let (status, reply) = send(
        p.phone
            .http()
            .post(p.phone.url(&finish_path))
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(finish_body),
    )
    .await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("activation_failed")),
        "{reply}"
    );
}

#[tokio::test]
async fn tampered_ke3_fails_and_keeps_the_attempt_counted() {
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    let (_client, start) = p
        .phone
        .start_activation(&token.service_id, &token.user_id, PASSWORD)
        .await
        .unwrap();
    let finish = json!({"v": 1, "ke3": "A".repeat(86), "client_confirmation": "A".repeat(43), "device": {"platform": "x"}});
    let url = p
        .phone
        .url(&format!("/v1/activations/{}/finish", start.activation_id));
    let (status, reply) = send(p.phone.http().post(&url).json(&finish)).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("activation_failed")),
        "{reply}"
    );
    assert_eq!(reply["attempts_left"], 4);
    // The activation is consumed.
    let (status, _) = send(p.phone.http().post(&url).json(&finish)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        p.bank
            .details(token.user_id)
            .await
            .unwrap()
            .activation_attempts_left,
        4
    );
}

#[tokio::test]
async fn device_endpoints_are_rate_limited_per_ip() {
    let p = start_with(|c| {
        c.limits.device_requests_per_minute = 60;
        c.limits.device_burst = 3;
    })
    .await;
    let body = json!({"v": 1});
    let request = || {
        p.phone
            .http()
            .post(p.phone.url("/v1/tokens/status"))
            .json(&body)
    };
    for _ in 0..3 {
        let (status, _) = send(request()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let response = request().send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some());
    let reply: serde_json::Value = response.json().await.unwrap();
    assert_eq!(reply["error"], "rate_limited");
    assert!(reply["retry_after_s"].as_u64().unwrap() >= 1);
    // Bank endpoints are not limited per IP.
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Issued
    );
}

#[tokio::test]
async fn parallel_verifies_of_one_code_accept_exactly_once() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    let otp = p.code(&app, 0);
    let results = futures_join(32, || p.bank.verify(token.user_id, &otp)).await;
    let results: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    let accepted = results
        .iter()
        .filter(|r| r.result == VerifyResult::Accepted)
        .count();
    let replayed = results
        .iter()
        .filter(|r| r.result == VerifyResult::Replayed)
        .count();
    assert_eq!((accepted, replayed), (1, 31));
}

#[tokio::test]
async fn parallel_activation_attempts_count_exactly() {
    let p = start().await;
    let token = p.bank.issue("a@b.jp", PASSWORD).await.unwrap();
    let results = futures_join(12, || {
        p.phone
            .start_activation(&token.service_id, &token.user_id, "wrong")
    })
    .await;
    let mut left: Vec<u32> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|(_, s)| s.attempts_left)
        .collect();
    left.sort_unstable();
    // Every start is answered (issue 12: no refusal before the password is proved).
    assert_eq!(
        left,
        vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
        "each started attempt counted once"
    );
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::ActivationLocked
    );
}

/// Runs `n` copies of a future concurrently on the test runtime.
async fn futures_join<F, Fut, T>(n: usize, make: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    common::serve::join_all((0..n).map(|_| make()).collect()).await
}

#[tokio::test]
async fn audit_records_what_happened_without_secrets() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    let otp = p.code(&app, 0);
    p.bank.verify(token.user_id, &otp).await.unwrap();
    p.bank.revoke(token.user_id).await.unwrap();
    let mut conn = p.state().db.read().await.unwrap();
    let trail =
        softtoken_server::storage::audit::of_token(&mut conn, &token.service_id, &token.user_id)
            .await
            .unwrap();
    let events: Vec<_> = trail
        .iter()
        .map(|record| format!("{}:{}", record.event, record.outcome))
        .collect();
    assert_eq!(
        events,
        [
            "issue:ok",
            "activation_start:started",
            "activation_finish:ok",
            "verify:accepted",
            "revoke:ok"
        ]
    );
    let text = format!("{trail:?}");
    assert!(!text.contains(&otp) && !text.contains(PASSWORD), "{text}");
    assert!(trail.iter().any(|record| record.actor.starts_with("bank:")));
    assert!(
        trail
            .iter()
            .any(|record| record.actor == "device:127.0.0.1")
    );
}

#[tokio::test]
async fn migrations_are_idempotent_and_versioned() {
    let dir = tempfile::tempdir().unwrap();
    // This suite's backend: SQLite in `dir`, or a fresh database on the shared cluster.
    let mut settings = softtoken_server::config::DatabaseConfig::default();
    if softtoken_testkit::provider::postgres_selected() {
        settings.url = Some(softtoken_testkit::provider::postgres_database_url().unwrap());
        settings.sslmode = Some(softtoken_server::config::SslMode::Disable);
    }
    let location = settings.location(dir.path()).unwrap();
    for _ in 0..2 {
        let missing = softtoken_server::storage::Missing::Create;
        let db = softtoken_server::storage::Db::open(&location, missing)
            .await
            .unwrap();
        assert_eq!(db.schema_version().await.unwrap(), 4);
        db.close().await;
    }
}

#[tokio::test]
async fn a_wrong_kek_is_a_clear_startup_error() {
    let mut p = start().await.provider;
    p.stop().await;
    std::fs::write(
        p.data_dir().join("kek.hex"),
        format!("{}\n", "ab".repeat(32)),
    )
    .unwrap();
    let err = p.restart().await.expect_err("must refuse");
    let text = err.to_string();
    assert!(text.contains("key-encryption key"), "{text}");
}

#[tokio::test]
async fn a_stopped_provider_starts_again_on_the_same_data_dir_with_its_tokens() {
    let p = start().await;
    let (token, app) = p.activated(None).await;
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
    let mut provider = p.provider;
    let api_key = provider.api_key().to_owned();
    provider.stop().await;
    // Closed cleanly: the WAL is checkpointed into the database and gone.
    let wal = provider.data_dir().join("softtoken.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "WAL left behind"
    );

    provider.restart().await.unwrap();
    assert_eq!(
        provider.api_key(),
        api_key,
        "the dev bootstrap finds its key again"
    );
    // New clients: the old ones' pooled connections died with the stopped server.
    let p = Suite::over(provider);
    // A step well after the one accepted before the restart.
    p.provider
        .clock()
        .advance(std::time::Duration::from_secs(60));
    p.provider.settle(app.params.period());
    assert_eq!(
        p.bank.details(token.user_id).await.unwrap().state,
        TokenState::Active
    );
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
}

#[tokio::test]
async fn kek_rotation_rewraps_every_secret() {
    use softtoken_server::{config::KekSource, ops, secrets::kek::generate_kek_file, server};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("provider");
    let p = Suite::over(TestProvider::start_in(&data, |_| {}).await.unwrap());
    let (token, app) = p.activated(None).await;
    let mut provider = p.provider;
    provider.stop().await;

    let new_kek = data.join("kek-2.hex");
    generate_kek_file(&new_kek).unwrap();
    let rotate = |c: &mut softtoken_server::config::Config| {
        let old = c.kek.current.clone();
        c.kek.current = KekSource {
            version: 2,
            file: Some(new_kek.clone()),
            env: None,
        };
        c.kek.previous = vec![old];
    };
    // The provider's own config: its database (SQLite in `data`, or PostgreSQL).
    let mut config = provider.config().clone();
    rotate(&mut config);
    let missing = softtoken_server::storage::Missing::Refuse;
    let (db, keys) = server::open_store(&config, missing).await.unwrap();
    let count = ops::kek::rewrap(&db, &keys, 0).await.unwrap();
    assert_eq!(count, 2, "the service setup and the token");
    db.close().await;

    // Only the new key from now on: the old one is gone from the config.
    let p = Suite::over(
        TestProvider::start_in(&data, |c| {
            rotate(c);
            c.kek.previous.clear();
        })
        .await
        .unwrap(),
    );
    p.provider.settle(app.params.period());
    assert_eq!(
        p.verify_code(token.user_id, &app, 0).await,
        VerifyResult::Accepted
    );
    let again = p.bank.issue("new@b.jp", PASSWORD).await.unwrap();
    assert!(p.activate(&again, PASSWORD).await.is_ok());
}
