#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! What the app core does when the provider misbehaves: error statuses, malformed, truncated and
//! oversized replies, a provider that never answers, a certificate from the wrong CA, the TLS
//! the app speaks (TLS 1.3 only; ECDSA and Ed25519 certificates), and the retry rules (only
//! idempotent requests are repeated, `Retry-After` is honoured). Each case checks the typed
//! [`CoreError`] and that nothing was written (no token, no seed).
//!
//! The real provider cannot be made to send most of these, so [`FaultProvider`] stands in for it.
//! Seeds go to a [`MemorySecretStore`] (the keyring plays no part in these faults), so these
//! tests need no session keyring.

use std::{
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use softtoken_core::{
    CoreConfig, CoreError, SoftToken, StoreChoice, Timeouts, TokenStatus,
    secret_store::{MemorySecretStore, SecretStore},
};
use softtoken_protocol::clock::{Clock as ServerClock, SystemClock as ServerSystemClock};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    secret::Seed,
    status::StatusKey,
    wire::{self, Bytes, DeviceInfo, StatusRequest, StatusResponse, TokenState, V1},
};
use softtoken_testkit::{
    TestProvider,
    fixtures::{ACTIVATION_PASSWORD as PASSWORD, SERVICE_ID as SERVICE},
};
use tempfile::TempDir;

const USER: &str = "12345678901234CI";
/// The whole-request timeout of every phone here.
const REQUEST_MS: u64 = 1500;

// ---------------------------------------------------------------------------------------------
// fault_provider
// ---------------------------------------------------------------------------------------------

/// One request as the fault provider received it.
#[derive(Debug, Clone)]
struct Request {
    /// 0 for the first request this provider received, 1 for the second, …
    n: usize,
    path: String,
    body: Vec<u8>,
}

/// The TLS stream of one connection, server side.
type Conn = rustls::StreamOwned<rustls::ServerConnection, TcpStream>;

/// How the fault provider answers a request: writes whatever it likes (or nothing) to the
/// connection, which is closed afterwards.
type Respond = dyn Fn(&Request, &mut Conn) -> io::Result<()> + Send + Sync;

/// fault_provider: a stand-in for faults the real provider can't produce (a 500 with an HTML
/// page, malformed JSON, truncated and oversized bodies, silence, a foreign certificate).
///
/// HTTPS on 127.0.0.1 with the real server's development TLS setup (`ensure_dev_tls` +
/// `load_server_config`), driven by blocking rustls on std threads: one thread accepts, one per
/// connection reads a single HTTP/1.1 request, hands it to `respond`, and closes. It counts the
/// requests it received in full, so tests can tell whether (and how often) the app tried.
struct FaultProvider {
    url: String,
    addr: SocketAddr,
    /// The CA that issued this provider's certificate, PEM: what a phone should pin.
    ca_pem: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    _dir: TempDir,
}

impl FaultProvider {
    /// A fault provider with the real server's development TLS setup.
    fn start(
        respond: impl Fn(&Request, &mut Conn) -> io::Result<()> + Send + Sync + 'static,
    ) -> FaultProvider {
        softtoken_server::tls::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let tls = softtoken_server::tls::ensure_dev_tls(dir.path()).unwrap();
        let config =
            softtoken_server::tls::load_server_config(&tls.cert_pem, &tls.key_pem).unwrap();
        let ca_pem = std::fs::read_to_string(&tls.ca_pem).unwrap();
        FaultProvider::start_with(config, ca_pem, dir, respond)
    }

    /// A fault provider with a TLS configuration of the test's making, whose certificate was
    /// issued by the CA `ca_pem`; `dir` lives as long as the provider.
    fn start_with(
        mut config: rustls::ServerConfig,
        ca_pem: String,
        dir: TempDir,
        respond: impl Fn(&Request, &mut Conn) -> io::Result<()> + Send + Sync + 'static,
    ) -> FaultProvider {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let respond: Arc<Respond> = Arc::new(respond);
        {
            let (requests, stop) = (Arc::clone(&requests), Arc::clone(&stop));
            thread::spawn(move || {
                for socket in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(socket) = socket else { continue };
                    let (config, requests, respond) = (
                        Arc::clone(&config),
                        Arc::clone(&requests),
                        Arc::clone(&respond),
                    );
                    thread::spawn(move || {
                        // Errors are the client's doing (it gave up, or refused our certificate).
                        let _ = serve_one(socket, config, &requests, &*respond);
                    });
                }
            });
        }
        FaultProvider {
            url: format!("https://{addr}"),
            addr,
            ca_pem,
            requests,
            stop,
            _dir: dir,
        }
    }

    /// How many requests arrived in full.
    fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// The paths of the requests that arrived, in order.
    fn paths(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }
}

