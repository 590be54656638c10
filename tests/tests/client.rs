//! Every call and option of `pusher_client::Pusher` against the verifying fake server: what goes
//! on the wire (paths, exact body bytes, decoded JSON, query) and the typed answers.

use pusher_client::{BatchEvent, Data, Error, Info, MasterKey, Pusher, ValidationError};
use pusher_tests::{ChannelState, FakePusher, RecordedRequest};
use serde_json::{Value, json};

/// The only request the server received, checked to be authenticated.
fn only_request(server: &FakePusher) -> RecordedRequest {
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request: {requests:#?}"
    );
    let request = requests.into_iter().next().expect("one request");
    assert!(request.authenticated(), "refused: {:?}", request.refusal);
    assert_eq!(request.status, Some(200));
    request
}

fn event_path(server: &FakePusher, rest: &str) -> String {
    format!("/apps/{}{rest}", server.app_id())
}

#[tokio::test]
async fn trigger_one_channel_sends_exact_body() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let answer = pusher
        .trigger("orders", "created", json!({"id": 42, "name": "é"}))
        .await
        .expect("trigger");
    assert!(answer.channels.is_empty());

    let request = only_request(&server);
    assert_eq!(request.method, "POST");
    assert_eq!(request.raw_path, event_path(&server, "/events"));
    assert_eq!(request.path_segments, ["apps", "4242", "events"]);
    assert_eq!(
        request.body_text(),
        r#"{"name":"created","data":"{\"id\":42,\"name\":\"é\"}","channels":["orders"]}"#
    );
    assert_eq!(
        request.param("body_md5"),
        Some(pusher_tests::verify::md5_hex(&request.body).as_str())
    );
    let events = server.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].channels, ["orders"]);
    assert_eq!(events[0].name, "created");
    assert_eq!(events[0].socket_id, None);
    assert_eq!(events[0].info, None);
}

#[tokio::test]
async fn trigger_several_channels_with_exclude() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    pusher
        .trigger(["a", "private-b", "presence-c"], "note", "plain text")
        .exclude("1234.5678")
        .await
        .expect("trigger");
    let request = only_request(&server);
    assert_eq!(
        request.body_json(),
        json!({
            "name": "note",
            "data": "plain text",
            "channels": ["a", "private-b", "presence-c"],
            "socket_id": "1234.5678",
        })
    );
    let channels: Vec<String> = vec!["x".into(), "y".into()];
    pusher
        .trigger(&channels[..], "e", "d")
        .await
        .expect("slice of channels");
    assert_eq!(server.events()[1].channels, ["x", "y"]);
}

#[tokio::test]
async fn trigger_info_subscription_count() {
    let server = FakePusher::start().await;
    server.set_channel("a", ChannelState::new().subscribers(3));
    let pusher = server.client();
    let answer = pusher
        .trigger(["a", "b"], "e", "d")
        .info(Info::SUBSCRIPTION_COUNT)
        .await
        .expect("trigger");
    assert_eq!(answer.channels.len(), 2);
    assert_eq!(answer.channels["a"].subscription_count, Some(3));
    assert_eq!(answer.channels["a"].user_count, None);
    assert_eq!(answer.channels["b"].subscription_count, Some(0));
    assert_eq!(
        only_request(&server).body_json()["info"],
        json!("subscription_count")
    );
}

#[tokio::test]
async fn trigger_info_user_count_on_presence() {
    let server = FakePusher::start().await;
    server.set_channel(
        "presence-room",
        ChannelState::new()
            .subscribers(5)
            .users(["ada", "grace", "ada"]),
    );
    let pusher = server.client();
    let answer = pusher
        .trigger("presence-room", "e", "d")
        .info(Info::USER_COUNT | Info::SUBSCRIPTION_COUNT)
        .await
        .expect("trigger");
    let counts = answer.channels["presence-room"];
    assert_eq!(counts.user_count, Some(2));
    assert_eq!(counts.subscription_count, Some(5));
    assert_eq!(
        only_request(&server).body_json()["info"],
        json!("subscription_count,user_count")
    );

    let only_users = pusher
        .trigger("presence-room", "e", "d")
        .info(Info::USER_COUNT)
        .await
        .expect("trigger");
    assert_eq!(only_users.channels["presence-room"].user_count, Some(2));
    assert_eq!(
        only_users.channels["presence-room"].subscription_count,
        None
    );
}

