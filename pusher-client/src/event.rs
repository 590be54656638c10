//! What a trigger carries: event [`Data`], the [`Info`] attributes to ask for, and
//! [`BatchEvent`]s.

use std::fmt;
use std::ops::BitOr;
use std::str::FromStr;

use serde::Serialize;

use crate::error::Error;

/// An event's payload, exactly as it will be delivered to subscribers.
///
/// Two explicit inputs, so nothing is guessed:
/// - [`Data::json`] serialises any `Serialize` value once, to compact JSON;
/// - [`Data::text`] (and `From<&str>` / `From<String>`) sends a string exactly as given —
///   pre-serialised JSON or plain text, never quoted again.
///
/// A `serde_json::Value` converts directly (it cannot fail to serialise).
///
/// ```
/// use pusher_client::Data;
/// use serde_json::json;
///
/// #[derive(serde::Serialize)]
/// struct Message { text: String }
///
/// let from_struct = Data::json(&Message { text: "hi".into() })?;
/// assert_eq!(from_struct.as_str(), r#"{"text":"hi"}"#);
///
/// let from_value = Data::from(json!({"text": "hi"}));
/// assert_eq!(from_value.as_str(), r#"{"text":"hi"}"#);
///
/// let plain = Data::from("hi");             // delivered as the string hi
/// assert_eq!(plain.as_str(), "hi");
/// let quoted = Data::json(&"hi")?;          // delivered as the JSON string "hi"
/// assert_eq!(quoted.as_str(), r#""hi""#);
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Data(String);

impl Data {
    /// Serialises `value` to compact JSON.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        serde_json::to_string(value)
            .map(Data)
            .map_err(Error::serialize("event data"))
    }

    /// Sends `text` exactly as given.
    pub fn text(text: impl Into<String>) -> Self {
        Data(text.into())
    }

    /// The payload as it will be sent (before any end-to-end encryption).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its size in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when the payload is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Payloads can be large and private: show the size, not the content.
        write!(f, "Data({} bytes)", self.0.len())
    }
}

impl From<&str> for Data {
    fn from(text: &str) -> Self {
        Data(text.to_owned())
    }
}

impl From<String> for Data {
    fn from(text: String) -> Self {
        Data(text)
    }
}

impl From<&String> for Data {
    fn from(text: &String) -> Self {
        Data(text.clone())
    }
}

impl From<serde_json::Value> for Data {
    fn from(value: serde_json::Value) -> Self {
        Data(value.to_string())
    }
}

impl From<&serde_json::Value> for Data {
    fn from(value: &serde_json::Value) -> Self {
        Data(value.to_string())
    }
}

/// Channel attributes to ask the API for: combine with `|`.
///
/// Its wire form is the `info` parameter's value, a comma-separated list of attribute names:
/// `Display` writes it (empty for [`Info::NONE`]) and `FromStr` reads it back, so a value taken
/// from a request's query string or a config file converts directly.
///
/// ```
/// use pusher_client::Info;
///
/// let both = Info::SUBSCRIPTION_COUNT | Info::USER_COUNT;
/// assert!(both.has_user_count());
/// assert_eq!(both.to_param().as_deref(), Some("subscription_count,user_count"));
/// assert_eq!(Info::NONE.to_param(), None);
///
/// assert_eq!("user_count,subscription_count".parse::<Info>()?, both);
/// assert_eq!(both.to_string(), "subscription_count,user_count");
/// # Ok::<(), pusher_client::ParseInfoError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Info {
    subscription_count: bool,
    user_count: bool,
}

impl Info {
    /// No attributes.
    pub const NONE: Info = Info {
        subscription_count: false,
        user_count: false,
    };
    /// The number of connections subscribed (must be enabled in the Pusher dashboard).
    pub const SUBSCRIPTION_COUNT: Info = Info {
        subscription_count: true,
        user_count: false,
    };
    /// The number of distinct users; presence channels only.
    pub const USER_COUNT: Info = Info {
        subscription_count: false,
        user_count: true,
    };

    /// `true` if `subscription_count` is asked for.
    pub fn has_subscription_count(self) -> bool {
        self.subscription_count
    }

    /// `true` if `user_count` is asked for.
    pub fn has_user_count(self) -> bool {
        self.user_count
    }

    /// `true` if nothing is asked for.
    pub fn is_empty(self) -> bool {
        !self.subscription_count && !self.user_count
    }

    /// The `info` parameter's value, e.g. `subscription_count,user_count`.
    pub fn to_param(self) -> Option<String> {
        match (self.subscription_count, self.user_count) {
            (false, false) => None,
            (true, false) => Some("subscription_count".into()),
            (false, true) => Some("user_count".into()),
            (true, true) => Some("subscription_count,user_count".into()),
        }
    }
}

impl fmt::Display for Info {
    /// The wire form, as [`to_param`](Info::to_param) gives it; the empty string for
    /// [`Info::NONE`].
    ///
    /// ```
    /// use pusher_client::Info;
    ///
    /// assert_eq!(Info::USER_COUNT.to_string(), "user_count");
    /// assert_eq!(Info::NONE.to_string(), "");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.subscription_count, self.user_count) {
            (false, false) => "",
            (true, false) => "subscription_count",
            (false, true) => "user_count",
            (true, true) => "subscription_count,user_count",
        })
    }
}

impl FromStr for Info {
    type Err = ParseInfoError;

