//! Webhook verification and parsing.
//!
//! Pusher POSTs a JSON body `{"time_ms":..,"events":[..]}` and signs it: `X-Pusher-Key` names
//! which of the app's key/secret pairs signed, `X-Pusher-Signature` is the hex HMAC-SHA256 of the
//! raw body under that secret. [`Pusher::verify_webhook`] checks both, in constant time, before
//! it parses anything. The core takes header values as plain strings and the body as bytes, so it
//! works with any web framework (finding the headers, case-insensitively, is the caller's job).

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use serde::de::{DeserializeOwned, Deserializer, Error as _, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::channel::ChannelKind;
use crate::client::Pusher;
use crate::error::{Error, ValidationError};
use crate::signing::Credentials;

/// The header naming the key whose secret signed a webhook.
///
/// ```
/// assert_eq!(pusher_client::WEBHOOK_KEY_HEADER, "X-Pusher-Key");
/// ```
pub const WEBHOOK_KEY_HEADER: &str = "X-Pusher-Key";

/// The header carrying a webhook's signature: hex HMAC-SHA256 of the raw body.
///
/// ```
/// assert_eq!(pusher_client::WEBHOOK_SIGNATURE_HEADER, "X-Pusher-Signature");
/// ```
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Pusher-Signature";

/// Length in bytes of an HMAC-SHA256.
const SIGNATURE_LEN: usize = 32;

/// Why a webhook was refused.
///
/// Messages never contain a secret or the expected signature. `Display` is meant for the
/// server's log (it may advise on configuration); answer the caller with
/// [`client_message`](Self::client_message). Use
/// [`is_auth_failure`](Self::is_auth_failure) (or [`status`](Self::status)) to choose between
/// 401 (not provably from Pusher) and 400 (signed, but not a webhook this code understands).
///
/// ```
/// use pusher_client::{Pusher, WebhookError};
///
/// let pusher = Pusher::builder("1", "key", "secret").build()?;
/// let err = pusher.verify_webhook(Some("key"), None, b"{}").unwrap_err();
/// assert_eq!(err, WebhookError::MissingSignature);
/// assert!(err.is_auth_failure());
/// assert_eq!(err.status(), 401);
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The `X-Pusher-Key` header was absent.
    #[error("webhook refused: the X-Pusher-Key header is missing")]
    MissingKey,
    /// The `X-Pusher-Signature` header was absent.
    #[error("webhook refused: the X-Pusher-Signature header is missing")]
    MissingSignature,
    /// `X-Pusher-Key` named none of the keys this client accepts webhooks from.
    #[error(
        "webhook refused: X-Pusher-Key is not the app key nor a configured webhook key (see PusherBuilder::webhook_key)"
    )]
    UnknownKey,
    /// `X-Pusher-Signature` was not 64 hex digits.
    #[error("webhook refused: X-Pusher-Signature is not a hex HMAC-SHA256 (64 hex digits)")]
    MalformedSignature,
    /// `X-Pusher-Signature` did not match the body under the key's secret.
    #[error("webhook refused: X-Pusher-Signature does not match the body")]
    InvalidSignature,
    /// The webhook's `time_ms` was further in the past than the configured maximum age.
    #[error("webhook refused: it was sent {age:?} ago; the limit is {max:?}")]
    TooOld {
        /// How long ago Pusher sent it, by this client's clock.
        age: Duration,
        /// The configured maximum (see `PusherBuilder::webhook_max_age`).
        max: Duration,
    },
    /// The body was correctly signed but is not a webhook this code can read.
    #[error("webhook body is invalid: {0}")]
    BadPayload(String),
}

impl WebhookError {
    /// `true` when the request cannot be trusted to come from Pusher (missing or unknown key,
    /// bad signature, too old); `false` for a bad payload.
    ///
    /// ```
    /// use pusher_client::WebhookError;
    ///
    /// assert!(WebhookError::InvalidSignature.is_auth_failure());
    /// assert!(!WebhookError::BadPayload("not JSON".into()).is_auth_failure());
    /// ```
    pub fn is_auth_failure(&self) -> bool {
        !matches!(self, WebhookError::BadPayload(_))
    }

