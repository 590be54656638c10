//! The pusher-js authorization endpoints, free of any web framework.
//!
//! `pusher-axum` and `pusher-actix` mount these as routes; anything else (hyper, warp, a
//! serverless function) can too. An endpoint is three steps:
//!
//! 1. parse the body pusher-js sent ([`ChannelAuthBody::parse`], [`UserAuthRequest::parse`]);
//!    a malformed body is a ready 400 [`AuthReply`];
//! 2. check each request ([`AuthEndpoint::check_channel`]) — so your code never sees a forged
//!    socket id or a public channel — and ask your code for a [`ChannelGrant`] / [`UserGrant`];
//! 3. turn the grant into the answer ([`AuthEndpoint::channel_reply`],
//!    [`AuthEndpoint::user_reply`], [`AuthEndpoint::batch_reply`]).
//!
//! [`AuthEndpoint::channel`] and [`AuthEndpoint::user`] do all three: they are the one entry
//! point per route that both adapters drive.
//!
//! Statuses: 200 with what pusher-js expects; 400 for malformed input; 403 for a denial; 500 when
//! the grant does not fit the channel (e.g. no member for a presence channel) or the server is
//! misconfigured (no master key for an encrypted channel). Every non-200 body is a small JSON
//! object `{"error":"..."}` that never contains a secret. A 500's body is always
//! `{"error":"internal error"}`: the browser learns nothing about the server's configuration,
//! and the detail goes to the log as an `error` event (`tracing`).
//!
//! Bodies are parsed without building a tree of every JSON value first, and a batch stops being
//! read past [`MAX_BATCH_AUTH_CHANNELS`]: parsing costs at most a small constant factor of the
//! body's size, whatever it holds. Cap the body's size in your server (the adapters use the
//! framework's body limit).

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::auth::{ChannelAuth, ChannelAuthRequest, PresenceMember, UserAuthRequest, UserData};
use crate::channel::{self, ChannelKind};
use crate::client::Pusher;
use crate::error::{Error, ValidationError};

/// The most channels one batched authorization request may name.
pub const MAX_BATCH_AUTH_CHANNELS: usize = 100;

/// The body of every 500 answer: the detail is logged, not sent.
const INTERNAL_ERROR_BODY: &str = r#"{"error":"internal error"}"#;

/// Your decision on one channel subscription.
///
/// ```
/// use pusher_client::{ChannelGrant, PresenceMember};
///
/// let private = ChannelGrant::Allow;
/// let presence = ChannelGrant::Presence(PresenceMember::new("ada"));
/// let no = ChannelGrant::Deny;
/// ```
#[derive(Debug, Clone)]
pub enum ChannelGrant {
    /// Allow a `private-` or `private-encrypted-` subscription.
    Allow,
    /// Allow a `presence-` subscription as this member.
    Presence(PresenceMember),
    /// Refuse it (403).
    Deny,
}

/// Your decision on a user sign-in.
///
/// ```
/// use pusher_client::{UserData, UserGrant};
///
/// let yes = UserGrant::Allow(UserData::new("ada"));
/// let no = UserGrant::Deny;
/// ```
#[derive(Debug, Clone)]
pub enum UserGrant {
    /// Sign the connection in as this user.
    Allow(UserData),
    /// Refuse it (403).
    Deny,
}

/// A ready answer for an authorization endpoint: a status and a JSON body.
///
/// ```
/// use pusher_client::{AuthEndpoint, ChannelAuthRequest, ChannelGrant, Pusher};
///
/// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
/// let request = ChannelAuthRequest::new("1234.1234", "private-orders");
/// let reply = endpoint.channel_reply(&request, ChannelGrant::Deny);
/// assert_eq!(reply.status(), 403);
/// assert_eq!(reply.body(), r#"{"error":"forbidden"}"#);
/// # Ok::<(), pusher_client::Error>(())
/// ```
///
/// `Debug` shows an error body but not a success's: that holds signatures and an encrypted
/// channel's `shared_secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthReply {
    status: u16,
    body: String,
}

impl fmt::Debug for AuthReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("AuthReply");
        out.field("status", &self.status);
        if (200..300).contains(&self.status) {
            out.field(
                "body",
                &format_args!("<redacted, {} bytes>", self.body.len()),
            );
        } else {
            out.field("body", &self.body);
        }
        out.finish()
    }
}

impl AuthReply {
    /// A 200 answer with this JSON body.
    fn ok(body: String) -> Self {
        AuthReply { status: 200, body }
    }

