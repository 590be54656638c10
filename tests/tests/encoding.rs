//! Awkward values (`&`, `=`, `+`, space, `%`, `/`, non-ASCII) in query values, path segments and
//! bodies: the verifying server must accept the signature and decode exactly what was given.

use pusher_client::{Error, ValidationError};
use pusher_tests::{ChannelState, FakePusher};
use serde_json::{Value, json};

const AWKWARD: &[&str] = &[
    "a&b",
    "a=b",
    "a+b",
    "a b",
    "é",
    "日本",
    "100%",
    "%41",
    "a&b=c+d é日本",
    "~-._",
    "a?b#c",
    "a/b",
    "a;b,c@d:e",
    "'\"<>`{}|\\^[]",
];

#[tokio::test]
async fn awkward_query_values_are_escaped_and_signed_raw() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for (i, value) in AWKWARD.iter().enumerate() {
        // The server's state holds a channel named by the awkward prefix; only an exactly
        // decoded filter finds it.
        let channel = format!("{value}-channel");
        server.set_channel(&channel, ChannelState::new().subscribers(1));
        let answer: Value = pusher
            .get("/channels", &[("filter_by_prefix", value)])
            .await
            .unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert!(
            answer["channels"].get(&channel).is_some(),
            "{value:?}: the server did not find {channel:?}: {answer}"
        );
        let request = &server.requests()[i];
        assert!(request.authenticated(), "{value:?}: {:?}", request.refusal);
        assert_eq!(request.param("filter_by_prefix"), Some(*value));
        let wire_value = request
            .raw_query
            .split('&')
            .find_map(|pair| pair.strip_prefix("filter_by_prefix="))
            .expect("the parameter is on the wire");
        assert!(
            wire_value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
            "{value:?} went on the wire as {wire_value:?}"
        );
        server.clear_channels();
    }
}

#[tokio::test]
async fn awkward_values_in_several_params() {
    let server = FakePusher::start().await;
    server.set_channel("presence-é&=+ x", ChannelState::new().users(["u"]));
    let pusher = server.client();
    let answer: Value = pusher
        .get(
            "/channels",
            &[
                ("info", "user_count"),
                ("filter_by_prefix", "presence-é&=+ "),
            ],
        )
        .await
        .expect("raw get");
    assert_eq!(
        answer,
        json!({"channels": {"presence-é&=+ x": {"user_count": 1}}})
    );
    let request = server.last_request().expect("recorded");
    assert!(request.authenticated());
    assert_eq!(request.param("info"), Some("user_count"));
}

/// User ids that a signed-in user can have hold only channel-name characters, several of which
/// (`= @ , ; .`) are special in paths and queries: each goes on the wire intact and signed.
const AWKWARD_ADDRESSABLE: &[&str] = &["a=b", "a;b,c@d", "_-=@,.;", "ada@example.com", "=", ";;"];

#[tokio::test]
async fn awkward_user_ids_in_terminate_path() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let ids: Vec<String> = AWKWARD_ADDRESSABLE
        .iter()
        .map(|s| (*s).to_owned())
        // The longest id whose #server-to-user- channel fits the default 164 characters.
        .chain(["x".repeat(148)])
        .collect();
    for id in &ids {
        pusher
            .terminate_user_connections(id)
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
        let request = server.last_request().expect("recorded");
        assert!(request.authenticated(), "{id:?}: {:?}", request.refusal);
        assert_eq!(
            request.path_segments,
            [
                "apps",
                "4242",
                "users",
                id.as_str(),
                "terminate_connections"
            ],
            "{id:?} went on the wire as {}",
            request.raw_path
        );
        assert!(
            request.raw_path.is_ascii() && !request.raw_path.contains(' '),
            "{}",
            request.raw_path
        );
    }
    assert_eq!(server.terminated_users(), ids);
}

#[tokio::test]
async fn awkward_user_ids_in_send_to_user() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for id in AWKWARD_ADDRESSABLE {
        pusher
            .send_to_user(id, "n", "hi")
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
        let request = server.last_request().expect("recorded");
        assert!(request.authenticated(), "{id:?}: {:?}", request.refusal);
        assert_eq!(
            request.body_json()["channels"],
            json!([format!("#server-to-user-{id}")])
        );
    }
}

/// A user id whose `#server-to-user-{id}` channel no server accepts can never be reached:
/// send_to_user, terminate_user_connections and user authentication refuse it, naming the
/// character, before anything is signed or sent.
#[tokio::test]
async fn unreachable_user_ids_are_refused_before_sending() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let request = pusher_client::UserAuthRequest::new("1.2");
    for id in AWKWARD.iter().copied().chain(["user 42", "a:b"]) {
        let Some(ch) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_-=@,.;".contains(*c)))
        else {
            continue;
        };
        let check = |result: Result<(), Error>, what: &str| match result {
            Err(Error::Validation(ValidationError::UserIdInvalidChar { user_id, ch: got })) => {
                assert_eq!((user_id.as_str(), got), (id, ch), "{what}");
            }
            other => panic!("{what}({id:?}): {other:?}"),
        };
        check(
            pusher.send_to_user(id, "n", "hi").await.map(|_| ()),
            "send_to_user",
        );
        check(pusher.terminate_user_connections(id).await, "terminate");
        check(
            pusher
                .authenticate_user(&request, &pusher_client::UserData::new(id))
                .map(|_| ()),
            "authenticate_user",
        );
        let text = ValidationError::UserIdInvalidChar {
            user_id: id.to_owned(),
            ch,
        }
        .to_string();
        assert!(
            text.contains(&format!("{ch:?}")) && text.contains("#server-to-user-"),
            "{text}"
        );
    }
    assert_eq!(server.request_count(), 0, "something was sent");

    // Too long for the channel limit: refused with the longest length allowed, which follows
    // the configured limit.
    let long = "x".repeat(149);
    for result in [
        pusher.send_to_user(&long, "n", "hi").await.map(|_| ()),
        pusher.terminate_user_connections(&long).await,
        pusher
            .authenticate_user(&request, &pusher_client::UserData::new(long.as_str()))
            .map(|_| ()),
    ] {
        assert!(
            matches!(
                result,
                Err(Error::Validation(ValidationError::UserIdTooLong {
                    len: 149,
                    max: 148,
                    ..
                }))
            ),
            "{result:?}"
        );
    }
    assert_eq!(server.request_count(), 0, "something was sent");
    let roomy = server
        .client_builder()
        .limits(pusher_client::Limits::default().max_channel_name_len(200))
        .build()
        .expect("client");
    // (This fake server keeps Pusher's 164; a server configured for longer names would take
    // the send too.)
    roomy
        .terminate_user_connections(&long)
        .await
        .expect("fits a 200-character limit");
}

