//! Every rejection reaches the client whole, over HTTP/2 too (issue 12, finding 11).
//!
//! A request refused before its body is read (401 without an API key, 413, 415, 429, 404, …)
//! leaves the body unread, and two things then break the reply over HTTP/2:
//!
//! - If the unread body is dropped before the reply is sent, h2 resets the stream
//!   (`RST_STREAM CANCEL`) and the client gets no reply at all.
//! - If the reply goes out while the client is still sending, some clients stop sending and
//!   end their side with an empty `END_STREAM`, fewer bytes than their `content-length`
//!   promised. curl 7.88 does ("HTTP error before end of send, stop sending"). RFC 9113 §8.1.1
//!   calls that request malformed, h2 answers `RST_STREAM PROTOCOL_ERROR`, and curl reports
//!   `(92) HTTP/2 stream 1 was not closed cleanly` although it holds the whole reply. It depends
//!   on who is faster, so it was intermittent.
//!
//! So this layer reads and discards what the handler left unread **before** the reply is handed
//! back, up to [`DRAIN_LIMIT`] bytes within [`DRAIN_TIME`]: the client finishes its request,
//! then sees the reply, as with a request that was read. A body that is still not done by then
//! (too large, too slow) rides along with the reply's body and is dropped only when the reply
//! has been sent, so h2 ends the stream with `RST_STREAM NO_ERROR` after a complete reply (the
//! RFC's way to stop an upload it does not want) and never before it.
//!
//! A request whose body was read, or that has none, pays nothing: its rest is already at the end.

use std::{
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::Request,
    middleware::Next,
    response::Response,
};
use http_body::{Frame, SizeHint};

/// The most of an unread body that is read to let its reply through.
pub const DRAIN_LIMIT: usize = 1024 * 1024;
/// The longest a reply waits for the unread rest of its request.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The request's body, shared between the handler (which reads what it needs) and this layer
/// (which drains the rest).
#[derive(Clone)]
struct SharedBody(Arc<Mutex<Option<Body>>>);

impl SharedBody {
    fn take(&self) -> Option<Body> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl HttpBody for SharedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut body = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        let body = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        body.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let body = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        body.as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

/// Runs the request with a shared body, drains what the handler left unread, then replies.
pub(super) async fn drain_unread_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let shared = SharedBody(Arc::new(Mutex::new(Some(body))));
    let response = next
        .run(Request::from_parts(parts, Body::new(shared.clone())))
        .await;
    let Some(rest) = shared.take().filter(|rest| !rest.is_end_stream()) else {
        return response;
    };
    match drain(rest).await {
        None => response,
        Some(unfinished) => response.map(|reply| {
            Body::new(ReplyHolding {
                reply,
                _request_rest: unfinished,
            })
        }),
    }
}

/// Reads and discards `body` within the bounds; what is left when they are reached comes back.
async fn drain(mut body: Body) -> Option<Body> {
    let mut read = 0usize;
    let reading = async {
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            let Ok(frame) = frame else {
                // The client reset its side: there is nothing left to wait for.
                return true;
            };
            read = read.saturating_add(frame.data_ref().map_or(0, Bytes::len));
            if read > DRAIN_LIMIT {
                return false;
            }
        }
        true
    };
    match tokio::time::timeout(DRAIN_TIME, reading).await {
        Ok(true) => None,
        Ok(false) => {
            tracing::debug!("an unread request body was over the drain limit");
            Some(body)
        }
        Err(_) => {
            tracing::debug!("an unread request body was still arriving after the drain time");
            Some(body)
        }
    }
}

/// A reply's body that keeps the unfinished rest of its request alive until the reply has been
/// sent (hyper drops the reply's body after its last frame), so the stream is reset only after
/// a complete reply.
struct ReplyHolding {
    reply: Body,
    _request_rest: Body,
}

impl HttpBody for ReplyHolding {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.reply).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.reply.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.reply.size_hint()
    }
}
