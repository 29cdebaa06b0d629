#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
// Helpers outside #[test] functions fail the test with a message; that is their job.
#![allow(clippy::panic)]
//! Connection exhaustion (issue 12, finding 1): slow and silent clients cannot take the
//! provider down. While 1,500 slow clients (slow TLS handshakes and half-sent requests, mixed)
//! hold connections, bank calls and `/healthz` answer within a second; every slow connection is
//! closed after its timeout; over a cap, a new connection is closed at once.
//!
//! The slow clients come from 127.0.0.2 and up (Linux routes all of 127/8 to loopback), so the
//! per-address cap holds each source while the bank and the health check (127.0.0.1) go on.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use softtoken_server::conn::fd_limit;
use softtoken_testkit::{TestProvider, tls};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    sync::Semaphore,
    task::JoinSet,
    time::timeout,
};
use tokio_rustls::TlsConnector;

/// The timeouts the provider is given here (TLS handshake and header read), kept short so the
/// test ends quickly, long enough that every slow client is connected before the first expires.
const SLOW_TIMEOUT: Duration = Duration::from_secs(6);
/// How late a close may come after its timeout (a loaded CI machine).
const CLOSE_SLACK: Duration = Duration::from_secs(3);
/// How fast the bank and the health check must answer while the slow clients hold on.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// What a slow client does once connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slow {
    /// Sends the first bytes of a TLS record and no more: a handshake that never ends.
    Handshake,
    /// Completes the handshake, sends half a request head and no more.
    HalfRequest,
}

/// A TCP connection from `source` to the provider.
async fn connect_from(source: Ipv4Addr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    socket.connect(server).await
}

/// Reads until the provider closes (EOF or error); how long that took from `since`. `None` if
/// the connection was still open after `limit`.
async fn until_closed(
    mut read: impl AsyncReadExt + Unpin,
    since: Instant,
    limit: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 1024];
    let closed = timeout(limit, async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    closed.ok().map(|()| since.elapsed())
}

/// The provider's address.
fn addr(provider: &TestProvider) -> SocketAddr {
    provider
        .url()
        .strip_prefix("https://")
        .unwrap()
        .parse()
        .unwrap()
}

fn connector(provider: &TestProvider) -> TlsConnector {
    TlsConnector::from(Arc::new(tls::pinned_tls_config(provider.ca_pem()).unwrap()))
}

