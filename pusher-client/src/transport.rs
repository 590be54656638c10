//! The HTTP transport: what carries a signed request to the API and brings the answer back.
//!
//! Everything Pusher-specific — validation, signing (afresh for every attempt), retries, the
//! request timeout, the response-size cap, tracing and typed errors — happens in [`Pusher`]
//! *above* the transport. The transport only moves bytes, so it can be swapped: any
//! [`tower::Service`] taking an [`http::Request<Bytes>`] and returning an
//! [`http::Response`] whose body converts into a [`ResponseBody`], failing with a [`SendError`],
//! can be given to [`PusherBuilder::transport`](crate::PusherBuilder::transport). This is the
//! role the official Python SDK's "backends" play.
//!
//! Built in:
//!
//! - [`ReqwestTransport`] (the default): reqwest with rustls (or native-tls), HTTP/1.1 and
//!   HTTP/2, the `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` variables, [`proxy`] and
//!   [`http_client`] settings.
//! - `HyperTransport` (feature `hyper`): hyper 1's HTTP/1.1 connections in a small pool of its
//!   own (never more connections than concurrent requests), rustls. It spends less CPU per
//!   request (see `docs/perf-transport.md`); it ignores proxy variables.
//!
//! [`Pusher`]: crate::Pusher
//! [`proxy`]: crate::PusherBuilder::proxy
//! [`http_client`]: crate::PusherBuilder::http_client
//!
//! # What a transport receives and must do
//!
//! The request is complete and signed: method, absolute URI (`http[s]://host[:port]/apps/…`
//! with the `auth_*` query parameters), headers (`User-Agent`, `X-Pusher-Library`, and for
//! POSTs `Content-Type: application/json`, maybe `X-Idempotency-Key`) and body. Send it as it
//! is: changing any of it breaks the signature. Don't retry POSTs on your own (the client
//! decides what is safe to repeat) and don't follow redirects.
//!
//! When it fails, say what is known about the request's fate with the [`SendError`]
//! constructor: [`SendError::never_sent`] (refused, DNS, TLS handshake: the server certainly
//! never saw it — the client retries even a trigger), [`SendError::timed_out`] or
//! [`SendError::other`] (it may have been processed — a trigger is then retried only with an
//! idempotency key or `retry_posts`). When unsure, use `other`: it is the safe choice.
//!
//! # A custom transport
//!
//! ```
//! use bytes::Bytes;
//! use pusher_client::transport::{ResponseBody, SendError};
//! use pusher_client::Pusher;
//!
//! # async fn run() -> Result<(), pusher_client::Error> {
//! // Answers every request itself, e.g. for tests; a real one would send it somewhere.
//! let transport = tower::service_fn(|request: http::Request<Bytes>| async move {
//!     assert!(request.uri().query().unwrap_or("").contains("auth_signature="));
//!     Ok::<_, SendError>(http::Response::new(ResponseBody::from("{}")))
//! });
//! let pusher = Pusher::builder("1", "key", "secret").transport(transport).build()?;
//! pusher.trigger("my-channel", "my-event", "hello").await?;
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
//! ```
//!
//! Wrapping the default transport in tower middleware works the same way:
//!
//! ```
//! use bytes::Bytes;
//! use pusher_client::Pusher;
//! use pusher_client::transport::ReqwestTransport;
//! use tower::ServiceBuilder;
//!
//! let transport = ServiceBuilder::new()
//!     // Headers outside the signature may be added; the signed URI and body must not change.
//!     .map_request(|mut request: http::Request<Bytes>| {
//!         request.headers_mut().insert("x-request-source", http::HeaderValue::from_static("jobs"));
//!         request
//!     })
//!     .service(ReqwestTransport::new(reqwest::Client::new()));
//! let pusher = Pusher::builder("1", "key", "secret").transport(transport).build()?;
//! # Ok::<(), pusher_client::Error>(())
//! ```
//!
//! # The hyper transport
//!
//! With `pusher-client = { version = "…", features = ["hyper"] }`:
//!
//! ```
//! # #[cfg(feature = "hyper")] {
//! use std::time::Duration;
//! use pusher_client::Pusher;
//! use pusher_client::transport::HyperTransport;
//!
//! let transport = HyperTransport::builder()
//!     .connect_timeout(Duration::from_secs(2))
//!     .build()?;
//! let pusher = Pusher::builder("1", "key", "secret").transport(transport).build()?;
//! # }
//! # Ok::<(), pusher_client::Error>(())
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

