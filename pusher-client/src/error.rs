//! Errors returned by this crate.
//!
//! One [`Error`] enum covers every call, with a variant per concern so callers can match on what
//! went wrong: bad configuration, input refused before anything was sent, the network, or an
//! answer from the API. No message ever contains the app secret, the encryption master key or a
//! signed URL.

use std::fmt;
use std::time::Duration;

use crate::webhook::WebhookError;

/// The error type of every fallible call in this crate.
///
/// ```
/// use pusher_client::{Error, Pusher};
///
/// # async fn run(pusher: Pusher) {
/// match pusher.trigger("my-channel", "my-event", "hello").await {
///     Ok(_) => {}
///     Err(Error::Validation(e)) => eprintln!("refused before sending: {e}"),
///     Err(e) if e.is_timeout() => eprintln!("timed out: {e}"),
///     Err(Error::Api(e)) => eprintln!("the API answered {}: {}", e.status(), e.body()),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be configured (builder, URL or environment).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A value was refused before any request was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A value could not be serialised to JSON (a `Serialize` impl failed, or a map had
    /// non-string keys).
    #[error("{what} could not be serialised to JSON: {source}")]
    Serialize {
        /// What was being serialised: `"event data"`, `"request body"`, `"presence member"`,
        /// `"user data"`…
        what: &'static str,
        /// serde_json's reason.
        #[source]
        source: serde_json::Error,
    },
    /// The request did not complete: connection, timeout or protocol failure.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The API answered with a non-success status.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The API answered 2xx, but the body was not what the protocol promises.
    #[error("malformed response from the API (status {status}): {message}")]
    MalformedResponse {
        /// HTTP status of the answer.
        status: u16,
        /// What was wrong with it.
        message: String,
    },
    /// A batch longer than the server's batch limit was split into several requests and one of
    /// them failed after earlier ones had been delivered.
    ///
    /// Events `0..delivered` were accepted by the server; the rest were not sent or failed.
    #[error("batch trigger failed after {delivered} events were delivered: {source}")]
    PartialBatch {
        /// How many events (from the start of the batch) the server accepted.
        delivered: usize,
        /// Why the next request failed.
        #[source]
        source: Box<Error>,
    },
    /// Encryption or decryption failed (see [`CryptoError`]).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A webhook was refused (see [`WebhookError`]).
    #[error(transparent)]
    Webhook(#[from] WebhookError),
}

impl Error {
    /// Maps a serde_json failure on `what` (for `map_err`).
    pub(crate) fn serialize(what: &'static str) -> impl FnOnce(serde_json::Error) -> Error {
        move |source| Error::Serialize { what, source }
    }

    /// `true` if the request timed out (connecting or waiting for the answer).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) => e.timed_out,
            Error::PartialBatch { source, .. } => source.is_timeout(),
            _ => false,
        }
    }

    /// `true` if no connection to the API could be made.
    pub fn is_connect(&self) -> bool {
        match self {
            Error::Transport(e) => e.kind == TransportKind::Connect,
            Error::PartialBatch { source, .. } => source.is_connect(),
            _ => false,
        }
    }

    /// `true` if the failure is transient, so the same request may succeed later: no
    /// connection, a timeout, a connection lost before a success status, 429, 500, 502, 503 or
    /// 504. Validation errors, other 4xx, answers over the size cap, malformed answers and
    /// answers lost *after* a success status on a POST (the request took effect) are not.
    ///
    /// The client's own retry loop decides with the same rule (see
    /// [`RetryPolicy`](crate::RetryPolicy)); this tells what remains worth retrying later, e.g.
    /// from a job queue.
    pub fn is_retryable(&self) -> bool {
        crate::retry::retryability(self) != crate::retry::Retryability::Never
    }

    /// How long the server asked to wait before trying again (`Retry-After` on a 429 or 503,
    /// in seconds or as an HTTP date), when it said so.
    ///
    /// ```
    /// # async fn run(pusher: pusher_client::Pusher) {
    /// if let Err(e) = pusher.trigger("orders", "created", "{}").await {
    ///     if let Some(wait) = e.retry_after() {
    ///         eprintln!("rate limited: try again in {wait:?}");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            Error::PartialBatch { source, .. } => source.retry_after(),
            _ => None,
        }
    }

    /// The HTTP status the API answered with, if an answer arrived: an error status, or the
    /// success status of an answer that was malformed or cut off.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Transport(e) => e.status,
            Error::MalformedResponse { status, .. } => Some(*status),
            Error::PartialBatch { source, .. } => source.status(),
            _ => None,
        }
    }
}

