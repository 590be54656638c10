//! An axum app's own tests, written with `pusher-testing` as a user of the crates would write
//! them: a handler that triggers, asserted through the fake Pusher; the webhook route exercised
//! with a signed request; the auth routes exercised with what pusher-js posts.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use http_body_util::BodyExt;
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, PusherError,
    UserAuthRequest, UserData, UserGrant, VerifiedWebhook, WebhookEvent,
};
use pusher_testing::{AuthRequest, Failure, FakePusher};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

// ---- the app under test (in a real project: your crate's `app()`) ----

#[derive(Clone, FromRef)]
struct AppState {
    pusher: Pusher,
    occupied: Arc<Mutex<Vec<String>>>,
}

async fn place_order(
    State(pusher): State<Pusher>,
    Json(order): Json<Value>,
) -> Result<StatusCode, PusherError> {
    let mut trigger = pusher.trigger(
        "orders",
        "created",
        json!({"id": order["id"], "total": order["total"]}),
    );
    // Not echoed back to the browser that placed it.
    if let Some(socket_id) = order["socket_id"].as_str() {
        trigger = trigger.exclude(socket_id);
    }
    trigger.await?;
    Ok(StatusCode::ACCEPTED)
}

async fn webhooks(
    State(occupied): State<Arc<Mutex<Vec<String>>>>,
    VerifiedWebhook(webhook): VerifiedWebhook,
) -> StatusCode {
    for event in webhook.events {
        if let WebhookEvent::ChannelOccupied { channel } = event {
            occupied.lock().expect("lock").push(channel);
        }
    }
    StatusCode::OK
}

/// Signed in: the `x-user` header (in real life, your session).
async fn authorize(
    headers: axum::http::HeaderMap,
    request: ChannelAuthRequest,
) -> Result<ChannelGrant, Infallible> {
    let Some(user) = headers.get("x-user").and_then(|v| v.to_str().ok()) else {
        return Ok(ChannelGrant::Deny);
    };
    Ok(if request.channel_name.starts_with("presence-") {
        ChannelGrant::Presence(PresenceMember::new(user))
    } else if request.channel_name == format!("private-user-{user}") {
        ChannelGrant::Allow
    } else {
        ChannelGrant::Deny
    })
}

async fn authenticate(
    headers: axum::http::HeaderMap,
    _request: UserAuthRequest,
) -> Result<UserGrant, Infallible> {
    Ok(match headers.get("x-user").and_then(|v| v.to_str().ok()) {
        Some(user) => UserGrant::Allow(UserData::new(user)),
        None => UserGrant::Deny,
    })
}

fn app(pusher: Pusher) -> (Router, Arc<Mutex<Vec<String>>>) {
    let occupied = Arc::new(Mutex::new(Vec::new()));
    let router = Router::new()
        .route("/orders", post(place_order))
        .route("/webhooks", post(webhooks))
        .merge(PusherAuth::new().channel(authorize).user(authenticate))
        .with_state(AppState {
            pusher,
            occupied: Arc::clone(&occupied),
        });
    (router, occupied)
}

// ---- the tests ----

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn post_json(path: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

#[tokio::test]
async fn placing_an_order_triggers_orders_created() {
    let fake = FakePusher::start().await;
    let (router, _) = app(fake.client());

    let (status, _) = send(
        &router,
        post_json(
            "/orders",
            json!({"id": 7, "total": 12, "socket_id": "123.456"}),
        ),
    )
    .await;

    assert_eq!(status, StatusCode::ACCEPTED);
    fake.expect_trigger()
        .channel("orders")
        .event("created")
        .data_json(json!({"id": 7, "total": 12}))
        .excluding("123.456")
        .assert();
    fake.assert_no_rejections();
}

#[tokio::test]
async fn when_pusher_is_down_the_handler_answers_502() {
    let fake = FakePusher::in_memory(); // no socket needed
    fake.fail_next(Failure::status(503));
    let (router, _) = app(fake.client());

    let (status, body) = send(&router, post_json("/orders", json!({"id": 8, "total": 1}))).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body["error"].is_string(), "{body}");
    assert!(fake.triggers().is_empty());
}

#[tokio::test]
async fn a_bad_socket_id_from_the_browser_is_refused_before_pusher() {
    let fake = FakePusher::in_memory();
    let (router, _) = app(fake.client());

    let (status, _) = send(
        &router,
        post_json("/orders", json!({"id": 9, "socket_id": "1.2:x"})),
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fake.request_count(), 0, "the client refused it itself");
}

#[tokio::test]
async fn the_webhook_route_takes_signed_webhooks_and_refuses_forged_ones() {
    let fake = FakePusher::in_memory();
    let (router, occupied) = app(fake.client());

    let signed = fake
        .webhook()
        .channel_occupied("orders")
        .member_added("presence-lobby", "ada");
    let (status, _) = send(&router, signed.into_request::<Body>()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(*occupied.lock().expect("lock"), ["orders"]);

    let forged = fake.webhook().channel_occupied("admin").bad_signature();
    let (status, _) = send(&router, forged.into_request()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(*occupied.lock().expect("lock"), ["orders"]);
}

#[tokio::test]
async fn the_auth_routes_answer_pusher_js() {
    let fake = FakePusher::in_memory();
    let (router, _) = app(fake.client());

    // Form (pusher-js's default) and JSON.
    for request in [
        AuthRequest::channel("1234.5678", "private-user-ada").header("x-user", "ada"),
        AuthRequest::channel("1234.5678", "private-user-ada")
            .header("x-user", "ada")
            .json(),
    ] {
        let (status, body) = send(&router, request.into_request()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body["auth"]
                .as_str()
                .is_some_and(|a| a.starts_with(&format!("{}:", fake.key()))),
            "{body}"
        );
    }

    // Someone else's channel, and nobody signed in.
    let (status, _) = send(
        &router,
        AuthRequest::channel("1.2", "private-user-bob")
            .header("x-user", "ada")
            .into_request(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        &router,
        AuthRequest::channel("1.2", "private-user-ada").into_request(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The batching plugin's shape: one answer per channel.
    let batch =
        AuthRequest::batch("1.2", ["private-user-ada", "presence-lobby"]).header("x-user", "ada");
    let (status, body) = send(&router, batch.into_request()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["private-user-ada"]["status"], 200, "{body}");
    assert!(
        body["presence-lobby"]["data"]["channel_data"]
            .as_str()
            .is_some_and(|d| d.contains("ada")),
        "{body}"
    );

    // User authentication (pusher-js `signin()`).
    let (status, body) = send(
        &router,
        AuthRequest::user("1.2")
            .header("x-user", "ada")
            .into_request(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user_data"], r#"{"id":"ada"}"#);
}
