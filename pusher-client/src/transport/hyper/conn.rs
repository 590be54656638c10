//! One HTTP/1.1 connection, driven by the task whose request uses it: the request goes out in
//! one write, the answer's head is parsed by `httparse` (hyper's parser), and its body is read
//! by [`PooledBody`](super::answer::PooledBody), which gives the connection back to the pool
//! once the answer has been read to its end.
//!
//! Why not hyper's client connection: it runs each connection on a task of its own and hands
//! every request and answer across channels to it, the largest single cost per trigger left
//! after issue 15's first pass. Measured (`docs/perf-transport.md`, "An exchange of our own"):
//! callgrind counts 39.2k instructions per trigger against 47.6k (about a quarter fewer once
//! SHA-256's valgrind-only portable code is set aside); in two bench-load runs beside hyper's
//! connection, 78 % of the sink's ceiling at concurrency 1 against 57–72 %, and 71–74 % at 64
//! on `#[tokio::main]` against 52–71 %; on a current-thread runtime at 64 no difference shows
//! through that machine's noise. What it needs of HTTP/1.1 is small — one request at a time,
//! answers framed by `Content-Length`, chunked coding or the end of the connection — and
//! every rule it applies is tested against a raw-socket server (`tests/tests/h1.rs`).

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Buf, Bytes};
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::answer::Framing;
use super::connect::Stream;
use super::pool::Host;
use crate::transport::SendError;

/// Largest answer head (status line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most headers in an answer.
const MAX_HEADERS: usize = 100;
/// A connection's read buffer to start with: a Pusher answer's head and body fit in it.
const READ_BUFFER: usize = 8 * 1024;

/// An open connection, as the pool keeps it.
pub(super) struct Conn {
    io: Stream,
    pub(super) buf: ReadBuffer,
    /// When it was last given back (for the idle timeout).
    pub(super) since: Instant,
    /// Not used for a request yet: if it fails before sending, the server never saw anything.
    pub(super) fresh: bool,
}

