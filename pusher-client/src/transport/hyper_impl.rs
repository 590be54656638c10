//! [`HyperTransport`]: hyper 1's HTTP/1.1 connections in a small pool of our own, rustls.
//!
//! Why not hyper-util's pooled ("legacy") client: per request it boxes futures, hashes a pool
//! key, and spawns a task that waits for the connection to be reusable; and on a multi-thread
//! runtime it races a new connect against an idle connection being returned, keeping both, so
//! 64 concurrent requests opened ~90–110 connections. A client of one Pusher host needs much
//! less: a list of idle connections per host, taken last-in first-out, each given back when its
//! answer has been read to the end.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tower::{Service, ServiceExt};

use super::{ResponseBody, SendError};
use crate::config::DEFAULT_CONNECT_TIMEOUT;
use crate::error::ConfigError;

/// A transport on hyper 1: HTTP/1.1 with keep-alive connections in its own pool (at most one
/// connection per concurrent request; a connection the server closed while idle is replaced
/// without an error), TLS through rustls (aws-lc-rs, the platform's certificate verifier),
/// plain HTTP for self-hosted servers. Needs the `hyper` feature and a tokio runtime.
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
    pool: Arc<Pool>,
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
        let pool = &self.pool;
        let (mut parts, body) = request.into_parts();
        let (Some(scheme), Some(authority)) = (parts.uri.scheme(), parts.uri.authority()) else {
            // The URI itself is not repeated: its query carries the request's signature.
            return Err(SendError::never_sent(
                "the request URI is not absolute (scheme://host/...)",
            ));
        };
        let (host, host_header, mut idle) = pool.checkout(scheme, authority)?;
        let connect_uri = std::mem::take(&mut parts.uri);
        // Origin form on the wire (`/path?query`), with `Host` from the URI, as hyper-util's
        // client sends it (the two transports' bytes are compared in tests/tests/transport.rs).
        parts.uri = origin_form(&connect_uri);
        parts
            .headers
            .entry(http::header::HOST)
            .or_insert(host_header);
        let mut request = http::Request::from_parts(parts, Full::new(body));
        // An idle connection the server has closed is found out before anything is written
        // (`ready` fails, or the request comes back unsent): try the next, then a fresh one.
        loop {
            let (mut sender, fresh) = match idle.take().or_else(|| pool.take_idle(host)) {
                Some(sender) => (sender, false),
                None => (pool.connect(&connect_uri).await?, true),
            };
            if sender.ready().await.is_err() {
                if fresh {
                    return Err(SendError::never_sent(
                        "the new connection closed before the request was sent",
                    ));
                }
                continue;
            }
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let pool = Arc::clone(pool);
                    return Ok(response.map(|body| {
                        ResponseBody::pooled(PooledBody {
                            body,
                            give_back: Some(GiveBack { pool, host, sender }),
                        })
                    }));
                }
                Err(mut e) => match e.take_message() {
                    Some(unsent) if !fresh => request = unsent,
                    Some(_) => return Err(SendError::never_sent(e.into_error())),
                    None => return Err(SendError::other(e.into_error())),
                },
            }
        }
    }
}

/// `/path?query` of an absolute URI (`/` when it has none).
fn origin_form(uri: &Uri) -> Uri {
    match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => Uri::from(path.clone()),
        _ => Uri::from_static("/"),
    }
}

/// Connect failures (DNS, refused, TLS handshake, connect timeout) never reached the server.
fn connect_error(e: Box<dyn std::error::Error + Send + Sync>) -> SendError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&*e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return SendError::connect_timeout(e);
        }
        cause = c.source();
    }
    SendError::never_sent(e)
}

/// The connections of one transport, per host (scheme and authority).
struct Pool {
    connector: HttpsConnector<HttpConnector>,
    idle_timeout: Option<Duration>,
    max_idle_per_host: usize,
    /// Hosts are never removed, so an index names one for the pool's life. A client talks to
    /// one host: a linear search beats hashing here.
    hosts: Mutex<Vec<Host>>,
}

struct Host {
    scheme: Scheme,
    authority: Authority,
    host_header: HeaderValue,
    /// Most recently used last.
    idle: Vec<Idle>,
}

impl Host {
    fn new(scheme: &Scheme, authority: &Authority) -> Result<Host, SendError> {
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            other => {
                return Err(SendError::never_sent(format!(
                    "unsupported scheme {other:?} (use http or https)"
                )));
            }
        };
        let host_header = match authority.port_u16() {
            Some(port) if port != default_port => format!("{}:{port}", authority.host()),
            _ => authority.host().to_owned(),
        };
        let host_header = HeaderValue::try_from(host_header)
            .map_err(|e| SendError::never_sent(format!("invalid host: {e}")))?;
        Ok(Host {
            scheme: scheme.clone(),
            authority: authority.clone(),
            host_header,
            idle: Vec::new(),
        })
    }
}

