//! [`WebhookRequest`]: a webhook signed as Pusher signs it, for your webhook handler's tests.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use pusher_client::WebhookEvent;
use serde_json::{Value, json};

use crate::crypto::{ENCRYPTED_PREFIX, encrypt, master_key_from_base64};
use crate::request::{into_request, json_request};
use crate::verify::hmac_sha256_hex;

/// The path [`WebhookRequest`] posts to unless told otherwise.
pub const DEFAULT_WEBHOOK_PATH: &str = "/webhooks";

/// A webhook as Pusher sends it: `POST`, `Content-Type: application/json`, the body
/// `{"time_ms":..,"events":[..]}`, and the `X-Pusher-Key` and `X-Pusher-Signature` headers
/// (hex HMAC-SHA256 of the body with the app secret). Signed by this crate's own code, not
/// `pusher_client`'s.
///
/// Build it from typed events, then turn it into an `http::Request` for your framework's test
/// harness: axum's `Router::oneshot`, or actix-web's `TestRequest` (see the crate docs).
///
/// ```
/// use pusher_testing::WebhookRequest;
///
/// let request = WebhookRequest::new("app-key", "app-secret")
///     .channel_occupied("orders")
///     .member_added("presence-lobby", "ada")
///     .client_event("private-chat", "client-typing", r#"{"on":true}"#, "123.456")
///     .build(); // http::Request<bytes::Bytes>
///
/// assert_eq!(request.method(), "POST");
/// assert_eq!(request.uri(), "/webhooks");
/// assert_eq!(request.headers()["x-pusher-key"], "app-key");
///
/// // What pusher_client (and so pusher-axum / pusher-actix) makes of it:
/// let pusher = pusher_client::Pusher::builder("1", "app-key", "app-secret").build()?;
/// let headers = request.headers();
/// let webhook = pusher.verify_webhook(
///     headers["x-pusher-key"].to_str().ok(),
///     headers["x-pusher-signature"].to_str().ok(),
///     request.body(),
/// )?;
/// assert_eq!(webhook.events.len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use = "a webhook request does nothing until built and sent"]
pub struct WebhookRequest {
    key: String,
    secret: String,
    master_key: Option<[u8; 32]>,
    events: Vec<Value>,
    time_ms: Option<u64>,
    path: String,
    bad_signature: bool,
}

impl fmt::Debug for WebhookRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .field("master_key", &self.master_key.map(|_| "<redacted>"))
            .field("events", &self.events)
            .field("time_ms", &self.time_ms)
            .field("path", &self.path)
            .field("bad_signature", &self.bad_signature)
            .finish()
    }
}

