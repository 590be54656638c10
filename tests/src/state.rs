//! The server's mutable state: channels, scripted replies and the recordings.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::config::{FakeConfig, ServerClock, ServerLimits};
use crate::record::{RecordedRequest, TriggeredEvent};

/// The state of one channel, from which the server takes the counts it answers with.
///
/// ```
/// use pusher_tests::ChannelState;
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

/// A scripted answer for the next authenticated request (see
/// [`FakePusher::reply_next`](crate::FakePusher::reply_next)).
///
/// Replies are queued and consumed one per request that passes the path and signature checks;
/// a request refused by those checks is answered with the refusal and consumes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer as the real API would (useful to let earlier requests through).
    Normal,
    /// Answer with this status and a `text/plain` body, as Pusher does for errors.
    Status(u16, String),
    /// Answer 200 with this body as `application/json`, whether it is JSON or not.
    Malformed(String),
    /// Answer with this status and these exact body bytes (which need not be UTF-8), as
    /// `text/plain`.
    Bytes(u16, Vec<u8>),
    /// Wait this long, then answer as usual.
    Delay(Duration),
    /// Never answer (the connection stays open until the server is dropped).
    Hang,
}

impl Reply {
    /// [`Reply::Status`] with any body.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Reply::Status(status, body.into())
    }

    /// [`Reply::Malformed`] with any body.
    pub fn malformed(body: impl Into<String>) -> Self {
        Reply::Malformed(body.into())
    }
}

/// Everything behind the server's lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: FakeConfig,
    pub(crate) channels: BTreeMap<String, ChannelState>,
    pub(crate) replies: VecDeque<Reply>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) events: Vec<TriggeredEvent>,
    pub(crate) terminated: Vec<String>,
}

impl State {
    pub(crate) fn limits(&self) -> ServerLimits {
        self.config.limits
    }

    pub(crate) fn channel(&self, name: &str) -> ChannelState {
        self.channels.get(name).cloned().unwrap_or_default()
    }
}

/// What the server task and the [`FakePusher`](crate::FakePusher) handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Flips to `true` (or closes) when the handle is dropped: hung requests then end.
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn new(config: FakeConfig, shutdown: watch::Receiver<bool>) -> Self {
        Shared {
            state: Mutex::new(State {
                config,
                channels: BTreeMap::new(),
                replies: VecDeque::new(),
                requests: Vec::new(),
                events: Vec::new(),
                terminated: Vec::new(),
            }),
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
}
