//! `PusherError`: a handler that triggers with `?` answers each kind of failure with its status
//! and a short JSON body holding no secret and nothing Pusher answered; the detail is logged.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpResponse, ResponseError, web};
use pusher_actix::pusher_client::{ConfigError, RetryPolicy};
use pusher_actix::{Error, Pusher, PusherError};
use pusher_tests::logs::CapturedLogs;
use pusher_tests::{FakePusher, Reply};

/// What Pusher answers in these tests: it must never reach the browser.
const UPSTREAM: &str = "UPSTREAM-DETAIL-7f3a";

async fn send(
    pusher: web::Data<Pusher>,
    channel: web::Path<String>,
) -> Result<HttpResponse, PusherError> {
    pusher.trigger(channel.as_str(), "created", "{}").await?;
    Ok(HttpResponse::Accepted().finish())
}

#[actix_web::test]
async fn a_handler_with_question_mark_answers_each_failure_with_its_status() {
    let (logs, _guard) = CapturedLogs::install(tracing::Level::DEBUG);

    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher))
            .route("/send/{channel}", web::post().to(send)),
    )
    .await;

    let ok = call_service(&app, TestRequest::post().uri("/send/orders").to_request()).await;
    assert_eq!(ok.status(), StatusCode::ACCEPTED);

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
        let req = TestRequest::post()
            .uri(&format!("/send/{channel}"))
            .to_request();
        let response = call_service(&app, req).await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/json"
        );
        let body = String::from_utf8(read_body(response).await.to_vec()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(json["error"].is_string(), "{body}");
        assert!(!body.contains(UPSTREAM), "{body}");
        assert!(!body.contains(&server.secret()), "{body}");
        assert!(server.leaks_in(&body).is_empty(), "{body}");
    }

    let logged = logs.text();
    // Pusher refusing our credentials is this server's fault; a timeout is Pusher's.
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
    assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    let response = error.error_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap();
    assert_eq!(&body[..], br#"{"error":"internal error"}"#);
}
