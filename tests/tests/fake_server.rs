//! The fake server itself, driven by hand-made HTTP requests (no `pusher_client`): it must accept
//! exactly what Pusher accepts and refuse the rest, and its scripting must behave as documented.

use pusher_tests::{
    ChannelState, FakeConfig, FakePusher, RawResponse, Reply, ServerClock, raw_request, sign_query,
};

const DOCS_KEY: &str = "278d425bdf160c739803";
const DOCS_SECRET: &str = "7ad3773142a6692b25b8";
const DOCS_BODY: &str = r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
const DOCS_QUERY: &str = "auth_key=278d425bdf160c739803&auth_timestamp=1353088179\
    &auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f\
    &auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c";

async fn docs_server() -> FakePusher {
    FakePusher::start_with(
        FakeConfig::default()
            .app_id("3")
            .credentials(DOCS_KEY, DOCS_SECRET)
            .clock(ServerClock::Fixed(1_353_088_179)),
    )
    .await
}

/// A request signed with the server's own credentials and clock.
async fn signed(
    server: &FakePusher,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<&str>,
) -> RawResponse {
    let query = sign_query(
        &server.key(),
        &server.secret(),
        method,
        path,
        params,
        body.map(str::as_bytes),
        server.now_unix(),
    );
    raw_request(
        server.addr(),
        method,
        &format!("{path}?{query}"),
        body.unwrap_or("").as_bytes(),
    )
    .await
    .expect("the server answers")
}

#[tokio::test]
async fn accepts_pusher_docs_worked_example() {
    let server = docs_server().await;
    let answer = raw_request(
        server.addr(),
        "POST",
        &format!("/apps/3/events?{DOCS_QUERY}"),
        DOCS_BODY.as_bytes(),
    )
    .await
    .expect("answer");
    assert_eq!((answer.status, answer.body.as_str()), (200, "{}"));
    let events = server.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].channels, ["project-3"]);
    assert_eq!(events[0].data, r#"{"some":"data"}"#);
    let request = server.last_request().expect("recorded");
    assert_eq!(request.body, DOCS_BODY.as_bytes());
    assert_eq!(request.status, Some(200));
}

#[tokio::test]
async fn refuses_tampered_docs_requests() {
    let server = docs_server().await;
    let tampered_body = DOCS_BODY.replace("foo", "fob");
    let cases = [
        (DOCS_QUERY.to_owned(), tampered_body.as_str(), "body_md5"),
        (
            DOCS_QUERY.replace("da4548", "da4549"),
            DOCS_BODY,
            "Invalid signature",
        ),
        (
            DOCS_QUERY.replace("1353088179", "1353088180"),
            DOCS_BODY,
            "Invalid signature",
        ),
        (
            DOCS_QUERY.replace("auth_key=278d", "auth_key=378d"),
            DOCS_BODY,
            "auth_key",
        ),
        (
            DOCS_QUERY.replace("auth_version=1.0", "auth_version=2.0"),
            DOCS_BODY,
            "auth_version",
        ),
        (
            DOCS_QUERY.replace("&body_md5=ec365a775a4cd0599faeb73354201b6f", ""),
            DOCS_BODY,
            "body_md5",
        ),
        (
            DOCS_QUERY.replace("auth_key", "AUTH_KEY"),
            DOCS_BODY,
            "lower-case",
        ),
        (
            format!("{DOCS_QUERY}&extra=1"),
            DOCS_BODY,
            "Invalid signature",
        ),
    ];
    for (query, body, why) in cases {
        let target = format!("/apps/3/events?{query}");
        let answer = raw_request(server.addr(), "POST", &target, body.as_bytes())
            .await
            .expect("answer");
        assert_eq!(answer.status, 401, "{query}: {answer:?}");
        assert!(answer.body.contains(why), "{query}: {answer:?}");
        assert!(!answer.body.contains(DOCS_SECRET));
    }
    assert!(server.events().is_empty());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.refusal.is_some() && r.status == Some(401))
    );
}

