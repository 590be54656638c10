//! [`HyperTransport`], the default transport: HTTP/1.1 keep-alive connections, each request
//! exchanged on the task that sends it (`conn.rs`: the request and the answer's head;
//! `answer.rs`: the answer's body), kept in an idle list per host (`pool.rs`), opened by
//! hyper-util's connector directly or through a proxy (`connect.rs`), with TLS by feature
//! (`tls.rs`; added roots: `certificate.rs`). The name stays from its first version, on
//! hyper's client connections; why the exchange is now our own is in `conn.rs`.

mod answer;
mod certificate;
mod conn;
mod connect;
mod pool;
mod tls;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;

pub(crate) use self::answer::PooledBody;
pub use self::certificate::Certificate;
use self::conn::{Failed, Head, HeadWriter, Keep, Lease, RetryAfter};
use self::pool::{Host, Pool, Settings};
pub(crate) use self::tls::HAS_TLS;
use self::tls::Tls;
use super::{Answer, Outgoing, ResponseBody, SendError};
use crate::config::DEFAULT_CONNECT_TIMEOUT;
use crate::error::ConfigError;

/// The default transport: HTTP/1.1 with keep-alive connections pooled per host (never more
/// connections than requests in flight), TLS by feature, proxies from the environment or the
/// builder. Needs a tokio runtime, either flavour. Each request is written and its answer
/// read by the task that sends it — no connection task, no hand-off between tasks or worker
/// threads — so it costs the same on `#[tokio::main]` as on a current-thread runtime.
///
/// [`PusherBuilder`](crate::PusherBuilder) makes one by itself from its settings
/// (`connect_timeout`, `proxy`, `add_root_certificate`); make one yourself to tune the pool
/// or to wrap it in tower middleware. Cheap to clone: clones share one pool.
///
/// - **Connections**: HTTP/1.1 keep-alive, the most recently used idle one first; a request
///   with none idle opens its own, so N concurrent requests hold at most N connections. A
///   connection the server closed while idle is replaced without an error (nothing was sent).
/// - **Proxies** (the same rules as reqwest): by default `HTTP_PROXY` for `http://` hosts and
///   `HTTPS_PROXY` for `https://` ones (lower-case names too; `ALL_PROXY` for both), except
///   hosts in `NO_PROXY`, read when the transport is built; [`proxy`](HyperTransportBuilder::proxy)
///   sends everything through one proxy instead, [`no_proxy`](HyperTransportBuilder::no_proxy)
///   nothing. Proxies are `http://` ones (credentials in the URL become `Proxy-Authorization`);
///   `https://` hosts go through them in a `CONNECT` tunnel.
/// - **TLS**: rustls with *ring* (feature `rustls`, the default), rustls with aws-lc-rs
///   (`aws-lc-rs`), or the platform's library (`native-tls`, preferred when on); certificates
///   checked against the platform's roots, and those given to
///   [`add_root_certificate`](HyperTransportBuilder::add_root_certificate) (a private CA or a
///   self-signed server). Without any of them, `https://` hosts are refused.
///
/// ```
/// use std::time::Duration;
/// use pusher_client::Pusher;
/// use pusher_client::transport::HyperTransport;
///
/// let transport = HyperTransport::builder()
///     .pool_idle_timeout(Duration::from_secs(30))
///     .pool_max_idle_per_host(16)
///     .build()?;
/// let pusher = Pusher::builder("1", "key", "secret").transport(transport).build()?;
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    pool: Arc<Pool>,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the proxy URL: it may carry credentials.
        f.debug_struct("HyperTransport")
            .field("tls", &tls::BACKEND)
            .finish_non_exhaustive()
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
            proxy: ProxySetting::System,
            root_certificates: Vec::new(),
        }
    }

    /// A caller's `http::Request` (the `tower::Service`): its own headers, all the answer's.
    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<ResponseBody>, SendError> {
        let (mut parts, body) = request.into_parts();
        let (Some(scheme), Some(authority)) = (parts.uri.scheme(), parts.uri.authority()) else {
            // The URI itself is not repeated: its query carries the request's signature.
            return Err(SendError::never_sent(
                "the request URI is not absolute (scheme://host/...)",
            ));
        };
        let host = self.pool.host(scheme, authority)?;
        // Origin form on the wire (`/path?query`) with `Host` from the URI, as hyper-util's
        // and reqwest's clients send it (tests/tests/transport.rs compares the bytes); the
        // absolute form to an HTTP proxy.
        parts
            .headers
            .entry(http::header::HOST)
            .or_insert_with(|| host.host_header.clone());
        if let Some(auth) = host.route.request_auth() {
            parts
                .headers
                .insert(http::header::PROXY_AUTHORIZATION, auth.clone());
        }
        let request = http::Request::from_parts(parts, body);
        let head = conn::encode_head(&request, host.route.absolute_form());
        let is_head = request.method() == Method::HEAD;
        let (answer, lease) = roundtrip::<HeaderMap>(&host, &head, request.body(), is_head).await?;
        let mut response = http::Response::new(ResponseBody::pooled(PooledBody::new(
            lease,
            answer.framing,
            answer.keep_alive,
        )));
        *response.status_mut() = answer.status;
        *response.version_mut() = answer.version;
        *response.headers_mut() = answer.headers;
        Ok(response)
    }

    /// The client's own request, written as it is: the same bytes on the wire as
    /// [`send`](Self::send) makes of it as an `http::Request` (tests/tests/h1.rs compares
    /// them), without building that request or the answer's header map.
    pub(crate) async fn exchange(&self, out: &Outgoing<'_>) -> Result<Answer, SendError> {
        let host = self.pool.host(out.scheme, out.authority)?;
        let absolute = host
            .route
            .absolute_form()
            .then(|| (out.scheme.as_str(), out.authority.as_str()));
        let mut head = HeadWriter::new(out.method, absolute, &out.target);
        for (name, value) in out.headers() {
            head.header(name, value);
        }
        head.header(&http::header::HOST, &host.host_header);
        if let Some(auth) = host.route.request_auth() {
            head.header(&http::header::PROXY_AUTHORIZATION, auth);
        }
        let body = out.body();
        let head = head.finish(out.method, body.len());
        let (answer, lease) = roundtrip::<RetryAfter>(&host, &head, body, false).await?;
        let body = PooledBody::new(lease, answer.framing, answer.keep_alive);
        Ok(Answer::new(
            answer.status.as_u16(),
            answer.headers.0.as_deref(),
            ResponseBody::pooled(body),
        ))
    }
}