#[tokio::test]
async fn data_is_sent_exactly_as_given() {
    #[derive(serde::Serialize)]
    struct Message {
        text: &'static str,
        n: u8,
    }
    let server = FakePusher::start().await;
    let pusher = server.client();
    let cases: Vec<(Data, &str)> = vec![
        (Data::text("hi"), "hi"),
        (Data::from("hi"), "hi"),
        (Data::from(String::from("hi")), "hi"),
        (Data::json(&"hi").expect("json"), "\"hi\""),
        (
            Data::json(&Message { text: "hé", n: 1 }).expect("json"),
            r#"{"text":"hé","n":1}"#,
        ),
        (Data::from(json!({"a": [1, 2]})), r#"{"a":[1,2]}"#),
        (Data::from(&json!(null)), "null"),
        (
            Data::text(r#"{"pre":"serialised"}"#),
            r#"{"pre":"serialised"}"#,
        ),
        (Data::text("日本 \"quoted\" \\ \n"), "日本 \"quoted\" \\ \n"),
        (Data::text(""), ""),
    ];
    for (data, _) in &cases {
        pusher
            .trigger("c", "e", data.clone())
            .await
            .expect("trigger");
    }
    // the plain &str conversion too
    pusher.trigger("c", "e", "hi").await.expect("trigger &str");
    let events = server.events();
    assert_eq!(events.len(), cases.len() + 1);
    for ((_, expected), event) in cases.iter().zip(&events) {
        assert_eq!(event.data, *expected);
    }
    assert_eq!(events[cases.len()].data, "hi");
    // on the wire, data is a JSON string holding the text
    let requests = server.requests();
    assert_eq!(requests[3].body_json()["data"], json!("\"hi\""));
    assert_eq!(requests[0].body_json()["data"], json!("hi"));
}

#[tokio::test]
async fn trigger_batch_sends_events_in_order() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let answer = pusher
        .trigger_batch(vec![
            BatchEvent::new("orders", "created", r#"{"id":1}"#),
            BatchEvent::new("presence-room", "joined", Data::json(&"ada").expect("json"))
                .exclude("1.2"),
        ])
        .await
        .expect("batch");
    assert!(answer.batch.is_empty(), "no info asked: {answer:?}");
    let request = only_request(&server);
    assert_eq!(request.raw_path, event_path(&server, "/batch_events"));
    assert_eq!(request.content_type(), Some("application/json"));
    assert_eq!(
        request.body_json(),
        json!({"batch": [
            {"channel": "orders", "name": "created", "data": "{\"id\":1}"},
            {"channel": "presence-room", "name": "joined", "data": "\"ada\"", "socket_id": "1.2"},
        ]})
    );
}

#[tokio::test]
async fn trigger_batch_with_info() {
    let server = FakePusher::start().await;
    server.set_channel("a", ChannelState::new().subscribers(7));
    server.set_channel(
        "presence-room",
        ChannelState::new().subscribers(2).users(["u1", "u2"]),
    );
    let pusher = server.client();
    let answer = pusher
        .trigger_batch(vec![
            BatchEvent::new("a", "e", "1").info(Info::SUBSCRIPTION_COUNT),
            BatchEvent::new("b", "e", "2"),
            BatchEvent::new("presence-room", "e", "3").info(Info::USER_COUNT),
        ])
        .await
        .expect("batch");
    assert_eq!(answer.batch.len(), 3);
    assert_eq!(answer.batch[0].subscription_count, Some(7));
    assert_eq!(answer.batch[0].user_count, None);
    assert_eq!(answer.batch[1].subscription_count, None);
    assert_eq!(answer.batch[1].user_count, None);
    assert_eq!(answer.batch[2].user_count, Some(2));
    let body = only_request(&server).body_json();
    assert_eq!(body["batch"][0]["info"], json!("subscription_count"));
    assert!(body["batch"][1].get("info").is_none());
    assert_eq!(body["batch"][2]["info"], json!("user_count"));
}

#[tokio::test]
async fn send_to_user_triggers_on_the_user_channel() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let answer = pusher
        .send_to_user("user-42", "notification", json!({"unread": 3}))
        .await
        .expect("send_to_user");
    assert!(answer.channels.is_empty());
    let request = only_request(&server);
    assert_eq!(request.raw_path, event_path(&server, "/events"));
    assert_eq!(
        request.body_json(),
        json!({
            "name": "notification",
            "data": "{\"unread\":3}",
            "channels": ["#server-to-user-user-42"],
        })
    );
    pusher
        .send_to_user("user-42", "n", "hi")
        .await
        .expect("text data");
    assert_eq!(server.events()[1].data, "hi");
}

#[tokio::test]
async fn terminate_user_connections_posts_empty_object() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    pusher
        .terminate_user_connections("user-42")
        .await
        .expect("terminate");
    let request = only_request(&server);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.raw_path,
        event_path(&server, "/users/user-42/terminate_connections")
    );
    assert_eq!(request.body, b"{}");
    assert_eq!(request.content_type(), Some("application/json"));
    assert_eq!(server.terminated_users(), ["user-42"]);
}

