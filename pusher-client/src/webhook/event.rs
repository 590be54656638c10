//! The typed webhook: [`Webhook`] and its [`WebhookEvent`]s, their accessors, and the
//! serialisation back to the wire form Pusher sends (parsing an event is in `parse.rs`).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// A verified webhook: when Pusher sent it and what happened.
///
/// Several events arrive in one webhook when batching is on in the app's settings.
///
/// ```
/// use pusher_client::{Webhook, WebhookEvent};
///
/// let body = r#"{"time_ms":1327078148132,"events":[
///     {"name":"channel_occupied","channel":"room"},
///     {"name":"member_added","channel":"presence-room","user_id":42},
///     {"name":"brand_new_event","channel":"room","detail":true}
/// ]}"#;
/// let webhook: Webhook = serde_json::from_str(body)?;
/// assert_eq!(webhook.time_ms, 1327078148132);
/// assert_eq!(webhook.events[0], WebhookEvent::ChannelOccupied { channel: "room".into() });
/// assert_eq!(webhook.events[1].name(), "member_added");
/// assert_eq!(webhook.events[2].name(), "brand_new_event"); // kept as WebhookEvent::Unknown
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// When Pusher sent it, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The events, in the order Pusher listed them.
    pub events: Vec<WebhookEvent>,
}

/// One event of a [`Webhook`].
///
/// Parsed leniently: unknown fields are ignored, user ids may be strings or integers (kept as
/// strings), and an event name this version does not know is kept as
/// [`Unknown`](WebhookEvent::Unknown) rather than refused, so a new kind of event never makes
/// your endpoint fail.
///
/// ```
/// use pusher_client::WebhookEvent;
///
/// let event: WebhookEvent = serde_json::from_str(
///     r#"{"name":"client_event","channel":"private-chat","event":"client-typing",
///         "data":"{}","socket_id":"1.2","user_id":"ada"}"#,
/// )?;
/// match &event {
///     WebhookEvent::ClientEvent { event, user_id, .. } => {
///         assert_eq!(event, "client-typing");
///         assert_eq!(user_id.as_deref(), Some("ada"));
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// assert_eq!(event.channel(), Some("private-chat"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `channel_occupied`: the channel got its first subscriber.
    ChannelOccupied {
        /// The channel.
        channel: String,
    },
    /// `channel_vacated`: the channel lost its last subscriber.
    ChannelVacated {
        /// The channel.
        channel: String,
    },
    /// `member_added`: a user joined a presence channel.
    MemberAdded {
        /// The presence channel.
        channel: String,
        /// The user's id.
        user_id: String,
    },
    /// `member_removed`: a user left a presence channel.
    MemberRemoved {
        /// The presence channel.
        channel: String,
        /// The user's id.
        user_id: String,
    },
    /// `client_event`: a client sent an event on a private or presence channel.
    ClientEvent {
        /// The channel.
        channel: String,
        /// The event name (`client-…`).
        event: String,
        /// The event's data as sent (encrypted on `private-encrypted-` channels: see
        /// [`Pusher::decrypt_client_event`](crate::Pusher::decrypt_client_event)). Non-string
        /// data is kept as its JSON text.
        data: String,
        /// The sending connection's socket id.
        socket_id: Option<String>,
        /// The sending user's id, on presence channels.
        user_id: Option<String>,
    },
    /// `cache_miss`: a client subscribed to a `cache-` channel that had no cached event.
    CacheMiss {
        /// The channel.
        channel: String,
    },
    /// `subscription_count`: the channel's subscription count changed.
    SubscriptionCount {
        /// The channel.
        channel: String,
        /// The new count.
        subscription_count: u64,
    },
    /// An event this version does not know.
    Unknown {
        /// Its `name`.
        name: String,
        /// The whole event object, as received.
        payload: Value,
    },
}

impl WebhookEvent {
    /// The event's name as Pusher sends it (`channel_occupied`, `member_added`, …).
    ///
    /// ```
    /// use pusher_client::WebhookEvent;
    ///
    /// let event = WebhookEvent::CacheMiss { channel: "cache-a".into() };
    /// assert_eq!(event.name(), "cache_miss");
    /// ```
    pub fn name(&self) -> &str {
        match self {
            WebhookEvent::ChannelOccupied { .. } => "channel_occupied",
            WebhookEvent::ChannelVacated { .. } => "channel_vacated",
            WebhookEvent::MemberAdded { .. } => "member_added",
            WebhookEvent::MemberRemoved { .. } => "member_removed",
            WebhookEvent::ClientEvent { .. } => "client_event",
            WebhookEvent::CacheMiss { .. } => "cache_miss",
            WebhookEvent::SubscriptionCount { .. } => "subscription_count",
            WebhookEvent::Unknown { name, .. } => name,
        }
    }