#[tokio::test]
async fn timestamp_window_follows_the_server_clock() {
    let server = docs_server().await;
    for (now, status) in [
        (1_353_088_179 + 600, 200),
        (1_353_088_179 - 600, 200),
        (1_353_088_179 + 601, 401),
        (1_353_088_179 - 601, 401),
    ] {
        server.set_clock(ServerClock::Fixed(now));
        let answer = raw_request(
            server.addr(),
            "POST",
            &format!("/apps/3/events?{DOCS_QUERY}"),
            DOCS_BODY.as_bytes(),
        )
        .await
        .expect("answer");
        assert_eq!(answer.status, status, "server at {now}: {answer:?}");
    }
}

#[tokio::test]
async fn malformed_queries_are_bad_requests() {
    let server = FakePusher::start().await;
    let path = "/apps/4242/channels";
    let good = sign_query(
        &server.key(),
        &server.secret(),
        "GET",
        path,
        &[],
        None,
        server.now_unix(),
    );
    for bad in [
        format!("{good}&filter_by_prefix=a+b"),
        format!("{good}&filter_by_prefix=%zz"),
        format!("{good}&filter_by_prefix=%4"),
        format!("{good}&&x=1"),
        format!("{good}&auth_key=again"),
        format!("{good}&x=%FF"),
    ] {
        let answer = raw_request(server.addr(), "GET", &format!("{path}?{bad}"), b"")
            .await
            .expect("answer");
        assert_eq!(answer.status, 400, "{bad}: {answer:?}");
    }
    let answer = raw_request(server.addr(), "GET", &format!("{path}?{good}"), b"")
        .await
        .expect("answer");
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[tokio::test]
async fn the_path_is_signed_as_sent() {
    let server = FakePusher::start().await;
    let sent = "/apps/4242/users/a%20b/terminate_connections";
    let decoded = "/apps/4242/users/a b/terminate_connections";
    // Signing the decoded path but sending the encoded one (a published SDK's mistake): 401.
    let query = sign_query(
        &server.key(),
        &server.secret(),
        "POST",
        decoded,
        &[],
        Some(b"{}"),
        server.now_unix(),
    );
    let answer = raw_request(server.addr(), "POST", &format!("{sent}?{query}"), b"{}")
        .await
        .expect("answer");
    assert_eq!(answer.status, 401, "{answer:?}");
    // Signing what is sent: accepted, and the id decoded.
    let answer = signed(&server, "POST", sent, &[], Some("{}")).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "{}"));
    assert_eq!(server.terminated_users(), ["a b"]);
    let request = server.last_request().expect("recorded");
    assert_eq!(request.raw_path, sent);
    assert_eq!(request.path_segments[3], "a b");
}

#[tokio::test]
async fn unknown_apps_endpoints_and_methods() {
    let server = FakePusher::start().await;
    let answer = signed(&server, "GET", "/apps/999/channels", &[], None).await;
    assert_eq!(answer.status, 404, "{answer:?}");
    let answer = signed(&server, "GET", "/apps/4242/nothing", &[], None).await;
    assert_eq!(answer.status, 404, "{answer:?}");
    let answer = signed(&server, "GET", "/elsewhere", &[], None).await;
    assert_eq!(answer.status, 404, "{answer:?}");
    let answer = signed(&server, "GET", "/apps/4242/events", &[], None).await;
    assert_eq!(answer.status, 405, "{answer:?}");
    let answer = signed(&server, "POST", "/apps/4242/channels", &[], Some("{}")).await;
    assert_eq!(answer.status, 405, "{answer:?}");
}