    /// An error answer: `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Self {
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
        }
        // Straight from a struct: no intermediate `serde_json::Value` map.
        let body = serde_json::to_string(&ErrorBody { error: message })
            .unwrap_or_else(|_| unreachable!("a string field always serialises"));
        AuthReply { status, body }
    }

    /// The 400 answer to a request refused by [`AuthEndpoint::check_channel`] or
    /// [`AuthEndpoint::check_user`].
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, AuthReply, ChannelAuthRequest, Pusher};
    ///
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// let error = endpoint.check_channel(&ChannelAuthRequest::new("x", "private-a")).unwrap_err();
    /// assert_eq!(AuthReply::invalid(&error).status(), 400);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn invalid(error: &ValidationError) -> Self {
        AuthReply::error(400, &error.to_string())
    }

    /// The 403 answer to a denial.
    pub fn forbidden() -> Self {
        AuthReply::error(403, "forbidden")
    }

    /// The 500 answer when the server is at fault (a grant that does not fit the channel, no
    /// master key for an encrypted channel): `{"error":"internal error"}`, always the same, so
    /// the browser learns nothing about the server's configuration. Log the detail instead, as
    /// the endpoints here do (at `error`).
    ///
    /// ```
    /// use pusher_client::AuthReply;
    ///
    /// let reply = AuthReply::internal_error();
    /// assert_eq!(reply.status(), 500);
    /// assert_eq!(reply.body(), r#"{"error":"internal error"}"#);
    /// ```
    pub fn internal_error() -> Self {
        AuthReply {
            status: 500,
            body: INTERNAL_ERROR_BODY.to_owned(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The JSON body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The JSON body, owned.
    pub fn into_body(self) -> String {
        self.body
    }

    /// The `Content-Type` of every reply.
    pub const CONTENT_TYPE: &'static str = "application/json";
}

/// Answers the framework adapters share, so that they answer alike.
impl AuthReply {
    /// The `Content-Type` header of an authorization request, from its raw bytes, as the text
    /// [`ChannelAuthBody::parse`] and [`UserAuthRequest::parse`] take: `Ok(None)` when there is
    /// none, the text when it is visible ASCII (tabs allowed), and otherwise the 400 reply
    /// `{"error":"the Content-Type header is invalid: it is not visible ASCII text"}`.
    ///
    /// Refused rather than read lossily: pusher-js always sends an ASCII `Content-Type`, and a
    /// value with other bytes (HTTP's obsolete `obs-text`) names no type or charset this code
    /// knows; decoding it with replacement characters would make different headers look alike
    /// and sign a body whose encoding was never understood. Adapters pass the raw header bytes
    /// here so that every framework gives the same answer.
    ///
    /// ```
    /// use pusher_client::AuthReply;
    ///
    /// assert_eq!(AuthReply::check_content_type(None), Ok(None));
    /// assert_eq!(
    ///     AuthReply::check_content_type(Some(b"application/json; charset=UTF-8")),
    ///     Ok(Some("application/json; charset=UTF-8")),
    /// );
    /// let refused = AuthReply::check_content_type(Some(b"application/json; charset=\xe9")).unwrap_err();
    /// assert_eq!(refused.status(), 400);
    /// assert!(refused.body().contains("Content-Type header is invalid"));
    /// ```
    pub fn check_content_type(raw: Option<&[u8]>) -> Result<Option<&str>, AuthReply> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let visible = raw.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
        match std::str::from_utf8(raw) {
            Ok(text) if visible => Ok(Some(text)),
            _ => Err(AuthReply::error(
                400,
                "the Content-Type header is invalid: it is not visible ASCII text",
            )),
        }
    }

    /// The 413 answer to a request body over the server's limit (announced by its
    /// `Content-Length` or found while reading it).
    ///
    /// ```
    /// let reply = pusher_client::AuthReply::payload_too_large();
    /// assert_eq!(reply.status(), 413);
    /// assert_eq!(reply.body(), r#"{"error":"the request body is larger than this server accepts"}"#);
    /// ```
    pub fn payload_too_large() -> Self {
        AuthReply::error(413, "the request body is larger than this server accepts")
    }

    /// The 400 answer to a request body that could not be read (e.g. the connection failed
    /// half-way).
    ///
    /// ```
    /// assert_eq!(pusher_client::AuthReply::unreadable_body().status(), 400);
    /// ```
    pub fn unreadable_body() -> Self {
        AuthReply::error(400, "the request body could not be read")
    }
}

/// What pusher-js posted to the channel authorization endpoint: one channel, or several when
/// the pusher-js-auth batching plugin is used (`channel_name[0]`, `channel_name[1]`, …).
///
/// ```
/// use pusher_client::ChannelAuthBody;
///
/// let one = ChannelAuthBody::parse(
///     Some("application/x-www-form-urlencoded"),
///     b"socket_id=1.2&channel_name=private-a&extra=ignored",
/// ).map_err(|r| r.into_body())?;
/// assert!(!one.batch);
/// assert_eq!(one.channel_names, ["private-a"]);
///
/// let many = ChannelAuthBody::parse(
///     None,
///     b"socket_id=1.2&channel_name%5B0%5D=private-a&channel_name%5B1%5D=presence-b",
/// ).map_err(|r| r.into_body())?;
/// assert!(many.batch);
/// assert_eq!(many.channel_names, ["private-a", "presence-b"]);
///
/// let json = ChannelAuthBody::parse(
///     Some("application/json"),
///     br#"{"socket_id":"1.2","channel_name":"private-a"}"#,
/// ).map_err(|r| r.into_body())?;
/// assert_eq!(json.requests()[0].channel_name, "private-a");
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelAuthBody {
    /// The connection's socket id (not yet validated).
    pub socket_id: String,
    /// The channels asked for, in order (not yet validated).
    pub channel_names: Vec<String>,
    /// `true` when the batch format was used: answer with [`AuthEndpoint::batch_reply`].
    pub batch: bool,
}

impl ChannelAuthBody {
    /// Parses a form-urlencoded (pusher-js's default; also assumed when there is no content
    /// type) or JSON body. Unknown fields are ignored. Errors are ready 400 replies, also for
    /// a batch that names the same channel twice (its answer has one entry per channel, so
    /// one of the two would be dropped) and for a batch of more than
    /// [`MAX_BATCH_AUTH_CHANNELS`] (refused at the first name too many, the rest unread).
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, AuthReply> {
        let parsed = match body_kind(content_type)? {
            BodyKind::Json => parse_channel_json(body),
            BodyKind::Form => parse_channel_form(body),
        }?;
        check_no_repeated_channel(&parsed.channel_names)?;
        Ok(parsed)
    }

    /// One [`ChannelAuthRequest`] per channel, in order.
    pub fn requests(&self) -> Vec<ChannelAuthRequest> {
        self.channel_names
            .iter()
            .map(|channel| ChannelAuthRequest::new(self.socket_id.clone(), channel.clone()))
            .collect()
    }

    /// The requests, moving the strings (the socket id is copied for all but the last).
    fn into_requests(self) -> impl Iterator<Item = ChannelAuthRequest> {
        let ChannelAuthBody {
            mut socket_id,
            channel_names,
            ..
        } = self;
        let last = channel_names.len().saturating_sub(1);
        channel_names
            .into_iter()
            .enumerate()
            .map(move |(i, channel_name)| {
                let socket_id = if i == last {
                    std::mem::take(&mut socket_id)
                } else {
                    socket_id.clone()
                };
                ChannelAuthRequest {
                    socket_id,
                    channel_name,
                }
            })
    }
}

impl UserAuthRequest {
    /// Parses pusher-js's user authentication body (form-urlencoded or JSON; unknown fields
    /// ignored). Errors are ready 400 replies.
    ///
    /// ```
    /// use pusher_client::UserAuthRequest;
    ///
    /// let request = UserAuthRequest::parse(None, b"socket_id=1234.1234&x=1")
    ///     .map_err(|r| r.into_body())?;
    /// assert_eq!(request.socket_id, "1234.1234");
    /// assert_eq!(UserAuthRequest::parse(None, b"nothing=here").unwrap_err().status(), 400);
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, AuthReply> {
        let socket_id = match body_kind(content_type)? {
            BodyKind::Json => parse_json_fields(body, false)?
                .socket_id
                .into_string("socket_id")?,
            BodyKind::Form => {
                let mut socket_id = None;
                for (key, value) in form_pairs(body) {
                    if key == "socket_id" {
                        set_once(&mut socket_id, value.into_owned(), "socket_id")?;
                    }
                }
                socket_id.ok_or_else(|| missing("socket_id"))?
            }
        };
        Ok(UserAuthRequest::new(socket_id))
    }
}

/// Where pusher-js posts channel authorization requests unless told otherwise (its default
/// `channelAuthorization.endpoint`), and where the adapters mount that route by default.
///
/// ```
/// assert_eq!(pusher_client::DEFAULT_CHANNEL_AUTH_PATH, "/pusher/auth");
/// ```
pub const DEFAULT_CHANNEL_AUTH_PATH: &str = "/pusher/auth";

/// Where pusher-js posts user authentication requests unless told otherwise (its default
/// `userAuthentication.endpoint`), and where the adapters mount that route by default.
///
/// ```
/// assert_eq!(pusher_client::DEFAULT_USER_AUTH_PATH, "/pusher/user-auth");
/// ```
pub const DEFAULT_USER_AUTH_PATH: &str = "/pusher/user-auth";

/// The pusher-js authorization endpoints, free of any web framework: what `pusher-axum` and
/// `pusher-actix` mount, each through the same two entry points
/// ([`channel`](Self::channel) and [`user`](Self::user)).
///
/// Built from a [`Pusher`] (a cheap clone: the client is shared). Besides the two entry
/// points, the steps they are made of are public, for servers that need them one by one:
/// [`check_channel`](Self::check_channel) / [`check_user`](Self::check_user) and
/// [`channel_reply`](Self::channel_reply) / [`batch_reply`](Self::batch_reply) /
/// [`user_reply`](Self::user_reply).
///
/// # When your code runs
///
/// The rule both adapters follow: the entry point reads the content type and the body, checks
/// every request, and only then asks your code — and only for well-formed requests (a
/// well-formed socket id and a valid, non-public channel name). A request with nothing to
/// decide is answered without calling your code at all. For channels, your code is asked in
/// two steps: `begin` once per HTTP request, just before the first decision (the place for
/// per-request work such as reading the caller's session), then the decider it returns once
/// per well-formed channel, in order.
///
/// ```
/// use std::convert::Infallible;
///
/// use pusher_client::{AuthEndpoint, ChannelAuthRequest, ChannelGrant, Pusher};
///
/// # async fn run() -> Result<(), pusher_client::Error> {
/// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
/// let reply = endpoint
///     .channel(None, b"socket_id=1.2&channel_name=private-a", || async {
///         // Once per request: e.g. who is calling.
///         let user = "ada";
///         Ok::<_, Infallible>(move |request: ChannelAuthRequest| async move {
///             Ok(if request.channel_name.ends_with('a') && user == "ada" {
///                 ChannelGrant::Allow
///             } else {
///                 ChannelGrant::Deny
///             })
///         })
///     })
///     .await
///     .unwrap_or_else(|never| match never {});
/// assert_eq!(reply.status(), 200);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AuthEndpoint {
    pusher: Pusher,
}

