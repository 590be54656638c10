//! Bodies over the app's `DefaultBodyLimit`: a JSON 413, and at once when the `Content-Length`
//! announces it (without waiting for a body that may never come).
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use common::{Answer, FORM, KEY, SECRET, hmac_hex, pusher, send};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PusherAuth, UserAuthRequest, UserData, UserGrant,
    VerifiedWebhook,
};
use serde_json::json;

const LIMIT: usize = 512;

async fn webhooks(VerifiedWebhook(_webhook): VerifiedWebhook) {}

fn app() -> Router {
    let auth = PusherAuth::new()
        .channel(|(): (), _: ChannelAuthRequest| async { Ok::<_, Infallible>(ChannelGrant::Allow) })
        .user(|(): (), _: UserAuthRequest| async {
            Ok::<_, Infallible>(UserGrant::Allow(UserData::new("ada")))
        });
    Router::new()
        .route("/webhooks", post(webhooks))
        .merge(auth)
        .layer(DefaultBodyLimit::max(LIMIT))
        .with_state(pusher())
}

/// A body that never yields anything: the request stays open as long as the server waits.
fn never_ending() -> Body {
    Body::from_stream(futures_util::stream::pending::<Result<Bytes, Infallible>>())
}

/// The answer, or a failed test (not a hang) if the server waits for the body.
async fn send_guarded(app: &Router, request: Request<Body>) -> Answer {
    tokio::time::timeout(Duration::from_secs(60), send(app, request))
        .await
        .expect("the server waited for a body it should have refused by its Content-Length")
}

fn assert_json_413(answer: &Answer, error: &str, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{what}: {}",
        answer.text()
    );
    assert_eq!(answer.content_type(), Some("application/json"), "{what}");
    assert_eq!(answer.json(), json!({ "error": error }), "{what}");
}

#[tokio::test]
async fn an_announced_length_over_the_limit_is_413_without_waiting_for_the_body() {
    let app = app();
    let announced = (LIMIT * 1000).to_string();
    for path in ["/pusher/auth", "/pusher/user-auth"] {
        let request = Request::post(path)
            .header("content-type", FORM)
            .header("content-length", &announced)
            .body(never_ending())
            .unwrap();
        let answer = send_guarded(&app, request).await;
        assert_json_413(
            &answer,
            "the request body is larger than this server accepts",
            path,
        );
    }

    // A webhook with valid-looking headers: past the header check, refused on the length.
    let request = Request::post("/webhooks")
        .header("x-pusher-key", KEY)
        .header("x-pusher-signature", hmac_hex(SECRET, b"{}"))
        .header("content-length", &announced)
        .body(never_ending())
        .unwrap();
    let answer = send_guarded(&app, request).await;
    assert_json_413(&answer, "body too large", "webhook");
}

#[tokio::test]
async fn an_announced_length_within_the_limit_is_read() {
    let app = app();
    let body = "socket_id=1234.1234&channel_name=private-foobar";
    let request = Request::post("/pusher/auth")
        .header("content-type", FORM)
        .header("content-length", body.len().to_string())
        .body(Body::from(body))
        .unwrap();
    let answer = send_guarded(&app, request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn bodies_over_the_limit_are_a_json_413() {
    let app = app();
    let big = format!(
        "socket_id=1234.1234&channel_name=private-foobar&pad={}",
        "x".repeat(LIMIT)
    );
    for path in ["/pusher/auth", "/pusher/user-auth"] {
        // No Content-Length: found while reading.
        let request = Request::post(path)
            .header("content-type", FORM)
            .body(Body::from(big.clone()))
            .unwrap();
        let answer = send_guarded(&app, request).await;
        assert_json_413(
            &answer,
            "the request body is larger than this server accepts",
            path,
        );
    }
    let body = format!(
        r#"{{"time_ms":1,"events":[],"pad":"{}"}}"#,
        "x".repeat(LIMIT)
    );
    let request = Request::post("/webhooks")
        .header("x-pusher-key", KEY)
        .header("x-pusher-signature", hmac_hex(SECRET, body.as_bytes()))
        .body(Body::from(body))
        .unwrap();
    let answer = send_guarded(&app, request).await;
    assert_json_413(&answer, "body too large", "webhook");
}