/// `tower::Service` for a built-in transport: always ready, and each call clones the transport
/// (cheap: clones share the connection pool) into a boxed future of its `send`.
macro_rules! service_via_send {
    ($transport:ty) => {
        impl tower::Service<http::Request<bytes::Bytes>> for $transport {
            type Response = http::Response<$crate::transport::ResponseBody>;
            type Error = $crate::transport::SendError;
            type Future = $crate::transport::BoxFuture<Result<Self::Response, Self::Error>>;

            fn poll_ready(
                &mut self,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), Self::Error>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn call(&mut self, request: http::Request<bytes::Bytes>) -> Self::Future {
                let this = self.clone();
                Box::pin(async move { this.send(request).await })
            }
        }
    };
}

#[cfg(feature = "hyper")]
mod hyper_impl;
#[cfg(feature = "hyper")]
pub use hyper_impl::{HyperTransport, HyperTransportBuilder};

/// Any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What is known about a request that failed in the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendErrorKind {
    /// The request certainly never reached the server (connection refused, DNS, TLS
    /// handshake, connect timeout): safe to repeat, even for a trigger.
    NeverSent,
    /// No complete answer in time: the request may have been processed.
    TimedOut,
    /// Anything else (connection reset, protocol error, body read error): the request may have
    /// been processed.
    Other,
}

/// A transport's failure: what went wrong, and whether the request may have been processed.
///
/// The retry policy reads only [`kind`](Self::kind), so a custom transport is retried exactly
/// like the built-in ones. Don't put secrets or the signed URI into the source's message: it
/// ends up in [`TransportError`](crate::TransportError)'s text.
#[derive(Debug)]
pub struct SendError {
    kind: SendErrorKind,
    timed_out: bool,
    source: BoxError,
}

