//! Opening a connection to one host: TCP (hyper-util's `HttpConnector`: DNS, connect timeout,
//! both address families), through a proxy when one applies (an HTTP proxy for `http://`
//! hosts, a `CONNECT` tunnel — hyper-util's `Tunnel` — for `https://` ones), then TLS.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower::ServiceExt;

use super::conn::Conn;
use super::tls::Tls;
use crate::transport::{BoxError, SendError};

/// How requests reach one host.
#[derive(Clone, Debug)]
pub(super) enum Route {
    Direct,
    /// An `http://` host through an HTTP proxy: connect to the proxy, send absolute-form URIs.
    Proxy {
        proxy: Uri,
        auth: Option<HeaderValue>,
    },
    /// An `https://` host through an HTTP proxy: `CONNECT` tunnel, then TLS to the host.
    Tunnel {
        proxy: Uri,
        auth: Option<HeaderValue>,
    },
}

impl Route {
    /// The route to `uri` under `proxies` (`None`: no proxy at all).
    pub(super) fn to(uri: &Uri, proxies: Option<&Matcher>) -> Result<Route, SendError> {
        let Some(intercept) = proxies.and_then(|m| m.intercept(uri)) else {
            return Ok(Route::Direct);
        };
        let proxy = intercept.uri().clone();
        if proxy.scheme_str() != Some("http") {
            return Err(SendError::never_sent(format!(
                "the proxy for {} is {}://…: the default transport supports http:// proxies only \
                 (HTTPS still goes through them, tunnelled); use an http:// proxy, or the reqwest \
                 transport (feature `reqwest`)",
                uri.host().unwrap_or_default(),
                proxy.scheme_str().unwrap_or("?"),
            )));
        }
        let auth = intercept.basic_auth().cloned();
        Ok(if uri.scheme_str() == Some("https") {
            Route::Tunnel { proxy, auth }
        } else {
            Route::Proxy { proxy, auth }
        })
    }

    /// The `Proxy-Authorization` to add to requests (HTTP proxies only; tunnels send it once).
    pub(super) fn request_auth(&self) -> Option<&HeaderValue> {
        match self {
            Route::Proxy { auth, .. } => auth.as_ref(),
            _ => None,
        }
    }

    /// Requests go in absolute form (`GET http://host/path`), as a proxy expects.
    pub(super) fn absolute_form(&self) -> bool {
        matches!(self, Route::Proxy { .. })
    }
}

/// Makes connections to one host.
pub(super) struct Connector {
    pub(super) http: HttpConnector,
    pub(super) tls: Option<Arc<Tls>>,
    pub(super) route: Route,
}

impl Connector {
    /// A new connection to `uri`'s host, ready for its first request.
    pub(super) async fn connect(&self, uri: Uri) -> Result<Conn, SendError> {
        let tcp = match &self.route {
            Route::Direct => self
                .http
                .clone()
                .oneshot(uri.clone())
                .await
                .map_err(|e| connect_error(e.into()))?,
            Route::Proxy { proxy, .. } => self
                .http
                .clone()
                .oneshot(proxy.clone())
                .await
                .map_err(|e| connect_error(e.into()))?,
            Route::Tunnel { proxy, auth } => {
                let mut tunnel = Tunnel::new(proxy.clone(), self.http.clone());
                if let Some(auth) = auth {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                tunnel
                    .oneshot(uri.clone())
                    .await
                    .map_err(|e| connect_error(e.into()))?
            }
        }
        .into_inner();
        let stream = if uri.scheme_str() == Some("https") {
            let Some(tls) = &self.tls else {
                return Err(SendError::never_sent(
                    "https needs a TLS feature of pusher-client (rustls, aws-lc-rs or native-tls)",
                ));
            };
            tls.connect(uri.host().unwrap_or_default(), tcp).await?
        } else {
            Stream::Plain(tcp)
        };
        Ok(Conn::new(stream))
    }
}

/// Connect failures (DNS, refused, proxy refusal, connect timeout) never reached the server.
fn connect_error(e: BoxError) -> SendError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&*e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::TimedOut
        {
            return SendError::connect_timeout(e);
        }
        cause = c.source();
    }
    SendError::never_sent(e)
}

/// A connection's byte stream: plain TCP, or TLS over it.
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    #[cfg(feature = "native-tls")]
    NativeTls(Box<tokio_native_tls::TlsStream<TcpStream>>),
}

/// Calls the same method on whichever stream it is.
macro_rules! each_stream {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Plain($s) => {
                let $s = Pin::new($s);
                $e
            }
            #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
            Stream::Rustls($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
            #[cfg(feature = "native-tls")]
            Stream::NativeTls($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each_stream!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each_stream!(self, s => s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_stream!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_stream!(self, s => s.poll_shutdown(cx))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each_stream!(self, s => s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
            Stream::Rustls(s) => s.is_write_vectored(),
            #[cfg(feature = "native-tls")]
            Stream::NativeTls(s) => s.is_write_vectored(),
        }
    }
}
