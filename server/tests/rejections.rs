#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
// Helpers outside #[test] functions fail the test with a message; that is their job.
#![allow(clippy::panic)]
//! Rejections reach the client whole on both protocols (issue 12, finding 11): a request the
//! provider refuses before reading its body — 401 without or with a wrong API key, 413, 415,
//! 429, 404 — gets its documented status and JSON error body over HTTP/2 (ALPN `h2`) as over HTTP/1.1,
//! while the client is still sending a body large enough to be in flight. Before the fix, h2
//! reset the stream and most HTTP/2 clients saw a framing error instead of the reply. With a
//! drain that ran only after the reply, curl still failed about one run in five: seeing the
//! error status mid-upload, it ends its side short of its `content-length`, which h2 resets as
//! malformed (`PROTOCOL_ERROR`); so the provider now drains before it replies.
//!
//! Two clients: reqwest (HTTP/1.1, and HTTP/2 by ALPN), and the `curl` command with
//! `--http2`, the client the failure was seen with (`curl: (92) Stream error in the HTTP/2
//! framing layer`); reqwest's HTTP/2 tolerates resets that curl does not.

use reqwest::{Client, Method, Version};
use serde_json::Value;
use softtoken_testkit::{TestProvider, tls};

/// A body well over every endpoint's limit and over the HTTP/2 flow-control window, so it is
/// still being sent when the reply comes.
const BODY_BYTES: usize = 512 * 1024;
/// Each row is tried this often per protocol (the failure was intermittent: 33 of 40).
const TRIES: usize = 10;

/// The content type of every row but the 415 one.
const JSON: &str = "application/json";

/// One refused request and the reply it must get.
struct Row {
    name: &'static str,
    method: Method,
    path: String,
    api_key: Option<&'static str>,
    /// The request's `Content-Type`.
    content_type: &'static str,
    status: u16,
    code: &'static str,
}

fn clients(provider: &TestProvider) -> [(Version, Client); 2] {
    let h1 = tls::pinned_client(provider.ca_pem()).unwrap();
    let h2 = tls::pinned_h2_client_builder(provider.ca_pem())
        .unwrap()
        .build()
        .unwrap();
    [(Version::HTTP_2, h2), (Version::HTTP_11, h1)]
}

