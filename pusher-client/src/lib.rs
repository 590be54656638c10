//! # pusher-client
//!
//! A client for the [Pusher Channels](https://pusher.com/channels) HTTP API, for Pusher's cloud
//! and for any Pusher-protocol server (sockudo, soketi).
//!
//! TUTORIAL_PLACEHOLDER
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod channel;
mod client;
mod config;
mod encryption;
mod error;
mod event;
mod response;
mod signing;
mod webhook;

pub use channel::{ChannelKind, ChannelName, IntoChannels, MAX_USER_ID_LEN, SocketId, UserId};
pub use client::{ChannelQuery, ChannelsQuery, Pusher, Trigger};
pub use config::{
    DEFAULT_CLUSTER, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Limits, PusherBuilder,
};
pub use encryption::MasterKey;
pub use error::{
    ApiError, ConfigError, CryptoError, Error, TransportError, TransportKind, ValidationError,
};
pub use event::{BatchEvent, Data, Info};
pub use response::{
    BatchResponse, ChannelCounts, ChannelInfo, ChannelList, ChannelSummary, PresenceUser,
    PresenceUsers, TriggerResponse,
};
