//! Property tests of name validation: channel names, socket ids and user ids as the client's
//! calls check them before anything is signed or sent. Arbitrary strings never panic;
//! strings of the valid grammar are accepted; a string with any character outside the grammar
//! is refused.
//!
//! The grammar, restated here independently of the crate:
//! - channel name: 1–164 characters of `A-Z a-z 0-9 _ - = @ , . ;`, not `.` or `..`;
//! - socket id: ASCII digits, one dot, ASCII digits;
//! - user id: 1–200 characters, no control character, not `.` or `..`;
//! - event name: 1–200 characters.
//!
//! The client calls go to a tiny loopback server that answers every request `200 {}`, so a
//! valid call succeeds and an invalid one must fail with `Error::Validation`.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::LazyLock;

use proptest::prelude::*;
use pusher_client::{
    ChannelAuth, ChannelAuthRequest, Error, MAX_USER_ID_LEN, PresenceMember, Pusher,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

const MAX_CHANNEL: usize = 164;
const MAX_EVENT: usize = 200;

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

fn channel_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-=@,.;".contains(c)
}

fn channel_ok(s: &str) -> bool {
    !s.is_empty() && s.chars().all(channel_char_ok) && s != "." && s != ".."
}

fn socket_ok(s: &str) -> bool {
    match s.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn user_ok(s: &str) -> bool {
    let len = s.chars().count();
    (1..=MAX_USER_ID_LEN).contains(&len)
        && !s.chars().any(char::is_control)
        && s != "."
        && s != ".."
}

/// A user id that send_to_user, terminate_user_connections and user authentication accept: its
/// `#server-to-user-<id>` channel is a valid channel name within the length limit.
fn addressable_user_ok(s: &str) -> bool {
    user_ok(s)
        && s.chars().all(channel_char_ok)
        && "#server-to-user-".len() + s.len() <= MAX_CHANNEL
}

fn event_ok(s: &str) -> bool {
    (1..=MAX_EVENT).contains(&s.chars().count())
}

/// Strings biased towards the grammar's edges: valid ones, near misses and anything.
fn channel_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(40),
        "(private-|presence-|private-encrypted-|#)?[A-Za-z0-9_=@,.;-]{0,40}",
        "[A-Za-z0-9_=@,.;: #/?%é-]{0,20}",
        Just(".".to_owned()),
        Just("..".to_owned()),
        (160usize..170).prop_map(|n| "a".repeat(n)),
    ]
}

fn socket_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(24),
        "[0-9]{0,6}\\.[0-9]{0,6}",
        "[0-9.:+ \\-a]{0,12}",
        "[0-9]{1,6}\\.[0-9]{1,6}(:(private|presence)-[a-z]{1,6})?",
        "[٠-٩]{1,3}\\.[0-9]{1,3}",
    ]
}

fn user_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(40),
        proptest::collection::vec(any::<char>(), 195..205)
            .prop_map(|c| c.into_iter().collect::<String>()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        "[a-z&+=/ é]{0,12}",
    ]
}

fn event_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(40),
        proptest::collection::vec(any::<char>(), 195..205)
            .prop_map(|c| c.into_iter().collect::<String>()),
    ]
}

/// Valid channel names, at most 164 characters.
fn valid_channel() -> impl Strategy<Value = String> {
    "(private-|presence-|private-encrypted-)?[A-Za-z0-9_=@,.;-]{1,140}"
        .prop_filter("not a dot segment", |s| s != "." && s != "..")
}

fn valid_socket() -> impl Strategy<Value = String> {
    "[0-9]{1,20}\\.[0-9]{1,20}"
}

fn valid_user() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter("not a control character", |c| !c.is_control()),
        1..=MAX_USER_ID_LEN,
    )
    .prop_map(|c| c.into_iter().collect::<String>())
    .prop_filter("not a dot segment", |s| s != "." && s != "..")
}

/// Inserts `c` at a position chosen by `at`.
fn insert(s: &str, at: prop::sample::Index, c: char) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let i = at.index(chars.len() + 1);
    chars.insert(i, c);
    chars.into_iter().collect()
}

