//! Typed answers of the HTTP API. Unknown fields are ignored, since self-hosted servers add
//! their own (sockudo answers a trigger with `{"ok":true}` and adds `acknowledgement_id`).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Attributes reported for one channel (only those asked for are present).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ChannelCounts {
    /// Connections subscribed to the channel.
    #[serde(default)]
    pub subscription_count: Option<u64>,
    /// Distinct users on a presence channel.
    #[serde(default)]
    pub user_count: Option<u64>,
}

/// The answer to a [`trigger`](crate::Pusher::trigger).
///
/// `channels` is empty unless [`Info`](crate::Info) attributes were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TriggerResponse {
    /// Attributes per channel, by channel name.
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelCounts>,
}

/// The answer to a [`trigger_batch`](crate::Pusher::trigger_batch).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BatchResponse {
    /// When any event asked for [`Info`](crate::Info): one entry per event, in the batch's
    /// order (empty counts for events that asked for nothing). Otherwise empty.
    #[serde(default)]
    pub batch: Vec<ChannelCounts>,
}

/// One channel in a [`channels`](crate::Pusher::channels) listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ChannelSummary {
    /// Distinct users, when asked for (presence channels only).
    #[serde(default)]
    pub user_count: Option<u64>,
}

/// The answer to [`channels`](crate::Pusher::channels): the occupied channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ChannelList {
    /// Occupied channels by name.
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelSummary>,
}

/// The answer to [`channel`](crate::Pusher::channel): one channel's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// Whether anyone is subscribed.
    pub occupied: bool,
    /// Distinct users, when asked for (presence channels only).
    #[serde(default)]
    pub user_count: Option<u64>,
    /// Connections subscribed, when asked for.
    #[serde(default)]
    pub subscription_count: Option<u64>,
}

/// One member of a presence channel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PresenceUser {
    /// The user id given when the member was authorized.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
}

/// The answer to [`users`](crate::Pusher::users).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PresenceUsers {
    /// The members.
    pub users: Vec<PresenceUser>,
}

/// User ids are strings in Pusher's answers; some servers echo numeric ids as numbers.
fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parsing() {
        let t: TriggerResponse = serde_json::from_str(r#"{"ok":true}"#).unwrap();
        assert!(t.channels.is_empty());
        let t: TriggerResponse = serde_json::from_str(
            r#"{"channels":{"a":{"subscription_count":2,"acknowledgement_id":"x"}}}"#,
        )
        .unwrap();
        assert_eq!(t.channels["a"].subscription_count, Some(2));
        let u: PresenceUsers =
            serde_json::from_str(r#"{"users":[{"id":"1"},{"id":2,"extra":0}]}"#).unwrap();
        assert_eq!(u.users[1].id, "2");
        let c: ChannelInfo = serde_json::from_str(r#"{"occupied":false}"#).unwrap();
        assert!(!c.occupied);
        assert!(serde_json::from_str::<ChannelInfo>(r#"{"occupied":"yes"}"#).is_err());
    }
}