    /// A short text for the caller's response: the reason's category only ("unknown key",
    /// "invalid signature", "webhook too old", "malformed body", …).
    ///
    /// `Display` is for the server's log: it says what to check or configure (such as
    /// `PusherBuilder::webhook_key`) and, for a body that does not parse, what the parser
    /// found. That advice is for the operator, so a response should carry this text instead.
    /// Neither ever contains a secret or the expected signature.
    ///
    /// ```
    /// use pusher_client::WebhookError;
    ///
    /// let error = WebhookError::UnknownKey;
    /// assert_eq!(error.client_message(), "unknown key");
    /// assert!(error.to_string().contains("PusherBuilder::webhook_key")); // for the log
    /// assert_eq!(WebhookError::BadPayload("expected `,`".into()).client_message(), "malformed body");
    /// ```
    pub fn client_message(&self) -> &'static str {
        match self {
            WebhookError::MissingKey => "missing X-Pusher-Key header",
            WebhookError::MissingSignature => "missing X-Pusher-Signature header",
            WebhookError::UnknownKey => "unknown key",
            WebhookError::MalformedSignature => "malformed signature",
            WebhookError::InvalidSignature => "invalid signature",
            WebhookError::TooOld { .. } => "webhook too old",
            WebhookError::BadPayload(_) => "malformed body",
        }
    }

    /// The HTTP status to answer with: 401 for an authentication failure, 400 otherwise.
    ///
    /// ```
    /// assert_eq!(pusher_client::WebhookError::UnknownKey.status(), 401);
    /// assert_eq!(pusher_client::WebhookError::BadPayload(String::new()).status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        if self.is_auth_failure() { 401 } else { 400 }
    }
}

/// A verified webhook: when Pusher sent it and what happened.
///
/// Several events arrive in one webhook when batching is on in the app's settings.
///
/// ```
/// use pusher_client::{Webhook, WebhookEvent};
///
/// let body = r#"{"time_ms":1327078148132,"events":[
///     {"name":"channel_occupied","channel":"room"},
///     {"name":"member_added","channel":"presence-room","user_id":42},
///     {"name":"brand_new_event","channel":"room","detail":true}
/// ]}"#;
/// let webhook: Webhook = serde_json::from_str(body)?;
/// assert_eq!(webhook.time_ms, 1327078148132);
/// assert_eq!(webhook.events[0], WebhookEvent::ChannelOccupied { channel: "room".into() });
/// assert_eq!(webhook.events[1].name(), "member_added");
/// assert_eq!(webhook.events[2].name(), "brand_new_event"); // kept as WebhookEvent::Unknown
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// When Pusher sent it, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The events, in the order Pusher listed them.
    pub events: Vec<WebhookEvent>,
}

/// One event of a [`Webhook`].
///
/// Parsed leniently: unknown fields are ignored, user ids may be strings or integers (kept as
/// strings), and an event name this version does not know is kept as
/// [`Unknown`](WebhookEvent::Unknown) rather than refused, so a new kind of event never makes
/// your endpoint fail.
///
/// ```
/// use pusher_client::WebhookEvent;
///
/// let event: WebhookEvent = serde_json::from_str(
///     r#"{"name":"client_event","channel":"private-chat","event":"client-typing",
///         "data":"{}","socket_id":"1.2","user_id":"ada"}"#,
/// )?;
/// match &event {
///     WebhookEvent::ClientEvent { event, user_id, .. } => {
///         assert_eq!(event, "client-typing");
///         assert_eq!(user_id.as_deref(), Some("ada"));
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// assert_eq!(event.channel(), Some("private-chat"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `channel_occupied`: the channel got its first subscriber.
    ChannelOccupied {
        /// The channel.
        channel: String,
    },
    /// `channel_vacated`: the channel lost its last subscriber.
    ChannelVacated {
        /// The channel.
        channel: String,
    },
    /// `member_added`: a user joined a presence channel.
    MemberAdded {
        /// The presence channel.
        channel: String,
        /// The user's id.
        user_id: String,
    },
    /// `member_removed`: a user left a presence channel.
    MemberRemoved {
        /// The presence channel.
        channel: String,
        /// The user's id.
        user_id: String,
    },
    /// `client_event`: a client sent an event on a private or presence channel.
    ClientEvent {
        /// The channel.
        channel: String,
        /// The event name (`client-…`).
        event: String,
        /// The event's data as sent (encrypted on `private-encrypted-` channels: see
        /// [`Pusher::decrypt_client_event`]). Non-string data is kept as its JSON text.
        data: String,
        /// The sending connection's socket id.
        socket_id: Option<String>,
        /// The sending user's id, on presence channels.
        user_id: Option<String>,
    },
    /// `cache_miss`: a client subscribed to a `cache-` channel that had no cached event.
    CacheMiss {
        /// The channel.
        channel: String,
    },
    /// `subscription_count`: the channel's subscription count changed.
    SubscriptionCount {
        /// The channel.
        channel: String,
        /// The new count.
        subscription_count: u64,
    },
    /// An event this version does not know.
    Unknown {
        /// Its `name`.
        name: String,
        /// The whole event object, as received.
        payload: Value,
    },
}

