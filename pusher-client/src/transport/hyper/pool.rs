//! Keep-alive connections per host, on hyper-util's pool `cache`.
//!
//! The cache keeps the idle connections of one host and hands out the most recently returned
//! one; with none idle it connects, and a connection given back meanwhile goes to the waiting
//! request instead (the connect is dropped), so there are never more connections than requests
//! in flight. It has no idle timeout or cap: a sweep here drops expired and surplus ones, at
//! most once a second, when the pool is used. hyper-util's `map` (a pool per key) needs
//! `&mut` for every lookup, that is a lock around every request; the hosts of a client are
//! known and few, so they sit in a list behind a read-mostly lock instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::pool::cache;
use hyper_util::client::proxy::matcher::Matcher;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use super::conn::{Cached, Conn, Lease};
use super::connect::{Connector, Route};
use super::tls::Tls;
use crate::transport::SendError;

/// How often, at most, idle connections are checked against the timeout and the cap.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

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

/// One host (scheme and authority): its route and its cache of connections.
pub(super) struct Host {
    scheme: Scheme,
    authority: Authority,
    /// `scheme://authority/`: what the cache's connector is called with.
    uri: Uri,
    pub(super) host_header: HeaderValue,
    pub(super) route: Route,
    checkout: BoxCloneSyncService<Uri, Lease, SendError>,
    sweep: Box<dyn Fn(Option<Duration>, usize) + Send + Sync>,
    idle_timeout: Option<Duration>,
    max_idle: usize,
    born: Instant,
    /// Milliseconds after `born` when the next sweep is due.
    next_sweep: AtomicU64,
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
        let find = |hosts: &[Arc<Host>]| {
            hosts
                .iter()
                .find(|h| h.authority == *authority && h.scheme == *scheme)
                .cloned()
        };
        // Hosts are never removed (a client talks to one, or a few fallbacks); the lists
        // stay consistent whatever panicked while holding the lock.
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
        let connector = Connector {
            http: settings.http.clone(),
            tls: settings.tls.clone(),
            route: route.clone(),
        };
        let cache = cache::builder().build(connector);
        let sweeper = Mutex::new(cache.clone());
        let sweep = move |idle_timeout: Option<Duration>, max_idle: usize| {
            let mut cache = sweeper.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            cache.retain(|conn: &mut Conn| !conn.is_closed() && !expired(conn, idle_timeout, now));
            if max_idle < usize::MAX {
                // Oldest first in the cache's list: drop from the front.
                let mut idle = 0usize;
                cache.retain(|_: &mut Conn| {
                    idle += 1;
                    true
                });
                let mut surplus = idle.saturating_sub(max_idle);
                cache.retain(|_: &mut Conn| {
                    let keep = surplus == 0;
                    surplus = surplus.saturating_sub(1);
                    keep
                });
            }
        };
        let checkout = BoxCloneSyncService::new(cache.map_response(|cached| {
            Lease::new(Box::new(Cached {
                cached,
                get: |c| c.inner_mut(),
            }))
        }));
        Ok(Host {
            scheme: scheme.clone(),
            authority: authority.clone(),
            uri,
            host_header,
            route,
            checkout,
            sweep: Box::new(sweep),
            idle_timeout: settings.idle_timeout,
            max_idle: settings.max_idle_per_host,
            born: Instant::now(),
            next_sweep: AtomicU64::new(0),
        })
    }

    /// An open connection: an idle one (the most recently used), or a new one.
    pub(super) async fn checkout(&self) -> Result<Lease, SendError> {
        let now = Instant::now();
        self.maybe_sweep(now);
        loop {
            let mut lease = self.checkout.clone().oneshot(self.uri.clone()).await?;
            let conn = lease.conn();
            if conn.fresh || !(conn.is_closed() || expired(conn, self.idle_timeout, now)) {
                return Ok(lease);
            }
            // Dropped unreleased: closed, not given back.
        }
    }

    fn maybe_sweep(&self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.born).as_millis();
        let elapsed = u64::try_from(elapsed).unwrap_or(u64::MAX);
        let due = self.next_sweep.load(Ordering::Relaxed);
        if elapsed < due {
            return;
        }
        let next = elapsed.saturating_add(SWEEP_EVERY.as_millis() as u64);
        // One caller sweeps; the others go on.
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            (self.sweep)(self.idle_timeout, self.max_idle);
        }
    }
}

fn expired(conn: &Conn, idle_timeout: Option<Duration>, now: Instant) -> bool {
    idle_timeout.is_some_and(|t| now.saturating_duration_since(conn.since) > t)
}
