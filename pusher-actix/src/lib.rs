//! Pusher Channels for actix.
#![forbid(unsafe_code)]

mod auth;
mod state;
mod webhook;

pub use auth::{DEFAULT_CHANNEL_AUTH_PATH, DEFAULT_USER_AUTH_PATH, PusherAuth};
pub use pusher_client;
pub use pusher_client::{
    AuthReply, ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, UserAuthRequest, UserData,
    UserGrant, Webhook, WebhookError, WebhookEvent,
};
pub use webhook::{VerifiedWebhook, WebhookRejection};
