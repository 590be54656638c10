//! Test support for the workspace: [`FakePusher`], a loopback server that checks every request
//! exactly as the Pusher Channels HTTP API does, and answers like it.
//!
//! Its checks are written independently of `pusher_client`'s signing code (see [`verify`]): a
//! bug in the client's signing shows up as a 401 here, not as a matching bug.
//!
//! - [`FakePusher::start`] binds `127.0.0.1:0`; [`FakePusher::client`] /
//!   [`FakePusher::client_builder`] give a `pusher_client::Pusher` pointed at it with matching
//!   credentials; [`FakePusher::pusher_url`] gives a `PUSHER_URL`.
//! - Every request is recorded ([`FakePusher::requests`]): method, raw and decoded path and
//!   query, exact body bytes, headers, the refusal if any, the status answered.
//! - Answers come from configurable state ([`FakePusher::set_channel`]), limits
//!   ([`ServerLimits`]) and clock ([`ServerClock`]); scripted [`Reply`]s override the next
//!   answers (error statuses, malformed JSON, delays, no answer at all).
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
mod handler;
mod raw;
mod record;
mod server;
mod state;
pub mod transport;
pub mod verify;

pub use config::{APP_ID, FakeConfig, KEY, SECRET, ServerClock, ServerLimits};
pub use raw::{RawResponse, raw_request};
pub use record::{RecordedRequest, TriggeredEvent};
pub use server::FakePusher;
pub use state::{ChannelState, Reply};
pub use transport::{test_builder, test_transport, with_test_transport};
pub use verify::{
    MAX_TIMESTAMP_SKEW_SECS, Refusal, decode_path, decode_query, percent_decode, sign_query,
};
