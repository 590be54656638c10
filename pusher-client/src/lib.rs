//! # pusher-client
//!
//! A fast, careful client for the [Pusher Channels](https://pusher.com/channels) HTTP API. It
//! works with Pusher's cloud and with any Pusher-protocol server (sockudo, soketi), and is the
//! core of the `pusher-axum` and `pusher-actix` crates.
//!
//! - **Trigger** events on one or many channels, in batches of any length, to a single user,
//!   excluding a connection, with channel counts in the answer.
//! - **Query** occupied channels, one channel's state and a presence channel's users; disconnect
//!   a user.
//! - **Authorize** private, presence and end-to-end encrypted channels, and **authenticate** users,
//!   for pusher-js.
//! - **Verify** webhooks (constant-time, key rotation, optional age limit) into typed events.
//! - **Encrypt** `private-encrypted-` channels end to end.
//!
//! Everything is validated before a request is sent, errors are typed, and no error, log line or
//! `Debug` output ever shows the app secret or the encryption key.
//!
//! ## Making a client
//!
//! Build one [`Pusher`] at start-up and share it: it is cheap to clone, and all clones use one
//! keep-alive connection pool.
//!
//! ```
//! use std::time::Duration;
//! use pusher_client::Pusher;
//!
//! // From the credentials on your app's "App Keys" page:
//! let pusher = Pusher::builder("123456", "app-key", "app-secret")
//!     .cluster("eu")                       // api-eu.pusher.com (default: mt1)
//!     .timeout(Duration::from_secs(5))     // whole request (default 10 s)
//!     .build()?;
//!
//! // A self-hosted server such as sockudo, over plain HTTP on loopback:
//! let local = Pusher::builder("app-id", "app-key", "app-secret")
//!     .host("127.0.0.1")
//!     .port(6001)
//!     .tls(false)
//!     .build()?;
//!
//! // Or from a URL (also read from PUSHER_URL by `Pusher::from_env()`):
//! let from_url = Pusher::from_url("https://app-key:app-secret@api-eu.pusher.com/apps/123456")?;
//! # Ok::<(), pusher_client::Error>(())
//! ```
//!
//! [`PusherBuilder`] also sets the connect timeout, an HTTP proxy, extra TLS roots for a server
//! with a private CA or a self-signed certificate
//! ([`add_root_certificate`](PusherBuilder::add_root_certificate)), your own
//! `reqwest::Client` (feature `reqwest`) or a whole [`transport`] (any `tower::Service`), the [`Limits`] of your
//! cluster or server, the encryption master key and extra webhook keys.
//!
//! ## Triggering events
//!
//! Event data is either any `Serialize` value, serialised once to compact JSON ([`Data::json`],
//! or a `serde_json::Value` directly), or a string sent exactly as given. Nothing is guessed:
//! a `&str` is never quoted again.
//!
//! ```
//! use pusher_client::{BatchEvent, Data, Info, Pusher};
//! use serde_json::json;
//!
//! #[derive(serde::Serialize)]
//! struct Order { id: u64 }
//!
//! # async fn run(pusher: Pusher) -> Result<(), pusher_client::Error> {
//! pusher.trigger("orders", "created", Data::json(&Order { id: 7 })?).await?;
//! pusher.trigger(["orders", "audit"], "created", json!({"id": 7})).await?;
//!
//! // Exclude the sender's own connection, and ask for the channel's subscriber count.
//! let answer = pusher
//!     .trigger("orders", "updated", r#"{"id":7}"#)
//!     .exclude("1234.5678")
//!     .info(Info::SUBSCRIPTION_COUNT)
//!     .await?;
//! println!("{:?}", answer.channels["orders"].subscription_count);
//!
//! // Any number of events: split into requests of at most 10, sent in order.
//! let events = (0..25).map(|i| BatchEvent::new("orders", "tick", i.to_string()));
//! pusher.trigger_batch(events).await?;
//!
//! // Every connection of one signed-in user.
//! pusher.send_to_user("user-42", "notice", json!({"unread": 3})).await?;
//! # Ok(()) }
//! ```
//!
//! ## Querying state
//!
//! ```
//! use pusher_client::{Info, Pusher};
//!
//! # async fn run(pusher: Pusher) -> Result<(), pusher_client::Error> {
//! let rooms = pusher.channels().prefix("presence-").info(Info::USER_COUNT).await?;
//! let room = pusher.channel("presence-lobby").info(Info::USER_COUNT).await?;
//! let members = pusher.users("presence-lobby").await?;
//! pusher.terminate_user_connections("user-42").await?;
//!
//! // Endpoints this crate does not wrap: signed GET / POST under /apps/{app_id}.
//! let raw: serde_json::Value = pusher.get("/channels", &[("filter_by_prefix", "private-")]).await?;
//! # Ok(()) }
//! ```
//!
//! ## Authorizing pusher-js
//!
//! pusher-js asks your server before subscribing to `private-`, `presence-` and
//! `private-encrypted-` channels, and when it signs a user in. Decide with your own session
//! logic, then let the client sign the answer. (`pusher-axum` and `pusher-actix` mount these as
//! ready-made routes; [`ChannelAuthBody`], [`ChannelGrant`] and [`AuthReply`] do the same for
//! any other framework.)
//!
//! ```
//! use pusher_client::{ChannelAuthRequest, PresenceMember, Pusher, UserAuthRequest, UserData};
//! use serde_json::json;
//!
//! # fn run(pusher: Pusher) -> Result<(), pusher_client::Error> {
//! // POST /pusher/auth with socket_id=1234.1234&channel_name=presence-lobby
//! let request = ChannelAuthRequest::new("1234.1234", "presence-lobby");
//! let member = PresenceMember::new("user-42").user_info(json!({"name": "Ada"}))?;
//! let answer = pusher.authorize_channel(&request, Some(&member))?;
//! let body = answer.to_json(); // {"auth":"..","channel_data":"{\"user_id\":\"user-42\",..}"}
//!
//! // POST /pusher/user-auth with socket_id=1234.1234
//! let user = UserData::new("user-42").user_info(json!({"name": "Ada"}))?;
//! let answer = pusher.authenticate_user(&UserAuthRequest::new("1234.1234"), &user)?;
//! # let _ = (body, answer);
//! # Ok(()) }
//! # run(Pusher::builder("1", "key", "secret").build().unwrap()).unwrap();
//! ```
//!
//! A forged socket id (anything but `digits.digits`), a public channel, or a presence channel
//! without a member is refused with a [`ValidationError`], never signed.
//!
//! ## Webhooks
//!
//! ```
//! use pusher_client::{Pusher, WebhookEvent};
//!
//! # fn handle(pusher: &Pusher, key: Option<&str>, signature: Option<&str>, body: &[u8]) {
//! match pusher.verify_webhook(key, signature, body) {
//!     Ok(webhook) => {
//!         for event in webhook.events {
//!             match event {
//!                 WebhookEvent::ChannelOccupied { channel } => println!("{channel} occupied"),
//!                 WebhookEvent::MemberAdded { channel, user_id } => println!("{user_id} joined {channel}"),
//!                 other => println!("{}", other.name()),
//!             }
//!         }
//!     }
//!     Err(e) => eprintln!("rejected ({}): {e}", e.status()),
//! }
//! # }
//! ```
//!
//! The signature is checked in constant time with the secret of the key in `X-Pusher-Key`
//! ([`PusherBuilder::webhook_key`] adds keys for rotation); an age limit is available with
//! [`PusherBuilder::webhook_max_age`]. [`sign_webhook`] signs test bodies for your own tests.
//!
//! ## End-to-end encryption
//!
//! With a master key configured, triggers on `private-encrypted-` channels are encrypted
//! (XSalsa20-Poly1305 under a per-channel key, a fresh nonce per event) and channel
//! authorization returns the `shared_secret` pusher-js needs. Pusher only sees ciphertext.
//!
//! ```
//! use pusher_client::Pusher;
//!
//! # async fn run() -> Result<(), pusher_client::Error> {
//! let pusher = Pusher::builder("123456", "app-key", "app-secret")
//!     .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") // openssl rand -base64 32
//!     .build()?;
//! pusher.trigger("private-encrypted-inbox", "message", r#"{"text":"hi"}"#).await?;
//! # Ok(()) }
//! ```
//!
//! ## Errors
//!
//! Every call returns [`Error`]: [`Error::Validation`] when input was refused before sending
//! (naming the field and the limit), [`Error::Transport`] for the network
//! ([`Error::is_timeout`], [`Error::is_connect`]), [`Error::Api`] with the status and body when
//! the API refused, [`Error::MalformedResponse`], and [`Error::PartialBatch`] when a long batch
//! failed part-way. Webhook verification has its own [`WebhookError`], whose
//! [`status`](WebhookError::status) is the HTTP status to answer with.
//!
//! ## Retries
//!
//! Failed requests are retried when that is safe: queries (and terminating a user's connections)
//! on any transient failure, any request that never reached the server, and 429s after their
//! `Retry-After`. A trigger that may have been processed (a timeout after sending, a 5xx) is
//! retried only with an idempotency key ([`Trigger`], [`TriggerBatch`] and [`SendToUser`] take
//! one) or [`RetryPolicy::retry_posts`], so an event is not delivered twice behind your back.
//! See [`RetryPolicy`].
//!
//! ```
//! # async fn run(pusher: pusher_client::Pusher) -> Result<(), pusher_client::Error> {
//! pusher
//!     .trigger("orders", "created", r#"{"id":7}"#)
//!     .idempotency_key("order-7-created") // safe to repeat: the server drops duplicates
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! ## Logging
//!
//! Each request emits a `tracing` event at `debug` level with method, path, status and elapsed
//! time. Signed query strings and secrets are never logged.
//!
//! ## Features
//!
//! - `rustls` (default): HTTPS through rustls with the *ring* crypto provider, certificates
//!   checked by the platform's verifier.
//! - `aws-lc-rs`: rustls with the aws-lc-rs provider instead (implies `rustls`).
//! - `native-tls`: HTTPS through the platform's library (OpenSSL on Linux); preferred when on
//!   together with `rustls`.
//! - `reqwest`: `transport::ReqwestTransport` and `PusherBuilder::http_client`, to send
//!   through a `reqwest::Client` your app already configures.
//!
//! The default transport ([`transport::HyperTransport`]) needs no feature. Without a TLS
//! feature the client speaks plain HTTP only, and [`PusherBuilder::build`] refuses
//! `.tls(true)` with [`ConfigError::Unsupported`].
//! - `test-util`: helpers for tests only, never for production builds
//!   (`PusherBuilder::nonce_source_for_tests`, a fixed encryption nonce). Enable it in
//!   `[dev-dependencies]`.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The source, one concern a module (keep this list in step with the tree):
//   client/       the `Pusher` client: `mod` (the handle, settings access), `call` (one request
//                 pipeline: sign, send, read, retry), `trigger` (trigger, batch, send-to-user
//                 builders), `query` (channel queries)
//   config/       `PusherBuilder`: `mod` (settings), `limits`, `pusher_url`, `env`, `build`
//   signing       the HMAC signature of API requests; `signed`: signed requests handed back
//   transport/    what carries a request: `mod` (the enum, custom services), `error`
//                 (`SendError`), `body` (`ResponseBody`), `hyper/` (the default: `mod`, `pool`,
//                 `conn` (the HTTP/1.1 exchange), `answer` (its body), `connect`, `tls`), `reqwest` (behind `reqwest`)
//   retry         which failures are retried, and the waits in between
//   channel       name rules for channels, sockets, users and events
//   event         what a trigger carries (`Data`, `Info`, `BatchEvent`)
//   response      typed answers of the API; `error`: every error type; `error_reply`: the
//                 HTTP answer a handler gives for an `Error` (`Error::reply`)
//   encryption    end-to-end encryption for `private-encrypted-` channels
//   auth          channel authorization and user authentication (the signatures, the JSON)
//   auth_endpoint/ the framework-free auth routes the adapters drive: `mod` (`AuthEndpoint`,
//                 grants), `reply`, `body`, `form`, `json` (parsing what pusher-js posts)
//   webhook/      webhooks: `mod` (verify), `signature`, `event` (typed events), `parse`, `error`
//   webhook_rejection  the answer a webhook route gives, decided once for both adapters
mod auth;
mod auth_endpoint;
mod channel;
mod client;
mod config;
mod encryption;
mod error;
mod error_reply;
mod event;
mod response;
mod retry;
mod signed;
mod signing;
pub mod transport;
mod webhook;
mod webhook_rejection;

