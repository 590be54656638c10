//! [`FakePusher`]: starting the server and the handle tests hold.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use pusher_client::{Pusher, PusherBuilder};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{FakeConfig, ServerClock, ServerLimits};
use crate::handler::handle;
use crate::record::{RecordedRequest, TriggeredEvent};
use crate::state::{ChannelState, Reply, Shared};
use crate::verify::percent_encode;

/// A loopback HTTP server that checks every request exactly as the Pusher Channels API does
/// and answers like it. Each test starts its own; dropping the handle stops it.
///
/// ```
/// use pusher_tests::{ChannelState, FakePusher};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pusher_client::Error> {
/// let server = FakePusher::start().await;
/// server.set_channel("presence-room", ChannelState::new().subscribers(2).users(["ada"]));
/// let pusher = server.client();
/// pusher.trigger("orders", "created", r#"{"id":1}"#).await?;
///
/// let requests = server.requests();
/// assert_eq!(requests.len(), 1);
/// assert_eq!(requests[0].raw_path, "/apps/4242/events");
/// assert!(requests[0].authenticated());
/// assert_eq!(server.events()[0].data, r#"{"id":1}"#);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FakePusher {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FakePusher {
    /// Starts a server on `127.0.0.1` (a free port) with the default [`FakeConfig`].
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start() -> FakePusher {
        FakePusher::start_with(FakeConfig::default()).await
    }

    /// Starts a server on `127.0.0.1` (a free port) with `config`.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start_with(config: FakeConfig) -> FakePusher {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("bound socket has no address: {e}"));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared::new(config, shutdown_rx.clone()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|down| *down).await;
            });
            if let Err(e) = serve.await {
                eprintln!("FakePusher stopped with an error: {e}");
            }
        });
        FakePusher {
            addr,
            shared,
            shutdown,
            task,
        }
    }

    // ---- where it is ----

    /// The socket address it listens on (always `127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1`.
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`, what [`Pusher::base_url`] reports for its clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://KEY:SECRET@127.0.0.1:<port>/apps/APP_ID`, for [`Pusher::from_url`] and
    /// `PUSHER_URL`. Key and secret are percent-encoded (all but `A-Z a-z 0-9 - . _ ~`).
    pub fn pusher_url(&self) -> String {
        let state = self.shared.lock();
        let c = &state.config;
        format!(
            "http://{}:{}@{}/apps/{}",
            percent_encode(&c.key),
            percent_encode(&c.secret),
            self.addr,
            c.app_id
        )
    }

    /// The app id it serves.
    pub fn app_id(&self) -> String {
        self.shared.lock().config.app_id.clone()
    }

    /// The app key it expects.
    pub fn key(&self) -> String {
        self.shared.lock().config.key.clone()
    }

    /// The app secret it verifies signatures with.
    pub fn secret(&self) -> String {
        self.shared.lock().config.secret.clone()
    }

    // ---- clients ----

    /// A [`PusherBuilder`] with this server's credentials, pointed at it over plain HTTP.
    /// Adjust it (timeout, limits, clock) and build.
    pub fn client_builder(&self) -> PusherBuilder {
        crate::with_test_transport(
            Pusher::builder(self.app_id(), self.key(), self.secret())
                .host(self.host())
                .port(self.port())
                .tls(false),
        )
    }

    /// A ready client: [`client_builder`](Self::client_builder) built.
    ///
    /// # Panics
    /// If the client cannot be built (a bug in `pusher_client`'s builder).
    pub fn client(&self) -> Pusher {
        self.client_builder()
            .build()
            .unwrap_or_else(|e| panic!("a client for the fake server should build: {e}"))
    }

    // ---- state ----

    /// Sets a channel's state (its counts and presence users), replacing what it had.
    pub fn set_channel(&self, name: impl Into<String>, state: ChannelState) {
        self.shared.lock().channels.insert(name.into(), state);
    }

    /// Forgets every channel's state: all channels are then unoccupied.
    pub fn clear_channels(&self) {
        self.shared.lock().channels.clear();
    }

    /// Sets the server's clock (against which `auth_timestamp` is checked, ±600 s).
    pub fn set_clock(&self, clock: ServerClock) {
        self.shared.lock().config.clock = clock;
    }

    /// The server's current time in Unix seconds.
    pub fn now_unix(&self) -> u64 {
        self.shared.clock().now_unix()
    }

    /// Sets the limits the server enforces.
    pub fn set_limits(&self, limits: ServerLimits) {
        self.shared.lock().config.limits = limits;
    }

    /// The limits the server enforces.
    pub fn limits(&self) -> ServerLimits {
        self.shared.lock().config.limits
    }

    // ---- scripted replies ----

    /// Queues `reply` for the next authenticated request (after those already queued).
    pub fn reply_next(&self, reply: Reply) {
        self.shared.lock().replies.push_back(reply);
    }

    /// Queues `reply` for each of the next `n` authenticated requests.
    pub fn reply_next_n(&self, n: usize, reply: Reply) {
        let mut state = self.shared.lock();
        state.replies.extend(std::iter::repeat_n(reply, n));
    }

    /// Drops any scripted replies not yet used.
    pub fn clear_replies(&self) {
        self.shared.lock().replies.clear();
    }

    // ---- recordings ----

    /// Every request received so far, in order of arrival (refused ones included).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// The last request received, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.shared.lock().requests.last().cloned()
    }

    /// The events accepted so far, in order (a batch adds one per event).
    pub fn events(&self) -> Vec<TriggeredEvent> {
        self.shared.lock().events.clone()
    }

    /// The user ids whose connections were terminated, in order, decoded from the path.
    pub fn terminated_users(&self) -> Vec<String> {
        self.shared.lock().terminated.clone()
    }

    /// What of the app's secrets appears in `text` (an error message, a log line): the app
    /// secret, `auth_signature=`, or any `auth_signature` value received so far. Empty when
    /// nothing leaks.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = pusher_tests::FakePusher::start().await;
    /// assert!(server.leaks_in("API answered 500").is_empty());
    /// assert_eq!(server.leaks_in(&format!("oops {}", server.secret())).len(), 1);
    /// # }
    /// ```
    pub fn leaks_in(&self, text: &str) -> Vec<String> {
        let state = self.shared.lock();
        let mut found = Vec::new();
        if text.contains(&state.config.secret) {
            found.push("the app secret".to_owned());
        }
        if text.contains("auth_signature=") {
            found.push("auth_signature=".to_owned());
        }
        for request in &state.requests {
            if let Some(sig) = request.query.get("auth_signature")
                && sig.len() >= 16
                && text.contains(sig.as_str())
            {
                found.push(format!("the auth_signature {sig}"));
            }
        }
        found
    }

    /// Forgets the recorded requests, events and terminations.
    pub fn clear_recordings(&self) {
        let mut state = self.shared.lock();
        state.requests.clear();
        state.events.clear();
        state.terminated.clear();
    }
}

impl Drop for FakePusher {
    fn drop(&mut self) {
        // Ends hung requests and the graceful shutdown; abort in case a connection lingers.
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}
