//! [`FakePusher`]: starting it (on a loopback socket or in memory) and the handle tests hold.

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use pusher_client::transport::{ResponseBody, SendError};
use pusher_client::{Pusher, PusherBuilder};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::{FakeConfig, ServerClock, ServerLimits};
use crate::crypto::master_key_from_base64;
use crate::expect::TriggerMatcher;
use crate::handler::{MAX_BODY_BYTES, Outcome, handle};
use crate::record::{Query, RecordedRequest, Rejection, Termination, Trigger, UserEvent};
use crate::state::{ChannelState, Failure, Shared};
use crate::verify::percent_encode;
use crate::webhook::WebhookRequest;

/// The host name in-memory clients are given (never resolved: no request leaves the process).
const IN_MEMORY_HOST: &str = "pusher-testing.invalid";

/// A fake Pusher Channels HTTP API. It checks every request exactly as Pusher does (key,
/// signature, timestamp window, `body_md5`, limits, channel and event names, socket ids),
/// answers like Pusher, and records what arrived in typed form.
///
/// Each test starts its own. [`FakePusher::start`] listens on `127.0.0.1` (a free port);
/// [`FakePusher::in_memory`] has no socket at all. Dropping the handle stops it.
///
/// ```
/// use pusher_testing::FakePusher;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pusher_client::Error> {
/// let fake = FakePusher::start().await;
/// let pusher = fake.client(); // a pusher_client::Pusher pointed at the fake
///
/// // The code under test:
/// pusher.trigger("orders", "created", serde_json::json!({"id": 7})).await?;
///
/// fake.expect_trigger()
///     .channel("orders")
///     .event("created")
///     .data_json(serde_json::json!({"id": 7}))
///     .assert();
/// assert_eq!(fake.triggers_on("orders").len(), 1);
/// fake.assert_no_rejections();
/// # Ok(()) }
/// ```
pub struct FakePusher {
    shared: Arc<Shared>,
    addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakePusher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakePusher")
            .field("addr", &self.addr)
            .field("config", &self.shared.lock().config)
            .finish_non_exhaustive()
    }
}

/// How to start a [`FakePusher`]: the app's credentials, the encryption master key, the limits
/// and clock it enforces, and settings for the clients it hands out.
///
/// ```
/// use pusher_testing::{FakePusher, ServerLimits};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let fake = FakePusher::builder()
///     .app("123456", "my-key", "my-secret")
///     .master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
///     .limits(ServerLimits { max_payload_bytes: 100 * 1024, ..ServerLimits::default() })
///     .start()
///     .await;
/// assert_eq!(fake.app_id(), "123456");
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until `start` or `in_memory`"]
pub struct FakePusherBuilder {
    config: FakeConfig,
}

impl FakePusherBuilder {
    /// The app id served (others are answered 404), its key and its secret. By default
    /// [`APP_ID`](crate::APP_ID), [`KEY`](crate::KEY), [`SECRET`](crate::SECRET).
    pub fn app(
        mut self,
        app_id: impl Into<String>,
        key: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.config.app_id = app_id.into();
        self.config.key = key.into();
        self.config.secret = secret.into();
        self
    }

    /// The encryption master key (32 bytes). With it, the fake decrypts what arrives on
    /// `private-encrypted-` channels ([`Trigger::data`] is the plaintext) and refuses data that
    /// does not decrypt; its clients get the same key.
    pub fn master_key(mut self, key: [u8; 32]) -> Self {
        self.config.master_key = Some(key);
        self
    }

    /// [`master_key`](Self::master_key) from standard base64, as
    /// `PusherBuilder::encryption_master_key_base64` takes it.
    ///
    /// # Panics
    /// If `key` is not standard base64 of exactly 32 bytes (a mistake in the test's setup).
    pub fn master_key_base64(self, key: &str) -> Self {
        match master_key_from_base64(key) {
            Ok(key) => self.master_key(key),
            Err(e) => panic!("FakePusherBuilder::master_key_base64: {e}"),
        }
    }

    /// The limits enforced (default: Pusher's multi-tenant clusters').
    pub fn limits(mut self, limits: ServerLimits) -> Self {
        self.config.limits = limits;
        self
    }

    /// The clock `auth_timestamp` is checked against (default: the system clock).
    pub fn clock(mut self, clock: ServerClock) -> Self {
        self.config.clock = clock;
        self
    }

    /// Settings applied to every client [`FakePusher::client_builder`] hands out, e.g. your
    /// app's own client configuration (timeouts, retries, limits), so tests run with the
    /// settings production uses. Applied before the fake's address and credentials.
    ///
    /// ```
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = pusher_testing::FakePusher::builder()
    ///     .client_settings(|b| b.timeout(Duration::from_secs(2)))
    ///     .start()
    ///     .await;
    /// let _pusher = fake.client();
    /// # }
    /// ```
    pub fn client_settings(
        mut self,
        settings: impl Fn(PusherBuilder) -> PusherBuilder + Send + Sync + 'static,
    ) -> Self {
        self.config.client_setup = Some(Arc::new(settings));
        self
    }