/// One signed request; `expected` is the exact JSON answer for a 200, else a part of the text.
async fn expect(
    server: &FakePusher,
    request: (&str, &str),
    params: &[(&str, &str)],
    body: Option<&str>,
    status: u16,
    expected: &str,
) {
    let (method, path) = request;
    let answer = signed(server, method, path, params, body).await;
    let what = format!("{method} {path} {params:?} {body:?}: {answer:?}");
    assert_eq!(answer.status, status, "{what}");
    if status == 200 {
        let got: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        let want: serde_json::Value = serde_json::from_str(expected).expect("JSON");
        assert_eq!(got, want, "{what}");
    } else {
        assert!(answer.body.contains(expected), "{what}");
    }
}

#[tokio::test]
async fn endpoint_rules() {
    let server = FakePusher::start().await;
    server.set_channel(
        "presence-room",
        ChannelState::new().subscribers(2).users(["a", "b"]),
    );
    server.set_channel("public", ChannelState::new().subscribers(1));
    let s = &server;
    let events = ("POST", "/apps/4242/events");
    expect(
        s,
        events,
        &[],
        Some(r#"{"name":"e","channels":["c"],"data":{"a":1}}"#),
        400,
        "data must be a string",
    )
    .await;
    expect(
        s,
        events,
        &[],
        Some(r#"{"name":"e","channels":[],"data":"d"}"#),
        400,
        "channels",
    )
    .await;
    expect(
        s,
        events,
        &[],
        Some(r#"{"name":"e","channels":["a b"],"data":"d"}"#),
        400,
        "has a character Pusher does not accept",
    )
    .await;
    expect(
        s,
        events,
        &[],
        Some(r#"{"name":"e","channels":["c"],"data":"d","socket_id":"1.2:x"}"#),
        400,
        "socket id",
    )
    .await;
    expect(
        s,
        events,
        &[],
        Some(r#"{"name":"e","channels":["c"],"data":"d","info":"user_count"}"#),
        400,
        "presence",
    )
    .await;
    expect(s, events, &[], Some("not json"), 400, "Invalid JSON").await;
    expect(
        s,
        events,
        &[],
        Some(r##"{"name":"e","channels":["#server-to-user-a b"],"data":"d"}"##),
        200,
        "{}",
    )
    .await;
    expect(
        s,
        events,
        &[],
        Some(r#"{"name":"e","channels":["presence-room","public"],"data":"d","info":"subscription_count"}"#),
        200,
        r#"{"channels":{"presence-room":{"subscription_count":2},"public":{"subscription_count":1}}}"#,
    )
    .await;

    let channels = ("GET", "/apps/4242/channels");
    expect(
        s,
        channels,
        &[("info", "user_count")],
        None,
        400,
        "presence",
    )
    .await;
    expect(
        s,
        channels,
        &[
            ("info", "subscription_count"),
            ("filter_by_prefix", "presence-"),
        ],
        None,
        400,
        "not available",
    )
    .await;
    expect(
        s,
        channels,
        &[("info", "user_count"), ("filter_by_prefix", "presence-")],
        None,
        200,
        r#"{"channels":{"presence-room":{"user_count":2}}}"#,
    )
    .await;
    expect(
        s,
        channels,
        &[],
        None,
        200,
        r#"{"channels":{"presence-room":{},"public":{}}}"#,
    )
    .await;

    let public = ("GET", "/apps/4242/channels/public");
    expect(s, public, &[("info", "user_count")], None, 400, "presence").await;
    expect(s, public, &[], None, 200, r#"{"occupied":true}"#).await;
    expect(
        s,
        ("GET", "/apps/4242/channels/presence-room"),
        &[("info", "user_count,subscription_count")],
        None,
        200,
        r#"{"occupied":true,"subscription_count":2,"user_count":2}"#,
    )
    .await;
    expect(
        s,
        ("GET", "/apps/4242/channels/public/users"),
        &[],
        None,
        400,
        "presence",
    )
    .await;
    expect(
        s,
        ("GET", "/apps/4242/channels/presence-room/users"),
        &[],
        None,
        200,
        r#"{"users":[{"id":"a"},{"id":"b"}]}"#,
    )
    .await;
    expect(
        s,
        ("POST", "/apps/4242/users/u/terminate_connections"),
        &[],
        Some("{}"),
        200,
        "{}",
    )
    .await;
}

#[tokio::test]
async fn server_limits_are_enforced() {
    let server = FakePusher::start().await;
    let event = |data: &str| format!(r#"{{"channel":"c","name":"e","data":"{data}"}}"#);
    let batch = |n: usize| {
        let events: Vec<String> = (0..n).map(|_| event("d")).collect();
        format!(r#"{{"batch":[{}]}}"#, events.join(","))
    };
    let answer = signed(
        &server,
        "POST",
        "/apps/4242/batch_events",
        &[],
        Some(&batch(10)),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = signed(
        &server,
        "POST",
        "/apps/4242/batch_events",
        &[],
        Some(&batch(11)),
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    let big = format!(r#"{{"batch":[{}]}}"#, event(&"x".repeat(10241)));
    let answer = signed(&server, "POST", "/apps/4242/batch_events", &[], Some(&big)).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert!(answer.body.contains("batch event 0"), "{answer:?}");
    assert_eq!(server.events().len(), 10);
}

#[tokio::test]
async fn scripted_replies_apply_in_order_to_authenticated_requests() {
    let server = FakePusher::start().await;
    server.reply_next(Reply::Normal);
    server.reply_next(Reply::status(429, "slow down"));
    server.reply_next(Reply::malformed("nope"));
    let path = "/apps/4242/channels";
    // a refused request does not consume a reply
    let answer = raw_request(server.addr(), "GET", &format!("{path}?auth_key=x"), b"")
        .await
        .expect("answer");
    assert_eq!(answer.status, 401);
    let answers = [
        signed(&server, "GET", path, &[], None).await,
        signed(&server, "GET", path, &[], None).await,
        signed(&server, "GET", path, &[], None).await,
        signed(&server, "GET", path, &[], None).await,
    ];
    let got: Vec<(u16, &str)> = answers
        .iter()
        .map(|a| (a.status, a.body.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (200, r#"{"channels":{}}"#),
            (429, "slow down"),
            (200, "nope"),
            (200, r#"{"channels":{}}"#)
        ]
    );
    server.reply_next_n(2, Reply::status(500, "x"));
    server.clear_replies();
    assert_eq!(signed(&server, "GET", path, &[], None).await.status, 200);
}

#[tokio::test]
async fn hung_requests_end_when_the_server_is_dropped() {
    let server = FakePusher::start().await;
    server.reply_next(Reply::Hang);
    let path = "/apps/4242/channels";
    let query = sign_query(
        &server.key(),
        &server.secret(),
        "GET",
        path,
        &[],
        None,
        server.now_unix(),
    );
    let addr = server.addr();
    let pending =
        tokio::spawn(
            async move { raw_request(addr, "GET", &format!("{path}?{query}"), b"").await },
        );
    while server.request_count() == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(server.last_request().and_then(|r| r.status), None);
    drop(server);
    // Either a 503 or a closed connection: what matters is that it ends.
    let _ = pending.await.expect("task");
}

#[tokio::test]
async fn records_headers_and_clears() {
    let server = FakePusher::start().await;
    let answer = signed(
        &server,
        "POST",
        "/apps/4242/events",
        &[],
        Some(r#"{"name":"e","channels":["c"],"data":"d"}"#),
    )
    .await;
    assert_eq!(answer.status, 200);
    let request = server.last_request().expect("recorded");
    assert_eq!(request.content_type(), Some("application/json"));
    assert_eq!(
        request.header("HOST"),
        Some(server.addr().to_string().as_str())
    );
    assert_eq!(request.pusher_library(), None);
    server.clear_recordings();
    assert_eq!(server.request_count(), 0);
    assert!(server.events().is_empty());
}
