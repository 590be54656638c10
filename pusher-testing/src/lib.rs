//! # pusher-testing
//!
//! Test your own app's Pusher Channels code without mocking the client by hand and without the
//! real service. For apps using [`pusher-client`](https://docs.rs/pusher-client),
//! [`pusher-axum`](https://docs.rs/pusher-axum) or [`pusher-actix`](https://docs.rs/pusher-actix);
//! put it in `[dev-dependencies]`.
//!
//! - [`FakePusher`]: a fake Pusher HTTP API, on `127.0.0.1:0` ([`FakePusher::start`]) or in
//!   memory ([`FakePusher::in_memory`]). It verifies every request as Pusher does (key,
//!   signature, 600 s timestamp window, `body_md5`, event name and data size, channels per
//!   trigger, channel names, socket ids, batch size) with its own checker, answers like the
//!   real API, and records what arrived in typed form: [`Trigger`]s (decrypted on
//!   `private-encrypted-` channels when it knows the master key), batches, [`UserEvent`]s,
//!   [`Termination`]s, [`Query`]s. A request Pusher would refuse is answered with Pusher's
//!   status and recorded as a typed [`Rejection`] saying what was wrong.
//! - Assertions that read well: [`FakePusher::triggers_on`], [`FakePusher::expect_trigger`],
//!   [`FakePusher::wait_for_triggers`], [`FakePusher::assert_no_rejections`].
//! - Scripted answers: channel state for queries ([`FakePusher::occupied`],
//!   [`FakePusher::presence_members`], [`FakePusher::set_channel`]) and [`Failure`]s (a status,
//!   `Retry-After`, a slow answer, a cut connection) to test your error handling.
//! - [`FakePusher::client`]: a `pusher_client::Pusher` pointed at the fake, with your app's own
//!   client settings if you give them ([`FakePusherBuilder::client_settings`]).
//! - Signed inputs for your routes: [`WebhookRequest`] (a webhook signed as Pusher signs it,
//!   from typed events, client events encrypted if asked) and [`AuthRequest`] (what pusher-js
//!   posts to your auth routes: form or JSON, one channel or a batch, or user sign-in), as
//!   `http::Request` values.
//!
//! ## Asserting what your code triggered
//!
//! ```
//! use pusher_client::Pusher;
//! use pusher_testing::FakePusher;
//! use serde_json::json;
//!
//! // The code under test takes a client, as your handlers do (e.g. from app state).
//! async fn place_order(pusher: &Pusher, id: u64) -> Result<(), pusher_client::Error> {
//!     pusher.trigger("orders", "created", json!({ "id": id })).await?;
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pusher_client::Error> {
//! let fake = FakePusher::start().await;
//! place_order(&fake.client(), 7).await?;
//!
//! fake.expect_trigger().channel("orders").event("created").data_json(json!({"id": 7})).assert();
//! fake.assert_no_rejections();
//! # Ok(()) }
//! ```
//!
//! When an assertion fails, the message lists what did arrive:
//!
//! ```text
//! expected at least one event on channel "orders", named "shipped"; 0 matched. The fake Pusher accepted 1 event(s):
//!   - "created" on ["orders"] data {"id":7}
//! ```
//!
//! ## When your app sends what Pusher would refuse
//!
//! The client checks names and sizes before sending; the fake checks them again, as Pusher
//! does, against its [`ServerLimits`] (e.g. a client configured for a dedicated cluster's
//! larger limits, tested against the multi-tenant ones):
//!
//! ```
//! use pusher_client::{Error, Limits};
//! use pusher_testing::{FakePusher, RejectionReason};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fake = FakePusher::in_memory();
//! let pusher = fake.client_builder().limits(Limits::default().max_payload_bytes(64 * 1024)).build().unwrap();
//!
//! let err = pusher.trigger("orders", "created", "x".repeat(12_000)).await.unwrap_err();
//! assert_eq!(err.status(), Some(413));
//! let rejection = &fake.rejections()[0];
//! assert_eq!(rejection.reason(), RejectionReason::PayloadTooLarge);
//! assert_eq!(rejection.message(), r#"data of event "created" is 12000 bytes, over the 10240-byte limit"#);
//! # }
//! ```
//!
//! ## Testing your error handling
//!
//! ```
//! use pusher_testing::{Failure, FakePusher};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fake = FakePusher::in_memory();
//! fake.fail_next(Failure::status(403).body("App is over quota"));
//! let err = fake.client().trigger("orders", "created", "{}").await.unwrap_err();
//! assert_eq!(err.status(), Some(403));
//! # }
//! ```
//!
//! ## Sending your routes signed webhooks and pusher-js auth requests
//!
//! [`WebhookRequest::build`] and [`AuthRequest::build`] give an `http::Request<Bytes>`;
//! `into_request::<B>()` gives any body type made from `Bytes`.
//!
//! - **axum**: `router.oneshot(request.into_request::<axum::body::Body>()).await`.
//! - **actix-web** (which uses its own `http` types): copy method, URI, headers and body into
//!   a `TestRequest`:
//!
//! ```text
//! let request = fake.webhook().channel_occupied("orders").build();
//! let mut test = actix_web::test::TestRequest::post().uri(&request.uri().to_string());
//! for (name, value) in request.headers() {
//!     test = test.insert_header((name.as_str(), value.as_bytes()));
//! }
//! let response = actix_web::test::call_service(&app, test.set_payload(request.into_body()).to_request()).await;
//! ```
//!
//! Complete tests for both frameworks, written as an app's own tests would be, are in the
//! workspace's `examples/tests/testing_axum.rs` and `examples/tests/testing_actix.rs`.
//!
//! ## What the fake checks, and how
//!
//! Its checks are written independently of `pusher_client`'s signing and encryption code
//! (see [`verify`]): a bug in the client shows up as a rejection, not as a matching bug.
//! Endpoints (under `/apps/{app_id}`; any other app id is answered 404):
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /events` | `{}`, or `{"channels":{..}}` with `info` |
//! | `POST /batch_events` | `{}`, or `{"batch":[..]}` in order with `info` |
//! | `GET /channels` | `{"channels":{..}}` (occupied ones; `filter_by_prefix`, `info=user_count`) |
//! | `GET /channels/{name}` | `{"occupied":..}` plus the `info` attributes asked for |
//! | `GET /channels/{name}/users` | `{"users":[{"id":..}]}` (presence channels only) |
//! | `POST /users/{id}/terminate_connections` | `{}` |
//!
//! One check goes further than Pusher can: with the master key
//! ([`FakePusherBuilder::master_key_base64`]), data on a `private-encrypted-` channel that
//! does not decrypt is refused ([`RejectionReason::Encryption`]); Pusher itself cannot see
//! inside, but your subscribers could not read it either.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod config;
mod crypto;
mod expect;
mod handler;
mod record;
mod request;
mod server;
mod state;
pub mod verify;
mod webhook;

pub use auth::AuthRequest;
pub use config::{APP_ID, KEY, SECRET, ServerClock, ServerLimits};
pub use expect::TriggerMatcher;
pub use record::{
    Query, RecordedRequest, Rejection, RejectionReason, Termination, Trigger, UserEvent,
};
pub use server::{FakePusher, FakePusherBuilder};
pub use state::{ChannelState, Failure};
pub use webhook::{DEFAULT_WEBHOOK_PATH, WebhookRequest};
