//! Pusher Channels for axum.
#![forbid(unsafe_code)]

pub use pusher_client;