#[tokio::test]
async fn channels_lists_occupied_channels() {
    let server = FakePusher::start().await;
    server.set_channel("orders", ChannelState::new().subscribers(1));
    server.set_channel("empty", ChannelState::new());
    server.set_channel(
        "presence-a",
        ChannelState::new().subscribers(3).users(["x", "y", "z"]),
    );
    server.set_channel("presence-b", ChannelState::new().users(["x"]));
    let pusher = server.client();

    let all = pusher.channels().await.expect("channels");
    let names: Vec<&str> = all.channels.keys().map(String::as_str).collect();
    assert_eq!(names, ["orders", "presence-a", "presence-b"]);
    assert!(all.channels.values().all(|c| c.user_count.is_none()));
    let request = only_request(&server);
    assert_eq!(request.method, "GET");
    assert_eq!(request.raw_path, event_path(&server, "/channels"));
    assert!(request.body.is_empty());
    assert_eq!(request.param("filter_by_prefix"), None);
    assert_eq!(request.param("info"), None);

    let rooms = pusher
        .channels()
        .prefix("presence-")
        .info(Info::USER_COUNT)
        .await
        .expect("presence channels");
    assert_eq!(rooms.channels.len(), 2);
    assert_eq!(rooms.channels["presence-a"].user_count, Some(3));
    assert_eq!(rooms.channels["presence-b"].user_count, Some(1));
    let request = server.last_request().expect("second request");
    assert_eq!(request.param("filter_by_prefix"), Some("presence-"));
    assert_eq!(request.param("info"), Some("user_count"));

    let prefixed = pusher.channels().prefix("ord").await.expect("prefix only");
    assert_eq!(prefixed.channels.keys().collect::<Vec<_>>(), ["orders"]);
}

#[tokio::test]
async fn channel_query_with_and_without_info() {
    let server = FakePusher::start().await;
    server.set_channel(
        "presence-room",
        ChannelState::new().subscribers(4).users(["a", "b", "b"]),
    );
    let pusher = server.client();
    let room = pusher
        .channel("presence-room")
        .info(Info::USER_COUNT | Info::SUBSCRIPTION_COUNT)
        .await
        .expect("channel");
    assert!(room.occupied);
    assert_eq!(room.user_count, Some(2));
    assert_eq!(room.subscription_count, Some(4));
    let request = only_request(&server);
    assert_eq!(
        request.raw_path,
        event_path(&server, "/channels/presence-room")
    );
    assert_eq!(request.param("info"), Some("subscription_count,user_count"));

    let quiet = pusher.channel("nobody-here").await.expect("channel");
    assert!(!quiet.occupied);
    assert_eq!(quiet.user_count, None);
    assert_eq!(quiet.subscription_count, None);
    assert_eq!(
        server
            .last_request()
            .and_then(|r| r.param("info").map(str::to_owned)),
        None
    );

    let subs = pusher
        .channel("public")
        .info(Info::SUBSCRIPTION_COUNT)
        .await
        .expect("channel");
    assert_eq!(subs.subscription_count, Some(0));
}

