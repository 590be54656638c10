//! `PusherError`: a handler that triggers with `?` answers each kind of failure with its status
//! and a short JSON body holding no secret and nothing Pusher answered; the detail is logged.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use http_body_util::BodyExt;
use pusher_axum::pusher_client::{ConfigError, RetryPolicy};
use pusher_axum::{Error, Pusher, PusherError};
use pusher_tests::logs::CapturedLogs;
use pusher_tests::{FakePusher, Reply};
use tower::ServiceExt;

/// What Pusher answers in these tests: it must never reach the browser.
const UPSTREAM: &str = "UPSTREAM-DETAIL-7f3a";

async fn send(
    State(pusher): State<Pusher>,
    Path(channel): Path<String>,
) -> Result<StatusCode, PusherError> {
    pusher.trigger(channel.as_str(), "created", "{}").await?;
    Ok(StatusCode::ACCEPTED)
}

async fn call(app: &Router, channel: &str) -> (StatusCode, String, String) {
    let request = Request::post(format!("/send/{channel}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn a_handler_with_question_mark_answers_each_failure_with_its_status() {
    let (logs, _guard) = CapturedLogs::install(tracing::Level::DEBUG);

    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/send/{channel}", post(send))
        .with_state(pusher);

    assert_eq!(call(&app, "orders").await.0, StatusCode::ACCEPTED);

    let cases = [
        (Some(Reply::status(401, UPSTREAM)), "orders", 502),
        (Some(Reply::status(503, UPSTREAM)), "orders", 502),
        (Some(Reply::malformed(UPSTREAM)), "orders", 502),
        (Some(Reply::Hang), "orders", 504),
        (None, "bad%3Aname", 400),
    ];
    for (reply, channel, status) in cases {
        if let Some(reply) = reply {
            server.reply_next(reply);
        }
        let (got, content_type, body) = call(&app, channel).await;
        assert_eq!(got.as_u16(), status, "{body}");
        assert_eq!(content_type, "application/json");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(json["error"].is_string(), "{body}");
        assert!(!body.contains(UPSTREAM), "{body}");
        assert!(!body.contains(&server.secret()), "{body}");
        assert!(server.leaks_in(&body).is_empty(), "{body}");
    }

    let logged = logs.text();
    // Pusher refusing our credentials is this server's fault; its 503 is Pusher's.
    assert!(
        logged
            .lines()
            .any(|l| l.contains(" ERROR ") && l.contains("401") && l.contains(UPSTREAM)),
        "{logged}"
    );
    assert!(
        logged
            .lines()
            .any(|l| l.contains(" WARN ") && l.contains("504")),
        "{logged}"
    );
    // The refused channel name came from the request: debug only.
    let refused = logged
        .lines()
        .find(|l| l.contains("bad:name"))
        .unwrap_or_else(|| panic!("{logged}"));
    assert!(refused.contains(" DEBUG "), "{refused}");
    assert!(!logged.contains(&server.secret()), "{logged}");

    a_server_fault_is_a_bare_internal_error().await;
}

/// Called from the test above: a test binary with one subscriber-less test thread could race
/// `tracing`'s callsite registration and lose the other test's events.
async fn a_server_fault_is_a_bare_internal_error() {
    let error = PusherError::from(Error::Config(ConfigError::Invalid {
        field: "secret",
        reason: "not what the app expected".into(),
    }));
    assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let response = axum::response::IntoResponse::into_response(error);
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"error":"internal error"}"#);
}
