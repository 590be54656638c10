//! The API hosts a client sends to (the primary, then any
//! [`fallback_hosts`](crate::PusherBuilder::fallback_hosts)) and their health.
//!
//! A host that failed in a way that says something about the host (it could not be reached, it
//! timed out, it answered 500/502/503/504) is marked down for the cool-off
//! ([`fallback_cooldown`](crate::PusherBuilder::fallback_cooldown), 30 s by default): requests
//! skip it while it is down, unless every host is down, and it is tried again once the cool-off
//! has passed. The state is one atomic per host (lock-free): the client is shared by many tasks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};

use crate::error::{Error, TransportKind};

/// The most hosts one client may have (the per-request set of tried hosts is a `u64` mask).
pub(crate) const MAX_HOSTS: usize = 64;

/// The hosts, in the order configured, with the scheme they share.
#[derive(Debug)]
pub(crate) struct Hosts {
    pub(crate) scheme: Scheme,
    hosts: Vec<Host>,
    cooldown: Duration,
    /// The origin of the hosts' `down_until` times.
    epoch: Instant,
}

#[derive(Debug)]
struct Host {
    authority: Authority,
    /// Milliseconds since `epoch` until which the host is skipped; 0 when it is up.
    down_until: AtomicU64,
}

/// The hosts tried so far by one request (bit `i` for host `i`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tried(u64);

impl Tried {
    fn has(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }

    pub(crate) fn add(&mut self, index: usize) {
        self.0 |= 1 << index;
    }
}

impl Hosts {
    /// `authorities` must hold between 1 and [`MAX_HOSTS`] hosts (the builder checks it).
    pub(crate) fn new(scheme: Scheme, authorities: Vec<Authority>, cooldown: Duration) -> Self {
        debug_assert!((1..=MAX_HOSTS).contains(&authorities.len()));
        Hosts {
            scheme,
            hosts: authorities
                .into_iter()
                .take(MAX_HOSTS)
                .map(|authority| Host {
                    authority,
                    down_until: AtomicU64::new(0),
                })
                .collect(),
            cooldown,
            epoch: Instant::now(),
        }
    }

    /// Every host's `host:port`, in order.
    pub(crate) fn authorities(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(|h| h.authority.as_str())
    }

    pub(crate) fn authority(&self, index: usize) -> &Authority {
        &self.hosts[index.min(self.hosts.len() - 1)].authority
    }

    /// Now, in milliseconds since `epoch` (at least 1, so that 0 can mean "up").
    fn now_ms(&self) -> u64 {
        (self.epoch.elapsed().as_millis() as u64).max(1)
    }

    /// The host for the next attempt of a request that already tried `tried`: the first host
    /// (in the configured order) that is up and not tried yet; else, of the hosts not tried
    /// yet, the one whose cool-off ends first; once every host was tried, the same choice
    /// among all of them.
    pub(crate) fn pick(&self, tried: Tried) -> usize {
        if self.hosts.len() == 1 {
            return 0;
        }
        let now = self.now_ms();
        let choose = |skip_tried: bool| {
            let candidates = self
                .hosts
                .iter()
                .enumerate()
                .filter(|(i, _)| !(skip_tried && tried.has(*i)));
            let mut soonest: Option<(usize, u64)> = None;
            for (i, host) in candidates {
                let until = host.down_until.load(Ordering::Relaxed);
                if until <= now {
                    return Some(i);
                }
                if soonest.is_none_or(|(_, best)| until < best) {
                    soonest = Some((i, until));
                }
            }
            soonest.map(|(i, _)| i)
        };
        choose(true).or_else(|| choose(false)).unwrap_or(0)
    }

    /// Whether a host not yet tried by this request remains.
    pub(crate) fn untried_remain(&self, tried: Tried) -> bool {
        (0..self.hosts.len()).any(|i| !tried.has(i))
    }

    /// Records that host `index` failed: skipped for the cool-off from now. With a single host
    /// there is nowhere else to go, so nothing is recorded.
    pub(crate) fn mark_down(&self, index: usize, error: &Error) {
        if self.hosts.len() == 1 {
            return;
        }
        let Some(host) = self.hosts.get(index) else {
            return;
        };
        let now = self.now_ms();
        let until = now.saturating_add(self.cooldown.as_millis() as u64);
        let before = host.down_until.swap(until, Ordering::Relaxed);
        if before <= now {
            tracing::warn!(
                host = %host.authority,
                cooldown_ms = self.cooldown.as_millis() as u64,
                error = %error,
                "pusher host marked down: skipped until the cool-off ends, while another host is up"
            );
        }
    }

    /// Records that host `index` answered: up again if it was down.
    pub(crate) fn mark_up(&self, index: usize) {
        let Some(host) = self.hosts.get(index) else {
            return;
        };
        // A load first: the common case (an up host) writes nothing.
        if host.down_until.load(Ordering::Relaxed) != 0
            && host.down_until.swap(0, Ordering::Relaxed) != 0
        {
            tracing::info!(host = %host.authority, "pusher host is answering again");
        }
    }
}