/// A client could not be built: what is wrong, never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting was empty.
    #[error("configuration: {field} must not be empty")]
    Empty {
        /// The setting's name.
        field: &'static str,
    },
    /// A setting had a value that cannot be used.
    #[error("configuration: {field} is invalid: {reason}")]
    Invalid {
        /// The setting's name.
        field: &'static str,
        /// Why it was refused (never contains a secret).
        reason: String,
    },
    /// A required environment variable was not set.
    #[error(
        "configuration: environment variable {name} is not set (set PUSHER_URL, or PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET)"
    )]
    MissingEnv {
        /// The variable's name.
        name: &'static str,
    },
    /// `PUSHER_URL` / [`Pusher::from_url`](crate::Pusher::from_url) was malformed.
    #[error(
        "configuration: invalid Pusher URL: {reason} (expected https://KEY:SECRET@HOST[:PORT]/apps/APP_ID)"
    )]
    Url {
        /// What is wrong with it (never contains the secret).
        reason: String,
    },
    /// The encryption master key was not 32 bytes of standard base64.
    #[error("configuration: encryption master key is invalid: {reason}")]
    MasterKey {
        /// What is wrong with it (never contains the key).
        reason: String,
    },
    /// A setting the chosen transport cannot apply: refused when the client is built rather
    /// than failing (or being ignored) when a request is sent.
    #[error("configuration: {option} is not supported by {transport}: {reason}")]
    Unsupported {
        /// The setting's name (`proxy`, `connect_timeout`, `add_root_certificate`, `tls`,
        /// `http_client`).
        option: &'static str,
        /// The transport that would have to apply it.
        transport: &'static str,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The HTTP client could not be built (TLS backend or proxy setup).
    #[error("configuration: the HTTP client could not be built: {reason}")]
    HttpClient {
        /// The underlying reason.
        reason: String,
    },
}

