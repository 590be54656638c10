//! Retries: which failures are retried, and how long to wait in between.
//!
//! The rule is *safe by default*: a request is retried only when retrying cannot deliver an event
//! twice, unless the caller says duplicates are acceptable or prevented.
//!
//! | failure | GET (queries), terminate | POST (triggers, batches, send to user) |
//! | --- | --- | --- |
//! | could not connect (refused, DNS, TLS, connect timeout) | retried | retried — the request never left |
//! | 429 Too Many Requests | retried, after `Retry-After` | retried, after `Retry-After` — refused, not processed |
//! | timeout or connection lost before any status | retried | only with an idempotency key or [`RetryPolicy::retry_posts`] |
//! | 500, 502, 503 (after `Retry-After`, if sent), 504 | retried | only with an idempotency key or [`RetryPolicy::retry_posts`] |
//! | a 2xx status, then the answer lost (cut, or the timeout ran out reading it) | GET retried; terminate **never** (it took effect) | **never**: the server accepted it ([`TransportKind::AnswerLost`]) |
//! | any other 4xx or 5xx, answers over the size cap, validation errors, malformed answers | never | never |
//!
//! A POST that timed out or got a 5xx *may* have been processed: retrying it could deliver the
//! event twice. With an idempotency key (`X-Idempotency-Key`, honoured by self-hosted servers such
//! as sockudo) the server drops the duplicate; with `retry_posts` you accept that risk. A POST
//! whose success status arrived was processed: no key or opt-in makes the client repeat it.
//! `terminate_user_connections` is a POST but is retried like a query: closing a user's
//! connections twice has the effect of closing them once.
//!
//! `Retry-After` (seconds or an HTTP date) on a 429 or a 503 sets the wait before the retry,
//! instead of the backoff. When it asks for more than [`RetryPolicy::max_retry_after`] (default
//! 10 s), or beyond the [`deadline`](RetryPolicy::deadline), the client does not retry early: it
//! returns the error at once, and [`Error::retry_after`] tells the caller when to try again.
//!
//! [`Error::is_retryable`] and the retry loop share one rule, [`retryability`].

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
    /// (A POST whose success status arrived is never repeated, even with this set.)
    pub retry_posts: bool,
    /// The longest `Retry-After` the client waits for before retrying itself. A server that asks
    /// for more gets no early retry: the error is returned at once, carrying the wait
    /// ([`Error::retry_after`]). Default 10 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            deadline: Some(Duration::from_secs(30)),
            retry_posts: false,
            max_retry_after: Duration::from_secs(10),
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

    /// Sets [`RetryPolicy::max_retry_after`].
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// The wait before retry `retry` (1 for the first) after `error`: the server's
    /// `Retry-After` where it sent one, else the jittered backoff. `None` when the server asked
    /// for longer than [`max_retry_after`](Self::max_retry_after).
    pub(crate) fn delay_after(&self, error: &Error, retry: u32) -> Option<Duration> {
        match error.retry_after() {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(jitter(self.backoff(retry))),
        }
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
    let unit = match getrandom::getrandom(&mut byte) {
        Ok(()) => f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX),
        Err(_) => 1.0,
    };
    delay.mul_f64(0.5 + unit / 2.0)
}

/// When a failed request may be sent again: the one rule behind both the retry loop and
/// [`Error::is_retryable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retryability {
    /// Repeating cannot help (4xx, an answer over the cap, a request that took effect…).
    Never,
    /// The request certainly was not processed (no connection, 429): repeat any request.
    Always,
    /// The request may have been processed: repeat only what may be repeated (GETs,
    /// idempotent calls, POSTs with an idempotency key or under `retry_posts`).
    IfRepeatable,
}

/// Classifies a failure (see the table in this module's docs).
pub(crate) fn retryability(error: &Error) -> Retryability {
    match error {
        Error::Transport(e) => match e.kind() {
            TransportKind::Connect => Retryability::Always,
            TransportKind::Timeout | TransportKind::Other => Retryability::IfRepeatable,
            // A query changed nothing, so asking again is harmless; anything else took effect.
            TransportKind::AnswerLost if e.method == "GET" => Retryability::IfRepeatable,
            TransportKind::AnswerLost | TransportKind::TooLarge => Retryability::Never,
        },
        Error::Api(e) => match e.status() {
            429 => Retryability::Always,
            500 | 502 | 503 | 504 => Retryability::IfRepeatable,
            _ => Retryability::Never,
        },
        Error::PartialBatch { source, .. } => retryability(source),
        _ => Retryability::Never,
    }
}

/// Whether the retry loop sends the request again after `error`. `may_repeat` is true for
/// GETs, idempotent calls, and POSTs with an idempotency key or under `retry_posts`.
pub(crate) fn should_retry(error: &Error, may_repeat: bool) -> bool {
    match retryability(error) {
        Retryability::Never => false,
        Retryability::Always => true,
        Retryability::IfRepeatable => may_repeat,
    }
}

/// Parses a `Retry-After` value, delta-seconds or an HTTP date (RFC 9110 §10.2.3), into the
/// wait from `now`. A date in the past is no wait; anything unparsable is ignored.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Overlong digit strings saturate rather than being ignored: "wait very long".
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
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
    fn retry_after_takes_seconds_and_http_dates() {
        use std::time::UNIX_EPOCH;
        // 1994-11-06T08:49:37Z, the RFC's example date.
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let now = at - Duration::from_secs(90);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(date, now),
                Some(Duration::from_secs(90)),
                "{date}"
            );
        }
        let later = at + Duration::from_secs(5);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for junk in ["", "soon", "-1", "1.5", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn retry_after_over_the_cap_means_no_early_retry() {
        let p = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
        let api = |secs| {
            Error::Api(crate::error::ApiError {
                status: 429,
                body: String::new(),
                path: "/apps/1/events".into(),
                retry_after: Some(Duration::from_secs(secs)),
            })
        };
        assert_eq!(p.delay_after(&api(5), 1), Some(Duration::from_secs(5)));
        assert_eq!(p.delay_after(&api(6), 1), None);
    }

    #[test]
    fn none_means_one_attempt() {
        assert_eq!(RetryPolicy::none().max_attempts, 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).max_attempts, 1);
    }
}
