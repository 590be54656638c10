//! Retries: which failures are retried, and how long to wait in between.
//!
//! The rule is *safe by default*: a request is retried only when retrying cannot deliver an event
//! twice, unless the caller says duplicates are acceptable or prevented.
//!
//! | failure | GET (queries), terminate | POST (triggers, batches, send to user) |
//! | --- | --- | --- |
//! | could not connect (refused, DNS, TLS, connect timeout) | retried | retried — the request never left |
//! | 429 Too Many Requests | retried, after `Retry-After` | retried, after `Retry-After` — refused, not processed |
//! | timeout after sending, connection lost mid-answer | retried | only with an idempotency key or [`RetryPolicy::retry_posts`] |
//! | 500, 502, 503, 504 | retried | only with an idempotency key or [`RetryPolicy::retry_posts`] |
//! | any other 4xx, validation errors, malformed answers | never | never |
//!
//! A POST that timed out or got a 5xx *may* have been processed: retrying it could deliver the
//! event twice. With an idempotency key (`X-Idempotency-Key`, honoured by self-hosted servers such
//! as sockudo) the server drops the duplicate; with `retry_posts` you accept that risk.
//! `terminate_user_connections` is a POST but is retried like a query: closing a user's
//! connections twice has the effect of closing them once.

use std::time::Duration;

use crate::error::{Error, TransportKind};

/// How failed requests are retried. On by default ([`RetryPolicy::default`]: 3 attempts,
/// 100 ms doubling to at most 2 s, within 30 s); [`RetryPolicy::none`] turns retries off.
///
/// Each attempt is signed afresh (new timestamp). Waits use exponential backoff with jitter:
/// before retry `n` (from 1) the client waits a random time between half and all of
/// `min(max_delay, base_delay × 2^(n-1))`, or exactly the server's `Retry-After` on a 429.
///
/// ```
/// use std::time::Duration;
/// use pusher_client::{Pusher, RetryPolicy};
///
/// let pusher = Pusher::builder("1", "key", "secret")
///     .retry(RetryPolicy::default().max_attempts(5).base_delay(Duration::from_millis(50)))
///     .build()?;
/// let no_retries = Pusher::builder("1", "key", "secret").retry(RetryPolicy::none()).build()?;
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retries). Default 3.
    pub max_attempts: u32,
    /// The first backoff delay. Default 100 ms.
    pub base_delay: Duration,
    /// The longest backoff delay. Default 2 s.
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt, and no wait
    /// (including `Retry-After`) may end beyond it. Default 30 s; `None` for no deadline.
    pub deadline: Option<Duration>,
    /// Also retry POSTs that may have been processed (timeouts after sending, 5xx) even without
    /// an idempotency key — accepting that an event may then be delivered twice. Default off.
    pub retry_posts: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            deadline: Some(Duration::from_secs(30)),
            retry_posts: false,
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets [`RetryPolicy::max_attempts`] (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets [`RetryPolicy::base_delay`].
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets [`RetryPolicy::max_delay`].
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets [`RetryPolicy::deadline`].
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets [`RetryPolicy::retry_posts`].
    pub fn retry_posts(mut self, retry: bool) -> Self {
        self.retry_posts = retry;
        self
    }

    /// The backoff before retry `retry` (1 for the first retry), before jitter.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Random in `[delay / 2, delay]`, so that many clients retrying together spread out.
pub(crate) fn jitter(delay: Duration) -> Duration {
    let mut byte = [0u8; 2];
    let unit = match getrandom::fill(&mut byte) {
        Ok(()) => f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX),
        Err(_) => 1.0,
    };
    delay.mul_f64(0.5 + unit / 2.0)
}

/// Whether `error` may be retried for a request with this method.
///
/// `may_repeat` is true for GETs and for POSTs that carry an idempotency key or whose policy
/// accepts duplicates.
pub(crate) fn should_retry(error: &Error, may_repeat: bool) -> bool {
    match error {
        Error::Transport(e) => e.kind() == TransportKind::Connect || may_repeat,
        Error::Api(e) => match e.status() {
            429 => true,
            500 | 502 | 503 | 504 => may_repeat,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(5), Duration::from_millis(1600));
        assert_eq!(p.backoff(6), Duration::from_secs(2));
        assert_eq!(p.backoff(100), Duration::from_secs(2));
    }

    #[test]
    fn jitter_stays_within_half_and_whole() {
        let d = Duration::from_millis(1000);
        for _ in 0..1000 {
            let j = jitter(d);
            assert!(j >= Duration::from_millis(500) && j <= d, "{j:?}");
        }
    }

    #[test]
    fn none_means_one_attempt() {
        assert_eq!(RetryPolicy::none().max_attempts, 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts, 1);
    }
}
