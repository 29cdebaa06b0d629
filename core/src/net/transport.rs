//! One HTTPS POST to the provider through reqwest: TLS 1.3 with the pinned CA ([`super::tls`]),
//! HTTP/1.1, a reply read up to [`MAX_RESPONSE_BYTES`] and no further.
//!
//! # The client
//!
//! | setting | why |
//! |---|---|
//! | `tls_backend_preconfigured` | the narrow rustls configuration of [`super::tls`] (TLS 1.3, ring, the pinned CA as the only roots: the same "certs only" trust that `tls_certs_only` gives, without reqwest building a second configuration; `add_root_certificate` would go through the platform verifier, which fails on Android) |
//! | `http1_only`, `https_only` | the provider link speaks HTTPS/1.1 (no `http2` feature either) |
//! | `redirect(Policy::none())` | a 3xx is an unexpected reply, never followed |
//! | `retry(never())` | retries are [`super::ProviderClient`]'s, which knows which requests are idempotent |
//! | `no_proxy()` | no `HTTPS_PROXY` from the environment: the app talks to its provider only |
//! | `pool_max_idle_per_host(0)` | one connection per request, closed after the reply (below) |
//! | `tcp_nodelay(true)` | no small write waits for a delayed ACK (reqwest's default is already on; set so it stays on). Today hyper writes each request in one go, so turning it off changed nothing on loopback (core bench); the provider's side is where it mattered |
//! | `connect_timeout`, `timeout` | [`Timeouts`]: TCP + TLS, and the whole exchange including the body |
//!
//! Why a connection per request: the app makes one or two requests per user action, and the
//! activation POSTs must never be sent twice. A pooled connection that the provider closed in
//! the meantime (Argon2id runs between the two activation requests, for seconds on a slow
//! phone) would fail such a request for nothing, or tempt a retry that is not safe. A fresh
//! TLS 1.3 handshake costs one round trip more, once per request: measured with the core
//! bench on loopback, a pool (5 s idle timeout) took the finish round trip from 2.25 to
//! 1.42 ms, which is noise next to Argon2id.
//!
//! Cancellation: with no pool, the TCP connect and TLS handshake run inside the request's own
//! future, and once connected the connection task closes the socket as soon as nobody waits
//! for its reply. Dropping the future (a cancelled coroutine or Swift task) ends the exchange.
//!
//! # Failures
//!
//! | what happened | [`CoreError`] |
//! |---|---|
//! | connect or whole-request timeout | `Network { retryable: true }` "timed out" |
//! | a rustls error anywhere in the error's sources (wrong CA, TLS 1.2 only, an alert, a record that does not decrypt mid-reply) | `Tls` |
//! | the reply is not HTTP | `Protocol` "not valid HTTP" |
//! | the provider closed before answering | `Network { retryable: true }` |
//! | TCP connect failed, or the connection closed during the handshake | `Network { retryable: true }` |
//! | the connection broke during the reply (body cut short, with or without `close_notify`) | `Network { retryable: true }` |
//! | the reply is over [`MAX_RESPONSE_BYTES`] (declared, or counted while reading) | `Protocol` "reply too large" |

use std::{error::Error as StdError, time::Duration};

use bytes::Bytes;
use reqwest::{StatusCode, header};
use softtoken_protocol::wire::MAX_RESPONSE_BYTES;

use super::{Timeouts, endpoint::Endpoint};
use crate::error::CoreError;

/// Sent with every request, so a provider's logs can tell app versions apart.
const USER_AGENT: &str = concat!("softtoken-core/", env!("CARGO_PKG_VERSION"));

/// A provider reply, before its body is decoded.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    /// `Retry-After` in seconds, when the provider sent one.
    pub retry_after_s: Option<u64>,
    pub body: Vec<u8>,
}

/// Sends requests to one provider.
#[derive(Clone)]
pub(crate) struct Transport {
    endpoint: Endpoint,
    client: reqwest::Client,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport to `base_url` (a trailing `/` is ignored) with the TLS configuration `tls`.
    pub fn new(
        base_url: &str,
        tls: rustls::ClientConfig,
        timeouts: Timeouts,
    ) -> Result<Self, CoreError> {
        let endpoint = Endpoint::parse(base_url)?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .http1_only()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .pool_max_idle_per_host(0)
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_millis(timeouts.connect_ms))
            .timeout(Duration::from_millis(timeouts.request_ms))
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| CoreError::Tls {
                reason: format!("the HTTPS client cannot be set up: {e}"),
            })?;
        Ok(Self { endpoint, client })
    }

    /// POSTs `body` (JSON) to `path` under the base URL. The request timeout covers everything,
    /// the connection and the whole reply included; the connect timeout covers TCP and TLS.
    pub async fn post(&self, path: &str, body: Bytes) -> Result<Reply, CoreError> {
        let response = self
            .client
            .post(self.endpoint.url(path))
            .header(header::HOST, self.endpoint.authority())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| map_reqwest(&e))?;
        read_reply(response).await
    }
}

/// Reads status, `Retry-After` and the body, refusing a body over [`MAX_RESPONSE_BYTES`]
/// without reading it all: a declared length is refused before reading, a chunked body as soon
/// as the count passes the bound.
async fn read_reply(mut response: reqwest::Response) -> Result<Reply, CoreError> {
    let too_large = || CoreError::Protocol {
        reason: "reply too large".into(),
    };
    let status = response.status();
    let retry_after_s = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    if response
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| map_reqwest(&e))? {
        if body.len().saturating_add(chunk.len()) > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        retry_after_s,
        body,
    })
}

/// The one place reqwest's errors become [`CoreError`]s (the table in the module docs).
fn map_reqwest(err: &reqwest::Error) -> CoreError {
    let network = |reason: &str| CoreError::Network {
        retryable: true,
        reason: reason.into(),
    };
    if err.is_timeout() {
        return network("the provider timed out");
    }
    if let Some(tls) = tls_error(err) {
        return tls;
    }
    if let Some(http) = find_source::<hyper::Error>(err) {
        if http.is_parse() || http.is_parse_status() {
            return CoreError::Protocol {
                reason: "the provider's reply is not valid HTTP".into(),
            };
        }
        if http.is_incomplete_message() {
            return network("the provider closed the connection before answering");
        }
    }
    if err.is_builder() {
        return CoreError::Protocol {
            reason: "the request cannot be built".into(),
        };
    }
    if err.is_connect() {
        return network("cannot connect to the provider");
    }
    if err.is_body() || err.is_decode() {
        // The connection ended (or broke) before the whole reply arrived: a network failure
        // like any other lost connection, worth retrying.
        return network("the connection to the provider broke during the reply");
    }
    network("the connection to the provider failed")
}

/// The first error of type `E` in `err`'s chain of sources.
fn find_source<'a, E: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    sources(err).find_map(|e| e.downcast_ref::<E>())
}

/// `err` and its sources, in order. tokio-rustls (under reqwest's connector) wraps rustls's
/// error in an `io::Error`, and `io::Error::source()` skips the error it wraps, so after an
/// `io::Error` comes the wrapped error itself.
fn sources<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&current| {
        match current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(wrapped) => Some(wrapped as &(dyn StdError + 'static)),
            None => current.source(),
        }
    })
}

/// The rustls error somewhere in `err`'s sources, as a [`CoreError::Tls`]: a certificate that
/// is not the pinned CA's, a TLS alert, a protocol violation.
fn tls_error(err: &(dyn StdError + 'static)) -> Option<CoreError> {
    find_source::<rustls::Error>(err).map(|tls| CoreError::Tls {
        reason: tls.to_string(),
    })
}
