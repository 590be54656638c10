//! `VerifiedWebhook`: every status, typed payloads, body limits, and where the client lives.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::time::{Duration, UNIX_EPOCH};

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::http::header::HeaderValue;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, ResponseError, web};
use pusher_actix::{VerifiedWebhook, WebhookRejection};
use pusher_client::{
    Pusher, WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, WebhookError, WebhookEvent,
    WebhookRejectionReason,
};

use common::{JSON, KEY, SECRET, post, pusher};

const BODY: &str = r#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"room"},{"name":"member_added","channel":"presence-room","user_id":42},{"name":"brand_new","channel":"room"}]}"#;

/// Lists the events it was given: `name@channel` separated by commas.
async fn hook(VerifiedWebhook(webhook): VerifiedWebhook) -> HttpResponse {
    let names: Vec<String> = webhook
        .events
        .iter()
        .map(|e| format!("{}@{}", e.name(), e.channel().unwrap_or("-")))
        .collect();
    HttpResponse::Ok().body(names.join(","))
}

/// A request for `/hook` with these header values (`None`: header left out).
fn webhook_request(key: Option<&str>, signature: Option<&str>, body: &str) -> TestRequest {
    let mut req = post("/hook", Some(JSON), body);
    if let Some(key) = key {
        req = req.insert_header((WEBHOOK_KEY_HEADER, key));
    }
    if let Some(signature) = signature {
        req = req.insert_header((WEBHOOK_SIGNATURE_HEADER, signature));
    }
    req
}

fn signed(body: &str) -> TestRequest {
    let signature = pusher_client::sign_webhook(SECRET, body.as_bytes());
    webhook_request(Some(KEY), Some(&signature), body)
}

macro_rules! app_with {
    ($pusher:expr) => {
        init_service(
            App::new()
                .app_data(web::Data::new($pusher))
                .route("/hook", web::post().to(hook)),
        )
        .await
    };
}

#[actix_web::test]
async fn accepts_a_correctly_signed_webhook() {
    let app = app_with!(pusher());
    let answer = send!(app, signed(BODY));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.body,
        "channel_occupied@room,member_added@presence-room,brand_new@room"
    );
}

#[actix_web::test]
async fn signature_from_the_core_helper_and_lowercase_header_names() {
    let app = app_with!(pusher());
    let signature = pusher().sign_webhook(BODY.as_bytes());
    // Independent check of what the helper signs.
    assert_eq!(signature.signature, common::hmac_hex(SECRET, BODY));
    let req = post("/hook", None, BODY)
        .insert_header(("x-pusher-key", signature.key.as_str()))
        .insert_header(("X-PUSHER-SIGNATURE", signature.signature.as_str()));
    assert_eq!(send!(app, req).status, StatusCode::OK);
}

#[actix_web::test]
async fn refuses_what_is_not_provably_from_pusher_with_401() {
    let app = app_with!(pusher());
    let good = pusher_client::sign_webhook(SECRET, BODY.as_bytes());
    let wrong = pusher_client::sign_webhook("another-secret", BODY.as_bytes());
    let tampered = BODY.replace("room", "ROOM");
    let cases: Vec<(&str, TestRequest, WebhookError)> = vec![
        (
            "no headers",
            webhook_request(None, None, BODY),
            WebhookError::MissingKey,
        ),
        (
            "no key",
            webhook_request(None, Some(&good), BODY),
            WebhookError::MissingKey,
        ),
        (
            "no signature",
            webhook_request(Some(KEY), None, BODY),
            WebhookError::MissingSignature,
        ),
        (
            "unknown key",
            webhook_request(Some("not-our-key"), Some(&good), BODY),
            WebhookError::UnknownKey,
        ),
        (
            "signed with another secret",
            webhook_request(Some(KEY), Some(&wrong), BODY),
            WebhookError::InvalidSignature,
        ),
        (
            "body changed after signing",
            webhook_request(Some(KEY), Some(&good), &tampered),
            WebhookError::InvalidSignature,
        ),
        (
            "not hex",
            webhook_request(Some(KEY), Some("zz"), BODY),
            WebhookError::MalformedSignature,
        ),
    ];
    for (name, req, error) in cases {
        let answer = send!(app, req);
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        // The category, as JSON; the advice of `Display` is for the log.
        assert_eq!(
            answer.json(),
            serde_json::json!({ "error": error.client_message() }),
            "{name}"
        );
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/json"),
            "{name}"
        );
        assert!(!answer.body.contains(SECRET), "{name}");
        assert!(
            !answer.body.contains(&good),
            "{name}: leaks the expected signature"
        );
    }
}

