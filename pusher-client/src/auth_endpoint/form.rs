//! Form-urlencoded bodies (what pusher-js sends by default): one channel as `channel_name`, a
//! batch as `channel_name[0]`, `channel_name[1]`, …; the user's `socket_id`.
//!
//! The pairs are decoded by the `form_urlencoded` crate (the WHATWG
//! `application/x-www-form-urlencoded` parser `url` is built on): `+` is a space, `%XX` a byte,
//! empty pairs are skipped, a pair without `=` has an empty value, and bytes that are not
//! UTF-8 after decoding become U+FFFD (as browsers decode forms; pusher-js's own fields are
//! ASCII). A field that needs no decoding is borrowed from the body, not copied.

use std::collections::BTreeMap;

use super::body::{missing, set_once, too_many_channels};
use super::{AuthReply, ChannelAuthBody, MAX_BATCH_AUTH_CHANNELS};

/// A channel authorization body: `socket_id` and `channel_name` (one) or `channel_name[n]`
/// (a batch, put in index order); each given once, never both forms.
pub(super) fn parse_channel_form(body: &[u8]) -> Result<ChannelAuthBody, AuthReply> {
    let mut socket_id = None;
    let mut single = None;
    let mut indexed: BTreeMap<usize, String> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        if key == "socket_id" {
            set_once(&mut socket_id, value.into_owned(), "socket_id")?;
        } else if key == "channel_name" {
            set_once(&mut single, value.into_owned(), "channel_name")?;
        } else if let Some(index) = key
            .strip_prefix("channel_name[")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            let index: usize = index
                .parse()
                .map_err(|_| AuthReply::error(400, "channel_name[..] needs a numeric index"))?;
            if index >= MAX_BATCH_AUTH_CHANNELS {
                // Compared, never incremented: `channel_name[18446744073709551615]` is refused
                // without an overflow.
                return Err(too_many_channels());
            }
            if indexed.insert(index, value.into_owned()).is_some() {
                return Err(AuthReply::error(
                    400,
                    &format!("channel_name[{index}] is given twice"),
                ));
            }
        }
    }
    let socket_id = socket_id.ok_or_else(|| missing("socket_id"))?;
    match (single, indexed.is_empty()) {
        (Some(channel), true) => Ok(ChannelAuthBody {
            socket_id,
            channel_names: vec![channel],
            batch: false,
        }),
        (None, false) => Ok(ChannelAuthBody {
            socket_id,
            channel_names: indexed.into_values().collect(),
            batch: true,
        }),
        (None, true) => Err(missing("channel_name")),
        (Some(_), false) => Err(AuthReply::error(
            400,
            "give either channel_name or channel_name[n], not both",
        )),
    }
}

/// A user authentication body's `socket_id`, given once; other fields are ignored.
pub(super) fn parse_user_form(body: &[u8]) -> Result<String, AuthReply> {
    let mut socket_id = None;
    for (key, value) in form_urlencoded::parse(body) {
        if key == "socket_id" {
            set_once(&mut socket_id, value.into_owned(), "socket_id")?;
        }
    }
    socket_id.ok_or_else(|| missing("socket_id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ChannelAuthRequest;

    #[test]
    fn form_bodies() {
        let b = ChannelAuthBody::parse(None, b"channel_name=private-foobar&socket_id=1234.1234")
            .unwrap();
        assert_eq!(
            b.requests(),
            [ChannelAuthRequest::new("1234.1234", "private-foobar")]
        );
        // Indices out of order are put in order.
        let b = ChannelAuthBody::parse(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            b"socket_id=1.2&channel_name[1]=private-b&channel_name[0]=private-a",
        )
        .unwrap();
        assert_eq!(b.channel_names, ["private-a", "private-b"]);
        for bad in [
            &b"channel_name=private-a"[..],
            b"socket_id=1.2",
            b"socket_id=1.2&socket_id=1.3&channel_name=private-a",
            b"socket_id=1.2&channel_name=a&channel_name[0]=b",
            b"socket_id=1.2&channel_name[x]=a",
            b"socket_id=1.2&channel_name[0]=a&channel_name[0]=b",
            b"socket_id=1.2&channel_name[100]=a",
            b"socket_id=1.2&channel_name[18446744073709551615]=a",
            b"socket_id=1.2&channel_name[99999999999999999999]=a",
        ] {
            let reply = ChannelAuthBody::parse(None, bad).unwrap_err();
            assert_eq!(reply.status(), 400, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            ChannelAuthBody::parse(Some("text/plain"), b"socket_id=1.2&channel_name=a")
                .unwrap_err()
                .status(),
            400
        );
    }

    /// How fields are decoded (pinned from the hand-written decoder this replaced, which was
    /// tested equal to `form_urlencoded` on these bodies).
    #[test]
    fn fields_are_decoded_as_forms_are() {
        let one = |body: &[u8]| {
            let parsed = ChannelAuthBody::parse(None, body).unwrap();
            (parsed.socket_id, parsed.channel_names)
        };
        let names = |names: &[&str]| names.iter().map(|&n| n.to_owned()).collect::<Vec<_>>();
        // `+` is a space, `%XX` a byte; invalid escapes are kept as they are.
        assert_eq!(
            one(b"socket_id=%zz%4&channel_name=private%2Da+b%20c"),
            ("%zz%4".to_owned(), names(&["private-a b c"]))
        );
        // Escaped brackets name a batch too.
        assert_eq!(
            one(b"socket_id=1.2&channel_name%5B0%5D=private-a").1,
            names(&["private-a"])
        );
        // Bytes that are not UTF-8 (escaped or raw) become U+FFFD; valid ones are decoded.
        assert_eq!(
            one(b"socket_id=1.2&channel_name=private-%ff%fe\xff%e2%82%ac\xc3\xa9").1,
            names(&["private-\u{FFFD}\u{FFFD}\u{FFFD}\u{20ac}\u{e9}"])
        );
        // Empty pairs are skipped; a pair without `=` has an empty value; only the first `=`
        // splits.
        assert_eq!(
            one(b"&&socket_id=1.2=3&&channel_name=private-a&x&=y&"),
            ("1.2=3".to_owned(), names(&["private-a"]))
        );
        assert_eq!(one(b"socket_id&channel_name=private-a").0, "");
        // The user body reads the same way.
        assert_eq!(parse_user_form(b"x=1&socket_id=1%2E2+").unwrap(), "1.2 ");
        for bad in [&b"socket_id=1&socket_id=2"[..], b"", b"&&", b"socket_idx=1"] {
            assert_eq!(parse_user_form(bad).unwrap_err().status(), 400);
        }
    }
}
