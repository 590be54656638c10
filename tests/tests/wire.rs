//! What every request carries: identification and content headers, the signing parameters,
//! and timestamps (64-bit, and refused by the server when the clocks disagree).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pusher_client::{BatchEvent, Error, Pusher};
use pusher_tests::{FakePusher, ServerClock, verify::md5_hex};
use serde_json::{Value, json};

async fn one_of_each(pusher: &Pusher) {
    pusher.trigger("c", "e", "d").await.expect("trigger");
    pusher
        .trigger_batch(vec![BatchEvent::new("c", "e", "d")])
        .await
        .expect("batch");
    pusher
        .send_to_user("u", "e", "d")
        .await
        .expect("send_to_user");
    pusher
        .terminate_user_connections("u")
        .await
        .expect("terminate");
    pusher.channels().await.expect("channels");
    pusher.channel("c").await.expect("channel");
    pusher.users("presence-c").await.expect("users");
    pusher
        .get::<Value>("/channels", &[("filter_by_prefix", "c")])
        .await
        .expect("get");
    pusher
        .post::<_, Value>("/events", &json!({"name":"e","channels":["c"],"data":"d"}))
        .await
        .expect("post");
}

#[tokio::test]
async fn every_request_identifies_the_library_and_is_signed() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    one_of_each(&pusher).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 9);
    for r in &requests {
        let what = format!("{} {}", r.method, r.raw_path);
        assert!(r.authenticated(), "{what}: {:?}", r.refusal);
        let library = r
            .pusher_library()
            .unwrap_or_else(|| panic!("{what}: no X-Pusher-Library"));
        assert!(
            library.starts_with("pusher-client-rust/"),
            "{what}: {library}"
        );
        assert_eq!(r.param("auth_key"), Some(server.key().as_str()), "{what}");
        assert_eq!(r.param("auth_version"), Some("1.0"), "{what}");
        let signature = r.param("auth_signature").unwrap_or_default();
        assert_eq!(signature.len(), 64, "{what}");
        assert!(
            signature
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert!(
            r.query.keys().all(|k| k == &k.to_lowercase()),
            "{what}: {:?}",
            r.query.keys()
        );
        if r.method == "POST" {
            assert_eq!(r.content_type(), Some("application/json"), "{what}");
            assert!(!r.body.is_empty(), "{what}");
            assert_eq!(
                r.param("body_md5"),
                Some(md5_hex(&r.body).as_str()),
                "{what}"
            );
        } else {
            assert_eq!(r.method, "GET");
            assert!(r.body.is_empty(), "{what}");
            assert_eq!(r.param("body_md5"), None, "{what}");
        }
    }
}

#[tokio::test]
async fn timestamps_beyond_32_bits_are_accepted() {
    const FAR: u64 = 5_000_000_000; // > 2^32, in 2128
    let server = FakePusher::start().await;
    server.set_clock(ServerClock::Fixed(FAR));
    let pusher = server
        .client_builder()
        .clock(|| UNIX_EPOCH + Duration::from_secs(FAR))
        .build()
        .expect("client");
    one_of_each(&pusher).await;
    for r in server.requests() {
        assert!(r.authenticated(), "{:?}", r.refusal);
        assert_eq!(r.param("auth_timestamp"), Some("5000000000"));
    }
}

#[tokio::test]
async fn timestamp_uses_the_configured_clock() {
    let server = FakePusher::start().await;
    server.set_clock(ServerClock::Fixed(1_700_000_000));
    let pusher = server
        .client_builder()
        .clock(|| UNIX_EPOCH + Duration::from_millis(1_700_000_000_999))
        .build()
        .expect("client");
    pusher.channels().await.expect("channels");
    let r = server.last_request().expect("recorded");
    assert_eq!(r.param("auth_timestamp"), Some("1700000000"));
}

