//! Issue 17: an `Arc<AppState>` router state (axum's documented way to share state) serves
//! `VerifiedWebhook`, both authorization routes and a handler that triggers; authorization
//! closures take several extractors, like axum handlers (0, 1, a tuple, 2, 3 and 8 of them).
#![allow(clippy::unwrap_used)]

#[path = "../../pusher-axum/tests/common/mod.rs"]
mod common;

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use axum::{Json, Router};
use common::{KEY, SECRET, SOCKET, form, hmac_hex, post as request, pusher, send};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, Pusher, PusherAuth, PusherState, UserAuthRequest, UserData,
    UserGrant, VerifiedWebhook,
};
use pusher_tests::FakePusher;
use serde_json::{Value, json};

/// The app state, shared as axum's docs do; not `Clone` (the `Arc` is).
#[derive(FromRef)]
struct AppState {
    pusher: Pusher,
    members: Vec<String>,
}

/// A header-derived extractor of the app's own: the `x-user-id` header, or 401.
#[derive(Clone)]
struct CurrentUser(String);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        let id = parts.headers.get("x-user-id").and_then(|v| v.to_str().ok());
        id.map(|id| CurrentUser(id.to_owned()))
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

async fn send_message(State(app): State<Arc<AppState>>, Json(message): Json<Value>) -> StatusCode {
    match app.pusher.trigger("chat", "message", message).await {
        Ok(_) => StatusCode::ACCEPTED,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> String {
    webhook.events.len().to_string()
}

/// Two extractors, then the request.
async fn channel(
    CurrentUser(user): CurrentUser,
    State(app): State<Arc<AppState>>,
    request: ChannelAuthRequest,
) -> Result<ChannelGrant, Infallible> {
    Ok(
        if app.members.contains(&user) && request.channel_name == "private-chat" {
            ChannelGrant::Allow
        } else {
            ChannelGrant::Deny
        },
    )
}

fn app(pusher: Pusher) -> Router {
    let state = Arc::new(AppState {
        pusher,
        members: vec!["ada".into()],
    });
    Router::new()
        .route("/messages", post(send_message))
        .route("/webhooks", post(webhooks))
        .merge(PusherAuth::new().channel(channel).user(
            |CurrentUser(user): CurrentUser,
             State(app): State<Arc<AppState>>,
             _: UserAuthRequest| async move {
                Ok::<_, Infallible>(if app.members.contains(&user) {
                    UserGrant::Allow(UserData::new(user))
                } else {
                    UserGrant::Deny
                })
            },
        ))
        .with_state(state)
}

#[tokio::test]
async fn an_arc_state_serves_webhooks_auth_routes_and_triggering_handlers() {
    let server = FakePusher::start().await;
    let app = app(server.client());

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
    assert_eq!(
        serde_json::from_str::<Value>(&events[0].data).unwrap(),
        json!({"text": "hi"})
    );

    let body = r#"{"time_ms":1,"events":[{"name":"channel_vacated","channel":"chat"}]}"#;
    let signed = server.client().sign_webhook(body.as_bytes());
    let headers: Vec<(&str, &str)> = signed.headers().to_vec();
    let answer = send(&app, request("/webhooks", &headers, body)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), "1");
    // A forged webhook is refused by the same extractor.
    let answer = send(
        &app,
        request(
            "/webhooks",
            &[
                ("X-Pusher-Key", &*server.key()),
                ("X-Pusher-Signature", &"0".repeat(64)),
            ],
            body,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);

    let auth_body = "socket_id=1.2&channel_name=private-chat";
    let answer = send(
        &app,
        request("/pusher/auth", &[("x-user-id", "ada")], auth_body),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let expected = hmac_hex(&server.secret(), b"1.2:private-chat");
    assert_eq!(
        answer.json()["auth"],
        format!("{}:{expected}", server.key())
    );
    // Not a member: the closure (which read the state) denies.
    let answer = send(
        &app,
        request("/pusher/auth", &[("x-user-id", "bob")], auth_body),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // The first extractor's rejection is the response.
    let answer = send(&app, form("/pusher/auth", auth_body)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);

    let answer = send(
        &app,
        request(
            "/pusher/user-auth",
            &[("x-user-id", "ada")],
            "socket_id=1.2",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["user_data"], r#"{"id":"ada"}"#);
    let answer = send(&app, form("/pusher/user-auth", "socket_id=1.2")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_arc_of_the_bare_client_is_a_state_too() {
    let app: Router =
        Router::new()
            .route("/webhooks", post(webhooks))
            .merge(PusherAuth::new().channel(|_: ChannelAuthRequest| async {
                Ok::<_, Infallible>(ChannelGrant::Allow)
            }))
            .with_state(Arc::new(pusher()));
    let body = format!("socket_id={SOCKET}&channel_name=private-foobar");
    let answer = send(&app, form("/pusher/auth", &body)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json()["auth"],
        format!("{KEY}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4")
    );
}

#[test]
fn pusher_state_finds_the_client_in_every_shape() {
    fn key<S: PusherState<M>, M>(state: &S) -> String {
        state.pusher().key().to_owned()
    }
    #[derive(Clone, FromRef)]
    struct Derived {
        pusher: Pusher,
    }
    assert_eq!(key(&pusher()), KEY);
    assert_eq!(key(&Arc::new(pusher())), KEY);
    assert_eq!(key(&Derived { pusher: pusher() }), KEY);
    assert_eq!(key(&Arc::new(Derived { pusher: pusher() })), KEY);
}

/// 0, 1, a tuple, 2, 3 and 8 extractors: each route echoes a grant built from what it got.
#[tokio::test]
async fn closures_take_zero_to_eight_extractors() {
    fn allow_if(ok: bool) -> Result<ChannelGrant, Infallible> {
        Ok(if ok {
            ChannelGrant::Allow
        } else {
            ChannelGrant::Deny
        })
    }
    let zero = PusherAuth::new()
        .channel(|_: ChannelAuthRequest| async { allow_if(true) })
        .channel_path("/zero");
    let one = PusherAuth::new()
        .channel(|CurrentUser(u): CurrentUser, _: ChannelAuthRequest| async move {
            allow_if(u == "ada")
        })
        .channel_path("/one");
    let tuple = PusherAuth::new()
        .channel(
            |(CurrentUser(u), m): (CurrentUser, Method), _: ChannelAuthRequest| async move {
                allow_if(u == "ada" && m == Method::POST)
            },
        )
        .channel_path("/tuple");
    let two = PusherAuth::new()
        .channel(
            |CurrentUser(u): CurrentUser, State(p): State<Pusher>, _: ChannelAuthRequest| async move {
                allow_if(u == "ada" && p.key() == KEY)
            },
        )
        .channel_path("/two");
    let three = PusherAuth::new()
        .channel(
            |headers: HeaderMap, uri: Uri, m: Method, _: ChannelAuthRequest| async move {
                allow_if(
                    headers.contains_key("x-user-id")
                        && uri.path() == "/three"
                        && m == Method::POST,
                )
            },
        )
        .channel_path("/three");
    #[allow(clippy::too_many_arguments)]
    async fn eight(
        CurrentUser(u): CurrentUser,
        _: HeaderMap,
        _: Uri,
        _: Method,
        State(p): State<Pusher>,
        _: (),
        _: CurrentUser,
        _: HeaderMap,
        request: ChannelAuthRequest,
    ) -> Result<ChannelGrant, Infallible> {
        allow_if(u == "ada" && p.key() == KEY && request.channel_name == "private-foobar")
    }
    let eight = PusherAuth::new().channel(eight).channel_path("/eight");
    let user_two = PusherAuth::new().user(
        |CurrentUser(u): CurrentUser, m: Method, _: UserAuthRequest| async move {
            Ok::<_, Infallible>(if m == Method::POST {
                UserGrant::Allow(UserData::new(u))
            } else {
                UserGrant::Deny
            })
        },
    );
    let app: Router = Router::new()
        .merge(zero)
        .merge(one)
        .merge(tuple)
        .merge(two)
        .merge(three)
        .merge(eight)
        .merge(user_two)
        .with_state(pusher());

    let body = format!("socket_id={SOCKET}&channel_name=private-foobar");
    let expected = format!(
        "{KEY}:{}",
        hmac_hex(SECRET, format!("{SOCKET}:private-foobar").as_bytes())
    );
    for path in ["/zero", "/one", "/tuple", "/two", "/three", "/eight"] {
        let answer = send(&app, request(path, &[("x-user-id", "ada")], body.clone())).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.json()["auth"], expected, "{path}");
        if path != "/zero" && path != "/three" {
            // Without the header, `CurrentUser` rejects before the closure runs.
            let answer = send(&app, form(path, &body)).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        }
        let answer = send(&app, request(path, &[("x-user-id", "bob")], body.clone())).await;
        let denied = path != "/zero" && path != "/three";
        assert_eq!(
            answer.status,
            if denied {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            },
            "{path}"
        );
    }
    let answer = send(
        &app,
        request(
            "/pusher/user-auth",
            &[("x-user-id", "ada")],
            format!("socket_id={SOCKET}"),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["user_data"], r#"{"id":"ada"}"#);
}