impl WebhookEvent {
    /// The event's name as Pusher sends it (`channel_occupied`, `member_added`, …).
    ///
    /// ```
    /// use pusher_client::WebhookEvent;
    ///
    /// let event = WebhookEvent::CacheMiss { channel: "cache-a".into() };
    /// assert_eq!(event.name(), "cache_miss");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            WebhookEvent::ChannelOccupied { .. } => "channel_occupied",
            WebhookEvent::ChannelVacated { .. } => "channel_vacated",
            WebhookEvent::MemberAdded { .. } => "member_added",
            WebhookEvent::MemberRemoved { .. } => "member_removed",
            WebhookEvent::ClientEvent { .. } => "client_event",
            WebhookEvent::CacheMiss { .. } => "cache_miss",
            WebhookEvent::SubscriptionCount { .. } => "subscription_count",
            WebhookEvent::Unknown { name, .. } => name,
        }
    }

    /// The channel the event is about (for an unknown event, its `channel` string field if any).
    ///
    /// ```
    /// use pusher_client::WebhookEvent;
    ///
    /// let event = WebhookEvent::ChannelVacated { channel: "room".into() };
    /// assert_eq!(event.channel(), Some("room"));
    /// ```
    pub fn channel(&self) -> Option<&str> {
        match self {
            WebhookEvent::ChannelOccupied { channel }
            | WebhookEvent::ChannelVacated { channel }
            | WebhookEvent::MemberAdded { channel, .. }
            | WebhookEvent::MemberRemoved { channel, .. }
            | WebhookEvent::ClientEvent { channel, .. }
            | WebhookEvent::CacheMiss { channel }
            | WebhookEvent::SubscriptionCount { channel, .. } => Some(channel),
            WebhookEvent::Unknown { payload, .. } => payload.get("channel")?.as_str(),
        }
    }

    fn from_fields(mut fields: EventFields) -> Result<Self, String> {
        let Some(Value::String(name)) = fields.take(Field::Name) else {
            return Err("an event has no \"name\" string".into());
        };
        let string = |fields: &mut EventFields, field: Field| -> Result<String, String> {
            match fields.take(field) {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(format!("{name} event: {} is not a string", field.as_str())),
                None => Err(format!("{name} event: {} is missing", field.as_str())),
            }
        };
        let id = |fields: &mut EventFields, field: Field| -> Result<Option<String>, String> {
            match fields.take(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
                Some(_) => Err(format!(
                    "{name} event: {} is not a string or an integer",
                    field.as_str()
                )),
            }
        };
        let required_id = |fields: &mut EventFields, field: Field| -> Result<String, String> {
            id(fields, field)?.ok_or_else(|| format!("{name} event: {} is missing", field.as_str()))
        };
        let f = &mut fields;
        let event = match name.as_str() {
            "channel_occupied" => WebhookEvent::ChannelOccupied {
                channel: string(f, Field::Channel)?,
            },
            "channel_vacated" => WebhookEvent::ChannelVacated {
                channel: string(f, Field::Channel)?,
            },
            "member_added" => WebhookEvent::MemberAdded {
                channel: string(f, Field::Channel)?,
                user_id: required_id(f, Field::UserId)?,
            },
            "member_removed" => WebhookEvent::MemberRemoved {
                channel: string(f, Field::Channel)?,
                user_id: required_id(f, Field::UserId)?,
            },
            "client_event" => WebhookEvent::ClientEvent {
                channel: string(f, Field::Channel)?,
                event: string(f, Field::Event)?,
                data: match f.take(Field::Data) {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => return Err(format!("{name} event: data is missing")),
                },
                socket_id: id(f, Field::SocketId)?,
                user_id: id(f, Field::UserId)?,
            },
            "cache_miss" => WebhookEvent::CacheMiss {
                channel: string(f, Field::Channel)?,
            },
            "subscription_count" => WebhookEvent::SubscriptionCount {
                channel: string(f, Field::Channel)?,
                subscription_count: match f.take(Field::SubscriptionCount) {
                    Some(Value::Number(n)) => n.as_u64(),
                    Some(Value::String(s)) => s.parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| {
                    format!("{name} event: subscription_count is missing or not a whole number")
                })?,
            },
            _ => {
                let mut payload = fields.into_map();
                payload.insert("name".into(), Value::String(name.clone()));
                return Ok(WebhookEvent::Unknown {
                    name,
                    payload: Value::Object(payload),
                });
            }
        };
        Ok(event)
    }

    fn to_object(&self) -> Map<String, Value> {
        let mut map = Map::new();
        let mut put = |key: &str, value: Value| {
            map.insert(key.to_owned(), value);
        };
        if let WebhookEvent::Unknown {
            payload: Value::Object(object),
            ..
        } = self
        {
            for (key, value) in object {
                put(key, value.clone());
            }
        }
        put("name", Value::String(self.name().to_owned()));
        let text = |s: &str| Value::String(s.to_owned());
        match self {
            WebhookEvent::ChannelOccupied { channel }
            | WebhookEvent::ChannelVacated { channel }
            | WebhookEvent::CacheMiss { channel } => put("channel", text(channel)),
            WebhookEvent::MemberAdded { channel, user_id }
            | WebhookEvent::MemberRemoved { channel, user_id } => {
                put("channel", text(channel));
                put("user_id", text(user_id));
            }
            WebhookEvent::ClientEvent {
                channel,
                event,
                data,
                socket_id,
                user_id,
            } => {
                put("channel", text(channel));
                put("event", text(event));
                put("data", text(data));
                if let Some(socket_id) = socket_id {
                    put("socket_id", text(socket_id));
                }
                if let Some(user_id) = user_id {
                    put("user_id", text(user_id));
                }
            }
            WebhookEvent::SubscriptionCount {
                channel,
                subscription_count,
            } => {
                put("channel", text(channel));
                put("subscription_count", Value::from(*subscription_count));
            }
            WebhookEvent::Unknown { .. } => {}
        }
        map
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = d.deserialize_map(EventFieldsVisitor)?;
        WebhookEvent::from_fields(fields).map_err(D::Error::custom)
    }
}