    /// Reads the wire form: attribute names separated by commas, in any order.
    ///
    /// - Whitespace around each name is ignored, and so are empty items: `""`, `" "` and
    ///   `"user_count,"` parse (the first two as [`Info::NONE`]).
    /// - A name given twice counts once.
    /// - Names are case-sensitive, as the API's are.
    /// - An unknown name is refused with a [`ParseInfoError`] naming it, rather than dropped:
    ///   `Info` can only ask for the attributes it knows, and silently asking for less than
    ///   was written would hide a typo. (Servers that add attributes can still be asked for
    ///   them through [`Pusher::get`](crate::Pusher::get) with an `info` parameter.)
    ///
    /// ```
    /// use pusher_client::Info;
    ///
    /// assert_eq!(" user_count , ".parse::<Info>()?, Info::USER_COUNT);
    /// assert_eq!("".parse::<Info>()?, Info::NONE);
    /// let err = "user_count,member_count".parse::<Info>().unwrap_err();
    /// assert_eq!(err.attribute(), "member_count");
    /// # Ok::<(), pusher_client::ParseInfoError>(())
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut info = Info::NONE;
        for name in s.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            info = info
                | match name {
                    "subscription_count" => Info::SUBSCRIPTION_COUNT,
                    "user_count" => Info::USER_COUNT,
                    other => {
                        return Err(ParseInfoError {
                            attribute: other.to_owned(),
                        });
                    }
                };
        }
        Ok(info)
    }
}

/// An `info` value named an attribute [`Info`] does not know.
///
/// ```
/// let err = "user_count,bogus".parse::<pusher_client::Info>().unwrap_err();
/// assert_eq!(err.attribute(), "bogus");
/// assert_eq!(
///     err.to_string(),
///     r#"unknown channel attribute "bogus" in info (known: subscription_count, user_count)"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseInfoError {
    attribute: String,
}

impl ParseInfoError {
    /// The unknown attribute name, trimmed of surrounding whitespace.
    ///
    /// ```
    /// let err = " Users ".parse::<pusher_client::Info>().unwrap_err();
    /// assert_eq!(err.attribute(), "Users");
    /// ```
    pub fn attribute(&self) -> &str {
        &self.attribute
    }
}

impl fmt::Display for ParseInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown channel attribute {:?} in info (known: subscription_count, user_count)",
            self.attribute
        )
    }
}

impl std::error::Error for ParseInfoError {}

impl BitOr for Info {
    type Output = Info;
    fn bitor(self, rhs: Info) -> Info {
        Info {
            subscription_count: self.subscription_count || rhs.subscription_count,
            user_count: self.user_count || rhs.user_count,
        }
    }
}

/// One event of a [`Pusher::trigger_batch`](crate::Pusher::trigger_batch).
///
/// ```
/// use pusher_client::{BatchEvent, Info};
///
/// let event = BatchEvent::new("presence-room", "joined", r#"{"who":"ada"}"#)
///     .exclude("1234.5678")
///     .info(Info::USER_COUNT);
/// assert_eq!(event.channel(), "presence-room");
/// ```
#[derive(Debug, Clone)]
pub struct BatchEvent {
    pub(crate) channel: String,
    pub(crate) name: String,
    pub(crate) data: Data,
    pub(crate) socket_id: Option<String>,
    pub(crate) info: Info,
}

impl BatchEvent {
    /// An event `name` with `data` on `channel`. Validated when the batch is sent.
    pub fn new(channel: impl Into<String>, name: impl Into<String>, data: impl Into<Data>) -> Self {
        BatchEvent {
            channel: channel.into(),
            name: name.into(),
            data: data.into(),
            socket_id: None,
            info: Info::NONE,
        }
    }

    /// Excludes the connection with this socket id from receiving the event.
    pub fn exclude(mut self, socket_id: impl Into<String>) -> Self {
        self.socket_id = Some(socket_id.into());
        self
    }

    /// Asks for attributes of the channel, reported per event in the batch's answer.
    pub fn info(mut self, info: Info) -> Self {
        self.info = info;
        self
    }

    /// The channel.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The event name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The payload.
    pub fn data(&self) -> &Data {
        &self.data
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ALL: [Info; 4] = [
        Info::NONE,
        Info::SUBSCRIPTION_COUNT,
        Info::USER_COUNT,
        Info {
            subscription_count: true,
            user_count: true,
        },
    ];

    #[test]
    fn info_round_trips_through_its_wire_form() {
        for info in ALL {
            let wire = info.to_string();
            assert_eq!(wire.parse::<Info>().unwrap(), info, "{wire:?}");
            assert_eq!(info.to_param().unwrap_or_default(), wire);
        }
    }

    #[test]
    fn info_parse_table() {
        let both = Info::SUBSCRIPTION_COUNT | Info::USER_COUNT;
        for (text, expected) in [
            ("", Info::NONE),
            ("   ", Info::NONE),
            (",", Info::NONE),
            ("user_count", Info::USER_COUNT),
            ("subscription_count", Info::SUBSCRIPTION_COUNT),
            ("user_count,subscription_count", both),
            ("subscription_count,user_count", both),
            (" user_count ,\tsubscription_count\n", both),
            ("user_count,user_count", Info::USER_COUNT),
            ("user_count,", Info::USER_COUNT),
            (",,subscription_count", Info::SUBSCRIPTION_COUNT),
        ] {
            assert_eq!(text.parse::<Info>(), Ok(expected), "{text:?}");
        }
        for (text, unknown) in [
            ("users", "users"),
            ("User_Count", "User_Count"),
            ("user_count,member_count", "member_count"),
            (
                "user_count subscription_count",
                "user_count subscription_count",
            ),
            (
                "user_count;subscription_count",
                "user_count;subscription_count",
            ),
        ] {
            let err = text.parse::<Info>().unwrap_err();
            assert_eq!(err.attribute(), unknown, "{text:?}");
            assert!(err.to_string().contains(unknown), "{err}");
        }
    }
}
