//! The [`Pusher`] client and its HTTP API calls, one file per concern:
//!
//! - this file: the client, its construction and configuration access, and the calls that need
//!   no builder (users, terminate, raw get/post);
//! - `call`: the one request pipeline every call goes through (sign → send → read → retry),
//!   driven by a [`Call`](call::Call) value;
//! - `trigger`: the trigger, batch and send-to-user builders, sharing one event validation;
//! - `query`: the channel query builders.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::channel::{self, ChannelKind, IntoChannels};
use crate::config::{Clock, Limits, NonceSource, PusherBuilder};
use crate::encryption::{self, MasterKey};
use crate::error::{Error, ValidationError};
use crate::event::{BatchEvent, Data, Info};
use crate::response::PresenceUsers;
use crate::retry::RetryPolicy;
use crate::signing::{self, Credentials};
use crate::transport::Transport;

/// `IntoFuture` for a request being prepared: awaiting it calls its `send`, boxed so the
/// future can be named (`Output` is what `send` returns).
macro_rules! into_future_via_send {
    ($($request:ty => $output:ty),* $(,)?) => {$(
        impl std::future::IntoFuture for $request {
            type Output = Result<$output, $crate::Error>;
            type IntoFuture = $crate::client::BoxFuture<'static, Self::Output>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    )*};
}

mod call;
pub(crate) mod hosts;
mod query;
mod trigger;

use call::{Call, Repeat, parse};
pub use query::{ChannelQuery, ChannelsQuery};
pub use trigger::{SendToUser, Trigger, TriggerBatch};

/// Sent as `User-Agent` and `X-Pusher-Library`, as the official SDKs identify themselves.
pub(crate) const USER_AGENT: &str = concat!("pusher-client-rust/", env!("CARGO_PKG_VERSION"));

/// The most of an answer the client reads; larger answers are an error, not a memory hazard.
pub(crate) const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A client for the Pusher Channels HTTP API.
///
/// Cheap to clone (an `Arc` inside): build one at start-up and share it; every clone uses the
/// same keep-alive connection pool. `Send + Sync`. `Debug` never shows the secret.
///
/// ```
/// use pusher_client::Pusher;
///
/// # async fn run() -> Result<(), pusher_client::Error> {
/// let pusher = Pusher::builder("123456", "app-key", "app-secret")
///     .cluster("eu")
///     .build()?;
/// pusher.trigger("my-channel", "my-event", serde_json::json!({"message": "hello"})).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pusher {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) app_id: String,
    pub(crate) credentials: Credentials,
    /// The primary host's `scheme://host[:port]`.
    pub(crate) base_url: String,
    /// The scheme and the authority of every host (the primary first, then the fallback
    /// hosts), parsed once (each request's URI reuses them), with their health.
    pub(crate) hosts: hosts::Hosts,
    pub(crate) api_prefix: String,
    pub(crate) transport: Transport,
    pub(crate) timeout: Duration,
    pub(crate) limits: Limits,
    pub(crate) master_key: Option<MasterKey>,
    /// The app's own credentials first, then any extra webhook keys (rotation).
    pub(crate) webhook_credentials: Vec<Credentials>,
    pub(crate) webhook_max_age: Option<Duration>,
    pub(crate) clock: Clock,
    pub(crate) nonce_source: Option<NonceSource>,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for Pusher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Pusher")
            .field("app_id", &i.app_id)
            .field("key", &i.credentials.key)
            .field("secret", &"<redacted>")
            .field("base_url", &i.base_url)
            .field("timeout", &i.timeout)
            .field("transport", &i.transport)
            .field("limits", &i.limits)
            .field(
                "encryption_master_key",
                &i.master_key.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl Pusher {
    /// Starts configuring a client for the app with these credentials (from the Pusher
    /// dashboard's "App Keys" page, or your self-hosted server's config).
    pub fn builder(
        app_id: impl Into<String>,
        key: impl Into<String>,
        secret: impl Into<String>,
    ) -> PusherBuilder {
        PusherBuilder::new(app_id.into(), key.into(), secret.into())
    }

    /// Builds a client from `http[s]://KEY:SECRET@HOST[:PORT]/apps/APP_ID`.
    ///
    /// ```
    /// let pusher = pusher_client::Pusher::from_url("https://key:secret@api-eu.pusher.com/apps/1")?;
    /// assert_eq!(pusher.key(), "key");
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Pusher, Error> {
        PusherBuilder::from_url(url)?.build()
    }

    /// Builds a client from the environment; see [`PusherBuilder::from_env`] for the variables.
    ///
    /// ```no_run
    /// let pusher = pusher_client::Pusher::from_env()?;
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn from_env() -> Result<Pusher, Error> {
        PusherBuilder::from_env()?.build()
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// The app key (public; pusher-js uses it too).
    pub fn key(&self) -> &str {
        &self.inner.credentials.key
    }

    /// Scheme, host and port requests go to, e.g. `https://api-mt1.pusher.com`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Every API host as `host[:port]` (the port left out when it is the scheme's default), in
    /// the order requests try them: the primary host
    /// (the one of [`base_url`](Self::base_url)), then the
    /// [fallback hosts](crate::PusherBuilder::fallback_hosts).
    ///
    /// ```
    /// let pusher = pusher_client::Pusher::builder("1", "key", "secret")
    ///     .cluster("eu")
    ///     .build()?;
    /// assert_eq!(pusher.hosts(), ["api-eu.pusher.com"]);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn hosts(&self) -> Vec<&str> {
        self.inner.hosts.authorities().collect()
    }

    /// The limits checked before sending.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// `true` if an end-to-end encryption master key is configured.
    pub fn has_encryption(&self) -> bool {
        self.inner.master_key.is_some()
    }

    /// Triggers the event `event` with `data` on one or many channels.
    ///
    /// Await the returned [`Trigger`] to send it; set options on it first. Everything is
    /// validated before anything is sent. On a `private-encrypted-` channel (which must then be
    /// the only channel) the data is encrypted with the configured master key.
    ///
    /// ```
    /// use pusher_client::{Info, Pusher};
    /// use serde_json::json;
    ///
    /// # async fn run(pusher: Pusher) -> Result<(), pusher_client::Error> {
    /// // One channel, JSON data.
    /// pusher.trigger("orders", "created", json!({"id": 42})).await?;
    ///
    /// // Several channels, a string sent exactly as given, one connection excluded,
    /// // and the channels' subscription counts asked for.
    /// let answer = pusher
    ///     .trigger(["orders", "audit"], "note", "plain text")
    ///     .exclude("1234.5678")
    ///     .info(Info::SUBSCRIPTION_COUNT)
    ///     .await?;
    /// for (channel, counts) in &answer.channels {
    ///     println!("{channel}: {:?} subscribers", counts.subscription_count);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn trigger(
        &self,
        channels: impl IntoChannels,
        event: impl Into<String>,
        data: impl Into<Data>,
    ) -> Trigger {
        Trigger {
            pusher: self.clone(),
            channels: channels.into_channel_names(),
            event: event.into(),
            data: data.into(),
            socket_id: None,
            info: Info::NONE,
            idempotency_key: None,
        }
    }

    /// Triggers several events in as few requests as the batch limit allows.
    ///
    /// A batch longer than [`Limits::max_batch_size`] (10 on Pusher's multi-tenant clusters) is
    /// split into consecutive requests, sent one after another in order. Every event is
    /// validated before the first request is sent. If a later request fails after earlier ones
    /// were accepted, the error is [`Error::PartialBatch`], which says how many were delivered.
    /// An empty batch is not an error: it sends nothing and answers an empty
    /// [`BatchResponse`](crate::BatchResponse), so a list built at run time needs no special case.
    /// Await the returned [`TriggerBatch`]; give it an
    /// [`idempotency_key`](TriggerBatch::idempotency_key) to make its requests safe to retry.
    ///
    /// ```
    /// use pusher_client::{BatchEvent, Info, Pusher};
    ///
    /// # async fn run(pusher: Pusher) -> Result<(), pusher_client::Error> {
    /// let answer = pusher
    ///     .trigger_batch(vec![
    ///         BatchEvent::new("orders", "created", r#"{"id":1}"#),
    ///         BatchEvent::new("presence-room", "joined", "ada").info(Info::USER_COUNT),
    ///     ])
    ///     .await?;
    /// assert_eq!(answer.batch.len(), 2); // one entry per event, because info was asked for
    /// # Ok(()) }
    /// ```
    #[doc(alias = "triggerBatch")]
    pub fn trigger_batch(&self, events: impl IntoIterator<Item = BatchEvent>) -> TriggerBatch {
        TriggerBatch {
            pusher: self.clone(),
            events: events.into_iter().collect(),
            idempotency_key: None,
        }
    }

    /// Sends an event to every connection of one signed-in user (pusher-js `signin()`).
    /// Await it, or add an [`idempotency_key`](SendToUser::idempotency_key) first.
    ///
    /// The event travels on the channel `#server-to-user-{user_id}`, so an id outside the
    /// channel-name alphabet (`A-Z a-z 0-9 _ - = @ , . ;`) or too long for it is refused with a
    /// [`ValidationError`] before anything is sent (see
    /// [`ValidationError::UserIdInvalidChar`]).
    ///
    /// ```
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// pusher.send_to_user("user-42", "notification", serde_json::json!({"unread": 3})).await?;
    /// pusher
    ///     .send_to_user("user-42", "notification", serde_json::json!({"unread": 4}))
    ///     .idempotency_key("notification-9001")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[doc(alias = "sendToUser")]
    pub fn send_to_user(
        &self,
        user_id: impl AsRef<str>,
        event: impl Into<String>,
        data: impl Into<Data>,
    ) -> SendToUser {
        SendToUser {
            pusher: self.clone(),
            user_id: user_id.as_ref().to_owned(),
            event: event.into(),
            data: data.into(),
            idempotency_key: None,
        }
    }

    /// Disconnects every connection of one signed-in user.
    ///
    /// They may reconnect unless your user authentication refuses them. A user id that no
    /// signed-in user can have (see [`ValidationError::UserIdInvalidChar`]) is refused before
    /// sending.
    ///
    /// ```
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// pusher.terminate_user_connections("user-42").await?;
    /// # Ok(()) }
    /// ```
    #[doc(alias = "terminateUserConnections")]
    pub async fn terminate_user_connections(&self, user_id: impl AsRef<str>) -> Result<(), Error> {
        let user_id = user_id.as_ref();
        channel::check_addressable_user_id(user_id, self.inner.limits.max_channel_name_len)?;
        let path = format!(
            "/users/{}/terminate_connections",
            signing::encode_path_segment(user_id)
        );
        // Repeating it has the same effect as sending it once (the user's connections are
        // closed), so the retry policy treats it like a query.
        let call = Call::post(&path, b"{}".to_vec()).repeat(Repeat::Safe);
        let (status, bytes) = self.execute(call).await?;
        parse::<serde_json::Value>(status, &bytes).map(|_| ())
    }

    /// Lists occupied channels, optionally filtered by name prefix.
    ///
    /// ```
    /// use pusher_client::Info;
    ///
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// let all = pusher.channels().await?;
    /// let rooms = pusher.channels().prefix("presence-").info(Info::USER_COUNT).await?;
    /// for (name, summary) in &rooms.channels {
    ///     println!("{name}: {:?} users", summary.user_count);
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "channels_info")]
    #[doc(alias = "get_channels")]
    #[doc(alias = "getChannels")]
    pub fn channels(&self) -> ChannelsQuery {
        ChannelsQuery {
            pusher: self.clone(),
            prefix: None,
            info: Info::NONE,
        }
    }

    /// Queries one channel's state.
    ///
    /// ```
    /// use pusher_client::Info;
    ///
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// let room = pusher
    ///     .channel("presence-room")
    ///     .info(Info::USER_COUNT | Info::SUBSCRIPTION_COUNT)
    ///     .await?;
    /// println!("occupied: {}, users: {:?}", room.occupied, room.user_count);
    /// # Ok(()) }
    /// ```
    #[doc(alias = "channel_info")]
    #[doc(alias = "get_channel_info")]
    #[doc(alias = "getChannelInfo")]
    pub fn channel(&self, name: impl Into<String>) -> ChannelQuery {
        ChannelQuery {
            pusher: self.clone(),
            name: name.into(),
            info: Info::NONE,
        }
    }

    /// Lists the users on a presence channel.
    ///
    /// ```
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// for user in pusher.users("presence-room").await?.users {
    ///     println!("{}", user.id);
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "users_info")]
    #[doc(alias = "get_users_info")]
    #[doc(alias = "getPresenceUsers")]
    pub async fn users(&self, channel: impl AsRef<str>) -> Result<PresenceUsers, Error> {
        let channel = channel.as_ref();
        channel::check_channel(channel, self.inner.limits.max_channel_name_len)?;
        if ChannelKind::of(channel) != ChannelKind::Presence {
            return Err(ValidationError::NotPresenceChannel {
                call: "users",
                channel: channel.to_owned(),
            }
            .into());
        }
        let path = format!("/channels/{}/users", signing::encode_path_segment(channel));
        let (status, bytes) = self.execute(Call::get(&path, &[])).await?;
        parse(status, &bytes)
    }

    /// A signed `GET` to an endpoint this crate does not wrap, under `/apps/{app_id}`.
    ///
    /// `path` must be percent-encoded already; it is signed exactly as sent. Parameters named
    /// `auth_*` or `body_md5` are refused.
    ///
    /// ```
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// let value: serde_json::Value = pusher
    ///     .get("/channels", &[("filter_by_prefix", "presence-")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, Error> {
        check_raw_path(path)?;
        let (status, bytes) = self.execute(Call::get(path, params)).await?;
        parse(status, &bytes)
    }

    /// A signed `POST` of `body` as JSON to an endpoint this crate does not wrap, under
    /// `/apps/{app_id}`. See [`get`](Self::get) for the rules on `path`.
    ///
    /// ```
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// let body = serde_json::json!({"name": "e", "channels": ["c"], "data": "{}"});
    /// let answer: serde_json::Value = pusher.post("/events", &body).await?;
    /// # Ok(()) }
    /// ```
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, Error> {
        check_raw_path(path)?;
        let body = serde_json::to_vec(body).map_err(Error::serialize("request body"))?;
        let (status, bytes) = self.execute(Call::post(path, body)).await?;
        parse(status, &bytes)
    }

    pub(super) fn nonce(&self) -> Result<[u8; 24], Error> {
        match &self.inner.nonce_source {
            Some(source) => {
                let mut nonce = [0u8; 24];
                source(&mut nonce);
                Ok(nonce)
            }
            None => Ok(encryption::random_nonce()?),
        }
    }

    pub(crate) fn now_unix(&self) -> u64 {
        (self.inner.clock)()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

pub(crate) fn check_raw_path(path: &str) -> Result<(), ValidationError> {
    let bad = |reason| ValidationError::InvalidPath {
        path: channel::truncate_for_message(path),
        reason,
    };
    if !path.starts_with('/') {
        return Err(bad(
            "it must start with '/' (it is relative to /apps/{app_id})",
        ));
    }
    if path.contains(['?', '#']) {
        return Err(bad("give query parameters separately, not in the path"));
    }
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("it must be percent-encoded ASCII without spaces"));
    }
    // URL parsers treat `%2E` like `.`, so decode before looking for dot segments.
    if path.split('/').any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        channel::is_dot_segment(&decoded)
    }) {
        return Err(bad(
            "it must not contain '.' or '..' segments (encoded or not)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pusher() -> Pusher {
        Pusher::builder("1", "key", "secret")
            .host("127.0.0.1")
            .port(9)
            .tls(false)
            .offline()
            .build()
            .unwrap()
    }

    fn validation(e: Error) -> ValidationError {
        match e {
            Error::Validation(v) => v,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn trigger_validates_before_sending() {
        let p = pusher();
        let v = validation(p.trigger(Vec::<String>::new(), "e", "d").await.unwrap_err());
        assert_eq!(v, ValidationError::NoChannels);
        let many: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
        let v = validation(p.trigger(many, "e", "d").await.unwrap_err());
        assert_eq!(
            v,
            ValidationError::TooManyChannels {
                count: 101,
                max: 100
            }
        );
        let v = validation(p.trigger("c", "e", "x".repeat(10241)).await.unwrap_err());
        assert_eq!(
            v,
            ValidationError::PayloadTooLarge {
                size: 10241,
                max: 10240
            }
        );
        let v = validation(p.trigger("c", "e", "d").exclude("1.2:x").await.unwrap_err());
        assert!(matches!(v, ValidationError::InvalidSocketId { .. }));
        let v = validation(
            p.trigger(["presence-a", "b"], "e", "d")
                .info(Info::USER_COUNT)
                .await
                .unwrap_err(),
        );
        assert_eq!(
            v,
            ValidationError::UserCountNeedsPresence {
                channel: "b".into()
            }
        );
        let v = validation(
            p.trigger(["private-encrypted-a", "b"], "e", "d")
                .await
                .unwrap_err(),
        );
        assert!(matches!(
            v,
            ValidationError::EncryptedChannelWithOthers { .. }
        ));
        let v = validation(
            p.trigger("private-encrypted-a", "e", "d")
                .await
                .unwrap_err(),
        );
        assert!(matches!(v, ValidationError::EncryptionNotConfigured { .. }));
    }

    #[test]
    fn raw_paths() {
        assert!(check_raw_path("/channels/a%20b").is_ok());
        for bad in [
            "channels",
            "/a?b=1",
            "/a b",
            "/../x",
            "/é",
            "/a/%2E%2E/b",
            "/%2e",
            "/.%2E/x",
        ] {
            assert!(check_raw_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pusher_is_send_sync_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<Pusher>();
    }

    #[test]
    fn debug_redacts() {
        let p = Pusher::builder("1", "key", "hunter2-secret")
            .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .offline()
            .build()
            .unwrap();
        let s = format!("{p:?}");
        assert!(!s.contains("hunter2"));
        assert!(!s.contains("AAECAw"));
    }
}