/// The fields a known event can have, each in its own slot, so an event is parsed without
/// allocating its keys or building a map; anything else is kept for unknown events only.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Channel,
    UserId,
    Event,
    Data,
    SocketId,
    SubscriptionCount,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Name,
        Field::Channel,
        Field::UserId,
        Field::Event,
        Field::Data,
        Field::SocketId,
        Field::SubscriptionCount,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Channel => "channel",
            Field::UserId => "user_id",
            Field::Event => "event",
            Field::Data => "data",
            Field::SocketId => "socket_id",
            Field::SubscriptionCount => "subscription_count",
        }
    }

    fn of(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == key)
    }
}

/// One event object as received: known fields in slots (the last of duplicates wins, as in a
/// JSON map), the rest by name.
#[derive(Default)]
struct EventFields {
    slots: [Option<Value>; 7],
    rest: Map<String, Value>,
}

impl EventFields {
    fn take(&mut self, field: Field) -> Option<Value> {
        self.slots[field as usize].take()
    }

    /// Everything still held, as the JSON object it came from.
    fn into_map(self) -> Map<String, Value> {
        let mut map = self.rest;
        for (field, value) in Field::ALL.into_iter().zip(self.slots) {
            if let Some(value) = value {
                map.insert(field.as_str().to_owned(), value);
            }
        }
        map
    }
}