#[tokio::test]
async fn users_lists_presence_members() {
    let server = FakePusher::start().await;
    server.set_channel(
        "presence-room",
        ChannelState::new().users(["ada", "grace", "ada", "42"]),
    );
    let pusher = server.client();
    let users = pusher.users("presence-room").await.expect("users");
    let ids: Vec<&str> = users.users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["ada", "grace", "42"]);
    let request = only_request(&server);
    assert_eq!(
        request.raw_path,
        event_path(&server, "/channels/presence-room/users")
    );
    let empty = pusher.users("presence-empty").await.expect("users");
    assert!(empty.users.is_empty());
}

#[tokio::test]
async fn raw_get_and_post() {
    let server = FakePusher::start().await;
    server.set_channel("presence-room", ChannelState::new().users(["a"]));
    let pusher = server.client();
    let value: Value = pusher
        .get("/channels/presence-room", &[("info", "user_count")])
        .await
        .expect("raw get");
    assert_eq!(value, json!({"occupied": true, "user_count": 1}));
    let request = only_request(&server);
    assert_eq!(request.param("info"), Some("user_count"));

    let body = json!({"name": "e", "channels": ["c"], "data": "{}"});
    let answer: Value = pusher.post("/events", &body).await.expect("raw post");
    assert_eq!(answer, json!({}));
    let request = server.last_request().expect("post recorded");
    assert!(request.authenticated());
    assert_eq!(request.body_json(), body);
    assert_eq!(request.content_type(), Some("application/json"));
    assert_eq!(server.events()[0].channels, ["c"]);
}

#[tokio::test]
async fn raw_calls_refuse_signing_params_before_sending() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for name in [
        "auth_key",
        "AUTH_KEY",
        "auth_signature",
        "Auth_Signature",
        "auth_timestamp",
        "AUTH_TIMESTAMP",
        "auth_version",
        "auth_anything",
        "body_md5",
        "BODY_MD5",
        "Body_Md5",
    ] {
        let result = pusher.get::<Value>("/channels", &[(name, "x")]).await;
        match result {
            Err(Error::Validation(ValidationError::ReservedParameter { name: given })) => {
                assert_eq!(given, name);
            }
            other => panic!("{name}: expected ReservedParameter, got {other:?}"),
        }
    }
    for path in [
        "channels",
        "/channels?x=1",
        "/a b",
        "/../apps/1/channels",
        "/é",
        "/a#b",
    ] {
        let result = pusher.get::<Value>(path, &[]).await;
        assert!(
            matches!(
                result,
                Err(Error::Validation(ValidationError::InvalidPath { .. }))
            ),
            "{path}: {result:?}"
        );
        let result = pusher.post::<_, Value>(path, &json!({})).await;
        assert!(
            matches!(
                result,
                Err(Error::Validation(ValidationError::InvalidPath { .. }))
            ),
            "{path}: {result:?}"
        );
    }
    assert_eq!(server.request_count(), 0, "{:#?}", server.requests());
}

#[tokio::test]
async fn encrypted_channel_data_decrypts_to_what_was_given() {
    const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .encryption_master_key_base64(MASTER_KEY)
        .build()
        .expect("client");
    pusher
        .trigger("private-encrypted-room", "secret", "hi there")
        .await
        .expect("encrypted trigger");
    let data = &server.events()[0].data;
    assert!(!data.contains("hi there"));
    let sealed: Value = serde_json::from_str(data).expect("data is JSON");
    assert!(
        sealed["nonce"].is_string() && sealed["ciphertext"].is_string(),
        "{sealed}"
    );
    let key = MasterKey::from_base64(MASTER_KEY).expect("key");
    let plain = key
        .decrypt("private-encrypted-room", data)
        .expect("decrypts under the channel's key");
    assert_eq!(plain, b"hi there");
    assert!(key.decrypt("private-encrypted-other", data).is_err());
}

