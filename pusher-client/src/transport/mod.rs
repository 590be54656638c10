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
//! - [`HyperTransport`] (the default): HTTP/1.1 keep-alive connections in a pool of its own
//!   (never more connections than concurrent requests), opened by hyper-util's connector, each
//!   request exchanged on the task that sends it (answers parsed by hyper's parser, `httparse`); proxies from [`proxy`] or the
//!   `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` variables; TLS by feature (`rustls`, the default,
//!   with *ring*; `aws-lc-rs`; `native-tls`).
//! - `ReqwestTransport` (feature `reqwest`): a `reqwest::Client` your app configures, given
//!   with `PusherBuilder::http_client` (also feature `reqwest`).
//!
//! [`Pusher`]: crate::Pusher
//! [`proxy`]: crate::PusherBuilder::proxy
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
//! use std::time::Duration;
//! use bytes::Bytes;
//! use pusher_client::Pusher;
//! use pusher_client::transport::HyperTransport;
//! use tower::ServiceBuilder;
//!
//! let transport = ServiceBuilder::new()
//!     // Headers outside the signature may be added; the signed URI and body must not change.
//!     .map_request(|mut request: http::Request<Bytes>| {
//!         request.headers_mut().insert("x-request-source", http::HeaderValue::from_static("jobs"));
//!         request
//!     })
//!     .service(HyperTransport::builder().connect_timeout(Duration::from_secs(2)).build()?);
//! let pusher = Pusher::builder("1", "key", "secret").transport(transport).build()?;
//! # Ok::<(), pusher_client::Error>(())
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
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

mod body;
mod error;
mod hyper;
mod outgoing;
#[cfg(feature = "reqwest")]
mod reqwest;

pub use self::body::ResponseBody;
pub use self::error::{SendError, SendErrorKind};
pub(crate) use self::hyper::HAS_TLS;
pub use self::hyper::{Certificate, HyperTransport, HyperTransportBuilder};
pub(crate) use self::outgoing::{Answer, Outgoing};
#[cfg(feature = "reqwest")]
pub use self::reqwest::ReqwestTransport;

/// Any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

type Custom = BoxCloneSyncService<http::Request<Bytes>, http::Response<ResponseBody>, SendError>;

/// The transport a client uses: the built-in ones without boxing, others boxed.
#[derive(Clone)]
pub(crate) enum Transport {
    Hyper(HyperTransport),
    #[cfg(feature = "reqwest")]
    Reqwest(ReqwestTransport),
    Custom(Custom),
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Hyper(_) => "hyper",
            #[cfg(feature = "reqwest")]
            Transport::Reqwest(_) => "reqwest",
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
        if let Some(t) = any.downcast_ref::<HyperTransport>() {
            return Transport::Hyper(t.clone());
        }
        #[cfg(feature = "reqwest")]
        if let Some(t) = any.downcast_ref::<ReqwestTransport>() {
            return Transport::Reqwest(t.clone());
        }
        Transport::Custom(BoxCloneSyncService::new(
            service.map_response(|r: http::Response<B>| r.map(Into::into)),
        ))
    }

    /// Sends a signed request and returns the answer's status and unread body. The default
    /// transport takes the request as it is (`outgoing.rs` says why); the others as an
    /// `http::Request`.
    pub(crate) async fn exchange(&self, out: &Outgoing<'_>) -> Result<Answer, SendError> {
        let response = match self {
            Transport::Hyper(t) => return t.exchange(out).await,
            #[cfg(feature = "reqwest")]
            Transport::Reqwest(t) => t.send(out.to_request()?).await?,
            Transport::Custom(s) => s.clone().oneshot(out.to_request()?).await?,
        };
        Ok(Answer::from_response(response))
    }
}
