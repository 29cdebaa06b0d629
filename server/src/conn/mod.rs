//! Connections: what the provider admits and how long it keeps a socket that says nothing.
//!
//! A slow or silent client must not hold a file descriptor for ever (issue 12, finding 1:
//! 1,500 half-sent requests took the provider down). The defences, all set from
//! [`Limits`](crate::config::Limits) by `server.rs`:
//!
//! | module | holds |
//! |---|---|
//! | [`admission`] | the cap on concurrent connections, overall and per client address |
//! | [`stream`] | the admitted socket: its admission, and the idle timeout (no byte either way) |
//! | [`fd_limit`] | raising the soft `RLIMIT_NOFILE` to the hard limit; the default cap below it |
//! | here | [`GuardAcceptor`], the acceptor that admits (or closes at once) every accepted socket |
//!
//! The TLS handshake timeout, the HTTP/1.1 header read timeout (which also bounds the idle time
//! between requests on a keep-alive connection) and the first-request timeout are hyper's and
//! axum-server's own; `server.rs` sets them.

pub mod admission;
pub mod fd_limit;
pub mod stream;

use std::{future::Ready, io, sync::Arc, time::Duration};

use axum_server::accept::Accept;
use tokio::net::TcpStream;

pub use admission::{Admission, ConnectionLimiter, Refusal};
pub use stream::GuardedStream;

/// Admits each accepted TCP socket (or drops it, which closes it at once) and wraps it in a
/// [`GuardedStream`]. Also sets `TCP_NODELAY`: without it a reply on a new TLS connection waits
/// for the peer's delayed ACK (~40 ms on Linux) behind the handshake's last flight.
#[derive(Clone)]
pub struct GuardAcceptor {
    limiter: Arc<ConnectionLimiter>,
    idle_timeout: Duration,
}

impl GuardAcceptor {
    /// Admits through `limiter`; closes a socket that moves no byte for `idle_timeout`.
    pub fn new(limiter: Arc<ConnectionLimiter>, idle_timeout: Duration) -> Self {
        Self {
            limiter,
            idle_timeout,
        }
    }
}

impl<S> Accept<TcpStream, S> for GuardAcceptor {
    type Stream = GuardedStream<TcpStream>;
    type Service = S;
    type Future = Ready<io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        std::future::ready(self.admit(stream).map(|stream| (stream, service)))
    }
}

impl GuardAcceptor {
    fn admit(&self, stream: TcpStream) -> io::Result<GuardedStream<TcpStream>> {
        let peer = stream.peer_addr()?;
        let admission = self.limiter.admit(peer.ip()).map_err(|refusal| {
            tracing::debug!(%peer, %refusal, "connection refused");
            io::Error::other(refusal)
        })?;
        stream.set_nodelay(true)?;
        Ok(GuardedStream::new(stream, admission, self.idle_timeout))
    }
}
