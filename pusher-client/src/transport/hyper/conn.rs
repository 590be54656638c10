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
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;
use sync_wrapper::SyncWrapper;

use super::connect::Stream;
use crate::transport::SendError;

type Io = TokioIo<Stream>;

/// An open connection: hyper's two halves, kept together.
pub(super) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    // Only ever used through `&mut`: the wrapper makes the pool `Sync` without a lock.
    connection: SyncWrapper<Connection<Io, Full<Bytes>>>,
    /// When it was last given back (for the idle timeout).
    pub(super) since: Instant,
    /// Not used for a request yet: if it fails before sending, the server never saw anything.
    pub(super) fresh: bool,
    closed: bool,
}

/// The pool's signal that a connection must not be reused (see [`Conn`]'s `Service` impl).
#[derive(Debug)]
pub(super) struct Closed;

impl Conn {
    pub(super) fn new(
        sender: SendRequest<Full<Bytes>>,
        connection: Connection<Io, Full<Bytes>>,
    ) -> Conn {
        Conn {
            sender,
            connection: SyncWrapper::new(connection),
            since: Instant::now(),
            fresh: true,
            closed: false,
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed || self.sender.is_closed()
    }

    /// Lets the connection make progress (write, read, notice a close); records its end.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if self.closed {
            return;
        }
        if let Poll::Ready(result) = Pin::new(self.connection.get_mut()).poll(cx) {
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

// `hyper_util`'s pool cache keeps a connection on drop unless the connection's `poll_ready`
// failed; this is how a `Lease` tells it to forget one.
impl tower::Service<()> for Conn {
    type Response = ();
    type Error = Closed;
    type Future = std::future::Ready<Result<(), Closed>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        Poll::Ready(if self.closed { Err(Closed) } else { Ok(()) })
    }

    fn call(&mut self, _: ()) -> Self::Future {
        std::future::ready(Ok(()))
    }
}

/// A connection taken from the pool. Dropped without [`Lease::release`], it is closed rather
/// than given back (its request may have been cut off mid-way).
pub(super) struct Lease {
    inner: Box<dyn Leased>,
    released: bool,
}

/// What a lease needs from hyper-util's (unnameable) `Cached<Conn>`.
pub(super) trait Leased: Send + Sync {
    fn conn(&mut self) -> &mut Conn;
    /// Makes the cache drop the connection instead of keeping it.
    fn forget(&mut self);
}

/// `Cached<Conn>` as a [`Leased`]: the accessor is given where the type is known.
pub(super) struct Cached<C> {
    pub(super) cached: C,
    pub(super) get: fn(&mut C) -> &mut Conn,
}

impl<C> Leased for Cached<C>
where
    C: tower::Service<(), Error = Closed> + Send + Sync,
{
    fn conn(&mut self) -> &mut Conn {
        (self.get)(&mut self.cached)
    }

    fn forget(&mut self) {
        (self.get)(&mut self.cached).closed = true;
        // The cache's wrapper marks itself closed when `poll_ready` fails.
        let _ = self.cached.poll_ready(&mut Context::from_waker(Waker::noop()));
    }
}

impl Lease {
    pub(super) fn new(inner: Box<dyn Leased>) -> Lease {
        Lease {
            inner,
            released: false,
        }
    }

    pub(super) fn conn(&mut self) -> &mut Conn {
        self.inner.conn()
    }

    /// Gives the connection back to the pool (its answer was read to the end).
    fn release(&mut self) {
        let conn = self.inner.conn();
        if conn.is_closed() {
            return;
        }
        conn.since = Instant::now();
        self.released = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.released || self.inner.conn().is_closed() {
            self.inner.forget();
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
        if let Some(mut lease) = self.lease.take() {
            lease.release();
        }
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        if self.body.is_end_stream() {
            self.finish();
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
