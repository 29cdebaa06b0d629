//! One HTTPS POST to the provider on a connection of its own: TCP, TLS 1.3 ([`super::tls`]),
//! HTTP/1.1 through hyper's connection API, a bounded reply.
//!
//! Why a connection per request, with no pool: the app makes one or two requests per user
//! action, and the activation POSTs must never be sent twice. A pooled connection that the
//! provider closed in the meantime (Argon2id runs for seconds between the two activation
//! requests) would fail such a request for nothing. A fresh TLS 1.3 handshake costs one round
//! trip more, once per user action.
//!
//! Cancellation: the connection is driven inside the request's own future, so dropping that
//! future (a cancelled coroutine or Swift task) closes the socket at once.

use std::{error::Error as StdError, sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::{Request, StatusCode, Uri, header};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use softtoken_protocol::wire::MAX_RESPONSE_BYTES;
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, client::TlsStream};

use super::Timeouts;
use crate::error::CoreError;

/// Sent with every request, so a provider's logs can tell app versions apart.
const USER_AGENT: &str = concat!("softtoken-core/", env!("CARGO_PKG_VERSION"));

/// Where the provider is, from its base URL (`https://host[:port][/prefix]`).
#[derive(Debug, Clone)]
struct Endpoint {
    /// Host to connect to, without the brackets of an IPv6 literal.
    host: String,
    port: u16,
    /// The name the certificate must carry (a DNS name or an IP address).
    server_name: ServerName<'static>,
    /// The `Host` header: the URL's authority as written.
    authority: String,
    /// Path prefix without a trailing slash: `""` or e.g. `"/softtoken"`.
    prefix: String,
}

impl Endpoint {
    fn parse(base_url: &str) -> Result<Self, CoreError> {
        let invalid = |reason: &str| CoreError::InvalidInput {
            reason: reason.into(),
        };
        if !base_url.starts_with("https://") {
            return Err(invalid("the provider URL must start with https://"));
        }
        let uri: Uri = base_url
            .parse()
            .map_err(|_| invalid("the provider URL is not a valid URL"))?;
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("the provider URL has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "the provider URL must not carry a user name or password",
            ));
        }
        if uri.query().is_some() {
            return Err(invalid("the provider URL must not have a query"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let server_name = ServerName::try_from(host.as_str())
            .map_err(|_| invalid("the provider URL's host is not a valid name"))?
            .to_owned();
        Ok(Self {
            port: authority.port_u16().unwrap_or(443),
            server_name,
            authority: authority.as_str().to_owned(),
            prefix: uri.path().trim_end_matches('/').to_owned(),
            host,
        })
    }
}

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
    tls: TlsConnector,
    connect_timeout: Duration,
    request_timeout: Duration,
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
        tls: Arc<ClientConfig>,
        timeouts: Timeouts,
    ) -> Result<Self, CoreError> {
        Ok(Self {
            endpoint: Endpoint::parse(base_url)?,
            tls: TlsConnector::from(tls),
            connect_timeout: Duration::from_millis(timeouts.connect_ms),
            request_timeout: Duration::from_millis(timeouts.request_ms),
        })
    }

    /// POSTs `body` (JSON) to `path` under the base URL. The request timeout covers everything,
    /// the connection included; the connect timeout covers TCP and TLS.
    pub async fn post(&self, path: &str, body: Bytes) -> Result<Reply, CoreError> {
        tokio::time::timeout(self.request_timeout, self.exchange(path, body))
            .await
            .unwrap_or_else(|_| Err(timed_out()))
    }

    async fn exchange(&self, path: &str, body: Bytes) -> Result<Reply, CoreError> {
        let request = Request::post(format!("{}{path}", self.endpoint.prefix))
            .header(header::HOST, &self.endpoint.authority)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::USER_AGENT, USER_AGENT)
            .body(Full::new(body))
            .map_err(|_| CoreError::Protocol {
                reason: "the request path is not valid".into(),
            })?;
        let stream = tokio::time::timeout(self.connect_timeout, self.connect())
            .await
            .map_err(|_| timed_out())??;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| map_hyper(&e))?;
        let exchange = async move {
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| map_hyper(&e))?;
            // No second request on this connection: letting go of the sender lets the
            // connection close itself (TLS close_notify) once the reply is read.
            drop(sender);
            read_reply(response).await
        };
        // Both halves run in this future: the connection moves the bytes, the exchange waits
        // for them. A connection-level failure (a TLS alert mid-reply) explains an exchange
        // failure better than "connection closed", so it wins when there is one.
        let (connection_result, reply) = tokio::join!(connection, exchange);
        match (reply, connection_result) {
            (Ok(reply), _) => Ok(reply),
            (Err(err), Err(connection_err)) => Err(tls_error(&connection_err).unwrap_or(err)),
            (Err(err), Ok(())) => Err(err),
        }
    }

    async fn connect(&self) -> Result<TlsStream<TcpStream>, CoreError> {
        let tcp = TcpStream::connect((self.endpoint.host.as_str(), self.endpoint.port))
            .await
            .map_err(|_| CoreError::Network {
                retryable: true,
                reason: "cannot connect to the provider".into(),
            })?;
        // Requests are one small write each: don't let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
        self.tls
            .connect(self.endpoint.server_name.clone(), tcp)
            .await
            .map_err(|e| {
                tls_error(&e).unwrap_or_else(|| CoreError::Network {
                    retryable: true,
                    reason: "the provider closed the connection during the TLS handshake".into(),
                })
            })
    }
}