impl From<Pusher> for AuthEndpoint {
    fn from(pusher: Pusher) -> Self {
        AuthEndpoint::new(pusher)
    }
}

impl AuthEndpoint {
    /// The endpoints, signing with this client.
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, Pusher};
    ///
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let endpoint = AuthEndpoint::new(pusher.clone());
    /// assert_eq!(endpoint.pusher().key(), "key");
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn new(pusher: Pusher) -> Self {
        AuthEndpoint { pusher }
    }

    /// The client the endpoints sign with.
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, Pusher};
    ///
    /// let endpoint = AuthEndpoint::from(Pusher::builder("1", "key", "secret").build()?);
    /// assert_eq!(endpoint.pusher().app_id(), "1");
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn pusher(&self) -> &Pusher {
        &self.pusher
    }

    /// Checks what the browser sent before your code decides: a well-formed socket id, a valid
    /// channel name, and a channel that needs authorization at all (not public).
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, ChannelAuthRequest, Pusher};
    ///
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// assert!(endpoint.check_channel(&ChannelAuthRequest::new("1.2", "private-a")).is_ok());
    /// assert!(endpoint.check_channel(&ChannelAuthRequest::new("1.2:x", "private-a")).is_err());
    /// assert!(endpoint.check_channel(&ChannelAuthRequest::new("1.2", "public")).is_err());
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn check_channel(&self, request: &ChannelAuthRequest) -> Result<(), ValidationError> {
        channel::check_socket_id(&request.socket_id)?;
        self.check_channel_name(&request.channel_name)
    }

    /// A valid channel name that needs authorization (not public).
    fn check_channel_name(&self, name: &str) -> Result<(), ValidationError> {
        channel::check_channel(name, self.pusher.inner.limits.max_channel_name_len)?;
        if ChannelKind::of(name) == ChannelKind::Public {
            return Err(ValidationError::PublicChannel {
                channel: channel::truncate_for_message(name),
            });
        }
        Ok(())
    }

    /// Checks a user authentication request before your code decides: a well-formed socket id.
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, Pusher, UserAuthRequest};
    ///
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// assert!(endpoint.check_user(&UserAuthRequest::new("1.2")).is_ok());
    /// assert!(endpoint.check_user(&UserAuthRequest::new("1.2::user::x")).is_err());
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn check_user(&self, request: &UserAuthRequest) -> Result<(), ValidationError> {
        channel::check_socket_id(&request.socket_id)
    }

    /// The answer to one channel authorization request, given your grant.
    ///
    /// 400 if the request is malformed, 403 on [`ChannelGrant::Deny`], 500 if the grant does not
    /// fit the channel (presence without a member, a member for a private channel) or an
    /// encrypted channel is asked for without a configured master key
    /// ([`AuthReply::internal_error`], the detail logged at `error`); otherwise 200 with
    /// [`ChannelAuth`]'s JSON.
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher};
    ///
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// let request = ChannelAuthRequest::new("1234.1234", "presence-room");
    /// let reply = endpoint.channel_reply(&request, ChannelGrant::Presence(PresenceMember::new("ada")));
    /// assert_eq!(reply.status(), 200);
    /// assert!(reply.body().contains(r#""channel_data":"{\"user_id\":\"ada\"}""#));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn channel_reply(&self, request: &ChannelAuthRequest, grant: ChannelGrant) -> AuthReply {
        match self.channel_auth_result(request, grant) {
            Ok(auth) => AuthReply::ok(auth.to_json()),
            Err(reply) => reply,
        }
    }

    /// The answer to a batched authorization request (pusher-js-auth plugin format): always 200,
    /// with one entry per channel — `{"status":200,"data":{..}}` when granted, `{"status":403}`
    /// when denied, `{"status":400}` / `{"status":500}` when refused.
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, ChannelAuthRequest, ChannelGrant, Pusher};
    ///
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// let reply = endpoint.batch_reply([
    ///     (ChannelAuthRequest::new("1.2", "private-a"), ChannelGrant::Allow),
    ///     (ChannelAuthRequest::new("1.2", "private-b"), ChannelGrant::Deny),
    /// ]);
    /// let body: serde_json::Value = serde_json::from_str(reply.body()).unwrap();
    /// assert_eq!(body["private-a"]["status"], 200);
    /// assert!(body["private-a"]["data"]["auth"].is_string());
    /// assert_eq!(body["private-b"], serde_json::json!({"status": 403}));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn batch_reply(
        &self,
        decisions: impl IntoIterator<Item = (ChannelAuthRequest, ChannelGrant)>,
    ) -> AuthReply {
        let mut entries = BTreeMap::new();
        for (request, grant) in decisions {
            let entry = match self.channel_auth_result(&request, grant) {
                Ok(auth) => BatchEntry {
                    status: 200,
                    data: Some(auth),
                },
                Err(reply) => BatchEntry {
                    status: reply.status,
                    data: None,
                },
            };
            entries.insert(request.channel_name, entry);
        }
        match serde_json::to_string(&entries) {
            Ok(body) => AuthReply::ok(body),
            Err(e) => {
                tracing::error!(error = %e, "pusher batch authorization could not be serialised");
                AuthReply::internal_error()
            }
        }
    }

    /// The answer to a user authentication request, given your grant: 400 if malformed (bad
    /// socket id) or if the granted user id cannot be reached (a character outside
    /// `A-Z a-z 0-9 _ - = @ , . ;` or too long for its `#server-to-user-{id}` channel: see
    /// [`UserId`](crate::UserId)), 403 on [`UserGrant::Deny`], 500 if the user data is otherwise
    /// invalid (e.g. an empty id; [`AuthReply::internal_error`], the detail logged at `error`),
    /// otherwise 200 with `{auth, user_data}`.
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, Pusher, UserAuthRequest, UserData, UserGrant};
    ///
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// let reply = endpoint.user_reply(&UserAuthRequest::new("1.2"), UserGrant::Allow(UserData::new("ada")));
    /// assert_eq!(reply.status(), 200);
    /// let reply = endpoint.user_reply(&UserAuthRequest::new("bad"), UserGrant::Allow(UserData::new("ada")));
    /// assert_eq!(reply.status(), 400);
    /// // "ada lovelace" has no #server-to-user- channel: a space is not a channel character.
    /// let reply = endpoint.user_reply(&UserAuthRequest::new("1.2"), UserGrant::Allow(UserData::new("ada lovelace")));
    /// assert_eq!(reply.status(), 400);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn user_reply(&self, request: &UserAuthRequest, grant: UserGrant) -> AuthReply {
        if let Err(e) = self.check_user(request) {
            return AuthReply::invalid(&e);
        }
        self.user_grant_reply(request, grant)
    }

    /// The answer to a checked request and its grant.
    fn user_grant_reply(&self, request: &UserAuthRequest, grant: UserGrant) -> AuthReply {
        match grant {
            UserGrant::Deny => AuthReply::forbidden(),
            UserGrant::Allow(user) => match self.pusher.authenticate_user(request, &user) {
                Ok(answer) => AuthReply::ok(answer.to_json()),
                // An id whose #server-to-user- channel cannot exist usually came from the user
                // (a chosen name): they are told, as for any other malformed input.
                Err(Error::Validation(
                    e @ (ValidationError::UserIdInvalidChar { .. }
                    | ValidationError::UserIdTooLong { .. }),
                )) => AuthReply::invalid(&e),
                Err(e) => server_error(&e),
            },
        }
    }

    /// The whole channel authorization endpoint: the one entry point both adapters drive.
    ///
    /// `content_type` is the raw `Content-Type` header, if any
    /// ([`AuthReply::check_content_type`] refuses one that is not visible ASCII); `body` is the
    /// body pusher-js sent. The endpoint parses it ([`ChannelAuthBody::parse`]), checks every
    /// channel ([`check_channel`](Self::check_channel)) and, only if at least one is
    /// well-formed, calls `begin` — once, before the first decision — for the decider, which
    /// it then calls once per well-formed channel, in order. Malformed channels are answered
    /// 400 without asking; batched bodies get the batched answer
    /// ([`batch_reply`](Self::batch_reply)).
    ///
    /// An error from `begin` or from the decider stops the request and is returned as is, for
    /// the caller to turn into a response (later channels are not decided).
    ///
    /// ```
    /// use std::convert::Infallible;
    ///
    /// use pusher_client::{AuthEndpoint, ChannelAuthRequest, ChannelGrant, Pusher};
    ///
    /// # async fn run() -> Result<(), pusher_client::Error> {
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// let begun = std::cell::Cell::new(0);
    /// let body = b"socket_id=1.2&channel_name%5B0%5D=private-a&channel_name%5B1%5D=public";
    /// let reply = endpoint
    ///     .channel(Some(b"application/x-www-form-urlencoded"), body, || {
    ///         begun.set(begun.get() + 1);
    ///         async {
    ///             Ok::<_, Infallible>(|_request: ChannelAuthRequest| async {
    ///                 Ok(ChannelGrant::Allow)
    ///             })
    ///         }
    ///     })
    ///     .await
    ///     .unwrap_or_else(|never| match never {});
    /// let answer: serde_json::Value = serde_json::from_str(reply.body()).unwrap();
    /// assert_eq!(answer["private-a"]["status"], 200);
    /// assert_eq!(answer["public"]["status"], 400); // never decided
    /// assert_eq!(begun.get(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn channel<B, BFut, D, Fut, E>(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
        begin: B,
    ) -> Result<AuthReply, E>
    where
        B: FnOnce() -> BFut,
        BFut: Future<Output = Result<D, E>>,
        D: FnMut(ChannelAuthRequest) -> Fut,
        Fut: Future<Output = Result<ChannelGrant, E>>,
    {
        let parsed = match AuthReply::check_content_type(content_type)
            .and_then(|content_type| ChannelAuthBody::parse(content_type, body))
        {
            Ok(parsed) => parsed,
            Err(reply) => return Ok(reply),
        };
        if !parsed.batch {
            // pusher-js's usual request, answered without collecting decisions.
            let Some(request) = parsed.into_requests().next() else {
                return Ok(missing("channel_name"));
            };
            if let Err(e) = self.check_channel(&request) {
                return Ok(AuthReply::invalid(&e));
            }
            let mut decide = begin().await?;
            let grant = decide(request.clone()).await?;
            // Checked above: straight to signing.
            return Ok(match self.channel_auth_granted(&request, grant) {
                Ok(auth) => AuthReply::ok(auth.to_json()),
                Err(reply) => reply,
            });
        }
        let mut begin = Some(begin);
        let mut decider = None;
        let mut decisions = Vec::with_capacity(parsed.channel_names.len());
        for request in parsed.into_requests() {
            let grant = match self.check_channel(&request) {
                Ok(()) => {
                    if let Some(begin) = begin.take() {
                        decider = Some(begin().await?);
                    }
                    match decider.as_mut() {
                        Some(decide) => decide(request.clone()).await?,
                        // Not reached: `begin` ran just above, or on an earlier channel.
                        None => ChannelGrant::Deny,
                    }
                }
                // The batch reply checks each request again and answers this one 400; the
                // grant is never looked at.
                Err(_) => ChannelGrant::Deny,
            };
            decisions.push((request, grant));
        }
        Ok(self.batch_reply(decisions))
    }

    /// The whole user authentication endpoint: the one entry point both adapters drive.
    ///
    /// Checks the raw `content_type` ([`AuthReply::check_content_type`]), parses the body
    /// ([`UserAuthRequest::parse`]), checks the socket id and, only for a well-formed request,
    /// calls `decide` once; then builds the answer ([`user_reply`](Self::user_reply)).
    /// `decide`'s own error is returned as is.
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, Pusher, UserData, UserGrant};
    ///
    /// # async fn run() -> Result<(), pusher_client::Error> {
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// let reply = endpoint
    ///     .user(None, b"socket_id=1.2", |_request| async {
    ///         Ok::<_, std::convert::Infallible>(UserGrant::Allow(UserData::new("ada")))
    ///     })
    ///     .await
    ///     .unwrap_or_else(|never| match never {});
    /// assert_eq!(reply.status(), 200);
    /// # Ok(()) }
    /// ```
    pub async fn user<F, Fut, E>(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
        decide: F,
    ) -> Result<AuthReply, E>
    where
        F: FnOnce(UserAuthRequest) -> Fut,
        Fut: Future<Output = Result<UserGrant, E>>,
    {
        let request = match AuthReply::check_content_type(content_type)
            .and_then(|content_type| UserAuthRequest::parse(content_type, body))
        {
            Ok(request) => request,
            Err(reply) => return Ok(reply),
        };
        if let Err(e) = self.check_user(&request) {
            return Ok(AuthReply::invalid(&e));
        }
        let grant = decide(request.clone()).await?;
        // Checked above: straight to the answer (`authenticate_user` validates what it signs).
        Ok(self.user_grant_reply(&request, grant))
    }

    fn channel_auth_result(
        &self,
        request: &ChannelAuthRequest,
        grant: ChannelGrant,
    ) -> Result<ChannelAuth, AuthReply> {
        self.check_channel(request)
            .map_err(|e| AuthReply::invalid(&e))?;
        self.channel_auth_granted(request, grant)
    }

    /// [`channel_auth_result`](Self::channel_auth_result) for a request already checked.
    fn channel_auth_granted(
        &self,
        request: &ChannelAuthRequest,
        grant: ChannelGrant,
    ) -> Result<ChannelAuth, AuthReply> {
        let member = match grant {
            ChannelGrant::Deny => return Err(AuthReply::forbidden()),
            ChannelGrant::Allow => None,
            ChannelGrant::Presence(member) => Some(member),
        };
        self.pusher
            .authorize_checked_channel(request, member.as_ref())
            .map_err(|e| server_error(&e))
    }
}