/// An event object's key: a known field (matched without allocating) or any other name.
enum Key {
    Known(Field),
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(Field::of(key).map_or_else(|| Key::Other(key.to_owned()), Key::Known))
            }
            fn visit_string<E: serde::de::Error>(self, key: String) -> Result<Key, E> {
                Ok(Field::of(&key).map_or(Key::Other(key), Key::Known))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct EventFieldsVisitor;

impl<'de> Visitor<'de> for EventFieldsVisitor {
    type Value = EventFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<EventFields, A::Error> {
        let mut fields = EventFields::default();
        while let Some(key) = access.next_key::<Key>()? {
            let value: Value = access.next_value()?;
            match key {
                Key::Known(field) => fields.slots[field as usize] = Some(value),
                Key::Other(name) => {
                    fields.rest.insert(name, value);
                }
            }
        }
        Ok(fields)
    }
}

/// Serialises to the wire form Pusher sends (an unknown event: its payload, with its name).
impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_object().serialize(s)
    }
}

/// A body's signature, as Pusher would send it: the two header values.
///
/// Made by [`Pusher::sign_webhook`] so tests can send a correctly signed webhook to their own
/// handler.
///
/// ```
/// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
/// let signed = pusher.sign_webhook(br#"{"time_ms":1,"events":[]}"#);
/// for (name, value) in signed.headers() {
///     println!("{name}: {value}"); // X-Pusher-Key: key, X-Pusher-Signature: <hex>
/// }
/// assert_eq!(signed.key, "key");
/// # Ok::<(), pusher_client::Error>(())
/// ```
///
/// Its `Debug` shows the key but not the signature: a valid signature lets anyone replay the
/// body it signs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WebhookSignature {
    /// The `X-Pusher-Key` value.
    pub key: String,
    /// The `X-Pusher-Signature` value: hex HMAC-SHA256 of the body.
    pub signature: String,
}