    /// Starts the fake on `127.0.0.1` (a free port).
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start(self) -> FakePusher {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|e| panic!("FakePusher: cannot bind a loopback port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("FakePusher: bound socket has no address: {e}"));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared::new(self.config, shutdown_rx));
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        FakePusher {
            shared,
            addr: Some(addr),
            shutdown,
            task: Some(task),
        }
    }

    /// The fake without a socket: its clients ([`FakePusher::client`]) reach it through an
    /// in-memory transport (`PusherBuilder::transport`). The checks, answers and records are
    /// the same; [`Failure::cut_connection`] becomes a transport error. Needs no runtime to
    /// create, a Tokio runtime to use.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pusher_client::Error> {
    /// let fake = pusher_testing::FakePusher::in_memory();
    /// fake.client().trigger("orders", "created", "{}").await?;
    /// assert_eq!(fake.triggers().len(), 1);
    /// assert!(fake.addr().is_none());
    /// # Ok(()) }
    /// ```
    pub fn in_memory(self) -> FakePusher {
        let (shutdown, shutdown_rx) = watch::channel(false);
        FakePusher {
            shared: Arc::new(Shared::new(self.config, shutdown_rx)),
            addr: None,
            shutdown,
            task: None,
        }
    }
}

/// Accepts connections until aborted; dropping the task drops (aborts) every connection.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let shared = Arc::clone(&shared);
                        async move { serve_one(&shared, request).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The connection is closed without an answer ([`Failure::cut_connection`]).
#[derive(Debug)]
struct Cut;

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection cut by the fake (Failure::cut_connection)")
    }
}

impl std::error::Error for Cut {}

async fn serve_one(
    shared: &Shared,
    request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Full<Bytes>>, Cut> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let mut response = http::Response::new(Full::new(Bytes::from_static(
                b"Request body too large (or cut)",
            )));
            *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(response);
        }
    };
    match handle(shared, &parts.method, &parts.uri, &parts.headers, body).await {
        Outcome::Answer(response) => Ok(response.map(Full::new)),
        Outcome::Cut => Err(Cut),
    }
}

impl FakePusher {
    /// Starts a fake with the default app ([`APP_ID`](crate::APP_ID), [`KEY`](crate::KEY),
    /// [`SECRET`](crate::SECRET)) on `127.0.0.1` (a free port).
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start() -> FakePusher {
        FakePusher::builder().start().await
    }

    /// A [`FakePusherBuilder`] for other credentials, a master key, limits or clock.
    pub fn builder() -> FakePusherBuilder {
        FakePusherBuilder::default()
    }

    /// A fake with the default app and no socket: see [`FakePusherBuilder::in_memory`].
    pub fn in_memory() -> FakePusher {
        FakePusher::builder().in_memory()
    }

    // ---- where it is ----

    /// The socket address it listens on (`127.0.0.1:<port>`); `None` for an in-memory fake.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// The host its clients are pointed at: `127.0.0.1` (or a never-resolved name in memory).
    pub fn host(&self) -> String {
        self.addr
            .map_or_else(|| IN_MEMORY_HOST.to_owned(), |a| a.ip().to_string())
    }