/// A grant that does not fit, or missing configuration: the app's fault, not the browser's.
/// The browser learns nothing about the server's configuration; the log has the detail (never
/// a secret: no error's text holds one).
fn server_error(e: &Error) -> AuthReply {
    tracing::error!(error = %e, "pusher authorization could not be signed");
    AuthReply::internal_error()
}

#[derive(Serialize)]
struct BatchEntry {
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<ChannelAuth>,
}

enum BodyKind {
    Form,
    Json,
}

fn body_kind(content_type: Option<&str>) -> Result<BodyKind, AuthReply> {
    let Some(content_type) = content_type else {
        return Ok(BodyKind::Form);
    };
    // Up to the first `;` (found as a byte: `;` is ASCII, so this is a character boundary).
    let essence = match content_type.bytes().position(|b| b == b';') {
        Some(at) => &content_type[..at],
        None => content_type,
    }
    .trim();
    // Compared without folding into a new string: no allocation per request.
    if essence.is_empty() || essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(BodyKind::Form)
    } else if essence.eq_ignore_ascii_case("application/json") {
        Ok(BodyKind::Json)
    } else {
        Err(AuthReply::error(
            400,
            "expected an application/x-www-form-urlencoded or application/json body",
        ))
    }
}

/// The `name=value` pairs of a form-urlencoded body, decoded as `application/x-www-form-urlencoded`
/// says (`+` is a space, `%XX` a byte, invalid UTF-8 replaced by U+FFFD; empty pairs skipped; a
/// pair without `=` has an empty value).
///
/// pusher-js's fields need no decoding, so they are borrowed from the body as they are: no
/// copy unless a `+` or `%` is present, and the body is checked as UTF-8 once, not field by
/// field.
fn form_pairs(body: &[u8]) -> FormPairs<'_> {
    FormPairs {
        body,
        text: std::str::from_utf8(body).ok(),
        at: 0,
    }
}