/// Writes a request on a connection of `host` and reads the answer's head. A kept-alive
/// connection the server had closed fails before anything is written: the next one is tried.
async fn roundtrip<H: Keep>(
    host: &Arc<Host>,
    head: &[u8],
    body: &[u8],
    is_head_request: bool,
) -> Result<(Head<H>, Lease), SendError> {
    loop {
        let mut lease = host.checkout().await?;
        let fresh = lease.conn().fresh;
        match lease.conn().send(head, body, is_head_request).await {
            Ok(answer) => return Ok((answer, lease)),
            Err(Failed { unsent: true, .. }) if !fresh => {}
            Err(Failed { error, .. }) => return Err(error),
        }
    }
}

service_via_send!(HyperTransport);

#[derive(Clone)]
enum ProxySetting {
    /// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` (and the platform's settings on
    /// macOS and Windows), read at build.
    System,
    None,
    All(String),
}

/// Configures a [`HyperTransport`]. Made by [`HyperTransport::builder`].
#[derive(Clone)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct HyperTransportBuilder {
    connect_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    tcp_keepalive: Option<Duration>,
    proxy: ProxySetting,
    root_certificates: Vec<Certificate>,
}

impl fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = match &self.proxy {
            ProxySetting::System => "from the environment",
            ProxySetting::None => "none",
            ProxySetting::All(_) => "one for all requests",
        };
        f.debug_struct("HyperTransportBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("proxy", &proxy)
            .field(
                "root_certificates",
                &Certificate::count_all(&self.root_certificates),
            )
            .finish()
    }
}

impl HyperTransportBuilder {
    /// How long connecting (per address tried) may take; `None` for no limit. Default 5 s.
    /// A connect timeout counts as "never sent", so even a trigger is retried after it.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// How long an idle keep-alive connection may be reused; `None` for ever. Default 90 s.
    /// Checked when a connection is taken or given back (no timer per connection).
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// Most idle connections kept per host (one given back beyond it is closed).
    /// Default: no limit (as many as were in use at once).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// TCP keep-alive probes on idle connections; `None` for off. Default 60 s.
    pub fn tcp_keepalive(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.tcp_keepalive = interval.into();
        self
    }

