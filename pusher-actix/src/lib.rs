//! # pusher-actix
//!
//! [Pusher Channels](https://pusher.com/channels) for [actix-web](https://actix.rs) 4: the
//! shared client as app data, a [`VerifiedWebhook`] extractor, and ready-made pusher-js
//! authorization routes ([`PusherAuth`]).
//!
//! This crate is a thin adapter. Signing, parsing and verification all live in
//! [`pusher_client`] (re-exported, with its most used types at this crate's root); here they
//! are only wired to actix's extractors, responses and routes. The `pusher-axum` crate does the
//! same for axum, with the same behaviour and statuses.
//!
//! ## The client as app data
//!
//! Build one [`Pusher`] at start-up and register it as `web::Data<Pusher>` (or
//! `web::ThinData<Pusher>`: `Pusher` is an `Arc` inside, so either is cheap). Your own handlers
//! take it as an extractor to trigger events; this crate's extractor and routes find it there
//! too (a bare `App::app_data(pusher)` also works for them). When no client is registered they
//! answer 500 and log at error level how to register one (once per process, then at debug).
//!
//! ```no_run
//! use actix_web::{web, App, HttpResponse, HttpServer};
//! use pusher_actix::{Pusher, PusherError};
//!
//! async fn send(pusher: web::Data<Pusher>) -> Result<HttpResponse, PusherError> {
//!     // `?`: a failed call answers 400, 502, 504 or 500 (see `PusherError`).
//!     pusher.trigger("orders", "created", serde_json::json!({"id": 7})).await?;
//!     Ok(HttpResponse::Accepted().finish())
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // PUSHER_URL, or PUSHER_APP_ID / PUSHER_KEY / PUSHER_SECRET / PUSHER_CLUSTER.
//!     let pusher = web::Data::new(Pusher::from_env()?);
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(pusher.clone())
//!             .route("/orders", web::post().to(send))
//!     })
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! With your own state, register it and the client side by side —
//! `.app_data(web::Data::new(state)).app_data(web::Data::new(pusher))` — and take
//! `web::Data<AppState>` and `web::Data<Pusher>` as two extractors: a client kept only inside
//! your state is not found.
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
//! use pusher_actix::{BatchEvent, Info, Pusher, PusherBuilder, TriggerResponse};
//!
//! async fn announce(pusher: &Pusher) -> Result<TriggerResponse, pusher_actix::Error> {
//!     pusher.trigger_batch(vec![BatchEvent::new("news", "posted", "{}")]).await?;
//!     pusher.trigger("news", "posted", "{}").info(Info::SUBSCRIPTION_COUNT).await
//! }
//!
//! let builder: PusherBuilder = Pusher::builder("123456", "app-key", "app-secret");
//! let _pusher = builder.cluster("eu").build()?;
//! # Ok::<(), pusher_actix::Error>(())
//! ```
//!
//! ## Receiving webhooks
//!
//! [`VerifiedWebhook`] checks `X-Pusher-Key` / `X-Pusher-Signature` before it reads the body,
//! reads the body under the app's [`web::PayloadConfig`](actix_web::web::PayloadConfig) limit,
//! and has the core verify it (constant time, rotated keys, optional maximum age) and parse it
//! into a [`Webhook`] — or into your own `Deserialize` type with `VerifiedWebhook<T>`.
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use pusher_actix::{Pusher, VerifiedWebhook, WebhookEvent};
//!
//! async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> HttpResponse {
//!     for event in &webhook.events {
//!         match event {
//!             WebhookEvent::MemberAdded { channel, user_id } => println!("{user_id} joined {channel}"),
//!             other => println!("{} on {:?}", other.name(), other.channel()),
//!         }
//!     }
//!     HttpResponse::Ok().finish()
//! }
//!
//! # fn app(pusher: Pusher) {
//! App::new()
//!     .app_data(web::Data::new(pusher))
//!     .route("/webhooks", web::post().to(webhooks));
//! # }
//! ```
//!
//! A refused request never reaches your handler; the [`WebhookRejection`] is the response:
//!
//! | why | status |
//! | --- | --- |
//! | a header missing or not text, unknown key, wrong or malformed signature, too old | 401 |
//! | correctly signed, but not a webhook (or not your `T`) | 400 |
//! | body (or its announced `Content-Length`) over the `PayloadConfig` limit | 413 |
//! | no `Pusher` in the app data | 500 |
//!
//! The body is JSON, `{"error":".."}`, naming only the reason's category (`"unknown key"`,
//! `"invalid signature"`, `"body too large"`, …). No response or log line contains a secret or
//! the expected signature. Rejections are logged with `tracing`, with the full reason and its
//! advice, at `debug` (anyone can post to this endpoint: forged requests must not flood the log);
//! a missing client is logged once at `error`, with how to register it. To answer differently, take
//! `Result<VerifiedWebhook, WebhookRejection>` and match on it.
//!
//! ## Authorizing pusher-js
//!
//! pusher-js asks your server before it joins a private, presence or encrypted channel
//! (`POST /pusher/auth`) and when it signs a user in (`POST /pusher/user-auth`). Mount
//! [`PusherAuth`] and give it your decisions: async closures or functions taking any actix
//! extractor (here [`HttpRequest`](actix_web::HttpRequest); a session, an identity,
//! `web::Data<Db>` or a tuple of them work the same) and the parsed request.
//!
//! ```
//! use actix_web::{web, App, HttpRequest};
//! use pusher_actix::{
//!     ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
//!     UserData, UserGrant,
//! };
//! use serde_json::json;
//!
//! /// Who is calling: a `user` cookie in this sketch; use your session or identity.
//! fn signed_in(req: &HttpRequest) -> Option<String> {
//!     req.cookie("user").map(|c| c.value().to_owned())
//! }
//!
//! async fn authorize(req: HttpRequest, auth: ChannelAuthRequest) -> actix_web::Result<ChannelGrant> {
//!     let Some(user) = signed_in(&req) else { return Ok(ChannelGrant::Deny) };
//!     if auth.channel_name.starts_with("presence-") {
//!         let member = PresenceMember::new(user.as_str())
//!             .with_user_info(json!({"name": user}));
//!         Ok(ChannelGrant::Presence(member))
//!     } else {
//!         Ok(ChannelGrant::Allow) // private- and private-encrypted-
//!     }
//! }
//!
//! async fn authenticate(req: HttpRequest, _: UserAuthRequest) -> actix_web::Result<UserGrant> {
//!     Ok(signed_in(&req).map_or(UserGrant::Deny, |user| UserGrant::Allow(UserData::new(user))))
//! }
//!
//! # fn app(pusher: Pusher) {
//! App::new()
//!     .app_data(web::Data::new(pusher))
//!     .service(PusherAuth::new().channel(authorize).user(authenticate));
//! # }
//! ```
//!
//! Before your code runs, the core checks the socket id and channel name and refuses public
//! channels (400, without calling you); afterwards it signs what you granted (adding the
//! `shared_secret` for `private-encrypted-` channels, which needs a master key in the client).
//! A denial is 403 `{"error":"forbidden"}`; your error is its own response. Form-urlencoded
//! and JSON bodies are accepted, unknown fields ignored, and the batch format of the
//! pusher-js-auth plugin is answered in one response. See [`PusherAuth`] for every status,
//! custom paths, scopes and [`configure`](PusherAuth::configure).
//!
//! ## Testing your app
//!
//! With `actix_web::test` and the core's signing helper, a test sends exactly what Pusher and
//! pusher-js would:
//!
//! ```
//! use actix_web::{http::StatusCode, test, web, App, HttpResponse};
//! use pusher_actix::{ChannelAuthRequest, ChannelGrant, Pusher, PusherAuth, VerifiedWebhook};
//!
//! async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> HttpResponse {
//!     HttpResponse::Ok().body(webhook.events.len().to_string())
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let pusher = Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8").build()?;
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::new(pusher.clone()))
//!         .route("/webhooks", web::post().to(webhooks))
//!         .service(PusherAuth::new().channel(|_: (), _: ChannelAuthRequest| async {
//!             Ok::<_, actix_web::Error>(ChannelGrant::Allow)
//!         })),
//! )
//! .await;
//!
//! // A webhook signed as Pusher signs it.
//! let body = r#"{"time_ms":1,"events":[{"name":"channel_vacated","channel":"room"}]}"#;
//! let signed = pusher.sign_webhook(body.as_bytes());
//! let req = test::TestRequest::post()
//!     .uri("/webhooks")
//!     .insert_header(signed.headers()[0])
//!     .insert_header(signed.headers()[1])
//!     .set_payload(body)
//!     .to_request();
//! assert_eq!(test::call_and_read_body(&app, req).await, "1");
//!
//! // What pusher-js posts to authorize a private channel.
//! let req = test::TestRequest::post()
//!     .uri("/pusher/auth")
//!     .insert_header(("content-type", "application/x-www-form-urlencoded"))
//!     .set_payload("socket_id=1234.1234&channel_name=private-foobar")
//!     .to_request();
//! let answer: serde_json::Value = test::call_and_read_body_json(&app, req).await;
//! assert_eq!(
//!     answer["auth"],
//!     "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
//! );
//!
//! // Unsigned: refused before the handler.
//! let req = test::TestRequest::post().uri("/webhooks").set_payload(body).to_request();
//! assert_eq!(test::call_service(&app, req).await.status(), StatusCode::UNAUTHORIZED);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! ## Logging
//!
//! Refused authorization requests are logged through `tracing` at debug level: the input is the
//! browser's, so it is never an error of yours. Refused webhooks are logged at debug level with
//! the full reason and its advice (the response only names the reason's category), and a
//! missing client at error level (once per process), with how to register one. A [`PusherError`]
//! logs its error at `error` for this server's faults, `warn` when Pusher or the network failed
//! and `debug` for refused input. A grant that cannot be signed (e.g.
//! no master key for an encrypted channel) is logged by the core at error level, and the browser
//! gets `{"error":"internal error"}`.
#![forbid(unsafe_code)]

mod auth;
mod error;
mod state;
mod webhook;

pub use auth::PusherAuth;
pub use error::PusherError;
pub use pusher_client;
// The everyday types of the core, so that an app needs no `pusher-client` in its Cargo.toml.
pub use pusher_client::{
    AuthReply, BatchEvent, BatchResponse, ChannelAuthRequest, ChannelCounts, ChannelGrant,
    ChannelInfo, ChannelList, ChannelSummary, DEFAULT_CHANNEL_AUTH_PATH, DEFAULT_USER_AUTH_PATH,
    Data, Error, Info, PresenceMember, PresenceUser, PresenceUsers, Pusher, PusherBuilder,
    TriggerResponse, UserAuthRequest, UserData, UserGrant, ValidationError, Webhook, WebhookError,
    WebhookEvent,
};
pub use webhook::{VerifiedWebhook, WebhookRejection};

/// The crate README's code blocks, compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
