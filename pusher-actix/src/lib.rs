//! Pusher Channels for actix.
#![forbid(unsafe_code)]

pub use pusher_client;
