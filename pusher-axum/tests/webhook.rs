//! The `VerifiedWebhook` extractor: every status, headers before body, the app's body limit.
#![allow(clippy::unwrap_used)]

mod common;

use std::error::Error as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use common::{JSON, KEY, SECRET, hmac_hex, post as request, pusher, send};
use pusher_axum::pusher_client::WebhookRejectionReason;
use pusher_axum::{Pusher, VerifiedWebhook, Webhook, WebhookError, WebhookEvent, WebhookRejection};
use serde_json::{Value, json};

const BODY: &str = r#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"room"},{"name":"member_added","channel":"presence-room","user_id":42},{"name":"brand_new","channel":"room"}]}"#;

async fn handler(VerifiedWebhook(webhook): VerifiedWebhook) -> Json<Value> {
    let names: Vec<&str> = webhook.events.iter().map(WebhookEvent::name).collect();
    Json(json!({"time_ms": webhook.time_ms, "names": names}))
}

fn app_with(pusher: Pusher, limit: usize) -> Router {
    Router::new()
        .route("/webhooks", post(handler))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(pusher)
}

fn app() -> Router {
    app_with(pusher(), 1024)
}

fn signed(key: &str, signature: &str, body: impl Into<Body>) -> Request<Body> {
    request(
        "/webhooks",
        &[
            ("content-type", JSON),
            ("X-Pusher-Key", key),
            ("X-Pusher-Signature", signature),
        ],
        body,
    )
}