impl SendError {
    /// The request certainly never reached the server (refused, DNS, TLS handshake).
    pub fn never_sent(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::NeverSent,
            timed_out: false,
            source: source.into(),
        }
    }

    /// No connection could be made within the connect timeout: never sent, and a timeout.
    pub fn connect_timeout(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::NeverSent,
            timed_out: true,
            source: source.into(),
        }
    }

    /// The request was (or may have been) sent, and no complete answer came in time.
    pub fn timed_out(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::TimedOut,
            timed_out: true,
            source: source.into(),
        }
    }

    /// Any other failure; the request may have been processed.
    pub fn other(source: impl Into<BoxError>) -> Self {
        SendError {
            kind: SendErrorKind::Other,
            timed_out: false,
            source: source.into(),
        }
    }

    /// What is known about the request's fate.
    pub fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// `true` for [`connect_timeout`](Self::connect_timeout) and
    /// [`timed_out`](Self::timed_out).
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }

    pub(crate) fn into_source(self) -> BoxError {
        self.source
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The body of an answer, read by the client up to its size cap (8 MiB) and no further.
///
/// Either complete bytes (`From<Bytes>`, `From<String>`, `From<&'static str>`,
/// `From<Vec<u8>>`) or any streaming [`http_body::Body`] ([`ResponseBody::streaming`]), which
/// the client reads frame by frame so an oversized answer is refused without being buffered.
pub struct ResponseBody(BodyKind);

enum BodyKind {
    Full(Option<Bytes>),
    #[cfg(feature = "hyper")]
    Hyper(hyper::body::Incoming),
    #[cfg(feature = "hyper")]
    Pooled(hyper_impl::PooledBody),
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

#[cfg(feature = "hyper")]
impl ResponseBody {
    pub(crate) fn pooled(body: hyper_impl::PooledBody) -> Self {
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

#[cfg(feature = "hyper")]
impl From<hyper::body::Incoming> for ResponseBody {
    fn from(body: hyper::body::Incoming) -> Self {
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
            #[cfg(feature = "hyper")]
            BodyKind::Hyper(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(SendError::other))),
            #[cfg(feature = "hyper")]
            BodyKind::Pooled(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(SendError::other))),
            BodyKind::Boxed(body) => body.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            BodyKind::Full(bytes) => bytes.is_none(),
            #[cfg(feature = "hyper")]
            BodyKind::Hyper(body) => body.is_end_stream(),
            #[cfg(feature = "hyper")]
            BodyKind::Pooled(body) => body.is_end_stream(),
            BodyKind::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            BodyKind::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            #[cfg(feature = "hyper")]
            BodyKind::Hyper(body) => body.size_hint(),
            #[cfg(feature = "hyper")]
            BodyKind::Pooled(body) => body.size_hint(),
            BodyKind::Boxed(body) => body.size_hint(),
        }
    }
}

/// The default transport: a `reqwest::Client` (whose connection pool every clone shares).
///
/// [`PusherBuilder`](crate::PusherBuilder) makes one by itself, with its connect timeout,
/// proxy and keep-alive settings; make one yourself only to wrap it in tower middleware.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// Sends through this client. Its own timeouts apply besides the Pusher client's.
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }

    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<ResponseBody>, SendError> {
        let request = reqwest::Request::try_from(request).map_err(SendError::never_sent)?;
        let response = self.client.execute(request).await.map_err(reqwest_error)?;
        let response: http::Response<reqwest::Body> = response.into();
        Ok(response.map(ResponseBody::streaming))
    }
}

fn reqwest_error(e: reqwest::Error) -> SendError {
    let timeout = e.is_timeout();
    let connect = e.is_connect();
    let e = e.without_url();
    match (connect, timeout) {
        (true, true) => SendError::connect_timeout(e),
        (true, false) => SendError::never_sent(e),
        (false, true) => SendError::timed_out(e),
        (false, false) => SendError::other(e),
    }
}

service_via_send!(ReqwestTransport);

type Custom = BoxCloneSyncService<http::Request<Bytes>, http::Response<ResponseBody>, SendError>;

/// The transport a client uses: the built-in ones without boxing, others boxed.
#[derive(Clone)]
pub(crate) enum Transport {
    Reqwest(ReqwestTransport),
    #[cfg(feature = "hyper")]
    Hyper(HyperTransport),
    Custom(Custom),
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Reqwest(_) => "reqwest",
            #[cfg(feature = "hyper")]
            Transport::Hyper(_) => "hyper",
            Transport::Custom(_) => "custom",
        })
    }
}

impl Transport {
    /// Wraps a caller's service; a built-in transport given this way is used unboxed.
    pub(crate) fn from_service<S, B>(service: S) -> Transport
    where
        S: Service<http::Request<Bytes>, Response = http::Response<B>, Error = SendError>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        B: Into<ResponseBody> + 'static,
    {
        let any = &service as &dyn Any;
        if let Some(t) = any.downcast_ref::<ReqwestTransport>() {
            return Transport::Reqwest(t.clone());
        }
        #[cfg(feature = "hyper")]
        if let Some(t) = any.downcast_ref::<HyperTransport>() {
            return Transport::Hyper(t.clone());
        }
        Transport::Custom(BoxCloneSyncService::new(
            service.map_response(|r: http::Response<B>| r.map(Into::into)),
        ))
    }

    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<ResponseBody>, SendError> {
        match self {
            Transport::Reqwest(t) => t.send(request).await,
            #[cfg(feature = "hyper")]
            Transport::Hyper(t) => t.send(request).await,
            Transport::Custom(s) => s.clone().oneshot(request).await,
        }
    }
}
