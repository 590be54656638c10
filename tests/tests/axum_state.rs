//! The client as state: `#[derive(FromRef)]` app states and `.with_state(pusher)`, triggering
//! from a handler through `State<Pusher>`, and a router that is `Clone + Send + Sync` and serves
//! concurrent requests.
#![allow(clippy::unwrap_used)]

// The adapter's own test helpers: this file lives here, not in pusher-axum/tests/, because it uses
// this crate (pusher-tests), which pusher-axum's published package cannot depend on.
#[path = "../../pusher-axum/tests/common/mod.rs"]
mod common;

use std::convert::Infallible;

use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use common::{KEY, SECRET, form, hmac_hex, post as request, pusher, send};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, Pusher, PusherAuth, UserAuthRequest, UserData, UserGrant,
    VerifiedWebhook,
};
use pusher_tests::FakePusher;
use serde_json::{Value, json};

#[derive(Clone, FromRef)]
struct AppState {
    pusher: Pusher,
    greeting: &'static str,
}

async fn send_message(
    State(pusher): State<Pusher>,
    State(greeting): State<&'static str>,
    Json(message): Json<Value>,
) -> StatusCode {
    let data = json!({"greeting": greeting, "text": message["text"]});
    match pusher.trigger("chat", "message", data).await {
        Ok(_) => StatusCode::ACCEPTED,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> String {
    webhook.events.len().to_string()
}

fn auth<S>() -> PusherAuth<S>
where
    S: Clone + Send + Sync + 'static,
    Pusher: FromRef<S>,
{
    PusherAuth::new()
        .channel(|headers: HeaderMap, _: ChannelAuthRequest| async move {
            Ok::<_, Infallible>(if headers.contains_key("x-user-id") {
                ChannelGrant::Allow
            } else {
                ChannelGrant::Deny
            })
        })
        .user(|headers: HeaderMap, _: UserAuthRequest| async move {
            Ok::<_, Infallible>(
                match headers.get("x-user-id").and_then(|v| v.to_str().ok()) {
                    Some(id) => UserGrant::Allow(UserData::new(id)),
                    None => UserGrant::Deny,
                },
            )
        })
}

fn derived_app(pusher: Pusher) -> Router {
    Router::new()
        .route("/messages", post(send_message))
        .route("/webhooks", post(webhooks))
        .merge(auth())
        .with_state(AppState {
            pusher,
            greeting: "hello",
        })
}

#[tokio::test]
async fn a_derived_state_serves_every_piece_and_triggers_through_state() {
    let server = FakePusher::start().await;
    let app = derived_app(server.client());

    let answer = send(
        &app,
        request(
            "/messages",
            &[("content-type", "application/json")],
            r#"{"text":"hi"}"#,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let events = server.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].channels, ["chat"]);
    assert_eq!(events[0].name, "message");
    assert_eq!(
        serde_json::from_str::<Value>(&events[0].data).unwrap(),
        json!({"greeting": "hello", "text": "hi"})
    );

    let body = r#"{"time_ms":1,"events":[{"name":"channel_vacated","channel":"chat"}]}"#;
    let signed = server.client().sign_webhook(body.as_bytes());
    let headers: Vec<(&str, &str)> = signed.headers().to_vec();
    let answer = send(&app, request("/webhooks", &headers, body)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), "1");

    let answer = send(
        &app,
        request(
            "/pusher/auth",
            &[("x-user-id", "ada")],
            "socket_id=1.2&channel_name=private-chat",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let expected = hmac_hex(&server.secret(), b"1.2:private-chat");
    assert_eq!(
        answer.json()["auth"],
        format!("{}:{expected}", server.key())
    );
}

#[tokio::test]
async fn with_state_pusher() {
    let app: Router = Router::new()
        .route("/webhooks", post(webhooks))
        .merge(auth())
        .with_state(pusher());
    let answer = send(
        &app,
        request(
            "/pusher/auth",
            &[("x-user-id", "ada")],
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json()["auth"],
        format!("{KEY}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4")
    );
}

fn assert_service<T: Clone + Send + Sync + 'static>(_: &T) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_router_is_clone_send_sync_and_serves_concurrent_requests() {
    let app = derived_app(pusher());
    assert_service(&app);
    assert_service(&auth::<Pusher>());

    let mut tasks = Vec::new();
    for i in 0..50u32 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let socket = format!("{i}.{}", i * 7 + 1);
            match i % 3 {
                0 => {
                    let channel = format!("private-room-{i}");
                    let body = format!("socket_id={socket}&channel_name={channel}");
                    let answer =
                        send(&app, request("/pusher/auth", &[("x-user-id", "ada")], body)).await;
                    assert_eq!(answer.status, StatusCode::OK);
                    let expected = hmac_hex(SECRET, format!("{socket}:{channel}").as_bytes());
                    assert_eq!(answer.json()["auth"], format!("{KEY}:{expected}"));
                }
                1 => {
                    let user = format!("user-{i}");
                    let answer = send(
                        &app,
                        request(
                            "/pusher/user-auth",
                            &[("x-user-id", user.as_str())],
                            format!("socket_id={socket}"),
                        ),
                    )
                    .await;
                    assert_eq!(answer.status, StatusCode::OK);
                    let data = format!(r#"{{"id":"{user}"}}"#);
                    assert_eq!(answer.json()["user_data"], data);
                    let expected = hmac_hex(SECRET, format!("{socket}::user::{data}").as_bytes());
                    assert_eq!(answer.json()["auth"], format!("{KEY}:{expected}"));
                }
                _ => {
                    let events: Vec<Value> = (0..i)
                        .map(|n| json!({"name": "channel_occupied", "channel": format!("c{n}")}))
                        .collect();
                    let body = json!({"time_ms": 1, "events": events}).to_string();
                    let signature = hmac_hex(SECRET, body.as_bytes());
                    let answer = send(
                        &app,
                        request(
                            "/webhooks",
                            &[("X-Pusher-Key", KEY), ("X-Pusher-Signature", &signature)],
                            body,
                        ),
                    )
                    .await;
                    assert_eq!(answer.status, StatusCode::OK);
                    assert_eq!(answer.text(), i.to_string());
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // A denial still works afterwards.
    let answer = send(
        &app,
        form("/pusher/auth", "socket_id=1.2&channel_name=private-x"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}