/// Raises this process's descriptor limit (it holds both ends of every connection) and checks
/// there is room for `sockets` beside the rest.
fn room_for(sockets: u64) {
    let limits = fd_limit::raise_to_hard().unwrap();
    assert!(
        limits.soft.is_none_or(|soft| soft >= sockets + 512),
        "this test needs RLIMIT_NOFILE of at least {}: {limits}",
        sockets + 512
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_neither_starve_the_bank_nor_stay() {
    const SOURCES: u8 = 15;
    const PER_SOURCE: usize = 100;
    room_for(2 * u64::from(SOURCES) * PER_SOURCE as u64);
    let provider = TestProvider::start_with(|config| {
        config.limits.tls_handshake_timeout_secs = SLOW_TIMEOUT.as_secs();
        config.limits.header_read_timeout_secs = SLOW_TIMEOUT.as_secs();
        config.limits.max_connections_per_ip = u32::try_from(PER_SOURCE).unwrap();
    })
    .await
    .unwrap();
    let server = addr(&provider);
    let bank = provider.bank().unwrap();
    let token = bank.issue_test_token().await.unwrap();

    // 1,500 slow clients; a few TLS handshakes at a time, so that connecting them all takes a
    // fraction of their timeout.
    let handshakes = Arc::new(Semaphore::new(32));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut clients = JoinSet::new();
    for source in 0..SOURCES {
        for i in 0..PER_SOURCE {
            let kind = if i % 2 == 0 {
                Slow::Handshake
            } else {
                Slow::HalfRequest
            };
            let (connector, handshakes, ready) =
                (connector(&provider), handshakes.clone(), ready_tx.clone());
            clients.spawn(async move {
                let from = Ipv4Addr::new(127, 0, 0, 2 + source);
                let mut tcp = connect_from(from, server).await.unwrap();
                let since;
                let closed = match kind {
                    Slow::Handshake => {
                        // A TLS handshake record header announcing 512 bytes, then silence.
                        tcp.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
                            .await
                            .unwrap();
                        since = Instant::now();
                        ready.send(()).unwrap();
                        until_closed(tcp, since, SLOW_TIMEOUT * 3).await
                    }
                    Slow::HalfRequest => {
                        let permit = handshakes.acquire_owned().await.unwrap();
                        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
                        let mut tls = connector.connect(name, tcp).await.unwrap();
                        drop(permit);
                        tls.write_all(b"POST /v1/tokens/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                            .await
                            .unwrap();
                        tls.flush().await.unwrap();
                        since = Instant::now();
                        ready.send(()).unwrap();
                        until_closed(tls, since, SLOW_TIMEOUT * 3).await
                    }
                };
                (kind, closed)
            });
        }
    }
    drop(ready_tx);
    let began = Instant::now();
    let total = usize::from(SOURCES) * PER_SOURCE;
    for _ in 0..total {
        timeout(SLOW_TIMEOUT, ready_rx.recv())
            .await
            .expect("slow clients took too long to connect")
            .unwrap();
    }
    let connected_in = began.elapsed();
    eprintln!("{total} slow clients connected in {connected_in:?}");
    assert!(connected_in < SLOW_TIMEOUT, "{connected_in:?}");

    // While they hold on: the bank and the health check, each on a fresh connection.
    for round in 0..3 {
        let started = Instant::now();
        let health = tls::pinned_client(provider.ca_pem())
            .unwrap()
            .get(format!("{}/healthz", provider.url()))
            .send();
        let health = timeout(ANSWER_WITHIN, health).await;
        let health = health.unwrap_or_else(|_| panic!("round {round}: /healthz timed out"));
        assert_eq!(health.unwrap().status(), 200);
        let fresh_bank = provider.bank().unwrap();
        let details = timeout(ANSWER_WITHIN, fresh_bank.details(&token)).await;
        let details = details.unwrap_or_else(|_| panic!("round {round}: the bank call timed out"));
        assert_eq!(details.unwrap().user_id.to_string(), token);
        eprintln!(
            "round {round}: health and bank call in {:?}",
            started.elapsed()
        );
    }

    // One connection more from a source at its cap is closed at once, before any byte.
    let mut extra = connect_from(Ipv4Addr::new(127, 0, 0, 2), server)
        .await
        .unwrap();
    let _ = extra.write_all(&[0x16]).await;
    let closed = until_closed(extra, Instant::now(), ANSWER_WITHIN).await;
    assert!(
        closed.is_some(),
        "a connection over the per-address cap stayed open"
    );

    // Every slow client is closed after its timeout, not before, and not much later.
    let mut closes = Vec::new();
    while let Some(done) = clients.join_next().await {
        let (kind, closed) = done.unwrap();
        let after = closed.unwrap_or_else(|| panic!("a {kind:?} client was never closed"));
        closes.push((kind, after));
    }
    for (kind, after) in &closes {
        assert!(
            // Measured from the client's side, after its last byte: the provider's clock for a
            // handshake began at the accept, a moment earlier.
            *after + Duration::from_millis(500) >= SLOW_TIMEOUT
                && *after <= SLOW_TIMEOUT + CLOSE_SLACK,
            "a {kind:?} client was closed after {after:?} (timeout {SLOW_TIMEOUT:?})"
        );
    }
    let latest = closes.iter().map(|(_, after)| *after).max().unwrap();
    eprintln!(
        "all {} slow clients closed, the last {latest:?} after it went quiet",
        closes.len()
    );
    // And their places are free again.
    let deadline = Instant::now() + CLOSE_SLACK;
    while provider.server().unwrap().connections_held() > 0 {
        assert!(
            Instant::now() < deadline,
            "connections still counted after they closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_the_cap_refuses_at_once() {
    const IDLE: Duration = Duration::from_secs(2);
    const MAX: usize = 8;
    let provider = TestProvider::start_with(|config| {
        config.limits.header_read_timeout_secs = IDLE.as_secs();
        config.limits.max_connections = u32::try_from(MAX).unwrap();
        config.limits.max_connections_per_ip = 0;
    })
    .await
    .unwrap();
    let server = addr(&provider);
    let name = || rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();

    // HTTP/1.1 keep-alive: one request answered, then silence: closed after the header read
    // timeout.
    let tcp = TcpStream::connect(server).await.unwrap();
    let mut keep_alive = connector(&provider).connect(name(), tcp).await.unwrap();
    keep_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    keep_alive.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let idle_since = Instant::now();
    let closed = until_closed(keep_alive, idle_since, IDLE * 4).await;
    let after = closed.expect("an idle keep-alive connection stayed open");
    assert!(
        after >= IDLE - Duration::from_millis(200) && after <= IDLE + CLOSE_SLACK,
        "{after:?}"
    );

    // A handshake completed and nothing asked (as an HTTP/2 client that never sends its
    // preface): closed after the same timeout.
    let tcp = TcpStream::connect(server).await.unwrap();
    let silent = connector(&provider).connect(name(), tcp).await.unwrap();
    let closed = until_closed(silent, Instant::now(), IDLE * 4).await;
    let after = closed.expect("a silent connection stayed open");
    assert!(after <= IDLE + CLOSE_SLACK, "{after:?}");

    // The overall cap: MAX connections held, the next one is closed at once.
    let mut held = Vec::new();
    for _ in 0..MAX {
        let tcp = TcpStream::connect(server).await.unwrap();
        held.push(connector(&provider).connect(name(), tcp).await.unwrap());
    }
    let over = TcpStream::connect(server).await.unwrap();
    let refused = timeout(ANSWER_WITHIN, connector(&provider).connect(name(), over)).await;
    assert!(
        matches!(refused, Ok(Err(_))),
        "a connection over the cap was not closed at once"
    );
    assert_eq!(provider.server().unwrap().connections_held(), MAX);
    // Once one goes, a new one is admitted.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let health = timeout(
        ANSWER_WITHIN * 2,
        tls::pinned_client(provider.ca_pem())
            .unwrap()
            .get(format!("{}/healthz", provider.url()))
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(health.status(), 200);
}