impl Drop for FaultProvider {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_one(
    socket: TcpStream,
    config: Arc<rustls::ServerConfig>,
    requests: &Mutex<Vec<Request>>,
    respond: &Respond,
) -> io::Result<()> {
    socket.set_read_timeout(Some(Duration::from_secs(20)))?;
    socket.set_nodelay(true)?;
    let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut conn = rustls::StreamOwned::new(conn, socket);

    // Head: up to the blank line.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err(io::Error::other("request head too long"));
        }
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let content_length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    // Body: Content-Length bytes.
    let mut body = buf[head_end..].to_vec();
    while body.len() < content_length {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(content_length);

    let request = {
        let mut requests = requests.lock().unwrap();
        let request = Request {
            n: requests.len(),
            path,
            body,
        };
        requests.push(request.clone());
        request
    };
    respond(&request, &mut conn)?;
    close(&mut conn)
}

/// Ends the connection properly: TLS close_notify, then TCP FIN.
fn close(conn: &mut Conn) -> io::Result<()> {
    conn.conn.send_close_notify();
    conn.flush()?;
    conn.sock.shutdown(Shutdown::Write)
}

/// A complete HTTP/1.1 response.
fn http(status: &str, extra_headers: &[(&str, &str)], content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra_headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn json_error(code: &str) -> Vec<u8> {
    format!(
        r#"{{"error":"{code}","message":"fault provider says {code}","server_time_ms":{}}}"#,
        ServerSystemClock.now_ms()
    )
    .into_bytes()
}

/// Answers every request with the same bytes.
fn always(
    bytes: Vec<u8>,
) -> impl Fn(&Request, &mut Conn) -> io::Result<()> + Send + Sync + 'static {
    move |_, conn| conn.write_all(&bytes)
}

// ---------------------------------------------------------------------------------------------
// The phone
// ---------------------------------------------------------------------------------------------

/// A `SoftToken` with its data directory and its (memory) seed store.
struct Phone {
    core: SoftToken,
    store: Arc<MemorySecretStore>,
    _dir: TempDir,
}

impl Phone {
    /// A fresh phone talking to `url`, pinning `ca_pem`.
    fn new(url: &str, ca_pem: &str) -> Phone {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemorySecretStore::new());
        let core = core_at(url, ca_pem, dir.path(), &store);
        Phone {
            core,
            store,
            _dir: dir,
        }
    }

    /// Activates the test token (the IDs and password from the bank's letter).
    async fn activate(&self) -> Result<softtoken_core::TokenInfo, CoreError> {
        self.core.activate(SERVICE, USER, PASSWORD).await
    }

    /// No token in the metadata and no seed in the store.
    fn assert_nothing_written(&self) {
        assert_eq!(
            self.core.tokens().unwrap(),
            vec![],
            "no token may be written"
        );
        assert!(
            self.store.is_empty(),
            "no seed may be written: {:?}",
            self.store
        );
    }
}

fn core_at(url: &str, ca_pem: &str, data_dir: &Path, store: &Arc<MemorySecretStore>) -> SoftToken {
    SoftToken::new(CoreConfig {
        provider_url: url.to_owned(),
        provider_ca_pem: ca_pem.to_owned(),
        data_dir: data_dir.to_path_buf(),
        secret_store: StoreChoice::Foreign(Arc::clone(store) as Arc<dyn SecretStore>),
        clock: None,
        timeouts: Timeouts {
            connect_ms: 1500,
            request_ms: REQUEST_MS,
        },
        device: DeviceInfo {
            platform: "linux".into(),
            model: Some("provider_faults".into()),
            app_version: None,
        },
    })
    .unwrap()
}

/// A provider URL where nothing listens.
const CLOSED_PORT: &str = "https://127.0.0.1:1";

/// Any parseable CA, for phones that must never get as far as TLS.
fn some_ca() -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let tls = softtoken_server::tls::ensure_dev_tls(dir.path()).unwrap();
    let pem = std::fs::read_to_string(tls.ca_pem).unwrap();
    (dir, pem)
}