/// Bytes read from the connection and not consumed yet. Zero-filled once, so reading into it
/// needs no unsafe code.
pub(super) struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuffer {
    fn new() -> ReadBuffer {
        ReadBuffer {
            bytes: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
        }
    }

    pub(super) fn filled(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    pub(super) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub(super) fn consume(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// The first `n` bytes, consumed.
    pub(super) fn take(&mut self, n: usize) -> Bytes {
        let taken = Bytes::copy_from_slice(&self.filled()[..n]);
        self.consume(n);
        taken
    }

    /// Reads more bytes, keeping at most `limit` unconsumed ones (an error beyond it).
    /// `Ok(0)`: the connection ended.
    pub(super) fn poll_fill(
        &mut self,
        io: &mut Stream,
        cx: &mut Context<'_>,
        limit: usize,
    ) -> Poll<io::Result<usize>> {
        if self.end == self.bytes.len() {
            if self.start > 0 {
                self.bytes.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.bytes.len() < limit {
                let grown = (self.bytes.len() * 2).min(limit);
                self.bytes.resize(grown, 0);
            } else {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the answer's head or a chunk line is longer than {limit} bytes"),
                )));
            }
        }
        let mut read = ReadBuf::new(&mut self.bytes[self.end..]);
        match Pin::new(io).poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                self.end += n;
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// An answer's head: what of its headers the caller keeps (`H`), and how its body is framed.
pub(super) struct Head<H> {
    pub(super) status: StatusCode,
    pub(super) version: Version,
    pub(super) headers: H,
    pub(super) framing: Framing,
    /// The connection may carry another request once the body has been read.
    pub(super) keep_alive: bool,
}

/// Why a request failed; `unsent`: nothing of it was written.
pub(super) struct Failed {
    pub(super) unsent: bool,
    pub(super) error: SendError,
}

/// What is kept of an answer's headers: all of them for a caller of the `tower::Service`
/// ([`HeaderMap`]), only `Retry-After` for the client's own requests ([`RetryAfter`]).
pub(super) trait Keep: Sized {
    /// `raw` is the head the `headers` were parsed from.
    fn keep(
        headers: &[httparse::Header<'_>],
        raw: &[u8],
        status: StatusCode,
    ) -> Result<Self, SendError>;
}

impl Keep for HeaderMap {
    fn keep(
        headers: &[httparse::Header<'_>],
        raw: &[u8],
        _: StatusCode,
    ) -> Result<HeaderMap, SendError> {
        // The values are slices of one copy of the head: one allocation, not one per header.
        // (The header slices point into `raw`; their offsets are found by address.)
        let shared = Bytes::copy_from_slice(raw);
        let base = raw.as_ptr() as usize;
        let mut map = HeaderMap::with_capacity(headers.len());
        for h in headers {
            let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| {
                SendError::other(format!("invalid header name {:?} in the answer", h.name))
            })?;
            let start = (h.value.as_ptr() as usize).wrapping_sub(base);
            let range = start..start.saturating_add(h.value.len());
            let value = match shared.get(range.clone()) {
                Some(_) => HeaderValue::from_maybe_shared(shared.slice(range)),
                None => HeaderValue::from_bytes(h.value),
            }
            .map_err(|_| SendError::other(format!("invalid value of {name} in the answer")))?;
            map.append(name, value);
        }
        Ok(map)
    }
}

/// The one header the client reads: `Retry-After`, of the statuses it obeys it for.
pub(super) struct RetryAfter(pub(super) Option<Vec<u8>>);

impl Keep for RetryAfter {
    fn keep(
        headers: &[httparse::Header<'_>],
        _: &[u8],
        status: StatusCode,
    ) -> Result<RetryAfter, SendError> {
        let wanted = matches!(status.as_u16(), 429 | 503);
        Ok(RetryAfter(
            values(headers, "retry-after")
                .next()
                .filter(|_| wanted)
                .map(<[u8]>::to_vec),
        ))
    }
}

impl Conn {
    pub(super) fn new(io: Stream) -> Conn {
        Conn {
            io,
            buf: ReadBuffer::new(),
            since: Instant::now(),
            fresh: true,
        }
    }

    /// The stream and the bytes read from it, to read more.
    pub(super) fn parts(&mut self) -> (&mut Stream, &mut ReadBuffer) {
        (&mut self.io, &mut self.buf)
    }

    /// Still usable for a request: the server has not closed it, and sent nothing unasked.
    /// Asks the socket without waiting; tokio answers from the readiness it already knows
    /// of, so an idle connection costs no system call here.
    pub(super) fn is_usable(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut probe = [0u8; 1];
        let mut read = ReadBuf::new(&mut probe);
        matches!(
            Pin::new(&mut self.io).poll_read(&mut cx, &mut read),
            Poll::Pending
        )
    }

    /// Writes a request (`head`, already encoded, then `body`) and reads the answer's head.
    pub(super) async fn send<H: Keep>(
        &mut self,
        head: &[u8],
        body: &[u8],
        is_head_request: bool,
    ) -> Result<Head<H>, Failed> {
        let mut out = head.chain(body);
        let written = self.write(&mut out).await;
        let unsent = out.first_ref().len() == head.len();
        if let Err(e) = written {
            return Err(Failed {
                unsent,
                error: if unsent {
                    SendError::never_sent(e)
                } else {
                    SendError::other(e)
                },
            });
        }
        self.fresh = false;
        self.read_head(is_head_request)
            .await
            .map_err(|error| Failed {
                unsent: false,
                error,
            })
    }

    /// Writes all of `out`, advancing it by what the stream took, even on an error: the caller
    /// calls a request "never sent" only when none of it was taken.
    async fn write(&mut self, out: &mut bytes::buf::Chain<&[u8], &[u8]>) -> io::Result<()> {
        if self.io.is_write_vectored() || out.last_ref().is_empty() {
            self.io.write_all_buf(out).await?;
        } else {
            // A stream that writes one buffer at a time (native-tls's; TCP and rustls take both
            // at once): joined, so head and body make one TLS record and one write.
            let mut joined = Vec::with_capacity(out.remaining());
            joined.extend_from_slice(out.first_ref());
            joined.extend_from_slice(out.last_ref());
            let mut joined = &joined[..];
            let total = joined.len();
            let written = self.io.write_all_buf(&mut joined).await;
            out.advance(total - joined.remaining());
            written?;
        }
        self.io.flush().await
    }

    async fn read_head<H: Keep>(&mut self, is_head_request: bool) -> Result<Head<H>, SendError> {
        loop {
            if !self.buf.is_empty() {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut parsed = httparse::Response::new(&mut headers);
                match parsed.parse(self.buf.filled()) {
                    Ok(httparse::Status::Complete(len)) => {
                        let raw = &self.buf.filled()[..len];
                        let head = parse_head(&parsed, raw, is_head_request)?;
                        self.buf.consume(len);
                        match head {
                            // 1xx: an interim answer (100 Continue, 103 Early Hints); the
                            // real one follows on the same connection.
                            None => continue,
                            Some(head) => return Ok(head),
                        }
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(e) => {
                        return Err(SendError::other(format!("malformed answer head: {e}")));
                    }
                }
            }
            let io = &mut self.io;
            let buf = &mut self.buf;
            let read = poll_fn(|cx| buf.poll_fill(io, cx, MAX_HEAD)).await;
            match read {
                Ok(0) if self.buf.is_empty() => {
                    return Err(SendError::other(
                        "the connection closed before an answer arrived",
                    ));
                }
                Ok(0) => return Err(SendError::other("the connection closed mid-answer")),
                Ok(_) => {}
                Err(e) => return Err(SendError::other(e)),
            }
        }
    }
}

/// A request's head, as it goes on the wire.
pub(super) struct HeadWriter(Vec<u8>);

impl HeadWriter {
    /// `METHOD target HTTP/1.1`: the target in origin form (`/path?query`), or preceded by
    /// `scheme://authority` (absolute form, to an HTTP proxy).
    pub(super) fn new(method: &Method, absolute: Option<(&str, &str)>, target: &str) -> Self {
        let mut head = Vec::with_capacity(256 + target.len());
        head.extend_from_slice(method.as_str().as_bytes());
        head.push(b' ');
        if let Some((scheme, authority)) = absolute {
            head.extend_from_slice(scheme.as_bytes());
            head.extend_from_slice(b"://");
            head.extend_from_slice(authority.as_bytes());
        }
        head.extend_from_slice(if target.is_empty() { "/" } else { target }.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        HeadWriter(head)
    }

    pub(super) fn header(&mut self, name: &HeaderName, value: &HeaderValue) {
        self.0.extend_from_slice(name.as_str().as_bytes());
        self.0.extend_from_slice(b": ");
        self.0.extend_from_slice(value.as_bytes());
        self.0.extend_from_slice(b"\r\n");
    }

    /// `content-length` by hyper's rule — for any body, and `0` for an empty one except where
    /// a body has no meaning (GET, HEAD, DELETE, OPTIONS, CONNECT, TRACE) — and the blank line.
    pub(super) fn finish(mut self, method: &Method, body_len: usize) -> Vec<u8> {
        let empty_needs_length = !matches!(
            *method,
            Method::GET
                | Method::HEAD
                | Method::DELETE
                | Method::OPTIONS
                | Method::CONNECT
                | Method::TRACE
        );
        if body_len > 0 || empty_needs_length {
            self.0.extend_from_slice(b"content-length: ");
            self.0
                .extend_from_slice(itoa::Buffer::new().format(body_len).as_bytes());
            self.0.extend_from_slice(b"\r\n");
        }
        self.0.extend_from_slice(b"\r\n");
        self.0
    }
}

/// The head of a caller's `http::Request`: its headers, then `content-length` from its body.
/// Any framing header the caller set is replaced: the body's own length frames it.
pub(super) fn encode_head(request: &http::Request<Bytes>, absolute_form: bool) -> Vec<u8> {
    let uri = request.uri();
    let absolute = match (absolute_form, uri.scheme_str(), uri.authority()) {
        (true, Some(scheme), Some(authority)) => Some((scheme, authority.as_str())),
        _ => None,
    };
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut head = HeadWriter::new(request.method(), absolute, target);
    for (name, value) in request.headers() {
        if name != CONTENT_LENGTH && name != TRANSFER_ENCODING {
            head.header(name, value);
        }
    }
    head.finish(request.method(), request.body().len())
}

/// The answer's head, and its framing (RFC 9112 §6.3); `None` for an interim (1xx) answer.
fn parse_head<H: Keep>(
    parsed: &httparse::Response<'_, '_>,
    raw: &[u8],
    is_head_request: bool,
) -> Result<Option<Head<H>>, SendError> {
    let code = parsed.code.unwrap_or(0);
    let status = StatusCode::from_u16(code)
        .map_err(|_| SendError::other(format!("invalid status {code} in the answer")))?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(SendError::other(
            "unexpected 101 Switching Protocols answer",
        ));
    }
    if status.is_informational() {
        return Ok(None);
    }
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let headers = &*parsed.headers;
    let framing = framing(status, headers, is_head_request)?;
    // Both framing headers at once is how answers get smuggled: read this one, then close.
    let ambiguous = values(headers, "transfer-encoding").next().is_some()
        && values(headers, "content-length").next().is_some();
    let keep_alive = !matches!(framing, Framing::UntilClose)
        && !ambiguous
        && match version {
            Version::HTTP_11 => !has_token(headers, "close"),
            _ => has_token(headers, "keep-alive"),
        };
    Ok(Some(Head {
        status,
        version,
        headers: H::keep(headers, raw, status)?,
        framing,
        keep_alive,
    }))
}

/// The values of the header `name` (lower case), in order.
fn values<'h>(
    headers: &'h [httparse::Header<'h>],
    name: &'static str,
) -> impl DoubleEndedIterator<Item = &'h [u8]> {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// How the body ends: no body for HEAD, 204 and 304; chunked if it is the last transfer
/// coding (any other coding: until the connection closes); else `Content-Length`, which must
/// be one number (repeated copies of it allowed); else until the connection closes.
fn framing(
    status: StatusCode,
    headers: &[httparse::Header<'_>],
    is_head_request: bool,
) -> Result<Framing, SendError> {
    if is_head_request || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok(Framing::Length(0));
    }
    if values(headers, "transfer-encoding").next().is_some() {
        let last = values(headers, "transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
            .rfind(|coding| !coding.is_empty());
        return Ok(match last {
            Some(coding) if coding.eq_ignore_ascii_case(b"chunked") => Framing::chunked(),
            _ => Framing::UntilClose,
        });
    }
    let mut length = None;
    for value in values(headers, "content-length") {
        for part in value.split(|&b| b == b',') {
            let n = parse_length(part.trim_ascii())
                .ok_or_else(|| SendError::other("invalid content-length in the answer"))?;
            if length.is_some_and(|l| l != n) {
                return Err(SendError::other(
                    "conflicting content-lengths in the answer",
                ));
            }
            length = Some(n);
        }
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}

fn parse_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// `Connection` lists `token` (case-insensitive).
fn has_token(headers: &[httparse::Header<'_>], token: &str) -> bool {
    values(headers, "connection")
        .flat_map(|v| v.split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
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

    /// Gives the connection back to the pool: only after an answer read to its end, with
    /// nothing more from the server.
    pub(super) fn release(self) {
        let Lease { mut conn, host } = self;
        if conn.buf.is_empty() {
            conn.since = Instant::now();
            host.give_back(conn);
        }
    }
}