/// Reads status, `Retry-After` and the body, refusing a body over [`MAX_RESPONSE_BYTES`]
/// without reading it all.
async fn read_reply(response: hyper::Response<hyper::body::Incoming>) -> Result<Reply, CoreError> {
    let too_large = || CoreError::Protocol {
        reason: "reply too large".into(),
    };
    let status = response.status();
    let headers = response.headers();
    let retry_after_s = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|len| len > MAX_RESPONSE_BYTES as u64) {
        return Err(too_large());
    }
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|err| {
            if err.downcast_ref::<LengthLimitError>().is_some() {
                too_large()
            } else {
                // The connection ended (or broke) before the whole reply arrived: a network
                // failure like any other lost connection, worth retrying.
                CoreError::Network {
                    retryable: true,
                    reason: "the connection to the provider broke during the reply".into(),
                }
            }
        })?
        .to_bytes()
        .to_vec();
    Ok(Reply {
        status,
        retry_after_s,
        body,
    })
}

fn timed_out() -> CoreError {
    CoreError::Network {
        retryable: true,
        reason: "the provider timed out".into(),
    }
}

/// Maps a failure of the HTTP exchange.
fn map_hyper(err: &hyper::Error) -> CoreError {
    if let Some(tls) = tls_error(err) {
        return tls;
    }
    if err.is_parse() || err.is_parse_status() {
        return CoreError::Protocol {
            reason: "the provider's reply is not valid HTTP".into(),
        };
    }
    let reason = if err.is_incomplete_message() {
        "the provider closed the connection before answering"
    } else {
        "the connection to the provider failed"
    };
    CoreError::Network {
        retryable: true,
        reason: reason.into(),
    }
}

/// The rustls error somewhere in `err`'s chain, as a [`CoreError::Tls`]: a certificate that
/// is not the pinned CA's, a TLS alert, a protocol violation.
fn tls_error(err: &(dyn StdError + 'static)) -> Option<CoreError> {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(CoreError::Tls {
                reason: tls.to_string(),
            });
        }
        // tokio-rustls wraps the rustls error in an io::Error, and io::Error::source() skips
        // the wrapped error itself, so look inside io::Errors by hand.
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(found) = tls_error(inner)
        {
            return Some(found);
        }
        source = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parses_host_port_and_prefix() {
        let e = Endpoint::parse("https://provider.example:8443/softtoken/").unwrap();
        assert_eq!(e.host, "provider.example");
        assert_eq!(e.port, 8443);
        assert_eq!(e.authority, "provider.example:8443");
        assert_eq!(e.prefix, "/softtoken");

        let e = Endpoint::parse("https://provider.example").unwrap();
        assert_eq!((e.port, e.prefix.as_str()), (443, ""));

        let e = Endpoint::parse("https://[::1]:9443").unwrap();
        assert_eq!(e.host, "::1");
        assert_eq!(e.authority, "[::1]:9443");
        assert!(matches!(e.server_name, ServerName::IpAddress(_)));
    }

    #[test]
    fn endpoint_refuses_what_is_not_a_plain_https_base_url() {
        for url in [
            "http://provider.example",
            "provider.example",
            "https://",
            "https://user:pw@provider.example",
            "https://provider.example/?x=1",
            "https://provider example",
        ] {
            assert!(
                matches!(Endpoint::parse(url), Err(CoreError::InvalidInput { .. })),
                "{url}"
            );
        }
    }
}