/// The iterator of [`form_pairs`]: the next pair starts at `at`.
struct FormPairs<'a> {
    body: &'a [u8],
    /// The body, when it is valid UTF-8 (then every field is: `&` and `=` are ASCII).
    text: Option<&'a str>,
    at: usize,
}

impl<'a> Iterator for FormPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.at < self.body.len() {
            let start = self.at;
            let rest = &self.body[start..];
            let end = start + rest.iter().position(|&b| b == b'&').unwrap_or(rest.len());
            self.at = end + 1;
            if end == start {
                continue;
            }
            let pair = &self.body[start..end];
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (start..start + eq, start + eq + 1..end),
                None => (start..end, end..end),
            };
            return Some((self.decode(key), self.decode(value)));
        }
        None
    }
}

impl<'a> FormPairs<'a> {
    fn decode(&self, range: std::ops::Range<usize>) -> Cow<'a, str> {
        let raw = &self.body[range.clone()];
        if raw.iter().any(|&b| b == b'+' || b == b'%') {
            return form_decode(raw);
        }
        match self.text.and_then(|text| text.get(range)) {
            Some(text) => Cow::Borrowed(text),
            None => form_decode(raw),
        }
    }
}

/// One form field decoded: `+` as a space, `%XX` as a byte, then UTF-8 (lossily).
fn form_decode(raw: &[u8]) -> Cow<'_, str> {
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        // `from_utf8` first: the lossy scan is several times slower on valid text.
        return match std::str::from_utf8(raw) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(raw),
        };
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    Cow::Owned(String::from_utf8_lossy(&decoded).into_owned())
}

