//! Test support for the workspace: [`FakePusher`], a loopback server that checks every request
//! exactly as the Pusher Channels HTTP API does, and answers like it. It is the published test
//! kit's fake ([`pusher_testing::FakePusher`]), with the workspace's test transport and the
//! shorthands its tests use; the workspace has one fake server.
//!
//! Its checks are written independently of `pusher_client`'s signing code (see [`verify`]): a
//! bug in the client's signing shows up as a 401 here, not as a matching bug.
//!
//! - [`FakePusher::start`] binds `127.0.0.1:0`; [`FakePusher::client`] /
//!   [`FakePusher::client_builder`] give a `pusher_client::Pusher` pointed at it with matching
//!   credentials; [`pusher_url`](pusher_testing::FakePusher::pusher_url) gives a
//!   `PUSHER_URL`.
//! - Every request is recorded ([`FakePusher::requests`]): method, raw and decoded path and
//!   query, exact body bytes, headers, the refusal if any, the status answered.
//! - Answers come from configurable state
//!   ([`set_channel`](pusher_testing::FakePusher::set_channel)), limits ([`ServerLimits`]) and
//!   clock ([`ServerClock`]); scripted [`Reply`]s override the next answers (error statuses,
//!   malformed JSON, delays, no answer at all).
//!
//! Endpoints (under `/apps/{app_id}`; any other app id is answered 404):
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /events` | `{}`, or `{"channels":{..}}` with `info` |
//! | `POST /batch_events` | `{}`, or `{"batch":[..]}` in order with `info`; too many → 400 |
//! | `GET /channels` | `{"channels":{..}}` (occupied ones; `filter_by_prefix`, `info=user_count`) |
//! | `GET /channels/{name}` | `{"occupied":..}` plus the `info` attributes asked for |
//! | `GET /channels/{name}/users` | `{"users":[{"id":..}]}` (presence channels only) |
//! | `POST /users/{id}/terminate_connections` | `{}` |
//!
//! Refusals are answered as Pusher does: a status (400, 401, 404, 405, 413) and a text body
//! saying why.

pub mod adapter_cases;
mod config;
pub mod faults;
pub mod logs;
mod raw;
mod server;
pub mod transport;

pub use config::FakeConfig;
pub use pusher_testing::verify;
pub use pusher_testing::{APP_ID, ChannelState, KEY, SECRET, ServerClock, ServerLimits};
pub use raw::{RawResponse, raw_request, read_raw_request};
pub use server::{FakePusher, RecordedRequest, Reply, TriggeredEvent};
pub use transport::{test_builder, test_transport, with_test_transport};
pub use verify::{MAX_TIMESTAMP_SKEW_SECS, decode_path, decode_query, percent_decode, sign_query};