    /// The port its clients are pointed at.
    pub fn port(&self) -> u16 {
        self.addr.map_or(80, |a| a.port())
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host(), self.port())
    }

    /// `http://KEY:SECRET@127.0.0.1:<port>/apps/APP_ID`, for `Pusher::from_url` and
    /// `PUSHER_URL`. Key and secret are percent-encoded.
    pub fn pusher_url(&self) -> String {
        let state = self.shared.lock();
        let c = &state.config;
        format!(
            "http://{}:{}@{}:{}/apps/{}",
            percent_encode(&c.key),
            percent_encode(&c.secret),
            self.host(),
            self.port(),
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

    /// A `PusherBuilder` with the fake's credentials (and master key, if any), pointed at it
    /// over plain HTTP (or its in-memory transport), after the
    /// [`client_settings`](FakePusherBuilder::client_settings). Adjust it and build.
    pub fn client_builder(&self) -> PusherBuilder {
        let config = self.shared.lock().config.clone();
        let mut builder = Pusher::builder(config.app_id, config.key, config.secret);
        if let Some(setup) = &config.client_setup {
            builder = setup(builder);
        }
        builder = builder.host(self.host()).port(self.port()).tls(false);
        if let Some(key) = config.master_key {
            builder = builder.encryption_master_key_base64(STANDARD.encode(key));
        }
        if self.addr.is_none() {
            let shared = Arc::clone(&self.shared);
            builder = builder.transport(tower::service_fn(move |request: http::Request<Bytes>| {
                let shared = Arc::clone(&shared);
                async move {
                    let (parts, body) = request.into_parts();
                    match handle(&shared, &parts.method, &parts.uri, &parts.headers, body).await {
                        Outcome::Answer(response) => Ok(response.map(ResponseBody::from)),
                        Outcome::Cut => Err(SendError::other(Cut)),
                    }
                }
            }));
        }
        builder
    }

    /// A ready client: [`client_builder`](Self::client_builder) built.
    ///
    /// # Panics
    /// If the client cannot be built (settings given to
    /// [`client_settings`](FakePusherBuilder::client_settings) that `PusherBuilder::build`
    /// refuses).
    pub fn client(&self) -> Pusher {
        self.client_builder()
            .build()
            .unwrap_or_else(|e| panic!("FakePusher::client: the client does not build: {e}"))
    }

    // ---- channel state (answers to queries) ----

    /// Sets a channel's state (its counts and presence users), replacing what it had.
    pub fn set_channel(&self, name: impl Into<String>, state: ChannelState) {
        self.shared.lock().channels.insert(name.into(), state);
    }

    /// Makes `channel` occupied with `subscribers` connections (presence users unchanged).
    pub fn occupied(&self, channel: impl Into<String>, subscribers: u64) {
        let mut state = self.shared.lock();
        let entry = state.channels.entry(channel.into()).or_default();
        entry.subscription_count = subscribers;
    }

    /// Sets the members of a presence channel (the answer to `Pusher::users` and
    /// `user_count`); the channel gets at least one subscription per distinct member.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pusher_client::Error> {
    /// let fake = pusher_testing::FakePusher::in_memory();
    /// fake.presence_members("presence-lobby", ["ada", "grace"]);
    /// let users = fake.client().users("presence-lobby").await?;
    /// assert_eq!(users.users.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn presence_members<S: Into<String>>(
        &self,
        channel: impl Into<String>,
        user_ids: impl IntoIterator<Item = S>,
    ) {
        let mut state = self.shared.lock();
        let entry = state.channels.entry(channel.into()).or_default();
        *entry = std::mem::take(entry).users(user_ids);
        entry.subscription_count = entry.subscription_count.max(entry.user_count());
    }

    /// Forgets every channel's state: all channels are then unoccupied.
    pub fn clear_channels(&self) {
        self.shared.lock().channels.clear();
    }

    /// Sets the clock `auth_timestamp` is checked against (±600 s).
    pub fn set_clock(&self, clock: ServerClock) {
        self.shared.lock().config.clock = clock;
    }

    /// The fake's current time in Unix seconds.
    pub fn now_unix(&self) -> u64 {
        self.shared.clock().now_unix()
    }

    /// Sets the limits enforced.
    pub fn set_limits(&self, limits: ServerLimits) {
        self.shared.lock().config.limits = limits;
    }

    /// The limits enforced.
    pub fn limits(&self) -> ServerLimits {
        self.shared.lock().config.limits
    }

    // ---- scripted failures ----

    /// Answers the next request that passes the signature checks with `failure` (after the
    /// failures already queued). Requests refused by the checks consume nothing.
    ///
    /// ```
    /// use pusher_testing::{FakePusher, Failure};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = FakePusher::in_memory();
    /// fake.fail_next(Failure::status(503));
    /// let err = fake.client().trigger("orders", "created", "{}").await.unwrap_err();
    /// assert_eq!(err.status(), Some(503));
    /// assert!(fake.triggers().is_empty());
    /// # }
    /// ```
    pub fn fail_next(&self, failure: Failure) {
        self.shared.lock().failures.push_back(failure);
    }

    /// Queues `failure` for each of the next `n` requests.
    pub fn fail_next_n(&self, n: usize, failure: Failure) {
        let mut state = self.shared.lock();
        state.failures.extend(std::iter::repeat_n(failure, n));
    }

    /// Drops the queued failures not yet used.
    pub fn clear_failures(&self) {
        self.shared.lock().failures.clear();
    }

    // ---- records ----

    /// Every request received so far, in order (refused ones included).
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

    /// Every event accepted so far, in order: triggers, batch events (one each) and sends to
    /// users.
    pub fn triggers(&self) -> Vec<Trigger> {
        self.shared.lock().triggers.clone()
    }

    /// The events accepted on `channel`, in order.
    pub fn triggers_on(&self, channel: &str) -> Vec<Trigger> {
        self.shared
            .lock()
            .triggers
            .iter()
            .filter(|t| t.on(channel))
            .cloned()
            .collect()
    }

    /// The accepted batch requests, each with its events in order.
    pub fn batches(&self) -> Vec<Vec<Trigger>> {
        self.shared.lock().batches.clone()
    }

    /// The events sent to users (`Pusher::send_to_user`), in order.
    pub fn user_events(&self) -> Vec<UserEvent> {
        self.shared.lock().user_events.clone()
    }

    /// The users whose connections were terminated, in order.
    pub fn terminations(&self) -> Vec<Termination> {
        self.shared.lock().terminations.clone()
    }

    /// The queries answered, in order.
    pub fn queries(&self) -> Vec<Query> {
        self.shared.lock().queries.clone()
    }

    /// The requests refused, in order: what Pusher would have refused, and why.
    pub fn rejections(&self) -> Vec<Rejection> {
        self.shared.lock().rejections.clone()
    }

    /// A matcher over the accepted events: narrow it (`channel`, `event`, `data_json`, …),
    /// then assert. See [`TriggerMatcher`].
    pub fn expect_trigger(&self) -> TriggerMatcher<'_> {
        TriggerMatcher::new(self)
    }

    /// Panics, listing them, if any request was refused.
    ///
    /// # Panics
    /// If [`rejections`](Self::rejections) is not empty (by design: an assertion).
    #[track_caller]
    pub fn assert_no_rejections(&self) {
        let rejections = self.rejections();
        if !rejections.is_empty() {
            let list: Vec<String> = rejections.iter().map(|r| format!("  - {r}")).collect();
            panic!(
                "the fake Pusher refused {} request(s):\n{}",
                rejections.len(),
                list.join("\n")
            );
        }
    }

    /// Waits until at least `n` events were accepted, and returns them all.
    ///
    /// For code that triggers in the background (a spawned task, a queue consumer).
    ///
    /// ```
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = pusher_testing::FakePusher::in_memory();
    /// let pusher = fake.client();
    /// tokio::spawn(async move { pusher.trigger("jobs", "done", "{}").await });
    /// let triggers = fake.wait_for_triggers(1, Duration::from_secs(5)).await;
    /// assert_eq!(triggers[0].event, "done");
    /// # }
    /// ```
    ///
    /// # Panics
    /// If fewer than `n` arrived within `timeout` (by design: an assertion), listing those
    /// that did and any rejections.
    pub async fn wait_for_triggers(&self, n: usize, timeout: Duration) -> Vec<Trigger> {
        let mut changed = self.shared.changed.subscribe();
        let wait = async {
            loop {
                let triggers = self.triggers();
                if triggers.len() >= n {
                    return triggers;
                }
                if changed.changed().await.is_err() {
                    // The sender lives in `self.shared`: unreachable while `self` lives.
                    std::future::pending::<Infallible>().await;
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(triggers) => triggers,
            Err(_) => panic!(
                "waited {timeout:?} for {n} event(s); the fake Pusher accepted {}:\n{}{}",
                self.triggers().len(),
                crate::expect::describe(&self.triggers()),
                crate::expect::describe_rejections(&self.rejections())
            ),
        }
    }

    /// Waits until at least `n` requests arrived (answered or not), and returns them all.
    ///
    /// # Panics
    /// If fewer than `n` arrived within `timeout` (by design: an assertion).
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let mut changed = self.shared.changed.subscribe();
        let wait = async {
            loop {
                let requests = self.requests();
                if requests.len() >= n {
                    return requests;
                }
                if changed.changed().await.is_err() {
                    std::future::pending::<Infallible>().await;
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(requests) => requests,
            Err(_) => panic!(
                "waited {timeout:?} for {n} request(s); the fake Pusher received {}",
                self.request_count()
            ),
        }
    }

    /// A signed webhook request with the fake's key, secret and master key: see
    /// [`WebhookRequest`].
    pub fn webhook(&self) -> WebhookRequest {
        let state = self.shared.lock();
        let mut webhook = WebhookRequest::new(&state.config.key, &state.config.secret);
        if let Some(key) = state.config.master_key {
            webhook = webhook.master_key(key);
        }
        webhook
    }

    /// What of the app's secrets appears in `text` (an error message, a log line): the app
    /// secret, `auth_signature=`, or any `auth_signature` value received so far. Empty when
    /// nothing leaks.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = pusher_testing::FakePusher::start().await;
    /// assert!(fake.leaks_in("API answered 500").is_empty());
    /// assert_eq!(fake.leaks_in(&format!("oops {}", fake.secret())).len(), 1);
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

    /// Forgets everything recorded (requests, events, batches, user events, terminations,
    /// queries, rejections). Channel state and queued failures stay.
    pub fn clear_recordings(&self) {
        let mut state = self.shared.lock();
        state.requests.clear();
        state.triggers.clear();
        state.batches.clear();
        state.user_events.clear();
        state.terminations.clear();
        state.queries.clear();
        state.rejections.clear();
    }
}

impl Drop for FakePusher {
    fn drop(&mut self) {
        // Ends hung requests; aborting the server drops every connection.
        let _ = self.shutdown.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