fn assert_retryable_network(result: Result<impl std::fmt::Debug, CoreError>, what: &str) {
    match result {
        Err(CoreError::Network {
            retryable: true, ..
        }) => {}
        other => panic!("{what}: expected Network {{ retryable: true }}, got {other:?}"),
    }
}

fn assert_protocol(result: Result<impl std::fmt::Debug, CoreError>, what: &str) -> String {
    match result {
        Err(CoreError::Protocol { reason }) => reason,
        other => panic!("{what}: expected Protocol, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Error statuses and bad replies to activation (not idempotent: tried exactly once)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn activation_500_with_json_error_is_retryable_network_and_sent_once() {
    let fault = FaultProvider::start(always(http(
        "500 Internal Server Error",
        &[],
        "application/json",
        &json_error("internal"),
    )));
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    assert_retryable_network(phone.activate().await, "500 internal");
    assert_eq!(
        fault.paths(),
        vec!["/v1/activations"],
        "activation start is not idempotent: exactly one request"
    );
    phone.assert_nothing_written();
}

#[tokio::test]
async fn activation_500_with_an_html_page_is_retryable_network() {
    let page = b"<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>";
    let fault = FaultProvider::start(always(http(
        "500 Internal Server Error",
        &[],
        "text/html",
        page,
    )));
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    assert_retryable_network(phone.activate().await, "500 with HTML");
    assert_eq!(fault.hits(), 1);
    phone.assert_nothing_written();
}

#[tokio::test]
async fn activation_200_with_malformed_json_is_protocol() {
    for body in [
        &br#"{"v":1,"activation_id":"#[..],
        b"<html>proxy login</html>",
        b"{}",
        b"",
    ] {
        let fault = FaultProvider::start(always(http("200 OK", &[], "application/json", body)));
        let phone = Phone::new(&fault.url, &fault.ca_pem);
        assert_protocol(
            phone.activate().await,
            &format!("200 with {:?}", String::from_utf8_lossy(body)),
        );
        assert_eq!(fault.hits(), 1);
        phone.assert_nothing_written();
    }
}

#[tokio::test]
async fn a_reply_that_is_not_http_is_protocol() {
    let fault = FaultProvider::start(always(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()));
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    let reason = assert_protocol(phone.activate().await, "not HTTP");
    assert!(reason.contains("not valid HTTP"), "{reason}");
    assert_eq!(fault.hits(), 1);
    phone.assert_nothing_written();
}

/// A reply whose connection ends before Content-Length bytes arrived. The provider did not send
/// something wrong: the connection broke mid-reply (as mobile networks do), so this is a
/// network failure worth retrying, not a protocol error.
#[tokio::test]
async fn activation_200_with_a_truncated_body_is_retryable_network() {
    for clean_close in [true, false] {
        let fault = FaultProvider::start(move |_, conn| {
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"v\":1,\"activation\"")?;
            if clean_close {
                Ok(())
            } else {
                // No close_notify: the TCP connection just ends (connection lost).
                conn.flush()?;
                conn.sock.shutdown(Shutdown::Both)?;
                Err(io::Error::other("closed abruptly"))
            }
        });
        let phone = Phone::new(&fault.url, &fault.ca_pem);
        let started = Instant::now();
        let result = phone.activate().await;
        assert!(
            matches!(
                result,
                Err(CoreError::Network {
                    retryable: true,
                    ..
                })
            ),
            "a reply cut short (clean TLS close: {clean_close}) is a broken connection, so \
             Network {{ retryable: true }}, not Protocol; got {result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(REQUEST_MS),
            "noticed at once, not by timeout"
        );
        assert_eq!(fault.hits(), 1);
        phone.assert_nothing_written();
    }
}

/// A reply larger than `MAX_RESPONSE_BYTES` is refused as soon as that is known, without waiting
/// for the rest: the fault provider sends part of it and then stalls for longer than the request
/// timeout, so reading it all would end in a timeout (Network) instead.
#[tokio::test]
async fn activation_200_with_an_oversized_body_is_protocol_without_reading_it_all() {
    let stall = Duration::from_millis(REQUEST_MS * 3);
    // Declared up front by Content-Length.
    let declared = FaultProvider::start(move |_, conn| {
        conn.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n",
        )?;
        conn.write_all(&vec![b' '; 70_000])?;
        conn.flush()?;
        thread::sleep(stall);
        conn.write_all(&vec![b' '; 130_000])
    });
    // Chunked, so only counting tells.
    let chunked = FaultProvider::start(move |_, conn| {
        conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")?;
        for _ in 0..20 {
            conn.write_all(b"1000\r\n")?;
            conn.write_all(&[b' '; 0x1000])?;
            conn.write_all(b"\r\n")?;
        }
        conn.flush()?;
        thread::sleep(stall);
        conn.write_all(b"0\r\n\r\n")
    });
    for (what, fault) in [
        ("Content-Length: 200000", &declared),
        ("chunked, 80 KiB", &chunked),
    ] {
        let phone = Phone::new(&fault.url, &fault.ca_pem);
        let started = Instant::now();
        let reason = assert_protocol(phone.activate().await, what);
        assert!(reason.contains("too large"), "{what}: {reason}");
        assert!(
            started.elapsed() < Duration::from_millis(REQUEST_MS),
            "{what}: refused at once, took {:?}",
            started.elapsed()
        );
        assert_eq!(fault.hits(), 1);
        phone.assert_nothing_written();
    }
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out_as_retryable_network() {
    let fault = FaultProvider::start(|_, _| {
        thread::sleep(Duration::from_millis(REQUEST_MS * 4));
        Ok(())
    });
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    let started = Instant::now();
    assert_retryable_network(phone.activate().await, "no answer");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(REQUEST_MS - 100)
            && took < Duration::from_millis(REQUEST_MS * 2),
        "gives up after about request_ms ({REQUEST_MS} ms), took {took:?}"
    );
    assert_eq!(fault.hits(), 1, "activation start is not retried");
    phone.assert_nothing_written();
}