/// A loopback server that answers every request `200 {}` (keep-alive), on its own runtime.
fn server() -> SocketAddr {
    static ADDR: LazyLock<SocketAddr> = LazyLock::new(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let Ok((mut socket, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(async move {
                        let mut buffer = Vec::new();
                        let mut chunk = [0u8; 4096];
                        loop {
                            // One request: headers, then Content-Length bytes of body.
                            let end = loop {
                                if let Some(i) = find(&buffer, b"\r\n\r\n") {
                                    break i + 4;
                                }
                                match socket.read(&mut chunk).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                                }
                            };
                            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
                            let length: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            while buffer.len() < end + length {
                                match socket.read(&mut chunk).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                                }
                            }
                            buffer.drain(..end + length);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
                            if socket.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            });
        });
        rx.recv().unwrap()
    });
    *ADDR
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn pusher() -> Pusher {
    static PUSHER: LazyLock<Pusher> = LazyLock::new(|| {
        let addr = server();
        Pusher::builder("1", "key", "secret")
            .host(addr.ip().to_string())
            .port(addr.port())
            .tls(false)
            .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .build()
            .unwrap()
    });
    PUSHER.clone()
}

/// One runtime for every case: the client's pooled connections live on the runtime that
/// opened them.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    });
    &RUNTIME
}

/// Channel authorization, which checks the socket id, the channel name and a presence
/// member's user id (synchronously: nothing is sent).
fn authorize(
    pusher: &Pusher,
    socket: &str,
    channel: &str,
    member: Option<&PresenceMember>,
) -> Result<ChannelAuth, Error> {
    pusher.authorize_channel(&ChannelAuthRequest::new(socket, channel), member)
}

