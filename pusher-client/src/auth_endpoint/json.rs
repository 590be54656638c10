//! JSON bodies, read by serde visitors straight into the fields the endpoints need: the
//! top-level object's `socket_id` and `channel_name` (a string, or an array for a batch).
//! Hand-written visitors rather than `#[derive(Deserialize)]` into `serde_json::Value`, to keep
//! a hostile body's memory cost within its size (see below).

use std::cell::Cell;
use std::convert::Infallible;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::body::{missing, too_many_channels};
use super::{AuthReply, ChannelAuthBody, MAX_BATCH_AUTH_CHANNELS};

/// A channel authorization body: `socket_id`, and `channel_name` as a string (one channel) or
/// an array of them (a batch, not empty).
pub(super) fn parse_channel_json(body: &[u8]) -> Result<ChannelAuthBody, AuthReply> {
    let fields = parse_json_fields(body, true)?;
    // The socket id is answered for first, as for a form body.
    let socket_id = fields.socket_id.into_string("socket_id")?;
    match fields.channel_name {
        ChannelNameField::One(name) => Ok(ChannelAuthBody {
            socket_id,
            channel_names: vec![name.into_string("channel_name")?],
            batch: false,
        }),
        ChannelNameField::Batch(names) => {
            let channel_names = names?;
            if channel_names.is_empty() {
                return Err(missing("channel_name"));
            }
            Ok(ChannelAuthBody {
                socket_id,
                channel_names,
                batch: true,
            })
        }
    }
}

/// A user authentication body's `socket_id`; `channel_name` and other fields are skipped.
pub(super) fn parse_user_json(body: &[u8]) -> Result<String, AuthReply> {
    parse_json_fields(body, false)?
        .socket_id
        .into_string("socket_id")
}

// JSON bodies are read straight into the fields the endpoints need, never into a
// `serde_json::Value` tree first: a tree costs up to 17 times the body (32 bytes per `0` in
// `[0,0,..]`), so a hostile 2 MiB body would cost 34 MiB. A value of the wrong type is checked
// (as strictly as `Value` would check it) and dropped without being built, and a batch stops
// being read at its limit. Peak memory stays within the body's size plus the names kept.

/// The fields of a JSON body. The answers are decided after the whole body parsed, in the same
/// order as for a form body (socket id first).
struct JsonFields {
    socket_id: JsonText,
    /// `One(Missing)` when absent; always so for a user authentication body.
    channel_name: ChannelNameField,
}

/// Parses a JSON object's `socket_id` and, for a channel body (`channel`), its `channel_name`;
/// other fields are skipped unchecked. Malformed JSON, anything but an object and a field
/// given twice are "not a JSON object"; a batch past [`MAX_BATCH_AUTH_CHANNELS`] is refused as
/// soon as its next name starts, without reading further.
fn parse_json_fields(body: &[u8], channel: bool) -> Result<JsonFields, AuthReply> {
    let too_many = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = de
        .deserialize_map(FieldsVisitor {
            channel,
            too_many: &too_many,
        })
        .and_then(|fields| de.end().map(|()| fields));
    parsed.map_err(|_| {
        if too_many.get() {
            too_many_channels()
        } else {
            AuthReply::error(400, "the body is not a JSON object")
        }
    })
}

/// The `visit_*` methods for JSON's scalars other than strings and null (booleans and the
/// number types `serde_json` may hand over), each answering `$value` whatever the scalar: the
/// visitors here only care that it is not a string.
macro_rules! visit_scalars {
    ($value:expr) => {
        visit_scalars!($value; visit_bool: bool, visit_i64: i64, visit_u64: u64,
            visit_i128: i128, visit_u128: u128, visit_f64: f64);
    };
    ($value:expr; $($method:ident: $ty:ty),*) => {
        $(
            fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> {
                Ok($value)
            }
        )*
    };
}

/// A JSON value where a string is expected.
enum JsonText {
    /// Absent, or `null`.
    Missing,
    Text(String),
    /// Any other type: checked, then dropped without being built.
    WrongType,
}