#[tokio::test]
async fn a_provider_that_hangs_up_without_answering_is_retryable_network() {
    let fault = FaultProvider::start(|_, _| Ok(()));
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    assert_retryable_network(phone.activate().await, "closed without a reply");
    assert_eq!(fault.hits(), 1, "activation start is not retried");
    phone.assert_nothing_written();
}

#[tokio::test]
async fn a_reply_that_stalls_mid_body_times_out_as_retryable_network() {
    let fault = FaultProvider::start(|_, conn| {
        conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"v\":1,")?;
        conn.flush()?;
        thread::sleep(Duration::from_millis(REQUEST_MS * 4));
        Ok(())
    });
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    let started = Instant::now();
    assert_retryable_network(phone.activate().await, "stalled body");
    assert!(
        started.elapsed() < Duration::from_millis(REQUEST_MS * 2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(fault.hits(), 1);
    phone.assert_nothing_written();
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_a_tls_error_and_no_request_is_sent() {
    let fault = FaultProvider::start(always(http(
        "500 Internal Server Error",
        &[],
        "application/json",
        &json_error("internal"),
    )));
    // The phone pins another development CA (dir B) than the one that issued the certificate.
    let (_other_dir, other_ca) = some_ca();
    assert_ne!(other_ca, fault.ca_pem);
    let phone = Phone::new(&fault.url, &other_ca);
    match phone.activate().await {
        Err(CoreError::Tls { reason }) => assert!(!reason.is_empty()),
        other => panic!("expected Tls, got {other:?}"),
    }
    assert_eq!(
        fault.hits(),
        0,
        "nothing may be sent to a provider that is not the pinned one"
    );
    phone.assert_nothing_written();
}

// ---------------------------------------------------------------------------------------------
// The TLS the phone speaks (docs/protocol.md, "Transport"): TLS 1.3 only; certificates on
// ECDSA P-256 (the development CA's), P-384 or Ed25519; a base URL may carry a path.
// ---------------------------------------------------------------------------------------------

/// A server configuration for `versions` whose certificate (for 127.0.0.1) and CA both use
/// `alg`, and the CA's PEM for the phone to pin.
fn tls_with(
    alg: &'static rcgen::SignatureAlgorithm,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (rustls::ServerConfig, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate_for(alg).unwrap();
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "fault provider CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate_for(alg).unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &Issuer::from_params(&ca, &ca_key))
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls_pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    )
    .unwrap();
    (config, ca_cert.pem())
}

/// A reply that only a completed HTTPS exchange can produce.
fn locked() -> impl Fn(&Request, &mut Conn) -> io::Result<()> + Send + Sync + 'static {
    always(http(
        "423 Locked",
        &[],
        "application/json",
        &json_error("activation_locked"),
    ))
}

