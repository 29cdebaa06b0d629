//! The HTTPS client to the provider: JSON requests, retries only where a request is safe to
//! repeat ([`Retry`]), and the mapping of provider error replies.
//!
//! - [`endpoint`]: the base URL, checked once, and the URL of each request;
//! - [`tls`]: TLS 1.3 trusting only the configured CA certificates (rustls on ring);
//! - [`transport`]: one request through reqwest on a connection of its own, with timeouts, a
//!   bounded reply and the mapping of transport failures.

mod endpoint;
mod tls;
mod transport;

use std::{sync::Arc, time::Duration};

use reqwest::StatusCode;
use serde::{Serialize, de::DeserializeOwned};
use softtoken_protocol::wire::{self, ErrorBody, MAX_RESPONSE_BYTES};

use self::transport::Transport;
use softtoken_protocol::clock::Clock;

use crate::error::CoreError;

/// Network timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS connection, milliseconds.
    pub connect_ms: u64,
    /// Whole request, milliseconds.
    pub request_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect_ms: 10_000,
            request_ms: 30_000,
        }
    }
}

/// Whether a request may be sent again after a failure that may be temporary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Sent once, whatever happens: the provider may have acted on it even if the reply was
    /// lost (the activation requests: the start opens an activation, the finish uses it up and
    /// a failed one counts against the token's attempts), so trying again is the user's call.
    Never,
    /// Safe to repeat: tried up to [`MAX_TRIES`] times on network failures, 429 with a short
    /// `Retry-After`, and 502/503/504, with backoff.
    Idempotent,
}

/// How many times an idempotent request is tried in all.
const MAX_TRIES: u32 = 3;
/// Longest `Retry-After` the client will wait for by itself, seconds.
const MAX_RETRY_AFTER_S: u64 = 10;

/// What a request failed with, before mapping to [`CoreError`].
#[derive(Debug)]
pub(crate) enum NetError {
    /// The provider answered with an error status (and, normally, an error body).
    Status {
        status: StatusCode,
        body: Option<ErrorBody>,
        retry_after_s: Option<u64>,
    },
    /// Transport or reply failure, already mapped.
    Core(CoreError),
}

/// A reply with the timing the clock offset needs.
pub(crate) struct Timed<T> {
    pub reply: T,
    /// Device clock when the request was sent, ms.
    pub sent_ms: u64,
    /// Device clock when the reply arrived, ms.
    pub received_ms: u64,
}

impl<T> Timed<T> {
    /// Provider time minus device time, estimated at the middle of the round trip.
    pub fn clock_offset_ms(&self, server_time_ms: u64) -> i64 {
        let rtt = self.received_ms.saturating_sub(self.sent_ms);
        let device_mid = self.sent_ms.saturating_add(rtt / 2);
        i64::try_from(server_time_ms)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(device_mid).unwrap_or(i64::MAX))
    }
}

/// The provider client.
#[derive(Clone)]
pub(crate) struct ProviderClient {
    transport: Transport,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ProviderClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderClient")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl ProviderClient {
    /// A client for `base_url` trusting only the CA certificates in `ca_pem`.
    pub fn new(
        base_url: &str,
        ca_pem: &str,
        timeouts: Timeouts,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CoreError> {
        let transport = Transport::new(base_url, tls::client_config(ca_pem)?, timeouts)?;
        Ok(Self { transport, clock })
    }

    /// POSTs a JSON message and decodes the JSON reply, trying again as `retry` allows.
    pub async fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
        retry: Retry,
    ) -> Result<Timed<Resp>, NetError> {
        // `Bytes`: each try shares the one encoding instead of copying it.
        let body = bytes::Bytes::from(wire::encode(body));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.post_once(path, body.clone()).await;
            let retry_in = match &result {
                Err(NetError::Core(CoreError::Network {
                    retryable: true, ..
                })) => Some(backoff(attempt)),
                Err(NetError::Status {
                    status,
                    retry_after_s,
                    ..
                }) if *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::BAD_GATEWAY
                    || *status == StatusCode::SERVICE_UNAVAILABLE
                    || *status == StatusCode::GATEWAY_TIMEOUT =>
                {
                    match retry_after_s {
                        Some(s) if *s > MAX_RETRY_AFTER_S => None,
                        Some(s) => Some(Duration::from_secs(*s)),
                        None => Some(backoff(attempt)),
                    }
                }
                _ => None,
            };
            match retry_in {
                Some(wait) if retry == Retry::Idempotent && attempt < MAX_TRIES => {
                    tokio::time::sleep(wait).await
                }
                _ => return result,
            }
        }
    }

    async fn post_once<Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: bytes::Bytes,
    ) -> Result<Timed<Resp>, NetError> {
        let sent_ms = self.clock.now_ms();
        let transport::Reply {
            status,
            retry_after_s,
            body: bytes,
        } = self
            .transport
            .post(path, body)
            .await
            .map_err(NetError::Core)?;
        let received_ms = self.clock.now_ms();
        if !status.is_success() {
            let body = wire::decode::<ErrorBody>(&bytes, MAX_RESPONSE_BYTES).ok();
            return Err(NetError::Status {
                status,
                body,
                retry_after_s,
            });
        }
        let reply = wire::decode(&bytes, MAX_RESPONSE_BYTES).map_err(|e| {
            NetError::Core(CoreError::Protocol {
                reason: e.to_string(),
            })
        })?;
        Ok(Timed {
            reply,
            sent_ms,
            received_ms,
        })
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)))
}

/// Maps a provider error status to what the app should say.
pub(crate) fn map_status(status: StatusCode, body: Option<&ErrorBody>) -> CoreError {
    use softtoken_protocol::wire::ErrorCode;
    match body.map(|b| b.error) {
        Some(ErrorCode::ActivationLocked) => CoreError::ActivationLocked,
        Some(ErrorCode::TokenExpired) => CoreError::TokenExpired,
        Some(ErrorCode::TokenRevoked) => CoreError::TokenRevoked,
        Some(ErrorCode::TokenReplaced) => CoreError::TokenReplaced,
        Some(ErrorCode::AlreadyActive) => CoreError::AlreadyActiveElsewhere,
        Some(ErrorCode::ActivationFailed) => CoreError::WrongActivationPassword {
            attempts_left: body.and_then(|b| b.attempts_left).unwrap_or(0),
        },
        Some(ErrorCode::RateLimited) | Some(ErrorCode::Unavailable) | Some(ErrorCode::Internal) => {
            CoreError::Network {
                retryable: true,
                reason: format!("the provider is busy ({status})"),
            }
        }
        _ if status.is_server_error() => CoreError::Network {
            retryable: true,
            reason: format!("the provider failed ({status})"),
        },
        _ => CoreError::Protocol {
            reason: format!("the provider refused the request ({status})"),
        },
    }
}
