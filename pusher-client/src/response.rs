//! Typed answers of the HTTP API. Unknown fields are ignored, since self-hosted servers add
//! their own (sockudo answers a trigger with `{"ok":true}` and adds `acknowledgement_id`).
//!
//! Every type also serialises, to the shape the API sends (attributes that were not asked for
//! are left out, not written as `null`), so a handler can pass an answer on as JSON:
//!
//! ```
//! use pusher_client::ChannelInfo;
//!
//! let wire = r#"{"occupied":true,"subscription_count":3}"#;
//! let info: ChannelInfo = serde_json::from_str(wire)?;
//! assert_eq!(serde_json::to_string(&info)?, wire);
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Attributes reported for one channel (only those asked for are present).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ChannelCounts {
    /// Connections subscribed to the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<u64>,
    /// Distinct users on a presence channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u64>,
}

/// The answer to a [`trigger`](crate::Pusher::trigger).
///
/// `channels` is empty unless [`Info`](crate::Info) attributes were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct TriggerResponse {
    /// Attributes per channel, by channel name. Left out when empty, as the API does.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channels: BTreeMap<String, ChannelCounts>,
}

/// The answer to a [`trigger_batch`](crate::Pusher::trigger_batch).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct BatchResponse {
    /// When any event asked for [`Info`](crate::Info): one entry per event, in the batch's
    /// order (empty counts for events that asked for nothing). Otherwise empty, and then left
    /// out when serialised, as the API does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batch: Vec<ChannelCounts>,
}

/// One channel in a [`channels`](crate::Pusher::channels) listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ChannelSummary {
    /// Distinct users, when asked for (presence channels only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u64>,
}

/// The answer to [`channels`](crate::Pusher::channels): the occupied channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ChannelList {
    /// Occupied channels by name.
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelSummary>,
}

/// The answer to [`channel`](crate::Pusher::channel): one channel's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// Whether anyone is subscribed.
    pub occupied: bool,
    /// Distinct users, when asked for (presence channels only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u64>,
    /// Connections subscribed, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<u64>,
}

/// One member of a presence channel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct PresenceUser {
    /// The user id given when the member was authorized.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
}

/// The answer to [`users`](crate::Pusher::users).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
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

    /// Parses `wire`, serialises the result and checks it is `wire` again (field order as
    /// declared, which is the order used below).
    fn round_trip<T: serde::de::DeserializeOwned + Serialize + std::fmt::Debug + PartialEq>(
        wire: &str,
    ) {
        let parsed: T = serde_json::from_str(wire).unwrap();
        let written = serde_json::to_string(&parsed).unwrap();
        assert_eq!(written, wire, "{}", std::any::type_name::<T>());
        assert_eq!(serde_json::from_str::<T>(&written).unwrap(), parsed);
    }

    #[test]
    fn serialises_to_the_wire_form() {
        round_trip::<TriggerResponse>("{}");
        round_trip::<TriggerResponse>(r#"{"channels":{"a":{},"b":{"subscription_count":2}}}"#);
        round_trip::<TriggerResponse>(
            r#"{"channels":{"presence-a":{"subscription_count":2,"user_count":1}}}"#,
        );
        round_trip::<BatchResponse>("{}");
        round_trip::<BatchResponse>(r#"{"batch":[{},{"user_count":3}]}"#);
        round_trip::<ChannelList>(r#"{"channels":{}}"#);
        round_trip::<ChannelList>(r#"{"channels":{"presence-a":{"user_count":1},"x":{}}}"#);
        round_trip::<ChannelSummary>("{}");
        round_trip::<ChannelCounts>(r#"{"user_count":0}"#);
        round_trip::<ChannelInfo>(r#"{"occupied":false}"#);
        round_trip::<ChannelInfo>(r#"{"occupied":true,"user_count":2,"subscription_count":5}"#);
        round_trip::<PresenceUsers>(r#"{"users":[]}"#);
        round_trip::<PresenceUsers>(r#"{"users":[{"id":"1"},{"id":"ada"}]}"#);
    }

    #[test]
    fn absent_attributes_are_left_out_not_null() {
        let written = serde_json::to_value(ChannelInfo::default()).unwrap();
        assert_eq!(written, serde_json::json!({"occupied": false}));
        let written = serde_json::to_value(TriggerResponse::default()).unwrap();
        assert_eq!(written, serde_json::json!({}));
        // A numeric id some servers echo is written back as the string Pusher sends.
        let users: PresenceUsers = serde_json::from_str(r#"{"users":[{"id":7}]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&users).unwrap(),
            r#"{"users":[{"id":"7"}]}"#
        );
    }
}