/// `Ok` when valid, `Error::Validation` when not; anything else is a failure.
fn expect(result: Result<(), Error>, valid: bool, what: &str) -> Result<(), TestCaseError> {
    match (result, valid) {
        (Ok(()), true) | (Err(Error::Validation(_)), false) => Ok(()),
        (Err(e), true) => Err(TestCaseError::fail(format!(
            "{what}: valid, but refused: {e:?}"
        ))),
        (Ok(()), false) => Err(TestCaseError::fail(format!("{what}: invalid, but sent"))),
        (Err(e), false) => Err(TestCaseError::fail(format!(
            "{what}: invalid, but not a validation error: {e:?}"
        ))),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary strings: never a panic, and accepted exactly when the grammar says so.
    #[test]
    fn validation_follows_the_grammar(
        channel in channel_like(),
        socket in socket_like(),
        user in user_like(),
    ) {
        let pusher = pusher();
        let signed = pusher.trigger(channel.as_str(), "e", "{}").sign();
        let channel_valid = channel_ok(&channel) && channel.chars().count() <= MAX_CHANNEL;
        prop_assert_eq!(signed.is_ok(), channel_valid, "{:?}: {:?}", channel, signed);
        let parsed = authorize(&pusher, &socket, "private-a", None);
        prop_assert_eq!(parsed.is_ok(), socket_ok(&socket), "{:?}: {:?}", socket, parsed);
        let member = PresenceMember::new(user.as_str());
        let parsed = authorize(&pusher, "1.1", "presence-a", Some(&member));
        prop_assert_eq!(parsed.is_ok(), user_ok(&user), "{:?}: {:?}", user, parsed);
        // Error messages stay bounded whatever the input's size (the value is cut to 64
        // characters, each escaped to at most 10).
        for e in [
            authorize(&pusher, "1.1", &channel.repeat(200), None).err(),
            authorize(&pusher, &socket.repeat(200), "private-a", None).err(),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(e.to_string().chars().count() < 1000, "{}", e);
        }
    }

    /// Strings from the grammar are accepted and kept as given.
    #[test]
    fn valid_names_accepted(channel in valid_channel(), socket in valid_socket(), user in valid_user()) {
        let pusher = pusher();
        let signed = pusher.trigger(channel.as_str(), "e", "{}").sign().unwrap();
        let body: serde_json::Value = serde_json::from_slice(signed.body()).unwrap();
        prop_assert_eq!(&body["channels"][0], &serde_json::Value::from(channel));
        prop_assert!(authorize(&pusher, &socket, "private-a", None).is_ok());
        let member = PresenceMember::new(user.as_str());
        let answer = authorize(&pusher, "1.1", "presence-a", Some(&member)).unwrap();
        let data: serde_json::Value = serde_json::from_str(answer.channel_data().unwrap()).unwrap();
        prop_assert_eq!(&data["user_id"], &serde_json::Value::from(user));
    }

    /// One character from outside the grammar, anywhere, and the value is refused.
    #[test]
    fn one_bad_character_refuses(
        channel in valid_channel(),
        socket in valid_socket(),
        user in valid_user().prop_filter("room for one more", |u| u.chars().count() < MAX_USER_ID_LEN),
        bad_channel_char in any::<char>().prop_filter("outside the channel charset", |c| !channel_char_ok(*c)),
        bad_socket_char in any::<char>().prop_filter("not an ASCII digit", |c| !c.is_ascii_digit()),
        control in any::<char>().prop_filter("a control character", |c| c.is_control()),
        at in any::<prop::sample::Index>(),
    ) {
        let pusher = pusher();
        let bad = insert(&channel, at, bad_channel_char);
        prop_assert!(pusher.trigger(bad.as_str(), "e", "{}").sign().is_err(), "{:?}", bad);
        let bad = insert(&socket, at, bad_socket_char);
        prop_assert!(authorize(&pusher, &bad, "private-a", None).is_err(), "{:?}", bad);
        let bad = insert(&user, at, control);
        let member = PresenceMember::new(bad.as_str());
        prop_assert!(authorize(&pusher, "1.1", "presence-a", Some(&member)).is_err(), "{:?}", bad);
    }

    /// Triggering checks channel, event and socket id before sending: sent exactly when all
    /// are valid, refused with `Error::Validation` otherwise.
    #[test]
    fn trigger_validates_before_sending(
        channel in prop_oneof![valid_channel(), channel_like()],
        event in prop_oneof![Just("my-event".to_owned()), event_like()],
        socket in proptest::option::of(prop_oneof![valid_socket(), socket_like()]),
    ) {
        let pusher = pusher();
        let valid = channel_ok(&channel)
            && channel.chars().count() <= MAX_CHANNEL
            && event_ok(&event)
            && socket.as_deref().is_none_or(socket_ok);
        let result = runtime().block_on(async {
            let mut trigger = pusher.trigger(channel.as_str(), event.as_str(), "{}");
            if let Some(socket) = &socket {
                trigger = trigger.exclude(socket.as_str());
            }
            trigger.await.map(|_| ())
        });
        expect(result, valid, "trigger")?;
    }

    /// The same through a batch, and through the user-addressed and query calls.
    #[test]
    fn other_calls_validate_before_sending(
        channel in prop_oneof![valid_channel(), channel_like()],
        event in prop_oneof![Just("my-event".to_owned()), event_like()],
        user in prop_oneof![valid_user(), user_like(), "[A-Za-z0-9_=@,.;-]{1,150}"],
    ) {
        let pusher = pusher();
        let rt = runtime();
        let channel_valid = channel_ok(&channel) && channel.chars().count() <= MAX_CHANNEL;
        let batch = rt.block_on(async {
            pusher
                .trigger_batch(vec![pusher_client::BatchEvent::new(channel.as_str(), event.as_str(), "{}")])
                .await
                .map(|_| ())
        });
        expect(batch, channel_valid && event_ok(&event), "trigger_batch")?;
        // The user's channel `#server-to-user-<id>` must be a valid channel name: the
        // channel alphabet, within the length limit.
        let to_user = rt.block_on(async {
            pusher.send_to_user(user.as_str(), event.as_str(), "{}").await.map(|_| ())
        });
        expect(to_user, addressable_user_ok(&user) && event_ok(&event), "send_to_user")?;
        let terminate = rt.block_on(pusher.terminate_user_connections(user.as_str()));
        expect(terminate, addressable_user_ok(&user), "terminate_user_connections")?;
        let signin = pusher.authenticate_user(
            &pusher_client::UserAuthRequest::new("1.1"),
            &pusher_client::UserData::new(user.as_str()),
        );
        expect(signin.map(|_| ()), addressable_user_ok(&user), "authenticate_user")?;
        // Queries answer `{}`, which is not every query's answer: only whether validation
        // refused the input is checked.
        let query = rt.block_on(async { pusher.channel(channel.as_str()).await.map(|_| ()) });
        prop_assert_eq!(
            matches!(query, Err(Error::Validation(_))),
            !channel_valid,
            "channel({:?}): {:?}", channel, query
        );
        let prefix = rt.block_on(async { pusher.channels().prefix(channel.as_str()).await.map(|_| ()) });
        prop_assert_eq!(
            matches!(prefix, Err(Error::Validation(_))),
            !channel_valid,
            "channels().prefix({:?}): {:?}", channel, prefix
        );
    }
}
