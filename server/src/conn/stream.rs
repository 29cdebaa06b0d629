//! An admitted socket: it holds its [`Admission`] (the place is freed when the connection goes)
//! and closes itself when no byte has moved either way for the idle timeout — the bound on a
//! client that opens a connection and then says nothing (an idle HTTP/2 connection, a peer that
//! stops reading its reply), which no protocol timer covers.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Instant, Sleep},
};

use super::Admission;

/// A socket with its admission and idle timeout.
pub struct GuardedStream<S> {
    inner: S,
    _admission: Admission,
    idle_timeout: Duration,
    /// When a byte last moved.
    last_progress: Instant,
    /// Fires at `last_progress + idle_timeout` or earlier; re-armed lazily when it fires early,
    /// so progress costs no timer update.
    idle: Pin<Box<Sleep>>,
}

impl<S> GuardedStream<S> {
    /// Wraps `inner`, admitted by `admission`.
    pub fn new(inner: S, admission: Admission, idle_timeout: Duration) -> Self {
        let now = Instant::now();
        Self {
            inner,
            _admission: admission,
            idle_timeout,
            last_progress: now,
            idle: Box::pin(tokio::time::sleep_until(now + idle_timeout)),
        }
    }

    /// What a read or write on the socket gives: progress (noted), or, while it waits, the
    /// idle timeout's error once it has passed.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                self.last_progress = Instant::now();
                Poll::Ready(result)
            }
            Poll::Pending => match self.poll_idle(cx) {
                Some(timed_out) => Poll::Ready(Err(timed_out)),
                None => Poll::Pending,
            },
        }
    }

    /// The error that ends a connection idle for too long, if it has been.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        loop {
            self.idle.as_mut().poll(cx).is_ready().then_some(())?;
            let deadline = self.last_progress + self.idle_timeout;
            if Instant::now() >= deadline {
                return Some(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle for too long",
                ));
            }
            self.idle.as_mut().reset(deadline);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GuardedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.watch(cx, polled)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GuardedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