impl WebhookSignature {
    /// The header names and values to send.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// let signed = pusher.sign_webhook(b"{}");
    /// let headers = signed.headers();
    /// assert_eq!(headers[0], ("X-Pusher-Key", "key"));
    /// assert_eq!(headers[1].0, "X-Pusher-Signature");
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn headers(&self) -> [(&'static str, &str); 2] {
        [
            (WEBHOOK_KEY_HEADER, &self.key),
            (WEBHOOK_SIGNATURE_HEADER, &self.signature),
        ]
    }
}

impl fmt::Debug for WebhookSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSignature")
            .field("key", &self.key)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Signs `body` as Pusher signs webhooks: hex HMAC-SHA256 under `secret`.
///
/// For tests that need a webhook signed by some other key/secret pair; with the client's own
/// credentials, use [`Pusher::sign_webhook`].
///
/// ```
/// let signature = pusher_client::sign_webhook("secret", b"{}");
/// assert_eq!(signature.len(), 64);
/// ```
pub fn sign_webhook(secret: &str, body: &[u8]) -> String {
    Credentials::new("", secret).sign_hex(&[body])
}

/// Just the timestamp of a webhook body, for the age check of caller-defined payloads.
#[derive(Deserialize)]
struct TimeOnly {
    time_ms: u64,
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebhookError> {
    // One UTF-8 check of the whole body (JSON is UTF-8) is much cheaper than serde_json's check
    // of every string in turn; anything it refuses, `from_slice` would refuse too.
    let text = std::str::from_utf8(body)
        .map_err(|e| WebhookError::BadPayload(format!("the body is not UTF-8: {e}")))?;
    serde_json::from_str(text).map_err(|e| WebhookError::BadPayload(e.to_string()))
}

impl Pusher {
    /// Verifies a webhook and parses it.
    ///
    /// `key` and `signature` are the raw `X-Pusher-Key` and `X-Pusher-Signature` header values
    /// (`None` when the header is absent); `body` is the exact bytes received. The key picks the
    /// secret among the app's own and those added with `PusherBuilder::webhook_key`; the
    /// signature is checked in constant time before the body is parsed.
    ///
    /// With `PusherBuilder::webhook_max_age` set, a webhook whose `time_ms` is older is refused
    /// with [`WebhookError::TooOld`]. A `time_ms` ahead of this client's clock is accepted: it
    /// can only be clock skew, since only Pusher can sign.
    ///
    /// ```
    /// use pusher_client::{Pusher, WebhookEvent};
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let body = br#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"room"}]}"#;
    /// // In a handler these come from the request; here the test helper signs the body.
    /// let signed = pusher.sign_webhook(body);
    /// let webhook = pusher.verify_webhook(Some(&signed.key), Some(&signed.signature), body)?;
    /// for event in &webhook.events {
    ///     if let WebhookEvent::ChannelOccupied { channel } = event {
    ///         println!("{channel} is occupied");
    ///     }
    /// }
    /// assert!(pusher.verify_webhook(Some("key"), Some(&signed.signature), b"{}").is_err());
    /// # Ok(()) }
    /// # run().unwrap();
    /// ```
    pub fn verify_webhook(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Webhook, WebhookError> {
        self.check_webhook_signature(key, signature, body)?;
        let webhook: Webhook = parse_body(body)?;
        self.check_webhook_age(webhook.time_ms)?;
        Ok(webhook)
    }

    /// Verifies a webhook exactly as [`verify_webhook`](Self::verify_webhook) does, then
    /// parses the body as your own type `T`.
    ///
    /// With a maximum age configured, the body must also carry a numeric `time_ms`.
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Names { events: Vec<Name> }
    /// #[derive(serde::Deserialize)]
    /// struct Name { name: String }
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let body = br#"{"time_ms":1,"events":[{"name":"cache_miss","channel":"cache-a"}]}"#;
    /// let signed = pusher.sign_webhook(body);
    /// let names: Names = pusher.verify_webhook_as(Some(&signed.key), Some(&signed.signature), body)?;
    /// assert_eq!(names.events[0].name, "cache_miss");
    /// # Ok(()) }
    /// # run().unwrap();
    /// ```
    pub fn verify_webhook_as<T: DeserializeOwned>(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<T, WebhookError> {
        self.check_webhook_signature(key, signature, body)?;
        if self.inner.webhook_max_age.is_some() {
            let stamp: TimeOnly = parse_body(body)?;
            self.check_webhook_age(stamp.time_ms)?;
        }
        parse_body(body)
    }

    /// Signs `body` with this client's key and secret, as Pusher would: for testing your own
    /// webhook handler end to end.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// let body = br#"{"time_ms":1,"events":[]}"#;
    /// let signed = pusher.sign_webhook(body);
    /// assert_eq!(signed.signature, pusher_client::sign_webhook("secret", body));
    /// assert!(pusher.verify_webhook(Some(&signed.key), Some(&signed.signature), body).is_ok());
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn sign_webhook(&self, body: &[u8]) -> WebhookSignature {
        let credentials = &self.inner.credentials;
        WebhookSignature {
            key: credentials.key.clone(),
            signature: credentials.sign_hex(&[body]),
        }
    }

    /// The plaintext data of a `client_event`: decrypted with the channel's key on a
    /// `private-encrypted-` channel, as sent on any other channel.
    ///
    /// Decryption is [`Pusher::decrypt`]'s. Errors: [`ValidationError::NotClientEvent`] for
    /// other events; [`Error::Crypto`] when no master key is configured, when the data does not
    /// authenticate under the channel's key, or when it is not an encrypted payload or not UTF-8
    /// once decrypted.
    ///
    /// ```
    /// use pusher_client::{Pusher, WebhookEvent};
    ///
    /// # fn run(pusher: Pusher, webhook: pusher_client::Webhook) -> Result<(), pusher_client::Error> {
    /// for event in &webhook.events {
    ///     if let WebhookEvent::ClientEvent { channel, .. } = event {
    ///         let text = pusher.decrypt_client_event(event)?;
    ///         println!("{channel}: {text}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn decrypt_client_event(&self, event: &WebhookEvent) -> Result<String, Error> {
        let WebhookEvent::ClientEvent { channel, data, .. } = event else {
            return Err(ValidationError::NotClientEvent {
                name: event.name().to_owned(),
            }
            .into());
        };
        if ChannelKind::of(channel) != ChannelKind::PrivateEncrypted {
            return Ok(data.clone());
        }
        self.decrypt(channel, data)
    }

    /// Checks the two webhook headers before the body is read: both present, the key one this
    /// client accepts, the signature well-formed hex of the right length. Framework adapters
    /// call it to refuse forged requests without reading their bodies;
    /// [`verify_webhook`](Self::verify_webhook) repeats it.
    ///
    /// ```
    /// use pusher_client::{Pusher, WebhookError};
    ///
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let sig = "0".repeat(64);
    /// assert!(pusher.check_webhook_headers(Some("key"), Some(&sig)).is_ok());
    /// assert_eq!(pusher.check_webhook_headers(Some("other"), Some(&sig)), Err(WebhookError::UnknownKey));
    /// assert_eq!(pusher.check_webhook_headers(Some("key"), Some("zz")), Err(WebhookError::MalformedSignature));
    /// assert_eq!(pusher.check_webhook_headers(None, Some(&sig)), Err(WebhookError::MissingKey));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn check_webhook_headers(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
    ) -> Result<(), WebhookError> {
        let key = key.ok_or(WebhookError::MissingKey)?.trim();
        let signature = signature.ok_or(WebhookError::MissingSignature)?.trim();
        if !self.inner.webhook_credentials.iter().any(|c| c.key == key) {
            return Err(WebhookError::UnknownKey);
        }
        if signature.len() != SIGNATURE_LEN * 2 || !signature.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(WebhookError::MalformedSignature);
        }
        Ok(())
    }