impl JsonText {
    fn into_string(self, field: &str) -> Result<String, AuthReply> {
        match self {
            JsonText::Text(text) => Ok(text),
            JsonText::Missing => Err(missing(field)),
            JsonText::WrongType => Err(AuthReply::error(400, &format!("{field} must be a string"))),
        }
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = JsonText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonText, E> {
        Ok(JsonText::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<JsonText, E> {
        Ok(JsonText::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<JsonText, E> {
        Ok(JsonText::Missing)
    }

    fn visit_none<E: de::Error>(self) -> Result<JsonText, E> {
        Ok(JsonText::Missing)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsonText, D::Error> {
        d.deserialize_any(self)
    }

    visit_scalars!(JsonText::WrongType);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<JsonText, A::Error> {
        CheckedVisitor.visit_seq(seq).map(|_| JsonText::WrongType)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<JsonText, A::Error> {
        CheckedVisitor.visit_map(map).map(|_| JsonText::WrongType)
    }
}

/// Any JSON value, checked as strictly as `serde_json::Value` checks it (numbers in range,
/// strings valid, nesting limited) but not built: refusing a wrong-typed field answers the
/// same as before, without the tree.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    visit_scalars!(Checked);

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_none<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Checked, D::Error> {
        Checked::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// `channel_name`: one value, or a batch of them.
enum ChannelNameField {
    /// Anything but an array.
    One(JsonText),
    /// An array: its names, or the answer to its first item that is not a string.
    Batch(Result<Vec<String>, AuthReply>),
}

/// Reads `channel_name`; sets `too_many` when a batch goes past the limit (the parse then
/// fails at once).
struct ChannelNameVisitor<'a> {
    too_many: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for ChannelNameVisitor<'_> {
    type Value = ChannelNameField;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ChannelNameField, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChannelNameVisitor<'_> {
    type Value = ChannelNameField;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a channel name or an array of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ChannelNameField, A::Error> {
        let mut names = Vec::new();
        let mut refused = None;
        for _ in 0..MAX_BATCH_AUTH_CHANNELS {
            let more = if refused.is_none() {
                match seq.next_element::<JsonText>()? {
                    None => false,
                    Some(JsonText::Text(name)) => {
                        names.push(name);
                        true
                    }
                    Some(other) => {
                        refused = other.into_string("channel_name").err();
                        true
                    }
                }
            } else {
                // Still counted, and checked as before, but no longer kept.
                seq.next_element::<Checked>()?.is_some()
            };
            if !more {
                break;
            }
        }
        // One more is one too many: refused before it is read.
        if let Some(never) = seq.next_element_seed(TooMany(self.too_many))? {
            match never {}
        }
        Ok(ChannelNameField::Batch(refused.map_or(Ok(names), Err)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ChannelNameField, E> {
        TextVisitor.visit_str(v).map(ChannelNameField::One)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<ChannelNameField, E> {
        TextVisitor.visit_string(v).map(ChannelNameField::One)
    }

    fn visit_unit<E: de::Error>(self) -> Result<ChannelNameField, E> {
        TextVisitor.visit_unit().map(ChannelNameField::One)
    }

    fn visit_none<E: de::Error>(self) -> Result<ChannelNameField, E> {
        TextVisitor.visit_none().map(ChannelNameField::One)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ChannelNameField, D::Error> {
        d.deserialize_any(self)
    }

    // What `TextVisitor` answers for a scalar.
    visit_scalars!(ChannelNameField::One(JsonText::WrongType));

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ChannelNameField, A::Error> {
        TextVisitor.visit_map(map).map(ChannelNameField::One)
    }
}

/// The element past a batch's limit: flags it and fails without reading it.
struct TooMany<'a>(&'a Cell<bool>);

impl<'de> DeserializeSeed<'de> for TooMany<'_> {
    type Value = Infallible;

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Infallible, D::Error> {
        self.0.set(true);
        Err(de::Error::custom(format_args!(
            "more than {MAX_BATCH_AUTH_CHANNELS} channels"
        )))
    }
}

/// The top-level object's keys the endpoints read.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    SocketId,
    ChannelName,
    #[serde(other)]
    Other,
}

struct FieldsVisitor<'a> {
    /// Whether `channel_name` is read (channel bodies) or skipped (user bodies).
    channel: bool,
    too_many: &'a Cell<bool>,
}

impl<'de> Visitor<'de> for FieldsVisitor<'_> {
    type Value = JsonFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonFields, A::Error> {
        let mut socket_id = None;
        let mut channel_name = None;
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::SocketId => {
                    if socket_id.is_some() {
                        return Err(de::Error::duplicate_field("socket_id"));
                    }
                    socket_id = Some(map.next_value::<JsonText>()?);
                }
                Field::ChannelName if self.channel => {
                    if channel_name.is_some() {
                        return Err(de::Error::duplicate_field("channel_name"));
                    }
                    channel_name = Some(map.next_value_seed(ChannelNameVisitor {
                        too_many: self.too_many,
                    })?);
                }
                // Unknown fields (and `channel_name` in a user body) are skipped unchecked.
                Field::ChannelName | Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(JsonFields {
            socket_id: socket_id.unwrap_or(JsonText::Missing),
            channel_name: channel_name.unwrap_or(ChannelNameField::One(JsonText::Missing)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::ChannelAuthBody;

    #[test]
    fn json_bodies() {
        let b = ChannelAuthBody::parse(
            Some("application/json"),
            br#"{"socket_id":"1.2","channel_name":["private-a","private-b"],"x":1}"#,
        )
        .unwrap();
        assert!(b.batch);
        assert_eq!(b.channel_names.len(), 2);
        for bad in [
            &br#"{"socket_id":1.2,"channel_name":"a"}"#[..],
            br#"{"channel_name":"a"}"#,
            br#"{"socket_id":"1.2"}"#,
            br#"{"socket_id":"1.2","channel_name":[]}"#,
            br#"{"socket_id":"1.2","channel_name":[1]}"#,
            b"not json",
            b"[]",
        ] {
            let reply = ChannelAuthBody::parse(Some("application/json"), bad).unwrap_err();
            assert_eq!(reply.status(), 400, "{}", String::from_utf8_lossy(bad));
        }
    }
}