fn missing(field: &str) -> AuthReply {
    AuthReply::error(400, &format!("the body has no {field}"))
}

fn set_once(slot: &mut Option<String>, value: String, field: &str) -> Result<(), AuthReply> {
    if slot.replace(value).is_some() {
        return Err(AuthReply::error(400, &format!("{field} is given twice")));
    }
    Ok(())
}

fn too_many_channels() -> AuthReply {
    AuthReply::error(
        400,
        &format!("at most {MAX_BATCH_AUTH_CHANNELS} channels may be authorized at once"),
    )
}

/// At most [`MAX_BATCH_AUTH_CHANNELS`] names, so comparing each with the ones before it
/// costs less than hashing them.
fn check_no_repeated_channel(names: &[String]) -> Result<(), AuthReply> {
    for (i, name) in names.iter().enumerate().skip(1) {
        if names[..i].contains(name) {
            return Err(AuthReply::error(
                400,
                &format!(
                    "channel {:?} is asked for twice",
                    crate::channel::truncate_for_message(name)
                ),
            ));
        }
    }
    Ok(())
}

fn parse_channel_form(body: &[u8]) -> Result<ChannelAuthBody, AuthReply> {
    let mut socket_id = None;
    let mut single = None;
    let mut indexed: BTreeMap<usize, String> = BTreeMap::new();
    for (key, value) in form_pairs(body) {
        if key == "socket_id" {
            set_once(&mut socket_id, value.into_owned(), "socket_id")?;
        } else if key == "channel_name" {
            set_once(&mut single, value.into_owned(), "channel_name")?;
        } else if let Some(index) = key
            .strip_prefix("channel_name[")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            let index: usize = index
                .parse()
                .map_err(|_| AuthReply::error(400, "channel_name[..] needs a numeric index"))?;
            if index >= MAX_BATCH_AUTH_CHANNELS {
                // Compared, never incremented: `channel_name[18446744073709551615]` is refused
                // without an overflow.
                return Err(too_many_channels());
            }
            if indexed.insert(index, value.into_owned()).is_some() {
                return Err(AuthReply::error(
                    400,
                    &format!("channel_name[{index}] is given twice"),
                ));
            }
        }
    }
    let socket_id = socket_id.ok_or_else(|| missing("socket_id"))?;
    match (single, indexed.is_empty()) {
        (Some(channel), true) => Ok(ChannelAuthBody {
            socket_id,
            channel_names: vec![channel],
            batch: false,
        }),
        (None, false) => Ok(ChannelAuthBody {
            socket_id,
            channel_names: indexed.into_values().collect(),
            batch: true,
        }),
        (None, true) => Err(missing("channel_name")),
        (Some(_), false) => Err(AuthReply::error(
            400,
            "give either channel_name or channel_name[n], not both",
        )),
    }
}

fn parse_channel_json(body: &[u8]) -> Result<ChannelAuthBody, AuthReply> {
    let fields = parse_json_fields(body, true)?;
    // The socket id is answered for first, as for a form body.
    let socket_id = fields.socket_id.into_string("socket_id")?;
    match fields.channel_name {
        ChannelNameField::One(name) => Ok(ChannelAuthBody {
            socket_id,
            channel_names: vec![name.into_string("channel_name")?],
            batch: false,
        }),
        ChannelNameField::Batch(names) => {
            let channel_names = names?;
            if channel_names.is_empty() {
                return Err(missing("channel_name"));
            }
            Ok(ChannelAuthBody {
                socket_id,
                channel_names,
                batch: true,
            })
        }
    }
}

// JSON bodies are read straight into the fields the endpoints need, never into a
// `serde_json::Value` tree first: a tree costs up to 17 times the body (32 bytes per `0` in
// `[0,0,..]`), so a hostile 2 MiB body would cost 34 MiB. A value of the wrong type is checked
// (as strictly as `Value` would check it) and dropped without being built, and a batch stops
// being read at its limit. Peak memory stays within the body's size plus the names kept.

/// The fields of a JSON body. The answers are decided after the whole body parsed, in the same
/// order as for a form body (socket id first).
struct JsonFields {
    socket_id: JsonText,
    /// `One(Missing)` when absent; always so for a user authentication body.
    channel_name: ChannelNameField,
}

/// Parses a JSON object's `socket_id` and, for a channel body (`channel`), its `channel_name`;
/// other fields are skipped unchecked. Malformed JSON, anything but an object and a field
/// given twice are "not a JSON object"; a batch past [`MAX_BATCH_AUTH_CHANNELS`] is refused as
/// soon as its next name starts, without reading further.
fn parse_json_fields(body: &[u8], channel: bool) -> Result<JsonFields, AuthReply> {
    let too_many = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = de
        .deserialize_map(FieldsVisitor {
            channel,
            too_many: &too_many,
        })
        .and_then(|fields| de.end().map(|()| fields));
    parsed.map_err(|_| {
        if too_many.get() {
            too_many_channels()
        } else {
            AuthReply::error(400, "the body is not a JSON object")
        }
    })
}

/// A JSON value where a string is expected.
enum JsonText {
    /// Absent, or `null`.
    Missing,
    Text(String),
    /// Any other type: checked, then dropped without being built.
    WrongType,
}

