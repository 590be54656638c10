//! Validated names: channels, sockets, users and events.
//!
//! Each newtype is checked once when it is made, so a value that exists is valid. Length limits
//! that a server may raise (channel and event names) are checked again by the client against its
//! configured [`Limits`](crate::Limits) when the value is used.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The traits every validated string newtype has, written once: `Debug` and `Display` as the
/// string, `AsRef<str>`, and parsing (`FromStr`, `TryFrom<&str>`, `TryFrom<String>`, serde)
/// through the type's own validating `new`.
macro_rules! string_newtype_impls {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValidationError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::new(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Prefix of private channels.
pub(crate) const PRIVATE_PREFIX: &str = "private-";
/// Prefix of end-to-end encrypted channels.
pub(crate) const ENCRYPTED_PREFIX: &str = "private-encrypted-";
/// Prefix of presence channels.
pub(crate) const PRESENCE_PREFIX: &str = "presence-";
/// Prefix of the channel that reaches one signed-in user.
pub(crate) const USER_CHANNEL_PREFIX: &str = "#server-to-user-";

/// The longest user id accepted (the API has no published limit; this keeps paths bounded).
pub const MAX_USER_ID_LEN: usize = 200;

/// What kind of channel a name denotes, by its prefix.
///
/// ```
/// use pusher_client::{ChannelKind, ChannelName};
///
/// let channel = ChannelName::new("presence-room-1")?;
/// assert_eq!(channel.kind(), ChannelKind::Presence);
/// # Ok::<(), pusher_client::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelKind {
    /// Anyone may subscribe.
    Public,
    /// `private-`: subscribers need the server's authorization.
    Private,
    /// `private-encrypted-`: private, and event data is end-to-end encrypted.
    PrivateEncrypted,
    /// `presence-`: private, and subscribers see each other.
    Presence,
}

impl ChannelKind {
    /// The kind of the channel with this name (by prefix only; the name is not validated).
    pub fn of(name: &str) -> ChannelKind {
        if name.starts_with(ENCRYPTED_PREFIX) {
            ChannelKind::PrivateEncrypted
        } else if name.starts_with(PRIVATE_PREFIX) {
            ChannelKind::Private
        } else if name.starts_with(PRESENCE_PREFIX) {
            ChannelKind::Presence
        } else {
            ChannelKind::Public
        }
    }

    /// `true` for the kinds that need the server's authorization to subscribe.
    pub fn needs_authorization(self) -> bool {
        self != ChannelKind::Public
    }
}

fn channel_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '=' | '@' | ',' | '.' | ';')
}

/// Checks a channel name's characters (not its length, which depends on the configured limits).
pub(crate) fn check_channel_chars(name: &str) -> Result<(), ValidationError> {
    if name.is_empty() {
        return Err(ValidationError::EmptyChannelName);
    }
    if name.starts_with('#') {
        return Err(ValidationError::ReservedChannelName {
            name: truncate_for_message(name),
        });
    }
    // Every allowed character is ASCII: a byte scan settles the usual (valid) case, and the
    // character-wise search only runs to name the offending character.
    let bad = if name.bytes().all(|b| channel_char_ok(char::from(b))) {
        None
    } else {
        name.chars().find(|c| !channel_char_ok(*c))
    };
    if let Some(ch) = bad {
        return Err(ValidationError::ChannelNameInvalidChar {
            name: truncate_for_message(name),
            ch,
        });
    }
    if is_dot_segment(name) {
        return Err(ValidationError::DotSegment {
            field: "channel name",
            value: name.to_owned(),
        });
    }
    Ok(())
}

/// `.` and `..` are path navigation to every URL parser: as a path segment they would be
/// normalised away, sending the request somewhere other than where it was signed for.
pub(crate) fn is_dot_segment(value: &str) -> bool {
    value == "." || value == ".."
}

