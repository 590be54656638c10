//! # pusher-axum
//!
//! [Pusher Channels](https://pusher.com/channels) for [axum](https://docs.rs/axum) 0.8:
//!
//! - the shared [`Pusher`] client as app state, to trigger events from any handler;
//! - [`VerifiedWebhook`], an extractor that verifies Pusher's webhooks before your handler runs;
//! - [`PusherAuth`], the ready-made `POST /pusher/auth` and `POST /pusher/user-auth` routes
//!   pusher-js calls, with your own closure deciding who may do what.
//!
//! This crate is a thin adapter: all signing, parsing and verification happen in
//! [`pusher_client`] (re-exported, along with its common types), so the answers are exactly
//! those of the core. It only extracts, maps errors to responses and wires routes.
//!
//! ## 1. The client as state
//!
//! Build one [`Pusher`] at start-up. Everything in this crate finds it through axum's
//! [`FromRef`](axum::extract::FromRef) ([`PusherState`]), so it works whether the client *is*
//! the router's state, one field of your app state, or one field of an `Arc`-shared app state:
//!
//! ```
//! use axum::{Json, Router, extract::{FromRef, State}, http::StatusCode, routing::post};
//! use pusher_axum::Pusher;
//! use serde_json::{Value, json};
//!
//! #[derive(Clone, FromRef)] // needs axum's `macros` feature
//! struct AppState {
//!     pusher: Pusher,
//!     // db: Db, ...
//! }
//!
//! async fn send(State(pusher): State<Pusher>, Json(message): Json<Value>) -> StatusCode {
//!     match pusher.trigger("chat", "message", json!({"text": message["text"]})).await {
//!         Ok(_) => StatusCode::ACCEPTED,
//!         Err(_) => StatusCode::BAD_GATEWAY,
//!     }
//! }
//!
//! let pusher = Pusher::builder("123456", "app-key", "app-secret").cluster("eu").build()?;
//!
//! // The client as one field of the app state ...
//! let app: Router = Router::new()
//!     .route("/messages", post(send))
//!     .with_state(AppState { pusher: pusher.clone() });
//!
//! // ... or as the whole state.
//! let app: Router = Router::new().route("/messages", post(send)).with_state(pusher);
//! # Ok::<(), pusher_client::Error>(())
//! ```
//!
//! An `Arc` of such an app state, as axum's documentation shares state
//! (`.with_state(Arc::new(AppState { .. }))`), works as well: see [`PusherState`] and
//! [`state`]. Handlers then take `State<Arc<AppState>>`.
//!
//! `Pusher` is cheap to clone and all clones share one connection pool. In a real app, build it
//! with [`Pusher::from_env`] (reads `PUSHER_URL`, or `PUSHER_APP_ID`, `PUSHER_KEY`, …).
//!
//! ## 2. Webhooks
//!
//! Take [`VerifiedWebhook`] as the (last) argument of the handler Pusher posts to. It checks the
//! `X-Pusher-Key` / `X-Pusher-Signature` headers, reads the body under your app's
//! [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit), verifies the signature in constant time
//! and hands you the parsed [`Webhook`] (or your own `Deserialize` type). Anything else is
//! refused with a [`WebhookRejection`]: 401 if it is not provably from Pusher, 400 for a signed
//! body that does not parse, 413 over the body limit, each with a JSON `{"error":".."}` body.
//!
//! ```
//! use axum::{Router, extract::DefaultBodyLimit, routing::post};
//! use pusher_axum::{Pusher, VerifiedWebhook, WebhookEvent};
//!
//! async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) {
//!     for event in webhook.events {
//!         match event {
//!             WebhookEvent::ChannelOccupied { channel } => println!("{channel} occupied"),
//!             WebhookEvent::MemberAdded { channel, user_id } => println!("{user_id} joined {channel}"),
//!             other => println!("{}", other.name()),
//!         }
//!     }
//! }
//!
//! let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
//! let app: Router = Router::new()
//!     .route("/webhooks", post(webhooks))
//!     .layer(DefaultBodyLimit::max(256 * 1024))
//!     .with_state(pusher);
//! # Ok::<(), pusher_client::Error>(())
//! ```
//!
//! To test your handler, sign a body as Pusher would with [`Pusher::sign_webhook`] (or
//! [`pusher_client::sign_webhook`] for another key) and send it with its headers.
//!
//! ## 3. Authorization routes for pusher-js
//!
//! pusher-js asks your server before it subscribes to a private, encrypted or presence channel,
//! and when it signs a user in. [`PusherAuth`] answers both; you give it closures that take,
//! like axum handlers, 0 to 8 extractors (here a cookie jar) and then the parsed request, and
//! return a grant ([`Resolver`]):
//!
//! ```
//! use std::convert::Infallible;
//!
//! use axum::Router;
//! use axum_extra::extract::CookieJar;
//! use pusher_axum::{
//!     ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
//!     UserData, UserGrant,
//! };
//! use serde_json::json;
//!
//! /// Who is signed in: here a `user` cookie, in real life your session.
//! fn current_user(jar: &CookieJar) -> Option<String> {
//!     jar.get("user").map(|cookie| cookie.value().to_owned())
//! }
//!
//! async fn channel(jar: CookieJar, request: ChannelAuthRequest) -> Result<ChannelGrant, Infallible> {
//!     let Some(user) = current_user(&jar) else {
//!         return Ok(ChannelGrant::Deny); // 403
//!     };
//!     if request.channel_name.starts_with("presence-") {
//!         let member = PresenceMember::new(user.as_str())
//!             .with_user_info(json!({"name": user}));
//!         Ok(ChannelGrant::Presence(member))
//!     } else if request.channel_name == format!("private-user-{user}") {
//!         Ok(ChannelGrant::Allow)
//!     } else {
//!         Ok(ChannelGrant::Deny)
//!     }
//! }
//!
//! async fn user(jar: CookieJar, _request: UserAuthRequest) -> Result<UserGrant, Infallible> {
//!     Ok(match current_user(&jar) {
//!         Some(id) => UserGrant::Allow(UserData::new(id)),
//!         None => UserGrant::Deny,
//!     })
//! }
//!
//! let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
//! let app: Router = Router::new()
//!     .merge(PusherAuth::new().channel(channel).user(user)) // POST /pusher/auth, /pusher/user-auth
//!     .with_state(pusher);
//! # Ok::<(), pusher_client::Error>(())
//! ```
//!
//! The routes accept pusher-js's form bodies and JSON, answer batched requests of the
//! pusher-js-auth plugin in one go, refuse malformed input with 400 before your closure is
//! called, answer a denial with 403, and let your closure's own error type become any response.
//! See [`PusherAuth`] for every answer.
//!
//! ## 4. Errors in handlers
//!
//! A handler that calls Pusher returns `Result<_, `[`PusherError`]`>` and uses `?`: the status
//! follows the failure (400 refused input, 502 Pusher refused or unreachable, 504 timeout, 500
//! `{"error":"internal error"}` for this server's faults), the body never holds a secret or
//! Pusher's answer, and the detail is logged (see
//! [`Error::reply_logged`](pusher_client::Error::reply_logged)).
//!
//! The core's everyday types are re-exported here ([`PusherBuilder`], [`Error`], [`Data`],
//! [`BatchEvent`], [`Info`], the response types…), so an app needs only this crate:
//!
//! ```
//! use axum::{Json, extract::State};
//! use pusher_axum::{BatchEvent, BatchResponse, Info, Pusher, PusherBuilder, PusherError};
//!
//! async fn announce(State(pusher): State<Pusher>) -> Result<Json<usize>, PusherError> {
//!     let answer: BatchResponse = pusher
//!         .trigger_batch(vec![BatchEvent::new("news", "posted", "{}").info(Info::SUBSCRIPTION_COUNT)])
//!         .await?;
//!     Ok(Json(answer.batch.len()))
//! }
//!
//! let builder: PusherBuilder = Pusher::builder("123456", "app-key", "app-secret");
//! let _pusher = builder.cluster("eu").build()?;
//! # Ok::<(), pusher_axum::Error>(())
//! ```
//!
//! ## Logging
//!
//! Refused authorization requests are logged through `tracing` at `debug` level (the input is
//! the browser's, not a server fault). Webhook rejections are logged at `debug` with the full
//! reason and its advice (for example which `PusherBuilder` setting accepts another key), since
//! anyone can post to that endpoint and forged requests must not flood the log; the
//! response itself only names the reason's category. A [`PusherError`] logs its error at `error`
//! for this server's faults, `warn` when Pusher or the network failed and `debug` for refused
//! input. No response or log line contains a secret,
//! a signature this server computed, or a successful authorization's body.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod body;
mod error;
mod resolver;
pub mod state;
mod webhook;

/// The README's code blocks, compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use pusher_client;

pub use auth::PusherAuth;
pub use resolver::Resolver;
pub use state::PusherState;
pub use webhook::{VerifiedWebhook, WebhookRejection};

pub use error::PusherError;
// The everyday types of the core, so that an app needs no `pusher-client` in its Cargo.toml.
pub use pusher_client::{
    AuthReply, BatchEvent, BatchResponse, ChannelAuthRequest, ChannelCounts, ChannelGrant,
    ChannelInfo, ChannelList, ChannelSummary, DEFAULT_CHANNEL_AUTH_PATH, DEFAULT_USER_AUTH_PATH,
    Data, Error, Info, PresenceMember, PresenceUser, PresenceUsers, Pusher, PusherBuilder,
    TriggerResponse, UserAuthRequest, UserData, UserGrant, ValidationError, Webhook, WebhookError,
    WebhookEvent,
};