    /// Sends every request through this HTTP proxy (`http://[user:password@]host:port`),
    /// whatever the proxy variables say. `https://` hosts are reached in a `CONNECT` tunnel.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::All(url.into());
        self
    }

    /// Never uses a proxy, whatever the proxy variables say.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySetting::None;
        self
    }

    /// Trusts this certificate's roots **in addition to** the platform's: for a server whose
    /// certificate comes from a private CA, or is self-signed. Call it once per certificate (or
    /// give a PEM bundle). Only `https://` hosts use it; in a build without a TLS feature it is
    /// accepted and has nothing to apply to (`https://` hosts are refused there anyway).
    ///
    /// ```no_run
    /// use pusher_client::transport::{Certificate, HyperTransport};
    ///
    /// let ca = Certificate::from_pem(&std::fs::read("/etc/pusher/ca.pem")?)?;
    /// let transport = HyperTransport::builder().add_root_certificate(ca).build()?;
    /// # drop(transport);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_root_certificate(mut self, certificate: Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Builds the transport: checks the proxy URL, reads the proxy variables, sets up TLS
    /// (loads the platform's certificate verifier, with the added roots).
    pub fn build(self) -> Result<HyperTransport, ConfigError> {
        let proxies = match self.proxy {
            ProxySetting::System => Some(Matcher::from_system()),
            ProxySetting::None => None,
            ProxySetting::All(url) => {
                check_proxy_url(&url)?;
                Some(Matcher::builder().all(url).build())
            }
        };
        let roots: Vec<_> = self
            .root_certificates
            .iter()
            .flat_map(|c| c.ders().iter().cloned())
            .collect();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(self.connect_timeout);
        http.set_keepalive(self.tcp_keepalive);
        Ok(HyperTransport {
            pool: Arc::new(Pool::new(Settings {
                http,
                tls: Tls::new(&roots)?.map(Arc::new),
                proxies,
                idle_timeout: self.pool_idle_timeout,
                max_idle_per_host: self.pool_max_idle_per_host,
            })),
        })
    }
}

/// An `http://host[:port]` URL (with optional credentials); anything else is refused at build.
fn check_proxy_url(url: &str) -> Result<(), ConfigError> {
    let uri: Uri = url.trim().parse().map_err(|_| ConfigError::Invalid {
        field: "proxy",
        reason: "not a valid proxy URL (expected http://host:port)".into(),
    })?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http"), Some(host)) if !host.is_empty() => Ok(()),
        (Some(scheme @ ("https" | "socks4" | "socks4a" | "socks5" | "socks5h")), _) => {
            Err(ConfigError::Unsupported {
                option: "proxy",
                transport: "the default transport (HyperTransport)",
                reason: format!(
                    "{scheme}:// proxies are not supported; use an http:// proxy (https:// hosts still go through it, tunnelled), or a reqwest::Client with the `reqwest` feature"
                ),
            })
        }
        _ => Err(ConfigError::Invalid {
            field: "proxy",
            reason: "not a valid proxy URL (expected http://host:port)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_checked_at_build() {
        assert!(check_proxy_url("http://127.0.0.1:3128").is_ok());
        assert!(check_proxy_url("http://user:pass@proxy.local:3128").is_ok());
        let unsupported = check_proxy_url("https://proxy.local:3128").unwrap_err();
        assert!(matches!(
            unsupported,
            ConfigError::Unsupported {
                option: "proxy",
                ..
            }
        ));
        assert!(
            unsupported
                .to_string()
                .contains("https:// proxies are not supported")
        );
        assert!(matches!(
            check_proxy_url("socks5://proxy.local:1080"),
            Err(ConfigError::Unsupported { .. })
        ));
        for bad in ["not a url", "", "http://", "ftp://x:1"] {
            assert!(
                matches!(
                    check_proxy_url(bad),
                    Err(ConfigError::Invalid { field: "proxy", .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_proxy_url() {
        let builder = HyperTransport::builder().proxy("http://user:hunter2@proxy:3128");
        let shown = format!("{builder:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("proxy:3128"),
            "{shown}"
        );
    }
}
