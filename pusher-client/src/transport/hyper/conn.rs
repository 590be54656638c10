//! One HTTP/1.1 connection's sending half, and the answer body that gives it back to the pool.
//!
//! Each connection runs on a task of its own (hyper's usual pattern); the pool keeps the
//! `SendRequest` halves. A version that instead drove each connection from the task using it
//! (no hand-off between tasks) spent *more* CPU per trigger in the load benchmark, on both
//! runtimes (29.9 against 24.6 µs multi-thread, 27.1 against 22.8 µs current-thread at 64
//! concurrent triggers, same run; `docs/perf-transport.md`), so the connection task stays.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;

use super::pool::Host;
use crate::transport::SendError;

/// An open connection, as the pool keeps it: the half that sends requests to its task.
pub(super) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    /// When it was last given back (for the idle timeout).
    pub(super) since: Instant,
    /// Not used for a request yet: if it fails before sending, the server never saw anything.
    pub(super) fresh: bool,
}

impl Conn {
    pub(super) fn new(sender: SendRequest<Full<Bytes>>) -> Conn {
        Conn {
            sender,
            since: Instant::now(),
            fresh: true,
        }
    }

    /// Ready for its next request without waiting (its previous answer fully processed).
    pub(super) fn is_ready(&self) -> bool {
        self.sender.is_ready()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Sends `request` and waits for the answer's head.
    /// `Err((Some(request), _))`: the connection had ended before anything was written.
    pub(super) async fn send(
        &mut self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<http::Response<Incoming>, (Option<http::Request<Full<Bytes>>>, SendError)> {
        if self.sender.ready().await.is_err() {
            return Err((Some(request), SendError::never_sent("connection closed")));
        }
        self.fresh = false;
        self.sender
            .try_send_request(request)
            .await
            .map_err(|mut e| {
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

/// A connection taken from the pool, for one request.
pub(super) struct Lease {
    conn: Conn,
    host: Arc<Host>,
}

impl Lease {
    pub(super) fn new(conn: Conn, host: Arc<Host>) -> Lease {
        Lease { conn, host }
    }

    pub(super) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Gives the connection back to the pool.
    fn release(self) {
        let Lease { mut conn, host } = self;
        if !conn.is_closed() {
            conn.since = Instant::now();
            host.give_back(conn);
        }
    }
}

/// An answer's body that gives its connection back to the pool once read to the end, or when
/// dropped: hyper keeps the connection if the whole answer had arrived, and closes it if not
/// (HTTP/1 cannot skip the rest of an answer), which the pool sees before reusing it.
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
    fn drop(&mut self) {
        self.finish();
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
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            this.finish();
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