/// A value was refused before anything was sent.
///
/// Each variant names the field, the problem and, where there is one, the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A channel name was empty.
    #[error("channel name must not be empty")]
    EmptyChannelName,
    /// A channel name was longer than allowed.
    #[error("channel name {name:?} is {len} characters long; the limit is {max}")]
    ChannelNameTooLong {
        /// The name given.
        name: String,
        /// Its length in characters.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// A channel name contained a character Pusher does not allow.
    #[error("channel name {name:?} contains {ch:?}; allowed are A-Z a-z 0-9 _ - = @ , . ;")]
    ChannelNameInvalidChar {
        /// The name given.
        name: String,
        /// The first character refused.
        ch: char,
    },
    /// A channel name used the reserved `#` prefix (`#server-to-user-` is reached through
    /// [`Pusher::send_to_user`](crate::Pusher::send_to_user)).
    #[error(
        "channel name {name:?} starts with the reserved prefix '#'; use send_to_user to reach a user"
    )]
    ReservedChannelName {
        /// The name given.
        name: String,
    },
    /// A trigger named no channel.
    #[error("a trigger needs at least one channel")]
    NoChannels,
    /// A trigger named more channels than allowed.
    #[error("a trigger may name at most {max} channels; {count} were given")]
    TooManyChannels {
        /// How many were given.
        count: usize,
        /// The configured limit.
        max: usize,
    },
    /// An event name was empty.
    #[error("event name must not be empty")]
    EmptyEventName,
    /// An event name was longer than allowed.
    #[error("event name is {len} characters long; the limit is {max}")]
    EventNameTooLong {
        /// Its length in characters.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// A socket id was not of the form `digits.digits` (ASCII digits only, `^\d+\.\d+$`).
    ///
    /// The strict form matters: a socket id is part of the string signed for channel
    /// authorization, so anything else (a `:` in particular) could forge a signature for another
    /// channel.
    #[error(
        "socket id {value:?} is invalid: expected ASCII digits, a dot, ASCII digits (e.g. 1234.5678)"
    )]
    InvalidSocketId {
        /// The value given.
        value: String,
    },
    /// A channel name or user id was exactly `.` or `..`, which URLs treat as path navigation.
    #[error("{field} {value:?} is not allowed: URLs treat it as path navigation")]
    DotSegment {
        /// What the value was for.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A user id was empty, too long (over [`MAX_USER_ID_LEN`](crate::MAX_USER_ID_LEN)
    /// characters) or contained control characters.
    ///
    /// Any other character is allowed (`&`, `+`, spaces, non-ASCII) in a presence member's id:
    /// the client percent-encodes it in request paths and signs the path exactly as sent. A user
    /// who signs in or is addressed needs more (see [`UserIdInvalidChar`](Self::UserIdInvalidChar)).
    #[error("user id is invalid: {reason}")]
    InvalidUserId {
        /// What is wrong with it.
        reason: String,
    },
    /// A user id that must be addressable (user authentication, send to user, terminate
    /// connections) holds a character its `#server-to-user-{id}` channel cannot hold.
    ///
    /// The id becomes part of the channel `#server-to-user-{id}`, so it may only hold
    /// channel-name characters (`A-Z a-z 0-9 _ - = @ , . ;`) and, with the default 164-character
    /// channel limit, at most 148 of them ([`UserIdTooLong`](Self::UserIdTooLong)). A user the
    /// server would refuse could never be reached, so such an id is refused before anything is
    /// signed or sent. Presence members' ids stay free-form
    /// ([`InvalidUserId`](Self::InvalidUserId)).
    #[error(
        "user id {user_id:?} contains {ch:?}: the user's channel #server-to-user-{{id}} may only hold A-Z a-z 0-9 _ - = @ , . ; so the server would refuse it and the user could never be reached"
    )]
    UserIdInvalidChar {
        /// The id given (truncated if long).
        user_id: String,
        /// The first character refused.
        ch: char,
    },
    /// A user id that must be addressable is too long for its `#server-to-user-{id}` channel.
    #[error(
        "user id is {len} characters long; the user's channel #server-to-user-{{id}} allows at most {max} (the channel name limit less the 16-character prefix)"
    )]
    UserIdTooLong {
        /// The id given (truncated if long).
        user_id: String,
        /// Its length in characters.
        len: usize,
        /// The longest id the configured channel limit allows.
        max: usize,
    },
    /// Event data, as it would be sent, was larger than allowed.
    #[error("event data is {size} bytes as sent; the limit is {max} bytes")]
    PayloadTooLarge {
        /// The size in bytes of the data as it would be sent.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// `user_count` was asked for where Pusher only allows it on presence channels.
    #[error(
        "the user_count attribute is only available for presence- channels; {channel:?} is not one"
    )]
    UserCountNeedsPresence {
        /// The channel or prefix concerned.
        channel: String,
    },
    /// An attribute was asked for where the endpoint does not offer it.
    #[error("the {attribute} attribute is not available for {call}")]
    UnsupportedAttribute {
        /// The attribute.
        attribute: &'static str,
        /// The call it was asked for.
        call: &'static str,
    },
    /// A `private-encrypted-` channel was named together with other channels.
    #[error("the encrypted channel {channel:?} cannot share a trigger with other channels")]
    EncryptedChannelWithOthers {
        /// The encrypted channel.
        channel: String,
    },
    /// A `private-encrypted-` channel was used but no master key is configured.
    #[error(
        "channel {channel:?} is end-to-end encrypted, but no encryption master key is configured"
    )]
    EncryptionNotConfigured {
        /// The encrypted channel.
        channel: String,
    },
    /// A presence channel was named where that is not allowed (e.g. presence users on a
    /// non-presence channel) or vice versa.
    #[error("{call} needs a presence- channel; {channel:?} is not one")]
    NotPresenceChannel {
        /// The call.
        call: &'static str,
        /// The channel given.
        channel: String,
    },
    /// A raw request's parameter would override the signature's own (`auth_*`, `body_md5`).
    #[error("query parameter {name:?} is reserved for request signing")]
    ReservedParameter {
        /// The parameter name given.
        name: String,
    },
    /// A raw request's path was not a relative API path.
    #[error("path {path:?} is invalid: {reason}")]
    InvalidPath {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An idempotency key could not be sent as an HTTP header value (it must be visible ASCII
    /// or spaces, no control characters).
    #[error("idempotency key {key:?} cannot be sent as a header value (use visible ASCII)")]
    InvalidIdempotencyKey {
        /// The key given (truncated if long).
        key: String,
    },
    /// One event of a batch was refused.
    #[error("batch event {index}: {source}")]
    BatchEvent {
        /// The event's position in the batch (from 0).
        index: usize,
        /// Why it was refused.
        #[source]
        source: Box<ValidationError>,
    },
    /// Channel authorization was asked for a public channel, which needs none.
    #[error(
        "channel {channel:?} is public and needs no authorization; only private-, private-encrypted- and presence- channels are authorized"
    )]
    PublicChannel {
        /// The channel given.
        channel: String,
    },
    /// A presence channel was authorized without the member (user id and info) joining it.
    #[error("presence channel {channel:?} needs a member (user_id and optional user_info)")]
    PresenceMemberRequired {
        /// The channel given.
        channel: String,
    },
    /// A presence member was given for a channel that is not a presence channel.
    #[error("a presence member was given for {channel:?}, which is not a presence- channel")]
    MemberForNonPresenceChannel {
        /// The channel given.
        channel: String,
    },
    /// User data (user authentication or a presence member) had an unusable field.
    #[error("user data field {field} is invalid: {reason}")]
    InvalidUserData {
        /// The field concerned (`user_info`, or an extra field's name).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// [`Pusher::decrypt_client_event`](crate::Pusher::decrypt_client_event) was given an event
    /// that carries no client data.
    #[error("only client_event webhook events carry data to decrypt; got a {name} event")]
    NotClientEvent {
        /// The event's name.
        name: String,
    },
}