#[tokio::test]
async fn a_correctly_signed_webhook_is_parsed() {
    let signature = pusher().sign_webhook(BODY.as_bytes());
    assert_eq!(signature.signature, hmac_hex(SECRET, BODY.as_bytes()));
    let answer = send(&app(), signed(&signature.key, &signature.signature, BODY)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({"time_ms": 1327078148132u64, "names": ["channel_occupied", "member_added", "brand_new"]})
    );
    // Header names in any case; signature in upper-case hex.
    let request = request(
        "/webhooks",
        &[
            ("x-pusher-key", KEY),
            ("X-PUSHER-SIGNATURE", &signature.signature.to_uppercase()),
        ],
        BODY,
    );
    assert_eq!(send(&app(), request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_caller_defined_payload() {
    #[derive(serde::Deserialize)]
    struct Channels {
        events: Vec<Event>,
    }
    #[derive(serde::Deserialize)]
    struct Event {
        channel: String,
    }
    async fn channels(VerifiedWebhook(hook): VerifiedWebhook<Channels>) -> String {
        hook.events
            .into_iter()
            .map(|e| e.channel)
            .collect::<Vec<_>>()
            .join(",")
    }
    let app = Router::new()
        .route("/webhooks", post(channels))
        .with_state(pusher());
    let answer = send(&app, signed(KEY, &hmac_hex(SECRET, BODY.as_bytes()), BODY)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), "room,presence-room,room");
}

#[tokio::test]
async fn refusals_are_401_and_echo_no_secret() {
    let good = hmac_hex(SECRET, BODY.as_bytes());
    let tampered = BODY.replace("room", "roam");
    let cases: Vec<(&str, Request<Body>, &str)> = vec![
        (
            "missing key",
            request("/webhooks", &[("X-Pusher-Signature", &good)], BODY),
            "missing X-Pusher-Key header",
        ),
        (
            "missing signature",
            request("/webhooks", &[("X-Pusher-Key", KEY)], BODY),
            "missing X-Pusher-Signature header",
        ),
        (
            "no headers",
            request("/webhooks", &[], BODY),
            "missing X-Pusher-Key header",
        ),
        (
            "unknown key",
            signed("someone-else", &good, BODY),
            "unknown key",
        ),
        (
            "wrong secret",
            signed(
                KEY,
                &pusher_axum::pusher_client::sign_webhook("guess", BODY.as_bytes()),
                BODY,
            ),
            "invalid signature",
        ),
        (
            "malformed signature",
            signed(KEY, "not-hex", BODY),
            "malformed signature",
        ),
        (
            "truncated signature",
            signed(KEY, &good[..32], BODY),
            "malformed signature",
        ),
        (
            "tampered body",
            signed(KEY, &good, tampered),
            "invalid signature",
        ),
    ];
    for (name, request, error) in cases {
        let answer = send(&app(), request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(answer.content_type(), Some("application/json"), "{name}");
        assert_eq!(
            answer.json(),
            serde_json::json!({ "error": error }),
            "{name}"
        );
        let text = answer.text();
        assert!(!text.contains(SECRET), "{name}");
        assert!(
            !text.contains(&good),
            "{name}: echoes the expected signature"
        );
    }
}

#[tokio::test]
async fn a_header_that_is_not_text_is_401() {
    for name in ["x-pusher-key", "x-pusher-signature"] {
        let mut request = signed(KEY, &hmac_hex(SECRET, BODY.as_bytes()), BODY);
        request
            .headers_mut()
            .insert(name, HeaderValue::from_bytes(b"\xff\xfe").unwrap());
        let answer = send(&app(), request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        let expected = format!(
            "invalid {} header",
            if name == "x-pusher-key" {
                "X-Pusher-Key"
            } else {
                "X-Pusher-Signature"
            }
        );
        assert_eq!(answer.json(), serde_json::json!({ "error": expected }));
    }
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_webhook_is_400() {
    for body in [
        "not json",
        "[]",
        r#"{"time_ms":"soon","events":[]}"#,
        r#"{"events":[]}"#,
    ] {
        let answer = send(
            &app(),
            signed(KEY, &hmac_hex(SECRET, body.as_bytes()), body),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        // The category only: not what the parser found in the body.
        assert_eq!(
            answer.json(),
            serde_json::json!({"error": "malformed body"})
        );
    }
}

#[tokio::test]
async fn the_apps_body_limit_gives_413_after_the_header_check() {
    let big = format!(
        r#"{{"time_ms":1,"events":[],"padding":"{}"}}"#,
        "x".repeat(2000)
    );
    let signature = hmac_hex(SECRET, big.as_bytes());
    let answer = send(
        &app_with(pusher(), 1024),
        signed(KEY, &signature, big.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.content_type(), Some("application/json"));
    assert_eq!(
        answer.json(),
        serde_json::json!({"error": "body too large"})
    );
    // A larger limit accepts it.
    let answer = send(
        &app_with(pusher(), 4096),
        signed(KEY, &signature, big.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    // Unsigned and too large: refused on the headers, before the body is read.
    let answer = send(
        &app_with(pusher(), 1024),
        request("/webhooks", &[], big.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // The same for an unknown key or a malformed signature.
    let answer = send(
        &app_with(pusher(), 1024),
        signed("other", &signature, big.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = send(&app_with(pusher(), 1024), signed(KEY, "zz", big)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // A body that would fail to read is never read when the key is unknown.
    let chunks: Vec<Result<&'static str, std::io::Error>> =
        vec![Err(std::io::Error::other("never read"))];
    let request = Request::post("/webhooks")
        .header("X-Pusher-Key", "other")
        .header("X-Pusher-Signature", &signature)
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    let answer = send(&app(), request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_body_that_cannot_be_read_is_400() {
    let chunks: Vec<Result<&'static str, std::io::Error>> =
        vec![Ok("{"), Err(std::io::Error::other("connection reset"))];
    let request = Request::post("/webhooks")
        .header("X-Pusher-Key", KEY)
        .header("X-Pusher-Signature", hmac_hex(SECRET, b"{"))
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    let answer = send(&app(), request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json(),
        serde_json::json!({"error": "unreadable body"})
    );
}

#[tokio::test]
async fn rotated_keys_and_maximum_age() {
    let now = SystemTime::now();
    let now_ms = now.duration_since(UNIX_EPOCH).unwrap().as_millis();
    let pusher = Pusher::builder("3", KEY, SECRET)
        .webhook_key("old-key", "old-secret")
        .webhook_max_age(Duration::from_secs(300))
        .clock(move || now)
        .build()
        .unwrap();
    let fresh = format!(r#"{{"time_ms":{now_ms},"events":[]}}"#);
    let stale = format!(r#"{{"time_ms":{},"events":[]}}"#, now_ms - 3_600_000);
    let app = app_with(pusher, 1024);
    let answer = send(
        &app,
        signed(
            "old-key",
            &hmac_hex("old-secret", fresh.as_bytes()),
            fresh.clone(),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = send(
        &app,
        signed(KEY, &hmac_hex(SECRET, stale.as_bytes()), stale),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.json(),
        serde_json::json!({"error": "webhook too old"})
    );
}

#[tokio::test]
async fn the_handler_can_take_the_rejection() {
    async fn lenient(hook: Result<VerifiedWebhook, WebhookRejection>) -> (StatusCode, String) {
        match hook {
            Ok(VerifiedWebhook(Webhook { events, .. })) => {
                (StatusCode::OK, events.len().to_string())
            }
            Err(rejection) if rejection.status() == StatusCode::BAD_REQUEST => {
                (StatusCode::OK, "ignored".into())
            }
            Err(rejection) => (rejection.status(), "refused".into()),
        }
    }
    let app = Router::new()
        .route("/webhooks", post(lenient))
        .with_state(pusher());
    let answer = send(&app, signed(KEY, &hmac_hex(SECRET, b"nope"), "nope")).await;
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (StatusCode::OK, "ignored")
    );
    let answer = send(&app, signed(KEY, &hmac_hex(SECRET, b"x"), "nope")).await;
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (StatusCode::UNAUTHORIZED, "refused")
    );
}

#[test]
fn rejection_statuses_texts_and_sources() {
    let cases = [
        (
            WebhookRejection(WebhookRejectionReason::Refused(WebhookError::MissingKey)),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::Refused(WebhookError::UnknownKey)),
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
                age: Duration::from_secs(10),
                max: Duration::from_secs(1),
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
            WebhookRejection(WebhookRejectionReason::InvalidHeader {
                header: "X-Pusher-Key",
            }),
            401,
        ),
        (
            WebhookRejection(WebhookRejectionReason::PayloadTooLarge),
            413,
        ),
        (
            WebhookRejection(WebhookRejectionReason::UnreadableBody {
                status: 400,
                reason: String::new(),
            }),
            400,
        ),
    ];
    for (rejection, status) in cases {
        assert_eq!(rejection.status().as_u16(), status, "{rejection}");
        // The body names the category; `Display` (for the log) has the details.
        assert!(!rejection.body_text().is_empty());
        assert_ne!(rejection.body_text(), rejection.to_string());
        let response = axum::response::IntoResponse::into_response(rejection.clone());
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response.headers()["content-type"],
            pusher_axum::AuthReply::CONTENT_TYPE
        );
        assert_eq!(
            rejection.source().is_some(),
            matches!(
                rejection,
                WebhookRejection(WebhookRejectionReason::Refused(_))
            )
        );
    }
    assert_eq!(
        WebhookRejection::from(WebhookError::MissingSignature),
        WebhookRejection(WebhookRejectionReason::Refused(
            WebhookError::MissingSignature
        ))
    );
}
