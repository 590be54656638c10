//! What the fake records: every request as received, the typed calls it accepted, and the
//! requests it refused.

use std::collections::BTreeMap;
use std::fmt;

/// Why the fake refused a request: what Pusher would have refused it for.
///
/// Each reason has the HTTP status Pusher answers with ([`status`](Self::status)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionReason {
    /// The path names another app id (404).
    UnknownApp,
    /// No such endpoint (404).
    NotFound,
    /// The endpoint exists but not for this method (405).
    MethodNotAllowed,
    /// The path, query or JSON body could not be read, or a field is missing or has the wrong
    /// type (400).
    Malformed,
    /// A signing parameter is missing or wrong: `auth_key`, `auth_version`, `auth_timestamp`,
    /// a parameter name that is not lower-case (401).
    AuthParameters,
    /// `auth_key` is not the app's key (401).
    UnknownKey,
    /// `auth_timestamp` is more than 600 s away from the server's clock (401).
    Timestamp,
    /// `body_md5` is missing or does not match the body (401).
    BodyMd5,
    /// `auth_signature` is not the HMAC-SHA256 of the request (401).
    Signature,
    /// The event name is empty or longer than the limit (400).
    EventName,
    /// The event data is over the size limit (413).
    PayloadTooLarge,
    /// No channel, or more channels in one trigger than the limit (400).
    TooManyChannels,
    /// A channel name Pusher does not accept: empty, too long, a character outside
    /// `A-Z a-z 0-9 _ - = @ , . ;` (400).
    ChannelName,
    /// A socket id that is not `digits.digits` (400).
    SocketId,
    /// An `info` attribute not available for this call or channel (400).
    Info,
    /// An empty batch, or more events in one batch than the limit (400).
    BatchTooLarge,
    /// A `private-encrypted-` channel triggered together with other channels, or (when the
    /// fake knows the master key) data that does not decrypt (400).
    Encryption,
    /// An empty user id (400).
    UserId,
    /// A request body over 4 MiB (413).
    BodyTooLarge,
}

impl RejectionReason {
    /// The HTTP status Pusher answers with for this reason.
    ///
    /// ```
    /// use pusher_testing::RejectionReason;
    ///
    /// assert_eq!(RejectionReason::PayloadTooLarge.status(), 413);
    /// assert_eq!(RejectionReason::Signature.status(), 401);
    /// assert_eq!(RejectionReason::ChannelName.status(), 400);
    /// ```
    pub fn status(self) -> u16 {
        use RejectionReason::*;
        match self {
            UnknownApp | NotFound => 404,
            MethodNotAllowed => 405,
            AuthParameters | UnknownKey | Timestamp | BodyMd5 | Signature => 401,
            PayloadTooLarge | BodyTooLarge => 413,
            Malformed | EventName | TooManyChannels | ChannelName | SocketId | Info
            | BatchTooLarge | Encryption | UserId => 400,
        }
    }
}

/// A request the fake refused, as Pusher would have: why, with which status, and a message
/// saying what was wrong (never the secret).
///
/// ```
/// use pusher_testing::{Rejection, RejectionReason};
///
/// let r = Rejection::new(RejectionReason::EventName, "event name is 201 characters, over the 200-character limit");
/// assert_eq!(r.status(), 400);
/// assert_eq!(r.to_string(), "400 (EventName): event name is 201 characters, over the 200-character limit");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    reason: RejectionReason,
    status: u16,
    message: String,
}

impl Rejection {
    /// A rejection for `reason`, answered with [`RejectionReason::status`].
    pub fn new(reason: RejectionReason, message: impl Into<String>) -> Self {
        Rejection {
            reason,
            status: reason.status(),
            message: message.into(),
        }
    }

    /// Why.
    pub fn reason(&self) -> RejectionReason {
        self.reason
    }

    /// The HTTP status answered.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// What was wrong, in words: also the text body answered.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same rejection, its message prefixed (e.g. with the batch event it is about).
    pub(crate) fn context(self, prefix: &str) -> Self {
        Rejection {
            message: format!("{prefix}: {}", self.message),
            ..self
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?}): {}", self.status, self.reason, self.message)
    }
}

