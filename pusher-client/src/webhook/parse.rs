//! How one event object is parsed: leniently (unknown fields ignored, ids as strings or
//! integers, unknown event names kept), field by field into fixed slots so that a known event
//! is read without allocating its keys or building a map.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::WebhookEvent;

impl WebhookEvent {
    fn from_fields(mut fields: EventFields) -> Result<Self, String> {
        let Some(Value::String(name)) = fields.take(Field::Name) else {
            return Err("an event has no \"name\" string".into());
        };
        let string = |fields: &mut EventFields, field: Field| -> Result<String, String> {
            match fields.take(field) {
                Some(Value::String(s)) => Ok(s),
                Some(_) => Err(format!("{name} event: {} is not a string", field.as_str())),
                None => Err(format!("{name} event: {} is missing", field.as_str())),
            }
        };
        let id = |fields: &mut EventFields, field: Field| -> Result<Option<String>, String> {
            match fields.take(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
                Some(_) => Err(format!(
                    "{name} event: {} is not a string or an integer",
                    field.as_str()
                )),
            }
        };
        let required_id = |fields: &mut EventFields, field: Field| -> Result<String, String> {
            id(fields, field)?.ok_or_else(|| format!("{name} event: {} is missing", field.as_str()))
        };
        let f = &mut fields;
        let event = match name.as_str() {
            "channel_occupied" => WebhookEvent::ChannelOccupied {
                channel: string(f, Field::Channel)?,
            },
            "channel_vacated" => WebhookEvent::ChannelVacated {
                channel: string(f, Field::Channel)?,
            },
            "member_added" => WebhookEvent::MemberAdded {
                channel: string(f, Field::Channel)?,
                user_id: required_id(f, Field::UserId)?,
            },
            "member_removed" => WebhookEvent::MemberRemoved {
                channel: string(f, Field::Channel)?,
                user_id: required_id(f, Field::UserId)?,
            },
            "client_event" => WebhookEvent::ClientEvent {
                channel: string(f, Field::Channel)?,
                event: string(f, Field::Event)?,
                data: match f.take(Field::Data) {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => return Err(format!("{name} event: data is missing")),
                },
                socket_id: id(f, Field::SocketId)?,
                user_id: id(f, Field::UserId)?,
            },
            "cache_miss" => WebhookEvent::CacheMiss {
                channel: string(f, Field::Channel)?,
            },
            "subscription_count" => WebhookEvent::SubscriptionCount {
                channel: string(f, Field::Channel)?,
                subscription_count: match f.take(Field::SubscriptionCount) {
                    Some(Value::Number(n)) => n.as_u64(),
                    Some(Value::String(s)) => s.parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| {
                    format!("{name} event: subscription_count is missing or not a whole number")
                })?,
            },
            _ => {
                let mut payload = fields.into_map();
                payload.insert("name".into(), Value::String(name.clone()));
                return Ok(WebhookEvent::Unknown {
                    name,
                    payload: Value::Object(payload),
                });
            }
        };
        Ok(event)
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = d.deserialize_map(EventFieldsVisitor)?;
        WebhookEvent::from_fields(fields).map_err(D::Error::custom)
    }
}

/// The fields a known event can have, each in its own slot, so an event is parsed without
/// allocating its keys or building a map; anything else is kept for unknown events only.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Channel,
    UserId,
    Event,
    Data,
    SocketId,
    SubscriptionCount,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Name,
        Field::Channel,
        Field::UserId,
        Field::Event,
        Field::Data,
        Field::SocketId,
        Field::SubscriptionCount,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Channel => "channel",
            Field::UserId => "user_id",
            Field::Event => "event",
            Field::Data => "data",
            Field::SocketId => "socket_id",
            Field::SubscriptionCount => "subscription_count",
        }
    }

    fn of(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == key)
    }
}

/// One event object as received: known fields in slots (the last of duplicates wins, as in a
/// JSON map), the rest by name.
#[derive(Default)]
struct EventFields {
    slots: [Option<Value>; 7],
    rest: Map<String, Value>,
}

impl EventFields {
    fn take(&mut self, field: Field) -> Option<Value> {
        self.slots[field as usize].take()
    }

    /// Everything still held, as the JSON object it came from.
    fn into_map(self) -> Map<String, Value> {
        let mut map = self.rest;
        for (field, value) in Field::ALL.into_iter().zip(self.slots) {
            if let Some(value) = value {
                map.insert(field.as_str().to_owned(), value);
            }
        }
        map
    }
}

/// An event object's key: a known field (matched without allocating) or any other name.
enum Key {
    Known(Field),
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(Field::of(key).map_or_else(|| Key::Other(key.to_owned()), Key::Known))
            }
            fn visit_string<E: serde::de::Error>(self, key: String) -> Result<Key, E> {
                Ok(Field::of(&key).map_or(Key::Other(key), Key::Known))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct EventFieldsVisitor;

impl<'de> Visitor<'de> for EventFieldsVisitor {
    type Value = EventFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<EventFields, A::Error> {
        let mut fields = EventFields::default();
        while let Some(key) = access.next_key::<Key>()? {
            let value: Value = access.next_value()?;
            match key {
                Key::Known(field) => fields.slots[field as usize] = Some(value),
                Key::Other(name) => {
                    fields.rest.insert(name, value);
                }
            }
        }
        Ok(fields)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields() {
        let e: WebhookEvent = serde_json::from_str(
            r#"{"name":"client_event","channel":"c","event":"client-e","data":{"a":1},"user_id":7,"socket_id":null}"#,
        )
        .unwrap();
        assert_eq!(
            e,
            WebhookEvent::ClientEvent {
                channel: "c".into(),
                event: "client-e".into(),
                data: r#"{"a":1}"#.into(),
                socket_id: None,
                user_id: Some("7".into()),
            }
        );
        let e: WebhookEvent = serde_json::from_str(
            r#"{"name":"subscription_count","channel":"c","subscription_count":"4"}"#,
        )
        .unwrap();
        assert_eq!(e.channel(), Some("c"));
        for bad in [
            r#"{"channel":"c"}"#,
            r#"{"name":5}"#,
            r#"{"name":"channel_occupied"}"#,
            r#"{"name":"member_added","channel":"c"}"#,
            r#"{"name":"member_added","channel":"c","user_id":1.5}"#,
            r#"{"name":"subscription_count","channel":"c","subscription_count":-1}"#,
            r#"{"name":"client_event","channel":"c","event":"e"}"#,
            r#"[]"#,
        ] {
            assert!(serde_json::from_str::<WebhookEvent>(bad).is_err(), "{bad}");
        }
    }
}