/// Checks a channel name against the characters Pusher allows and a length limit.
pub(crate) fn check_channel(name: &str, max_len: usize) -> Result<(), ValidationError> {
    check_channel_chars(name)?;
    // The charset is ASCII, so bytes are characters here.
    if name.len() > max_len {
        return Err(ValidationError::ChannelNameTooLong {
            name: truncate_for_message(name),
            len: name.len(),
            max: max_len,
        });
    }
    Ok(())
}

/// A channel name: non-empty, only `A-Z a-z 0-9 _ - = @ , . ;`, not the reserved `#` prefix.
///
/// Its length is checked against the client's [`Limits`](crate::Limits) when it is used, since
/// dedicated clusters and self-hosted servers may allow longer names than the default 164.
///
/// ```
/// use pusher_client::ChannelName;
///
/// let ok = ChannelName::new("private-orders.42")?;
/// assert_eq!(ok.as_str(), "private-orders.42");
/// assert!(ChannelName::new("no spaces").is_err());
/// assert!(ChannelName::new("#server-to-user-1").is_err());
/// # Ok::<(), pusher_client::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ChannelName(String);

impl ChannelName {
    /// Validates `name` as a channel name.
    pub fn new(name: impl Into<String>) -> Result<Self, ValidationError> {
        let name = name.into();
        check_channel_chars(&name)?;
        Ok(ChannelName(name))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What kind of channel this is, by its prefix.
    pub fn kind(&self) -> ChannelKind {
        ChannelKind::of(&self.0)
    }

    /// `true` for `presence-` channels.
    pub fn is_presence(&self) -> bool {
        self.kind() == ChannelKind::Presence
    }

    /// `true` for `private-encrypted-` channels.
    pub fn is_encrypted(&self) -> bool {
        self.kind() == ChannelKind::PrivateEncrypted
    }

    /// Unwraps the name.
    pub fn into_string(self) -> String {
        self.0
    }
}

string_newtype_impls!(ChannelName);

pub(crate) fn check_socket_id(value: &str) -> Result<(), ValidationError> {
    // Split at the first `.` byte (ASCII, so a character boundary).
    let dot = value.bytes().position(|b| b == b'.');
    let valid = dot
        .map(|at| (&value[..at], &value[at + 1..]))
        .is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
    if valid {
        Ok(())
    } else {
        Err(ValidationError::InvalidSocketId {
            value: truncate_for_message(value),
        })
    }
}

/// Keeps hostile input from bloating error messages.
pub(crate) fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_owned(),
    }
}

/// A pusher-js connection's socket id: ASCII digits, a dot, ASCII digits (`^\d+\.\d+$`).
///
/// The strict form matters: a socket id is part of the string signed for channel authorization,
/// so anything else (a `:` in particular) could forge a signature for another channel.
///
/// ```
/// use pusher_client::SocketId;
///
/// let id: SocketId = "1234.5678".parse()?;
/// assert_eq!(id.as_str(), "1234.5678");
/// assert!(SocketId::new("1234.5678:private-x").is_err());
/// assert!(SocketId::new("١٢.٣").is_err()); // non-ASCII digits
/// # Ok::<(), pusher_client::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SocketId(String);

