//! The [`Pusher`] client and its HTTP API calls.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT as UA};
use http::{Method, Uri};
use http_body::Body as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::channel::{
    self, ChannelKind, ENCRYPTED_PREFIX, IntoChannels, PRESENCE_PREFIX, USER_CHANNEL_PREFIX,
};
use crate::config::{Clock, Limits, NonceSource, PusherBuilder};
use crate::encryption::{self, MasterKey};
use crate::error::{ApiError, Error, TransportError, TransportKind, ValidationError};
use crate::event::{BatchEvent, Data, Info};
use crate::response::{
    BatchResponse, ChannelCounts, ChannelInfo, ChannelList, PresenceUsers, TriggerResponse,
};
use crate::retry::{self, RetryPolicy};
use crate::signed::SignedRequest;
use crate::signing::{self, Credentials};
use crate::transport::{ResponseBody, SendError, SendErrorKind, Transport};

/// Sent as `User-Agent` and `X-Pusher-Library`, as the official SDKs identify themselves.
pub(crate) const USER_AGENT: &str = concat!("pusher-client-rust/", env!("CARGO_PKG_VERSION"));

/// The most of an answer the client reads; larger answers are an error, not a memory hazard.
pub(crate) const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// How much of an error answer's body is kept in [`ApiError`].
const MAX_ERROR_BODY: usize = 4 * 1024;

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
    pub(crate) base_url: String,
    /// `base_url`'s scheme and authority, parsed once (each request's URI reuses them).
    pub(crate) scheme: http::uri::Scheme,
    pub(crate) authority: http::uri::Authority,
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
    /// [`ValidationError`] before anything is sent (see [`UserId`](crate::UserId)).
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
    /// signed-in user can have (see [`UserId`](crate::UserId)) is refused before sending.
    ///
    /// ```
    /// # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
    /// pusher.terminate_user_connections("user-42").await?;
    /// # Ok(()) }
    /// ```
    pub async fn terminate_user_connections(&self, user_id: impl AsRef<str>) -> Result<(), Error> {
        let user_id = user_id.as_ref();
        channel::check_addressable_user_id(user_id, self.inner.limits.max_channel_name_len)?;
        let path = format!(
            "/users/{}/terminate_connections",
            signing::encode_path_segment(user_id)
        );
        // Repeating it has the same effect as sending it once (the user's connections are
        // closed), so the retry policy treats it like a query.
        let (status, bytes) = self
            .request_inner(Method::POST, &path, &[], Some(b"{}".to_vec()), None, true)
            .await?;
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
        let (status, bytes) = self.request(Method::GET, &path, &[], None).await?;
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
        let (status, bytes) = self.request(Method::GET, path, params, None).await?;
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
        let (status, bytes) = self.request(Method::POST, path, &[], Some(body)).await?;
        parse(status, &bytes)
    }

    // ---- internals ----

    async fn send_batch(
        &self,
        events: Vec<BatchEvent>,
        idempotency_key: Option<&str>,
    ) -> Result<BatchResponse, Error> {
        if events.is_empty() {
            return Err(ValidationError::EmptyBatch.into());
        }
        let limits = &self.inner.limits;
        let mut prepared = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let wrap = |e: Error| match e {
                Error::Validation(source) => Error::Validation(ValidationError::BatchEvent {
                    index,
                    source: Box::new(source),
                }),
                other => other,
            };
            let channels = std::slice::from_ref(&event.channel);
            self.check_channels(channels).map_err(wrap)?;
            channel::check_event_name(&event.name, limits.max_event_name_len)
                .map_err(|e| wrap(e.into()))?;
            if let Some(socket_id) = &event.socket_id {
                channel::check_socket_id(socket_id).map_err(|e| wrap(e.into()))?;
            }
            check_info(channels, event.info).map_err(|e| wrap(e.into()))?;
            let data = self.payload_for(channels, &event.data).map_err(wrap)?;
            prepared.push(WireBatchEvent {
                channel: &event.channel,
                name: &event.name,
                data,
                socket_id: event.socket_id.as_deref(),
                info: event.info.to_param(),
            });
        }
        let any_info = events.iter().any(|e| !e.info.is_empty());
        let mut answer = BatchResponse::default();
        let mut delivered = 0;
        let chunks = prepared.chunks(limits.max_batch_size);
        let several = chunks.len() > 1;
        for (index, chunk) in chunks.enumerate() {
            let body = serde_json::to_vec(&WireBatch { batch: chunk })
                .map_err(Error::serialize("batch body"))?;
            // Each request of a split batch gets its own key, derived from the caller's.
            let key = idempotency_key.map(|key| {
                if several {
                    format!("{key}-{index}")
                } else {
                    key.to_owned()
                }
            });
            let result = self
                .request_with_key(
                    Method::POST,
                    "/batch_events",
                    &[],
                    Some(body),
                    key.as_deref(),
                )
                .await
                .and_then(|(status, bytes)| parse::<BatchResponse>(status, &bytes));
            let part = match result {
                Ok(part) => part,
                Err(e) if delivered == 0 => return Err(e),
                Err(e) => {
                    return Err(Error::PartialBatch {
                        delivered,
                        source: Box::new(e),
                    });
                }
            };
            if any_info {
                if chunk.iter().all(|e| e.info.is_none()) && part.batch.is_empty() {
                    answer
                        .batch
                        .extend(std::iter::repeat_n(ChannelCounts::default(), chunk.len()));
                } else if part.batch.len() == chunk.len() {
                    answer.batch.extend(part.batch);
                } else {
                    let e = Error::MalformedResponse {
                        status: 200,
                        message: format!(
                            "the batch answer has {} entries for {} events",
                            part.batch.len(),
                            chunk.len()
                        ),
                    };
                    return Err(if delivered == 0 {
                        e
                    } else {
                        Error::PartialBatch {
                            delivered,
                            source: Box::new(e),
                        }
                    });
                }
            }
            delivered += chunk.len();
        }
        Ok(answer)
    }

    fn check_channels(&self, channels: &[String]) -> Result<(), Error> {
        let limits = &self.inner.limits;
        if channels.is_empty() {
            return Err(ValidationError::NoChannels.into());
        }
        if channels.len() > limits.max_channels_per_trigger {
            return Err(ValidationError::TooManyChannels {
                count: channels.len(),
                max: limits.max_channels_per_trigger,
            }
            .into());
        }
        for name in channels {
            channel::check_channel(name, limits.max_channel_name_len)?;
        }
        if channels.len() > 1
            && let Some(enc) = channels.iter().find(|c| c.starts_with(ENCRYPTED_PREFIX))
        {
            return Err(ValidationError::EncryptedChannelWithOthers {
                channel: enc.clone(),
            }
            .into());
        }
        Ok(())
    }

    fn check_payload_size(&self, size: usize) -> Result<(), ValidationError> {
        let max = self.inner.limits.max_payload_bytes;
        if size > max {
            return Err(ValidationError::PayloadTooLarge { size, max });
        }
        Ok(())
    }

    /// The `data` string to send: encrypted for an encrypted channel, size-checked as sent.
    fn payload_for<'d>(
        &self,
        channels: &[String],
        data: &'d Data,
    ) -> Result<std::borrow::Cow<'d, str>, Error> {
        let payload = match channels {
            [only] if only.starts_with(ENCRYPTED_PREFIX) => {
                let key = self.inner.master_key.as_ref().ok_or_else(|| {
                    ValidationError::EncryptionNotConfigured {
                        channel: only.clone(),
                    }
                })?;
                let nonce = self.nonce()?;
                let sealed = encryption::encrypt(key, only, data.as_str().as_bytes(), &nonce)?;
                std::borrow::Cow::Owned(sealed)
            }
            _ => std::borrow::Cow::Borrowed(data.as_str()),
        };
        self.check_payload_size(payload.len())?;
        Ok(payload)
    }

    fn nonce(&self) -> Result<[u8; 24], Error> {
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

    async fn send_trigger(
        &self,
        channels: &[String],
        event: &str,
        data: &str,
        socket_id: Option<&str>,
        info: Info,
        idempotency_key: Option<&str>,
    ) -> Result<TriggerResponse, Error> {
        let body = serde_json::to_vec(&WireTrigger {
            name: event,
            data,
            channels,
            socket_id,
            info: info.to_param(),
        })
        .map_err(Error::serialize("trigger body"))?;
        let (status, bytes) = self
            .request_with_key(Method::POST, "/events", &[], Some(body), idempotency_key)
            .await?;
        parse(status, &bytes)
    }

    /// Sends one request with the client's retry policy; `path` is relative to
    /// `/apps/{app_id}` and already encoded. `idempotency_key` is sent as `X-Idempotency-Key`
    /// and makes a POST safe to repeat.
    async fn request(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Bytes), Error> {
        self.request_with_key(method, path, params, body, None)
            .await
    }

    async fn request_with_key(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
    ) -> Result<(u16, Bytes), Error> {
        self.request_inner(method, path, params, body, idempotency_key, false)
            .await
    }

    /// `idempotent`: repeating the request has the effect of sending it once, whatever the
    /// method, so it may be retried after it possibly reached the server.
    async fn request_inner(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
        idempotent: bool,
    ) -> Result<(u16, Bytes), Error> {
        let policy = &self.inner.retry;
        let body = body.map(Bytes::from);
        let may_repeat =
            idempotent || method == Method::GET || idempotency_key.is_some() || policy.retry_posts;
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let error = match self
                .attempt(&method, path, params, body.clone(), idempotency_key)
                .await
            {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            if attempt >= policy.max_attempts || !retry::should_retry(&error, may_repeat) {
                return Err(error);
            }
            let Some(delay) = policy.delay_after(&error, attempt) else {
                tracing::debug!(
                    method = method_name(&method),
                    path,
                    attempt,
                    error = %error,
                    "not retrying pusher request: Retry-After is over the policy's max_retry_after"
                );
                return Err(error);
            };
            if let Some(deadline) = policy.deadline
                && started.elapsed() + delay > deadline
            {
                return Err(error);
            }
            tracing::debug!(
                method = method_name(&method),
                path,
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "retrying pusher request"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Signs (with a fresh timestamp) and sends one attempt, reading the answer up to
    /// [`MAX_RESPONSE_BYTES`], all within the request timeout.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        params: &[(&str, &str)],
        body: Option<Bytes>,
        idempotency_key: Option<&str>,
    ) -> Result<(u16, Bytes), Error> {
        let inner = &*self.inner;
        let full_path = FullPath(&inner.api_prefix, path);
        // The path and the signed query go straight into the one buffer the URI keeps:
        // no separate path, query and path-and-query strings per attempt.
        let mut path_and_query =
            String::with_capacity(inner.api_prefix.len() + path.len() + QUERY_CAPACITY);
        path_and_query.push_str(&inner.api_prefix);
        path_and_query.push_str(path);
        let path_end = path_and_query.len();
        path_and_query.push('?');
        signing::write_signed_query(
            &mut path_and_query,
            0..path_end,
            &inner.credentials,
            method.as_str(),
            params,
            body.as_deref(),
            self.now_unix(),
        )?;
        let method_str = method_name(method);
        let request =
            self.http_request(method, full_path, path_and_query, body, idempotency_key)?;
        let started = Instant::now();
        let fail = |kind: TransportKind, status, timed_out: bool, message: String, source| {
            let error = TransportError {
                kind,
                status,
                method: method_str,
                path: full_path.to_string(),
                message,
                elapsed: started.elapsed(),
                timed_out,
                source,
            };
            tracing::debug!(
                method = method_str,
                path = %full_path,
                elapsed_ms = error.elapsed.as_millis() as u64,
                error = %error,
                "pusher request failed"
            );
            Error::Transport(error)
        };
        // The status line, once it arrived: a failure after a 2xx means the request was
        // accepted, which decides whether it may be repeated.
        let mut head: Option<(u16, Option<Duration>)> = None;
        let exchange = async {
            let response = inner.transport.send(request).await?;
            let status = response.status().as_u16();
            let retry_after = match status {
                429 | 503 => response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry::parse_retry_after(v, SystemTime::now())),
                _ => None,
            };
            head = Some((status, retry_after));
            let bytes = read_capped(response.into_body()).await?;
            Ok::<_, ReadError>((status, retry_after, bytes))
        };
        let outcome = tokio::time::timeout(inner.timeout, exchange).await;
        let status = head.map(|(status, _)| status);
        let accepted = status.filter(|s| (200..300).contains(s));
        let (status, retry_after, bytes) = match (outcome, head) {
            (Ok(Ok(answer)), _) => answer,
            // An error status arrived and only its text was lost: the status is the answer
            // (a 429 was refused, whatever its body said).
            (Ok(Err(ReadError::Send(_))), Some((status, retry_after))) if accepted.is_none() => {
                (status, retry_after, Bytes::new())
            }
            (Ok(Err(ReadError::Send(e))), _) => {
                let (kind, timed_out) = match (accepted, e.kind()) {
                    (Some(_), _) => (TransportKind::AnswerLost, e.is_timeout()),
                    (None, SendErrorKind::NeverSent) => (TransportKind::Connect, e.is_timeout()),
                    (None, SendErrorKind::TimedOut) => (TransportKind::Timeout, true),
                    (None, _) => (TransportKind::Other, e.is_timeout()),
                };
                let source = e.into_source();
                let message = error_chain(&*source);
                return Err(fail(kind, status, timed_out, message, Some(source)));
            }
            (Ok(Err(ReadError::TooLarge)), _) => {
                return Err(fail(
                    TransportKind::TooLarge,
                    status,
                    false,
                    format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
                    None,
                ));
            }
            (Err(_), _) => {
                let kind = match accepted {
                    Some(_) => TransportKind::AnswerLost,
                    None => TransportKind::Timeout,
                };
                return Err(fail(
                    kind,
                    status,
                    true,
                    format!("no complete answer within {:?}", inner.timeout),
                    None,
                ));
            }
        };
        let elapsed = started.elapsed();
        tracing::debug!(
            method = method_str,
            path = %full_path,
            status,
            elapsed_ms = elapsed.as_millis() as u64,
            "pusher request"
        );
        if !(200..300).contains(&status) {
            let end = bytes.len().min(MAX_ERROR_BODY);
            return Err(ApiError {
                status,
                body: String::from_utf8_lossy(&bytes[..end]).into_owned(),
                path: full_path.to_string(),
                retry_after,
            }
            .into());
        }
        Ok((status, bytes))
    }

    /// The signed request as the transport receives it.
    fn http_request(
        &self,
        method: &Method,
        full_path: FullPath<'_>,
        path_and_query: String,
        body: Option<Bytes>,
        idempotency_key: Option<&str>,
    ) -> Result<http::Request<Bytes>, Error> {
        let inner = &*self.inner;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(inner.scheme.clone());
        parts.authority = Some(inner.authority.clone());
        parts.path_and_query = Some(
            http::uri::PathAndQuery::from_maybe_shared(Bytes::from(path_and_query))
                .map_err(|_| invalid_request(&full_path.to_string()))?,
        );
        let uri = Uri::from_parts(parts).map_err(|_| invalid_request(&full_path.to_string()))?;
        let has_body = body.is_some();
        let mut request = http::Request::new(body.unwrap_or_default());
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.reserve(4);
        headers.insert(UA, HeaderValue::from_static(USER_AGENT));
        headers.insert(X_PUSHER_LIBRARY, HeaderValue::from_static(USER_AGENT));
        if has_body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(key) = idempotency_key {
            let value = HeaderValue::from_str(key).map_err(|_| {
                Error::Validation(ValidationError::InvalidIdempotencyKey {
                    key: channel::truncate_for_message(key),
                })
            })?;
            headers.insert(X_IDEMPOTENCY_KEY, value);
        }
        Ok(request)
    }
}

/// Room reserved for the signed query (`auth_key`, `auth_timestamp`, `auth_version`,
/// `body_md5`, `auth_signature` and the separators) so the buffer rarely grows.
const QUERY_CAPACITY: usize = 200;

/// `/apps/{app_id}` and the request's path, shown together without being joined: only error
/// messages and enabled tracing events need the whole path as text.
#[derive(Clone, Copy)]
struct FullPath<'a>(&'a str, &'a str);

impl fmt::Display for FullPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        f.write_str(self.1)
    }
}

