//! [`ResponseBody`]: an answer's body, complete or streaming, read by the client up to its cap.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;

use super::hyper::PooledBody;
use super::{BoxError, SendError};

/// The body of an answer, read by the client up to its size cap (8 MiB) and no further.
///
/// Either complete bytes (`From<Bytes>`, `From<String>`, `From<&'static str>`,
/// `From<Vec<u8>>`) or any streaming [`http_body::Body`] ([`ResponseBody::streaming`]), which
/// the client reads frame by frame so an oversized answer is refused without being buffered.
pub struct ResponseBody(BodyKind);

enum BodyKind {
    Full(Option<Bytes>),
    Hyper(::hyper::body::Incoming),
    Pooled(PooledBody),
    Boxed(Pin<Box<dyn Body<Data = Bytes, Error = SendError> + Send + 'static>>),
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            BodyKind::Full(b) => f
                .debug_struct("ResponseBody")
                .field("len", &b.as_ref().map_or(0, Bytes::len))
                .finish(),
            _ => f.debug_struct("ResponseBody").finish_non_exhaustive(),
        }
    }
}

impl ResponseBody {
    /// An empty body.
    pub fn empty() -> Self {
        ResponseBody(BodyKind::Full(None))
    }

    /// A streaming body; its errors count as [`SendError::other`] (the answer was cut short).
    pub fn streaming<B>(body: B) -> Self
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        ResponseBody(BodyKind::Boxed(Box::pin(body.map_err(SendError::other))))
    }
}

impl ResponseBody {
    pub(crate) fn pooled(body: PooledBody) -> Self {
        ResponseBody(BodyKind::Pooled(body))
    }
}

impl Default for ResponseBody {
    fn default() -> Self {
        ResponseBody::empty()
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        ResponseBody(BodyKind::Full((!bytes.is_empty()).then_some(bytes)))
    }
}

impl From<Vec<u8>> for ResponseBody {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<String> for ResponseBody {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<&'static str> for ResponseBody {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl From<::hyper::body::Incoming> for ResponseBody {
    fn from(body: ::hyper::body::Incoming) -> Self {
        ResponseBody(BodyKind::Hyper(body))
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = SendError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, SendError>>> {
        match &mut self.get_mut().0 {
            BodyKind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            BodyKind::Hyper(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(SendError::other))),
            BodyKind::Pooled(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(SendError::other))),
            BodyKind::Boxed(body) => body.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            BodyKind::Full(bytes) => bytes.is_none(),
            BodyKind::Hyper(body) => body.is_end_stream(),
            BodyKind::Pooled(body) => body.is_end_stream(),
            BodyKind::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            BodyKind::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            BodyKind::Hyper(body) => body.size_hint(),
            BodyKind::Pooled(body) => body.size_hint(),
            BodyKind::Boxed(body) => body.size_hint(),
        }
    }
}