/// How a request failed to complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be made (refused, DNS, TLS handshake, connect timeout): the request
    /// certainly never reached the server.
    Connect,
    /// The request timeout elapsed after the request was sent.
    Timeout,
    /// The answer was larger than the client reads.
    TooLarge,
    /// The server answered with a success status — it **accepted** the request — but the rest
    /// of its answer was lost (connection cut, or the request timeout ran out while reading).
    /// A trigger, batch or termination took effect: it is never retried, and
    /// [`Error::is_retryable`] is `false`. A query is retried, having changed nothing.
    /// [`TransportError::status`] gives the status.
    AnswerLost,
    /// Anything else (connection reset, protocol error, body read error).
    Other,
}

/// The request did not complete. The source never carries the signed URL.
#[derive(Debug, thiserror::Error)]
#[error("{}", TransportText(self))]
pub struct TransportError {
    pub(crate) kind: TransportKind,
    /// The status line's code, when the failure came after it.
    pub(crate) status: Option<u16>,
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) message: String,
    pub(crate) elapsed: Duration,
    pub(crate) timed_out: bool,
    #[source]
    pub(crate) source: Option<crate::transport::BoxError>,
}

struct TransportText<'a>(&'a TransportError);

impl fmt::Display for TransportText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        let (method, path, message) = (e.method, &e.path, &e.message);
        match (e.kind, e.status) {
            (TransportKind::Connect, _) => {
                write!(f, "connecting for {method} {path} failed: {message}")
            }
            (TransportKind::Timeout, _) => write!(f, "timeout: {method} {path} failed: {message}"),
            (TransportKind::AnswerLost, Some(status)) if method == "GET" => write!(
                f,
                "{method} {path}: the answer (status {status}) was lost: {message}"
            ),
            (TransportKind::AnswerLost, Some(status)) => write!(
                f,
                "{method} {path} was accepted (status {status}) but the answer was lost: {message}; \
                 not retried, since the request took effect"
            ),
            _ => write!(f, "request {method} {path} failed: {message}"),
        }
    }
}

impl TransportError {
    /// What kind of failure this was.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }

    /// The request path (without the signed query).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The status the server answered with, when the failure came after the status line
    /// (always so for [`TransportKind::AnswerLost`]).
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// `true` if the server answered with a success status before the failure: the request
    /// was accepted and took effect (see [`TransportKind::AnswerLost`]).
    pub fn was_accepted(&self) -> bool {
        self.kind == TransportKind::AnswerLost
    }

    /// How long the attempt ran before failing.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// The API answered with a non-success status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) path: String,
    pub(crate) retry_after: Option<Duration>,
}

impl ApiError {
    /// The HTTP status code (400, 401, 403, 404, 413, 429, 5xx…).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The text the API answered with (capped in size).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The request path (without the signed query).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The server's `Retry-After` (sent as seconds or as an HTTP date), when it sent one with a
    /// 429 or 503: how long it asked the client to wait, from when the answer arrived.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meaning = match self.status {
            400 => "bad request",
            401 => "authentication failed (check key, secret and clock)",
            403 => "forbidden (app disabled or over quota)",
            404 => "not found (check app id and host)",
            413 => "payload too large",
            429 => "rate limited",
            500..=599 => "server error",
            _ => "unexpected status",
        };
        let body = self.body.trim();
        if body.is_empty() {
            write!(
                f,
                "API answered {} {} for {}",
                self.status, meaning, self.path
            )
        } else {
            write!(
                f,
                "API answered {} {} for {}: {}",
                self.status, meaning, self.path, body
            )
        }
    }
}

/// Encryption or decryption failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The ciphertext did not authenticate under the channel's key (wrong key, wrong channel or
    /// tampered data).
    #[error("decryption failed: the data does not authenticate under this channel's key")]
    Decrypt,
    /// The encrypted payload was not `{"nonce":"<base64>","ciphertext":"<base64>"}`.
    #[error("encrypted payload is malformed: {0}")]
    Malformed(String),
    /// Decryption needs a master key, and none is configured.
    #[error("no encryption master key is configured")]
    NoMasterKey,
    /// The operating system's random source failed.
    #[error("the random number source failed")]
    Random,
}
