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
//!
//! The code is split by what it holds: this file has the endpoint itself ([`AuthEndpoint`],
//! the grants, the default paths); `reply` the answers ([`AuthReply`]); `body` the parsing
//! entry points ([`ChannelAuthBody`], [`UserAuthRequest::parse`]), with `form` and `json`
//! under them, one per body format pusher-js may send.

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

use crate::auth::{ChannelAuth, ChannelAuthRequest, PresenceMember, UserAuthRequest, UserData};
use crate::channel::{self, ChannelKind};
use crate::client::Pusher;
use crate::error::{Error, ValidationError};

mod body;
mod form;
mod json;
mod reply;

pub use body::ChannelAuthBody;
use body::missing;
pub use reply::AuthReply;

/// The most channels one batched authorization request may name.
pub const MAX_BATCH_AUTH_CHANNELS: usize = 100;

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
                    status: reply.status(),
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
    /// [`ValidationError::UserIdInvalidChar`](crate::ValidationError::UserIdInvalidChar)), 403
    /// on [`UserGrant::Deny`], 500 if the user data is otherwise invalid (e.g. an empty id;
    /// [`AuthReply::internal_error`], the detail logged at `error`), otherwise 200 with
    /// `{auth, user_data}`.
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use serde_json::Value;

    fn pusher() -> AuthEndpoint {
        AuthEndpoint::new(
            Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8")
                .offline()
                .build()
                .unwrap(),
        )
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