#[actix_web::test]
async fn non_text_header_values_are_401() {
    let app = app_with!(pusher());
    let good = pusher_client::sign_webhook(SECRET, BODY.as_bytes());
    let garbage = HeaderValue::from_bytes(b"\xff\xfe").unwrap();
    let req = webhook_request(None, Some(&good), BODY)
        .insert_header((WEBHOOK_KEY_HEADER, garbage.clone()));
    let answer = send!(app, req);
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body, r#"{"error":"invalid X-Pusher-Key header"}"#);
    let req =
        webhook_request(Some(KEY), None, BODY).insert_header((WEBHOOK_SIGNATURE_HEADER, garbage));
    assert_eq!(send!(app, req).status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_signed_body_that_does_not_parse_is_400() {
    let app = app_with!(pusher());
    for body in [
        "not json",
        r#"{"events":[]}"#,
        r#"{"time_ms":1,"events":[{"name":"member_added","channel":"presence-a"}]}"#,
    ] {
        let answer = send!(app, signed(body));
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        // The category only: not what the parser found in the body.
        assert_eq!(answer.body, r#"{"error":"malformed body"}"#);
    }
}

#[actix_web::test]
async fn the_app_payload_limit_applies_413() {
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .app_data(web::PayloadConfig::new(BODY.len()))
            .route("/hook", web::post().to(hook)),
    )
    .await;
    assert_eq!(send!(app, signed(BODY)).status, StatusCode::OK);
    let big = format!(
        r#"{{"time_ms":1,"events":[],"padding":"{}"}}"#,
        "x".repeat(BODY.len())
    );
    let answer = send!(app, signed(&big));
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.body, r#"{"error":"body too large"}"#);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));

    // Also as web::Data<PayloadConfig>, and for a body sent without a Content-Length.
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .app_data(web::Data::new(web::PayloadConfig::new(BODY.len())))
            .route("/hook", web::post().to(hook)),
    )
    .await;
    assert_eq!(
        send!(app, signed(&big)).status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let mut req = signed(&big).to_request();
    req.headers_mut().remove(CONTENT_LENGTH);
    let answer = common::answer(call_service(&app, req).await).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// Forged headers are refused before the body is read: an unknown key or a malformed signature
/// on an oversized body is 401, not 413.
#[actix_web::test]
async fn forged_headers_are_refused_before_the_body_is_read() {
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .app_data(web::PayloadConfig::new(BODY.len()))
            .route("/hook", web::post().to(hook)),
    )
    .await;
    let big = format!(
        r#"{{"time_ms":1,"events":[],"padding":"{}"}}"#,
        "x".repeat(BODY.len())
    );
    let good_signature = pusher_client::sign_webhook(SECRET, big.as_bytes());
    for (key, signature) in [("unknown-key", good_signature.as_str()), (KEY, "not-hex")] {
        let answer = send!(app, webhook_request(Some(key), Some(signature), &big));
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key} {signature}");
    }
}

#[actix_web::test]
async fn a_body_the_payload_config_refuses_keeps_actix_s_status() {
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .app_data(web::PayloadConfig::default().mimetype(mime_json()))
            .route("/hook", web::post().to(hook)),
    )
    .await;
    let signature = pusher_client::sign_webhook(SECRET, BODY.as_bytes());
    let req = post("/hook", Some("text/plain"), BODY)
        .insert_header((WEBHOOK_KEY_HEADER, KEY))
        .insert_header((WEBHOOK_SIGNATURE_HEADER, signature.as_str()));
    let answer = send!(app, req);
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body, r#"{"error":"unreadable body"}"#);
    assert_eq!(send!(app, signed(BODY)).status, StatusCode::OK);
}