impl WebhookRequest {
    /// A webhook signed with this app key and secret, with no events yet.
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        WebhookRequest {
            key: key.into(),
            secret: secret.into(),
            master_key: None,
            events: Vec::new(),
            time_ms: None,
            path: DEFAULT_WEBHOOK_PATH.to_owned(),
            bad_signature: false,
        }
    }

    /// The encryption master key: client events on `private-encrypted-` channels added after
    /// this are encrypted with it, as pusher-js sends them.
    pub fn master_key(mut self, key: [u8; 32]) -> Self {
        self.master_key = Some(key);
        self
    }

    /// [`master_key`](Self::master_key) from standard base64.
    ///
    /// # Panics
    /// If `key` is not standard base64 of exactly 32 bytes (a mistake in the test's setup).
    pub fn master_key_base64(self, key: &str) -> Self {
        match master_key_from_base64(key) {
            Ok(key) => self.master_key(key),
            Err(e) => panic!("WebhookRequest::master_key_base64: {e}"),
        }
    }

    /// The path to post to (default [`DEFAULT_WEBHOOK_PATH`], `/webhooks`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The body's `time_ms` (default: now).
    pub fn time_ms(mut self, time_ms: u64) -> Self {
        self.time_ms = Some(time_ms);
        self
    }

    /// Sends a signature that does not match the body (for testing that your route refuses
    /// forged webhooks).
    pub fn bad_signature(mut self) -> Self {
        self.bad_signature = true;
        self
    }

    /// Adds a typed event, serialised as Pusher sends it.
    pub fn event(mut self, event: WebhookEvent) -> Self {
        self.events
            .push(serde_json::to_value(&event).unwrap_or(Value::Null));
        self
    }

    /// Adds an event given as raw JSON (any `name`, any fields).
    pub fn raw_event(mut self, event: Value) -> Self {
        self.events.push(event);
        self
    }

    /// Adds `channel_occupied`.
    pub fn channel_occupied(self, channel: impl Into<String>) -> Self {
        self.raw_event(json!({"name": "channel_occupied", "channel": channel.into()}))
    }

    /// Adds `channel_vacated`.
    pub fn channel_vacated(self, channel: impl Into<String>) -> Self {
        self.raw_event(json!({"name": "channel_vacated", "channel": channel.into()}))
    }

    /// Adds `member_added`.
    pub fn member_added(self, channel: impl Into<String>, user_id: impl Into<String>) -> Self {
        self.raw_event(
            json!({"name": "member_added", "channel": channel.into(), "user_id": user_id.into()}),
        )
    }

    /// Adds `member_removed`.
    pub fn member_removed(self, channel: impl Into<String>, user_id: impl Into<String>) -> Self {
        self.raw_event(
            json!({"name": "member_removed", "channel": channel.into(), "user_id": user_id.into()}),
        )
    }

    /// Adds `cache_miss`.
    pub fn cache_miss(self, channel: impl Into<String>) -> Self {
        self.raw_event(json!({"name": "cache_miss", "channel": channel.into()}))
    }

    /// Adds `subscription_count`.
    pub fn subscription_count(self, channel: impl Into<String>, count: u64) -> Self {
        self.raw_event(json!({
            "name": "subscription_count",
            "channel": channel.into(),
            "subscription_count": count,
        }))
    }

    /// Adds a `client_event` sent by socket `socket_id`. On a `private-encrypted-` channel,
    /// with a [`master_key`](Self::master_key), `data` is encrypted as pusher-js would.
    pub fn client_event(
        self,
        channel: impl Into<String>,
        event: impl Into<String>,
        data: impl Into<String>,
        socket_id: impl Into<String>,
    ) -> Self {
        self.client_event_inner(
            channel.into(),
            event.into(),
            data.into(),
            socket_id.into(),
            None,
        )
    }

    /// Adds a `client_event` on a presence channel, sent by `user_id` from socket `socket_id`.
    pub fn presence_client_event(
        self,
        channel: impl Into<String>,
        event: impl Into<String>,
        data: impl Into<String>,
        socket_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        self.client_event_inner(
            channel.into(),
            event.into(),
            data.into(),
            socket_id.into(),
            Some(user_id.into()),
        )
    }

    fn client_event_inner(
        self,
        channel: String,
        event: String,
        data: String,
        socket_id: String,
        user_id: Option<String>,
    ) -> Self {
        let data = match self.master_key {
            Some(key) if channel.starts_with(ENCRYPTED_PREFIX) => {
                encrypt(&key, &channel, data.as_bytes())
            }
            _ => data,
        };
        let mut value = json!({
            "name": "client_event",
            "channel": channel,
            "event": event,
            "data": data,
            "socket_id": socket_id,
        });
        if let (Some(user_id), Value::Object(map)) = (user_id, &mut value) {
            map.insert("user_id".into(), Value::String(user_id));
        }
        self.raw_event(value)
    }

    /// The body: `{"time_ms":..,"events":[..]}`.
    pub fn body(&self) -> Bytes {
        let time_ms = self.time_ms.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        });
        Bytes::from(json!({"time_ms": time_ms, "events": self.events}).to_string())
    }

    /// The `X-Pusher-Signature` for `body`.
    pub fn signature_for(&self, body: &[u8]) -> String {
        if self.bad_signature {
            hmac_sha256_hex(&format!("not-{}", self.secret), body)
        } else {
            hmac_sha256_hex(&self.secret, body)
        }
    }

    /// The request, its body as `Bytes`.
    ///
    /// # Panics
    /// If the [`path`](Self::path) or the key is not valid in an HTTP request.
    pub fn build(&self) -> http::Request<Bytes> {
        let body = self.body();
        let signature = self.signature_for(&body);
        let headers = [
            ("x-pusher-key", self.key.as_str()),
            ("x-pusher-signature", signature.as_str()),
        ];
        json_request(&self.path, &headers, body)
    }

    /// The request with any body type made from `Bytes`: `axum::body::Body`, `String`,
    /// `Vec<u8>`, `http_body_util::Full<Bytes>`…
    ///
    /// ```
    /// let request: http::Request<Vec<u8>> =
    ///     pusher_testing::WebhookRequest::new("k", "s").channel_vacated("c").into_request();
    /// assert!(request.body().starts_with(b"{"));
    /// ```
    ///
    /// # Panics
    /// As [`build`](Self::build).
    pub fn into_request<B: From<Bytes>>(&self) -> http::Request<B> {
        into_request(self.build())
    }
}