/// Whether `error` says something about the host that answered (or did not): it could not be
/// reached, it timed out or the connection failed before an answer, or it answered 500, 502,
/// 503 or 504. A 429, a 4xx, an answer lost after a success status or a client-side error
/// does not make a host look unhealthy.
pub(crate) fn is_host_failure(error: &Error) -> bool {
    match error {
        Error::Transport(e) => matches!(
            e.kind(),
            TransportKind::Connect | TransportKind::Timeout | TransportKind::Other
        ),
        Error::Api(e) => matches!(e.status(), 500 | 502 | 503 | 504),
        _ => false,
    }
}

/// Whether the request certainly never reached a server (refused, DNS, TLS handshake, connect
/// timeout): another host may be tried at once, whatever the request and the retry policy.
pub(crate) fn never_sent(error: &Error) -> bool {
    matches!(error, Error::Transport(e) if e.kind() == TransportKind::Connect)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize, cooldown: Duration) -> Hosts {
        let authorities = (0..n)
            .map(|i| format!("h{i}:80").parse().expect("authority"))
            .collect();
        Hosts::new(Scheme::HTTP, authorities, cooldown)
    }

    fn api(status: u16) -> Error {
        Error::Api(crate::error::ApiError {
            status,
            body: String::new(),
            path: "/apps/1/events".into(),
            retry_after: None,
        })
    }

    fn tried(indexes: &[usize]) -> Tried {
        let mut t = Tried::default();
        for &i in indexes {
            t.add(i);
        }
        t
    }

    #[test]
    fn first_up_host_in_order() {
        let h = hosts(3, Duration::from_secs(30));
        assert_eq!(h.pick(Tried::default()), 0);
        assert_eq!(h.pick(tried(&[0])), 1);
        assert_eq!(h.pick(tried(&[0, 1])), 2);
        assert!(h.untried_remain(tried(&[0, 1])));
        assert!(!h.untried_remain(tried(&[0, 1, 2])));
    }

    #[test]
    fn a_down_host_is_skipped_until_its_cooldown_ends() {
        let h = hosts(3, Duration::from_secs(30));
        h.mark_down(0, &api(503));
        assert_eq!(h.pick(Tried::default()), 1);
        h.mark_down(1, &api(503));
        assert_eq!(h.pick(Tried::default()), 2);
        // Back up once it answered.
        h.mark_up(0);
        assert_eq!(h.pick(Tried::default()), 0);
    }

    #[test]
    fn when_all_are_down_the_one_whose_cooldown_ends_first() {
        let h = hosts(3, Duration::from_secs(30));
        h.mark_down(1, &api(502));
        std::thread::sleep(Duration::from_millis(5));
        h.mark_down(2, &api(502));
        std::thread::sleep(Duration::from_millis(5));
        h.mark_down(0, &api(502));
        assert_eq!(h.pick(Tried::default()), 1);
        // Among the hosts not tried yet first.
        assert_eq!(h.pick(tried(&[1])), 2);
        // All tried: the soonest of all again.
        assert_eq!(h.pick(tried(&[0, 1, 2])), 1);
    }

    #[test]
    fn the_cooldown_passes() {
        let h = hosts(2, Duration::from_millis(20));
        h.mark_down(0, &api(500));
        assert_eq!(h.pick(Tried::default()), 1);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(h.pick(Tried::default()), 0);
    }

    #[test]
    fn one_host_is_never_marked() {
        let h = hosts(1, Duration::from_secs(30));
        h.mark_down(0, &api(503));
        assert_eq!(h.host_state(0), 0);
        assert_eq!(h.pick(tried(&[0])), 0);
    }

    #[test]
    fn out_of_range_indexes_do_not_panic() {
        let h = hosts(2, Duration::from_secs(1));
        h.mark_down(7, &api(503));
        h.mark_up(7);
        assert_eq!(h.authority(7).as_str(), "h1:80");
    }

    #[test]
    fn what_counts_as_a_host_failure() {
        for status in [500, 502, 503, 504] {
            assert!(is_host_failure(&api(status)), "{status}");
        }
        for status in [400, 401, 403, 404, 413, 429, 501] {
            assert!(!is_host_failure(&api(status)), "{status}");
        }
        assert!(!never_sent(&api(503)));
        let transport = |kind| {
            Error::Transport(crate::error::TransportError {
                kind,
                status: None,
                method: "POST",
                path: "/apps/1/events".into(),
                message: String::new(),
                elapsed: Duration::ZERO,
                timed_out: false,
                source: None,
            })
        };
        assert!(never_sent(&transport(TransportKind::Connect)));
        for kind in [
            TransportKind::Connect,
            TransportKind::Timeout,
            TransportKind::Other,
        ] {
            assert!(is_host_failure(&transport(kind)), "{kind:?}");
        }
        for kind in [TransportKind::AnswerLost, TransportKind::TooLarge] {
            assert!(!is_host_failure(&transport(kind)), "{kind:?}");
            assert!(!never_sent(&transport(kind)));
        }
        assert!(!never_sent(&transport(TransportKind::Timeout)));
        assert!(!is_host_failure(&Error::MalformedResponse {
            status: 200,
            message: String::new(),
        }));
    }

    impl Hosts {
        fn host_state(&self, index: usize) -> u64 {
            self.hosts[index].down_until.load(Ordering::Relaxed)
        }
    }
}