fn mime_json() -> actix_web::mime::Mime {
    actix_web::mime::APPLICATION_JSON
}

#[actix_web::test]
async fn no_client_in_app_data_is_500() {
    let app = init_service(App::new().route("/hook", web::post().to(hook))).await;
    let answer = send!(app, signed(BODY));
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    // A generic answer: how to register the client is logged, not sent.
    assert_eq!(answer.body, r#"{"error":"internal error"}"#);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    // Also without any header: the misconfiguration is reported first.
    let answer = send!(app, webhook_request(None, None, BODY));
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[actix_web::test]
async fn the_client_may_be_thin_data_or_bare() {
    let thin = init_service(
        App::new()
            .app_data(web::ThinData(pusher()))
            .route("/hook", web::post().to(hook)),
    )
    .await;
    assert_eq!(send!(thin, signed(BODY)).status, StatusCode::OK);
    assert_eq!(
        send!(thin, webhook_request(Some(KEY), Some("00"), BODY)).status,
        StatusCode::UNAUTHORIZED
    );
    let bare = init_service(
        App::new()
            .app_data(pusher())
            .route("/hook", web::post().to(hook)),
    )
    .await;
    assert_eq!(send!(bare, signed(BODY)).status, StatusCode::OK);
}

#[actix_web::test]
async fn the_nearest_scope_s_client_is_used() {
    let other = Pusher::builder("9", "scoped-key", "scoped-secret")
        .build()
        .unwrap();
    let app = init_service(
        App::new().app_data(web::Data::new(pusher())).service(
            web::scope("/scoped")
                .app_data(web::Data::new(other))
                .route("/hook", web::post().to(hook)),
        ),
    )
    .await;
    let signature = pusher_client::sign_webhook("scoped-secret", BODY.as_bytes());
    let req = post("/scoped/hook", Some(JSON), BODY)
        .insert_header((WEBHOOK_KEY_HEADER, "scoped-key"))
        .insert_header((WEBHOOK_SIGNATURE_HEADER, signature.as_str()));
    assert_eq!(send!(app, req).status, StatusCode::OK);
}

#[actix_web::test]
async fn extra_webhook_keys_and_max_age() {
    let now = UNIX_EPOCH + Duration::from_millis(1_327_078_148_132 + 30_000);
    let pusher = Pusher::builder("3", KEY, SECRET)
        .webhook_key("rotated-key", "rotated-secret")
        .webhook_max_age(Duration::from_secs(60))
        .clock(move || now)
        .build()
        .unwrap();
    let app = app_with!(pusher);
    let signature = pusher_client::sign_webhook("rotated-secret", BODY.as_bytes());
    let answer = send!(
        app,
        webhook_request(Some("rotated-key"), Some(&signature), BODY)
    );
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let old = BODY.replace("1327078148132", "1327078000000");
    let answer = send!(app, signed(&old));
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body, r#"{"error":"webhook too old"}"#);
}

#[actix_web::test]
async fn typed_payloads() {
    #[derive(serde::Deserialize)]
    struct Names {
        events: Vec<Name>,
    }
    #[derive(serde::Deserialize)]
    struct Name {
        name: String,
    }
    async fn names(webhook: VerifiedWebhook<Names>) -> String {
        let names: Vec<&str> = webhook.events.iter().map(|e| e.name.as_str()).collect();
        names.join(",")
    }
    async fn raw(VerifiedWebhook(value): VerifiedWebhook<serde_json::Value>) -> String {
        value["time_ms"].to_string()
    }
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .route("/names", web::post().to(names))
            .route("/raw", web::post().to(raw)),
    )
    .await;
    let signature = pusher_client::sign_webhook(SECRET, BODY.as_bytes());
    let req = |path: &str| {
        post(path, Some(JSON), BODY)
            .insert_header((WEBHOOK_KEY_HEADER, KEY))
            .insert_header((WEBHOOK_SIGNATURE_HEADER, signature.as_str()))
    };
    let answer = send!(app, req("/names"));
    assert_eq!(answer.body, "channel_occupied,member_added,brand_new");
    assert_eq!(send!(app, req("/raw")).body, "1327078148132");

    // A body that is a webhook but not a `Names` is a 400.
    let body = r#"{"time_ms":1,"events":[{"channel":"no-name"}]}"#;
    let signature = pusher_client::sign_webhook(SECRET, body.as_bytes());
    let req = post("/names", Some(JSON), body)
        .insert_header((WEBHOOK_KEY_HEADER, KEY))
        .insert_header((WEBHOOK_SIGNATURE_HEADER, signature.as_str()));
    assert_eq!(send!(app, req).status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn optional_extraction_lets_a_handler_answer_itself() {
    async fn lenient(webhook: Result<VerifiedWebhook, WebhookRejection>) -> HttpResponse {
        match webhook {
            Ok(_) => HttpResponse::NoContent().finish(),
            Err(rejection) => {
                HttpResponse::ImATeapot().body(rejection.status().as_str().to_owned())
            }
        }
    }
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .route("/hook", web::post().to(lenient)),
    )
    .await;
    assert_eq!(send!(app, signed(BODY)).status, StatusCode::NO_CONTENT);
    let answer = send!(app, webhook_request(None, None, BODY));
    assert_eq!(answer.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(answer.body, "401");
}

#[test]
fn rejection_statuses_and_texts() {
    let cases = [
        (WebhookRejection(WebhookRejectionReason::MissingClient), 500),
        (
            WebhookRejection(WebhookRejectionReason::InvalidHeader {
                header: WEBHOOK_KEY_HEADER,
            }),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(WebhookError::MissingKey)),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(
                WebhookError::MissingSignature,
            )),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(WebhookError::UnknownKey)),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(
                WebhookError::MalformedSignature,
            )),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(
                WebhookError::InvalidSignature,
            )),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(WebhookError::TooOld {
                age: Duration::from_secs(600),
                max: Duration::from_secs(300),
            })),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(WebhookError::BadPayload(
                "x".into(),
            ))),
            400,
        ),
        (
            WebhookRejection(WebhookRejectionReason::PayloadTooLarge),
            413,
        ),
        (
            WebhookRejection(WebhookRejectionReason::UnreadableBody {
                status: StatusCode::BAD_REQUEST.as_u16(),
                reason: "cut short".into(),
            }),
            400,
        ),
    ];
    for (rejection, status) in cases {
        assert_eq!(rejection.status().as_u16(), status, "{rejection}");
        assert_eq!(rejection.status_code(), rejection.status());
        assert_eq!(rejection.error_response().status(), rejection.status());
        // The body names the category; `Display` (for the log) has the details.
        assert!(!rejection.body_text().is_empty());
        assert_ne!(rejection.body_text(), rejection.to_string());
    }
    let rejection = WebhookRejection::from(WebhookError::UnknownKey);
    assert!(std::error::Error::source(&rejection).is_some());
    // Rejections can travel across threads (e.g. into anyhow).
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<WebhookRejection>();
}

#[test]
fn the_event_enum_is_reexported() {
    let event = pusher_actix::WebhookEvent::CacheMiss {
        channel: "cache-a".into(),
    };
    assert!(matches!(event, WebhookEvent::CacheMiss { .. }));
}