async fn check(provider: &TestProvider, rows: &[Row]) {
    let body = vec![b'{'; BODY_BYTES];
    check_with_curl(provider, rows, &body).await;
    for (version, client) in clients(provider) {
        for row in rows {
            for attempt in 0..TRIES {
                let mut request = client
                    .request(
                        row.method.clone(),
                        format!("{}{}", provider.url(), row.path),
                    )
                    .header("content-type", row.content_type)
                    .body(body.clone());
                if let Some(key) = row.api_key {
                    request = request.bearer_auth(key);
                }
                let reply = request.send().await.unwrap_or_else(|err| {
                    panic!(
                        "{} over {version:?}, try {attempt}: no reply: {err:?}",
                        row.name
                    )
                });
                assert_eq!(reply.version(), version, "{}", row.name);
                assert_eq!(
                    reply.status().as_u16(),
                    row.status,
                    "{} over {version:?}",
                    row.name
                );
                let json: Value = reply.json().await.unwrap_or_else(|err| {
                    panic!(
                        "{} over {version:?}, try {attempt}: body: {err:?}",
                        row.name
                    )
                });
                assert_eq!(
                    json["error"], row.code,
                    "{} over {version:?}: {json}",
                    row.name
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_before_the_body_reach_http2_and_http11_clients_whole() {
    // Every 401 row fails bank authentication from 127.0.0.1, far more often than the
    // per-address failure limit (finding 9) allows; that limit has its own test in http_api.rs.
    let provider = TestProvider::start_with(|config| {
        config.limits.bank_auth_failure_burst = 10_000;
        config.limits.bank_auth_failures_per_minute = 10_000;
    })
    .await
    .unwrap();
    let service = provider.service_id();
    let bank = provider.bank().unwrap();
    let user = bank.issue_test_token().await.unwrap();
    let rows = [
        Row {
            name: "issue without an API key",
            method: Method::POST,
            path: format!("/v1/services/{service}/tokens"),
            api_key: None,
            content_type: JSON,
            status: 401,
            code: "unauthorized",
        },
        Row {
            name: "verify with a wrong API key",
            method: Method::POST,
            path: format!("/v1/services/{service}/tokens/{user}/verify"),
            api_key: Some("st_AAAAAAAAAAAA.wrong"),
            content_type: JSON,
            status: 401,
            code: "unauthorized",
        },
        Row {
            name: "status over the size limit",
            method: Method::POST,
            path: "/v1/tokens/status".to_owned(),
            api_key: None,
            content_type: JSON,
            status: 413,
            code: "payload_too_large",
        },
        Row {
            name: "issue over the size limit",
            method: Method::POST,
            path: format!("/v1/services/{service}/tokens"),
            api_key: Some(leak(provider.api_key())),
            content_type: JSON,
            status: 413,
            code: "payload_too_large",
        },
        Row {
            name: "activation start as text/plain (a cross-site form)",
            method: Method::POST,
            path: "/v1/activations".to_owned(),
            api_key: None,
            content_type: "text/plain",
            status: 415,
            code: "unsupported_media_type",
        },
        Row {
            name: "unknown route",
            method: Method::POST,
            path: "/v1/nowhere".to_owned(),
            api_key: None,
            content_type: JSON,
            status: 404,
            code: "not_found",
        },
    ];
    check(&provider, &rows).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_requests_reach_http2_and_http11_clients_whole() {
    let provider = TestProvider::start_with(|config| {
        config.limits.device_requests_per_minute = 1;
        config.limits.device_burst = 1;
    })
    .await
    .unwrap();
    // The one request the bucket allows goes first; every later one is 429.
    let _ = tls::pinned_client(provider.ca_pem())
        .unwrap()
        .post(format!("{}/v1/tokens/status", provider.url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    let rows = [Row {
        name: "status over the per-address rate",
        method: Method::POST,
        path: "/v1/tokens/status".to_owned(),
        api_key: None,
        content_type: JSON,
        status: 429,
        code: "rate_limited",
    }];
    check(&provider, &rows).await;
}

/// Each row through `curl --http2` (h2 by ALPN, pinned to the provider's CA): the status, the
/// protocol and the error code, and curl's own exit status (0: no framing error).
async fn check_with_curl(provider: &TestProvider, rows: &[Row], body: &[u8]) {
    let tmp = tempfile::tempdir().unwrap();
    let body_file = tmp.path().join("body.json");
    std::fs::write(&body_file, body).unwrap();
    let data = format!("@{}", body_file.display());
    let ca = provider.ca_pem_path();
    for row in rows {
        for attempt in 0..TRIES {
            let url = format!("{}{}", provider.url(), row.path);
            let mut curl = tokio::process::Command::new("curl");
            curl.args(["--http2", "--silent", "--show-error", "--max-time", "10"])
                .arg("--cacert")
                .arg(&ca)
                .args(["--request", row.method.as_str()])
                .args(["--header", &format!("content-type: {}", row.content_type)])
                .args(["--data-binary", &data])
                .args(["--write-out", "\n%{http_version} %{http_code}"]);
            if let Some(key) = row.api_key {
                curl.args(["--header", &format!("authorization: Bearer {key}")]);
            }
            let out = curl
                .arg(&url)
                .output()
                .await
                .expect("curl (needed by this test)");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{} with curl, try {attempt}: {:?} {stderr}",
                row.name,
                out.status
            );
            let (json, trailer) = stdout.rsplit_once('\n').unwrap();
            assert_eq!(
                trailer,
                format!("2 {}", row.status),
                "{} with curl",
                row.name
            );
            let json: Value = serde_json::from_str(json).unwrap();
            assert_eq!(json["error"], row.code, "{} with curl: {json}", row.name);
        }
    }
}

/// The provider's key, for a row that outlives the borrow.
fn leak(key: &str) -> &'static str {
    Box::leak(key.to_owned().into_boxed_str())
}

/// A body beyond what the provider drains (1 MiB) still gets its reply over HTTP/2: the unread
/// rest is kept until the reply is out, and only then is the stream reset (`NO_ERROR`, the way
/// RFC 9113 §8.1 allows). HTTP/1.1 has no such way: there the connection closes after the reply,
/// and a client still writing may see the close first; curl 7.88 also takes the `NO_ERROR`
/// reset for a framing error (docs/security.md, known gaps).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_drain_limit_still_gets_its_reply_over_http2() {
    let provider = TestProvider::start().await.unwrap();
    let body = vec![b'{'; 3 * 1024 * 1024];
    let [(version, client), _] = clients(&provider);
    for attempt in 0..TRIES {
        let reply = client
            .post(format!("{}/v1/activations", provider.url()))
            .header("content-type", "text/plain")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|err| panic!("try {attempt}: {err:?}"));
        assert_eq!(reply.version(), version);
        assert_eq!(reply.status().as_u16(), 415);
        let json: Value = reply.json().await.unwrap();
        assert_eq!(json["error"], "unsupported_media_type");
    }
}