    fn check_webhook_signature(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        self.check_webhook_headers(key, signature)?;
        let key = key.unwrap_or_default().trim();
        let signature_hex = signature.unwrap_or_default().trim();
        let mut candidates = self
            .inner
            .webhook_credentials
            .iter()
            .filter(|c| c.key == key);
        let mut signature = [0u8; SIGNATURE_LEN];
        hex::decode_to_slice(signature_hex, &mut signature)
            .map_err(|_| WebhookError::MalformedSignature)?;
        // Every pair with this key is tried (a secret may be rotated under the same key).
        if candidates.any(|c| c.verify(body, &signature)) {
            Ok(())
        } else {
            Err(WebhookError::InvalidSignature)
        }
    }

    fn check_webhook_age(&self, time_ms: u64) -> Result<(), WebhookError> {
        let Some(max) = self.inner.webhook_max_age else {
            return Ok(());
        };
        let now_ms = (self.inner.clock)()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let age = Duration::from_millis(now_ms.saturating_sub(time_ms));
        if age > max {
            Err(WebhookError::TooOld { age, max })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialize_round_trips() {
        let events = vec![
            WebhookEvent::ChannelOccupied {
                channel: "a".into(),
            },
            WebhookEvent::ChannelVacated {
                channel: "a".into(),
            },
            WebhookEvent::MemberAdded {
                channel: "presence-a".into(),
                user_id: "1".into(),
            },
            WebhookEvent::MemberRemoved {
                channel: "presence-a".into(),
                user_id: "1".into(),
            },
            WebhookEvent::ClientEvent {
                channel: "private-a".into(),
                event: "client-x".into(),
                data: "{}".into(),
                socket_id: Some("1.2".into()),
                user_id: None,
            },
            WebhookEvent::CacheMiss {
                channel: "cache-a".into(),
            },
            WebhookEvent::SubscriptionCount {
                channel: "a".into(),
                subscription_count: 3,
            },
            WebhookEvent::Unknown {
                name: "new".into(),
                payload: json!({"name": "new", "channel": "a", "x": [1]}),
            },
        ];
        let webhook = Webhook { time_ms: 5, events };
        let text = serde_json::to_string(&webhook).unwrap();
        let back: Webhook = serde_json::from_str(&text).unwrap();
        assert_eq!(back, webhook);
        assert_eq!(back.events[7].channel(), Some("a"));
    }

    #[test]
    fn lenient_fields() {
        let e: WebhookEvent = serde_json::from_str(
            r#"{"name":"client_event","channel":"c","event":"client-e","data":{"a":1},"user_id":7,"socket_id":null}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            WebhookEvent::ClientEvent {
                channel: "c".into(),
                event: "client-e".into(),
                data: r#"{"a":1}"#.into(),
                socket_id: None,
                user_id: Some("7".into()),
            }
        );
        let e: WebhookEvent = serde_json::from_str(
            r#"{"name":"subscription_count","channel":"c","subscription_count":"4"}"#,
        )
        .unwrap();
        assert_eq!(e.channel(), Some("c"));
        for bad in [
            r#"{"channel":"c"}"#,
            r#"{"name":5}"#,
            r#"{"name":"channel_occupied"}"#,
            r#"{"name":"member_added","channel":"c"}"#,
            r#"{"name":"member_added","channel":"c","user_id":1.5}"#,
            r#"{"name":"subscription_count","channel":"c","subscription_count":-1}"#,
            r#"{"name":"client_event","channel":"c","event":"e"}"#,
            r#"[]"#,
        ] {
            assert!(serde_json::from_str::<WebhookEvent>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_mapping() {
        for e in [
            WebhookError::MissingKey,
            WebhookError::MissingSignature,
            WebhookError::UnknownKey,
            WebhookError::MalformedSignature,
            WebhookError::InvalidSignature,
            WebhookError::TooOld {
                age: Duration::from_secs(2),
                max: Duration::from_secs(1),
            },
        ] {
            assert_eq!(e.status(), 401, "{e}");
        }
        assert_eq!(WebhookError::BadPayload("x".into()).status(), 400);
    }

    #[test]
    fn client_messages_carry_no_advice_nor_details() {
        let all = [
            WebhookError::MissingKey,
            WebhookError::MissingSignature,
            WebhookError::UnknownKey,
            WebhookError::MalformedSignature,
            WebhookError::InvalidSignature,
            WebhookError::TooOld {
                age: Duration::from_secs(7_777),
                max: Duration::from_secs(60),
            },
            WebhookError::BadPayload("expected value at line 1 column 9 near SECRET-ISH".into()),
        ];
        let messages: Vec<&str> = all.iter().map(WebhookError::client_message).collect();
        assert_eq!(
            messages,
            [
                "missing X-Pusher-Key header",
                "missing X-Pusher-Signature header",
                "unknown key",
                "malformed signature",
                "invalid signature",
                "webhook too old",
                "malformed body",
            ]
        );
        // The log text keeps the advice and details the response leaves out.
        assert!(all[2].to_string().contains("PusherBuilder::webhook_key"));
        assert!(all[5].to_string().contains("7777"));
        assert!(all[6].to_string().contains("line 1 column 9"));
        for message in messages {
            for detail in ["PusherBuilder", "webhook_key", "7777", "line 1", "SECRET"] {
                assert!(!message.contains(detail), "{message}");
            }
        }
    }

    #[test]
    fn a_signature_is_redacted_in_debug() {
        let pusher = Pusher::builder("1", "key", "secret").build().unwrap();
        let signed = pusher.sign_webhook(br#"{"time_ms":1,"events":[]}"#);
        let debug = format!("{signed:?}");
        assert!(!debug.contains(&signed.signature), "{debug}");
        assert!(!debug.contains("secret"), "{debug}");
        assert_eq!(
            debug,
            r#"WebhookSignature { key: "key", signature: "<redacted>" }"#
        );
    }
}
