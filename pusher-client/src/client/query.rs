//! Channel queries: the occupied channels, and one channel's state.

use super::Pusher;
use super::call::{Call, parse};
use super::trigger::check_info;
use crate::channel::{self, PRESENCE_PREFIX};
use crate::error::{Error, ValidationError};
use crate::event::Info;
use crate::response::{ChannelInfo, ChannelList};
use crate::signing;
/// A channel listing being prepared; made by [`Pusher::channels`]. Await it to send it.
#[must_use = "a query does nothing until it is awaited"]
#[derive(Debug)]
pub struct ChannelsQuery {
    pub(super) pusher: Pusher,
    pub(super) prefix: Option<String>,
    pub(super) info: Info,
}

impl ChannelsQuery {
    /// Lists only channels whose name starts with `prefix` (e.g. `presence-`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Asks for attributes per channel: only [`Info::USER_COUNT`], with a `presence-` prefix.
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// Validates and sends the query.
    pub async fn send(self) -> Result<ChannelList, Error> {
        if let Some(prefix) = &self.prefix {
            channel::check_channel(prefix, self.pusher.inner.limits.max_channel_name_len)?;
        }
        if self.info.has_subscription_count() {
            return Err(ValidationError::UnsupportedAttribute {
                attribute: "subscription_count",
                call: "channels (it is available for a single channel)",
            }
            .into());
        }
        if self.info.has_user_count()
            && !self
                .prefix
                .as_deref()
                .is_some_and(|p| p.starts_with(PRESENCE_PREFIX))
        {
            return Err(ValidationError::UserCountNeedsPresence {
                channel: self.prefix.clone().unwrap_or_default(),
            }
            .into());
        }
        let info = self.info.to_param();
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(2);
        if let Some(prefix) = &self.prefix {
            params.push(("filter_by_prefix", prefix));
        }
        if let Some(info) = &info {
            params.push(("info", info));
        }
        let (status, bytes) = self.pusher.execute(Call::get("/channels", &params)).await?;
        parse(status, &bytes)
    }
}

into_future_via_send!(ChannelsQuery => ChannelList);

/// A channel query being prepared; made by [`Pusher::channel`]. Await it to send it.
#[must_use = "a query does nothing until it is awaited"]
#[derive(Debug)]
pub struct ChannelQuery {
    pub(super) pusher: Pusher,
    pub(super) name: String,
    pub(super) info: Info,
}

impl ChannelQuery {
    /// Asks for attributes ([`Info::USER_COUNT`] needs a presence channel).
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// Validates and sends the query.
    pub async fn send(self) -> Result<ChannelInfo, Error> {
        channel::check_channel(&self.name, self.pusher.inner.limits.max_channel_name_len)?;
        check_info(std::slice::from_ref(&self.name), self.info)?;
        let info = self.info.to_param();
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(1);
        if let Some(info) = &info {
            params.push(("info", info));
        }
        let path = format!("/channels/{}", signing::encode_path_segment(&self.name));
        let (status, bytes) = self.pusher.execute(Call::get(&path, &params)).await?;
        parse(status, &bytes)
    }
}

into_future_via_send!(ChannelQuery => ChannelInfo);
