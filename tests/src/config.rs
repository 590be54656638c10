//! How the workspace's tests start a [`FakePusher`](crate::FakePusher): the app's credentials,
//! the server's limits and clock.

use pusher_testing::{APP_ID, KEY, SECRET, ServerClock, ServerLimits};

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
