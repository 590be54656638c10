//! Failures: every API error status, malformed answers, timeouts and refused connections, on
//! every call; and that no error message leaks the secret or a signature.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use pusher_client::{BatchEvent, Error, Pusher, RetryPolicy, TransportKind};
use pusher_tests::{ChannelState, FakePusher, Reply};
use serde_json::{Value, json};

type Call = for<'a> fn(&'a Pusher) -> Pin<Box<dyn Future<Output = Result<(), Error>> + 'a>>;

/// One of every call, each reduced to `Result<(), Error>`.
fn calls() -> Vec<(&'static str, Call)> {
    vec![
        ("trigger", |p| {
            Box::pin(async move { p.trigger("c", "e", "d").await.map(drop) })
        }),
        ("trigger_batch", |p| {
            Box::pin(async move {
                p.trigger_batch(vec![BatchEvent::new("c", "e", "d")])
                    .await
                    .map(drop)
            })
        }),
        ("send_to_user", |p| {
            Box::pin(async move { p.send_to_user("u1", "e", "d").await.map(drop) })
        }),
        ("terminate_user_connections", |p| {
            Box::pin(async move { p.terminate_user_connections("u1").await })
        }),
        ("channels", |p| {
            Box::pin(async move { p.channels().await.map(drop) })
        }),
        ("channel", |p| {
            Box::pin(async move { p.channel("presence-room").await.map(drop) })
        }),
        ("users", |p| {
            Box::pin(async move { p.users("presence-room").await.map(drop) })
        }),
        ("get", |p| {
            Box::pin(async move { p.get::<Value>("/channels", &[]).await.map(drop) })
        }),
        ("post", |p| {
            Box::pin(async move {
                p.post::<_, Value>("/events", &json!({"name":"e","channels":["c"],"data":"d"}))
                    .await
                    .map(drop)
            })
        }),
    ]
}

fn assert_no_leak(server: &FakePusher, what: &str, error: &Error) {
    let text = format!("{error}\n{error:?}");
    let leaks = server.leaks_in(&text);
    assert!(
        leaks.is_empty(),
        "{what}: the error shows {leaks:?}: {text}"
    );
}

