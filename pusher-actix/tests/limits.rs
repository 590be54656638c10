//! Bodies over the app's `PayloadConfig` limit: a JSON 413 from the authorization routes and
//! `VerifiedWebhook` alike, and at once when the `Content-Length` announces it (without waiting
//! for a body that may never come).
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::convert::Infallible;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, web};
use pusher_actix::{PusherAuth, VerifiedWebhook};
use pusher_client::{ChannelAuthRequest, ChannelGrant, UserAuthRequest, UserData, UserGrant};
use serde_json::json;

use common::{Answer, FORM, KEY, SECRET, hmac_hex, post, pusher};

const LIMIT: usize = 512;

async fn hook(VerifiedWebhook(_webhook): VerifiedWebhook) -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn routes() -> PusherAuth {
    PusherAuth::new()
        .channel(|(): (), _: ChannelAuthRequest| async { Ok::<_, Infallible>(ChannelGrant::Allow) })
        .user(|(): (), _: UserAuthRequest| async {
            Ok::<_, Infallible>(UserGrant::Allow(UserData::new("ada")))
        })
}

macro_rules! app {
    () => {
        init_service(
            App::new()
                .app_data(web::Data::new(pusher()))
                .app_data(web::PayloadConfig::new(LIMIT))
                .service(routes())
                .route("/webhooks", web::post().to(hook)),
        )
        .await
    };
}

fn assert_json_413(answer: &Answer, error: &str, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{what}: {}",
        answer.body
    );
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/json"),
        "{what}"
    );
    assert_eq!(answer.json(), json!({ "error": error }), "{what}");
}

#[actix_web::test]
async fn bodies_over_the_limit_are_a_json_413() {
    let app = app!();
    let big = format!(
        "socket_id=1234.1234&channel_name=private-foobar&pad={}",
        "x".repeat(LIMIT)
    );
    for path in ["/pusher/auth", "/pusher/user-auth"] {
        let answer = send!(app, post(path, Some(FORM), big.clone()));
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
    let req = post("/webhooks", None, body.clone())
        .insert_header(("x-pusher-key", KEY))
        .insert_header(("x-pusher-signature", hmac_hex(SECRET, &body)));
    let answer = send!(app, req);
    assert_json_413(&answer, "body too large", "webhook");
}

/// A body that never yields anything: the request stays open as long as the server waits.
fn never_ending() -> Payload {
    Payload::Stream {
        payload: Box::pin(futures_util::stream::pending::<
            Result<web::Bytes, PayloadError>,
        >()),
    }
}

#[actix_web::test]
async fn an_announced_length_over_the_limit_is_413_without_waiting_for_the_body() {
    let app = app!();
    let announced = LIMIT * 1000;
    let requests = [
        (
            "/pusher/auth",
            TestRequest::post()
                .uri("/pusher/auth")
                .insert_header(("content-type", FORM)),
            "the request body is larger than this server accepts",
        ),
        (
            "/pusher/user-auth",
            TestRequest::post()
                .uri("/pusher/user-auth")
                .insert_header(("content-type", FORM)),
            "the request body is larger than this server accepts",
        ),
        (
            "/webhooks",
            TestRequest::post()
                .uri("/webhooks")
                .insert_header(("x-pusher-key", KEY))
                .insert_header(("x-pusher-signature", hmac_hex(SECRET, "{}"))),
            "body too large",
        ),
    ];
    for (what, req, error) in requests {
        let req = req
            .insert_header(("content-length", announced.to_string()))
            .to_request();
        let (req, _) = req.replace_payload(never_ending());
        let response =
            actix_web::rt::time::timeout(Duration::from_secs(60), call_service(&app, req))
                .await
                .expect(
                    "the server waited for a body it should have refused by its Content-Length",
                );
        let answer = common::answer(response).await;
        assert_json_413(&answer, error, what);
    }
}