#[tokio::test]
async fn provider_certificates_on_p384_and_ed25519_are_accepted() {
    for alg in [&rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_ED25519] {
        let (config, ca_pem) = tls_with(alg, &[&rustls::version::TLS13]);
        let fault =
            FaultProvider::start_with(config, ca_pem, tempfile::tempdir().unwrap(), locked());
        let phone = Phone::new(&fault.url, &fault.ca_pem);
        assert_eq!(
            phone.activate().await.unwrap_err(),
            CoreError::ActivationLocked,
            "{alg:?}"
        );
    }
}

#[tokio::test]
async fn a_provider_offering_only_tls_1_2_is_a_tls_error_and_no_request_is_sent() {
    let (config, ca_pem) = tls_with(&rcgen::PKCS_ECDSA_P256_SHA256, &[&rustls::version::TLS12]);
    let fault = FaultProvider::start_with(config, ca_pem, tempfile::tempdir().unwrap(), locked());
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    match phone.activate().await {
        Err(CoreError::Tls { reason }) => assert!(reason.contains("ProtocolVersion"), "{reason}"),
        other => panic!("expected Tls, got {other:?}"),
    }
    assert_eq!(fault.hits(), 0);
    phone.assert_nothing_written();
}

#[tokio::test]
async fn a_base_url_with_a_path_prefixes_every_request() {
    let fault = FaultProvider::start(locked());
    let phone = Phone::new(&format!("{}/softtoken/", fault.url), &fault.ca_pem);
    assert_eq!(
        phone.activate().await.unwrap_err(),
        CoreError::ActivationLocked
    );
    assert_eq!(fault.paths(), vec!["/softtoken/v1/activations"]);
}

// ---------------------------------------------------------------------------------------------
// Retries: only idempotent requests (status refresh), never activation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn activation_is_tried_once_against_503() {
    let fault = FaultProvider::start(always(http(
        "503 Service Unavailable",
        &[],
        "application/json",
        &json_error("unavailable"),
    )));
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    assert_retryable_network(phone.activate().await, "503");
    assert_eq!(
        fault.hits(),
        1,
        "activation start is not idempotent: exactly one request"
    );
    phone.assert_nothing_written();
}

/// A token activated against the real provider (the test kit's), whose data directory and seed
/// store a second `SoftToken` pointed at a fault provider then reuses.
struct Activated {
    dir: TempDir,
    store: Arc<MemorySecretStore>,
    token_id: String,
    service_id: ServiceId,
    user_id: UserId,
}