impl JsonText {
    fn into_string(self, field: &str) -> Result<String, AuthReply> {
        match self {
            JsonText::Text(text) => Ok(text),
            JsonText::Missing => Err(missing(field)),
            JsonText::WrongType => Err(AuthReply::error(400, &format!("{field} must be a string"))),
        }
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = JsonText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonText, E> {
        Ok(JsonText::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<JsonText, E> {
        Ok(JsonText::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<JsonText, E> {
        Ok(JsonText::Missing)
    }

    fn visit_none<E: de::Error>(self) -> Result<JsonText, E> {
        Ok(JsonText::Missing)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsonText, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<JsonText, E> {
        Ok(JsonText::WrongType)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<JsonText, E> {
        Ok(JsonText::WrongType)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<JsonText, E> {
        Ok(JsonText::WrongType)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<JsonText, E> {
        Ok(JsonText::WrongType)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<JsonText, E> {
        Ok(JsonText::WrongType)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<JsonText, E> {
        Ok(JsonText::WrongType)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<JsonText, A::Error> {
        CheckedVisitor.visit_seq(seq).map(|_| JsonText::WrongType)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<JsonText, A::Error> {
        CheckedVisitor.visit_map(map).map(|_| JsonText::WrongType)
    }
}

/// Any JSON value, checked as strictly as `serde_json::Value` checks it (numbers in range,
/// strings valid, nesting limited) but not built: refusing a wrong-typed field answers the
/// same as before, without the tree.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_none<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Checked, D::Error> {
        Checked::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// `channel_name`: one value, or a batch of them.
enum ChannelNameField {
    /// Anything but an array.
    One(JsonText),
    /// An array: its names, or the answer to its first item that is not a string.
    Batch(Result<Vec<String>, AuthReply>),
}

/// Reads `channel_name`; sets `too_many` when a batch goes past the limit (the parse then
/// fails at once).
struct ChannelNameVisitor<'a> {
    too_many: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for ChannelNameVisitor<'_> {
    type Value = ChannelNameField;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ChannelNameField, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChannelNameVisitor<'_> {
    type Value = ChannelNameField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a channel name or an array of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ChannelNameField, A::Error> {
        let mut names = Vec::new();
        let mut refused = None;
        for _ in 0..MAX_BATCH_AUTH_CHANNELS {
            let more = if refused.is_none() {
                match seq.next_element::<JsonText>()? {
                    None => false,
                    Some(JsonText::Text(name)) => {
                        names.push(name);
                        true
                    }
                    Some(other) => {
                        refused = other.into_string("channel_name").err();
                        true
                    }
                }
            } else {
                // Still counted, and checked as before, but no longer kept.
                seq.next_element::<Checked>()?.is_some()
            };
            if !more {
                break;
            }
        }
        // One more is one too many: refused before it is read.
        if let Some(never) = seq.next_element_seed(TooMany(self.too_many))? {
            match never {}
        }
        Ok(ChannelNameField::Batch(refused.map_or(Ok(names), Err)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ChannelNameField, E> {
        TextVisitor.visit_str(v).map(ChannelNameField::One)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<ChannelNameField, E> {
        TextVisitor.visit_string(v).map(ChannelNameField::One)
    }

    fn visit_unit<E: de::Error>(self) -> Result<ChannelNameField, E> {
        TextVisitor.visit_unit().map(ChannelNameField::One)
    }

    fn visit_none<E: de::Error>(self) -> Result<ChannelNameField, E> {
        TextVisitor.visit_none().map(ChannelNameField::One)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ChannelNameField, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ChannelNameField, E> {
        TextVisitor.visit_bool(v).map(ChannelNameField::One)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ChannelNameField, E> {
        TextVisitor.visit_i64(v).map(ChannelNameField::One)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ChannelNameField, E> {
        TextVisitor.visit_u64(v).map(ChannelNameField::One)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<ChannelNameField, E> {
        TextVisitor.visit_i128(v).map(ChannelNameField::One)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<ChannelNameField, E> {
        TextVisitor.visit_u128(v).map(ChannelNameField::One)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ChannelNameField, E> {
        TextVisitor.visit_f64(v).map(ChannelNameField::One)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ChannelNameField, A::Error> {
        TextVisitor.visit_map(map).map(ChannelNameField::One)
    }
}

/// The element past a batch's limit: flags it and fails without reading it.
struct TooMany<'a>(&'a Cell<bool>);

impl<'de> DeserializeSeed<'de> for TooMany<'_> {
    type Value = Infallible;

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Infallible, D::Error> {
        self.0.set(true);
        Err(de::Error::custom(format_args!(
            "more than {MAX_BATCH_AUTH_CHANNELS} channels"
        )))
    }
}

/// The top-level object's keys the endpoints read.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    SocketId,
    ChannelName,
    #[serde(other)]
    Other,
}

struct FieldsVisitor<'a> {
    /// Whether `channel_name` is read (channel bodies) or skipped (user bodies).
    channel: bool,
    too_many: &'a Cell<bool>,
}

impl<'de> Visitor<'de> for FieldsVisitor<'_> {
    type Value = JsonFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonFields, A::Error> {
        let mut socket_id = None;
        let mut channel_name = None;
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::SocketId => {
                    if socket_id.is_some() {
                        return Err(de::Error::duplicate_field("socket_id"));
                    }
                    socket_id = Some(map.next_value::<JsonText>()?);
                }
                Field::ChannelName if self.channel => {
                    if channel_name.is_some() {
                        return Err(de::Error::duplicate_field("channel_name"));
                    }
                    channel_name = Some(map.next_value_seed(ChannelNameVisitor {
                        too_many: self.too_many,
                    })?);
                }
                // Unknown fields (and `channel_name` in a user body) are skipped unchecked.
                Field::ChannelName | Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(JsonFields {
            socket_id: socket_id.unwrap_or(JsonText::Missing),
            channel_name: channel_name.unwrap_or(ChannelNameField::One(JsonText::Missing)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn pusher() -> AuthEndpoint {
        AuthEndpoint::new(
            Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8")
                .build()
                .unwrap(),
        )
    }

    #[test]
    fn form_bodies() {
        let b = ChannelAuthBody::parse(None, b"channel_name=private-foobar&socket_id=1234.1234")
            .unwrap();
        assert_eq!(
            b.requests(),
            [ChannelAuthRequest::new("1234.1234", "private-foobar")]
        );
        // Indices out of order are put in order.
        let b = ChannelAuthBody::parse(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            b"socket_id=1.2&channel_name[1]=private-b&channel_name[0]=private-a",
        )
        .unwrap();
        assert_eq!(b.channel_names, ["private-a", "private-b"]);
        for bad in [
            &b"channel_name=private-a"[..],
            b"socket_id=1.2",
            b"socket_id=1.2&socket_id=1.3&channel_name=private-a",
            b"socket_id=1.2&channel_name=a&channel_name[0]=b",
            b"socket_id=1.2&channel_name[x]=a",
            b"socket_id=1.2&channel_name[0]=a&channel_name[0]=b",
            b"socket_id=1.2&channel_name[100]=a",
            b"socket_id=1.2&channel_name[18446744073709551615]=a",
            b"socket_id=1.2&channel_name[99999999999999999999]=a",
        ] {
            let reply = ChannelAuthBody::parse(None, bad).unwrap_err();
            assert_eq!(reply.status(), 400, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            ChannelAuthBody::parse(Some("text/plain"), b"socket_id=1.2&channel_name=a")
                .unwrap_err()
                .status(),
            400
        );
    }

    #[test]
    fn form_pairs_decode_as_form_urlencoded_does() {
        for body in [
            &b"socket_id=123.456&channel_name=private-foo"[..],
            b"a=1&&b=2&c&=d&e=",
            b"channel_name%5B0%5D=private%2Da&x=a+b%20c",
            b"k=%zz%4&v=%e2%82%ac&w=%ff%fe&u=\xc3\xa9",
            b"&&=&",
            b"",
            b"a==b&=c=d",
            b"a=\xff&b=c&\xc3=\xa9&",
            b"&",
        ] {
            let ours: Vec<(String, String)> = form_pairs(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let reference: Vec<(String, String)> = url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(ours, reference, "{}", String::from_utf8_lossy(body));
        }
        // The common case is borrowed, not copied.
        let (key, value) = form_pairs(b"socket_id=1.2").next().unwrap();
        assert!(matches!(
            (key, value),
            (Cow::Borrowed("socket_id"), Cow::Borrowed("1.2"))
        ));
    }

    #[test]
    fn json_bodies() {
        let b = ChannelAuthBody::parse(
            Some("application/json"),
            br#"{"socket_id":"1.2","channel_name":["private-a","private-b"],"x":1}"#,
        )
        .unwrap();
        assert!(b.batch);
        assert_eq!(b.channel_names.len(), 2);
        for bad in [
            &br#"{"socket_id":1.2,"channel_name":"a"}"#[..],
            br#"{"channel_name":"a"}"#,
            br#"{"socket_id":"1.2"}"#,
            br#"{"socket_id":"1.2","channel_name":[]}"#,
            br#"{"socket_id":"1.2","channel_name":[1]}"#,
            b"not json",
            b"[]",
        ] {
            let reply = ChannelAuthBody::parse(Some("application/json"), bad).unwrap_err();
            assert_eq!(reply.status(), 400, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn replies_by_grant() {
        let p = pusher();
        let private = ChannelAuthRequest::new("1234.1234", "private-foobar");
        let reply = p.channel_reply(&private, ChannelGrant::Allow);
        assert_eq!(reply.status(), 200);
        assert_eq!(
            reply.body(),
            r#"{"auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"}"#
        );
        assert_eq!(p.channel_reply(&private, ChannelGrant::Deny).status(), 403);
        let member = ChannelGrant::Presence(PresenceMember::new("1"));
        assert_eq!(p.channel_reply(&private, member.clone()).status(), 500);
        let presence = ChannelAuthRequest::new("1234.1234", "presence-x");
        assert_eq!(
            p.channel_reply(&presence, ChannelGrant::Allow).status(),
            500
        );
        assert_eq!(p.channel_reply(&presence, member).status(), 200);
        let encrypted = ChannelAuthRequest::new("1234.1234", "private-encrypted-x");
        let reply = p.channel_reply(&encrypted, ChannelGrant::Allow);
        assert_eq!(reply.status(), 500);
        assert!(!reply.body().contains("7ad3773142a6692b25b8"));
        for bad in [
            ChannelAuthRequest::new("1234.1234:x", "private-foobar"),
            ChannelAuthRequest::new("1234.1234", "public"),
            ChannelAuthRequest::new("1234.1234", "private-a:b"),
        ] {
            // Malformed input is 400 whatever the grant: the grant is never consulted.
            assert_eq!(p.channel_reply(&bad, ChannelGrant::Allow).status(), 400);
            assert_eq!(p.channel_reply(&bad, ChannelGrant::Deny).status(), 400);
        }
    }

    #[test]
    fn user_replies() {
        let p = pusher();
        let request = UserAuthRequest::new("1234.1234");
        let reply = p.user_reply(&request, UserGrant::Allow(UserData::new("12345")));
        assert_eq!(reply.status(), 200);
        assert!(
            reply
                .body()
                .contains("4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba")
        );
        assert_eq!(p.user_reply(&request, UserGrant::Deny).status(), 403);
        assert_eq!(
            p.user_reply(&request, UserGrant::Allow(UserData::new("")))
                .status(),
            500
        );
    }

    /// `begin` runs at most once per request, only when some channel is well-formed, before
    /// the decider, which runs once per well-formed channel; errors from either are returned.
    #[tokio::test(flavor = "current_thread")]
    async fn channel_entry_begins_once_and_only_when_needed() {
        let p = pusher();
        let begun = Cell::new(0);
        let decided = std::cell::RefCell::new(Vec::new());
        let run = |body: &'static [u8]| {
            let (p, begun, decided) = (&p, &begun, &decided);
            async move {
                p.channel(None, body, || {
                    begun.set(begun.get() + 1);
                    async move {
                        Ok::<_, &str>(move |request: ChannelAuthRequest| {
                            decided.borrow_mut().push(request.channel_name);
                            async { Ok(ChannelGrant::Allow) }
                        })
                    }
                })
                .await
            }
        };
        // Nothing well-formed: never begun.
        let reply = run(b"socket_id=1.2&channel_name%5B0%5D=public&channel_name%5B1%5D=a%3Ab")
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        let reply = run(b"socket_id=1.2:x&channel_name=private-a")
            .await
            .unwrap();
        assert_eq!(reply.status(), 400);
        assert_eq!((begun.get(), decided.borrow().len()), (0, 0));
        // Two well-formed channels around a public one: begun once, decided twice, in order.
        let body = b"socket_id=1.2&channel_name%5B0%5D=private-a&channel_name%5B1%5D=public&channel_name%5B2%5D=private-b";
        let reply = run(body).await.unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(begun.get(), 1);
        assert_eq!(*decided.borrow(), ["private-a", "private-b"]);
        // `begin`'s own error is the outcome.
        type Decider =
            fn(ChannelAuthRequest) -> std::future::Ready<Result<ChannelGrant, &'static str>>;
        let failed = p
            .channel(None, b"socket_id=1.2&channel_name=private-a", || async {
                Err::<Decider, _>("no session")
            })
            .await;
        assert_eq!(failed, Err("no session"));
    }

    #[test]
    fn batch_reply_mixed() {
        let p = pusher();
        let reply = p.batch_reply([
            (
                ChannelAuthRequest::new("1234.1234", "private-foobar"),
                ChannelGrant::Allow,
            ),
            (
                ChannelAuthRequest::new("1234.1234", "private-no"),
                ChannelGrant::Deny,
            ),
            (
                ChannelAuthRequest::new("1234.1234", "public"),
                ChannelGrant::Allow,
            ),
        ]);
        assert_eq!(reply.status(), 200);
        let v: Value = serde_json::from_str(reply.body()).unwrap();
        assert_eq!(
            v["private-foobar"]["data"]["auth"],
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
        assert_eq!(v["private-no"], serde_json::json!({"status": 403}));
        assert_eq!(v["public"], serde_json::json!({"status": 400}));
    }
}
