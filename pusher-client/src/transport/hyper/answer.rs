//! An answer's body as it comes off the connection ([`PooledBody`]): framed by
//! `Content-Length`, by chunked coding, or by the end of the connection. Read to its end, it
//! gives the connection back to the pool; dropped early, the connection closes with it
//! (HTTP/1 cannot skip the rest of an answer).

use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::conn::Lease;
use crate::transport::SendError;

/// Longest chunk-size line, or trailer section, accepted.
const MAX_LINE: usize = 64 * 1024;

/// Where the body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// This many bytes are left.
    Length(u64),
    /// Chunked coding (RFC 9112 §7.1), at this point of it.
    Chunked(Chunked),
    /// When the server closes the connection (which is then not reused).
    UntilClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Chunked {
    /// A chunk-size line is next.
    Size,
    /// This many bytes of the current chunk are left.
    Data(u64),
    /// The CRLF after a chunk's data is next.
    DataEnd,
    /// Trailer fields, up to an empty line.
    Trailers,
}

impl Framing {
    pub(super) fn chunked() -> Framing {
        Framing::Chunked(Chunked::Size)
    }
}

/// An answer's body, read from its connection as the client asks for it.
pub(crate) struct PooledBody {
    /// `None` once the body has ended (the connection given back or closed).
    lease: Option<Lease>,
    framing: Framing,
    keep_alive: bool,
}

impl PooledBody {
    pub(super) fn new(lease: Lease, framing: Framing, keep_alive: bool) -> PooledBody {
        let mut body = PooledBody {
            lease: Some(lease),
            framing,
            keep_alive,
        };
        if framing == Framing::Length(0) {
            body.end();
        }
        body
    }

    /// The body has ended: the connection goes back to the pool if it may carry another
    /// request, and closes otherwise.
    fn end(&mut self) {
        if let Some(lease) = self.lease.take()
            && self.keep_alive
        {
            lease.release();
        }
    }

    fn fail(
        &mut self,
        message: impl Into<String>,
    ) -> Poll<Option<Result<Frame<Bytes>, SendError>>> {
        // The connection is in an unknown state: closed, never reused.
        self.lease = None;
        Poll::Ready(Some(Err(SendError::other(message.into()))))
    }

    /// Reads more of the answer; `false` when the connection ended.
    fn fill(&mut self, cx: &mut Context<'_>, limit: usize) -> Poll<Result<bool, SendError>> {
        let Some(lease) = self.lease.as_mut() else {
            return Poll::Ready(Ok(false));
        };
        let conn = lease.conn();
        let (io, buf) = conn.parts();
        match ready!(buf.poll_fill(io, cx, limit)) {
            Ok(n) => Poll::Ready(Ok(n > 0)),
            Err(e) => Poll::Ready(Err(SendError::other(e))),
        }
    }
}

/// Dropped before its end: if the rest of the answer has already arrived (up to
/// [`MAX_LINE`] bytes of it), it is read past without waiting and the connection is kept;
/// otherwise the connection closes.
impl Drop for PooledBody {
    fn drop(&mut self) {
        if self.lease.is_none() || !self.keep_alive {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut skipped = 0;
        while skipped <= MAX_LINE {
            match Pin::new(&mut *self).poll_frame(&mut cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    skipped += frame.data_ref().map_or(0, Bytes::len);
                }
                // Ended: the connection was given back.
                Poll::Ready(None) => return,
                Poll::Ready(Some(Err(_))) | Poll::Pending => break,
            }
        }
        self.lease = None;
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = SendError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, SendError>>> {
        let this = &mut *self;
        loop {
            let Some(lease) = this.lease.as_mut() else {
                return Poll::Ready(None);
            };
            let buf = &mut lease.conn().buf;
            let available = buf.filled().len();
            match this.framing {
                Framing::Length(0) => {
                    this.end();
                    return Poll::Ready(None);
                }
                Framing::Length(left) if available > 0 => {
                    let n = available.min(usize::try_from(left).unwrap_or(usize::MAX));
                    let data = buf.take(n);
                    this.framing = Framing::Length(left - n as u64);
                    if this.framing == Framing::Length(0) {
                        this.end();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Framing::UntilClose if available > 0 => {
                    let data = buf.take(available);
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Framing::Chunked(Chunked::Data(left)) if available > 0 => {
                    let n = available.min(usize::try_from(left).unwrap_or(usize::MAX));
                    let data = buf.take(n);
                    let left = left - n as u64;
                    this.framing = Framing::Chunked(if left == 0 {
                        Chunked::DataEnd
                    } else {
                        Chunked::Data(left)
                    });
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Framing::Chunked(Chunked::Size) if available > 0 => {
                    match httparse::parse_chunk_size(buf.filled()) {
                        Ok(httparse::Status::Complete((len, 0))) => {
                            buf.consume(len);
                            this.framing = Framing::Chunked(Chunked::Trailers);
                            continue;
                        }
                        Ok(httparse::Status::Complete((len, size))) => {
                            buf.consume(len);
                            this.framing = Framing::Chunked(Chunked::Data(size));
                            continue;
                        }
                        Ok(httparse::Status::Partial) => {}
                        Err(_) => return this.fail("invalid chunk size in the answer"),
                    }
                }
                Framing::Chunked(Chunked::DataEnd) if available >= 2 => {
                    if &buf.filled()[..2] != b"\r\n" {
                        return this.fail("a chunk of the answer does not end with CRLF");
                    }
                    buf.consume(2);
                    this.framing = Framing::chunked();
                    continue;
                }
                Framing::Chunked(Chunked::Trailers) if available > 0 => {
                    // Trailer fields are read past, not kept: the client has no use for them.
                    let filled = buf.filled();
                    if filled.starts_with(b"\r\n") {
                        buf.consume(2);
                        this.framing = Framing::Length(0);
                        continue;
                    }
                    if let Some(end) = filled.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.consume(end + 4);
                        this.framing = Framing::Length(0);
                        continue;
                    }
                }
                _ => {}
            }
            // Nothing usable buffered: read more.
            let limit = match this.framing {
                Framing::Chunked(Chunked::Size | Chunked::DataEnd | Chunked::Trailers) => MAX_LINE,
                _ => usize::MAX,
            };
            match ready!(this.fill(cx, limit)) {
                Ok(true) => {}
                Ok(false) if this.framing == Framing::UntilClose => {
                    this.keep_alive = false;
                    this.end();
                    return Poll::Ready(None);
                }
                Ok(false) => return this.fail("the connection closed before the answer's end"),
                Err(e) => {
                    this.lease = None;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.lease.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.framing {
            _ if self.lease.is_none() => SizeHint::with_exact(0),
            Framing::Length(left) => SizeHint::with_exact(left),
            _ => SizeHint::default(),
        }
    }
}
