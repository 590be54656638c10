//! The fake's mutable state: channels, scripted failures and the recordings.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;

use crate::config::{FakeConfig, ServerClock};
use crate::record::{Query, RecordedRequest, Rejection, Termination, Trigger, UserEvent};

/// The state of one channel, from which the fake answers queries: `Pusher::channels`,
/// `Pusher::channel` and `Pusher::users`, and the `info` of triggers.
///
/// ```
/// use pusher_testing::ChannelState;
///
/// let room = ChannelState::new().subscribers(3).users(["ada", "grace", "ada"]);
/// assert_eq!(room.user_count(), 2); // distinct users
/// assert!(room.occupied());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelState {
    /// Connections subscribed (`subscription_count`).
    pub subscription_count: u64,
    /// Ids of the users subscribed (presence channels); repeated ids count once in `user_count`.
    pub users: Vec<String>,
}

impl ChannelState {
    /// An empty (unoccupied) channel.
    pub fn new() -> Self {
        ChannelState::default()
    }

    /// Sets the subscription count.
    pub fn subscribers(mut self, count: u64) -> Self {
        self.subscription_count = count;
        self
    }

    /// Sets the presence users.
    pub fn users<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.users = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Distinct users.
    pub fn user_count(&self) -> u64 {
        self.users.iter().collect::<BTreeSet<_>>().len() as u64
    }

    /// `true` if anyone is subscribed.
    pub fn occupied(&self) -> bool {
        self.subscription_count > 0 || !self.users.is_empty()
    }

    /// The distinct users in first-seen order.
    pub(crate) fn distinct_users(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.users
            .iter()
            .filter(|u| seen.insert(u.as_str()))
            .map(String::as_str)
            .collect()
    }
}

/// A scripted answer for the next request that passes the signature checks (see
/// [`FakePusher::fail_next`](crate::FakePusher::fail_next)): an error status, a slow answer,
/// a cut connection, so you can test your app's error handling.
///
/// ```
/// use std::time::Duration;
/// use pusher_testing::Failure;
///
/// let rate_limited = Failure::status(429).retry_after(2);
/// let outage = Failure::status(503).body("Service Unavailable");
/// let slow = Failure::slow(Duration::from_secs(3)); // then answers as usual
/// let cut = Failure::cut_connection();              // no answer at all
/// # let _ = (rate_limited, outage, slow, cut);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) delay: Option<Duration>,
    pub(crate) retry_after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// Answer as usual.
    Normal,
    /// This status, this body, this content type.
    Status(u16, Bytes, &'static str),
    /// Close the connection without answering.
    Cut,
    /// Never answer (until the fake is dropped).
    Hang,
}

impl Failure {
    /// Answers with `status` and a `text/plain` body (the status's reason phrase unless
    /// [`body`](Self::body) sets one), as Pusher does for errors. The request is not processed:
    /// nothing is recorded as triggered.
    pub fn status(status: u16) -> Self {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error");
        Failure {
            kind: FailureKind::Status(status, Bytes::from(reason), "text/plain; charset=utf-8"),
            delay: None,
            retry_after: None,
        }
    }

    /// Answers 200 with `body` as `application/json`, whether it is JSON or not (to test how
    /// your app copes with an answer it cannot read).
    pub fn malformed(body: impl Into<Bytes>) -> Self {
        Failure {
            kind: FailureKind::Status(200, body.into(), "application/json"),
            delay: None,
            retry_after: None,
        }
    }

    /// Waits `delay`, then answers as usual (combine with your client's timeout).
    pub fn slow(delay: Duration) -> Self {
        Failure::none().after(delay)
    }

    /// Closes the connection without answering (on the in-memory transport: a transport error).
    pub fn cut_connection() -> Self {
        Failure {
            kind: FailureKind::Cut,
            delay: None,
            retry_after: None,
        }
    }

    /// Never answers: the request hangs until the client's timeout (or the fake is dropped).
    pub fn hang() -> Self {
        Failure {
            kind: FailureKind::Hang,
            delay: None,
            retry_after: None,
        }
    }

    /// No failure: answers as usual (to let earlier requests through in a queue of failures).
    pub fn none() -> Self {
        Failure {
            kind: FailureKind::Normal,
            delay: None,
            retry_after: None,
        }
    }

    /// The body of a [`status`](Self::status) answer (any bytes).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        if let FailureKind::Status(_, b, _) = &mut self.kind {
            *b = body.into();
        }
        self
    }

    /// Adds a `Retry-After: <seconds>` header to the answer.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.to_string());
        self
    }

    /// Adds a `Retry-After` header with this exact value (e.g. an HTTP date).
    pub fn retry_after_value(mut self, value: impl Into<String>) -> Self {
        self.retry_after = Some(value.into());
        self
    }

    /// Waits `delay` before doing what it does.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// Everything behind the fake's lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) config: FakeConfig,
    pub(crate) channels: BTreeMap<String, ChannelState>,
    pub(crate) failures: VecDeque<Failure>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) batches: Vec<Vec<Trigger>>,
    pub(crate) user_events: Vec<UserEvent>,
    pub(crate) terminations: Vec<Termination>,
    pub(crate) queries: Vec<Query>,
    pub(crate) rejections: Vec<Rejection>,
}

impl State {
    pub(crate) fn channel(&self, name: &str) -> ChannelState {
        self.channels.get(name).cloned().unwrap_or_default()
    }
}

/// What the server task, the in-memory transport and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Bumped after every recorded change, for the `wait_for_*` helpers.
    pub(crate) changed: watch::Sender<u64>,
    /// Flips to `true` (or closes) when the handle is dropped: hung requests then end.
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn new(config: FakeConfig, shutdown: watch::Receiver<bool>) -> Self {
        Shared {
            state: Mutex::new(State {
                config,
                ..State::default()
            }),
            changed: watch::Sender::new(0),
            shutdown,
        }
    }

    /// Locks the state. A panic while it was held (a failed assertion elsewhere) does not make
    /// the recordings unreadable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn clock(&self) -> ServerClock {
        self.lock().config.clock
    }

    pub(crate) fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}