struct Idle {
    sender: SendRequest<Full<Bytes>>,
    since: Instant,
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Host>> {
        // The lists stay consistent whatever panicked while holding the lock.
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One lock for what a request needs: the host's index (the host is added on first use),
    /// its `Host` header, and an idle connection if there is one.
    #[allow(clippy::type_complexity)]
    fn checkout(
        &self,
        scheme: &Scheme,
        authority: &Authority,
    ) -> Result<(usize, HeaderValue, Option<SendRequest<Full<Bytes>>>), SendError> {
        let mut hosts = self.lock();
        let index = match hosts
            .iter()
            .position(|h| h.authority == *authority && h.scheme == *scheme)
        {
            Some(index) => index,
            None => {
                hosts.push(Host::new(scheme, authority)?);
                hosts.len() - 1
            }
        };
        let host = &mut hosts[index];
        let header = host.host_header.clone();
        let idle = self.pick(&mut host.idle);
        Ok((index, header, idle))
    }

    /// An idle connection of this host (see [`Pool::pick`]).
    fn take_idle(&self, host: usize) -> Option<SendRequest<Full<Bytes>>> {
        self.pick(&mut self.lock()[host].idle)
    }

    /// The most recently returned open connection, preferring one already ready for its next
    /// request: a connection given back a moment ago may still be finishing the previous
    /// answer on its own task, and waiting for it costs a task switch. Closed and expired
    /// ones are dropped on the way.
    fn pick(&self, idle: &mut Vec<Idle>) -> Option<SendRequest<Full<Bytes>>> {
        if let Some(i) = idle.iter().rposition(|entry| entry.sender.is_ready()) {
            let entry = idle.remove(i);
            if !self.expired(&entry, Instant::now()) {
                return Some(entry.sender);
            }
        }
        let now = Instant::now();
        idle.retain(|entry| !entry.sender.is_closed() && !self.expired(entry, now));
        idle.pop().map(|entry| entry.sender)
    }

    fn expired(&self, entry: &Idle, now: Instant) -> bool {
        self.idle_timeout
            .is_some_and(|timeout| now.saturating_duration_since(entry.since) > timeout)
    }

    /// Takes back a connection whose answer was read to the end.
    fn give_back(&self, host: usize, sender: SendRequest<Full<Bytes>>) {
        if sender.is_closed() {
            return;
        }
        let mut hosts = self.lock();
        let idle = &mut hosts[host].idle;
        let now = Instant::now();
        // Connections idle past the timeout sit at the front: drop them when the oldest is due.
        if idle.first().is_some_and(|oldest| self.expired(oldest, now)) {
            idle.retain(|entry| !self.expired(entry, now));
        }
        if idle.len() < self.max_idle_per_host {
            idle.push(Idle { sender, since: now });
        }
    }

    /// Opens a connection (TCP, TLS for https) and starts serving it on the runtime.
    async fn connect(&self, uri: &Uri) -> Result<SendRequest<Full<Bytes>>, SendError> {
        let mut connector = self.connector.clone();
        let io = connector
            .ready()
            .await
            .map_err(connect_error)?
            .call(uri.clone())
            .await
            .map_err(connect_error)?;
        let (sender, connection) = http1::handshake(io).await.map_err(SendError::never_sent)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "pusher connection closed with an error");
            }
        });
        Ok(sender)
    }
}

/// An answer's body that gives its connection back to the pool once read to the end, or when
/// dropped: hyper keeps the connection if the whole answer had arrived, and closes it if not
/// (HTTP/1 cannot skip the rest of an answer), which the pool sees before reusing it.
pub(crate) struct PooledBody {
    body: Incoming,
    give_back: Option<GiveBack>,
}

struct GiveBack {
    pool: Arc<Pool>,
    host: usize,
    sender: SendRequest<Full<Bytes>>,
}

impl PooledBody {
    fn give_back(&mut self) {
        if let Some(GiveBack { pool, host, sender }) = self.give_back.take() {
            pool.give_back(host, sender);
        }
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        self.give_back();
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
            this.give_back();
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

service_via_send!(HyperTransport);

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

    /// How long an idle keep-alive connection may be reused; `None` for ever. Default 90 s.
    /// Checked when the pool is next used (no timer per connection); a server closing the
    /// connection first is noticed by itself.
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
        Ok(HyperTransport {
            pool: Arc::new(Pool {
                connector: https,
                idle_timeout: self.pool_idle_timeout,
                max_idle_per_host: self.pool_max_idle_per_host,
                hosts: Mutex::new(Vec::new()),
            }),
        })
    }
}