impl Activated {
    async fn new() -> Activated {
        let mut real = TestProvider::start().await.unwrap();
        let user_id = real.bank().unwrap().issue_test_token().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemorySecretStore::new());
        let phone = core_at(real.url(), real.ca_pem(), dir.path(), &store);
        let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
        assert_eq!(info.status, TokenStatus::PendingConfirmation);
        // From here on the phone only meets fault providers.
        real.stop().await;
        Activated {
            dir,
            store,
            token_id: info.id,
            service_id: ServiceId::parse(SERVICE).unwrap(),
            user_id: UserId::parse(&user_id).unwrap(),
        }
    }

    /// The same phone (data directory and seed store), now talking to `fault`.
    fn phone_at(&self, fault: &FaultProvider) -> SoftToken {
        core_at(&fault.url, &fault.ca_pem, self.dir.path(), &self.store)
    }

    /// The seed as the keystore holds it (format v1: version, algorithm, seed).
    fn seed(&self) -> Seed {
        let stored = self
            .store
            .get(format!(
                "{}/{}",
                softtoken_core::keystore::SEED_SERVICE,
                self.token_id
            ))
            .unwrap()
            .unwrap();
        assert_eq!(stored[0], softtoken_core::keystore::SEED_FORMAT_VERSION);
        Seed::from_vec(stored[2..].to_vec())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_retries_503_three_times_in_all_and_changes_nothing() {
    let activated = Activated::new().await;
    let fault = FaultProvider::start(always(http(
        "503 Service Unavailable",
        &[],
        "application/json",
        &json_error("unavailable"),
    )));
    let phone = activated.phone_at(&fault);
    let before = phone.tokens().unwrap();
    assert_retryable_network(phone.refresh(&activated.token_id).await, "503 on refresh");
    assert_eq!(
        fault.paths(),
        vec!["/v1/tokens/status"; 3],
        "an idempotent request is tried three times in all"
    );
    assert_eq!(
        phone.tokens().unwrap(),
        before,
        "a failed refresh changes nothing"
    );
    assert_eq!(activated.store.len(), 1);

    // Activation against the same provider: once.
    let fresh = Phone::new(&fault.url, &fault.ca_pem);
    assert_retryable_network(fresh.activate().await, "503 on activation");
    assert_eq!(
        fault.hits(),
        4,
        "activation start is not idempotent: exactly one more request"
    );
    fresh.assert_nothing_written();
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_honours_retry_after_then_succeeds() {
    let activated = Activated::new().await;
    let key = StatusKey::derive(&activated.seed(), &activated.service_id, &activated.user_id);
    const AHEAD_MS: u64 = 300_000;
    let fault = FaultProvider::start(move |request, conn| {
        if request.n == 0 {
            let body = format!(
                r#"{{"error":"rate_limited","message":"slow down","retry_after_s":1,"server_time_ms":{}}}"#,
                ServerSystemClock.now_ms()
            );
            return conn.write_all(&http(
                "429 Too Many Requests",
                &[("Retry-After", "1")],
                "application/json",
                body.as_bytes(),
            ));
        }
        let status: StatusRequest = wire::decode(&request.body, 4096).unwrap();
        assert!(
            key.verify_request(
                status.nonce.as_slice(),
                status.time_ms,
                status.proof.as_slice()
            ),
            "the app proves it holds the seed"
        );
        // A provider clock five minutes ahead, so the new offset is visible (and flagged).
        let server_time_ms = ServerSystemClock.now_ms() + AHEAD_MS;
        let reply = StatusResponse {
            v: V1,
            state: TokenState::Active,
            server_time_ms,
            replaced_at_ms: None,
            mac: Bytes(
                key.response_mac(
                    status.nonce.as_slice(),
                    TokenState::Active,
                    server_time_ms,
                    None,
                )
                .to_vec(),
            ),
        };
        conn.write_all(&http(
            "200 OK",
            &[],
            "application/json",
            &wire::encode(&reply),
        ))
    });
    let phone = activated.phone_at(&fault);
    let started = Instant::now();
    let info = phone.refresh(&activated.token_id).await.unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(950),
        "waited the Retry-After second, took {took:?}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(fault.paths(), vec!["/v1/tokens/status"; 2]);
    assert_eq!(info.status, TokenStatus::Active);
    let drift = info.clock_offset_ms - i64::try_from(AHEAD_MS).unwrap();
    assert!(drift.abs() < 2_000, "offset {} ms", info.clock_offset_ms);
    assert!(info.clock_skewed);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_does_not_wait_out_a_long_retry_after() {
    let activated = Activated::new().await;
    let body = format!(
        r#"{{"error":"rate_limited","message":"later","retry_after_s":60,"server_time_ms":{}}}"#,
        ServerSystemClock.now_ms()
    );
    let fault = FaultProvider::start(always(http(
        "429 Too Many Requests",
        &[("Retry-After", "60")],
        "application/json",
        body.as_bytes(),
    )));
    let phone = activated.phone_at(&fault);
    let before = phone.tokens().unwrap();
    let started = Instant::now();
    assert_retryable_network(
        phone.refresh(&activated.token_id).await,
        "429 Retry-After: 60",
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        fault.hits(),
        1,
        "a Retry-After beyond the client's limit is left to the user"
    );
    assert_eq!(phone.tokens().unwrap(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_with_a_forged_status_reply_is_protocol_and_changes_nothing() {
    let activated = Activated::new().await;
    let fault = FaultProvider::start(|_, conn| {
        let reply = StatusResponse {
            v: V1,
            state: TokenState::Revoked,
            server_time_ms: ServerSystemClock.now_ms(),
            replaced_at_ms: None,
            mac: Bytes(vec![0; 32]),
        };
        conn.write_all(&http(
            "200 OK",
            &[],
            "application/json",
            &wire::encode(&reply),
        ))
    });
    let phone = activated.phone_at(&fault);
    let before = phone.tokens().unwrap();
    assert_protocol(
        phone.refresh(&activated.token_id).await,
        "unauthentic status reply",
    );
    assert_eq!(fault.hits(), 1, "a reply that arrived whole is not retried");
    assert_eq!(
        phone.tokens().unwrap(),
        before,
        "an unauthenticated 'revoked' must not kill the token"
    );
    assert!(phone.current_code(&activated.token_id).is_ok());
}

/// Issue 12, finding 2, at activation: a TLS front (holding a certificate the app pins) passes
/// every request to the real provider but moves the finish reply's `server_time_ms`, which the
/// server confirmation does not cover, three hours ahead. The app takes its clock offset only
/// from the MAC-verified status reply it asks for next, so the offset stays true.
#[tokio::test(flavor = "multi_thread")]
async fn activation_takes_the_clock_from_a_verified_reply_not_from_the_finish_reply() {
    const SHIFT_MS: u64 = 3 * 3600 * 1000;
    let real = TestProvider::start().await.unwrap();
    let user_id = real.bank().unwrap().issue_test_token().await.unwrap();
    let upstream = real.url().to_owned();
    let client = softtoken_testkit::tls::pinned_client(real.ca_pem()).unwrap();
    let runtime = tokio::runtime::Handle::current();
    let front = FaultProvider::start(move |request, conn| {
        let (status, body) = runtime.block_on(async {
            let reply = client
                .post(format!("{upstream}{}", request.path))
                .header("content-type", "application/json")
                .body(request.body.clone())
                .send()
                .await
                .unwrap();
            (reply.status(), reply.bytes().await.unwrap().to_vec())
        });
        let body = if request.path.ends_with("/finish") && status.is_success() {
            let mut reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let moved = reply["server_time_ms"].as_u64().unwrap() + SHIFT_MS;
            reply["server_time_ms"] = moved.into();
            serde_json::to_vec(&reply).unwrap()
        } else {
            body
        };
        let status_line = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        conn.write_all(&http(&status_line, &[], "application/json", &body))
    });
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemorySecretStore::new());
    let phone = core_at(&front.url, &front.ca_pem, dir.path(), &store);
    let info = phone.activate(SERVICE, &user_id, PASSWORD).await.unwrap();
    assert!(
        info.clock_offset_ms.abs() < 5_000,
        "offset {} ms: the finish reply's time was used",
        info.clock_offset_ms
    );
    assert_eq!(
        fault_paths_tail(&front),
        "/v1/tokens/status",
        "{:?}",
        front.paths()
    );
    assert!(!info.clock_skewed);
}

fn fault_paths_tail(fault: &FaultProvider) -> String {
    fault.paths().last().cloned().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Typed input is checked before anything is sent
// ---------------------------------------------------------------------------------------------

/// `USER` with two adjacent digits swapped: the check letters catch it.
fn typo() -> String {
    let mut chars: Vec<char> = USER.chars().collect();
    chars.swap(0, 1);
    let typo: String = chars.into_iter().collect();
    assert_ne!(typo, USER);
    typo
}

#[tokio::test]
async fn a_user_id_typo_is_invalid_user_id_and_sends_nothing() {
    assert!(UserId::parse(USER).is_ok(), "the test's User ID is valid");
    let fault = FaultProvider::start(always(http(
        "500 Internal Server Error",
        &[],
        "application/json",
        &json_error("internal"),
    )));
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    assert!(
        matches!(
            phone.core.activate(SERVICE, &typo(), PASSWORD).await,
            Err(CoreError::InvalidUserId { .. })
        ),
        "a typo is caught by the check letters"
    );
    assert_eq!(fault.hits(), 0);
    phone.assert_nothing_written();

    // Against a closed port too: the error is the typo, not the network.
    let (_ca_dir, ca) = some_ca();
    let offline = Phone::new(CLOSED_PORT, &ca);
    match offline.core.activate(SERVICE, &typo(), PASSWORD).await {
        Err(CoreError::InvalidUserId { .. }) => {}
        other => panic!("expected InvalidUserId before any network use, got {other:?}"),
    }
    offline.assert_nothing_written();
}

#[tokio::test]
async fn full_width_ids_pass_local_checks_and_reach_the_network() {
    let (_ca_dir, ca) = some_ca();
    let phone = Phone::new(CLOSED_PORT, &ca);
    let full_width_service: String = SERVICE
        .chars()
        .map(|c| char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap())
        .collect();
    assert_eq!(full_width_service, "１０１２１２３４");
    let result = phone
        .core
        .activate(&full_width_service, USER, PASSWORD)
        .await;
    assert_retryable_network(result, "full-width Service ID to a closed port");
    phone.assert_nothing_written();
}

#[tokio::test]
async fn an_empty_password_is_invalid_input_and_sends_nothing() {
    let fault = FaultProvider::start(always(http(
        "500 Internal Server Error",
        &[],
        "application/json",
        &json_error("internal"),
    )));
    let phone = Phone::new(&fault.url, &fault.ca_pem);
    match phone.core.activate(SERVICE, USER, "").await {
        Err(CoreError::InvalidInput { .. }) => {}
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert_eq!(fault.hits(), 0);
    phone.assert_nothing_written();

    let (_ca_dir, ca) = some_ca();
    let offline = Phone::new(CLOSED_PORT, &ca);
    match offline.core.activate(SERVICE, USER, "").await {
        Err(CoreError::InvalidInput { .. }) => {}
        other => panic!("expected InvalidInput before any network use, got {other:?}"),
    }
    offline.assert_nothing_written();
}

// ---------------------------------------------------------------------------------------------
// 取引認証: a forged list or decision reply (docs/protocol.md §9.5)
// ---------------------------------------------------------------------------------------------

/// A relay between the phone and the provider changes the payee's account in the pending list
/// but cannot recompute the provider's MAC: the phone shows nothing and says "possible
/// interception". The genuine list then shows; a decision whose confirmation MAC is forged is
/// refused the same way. (A fake provider: the real one cannot be made to forge its MAC.)
#[tokio::test(flavor = "multi_thread")]
async fn a_forged_transaction_list_or_decision_reply_is_possible_interception() {
    use softtoken_protocol::{
        totp::Algorithm,
        transaction::{
            AccountNumber, AccountType, Amount, BankCode, BranchCode, HolderName, Payee,
            Transaction, TransactionId, TransactionKeys, TransactionState,
        },
        wire::{DecisionResponse, TransactionListRequest, TransactionListResponse},
    };

    let activated = Activated::new().await;
    let keys = TransactionKeys::derive(
        &activated.seed(),
        Algorithm::Sha1,
        &activated.service_id,
        &activated.user_id,
    );
    let genuine = Transaction {
        id: TransactionId::generate().unwrap(),
        service_id: activated.service_id,
        user_id: activated.user_id,
        payee: Payee {
            bank_code: BankCode::parse("0001").unwrap(),
            branch_code: BranchCode::parse("101").unwrap(),
            account_type: AccountType::Ordinary,
            account_number: AccountNumber::parse("1234567").unwrap(),
            name: HolderName::parse("ﾔﾏﾀﾞ ﾀﾛｳ").unwrap(),
        },
        amount: Amount::jpy(50_000).unwrap(),
        reference: None,
        expires_at_ms: ServerSystemClock.now_ms() + 300_000,
    };
    let transaction_id = genuine.id.as_str().to_owned();
    let fault = FaultProvider::start(move |request, conn| {
        let reply = match request.path.as_str() {
            "/v1/tokens/transactions" => {
                let asked: TransactionListRequest = wire::decode(&request.body, 4096).unwrap();
                let mut reply = TransactionListResponse::new(
                    &keys,
                    asked.nonce.as_slice(),
                    TokenState::Active,
                    ServerSystemClock.now_ms(),
                    std::slice::from_ref(&genuine),
                );
                if request.n == 0 {
                    // The relay's change: its account instead of the user's, MAC untouched.
                    reply.transactions[0].payee.account_number = "7654321".into();
                }
                wire::encode(&reply)
            }
            _ => wire::encode(&DecisionResponse {
                v: V1,
                transaction_id: genuine.id,
                state: TransactionState::Approved,
                server_time_ms: ServerSystemClock.now_ms(),
                mac: Bytes(vec![0; 32]),
            }),
        };
        conn.write_all(&http("200 OK", &[], "application/json", &reply))
    });
    let phone = activated.phone_at(&fault);
    let before = phone.tokens().unwrap();

    let err = phone
        .pending_transactions(&activated.token_id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::PossibleInterception { .. }),
        "{err:?}"
    );
    assert_eq!(phone.tokens().unwrap(), before, "nothing stored");
    assert_eq!(
        phone
            .transaction_code(&activated.token_id, &transaction_id)
            .unwrap_err(),
        CoreError::TransactionNotFound,
        "nothing of a forged list can be acted on"
    );

    let shown = phone
        .pending_transactions(&activated.token_id)
        .await
        .unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].account_number, "1234567");
    assert_eq!(shown[0].payee_name, "ヤマダ タロウ");
    assert_eq!(shown[0].amount_yen_sign(), "¥50,000");

    let err = phone
        .approve_transaction(&activated.token_id, &transaction_id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoreError::PossibleInterception { .. }),
        "{err:?}"
    );
    assert_eq!(
        fault.paths(),
        [
            "/v1/tokens/transactions",
            "/v1/tokens/transactions",
            "/v1/transactions/decision"
        ],
        "a decision is sent once"
    );
}