pub use auth::{
    ChannelAuth, ChannelAuthRequest, MemberId, PresenceMember, UserAuth, UserAuthRequest, UserData,
};
pub use auth_endpoint::{
    AuthEndpoint, AuthReply, ChannelAuthBody, ChannelGrant, DEFAULT_CHANNEL_AUTH_PATH,
    DEFAULT_USER_AUTH_PATH, MAX_BATCH_AUTH_CHANNELS, UserGrant,
};
pub use channel::{ChannelKind, IntoChannels, MAX_USER_ID_LEN};
pub use client::{ChannelQuery, ChannelsQuery, Pusher, SendToUser, Trigger, TriggerBatch};
pub use config::{
    DEFAULT_CLUSTER, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Limits, PusherBuilder,
};
pub use encryption::MasterKey;
pub use error::{
    ApiError, ConfigError, CryptoError, Error, TransportError, TransportKind, ValidationError,
};
pub use event::ParseInfoError;
pub use event::{BatchEvent, Data, Info};
pub use response::{
    BatchResponse, ChannelCounts, ChannelInfo, ChannelList, ChannelSummary, PresenceUser,
    PresenceUsers, TriggerResponse,
};
pub use retry::RetryPolicy;
pub use signed::SignedRequest;
pub use webhook::{
    WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, Webhook, WebhookError, WebhookEvent,
    WebhookSignature, sign_webhook,
};
pub use webhook_rejection::WebhookRejectionReason;