impl std::error::Error for Rejection {}

/// One request as the fake received it, recorded before it is answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path exactly as received on the wire (still percent-encoded).
    pub raw_path: String,
    /// The query exactly as received (without `?`; empty when there is none).
    pub raw_query: String,
    /// The path split on `/` and percent-decoded (without the leading empty segment); empty if
    /// the path could not be decoded.
    pub path_segments: Vec<String>,
    /// The query parameters, percent-decoded (see [`decode_query`](crate::verify::decode_query));
    /// empty if the query could not be decoded.
    pub query: BTreeMap<String, String>,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// Every header, names lower-case, values lossily decoded, in the order received.
    pub headers: Vec<(String, String)>,
    /// Why the request was refused, if it was.
    pub rejection: Option<Rejection>,
    /// The status the fake answered with; `None` while it is still being answered, or when
    /// it was never answered ([`Failure::cut_connection`](crate::Failure::cut_connection),
    /// [`Failure::hang`](crate::Failure::hang)).
    pub status: Option<u16>,
    pub(crate) authenticated: bool,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `X-Pusher-Library` header.
    pub fn pusher_library(&self) -> Option<&str> {
        self.header("x-pusher-library")
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The decoded query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The body as UTF-8 text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; `Value::Null` if it is not JSON.
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// `true` if the request passed the path, query and signature checks (it may still have
    /// been refused by the endpoint, e.g. for a bad channel name: see
    /// [`rejection`](Self::rejection)).
    pub fn authenticated(&self) -> bool {
        self.authenticated
    }
}

/// One event the fake accepted: from a trigger (`POST /events`, all its channels), a batch
/// (`POST /batch_events`, one per event) or a send to a user (a trigger on
/// `#server-to-user-<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trigger {
    /// The channels it was published to.
    pub channels: Vec<String>,
    /// The event name.
    pub event: String,
    /// The event data: as received, or decrypted when the channel is `private-encrypted-` and
    /// the fake knows the master key ([`FakePusherBuilder::master_key_base64`](crate::FakePusherBuilder::master_key_base64)).
    pub data: String,
    /// The `data` exactly as received (the ciphertext JSON on encrypted channels).
    pub raw_data: String,
    /// `true` when [`data`](Self::data) was decrypted.
    pub decrypted: bool,
    /// The excluded socket id, if any.
    pub socket_id: Option<String>,
    /// The `info` attributes asked for, if any.
    pub info: Option<String>,
    /// `Some(i)` when it was the `i`-th event (from 0) of a batch request.
    pub batch_index: Option<usize>,
}

impl Trigger {
    /// The data parsed as JSON; `Value::Null` if it is not JSON.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pusher_client::Error> {
    /// let fake = pusher_testing::FakePusher::start().await;
    /// fake.client().trigger("orders", "created", serde_json::json!({"id": 7})).await?;
    /// assert_eq!(fake.triggers()[0].data_json()["id"], 7);
    /// # Ok(()) }
    /// ```
    pub fn data_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null)
    }

    /// `true` if it was published to `channel`.
    pub fn on(&self, channel: &str) -> bool {
        self.channels.iter().any(|c| c == channel)
    }
}

/// An event sent to every connection of one user (`Pusher::send_to_user`): a trigger on
/// `#server-to-user-<user_id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserEvent {
    /// The user's id.
    pub user_id: String,
    /// The event name.
    pub event: String,
    /// The event data, as received.
    pub data: String,
}

/// A request to close every connection of one user (`Pusher::terminate_user_connections`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Termination {
    /// The user's id, decoded from the path.
    pub user_id: String,
}

/// A query the fake answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Query {
    /// `GET /channels` (`Pusher::channels`).
    Channels {
        /// `filter_by_prefix`, if given.
        prefix: Option<String>,
        /// The `info` attributes asked for.
        info: Vec<String>,
    },
    /// `GET /channels/{name}` (`Pusher::channel`).
    Channel {
        /// The channel.
        channel: String,
        /// The `info` attributes asked for.
        info: Vec<String>,
    },
    /// `GET /channels/{name}/users` (`Pusher::users`).
    Users {
        /// The presence channel.
        channel: String,
    },
}
