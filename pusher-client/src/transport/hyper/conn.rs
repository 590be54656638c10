//! One HTTP/1.1 connection, driven by the task that is using it, and the answer body that gives
//! it back to the pool.
//!
//! Why not hyper's usual pattern (a spawned task per connection, requests handed to it over a
//! channel): on a multi-thread runtime the request's task and the connection's task run on
//! different workers, and every request then costs cross-thread wake-ups both ways. Here the
//! connection future is polled by whoever holds the connection — while sending, while waiting
//! for the answer, while reading its body — so a request is one task and its IO wakes only it.
//! An idle connection in the pool is polled by nobody; a server closing it meanwhile is seen
//! when it is next taken (before anything is written).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;

use super::connect::Stream;
use super::pool::Host;
use crate::transport::SendError;

type Io = TokioIo<Stream>;

/// An open connection: hyper's two halves, kept together.
pub(super) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    connection: Connection<Io, Full<Bytes>>,
    /// When it was last given back (for the idle timeout).
    pub(super) since: Instant,
    /// Not used for a request yet: if it fails before sending, the server never saw anything.
    pub(super) fresh: bool,
    closed: bool,
}

impl Conn {
    pub(super) fn new(
        sender: SendRequest<Full<Bytes>>,
        connection: Connection<Io, Full<Bytes>>,
    ) -> Conn {
        Conn {
            sender,
            connection,
            since: Instant::now(),
            fresh: true,
            closed: false,
        }
    }

    /// Ready for its next request without waiting (its previous answer fully processed).
    pub(super) fn is_ready(&self) -> bool {
        !self.closed && self.sender.is_ready()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed || self.sender.is_closed()
    }

    /// Lets the connection make progress (write, read, notice a close); records its end.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if self.closed {
            return;
        }
        if let Poll::Ready(result) = Pin::new(&mut self.connection).poll(cx) {
            if let Err(e) = result {
                tracing::debug!(error = %e, "pusher connection closed with an error");
            }
            self.closed = true;
        }
    }

    /// Ready for a request, or `Err` if the connection has ended.
    async fn ready(&mut self) -> Result<(), ()> {
        poll_fn(|cx| {
            self.drive(cx);
            match self.sender.poll_ready(cx) {
                Poll::Ready(Ok(())) if !self.closed => Poll::Ready(Ok(())),
                Poll::Ready(_) => Poll::Ready(Err(())),
                Poll::Pending if self.closed => Poll::Ready(Err(())),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Sends `request` and waits for the answer's head, driving the connection meanwhile.
    /// `Err(Some(request))`: the connection had ended before anything was written.
    pub(super) async fn send(
        &mut self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<http::Response<Incoming>, (Option<http::Request<Full<Bytes>>>, SendError)> {
        if self.ready().await.is_err() {
            self.closed = true;
            return Err((Some(request), SendError::never_sent("connection closed")));
        }
        self.fresh = false;
        let mut answer = std::pin::pin!(self.sender.try_send_request(request));
        poll_fn(|cx| {
            self.drive(cx);
            answer.as_mut().poll(cx)
        })
        .await
        .map_err(|mut e| {
            self.closed = true;
            let unsent = e.take_message();
            let error = e.into_error();
            if unsent.is_some() {
                (unsent, SendError::never_sent(error))
            } else {
                (None, SendError::other(error))
            }
        })
    }
}

/// A connection taken from the pool. Dropped without [`Lease::release`], it is closed rather
/// than given back (its request may have been cut off mid-way).
pub(super) struct Lease {
    // Boxed once per connection: hyper's connection state is large, and answers move.
    conn: Box<Conn>,
    host: Arc<Host>,
}

impl Lease {
    pub(super) fn new(conn: Box<Conn>, host: Arc<Host>) -> Lease {
        Lease { conn, host }
    }

    pub(super) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Gives the connection back to the pool (its answer was read to the end).
    fn release(self) {
        let Lease { mut conn, host } = self;
        if !conn.is_closed() {
            conn.since = Instant::now();
            host.give_back(conn);
        }
    }
}

/// An answer's body. Reading it drives the connection; once read to the end (or dropped after
/// the end arrived) the connection goes back to the pool, else it is closed (HTTP/1 cannot
/// skip the rest of an answer).
pub(crate) struct PooledBody {
    body: Incoming,
    lease: Option<Lease>,
}

impl PooledBody {
    pub(super) fn new(body: Incoming, lease: Lease) -> PooledBody {
        PooledBody {
            body,
            lease: Some(lease),
        }
    }

    fn finish(&mut self) {
        if let Some(lease) = self.lease.take() {
            lease.release();
        }
    }
}

impl Drop for PooledBody {
    /// Reads what has already arrived of the rest (without waiting): an answer that had come
    /// whole keeps its connection, one still arriving closes it.
    fn drop(&mut self) {
        let Some(lease) = &mut self.lease else { return };
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if self.body.is_end_stream() {
                return self.finish();
            }
            lease.conn().drive(&mut cx);
            match Pin::new(&mut self.body).poll_frame(&mut cx) {
                Poll::Ready(Some(Ok(_))) => {}
                Poll::Ready(None) => return self.finish(),
                Poll::Ready(Some(Err(_))) | Poll::Pending => return,
            }
        }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        if let Some(lease) = &mut this.lease {
            lease.conn().drive(cx);
        }
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.finish(),
            Poll::Ready(Some(Err(_))) => drop(this.lease.take()),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
