//! [`HyperTransport`]: hyper 1 and hyper-util's pooled ("legacy") client, HTTP/1.1, rustls.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower::Service;

use super::{BoxFuture, ResponseBody, SendError};
use crate::config::DEFAULT_CONNECT_TIMEOUT;
use crate::error::ConfigError;

/// A transport on hyper 1 (hyper-util's pooled client): HTTP/1.1 with keep-alive, TLS through
/// rustls (aws-lc-rs, the platform's certificate verifier), plain HTTP for self-hosted
/// servers. Needs the `hyper` feature and a tokio runtime.
///
/// It spends less CPU per request than reqwest (see `docs/perf-transport.md`), which matters
/// when a server triggers thousands of events a second. It does not read `HTTPS_PROXY` and
/// friends; use the default transport behind a proxy.
///
/// Cheap to clone: clones share one connection pool.
///
/// ```
/// use pusher_client::Pusher;
/// use pusher_client::transport::HyperTransport;
///
/// let pusher = Pusher::builder("1", "key", "secret")
///     .transport(HyperTransport::new()?)
///     .build()?;
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    // Behind an `Arc`: hyper-util's `Client` is a few hundred bytes of settings, and the
    // client clones its transport for every boxed call.
    client: Arc<Client<HttpsConnector<HttpConnector>, Full<Bytes>>>,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport").finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with the defaults of [`HyperTransportBuilder`].
    pub fn new() -> Result<Self, ConfigError> {
        Self::builder().build()
    }

    /// Starts configuring a transport.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            pool_max_idle_per_host: usize::MAX,
            tcp_keepalive: Some(Duration::from_secs(60)),
        }
    }

    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<ResponseBody>, SendError> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(body));
        match self.client.request(request).await {
            Ok(response) => Ok(response.map(ResponseBody::from)),
            Err(e) => Err(classify(e)),
        }
    }
}

/// Connect failures (DNS, refused, TLS handshake, connect timeout) never reached the server;
/// anything later may have.
fn classify(e: hyper_util::client::legacy::Error) -> SendError {
    if !e.is_connect() {
        return SendError::other(e);
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return SendError::connect_timeout(e);
            }
        }
        cause = c.source();
    }
    SendError::never_sent(e)
}

impl Service<http::Request<Bytes>> for HyperTransport {
    type Response = http::Response<ResponseBody>;
    type Error = SendError;
    type Future = BoxFuture<Result<Self::Response, SendError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), SendError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.send(request).await })
    }
}

/// Configures a [`HyperTransport`]. Made by [`HyperTransport::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct HyperTransportBuilder {
    connect_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    tcp_keepalive: Option<Duration>,
}

impl HyperTransportBuilder {
    /// How long connecting (per address tried) may take; `None` for no limit. Default 5 s.
    /// A connect timeout counts as "never sent", so even a trigger is retried after it.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// How long an idle keep-alive connection is kept; `None` for ever. Default 90 s.
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// Most idle connections kept per host. Default: no limit (as many as were in use).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// TCP keep-alive probes on idle connections; `None` for off. Default 60 s.
    pub fn tcp_keepalive(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.tcp_keepalive = interval.into();
        self
    }

    /// Builds the transport (loads the platform's certificate verifier).
    pub fn build(self) -> Result<HyperTransport, ConfigError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(self.connect_timeout);
        http.set_keepalive(self.tcp_keepalive);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_platform_verifier(provider)
            .map_err(|e| ConfigError::HttpClient {
                reason: format!("TLS setup failed: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .build(https);
        Ok(HyperTransport {
            client: Arc::new(client),
        })
    }
}