    /// The channel the event is about (for an unknown event, its `channel` string field if any).
    ///
    /// ```
    /// use pusher_client::WebhookEvent;
    ///
    /// let event = WebhookEvent::ChannelVacated { channel: "room".into() };
    /// assert_eq!(event.channel(), Some("room"));
    /// ```
    pub fn channel(&self) -> Option<&str> {
        match self {
            WebhookEvent::ChannelOccupied { channel }
            | WebhookEvent::ChannelVacated { channel }
            | WebhookEvent::MemberAdded { channel, .. }
            | WebhookEvent::MemberRemoved { channel, .. }
            | WebhookEvent::ClientEvent { channel, .. }
            | WebhookEvent::CacheMiss { channel }
            | WebhookEvent::SubscriptionCount { channel, .. } => Some(channel),
            WebhookEvent::Unknown { payload, .. } => payload.get("channel")?.as_str(),
        }
    }

    fn to_object(&self) -> Map<String, Value> {
        let mut map = Map::new();
        let mut put = |key: &str, value: Value| {
            map.insert(key.to_owned(), value);
        };
        if let WebhookEvent::Unknown {
            payload: Value::Object(object),
            ..
        } = self
        {
            for (key, value) in object {
                put(key, value.clone());
            }
        }
        put("name", Value::String(self.name().to_owned()));
        let text = |s: &str| Value::String(s.to_owned());
        match self {
            WebhookEvent::ChannelOccupied { channel }
            | WebhookEvent::ChannelVacated { channel }
            | WebhookEvent::CacheMiss { channel } => put("channel", text(channel)),
            WebhookEvent::MemberAdded { channel, user_id }
            | WebhookEvent::MemberRemoved { channel, user_id } => {
                put("channel", text(channel));
                put("user_id", text(user_id));
            }
            WebhookEvent::ClientEvent {
                channel,
                event,
                data,
                socket_id,
                user_id,
            } => {
                put("channel", text(channel));
                put("event", text(event));
                put("data", text(data));
                if let Some(socket_id) = socket_id {
                    put("socket_id", text(socket_id));
                }
                if let Some(user_id) = user_id {
                    put("user_id", text(user_id));
                }
            }
            WebhookEvent::SubscriptionCount {
                channel,
                subscription_count,
            } => {
                put("channel", text(channel));
                put("subscription_count", Value::from(*subscription_count));
            }
            WebhookEvent::Unknown { .. } => {}
        }
        map
    }
}

/// Serialises to the wire form Pusher sends (an unknown event: its payload, with its name).
impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_object().serialize(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialize_round_trips() {
        let events = vec![
            WebhookEvent::ChannelOccupied {
                channel: "a".into(),
            },
            WebhookEvent::ChannelVacated {
                channel: "a".into(),
            },
            WebhookEvent::MemberAdded {
                channel: "presence-a".into(),
                user_id: "1".into(),
            },
            WebhookEvent::MemberRemoved {
                channel: "presence-a".into(),
                user_id: "1".into(),
            },
            WebhookEvent::ClientEvent {
                channel: "private-a".into(),
                event: "client-x".into(),
                data: "{}".into(),
                socket_id: Some("1.2".into()),
                user_id: None,
            },
            WebhookEvent::CacheMiss {
                channel: "cache-a".into(),
            },
            WebhookEvent::SubscriptionCount {
                channel: "a".into(),
                subscription_count: 3,
            },
            WebhookEvent::Unknown {
                name: "new".into(),
                payload: json!({"name": "new", "channel": "a", "x": [1]}),
            },
        ];
        let webhook = Webhook { time_ms: 5, events };
        let text = serde_json::to_string(&webhook).unwrap();
        let back: Webhook = serde_json::from_str(&text).unwrap();
        assert_eq!(back, webhook);
        assert_eq!(back.events[7].channel(), Some("a"));
    }
}
