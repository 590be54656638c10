//! Keep-alive connections per host: a list of idle ones, taken most recently used first.
//!
//! Why not hyper-util's pool `cache`: it was the first version of this transport, and it failed
//! `tests/tests/hyper_pool.rs` — with no idle connection it starts a connect *and* waits for
//! one to be given back, dropping the connect that loses, so a burst of N concurrent requests
//! opened more than N connections (18 for 16 in the test; each lost race is a TCP handshake,
//! and a TLS one, thrown away). It has no idle timeout or cap of its own either. hyper-util's
//! `map` (a pool per key) needs `&mut` for every lookup: a lock around every request. What a
//! client of one Pusher host (or a few fallbacks) needs is small: here, a list per host, each
//! touched for a few instructions under its own lock, never across an `.await`; a request with
//! no idle connection opens its own, and a connection given back goes to the list. See
//! `docs/perf-transport.md` for the figures.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;

use super::conn::{Conn, Lease};
use super::connect::{Connector, Route};
use super::tls::Tls;
use crate::transport::SendError;

/// What every host's connections are made with, and kept under.
pub(super) struct Settings {
    pub(super) http: HttpConnector,
    pub(super) tls: Option<Arc<Tls>>,
    /// `None`: never a proxy.
    pub(super) proxies: Option<Matcher>,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) max_idle_per_host: usize,
}

/// The connections of one transport (all its clones), per host.
pub(super) struct Pool {
    settings: Settings,
    hosts: RwLock<Vec<Arc<Host>>>,
}

/// One host (scheme and authority): its route and its idle connections.
pub(crate) struct Host {
    scheme: Scheme,
    authority: Authority,
    /// `scheme://authority/`: what the connector is called with.
    uri: Uri,
    pub(super) host_header: HeaderValue,
    pub(super) route: Route,
    connector: Connector,
    idle_timeout: Option<Duration>,
    max_idle: usize,
    /// Most recently given back last.
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    pub(super) fn new(settings: Settings) -> Pool {
        Pool {
            settings,
            hosts: RwLock::new(Vec::new()),
        }
    }

    /// The host of `scheme://authority`, added on first use.
    pub(super) fn host(
        &self,
        scheme: &Scheme,
        authority: &Authority,
    ) -> Result<Arc<Host>, SendError> {
        // The exact text first: the client sends every request to an authority it parsed once,
        // so a byte comparison nearly always decides, before `Authority`'s case-insensitive one.
        let same = |h: &Host| {
            (h.authority.as_str() == authority.as_str() || h.authority == *authority)
                && h.scheme == *scheme
        };
        let find = |hosts: &[Arc<Host>]| hosts.iter().find(|h| same(h)).cloned();
        // Hosts are never removed (a client talks to one, or a few fallbacks); the lists
        // stay consistent whatever panicked while holding a lock.
        if let Some(host) = find(&self.hosts.read().unwrap_or_else(PoisonError::into_inner)) {
            return Ok(host);
        }
        let mut hosts = self.hosts.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(host) = find(&hosts) {
            return Ok(host);
        }
        let host = Arc::new(Host::new(&self.settings, scheme, authority)?);
        hosts.push(Arc::clone(&host));
        Ok(host)
    }
}

impl Host {
    fn new(settings: &Settings, scheme: &Scheme, authority: &Authority) -> Result<Host, SendError> {
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
        let uri = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query("/")
            .build()
            .map_err(|e| SendError::never_sent(format!("invalid host: {e}")))?;
        let route = Route::to(&uri, settings.proxies.as_ref())?;
        Ok(Host {
            scheme: scheme.clone(),
            authority: authority.clone(),
            uri,
            host_header,
            connector: Connector {
                http: settings.http.clone(),
                tls: settings.tls.clone(),
                route: route.clone(),
            },
            route,
            idle_timeout: settings.idle_timeout,
            max_idle: settings.max_idle_per_host,
            idle: Mutex::new(Vec::new()),
        })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Conn>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An open connection: an idle one (the most recently used), or a new one.
    pub(super) async fn checkout(self: &Arc<Self>) -> Result<Lease, SendError> {
        let conn = match self.pick() {
            Some(conn) => conn,
            // Boxed: connecting is rare (once per connection) and its future is large; kept
            // inline it would grow every request's future, which is moved into a box per call.
            None => Box::pin(self.connector.connect(self.uri.clone())).await?,
        };
        Ok(Lease::new(conn, Arc::clone(self)))
    }

    /// The most recently given back connection still open; closed and expired ones are
    /// dropped on the way (expired ones sit below it: the list is in order of return).
    fn pick(&self) -> Option<Conn> {
        let now = Instant::now();
        loop {
            let mut conn = self.idle().pop()?;
            if self.expired(&conn, now) {
                self.idle().clear();
                return None;
            }
            // Checked outside the lock; a closed one is dropped (closed) here.
            if conn.is_usable() {
                return Some(conn);
            }
        }
    }

    fn expired(&self, conn: &Conn, now: Instant) -> bool {
        self.idle_timeout
            .is_some_and(|timeout| now.saturating_duration_since(conn.since) > timeout)
    }

    /// Takes back a connection whose answer was read to the end.
    pub(super) fn give_back(&self, conn: Conn) {
        let mut idle = self.idle();
        // Connections idle past the timeout sit at the front: drop them when the oldest is due.
        if idle
            .first()
            .is_some_and(|oldest| self.expired(oldest, conn.since))
        {
            let now = conn.since;
            idle.retain(|c| !self.expired(c, now));
        }
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }
}