#[tokio::test]
async fn clock_skew_of_700_seconds_is_refused_with_401() {
    let server = FakePusher::start().await; // the machine's clock
    for skew in [700i64, -700] {
        let pusher = server
            .client_builder()
            .clock(move || {
                let now = SystemTime::now();
                if skew > 0 {
                    now + Duration::from_secs(skew.unsigned_abs())
                } else {
                    now - Duration::from_secs(skew.unsigned_abs())
                }
            })
            .build()
            .expect("client");
        let error = pusher.trigger("c", "e", "d").await.expect_err("skewed");
        assert_eq!(error.status(), Some(401), "skew {skew}: {error:?}");
        match &error {
            Error::Api(api) => assert!(api.body().contains("Timestamp expired"), "{}", api.body()),
            other => panic!("{other:?}"),
        }
        assert!(server.leaks_in(&format!("{error} {error:?}")).is_empty());
    }
    assert!(server.events().is_empty());
}

#[tokio::test]
async fn the_server_window_is_600_seconds_each_way() {
    const T: u64 = 2_000_000_000;
    let server = FakePusher::start().await;
    server.set_clock(ServerClock::Fixed(T));
    for (client_time, accepted) in [
        (T - 601, false),
        (T - 600, true),
        (T, true),
        (T + 600, true),
        (T + 601, false),
    ] {
        let pusher = server
            .client_builder()
            .clock(move || UNIX_EPOCH + Duration::from_secs(client_time))
            .build()
            .expect("client");
        let result = pusher.channels().await;
        assert_eq!(
            result.is_ok(),
            accepted,
            "client at T{:+}: {result:?}",
            client_time as i64 - T as i64
        );
        if !accepted {
            assert_eq!(result.expect_err("refused").status(), Some(401));
        }
    }
}

#[tokio::test]
async fn server_clock_offset_is_configurable() {
    let server = FakePusher::start().await;
    server.set_clock(ServerClock::Offset(-3600));
    let error = server
        .client()
        .channels()
        .await
        .expect_err("server an hour behind");
    assert_eq!(error.status(), Some(401));
    let pusher = server
        .client_builder()
        .clock(|| SystemTime::now() - Duration::from_secs(3600))
        .build()
        .expect("client");
    pusher.channels().await.expect("clocks agree again");
}

/// `Trigger::sign` hands back exactly what awaiting the trigger sends: sent by a plain HTTP
/// client of our own, the fake server (which verifies signatures independently) accepts it.
#[tokio::test]
async fn a_signed_trigger_sent_by_another_http_stack_is_accepted() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let request = pusher
        .trigger(["orders", "audit"], "created", r#"{"id":42}"#)
        .exclude("123.456")
        .idempotency_key("order-42")
        .sign()
        .expect("valid trigger");
    assert_eq!(request.method(), "POST");
    assert!(
        request.url().starts_with(&server.url()),
        "{} vs {}",
        request.url(),
        server.url()
    );
    assert!(request.url().ends_with(request.path_and_query()));
    let headers: Vec<_> = request.headers().collect();
    assert!(headers.contains(&("Content-Type", "application/json")));
    assert!(headers.contains(&("X-Idempotency-Key", "order-42")));
    assert!(headers.iter().any(
        |(name, value)| *name == "X-Pusher-Library" && value.starts_with("pusher-client-rust/")
    ));
    assert!(!format!("{request:?}").contains("auth_signature"));

    let answer = pusher_tests::raw_request(
        server.addr(),
        request.method(),
        request.path_and_query(),
        request.body(),
    )
    .await
    .expect("the fake server answers");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let recorded = server.last_request().expect("one request");
    assert!(recorded.authenticated(), "{:?}", recorded.refusal);
    assert_eq!(
        recorded.param("body_md5"),
        Some(md5_hex(request.body()).as_str())
    );
    let events = server.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].channels, ["orders", "audit"]);
    assert_eq!(events[0].name, "created");
    assert_eq!(events[0].data, r#"{"id":42}"#);
    assert_eq!(events[0].socket_id.as_deref(), Some("123.456"));

    // Validated before anything is signed.
    assert!(matches!(
        pusher.trigger("bad channel", "e", "d").sign(),
        Err(Error::Validation(_))
    ));
}
