//! [`FakePusher`]: `pusher_testing::FakePusher` (the published test kit's fake, which this
//! workspace's tests share with its users) with the workspace's test transport and the
//! shorthands the tests were written with.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Deref;
use std::time::Duration;

use bytes::Bytes;
use pusher_testing::Failure;

use crate::config::FakeConfig;

/// A loopback HTTP server that checks every request exactly as the Pusher Channels API does
/// and answers like it: [`pusher_testing::FakePusher`] (every method of which is available
/// through `Deref`), whose clients use the transport the tests run with
/// ([`with_test_transport`](crate::with_test_transport)). Dropping it stops it.
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
pub struct FakePusher(pusher_testing::FakePusher);

impl Deref for FakePusher {
    type Target = pusher_testing::FakePusher;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
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
        let fake = pusher_testing::FakePusher::builder()
            .app(config.app_id, config.key, config.secret)
            .limits(config.limits)
            .clock(config.clock)
            .client_settings(crate::with_test_transport)
            .start()
            .await;
        FakePusher(fake)
    }

    /// The socket address it listens on (always `127.0.0.1:<port>`).
    ///
    /// # Panics
    /// Never: this fake always listens on a socket.
    pub fn addr(&self) -> SocketAddr {
        self.0
            .addr()
            .unwrap_or_else(|| unreachable!("started on a socket"))
    }

    /// A `PusherBuilder` with this server's credentials, pointed at it over plain HTTP, on the
    /// transport the tests run with ([`with_test_transport`](crate::with_test_transport)).
    pub fn client_builder(&self) -> pusher_client::PusherBuilder {
        self.0.client_builder()
    }

    /// A ready client: [`client_builder`](Self::client_builder) built.
    ///
    /// # Panics
    /// If the client cannot be built.
    pub fn client(&self) -> pusher_client::Pusher {
        self.0.client()
    }

    /// Every request received so far, in order of arrival (refused ones included).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.0
            .requests()
            .into_iter()
            .map(RecordedRequest::from)
            .collect()
    }

    /// The last request received, if any.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.0.last_request().map(RecordedRequest::from)
    }

    /// The events accepted so far, in order (a batch adds one per event), `data` as received.
    pub fn events(&self) -> Vec<TriggeredEvent> {
        self.0
            .triggers()
            .into_iter()
            .map(|t| TriggeredEvent {
                channels: t.channels,
                name: t.event,
                data: t.raw_data,
                socket_id: t.socket_id,
                info: t.info,
            })
            .collect()
    }

    /// The user ids whose connections were terminated, in order, decoded from the path.
    pub fn terminated_users(&self) -> Vec<String> {
        self.0
            .terminations()
            .into_iter()
            .map(|t| t.user_id)
            .collect()
    }

    /// Queues `reply` for the next authenticated request (after those already queued).
    pub fn reply_next(&self, reply: Reply) {
        self.0.fail_next(reply.into());
    }

    /// Queues `reply` for each of the next `n` authenticated requests.
    pub fn reply_next_n(&self, n: usize, reply: Reply) {
        self.0.fail_next_n(n, reply.into());
    }

    /// Drops any scripted replies not yet used.
    pub fn clear_replies(&self) {
        self.0.clear_failures();
    }
}

/// One request as the server received it: the fields of [`pusher_testing::RecordedRequest`],
/// its rejection named `refusal` as the tests name it. A plain struct, so tests can move its
/// fields out.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path exactly as received on the wire (still percent-encoded).
    pub raw_path: String,
    /// The query exactly as received (without `?`; empty when there is none).
    pub raw_query: String,
    /// The path split on `/` and percent-decoded (without the leading empty segment).
    pub path_segments: Vec<String>,
    /// The query parameters, percent-decoded.
    pub query: BTreeMap<String, String>,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// Every header, names lower-case, values lossily decoded, in the order received.
    pub headers: Vec<(String, String)>,
    /// Why the request was refused, if it was.
    pub refusal: Option<pusher_testing::Rejection>,
    /// The status answered; `None` while being answered, or never answered.
    pub status: Option<u16>,
    inner: pusher_testing::RecordedRequest,
}

impl From<pusher_testing::RecordedRequest> for RecordedRequest {
    fn from(inner: pusher_testing::RecordedRequest) -> Self {
        RecordedRequest {
            method: inner.method.clone(),
            raw_path: inner.raw_path.clone(),
            raw_query: inner.raw_query.clone(),
            path_segments: inner.path_segments.clone(),
            query: inner.query.clone(),
            body: inner.body.clone(),
            headers: inner.headers.clone(),
            refusal: inner.rejection.clone(),
            status: inner.status,
            inner,
        }
    }
}

impl RecordedRequest {
    /// `true` if the request passed the path, query and signature checks.
    pub fn authenticated(&self) -> bool {
        self.inner.authenticated()
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.header(name)
    }

    /// The `X-Pusher-Library` header.
    pub fn pusher_library(&self) -> Option<&str> {
        self.inner.pusher_library()
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type()
    }

    /// The decoded query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.inner.param(name)
    }

    /// The body as UTF-8 text (lossy).
    pub fn body_text(&self) -> String {
        self.inner.body_text()
    }

    /// The body parsed as JSON; `Value::Null` if it is not JSON.
    pub fn body_json(&self) -> serde_json::Value {
        self.inner.body_json()
    }
}

/// One event the server accepted, from `/events` (one entry per request, all its channels) or
/// `/batch_events` (one entry per batch event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggeredEvent {
    /// The channels it was published to.
    pub channels: Vec<String>,
    /// The event name.
    pub name: String,
    /// The `data` string exactly as received.
    pub data: String,
    /// The excluded socket id, if any.
    pub socket_id: Option<String>,
    /// The `info` attributes asked for, if any.
    pub info: Option<String>,
}

/// A scripted answer for the next authenticated request (see [`FakePusher::reply_next`]): the
/// tests' names for [`pusher_testing::Failure`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer as the real API would (useful to let earlier requests through).
    Normal,
    /// Answer with this status and a `text/plain` body, as Pusher does for errors.
    Status(u16, String),
    /// Answer 200 with this body as `application/json`, whether it is JSON or not.
    Malformed(String),
    /// Answer with this status and these exact body bytes (which need not be UTF-8).
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

impl From<Reply> for Failure {
    fn from(reply: Reply) -> Failure {
        match reply {
            Reply::Normal => Failure::none(),
            Reply::Status(status, body) => Failure::status(status).body(body),
            Reply::Malformed(body) => Failure::malformed(body),
            Reply::Bytes(status, body) => Failure::status(status).body(Bytes::from(body)),
            Reply::Delay(delay) => Failure::slow(delay),
            Reply::Hang => Failure::hang(),
        }
    }
}
