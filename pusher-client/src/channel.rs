//! Name validation: channels, sockets, users and events.
//!
//! The public API takes plain strings and each call checks them here, before anything is
//! signed or sent; a bad value is a [`ValidationError`]. Length limits that a server may raise
//! (channel and event names) come from the client's configured [`Limits`](crate::Limits).

use crate::error::ValidationError;

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
/// use pusher_client::ChannelKind;
///
/// assert_eq!(ChannelKind::of("presence-room-1"), ChannelKind::Presence);
/// assert!(ChannelKind::of("private-encrypted-a").needs_authorization());
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

/// Checks a channel name's characters (not its length, which depends on the configured limits):
/// non-empty, only `A-Z a-z 0-9 _ - = @ , . ;`, not the reserved `#` prefix (Pusher's own
/// `#server-to-user-` channels), and not `.` or `..`.
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

/// Checks a channel name against the characters Pusher allows and a length limit: the
/// client's [`Limits`](crate::Limits), since dedicated clusters and self-hosted servers may
/// allow longer names than the default 164.
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

/// Checks a pusher-js connection's socket id: ASCII digits, a dot, ASCII digits
/// (`^\d+\.\d+$`).
///
/// The strict form matters: a socket id is part of the string signed for channel authorization,
/// so anything else (a `:` in particular) could forge a signature for another channel.
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

/// Checks a user id: non-empty, at most [`MAX_USER_ID_LEN`] characters, no control characters,
/// not `.` or `..` (a path segment URL parsers would normalise away).
///
/// Any other character is allowed (`&`, `+`, spaces, non-ASCII) in a presence member's id: the
/// client percent-encodes it in request paths and signs the path exactly as sent. A user who
/// signs in or is addressed ([`check_addressable_user_id`]) needs more.
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
/// channel name, within `max_channel_len` (only `A-Z a-z 0-9 _ - = @ , . ;`, and at most 148
/// characters with the default 164-character channel limit). Signing a user in ([`Pusher::authenticate_user`]),
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
/// Implemented for a single name (`&str`, `String`, `&String`) and for collections of
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
            assert!(check_socket_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "1.", ".1", "1", "1.1.1", "a.1", "1.1:x", " 1.1", "1.1\n", "١.١", "+1.1",
            "-1.1",
        ] {
            assert!(check_socket_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn user_ids() {
        assert!(check_user_id("a & b = c + d é").is_ok());
        assert!(check_user_id(&"x".repeat(MAX_USER_ID_LEN)).is_ok());
        assert!(check_user_id(&"x".repeat(MAX_USER_ID_LEN + 1)).is_err());
        assert!(check_user_id("").is_err());
        assert!(check_user_id("a\u{0}b").is_err());
        assert!(check_user_id(".").is_err());
        assert!(check_user_id("..").is_err());
        assert!(check_user_id("...").is_ok());
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
}
