//! Every rejection reaches the client whole, over HTTP/2 too (issue 12, finding 11).
//!
//! A request refused before its body is read (401 without an API key, 413, 415, 429, 404, …)
//! leaves the body unread. Over HTTP/1.1 hyper sends the reply and closes. Over HTTP/2, h2
//! resets the stream (`RST_STREAM`) as soon as the request's body is dropped while the client is
//! still sending it, and clients such as curl then report a broken stream
//! (`(92) Stream error in the HTTP/2 framing layer`) instead of the reply. This layer keeps the
//! body: whatever the handler left unread is read and discarded after the reply is handed back
//! (in a task of its own, so the reply is not delayed), up to [`DRAIN_LIMIT`] bytes within
//! [`DRAIN_TIME`]. A body beyond those bounds is dropped as before: its stream is reset.

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
/// The longest an unread body is read for.
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

/// Runs the request with a shared body, then drains what the handler left unread.
pub(super) async fn drain_unread_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let shared = SharedBody(Arc::new(Mutex::new(Some(body))));
    let response = next
        .run(Request::from_parts(parts, Body::new(shared.clone())))
        .await;
    if let Some(rest) = shared.take().filter(|rest| !rest.is_end_stream()) {
        tokio::spawn(drain(rest));
    }
    response
}

/// Reads and discards `body`, within the bounds; dropping it afterwards ends the stream.
async fn drain(mut body: Body) {
    let mut read = 0usize;
    let reading = async {
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            let Ok(frame) = frame else { return };
            read = read.saturating_add(frame.data_ref().map_or(0, Bytes::len));
            if read > DRAIN_LIMIT {
                return;
            }
        }
    };
    if tokio::time::timeout(DRAIN_TIME, reading).await.is_err() {
        tracing::debug!("an unread request body was still arriving after the drain time");
    }
}