/// `.` and `..` are valid user ids for the validator, but as path segments an HTTP stack
/// normalises them away (`/users/../x` is `/x`). Either the client refuses them before sending,
/// or the server receives exactly that segment, correctly signed.
#[tokio::test]
async fn dot_user_ids_are_refused_or_sent_intact() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for id in [".", ".."] {
        let before = server.request_count();
        match pusher.terminate_user_connections(id).await {
            Err(Error::Validation(_)) => assert_eq!(server.request_count(), before, "{id:?}"),
            result => {
                let request = server.last_request().expect("recorded");
                assert_eq!(
                    request.path_segments,
                    ["apps", "4242", "users", id, "terminate_connections"],
                    "user id {id:?} arrived as {} ({result:?})",
                    request.raw_path
                );
                result.unwrap_or_else(|e| panic!("user id {id:?}: {e}"));
            }
        }
    }
}

/// As above for channel names: `.` and `..` pass the channel-name charset.
#[tokio::test]
async fn dot_channel_names_are_refused_or_sent_intact() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for name in [".", ".."] {
        let before = server.request_count();
        match pusher.channel(name).await {
            Err(Error::Validation(_)) => assert_eq!(server.request_count(), before, "{name:?}"),
            result => {
                let request = server.last_request().expect("recorded");
                assert_eq!(
                    request.path_segments,
                    ["apps", "4242", "channels", name],
                    "channel {name:?} arrived as {} ({result:?})",
                    request.raw_path
                );
                result.unwrap_or_else(|e| panic!("channel {name:?}: {e}"));
            }
        }
    }
}

/// A raw path is signed as given; percent-encoded dot segments (`%2E%2E`), which URL parsers
/// treat as `..`, must be refused or sent as given.
#[tokio::test]
async fn raw_paths_with_encoded_dot_segments() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for path in [
        "/channels/%2E%2E/users",
        "/channels/%2e/users",
        "/channels/.%2E/users",
    ] {
        let before = server.request_count();
        match pusher.get::<Value>(path, &[]).await {
            Err(Error::Validation(_)) => assert_eq!(server.request_count(), before, "{path}"),
            result => {
                let request = server.last_request().expect("recorded");
                assert_eq!(
                    request.raw_path,
                    format!("/apps/4242{path}"),
                    "{path} arrived as {} ({result:?})",
                    request.raw_path
                );
            }
        }
    }
}

#[tokio::test]
async fn channel_punctuation_in_paths() {
    let server = FakePusher::start().await;
    let name = "presence-a=b@c,d;e.f_g-h";
    server.set_channel(name, ChannelState::new().subscribers(1).users(["u"]));
    let pusher = server.client();
    let info = pusher
        .channel(name)
        .info(pusher_client::Info::USER_COUNT)
        .await
        .expect("channel");
    assert_eq!(info.user_count, Some(1));
    let users = pusher.users(name).await.expect("users");
    assert_eq!(users.users.len(), 1);
    for request in server.requests() {
        assert!(request.authenticated(), "{:?}", request.refusal);
        assert_eq!(request.path_segments[3], name);
    }
}

#[tokio::test]
async fn unicode_event_names_and_data_are_bytes_exact() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let event = "événement-日本";
    let data = "données \u{1F600} \u{0} \"q\" \\";
    pusher.trigger("c", event, data).await.expect("trigger");
    let events = server.events();
    assert_eq!(events[0].name, event);
    assert_eq!(events[0].data, data);
    let request = server.last_request().expect("recorded");
    assert!(request.authenticated());
}

#[tokio::test]
async fn raw_path_must_be_encoded_by_the_caller() {
    let server = FakePusher::start().await;
    server.set_channel("presence-x", ChannelState::new().users(["a b"]));
    let pusher = server.client();
    // A caller-encoded path is signed exactly as sent.
    let value: Value = pusher
        .get("/channels/presence%2Dx/users", &[])
        .await
        .expect("encoded path");
    assert_eq!(value, json!({"users": [{"id": "a b"}]}));
    let request = server.last_request().expect("recorded");
    assert_eq!(request.raw_path, "/apps/4242/channels/presence%2Dx/users");
    assert!(request.authenticated());
    // An unencoded one is refused before sending.
    let before = server.request_count();
    let result = pusher.get::<Value>("/channels/a b", &[]).await;
    assert!(
        matches!(
            result,
            Err(Error::Validation(ValidationError::InvalidPath { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(server.request_count(), before);
}
