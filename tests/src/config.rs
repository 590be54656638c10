//! What the fake server is configured with: credentials, limits and its clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// The app id a [`FakePusher`](crate::FakePusher) serves by default.
pub const APP_ID: &str = "4242";
/// The app key a [`FakePusher`](crate::FakePusher) expects by default.
pub const KEY: &str = "fake-app-key";
/// The app secret a [`FakePusher`](crate::FakePusher) signs with by default. Tests assert that
/// no error message ever contains it.
pub const SECRET: &str = "fake-app-secret-never-print-me";

/// The limits the server enforces, as Pusher's multi-tenant clusters do by default.
///
/// ```
/// use pusher_tests::ServerLimits;
///
/// let raised = ServerLimits { max_payload_bytes: 20 * 1024, ..ServerLimits::default() };
/// assert_eq!(raised.max_batch_size, 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Largest event `data` in bytes; larger → 413. Default 10 240.
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

/// The server's notion of "now", against which `auth_timestamp` is checked (±600 s).
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

/// How to start a [`FakePusher`](crate::FakePusher): the app's credentials, the server's
/// limits and clock.
///
/// ```
/// use pusher_tests::{FakeConfig, ServerClock};
///
/// let config = FakeConfig::default()
///     .app_id("3")
///     .credentials("278d425bdf160c739803", "7ad3773142a6692b25b8")
///     .clock(ServerClock::Fixed(1_353_088_179));
/// assert_eq!(config.get_app_id(), "3");
/// ```
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub(crate) app_id: String,
    pub(crate) key: String,
    pub(crate) secret: String,
    pub(crate) limits: ServerLimits,
    pub(crate) clock: ServerClock,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            app_id: APP_ID.to_owned(),
            key: KEY.to_owned(),
            secret: SECRET.to_owned(),
            limits: ServerLimits::default(),
            clock: ServerClock::System,
        }
    }
}

impl FakeConfig {
    /// The app id served (requests for any other app id are answered 404).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The app's key and secret.
    pub fn credentials(mut self, key: impl Into<String>, secret: impl Into<String>) -> Self {
        self.key = key.into();
        self.secret = secret.into();
        self
    }

    /// The limits enforced.
    pub fn limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The server's clock.
    pub fn clock(mut self, clock: ServerClock) -> Self {
        self.clock = clock;
        self
    }

    /// The app id configured.
    pub fn get_app_id(&self) -> &str {
        &self.app_id
    }
}