impl SocketId {
    /// Validates `value` as a socket id.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        check_socket_id(&value)?;
        Ok(SocketId(value))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype_impls!(SocketId);

pub(crate) fn check_user_id(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::InvalidUserId {
            reason: "it must not be empty".into(),
        });
    }
    let len = value.chars().count();
    if len > MAX_USER_ID_LEN {
        return Err(ValidationError::InvalidUserId {
            reason: format!("it is {len} characters long; the limit is {MAX_USER_ID_LEN}"),
        });
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(ValidationError::InvalidUserId {
            reason: format!("it contains the control character {c:?}"),
        });
    }
    if is_dot_segment(value) {
        return Err(ValidationError::DotSegment {
            field: "user id",
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Checks that a user id can be *addressed*: that its `#server-to-user-{id}` channel is a valid
/// channel name, within `max_channel_len`. Signing a user in ([`Pusher::authenticate_user`]),
/// [`Pusher::send_to_user`] and [`Pusher::terminate_user_connections`] need this: a user whose
/// channel the server refuses can never be reached, so it is refused here, before anything is
/// signed or sent. Presence members' ids stay free-form ([`check_user_id`]).
///
/// [`Pusher::authenticate_user`]: crate::Pusher::authenticate_user
/// [`Pusher::send_to_user`]: crate::Pusher::send_to_user
/// [`Pusher::terminate_user_connections`]: crate::Pusher::terminate_user_connections
pub(crate) fn check_addressable_user_id(
    value: &str,
    max_channel_len: usize,
) -> Result<(), ValidationError> {
    check_user_id(value)?;
    if let Some(ch) = value.chars().find(|c| !channel_char_ok(*c)) {
        return Err(ValidationError::UserIdInvalidChar {
            user_id: truncate_for_message(value),
            ch,
        });
    }
    // The alphabet is ASCII, so bytes are characters here.
    let max = max_channel_len.saturating_sub(USER_CHANNEL_PREFIX.len());
    if value.len() > max {
        return Err(ValidationError::UserIdTooLong {
            user_id: truncate_for_message(value),
            len: value.len(),
            max,
        });
    }
    Ok(())
}

/// A user id: non-empty, at most [`MAX_USER_ID_LEN`] characters, no control characters.
///
/// Any other character is allowed (`&`, `+`, spaces, non-ASCII) in a presence member's id: the
/// client percent-encodes it in request paths and signs the path exactly as sent. A user who
/// signs in ([`Pusher::authenticate_user`](crate::Pusher::authenticate_user)) or is reached by
/// [`send_to_user`](crate::Pusher::send_to_user) and
/// [`terminate_user_connections`](crate::Pusher::terminate_user_connections) needs more: the id
/// becomes part of the channel `#server-to-user-{id}`, so it may only hold channel-name
/// characters (`A-Z a-z 0-9 _ - = @ , . ;`) and, with the default 164-character channel limit,
/// at most 148 of them. Those calls refuse other ids with
/// [`ValidationError::UserIdInvalidChar`] or [`ValidationError::UserIdTooLong`].
///
/// ```
/// use pusher_client::UserId;
///
/// let id = UserId::new("ada@example.com")?;
/// assert_eq!(id.as_str(), "ada@example.com");
/// assert!(UserId::new("").is_err());
/// assert!(UserId::new("line\nbreak").is_err());
/// // A valid presence member id, but not one a signed-in user can have (see above).
/// assert!(UserId::new("Ada Lovelace").is_ok());
/// # Ok::<(), pusher_client::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Validates `value` as a user id.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        check_user_id(&value)?;
        Ok(UserId(value))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype_impls!(UserId);

/// Checks an event name against a length limit (in characters).
pub(crate) fn check_event_name(name: &str, max_len: usize) -> Result<(), ValidationError> {
    if name.is_empty() {
        return Err(ValidationError::EmptyEventName);
    }
    let len = name.chars().count();
    if len > max_len {
        return Err(ValidationError::EventNameTooLong { len, max: max_len });
    }
    Ok(())
}

/// One or many channel names: what [`Pusher::trigger`](crate::Pusher::trigger) accepts.
///
/// Implemented for a single name (`&str`, `String`, [`ChannelName`]) and for collections of
/// names (`Vec`, arrays, slices). Names are validated by the client, with its limits.
pub trait IntoChannels {
    /// The names, unvalidated.
    fn into_channel_names(self) -> Vec<String>;
}

impl IntoChannels for &str {
    fn into_channel_names(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl IntoChannels for String {
    fn into_channel_names(self) -> Vec<String> {
        vec![self]
    }
}

impl IntoChannels for &String {
    fn into_channel_names(self) -> Vec<String> {
        vec![self.clone()]
    }
}

impl IntoChannels for ChannelName {
    fn into_channel_names(self) -> Vec<String> {
        vec![self.0]
    }
}

impl IntoChannels for &ChannelName {
    fn into_channel_names(self) -> Vec<String> {
        vec![self.0.clone()]
    }
}

impl<T: AsRef<str>> IntoChannels for Vec<T> {
    fn into_channel_names(self) -> Vec<String> {
        self.iter().map(|c| c.as_ref().to_owned()).collect()
    }
}

impl<T: AsRef<str>> IntoChannels for &[T] {
    fn into_channel_names(self) -> Vec<String> {
        self.iter().map(|c| c.as_ref().to_owned()).collect()
    }
}

impl<T: AsRef<str>, const N: usize> IntoChannels for [T; N] {
    fn into_channel_names(self) -> Vec<String> {
        self.iter().map(|c| c.as_ref().to_owned()).collect()
    }
}

impl<T: AsRef<str>, const N: usize> IntoChannels for &[T; N] {
    fn into_channel_names(self) -> Vec<String> {
        self.iter().map(|c| c.as_ref().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_charset_and_length() {
        assert!(check_channel("a-Z_0=@,.;", 164).is_ok());
        assert_eq!(
            check_channel("", 164),
            Err(ValidationError::EmptyChannelName)
        );
        let at = "a".repeat(164);
        assert!(check_channel(&at, 164).is_ok());
        let past = "a".repeat(165);
        assert!(matches!(
            check_channel(&past, 164),
            Err(ValidationError::ChannelNameTooLong {
                len: 165,
                max: 164,
                ..
            })
        ));
        assert!(matches!(
            check_channel("a:b", 164),
            Err(ValidationError::ChannelNameInvalidChar { ch: ':', .. })
        ));
        assert!(matches!(
            check_channel("é", 164),
            Err(ValidationError::ChannelNameInvalidChar { ch: 'é', .. })
        ));
        for dots in [".", ".."] {
            assert!(matches!(
                check_channel(dots, 164),
                Err(ValidationError::DotSegment { .. })
            ));
        }
        assert!(check_channel("...", 164).is_ok());
        assert!(matches!(
            check_channel("#server-to-user-1", 164),
            Err(ValidationError::ReservedChannelName { .. })
        ));
    }

    #[test]
    fn socket_ids() {
        for ok in ["1.1", "1234.5678", "0.0"] {
            assert!(SocketId::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "1.", ".1", "1", "1.1.1", "a.1", "1.1:x", " 1.1", "1.1\n", "١.١", "+1.1",
            "-1.1",
        ] {
            assert!(SocketId::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn user_ids() {
        assert!(UserId::new("a & b = c + d é").is_ok());
        assert!(UserId::new("x".repeat(MAX_USER_ID_LEN)).is_ok());
        assert!(UserId::new("x".repeat(MAX_USER_ID_LEN + 1)).is_err());
        assert!(UserId::new("").is_err());
        assert!(UserId::new("a\u{0}b").is_err());
        assert!(UserId::new(".").is_err());
        assert!(UserId::new("..").is_err());
        assert!(UserId::new("...").is_ok());
    }

    #[test]
    fn event_names() {
        assert!(check_event_name(&"e".repeat(200), 200).is_ok());
        assert_eq!(
            check_event_name(&"e".repeat(201), 200),
            Err(ValidationError::EventNameTooLong { len: 201, max: 200 })
        );
        assert_eq!(
            check_event_name("", 200),
            Err(ValidationError::EmptyEventName)
        );
    }

    #[test]
    fn kinds() {
        assert_eq!(
            ChannelKind::of("private-encrypted-x"),
            ChannelKind::PrivateEncrypted
        );
        assert_eq!(ChannelKind::of("private-x"), ChannelKind::Private);
        assert_eq!(ChannelKind::of("presence-x"), ChannelKind::Presence);
        assert_eq!(ChannelKind::of("x"), ChannelKind::Public);
    }

    #[test]
    fn deserialize_validates() {
        assert!(serde_json::from_str::<SocketId>("\"1.2\"").is_ok());
        assert!(serde_json::from_str::<SocketId>("\"1.2:x\"").is_err());
        assert!(serde_json::from_str::<ChannelName>("\"a b\"").is_err());
    }
}