#[tokio::test]
async fn from_url_works_end_to_end() {
    let server = FakePusher::start().await;
    let pusher = Pusher::from_url(&server.pusher_url()).expect("from_url");
    assert_eq!(pusher.base_url(), server.url());
    assert_eq!(pusher.app_id(), server.app_id());
    pusher.trigger("c", "e", "d").await.expect("trigger");
    server.set_channel("presence-r", ChannelState::new().users(["u"]));
    let users = pusher.users("presence-r").await.expect("users");
    assert_eq!(users.users[0].id, "u");
    assert!(server.requests().iter().all(RecordedRequest::authenticated));
}

#[tokio::test]
async fn from_url_with_awkward_credentials() {
    let secret = "s@c:r/e%t é+&=?#";
    let server = FakePusher::start_with(
        pusher_tests::FakeConfig::default().credentials("key-with.dots_and~tilde", secret),
    )
    .await;
    let url = server.pusher_url();
    assert!(!url.contains(' ') && !url.contains('é'), "{url}");
    let pusher = Pusher::from_url(&url).expect("from_url");
    assert_eq!(pusher.key(), "key-with.dots_and~tilde");
    pusher
        .trigger("c", "e", "d")
        .await
        .expect("signed with the decoded secret");
    assert!(only_request(&server).authenticated());
    let debug = format!("{pusher:?}");
    assert!(
        !debug.contains(secret) && !debug.contains("s%40c"),
        "{debug}"
    );
}

#[tokio::test]
async fn clones_share_configuration_and_behaviour() {
    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .limits(pusher_client::Limits::default().max_batch_size(2))
        .build()
        .expect("client");
    let clone = pusher.clone();
    assert_eq!(clone.limits(), pusher.limits());
    assert_eq!(clone.base_url(), pusher.base_url());
    let (a, b) = tokio::join!(
        pusher.trigger("c", "from-original", "1"),
        clone.trigger("c", "from-clone", "2"),
    );
    a.expect("original");
    b.expect("clone");
    // the clone splits batches at the same configured size
    let events = (0..3).map(|i| BatchEvent::new("c", format!("e{i}"), "x"));
    clone.trigger_batch(events).await.expect("batch");
    let batches: Vec<usize> = server
        .requests()
        .iter()
        .filter(|r| r.raw_path.ends_with("/batch_events"))
        .map(|r| r.body_json()["batch"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(batches, [2, 1]);
    let moved = tokio::spawn(async move { clone.channels().await })
        .await
        .expect("task");
    moved.expect("channels from a clone moved to another task");
    assert!(server.requests().iter().all(RecordedRequest::authenticated));
}

/// Every builder holds its own handle on the client: each one can be spawned as a task after
/// the `Pusher` it came from is gone, and does what awaiting it in place does.
#[tokio::test]
async fn builders_can_be_spawned_after_the_client_is_dropped() {
    use std::future::IntoFuture;

    let server = FakePusher::start().await;
    server.set_channel("presence-room", ChannelState::new().users(["ada"]));
    let pusher = server.client();
    let trigger = tokio::spawn(pusher.trigger("orders", "created", "{}").into_future());
    let batch = tokio::spawn(
        pusher
            .trigger_batch([BatchEvent::new("orders", "batched", "{}")])
            .into_future(),
    );
    let to_user = tokio::spawn(pusher.send_to_user("ada", "note", "{}").into_future());
    let channels = tokio::spawn(pusher.channels().into_future());
    let channel = tokio::spawn(
        pusher
            .channel("presence-room")
            .info(Info::USER_COUNT)
            .into_future(),
    );
    drop(pusher);

    trigger.await.expect("task").expect("trigger");
    batch.await.expect("task").expect("batch");
    to_user.await.expect("task").expect("send_to_user");
    let list = channels.await.expect("task").expect("channels");
    assert!(list.channels.contains_key("presence-room"), "{list:?}");
    let info = channel.await.expect("task").expect("channel");
    assert_eq!(info.user_count, Some(1));

    let mut names: Vec<String> = server.events().into_iter().map(|e| e.name).collect();
    names.sort();
    assert_eq!(names, ["batched", "created", "note"]);
    assert!(server.requests().iter().all(|r| r.authenticated()));
}