const X_PUSHER_LIBRARY: HeaderName = HeaderName::from_static("x-pusher-library");
const X_IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("x-idempotency-key");

/// Paths are checked and queries encoded before this, so it cannot happen; an error, not a
/// panic, if it ever does.
fn invalid_request(full_path: &str) -> Error {
    Error::Validation(ValidationError::InvalidPath {
        path: channel::truncate_for_message(full_path),
        reason: "it does not make a valid request URI",
    })
}

/// Why reading an answer stopped.
enum ReadError {
    Send(SendError),
    TooLarge,
}

impl From<SendError> for ReadError {
    fn from(e: SendError) -> Self {
        ReadError::Send(e)
    }
}

/// Reads a body up to [`MAX_RESPONSE_BYTES`]; a single-frame body is not copied.
async fn read_capped(mut body: ResponseBody) -> Result<Bytes, ReadError> {
    if body.size_hint().lower() > MAX_RESPONSE_BYTES as u64 {
        return Err(ReadError::TooLarge);
    }
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let Ok(data) = frame?.into_data() else {
            continue; // trailers
        };
        let have = first.as_ref().map_or(0, Bytes::len) + rest.len();
        if have + data.len() > MAX_RESPONSE_BYTES {
            return Err(ReadError::TooLarge);
        }
        match &first {
            None => first = Some(data),
            Some(head) => {
                if rest.is_empty() {
                    rest.reserve(head.len() + data.len());
                    rest.extend_from_slice(head);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    Ok(if rest.is_empty() {
        first.unwrap_or_default()
    } else {
        Bytes::from(rest)
    })
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// An error and its causes, joined: transports' top-level messages are often generic.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

fn parse<T: DeserializeOwned>(status: u16, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::MalformedResponse {
        status,
        message: format!(
            "{e} (body starts {:?})",
            String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
        ),
    })
}

fn check_info(channels: &[String], info: Info) -> Result<(), ValidationError> {
    if info.has_user_count()
        && let Some(c) = channels.iter().find(|c| !c.starts_with(PRESENCE_PREFIX))
    {
        return Err(ValidationError::UserCountNeedsPresence { channel: c.clone() });
    }
    Ok(())
}

fn check_raw_path(path: &str) -> Result<(), ValidationError> {
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

#[derive(Serialize)]
struct WireTrigger<'a> {
    name: &'a str,
    data: &'a str,
    channels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<String>,
}

#[derive(Serialize)]
struct WireBatchEvent<'a> {
    channel: &'a str,
    name: &'a str,
    data: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<String>,
}

#[derive(Serialize)]
struct WireBatch<'a, 'e> {
    batch: &'a [WireBatchEvent<'e>],
}

/// A trigger being prepared; made by [`Pusher::trigger`]. Await it (or call
/// [`send`](Self::send)) to validate and send it.
///
/// Like reqwest's `RequestBuilder`, it holds its own handle on the client (a reference-counted
/// clone), so it — and its future — can outlive the `Pusher` it came from, e.g. in a spawned task:
///
/// ```
/// use std::future::IntoFuture;
///
/// # async fn run(pusher: pusher_client::Pusher) {
/// let delivery = tokio::spawn(pusher.trigger("orders", "created", "{}").into_future());
/// drop(pusher);
/// let _ = delivery.await;
/// # }
/// ```
#[must_use = "a trigger does nothing until it is awaited"]
#[derive(Debug)]
pub struct Trigger {
    pusher: Pusher,
    channels: Vec<String>,
    event: String,
    data: Data,
    socket_id: Option<String>,
    info: Info,
    idempotency_key: Option<String>,
}

impl Trigger {
    /// Sends this key as `X-Idempotency-Key`, so a server that honours it (sockudo does)
    /// delivers the event once however often the request is repeated — which also lets the
    /// client retry it after a timeout or a 5xx (see [`RetryPolicy`]). Use a key unique to this
    /// event, e.g. your message id.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Excludes the connection with this socket id (usually the sender's own) from receiving
    /// the event.
    pub fn exclude(mut self, socket_id: impl Into<String>) -> Self {
        self.socket_id = Some(socket_id.into());
        self
    }

    /// Asks for channel attributes in the answer ([`Info::USER_COUNT`] needs every channel to be
    /// a presence channel).
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// Validates and sends the trigger.
    pub async fn send(self) -> Result<TriggerResponse, Error> {
        let body = self.body()?;
        let (status, bytes) = self
            .pusher
            .request_with_key(
                Method::POST,
                "/events",
                &[],
                Some(body),
                self.idempotency_key.as_deref(),
            )
            .await?;
        parse(status, &bytes)
    }

    /// Validates and signs the trigger without sending it: the request awaiting it would send
    /// (signed with the client's clock), for your own HTTP stack or to send later (within
    /// Pusher's 600 s timestamp window). No retry policy applies; encryption does, with a
    /// fresh nonce.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("3", "key", "secret").build()?;
    /// let request = pusher.trigger("orders", "created", r#"{"id":42}"#).sign()?;
    /// assert_eq!(request.method(), "POST");
    /// assert!(request.url().contains("/apps/3/events?auth_key=key&auth_timestamp="));
    /// assert!(pusher.trigger("bad channel", "e", "x").sign().is_err()); // validated first
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn sign(self) -> Result<SignedRequest, Error> {
        let body = self.body()?;
        self.pusher.sign_post("/events", body, self.idempotency_key)
    }

    /// Validates the trigger and serialises its body (encrypting the data when needed).
    fn body(&self) -> Result<Vec<u8>, Error> {
        let pusher = &self.pusher;
        pusher.check_channels(&self.channels)?;
        channel::check_event_name(&self.event, pusher.inner.limits.max_event_name_len)?;
        if let Some(socket_id) = &self.socket_id {
            channel::check_socket_id(socket_id)?;
        }
        check_info(&self.channels, self.info)?;
        let data = pusher.payload_for(&self.channels, &self.data)?;
        serde_json::to_vec(&WireTrigger {
            name: &self.event,
            data: &data,
            channels: &self.channels,
            socket_id: self.socket_id.as_deref(),
            info: self.info.to_param(),
        })
        .map_err(Error::serialize("trigger body"))
    }
}

impl IntoFuture for Trigger {
    type Output = Result<TriggerResponse, Error>;
    type IntoFuture = BoxFuture<'static, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A batch trigger being prepared; made by [`Pusher::trigger_batch`]. Await it (or call
/// [`send`](Self::send)) to validate and send it.
#[must_use = "a batch does nothing until it is awaited"]
#[derive(Debug)]
pub struct TriggerBatch {
    pusher: Pusher,
    events: Vec<BatchEvent>,
    idempotency_key: Option<String>,
}

impl TriggerBatch {
    /// Sends `X-Idempotency-Key` with the batch (see [`Trigger::idempotency_key`]). A batch split
    /// into several requests sends `{key}-0`, `{key}-1`, … one per request.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Validates and sends the batch.
    pub async fn send(self) -> Result<BatchResponse, Error> {
        self.pusher
            .send_batch(self.events, self.idempotency_key.as_deref())
            .await
    }
}

impl IntoFuture for TriggerBatch {
    type Output = Result<BatchResponse, Error>;
    type IntoFuture = BoxFuture<'static, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// An event for one signed-in user, being prepared; made by [`Pusher::send_to_user`]. Await
/// it (or call [`send`](Self::send)) to validate and send it.
#[must_use = "an event does nothing until it is awaited"]
#[derive(Debug)]
pub struct SendToUser {
    pusher: Pusher,
    user_id: String,
    event: String,
    data: Data,
    idempotency_key: Option<String>,
}

impl SendToUser {
    /// Sends `X-Idempotency-Key` (see [`Trigger::idempotency_key`]): the server delivers the
    /// event once however often the request is repeated, so the client may retry it after a
    /// timeout or a 5xx.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Validates and sends the event to the user's `#server-to-user-{id}` channel.
    pub async fn send(self) -> Result<TriggerResponse, Error> {
        let pusher = &self.pusher;
        channel::check_addressable_user_id(
            &self.user_id,
            pusher.inner.limits.max_channel_name_len,
        )?;
        let channel = format!("{USER_CHANNEL_PREFIX}{}", self.user_id);
        channel::check_event_name(&self.event, pusher.inner.limits.max_event_name_len)?;
        pusher.check_payload_size(self.data.len())?;
        pusher
            .send_trigger(
                &[channel],
                &self.event,
                self.data.as_str(),
                None,
                Info::NONE,
                self.idempotency_key.as_deref(),
            )
            .await
    }
}

impl IntoFuture for SendToUser {
    type Output = Result<TriggerResponse, Error>;
    type IntoFuture = BoxFuture<'static, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A channel listing being prepared; made by [`Pusher::channels`]. Await it to send it.
#[must_use = "a query does nothing until it is awaited"]
#[derive(Debug)]
pub struct ChannelsQuery {
    pusher: Pusher,
    prefix: Option<String>,
    info: Info,
}

impl ChannelsQuery {
    /// Lists only channels whose name starts with `prefix` (e.g. `presence-`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Asks for attributes per channel: only [`Info::USER_COUNT`], with a `presence-` prefix.
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// Validates and sends the query.
    pub async fn send(self) -> Result<ChannelList, Error> {
        if let Some(prefix) = &self.prefix {
            channel::check_channel(prefix, self.pusher.inner.limits.max_channel_name_len)?;
        }
        if self.info.has_subscription_count() {
            return Err(ValidationError::UnsupportedAttribute {
                attribute: "subscription_count",
                call: "channels (it is available for a single channel)",
            }
            .into());
        }
        if self.info.has_user_count()
            && !self
                .prefix
                .as_deref()
                .is_some_and(|p| p.starts_with(PRESENCE_PREFIX))
        {
            return Err(ValidationError::UserCountNeedsPresence {
                channel: self.prefix.clone().unwrap_or_default(),
            }
            .into());
        }
        let info = self.info.to_param();
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(2);
        if let Some(prefix) = &self.prefix {
            params.push(("filter_by_prefix", prefix));
        }
        if let Some(info) = &info {
            params.push(("info", info));
        }
        let (status, bytes) = self
            .pusher
            .request(Method::GET, "/channels", &params, None)
            .await?;
        parse(status, &bytes)
    }
}

impl IntoFuture for ChannelsQuery {
    type Output = Result<ChannelList, Error>;
    type IntoFuture = BoxFuture<'static, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A channel query being prepared; made by [`Pusher::channel`]. Await it to send it.
#[must_use = "a query does nothing until it is awaited"]
#[derive(Debug)]
pub struct ChannelQuery {
    pusher: Pusher,
    name: String,
    info: Info,
}

impl ChannelQuery {
    /// Asks for attributes ([`Info::USER_COUNT`] needs a presence channel).
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// Validates and sends the query.
    pub async fn send(self) -> Result<ChannelInfo, Error> {
        channel::check_channel(&self.name, self.pusher.inner.limits.max_channel_name_len)?;
        check_info(std::slice::from_ref(&self.name), self.info)?;
        let info = self.info.to_param();
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(1);
        if let Some(info) = &info {
            params.push(("info", info));
        }
        let path = format!("/channels/{}", signing::encode_path_segment(&self.name));
        let (status, bytes) = self
            .pusher
            .request(Method::GET, &path, &params, None)
            .await?;
        parse(status, &bytes)
    }
}

impl IntoFuture for ChannelQuery {
    type Output = Result<ChannelInfo, Error>;
    type IntoFuture = BoxFuture<'static, Self::Output>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pusher() -> Pusher {
        Pusher::builder("1", "key", "secret")
            .host("127.0.0.1")
            .port(9)
            .tls(false)
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
            .build()
            .unwrap();
        let s = format!("{p:?}");
        assert!(!s.contains("hunter2"));
        assert!(!s.contains("AAECAw"));
    }
}