#[tokio::test]
async fn every_call_succeeds_against_the_server() {
    // the baseline for the failure tests below
    let server = FakePusher::start().await;
    server.set_channel("presence-room", ChannelState::new().users(["u"]));
    let pusher = server.client();
    for (name, call) in calls() {
        call(&pusher)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(server.request_count(), calls().len());
    assert!(server.requests().iter().all(|r| r.status == Some(200)));
}

#[tokio::test]
async fn every_error_status_is_an_api_error_with_body() {
    let server = FakePusher::start().await;
    // One attempt per call: what is retried, and how, is tested in retries.rs.
    let pusher = server
        .client_builder()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    for status in [400u16, 401, 403, 404, 413, 429, 500, 502, 503, 504] {
        for (name, call) in calls() {
            let body = format!("scripted {status} for {name}: é");
            server.reply_next(Reply::status(status, body.clone()));
            let before = server.request_count();
            let error = call(&pusher).await.expect_err("scripted failure");
            assert_eq!(error.status(), Some(status), "{name}: {error:?}");
            assert!(
                !error.is_timeout() && !error.is_connect(),
                "{name}: {error:?}"
            );
            match &error {
                Error::Api(api) => {
                    assert_eq!(api.status(), status, "{name}");
                    assert_eq!(api.body(), body, "{name}");
                    assert!(
                        api.path().starts_with("/apps/4242/"),
                        "{name}: {}",
                        api.path()
                    );
                }
                other => panic!("{name} {status}: expected Error::Api, got {other:?}"),
            }
            let message = error.to_string();
            assert!(message.contains(&status.to_string()), "{name}: {message}");
            assert_no_leak(&server, name, &error);
            assert_eq!(
                server.request_count(),
                before + 1,
                "{name} {status}: retried?"
            );
        }
    }
}

#[tokio::test]
async fn long_error_bodies_are_capped_not_dropped() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    let body = "x".repeat(100_000);
    server.reply_next(Reply::status(500, body));
    let error = pusher.trigger("c", "e", "d").await.expect_err("500");
    match error {
        Error::Api(api) => {
            assert!(!api.body().is_empty());
            assert!(api.body().len() < 100_000, "{}", api.body().len());
            assert!(api.body().bytes().all(|b| b == b'x'));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn non_utf8_error_bodies_are_kept_lossily() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    // A Latin-1 error page: the readable part of the body must survive.
    server.reply_next(Reply::Bytes(502, b"Bad gateway: caf\xe9 is down".to_vec()));
    let error = pusher.trigger("c", "e", "d").await.expect_err("502");
    match error {
        Error::Api(api) => {
            assert_eq!(api.status(), 502);
            assert!(
                api.body().starts_with("Bad gateway: caf"),
                "body {:?}",
                api.body()
            );
            assert!(api.body().ends_with(" is down"), "body {:?}", api.body());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_answers_are_malformed_response() {
    let server = FakePusher::start().await;
    let pusher = server.client();
    for body in ["<html>oops</html>", "", "{\"occupied\":", "[1,2]"] {
        for (name, call) in calls() {
            // `[1,2]` is valid JSON: calls that do not type the answer (terminate, which
            // ignores it, and raw get/post into a `Value`) rightly accept it.
            if body == "[1,2]" && matches!(name, "terminate_user_connections" | "get" | "post") {
                continue;
            }
            server.reply_next(Reply::malformed(body));
            let error = call(&pusher).await.expect_err("malformed");
            assert!(
                matches!(error, Error::MalformedResponse { status: 200, .. }),
                "{name} with {body:?}: {error:?}"
            );
            assert_eq!(error.status(), Some(200));
            assert_no_leak(&server, name, &error);
        }
    }
    // a channel answer with a wrongly typed field
    server.reply_next(Reply::malformed(r#"{"occupied":"yes"}"#));
    let error = pusher.channel("c").await.expect_err("typed wrongly");
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = FakePusher::start().await;
    let timeout = Duration::from_millis(300);
    let pusher = server
        .client_builder()
        .timeout(timeout)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    for (name, call) in calls() {
        server.reply_next(Reply::Hang);
        let started = Instant::now();
        let error = call(&pusher).await.expect_err("hangs");
        let elapsed = started.elapsed();
        assert!(error.is_timeout(), "{name}: {error:?}");
        assert!(!error.is_connect(), "{name}: {error:?}");
        assert_eq!(error.status(), None);
        assert!(elapsed >= timeout, "{name}: returned after {elapsed:?}");
        match &error {
            Error::Transport(t) => {
                assert_eq!(t.kind(), TransportKind::Timeout);
                assert!(t.path().starts_with("/apps/4242/"), "{}", t.path());
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_no_leak(&server, name, &error);
    }
    // the request reached the server (it was sent, then not answered)
    assert_eq!(server.request_count(), calls().len());
    assert!(server.requests().iter().all(|r| r.status.is_none()));
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_succeeds() {
    let server = FakePusher::start().await;
    server.reply_next(Reply::Delay(Duration::from_millis(100)));
    let pusher = server
        .client_builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    pusher.trigger("c", "e", "d").await.expect("slow but fine");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let pusher = builder("4242", "key", "the-secret-value")
        .host("127.0.0.1")
        .port(port)
        .tls(false)
        .build()
        .expect("client");
    for (name, call) in calls() {
        let error = call(&pusher).await.expect_err("refused");
        assert!(error.is_connect(), "{name}: {error:?}");
        assert!(!error.is_timeout(), "{name}: {error:?}");
        assert_eq!(error.status(), None);
        let text = format!("{error}\n{error:?}");
        assert!(!text.contains("the-secret-value"), "{text}");
        assert!(!text.contains("auth_signature"), "{text}");
        assert!(!text.contains("auth_key="), "a signed URL is shown: {text}");
    }
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_the_verifying_server() {
    let server = FakePusher::start().await;
    let wrong_secret = builder(server.app_id(), server.key(), "not-the-secret-xyz")
        .host(server.host())
        .port(server.port())
        .tls(false)
        .build()
        .expect("client");
    let error = wrong_secret
        .trigger("c", "e", "d")
        .await
        .expect_err("bad signature");
    assert_eq!(error.status(), Some(401));
    let text = format!("{error}\n{error:?}");
    assert!(text.contains("Invalid signature"), "{text}");
    assert!(!text.contains("not-the-secret-xyz"), "{text}");
    assert_no_leak(&server, "wrong secret", &error);

    let wrong_key = builder(server.app_id(), "other-key", server.secret())
        .host(server.host())
        .port(server.port())
        .tls(false)
        .build()
        .expect("client");
    let error = wrong_key.channels().await.expect_err("unknown key");
    assert_eq!(error.status(), Some(401));

    let wrong_app = builder("999", server.key(), server.secret())
        .host(server.host())
        .port(server.port())
        .tls(false)
        .build()
        .expect("client");
    let error = wrong_app
        .trigger("c", "e", "d")
        .await
        .expect_err("unknown app");
    assert_eq!(error.status(), Some(404));
    assert_no_leak(&server, "wrong app", &error);
    assert!(server.events().is_empty());
}

/// A builder using the transport the tests run with (`PUSHER_TEST_TRANSPORT`).
use pusher_tests::test_builder as builder;

/// A value that cannot be serialised to JSON is refused with a message naming what it was,
/// before anything is sent.
#[tokio::test]
async fn serialisation_errors_name_what_could_not_be_serialised() {
    use std::collections::BTreeMap;
    // JSON object keys must be strings: a map keyed by tuples cannot be written.
    let unwritable: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();

    let error = pusher_client::Data::json(&unwritable).expect_err("tuple keys");
    assert!(
        matches!(
            error,
            Error::Serialize {
                what: "event data",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("event data could not be serialised"),
        "{error}"
    );

    let server = FakePusher::start().await;
    let pusher = server.client();
    let error = pusher
        .post::<_, Value>("/events", &unwritable)
        .await
        .expect_err("tuple keys");
    assert!(
        error
            .to_string()
            .starts_with("request body could not be serialised"),
        "{error}"
    );
    assert_eq!(server.request_count(), 0);
}
