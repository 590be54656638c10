//! What the fake is configured with: credentials, limits and its clock.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pusher_client::PusherBuilder;

/// The app id a [`FakePusher`](crate::FakePusher) serves by default.
pub const APP_ID: &str = "4242";
/// The app key a [`FakePusher`](crate::FakePusher) expects by default.
pub const KEY: &str = "fake-app-key";
/// The app secret a [`FakePusher`](crate::FakePusher) verifies signatures with by default.
pub const SECRET: &str = "fake-app-secret-never-print-me";

/// The limits the fake enforces: by default those of Pusher's multi-tenant clusters.
///
/// ```
/// use pusher_testing::ServerLimits;
///
/// let raised = ServerLimits { max_payload_bytes: 20 * 1024, ..ServerLimits::default() };
/// assert_eq!(raised.max_batch_size, 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Largest event `data` in bytes (after encryption); larger → 413. Default 10 240.
    pub max_payload_bytes: usize,
    /// Most events in one `/batch_events` request; more → 400. Default 10.
    pub max_batch_size: usize,
    /// Most channels in one `/events` request; more → 400. Default 100.
    pub max_channels_per_trigger: usize,
    /// Longest channel name in characters; longer → 400. Default 164.
    pub max_channel_name_len: usize,
    /// Longest event name in characters; longer → 400. Default 200.
    pub max_event_name_len: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_payload_bytes: 10 * 1024,
            max_batch_size: 10,
            max_channels_per_trigger: 100,
            max_channel_name_len: 164,
            max_event_name_len: 200,
        }
    }
}

/// The fake's notion of "now", against which `auth_timestamp` is checked (±600 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerClock {
    /// The machine's clock.
    #[default]
    System,
    /// Always this many seconds since the Unix epoch.
    Fixed(u64),
    /// The machine's clock shifted by this many seconds (negative: in the past).
    Offset(i64),
}

impl ServerClock {
    /// The current time by this clock, in Unix seconds.
    pub fn now_unix(self) -> u64 {
        let system = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        match self {
            ServerClock::System => system(),
            ServerClock::Fixed(secs) => secs,
            ServerClock::Offset(offset) => system().saturating_add_signed(offset),
        }
    }
}

/// Settings applied to every client the fake hands out.
pub(crate) type ClientSetup = Arc<dyn Fn(PusherBuilder) -> PusherBuilder + Send + Sync>;

/// The fake's configuration (see [`FakePusherBuilder`](crate::FakePusherBuilder)).
#[derive(Clone)]
pub(crate) struct FakeConfig {
    pub(crate) app_id: String,
    pub(crate) key: String,
    pub(crate) secret: String,
    pub(crate) master_key: Option<[u8; 32]>,
    pub(crate) limits: ServerLimits,
    pub(crate) clock: ServerClock,
    pub(crate) client_setup: Option<ClientSetup>,
}

impl fmt::Debug for FakeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeConfig")
            .field("app_id", &self.app_id)
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .field("master_key", &self.master_key.map(|_| "<redacted>"))
            .field("limits", &self.limits)
            .field("clock", &self.clock)
            .field("client_setup", &self.client_setup.as_ref().map(|_| ".."))
            .finish()
    }
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            app_id: APP_ID.to_owned(),
            key: KEY.to_owned(),
            secret: SECRET.to_owned(),
            master_key: None,
            limits: ServerLimits::default(),
            clock: ServerClock::System,
            client_setup: None,
        }
    }
}
