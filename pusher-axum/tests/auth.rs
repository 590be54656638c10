//! The auth routes: answers checked against Pusher's published vectors and signatures
//! recomputed here; statuses; batches; extractors; the closure's calls.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, StatusCode};
use axum_extra::extract::CookieJar;
use base64::Engine as _;
use common::{FORM, JSON, KEY, SECRET, SOCKET, form, hmac_hex, post, pusher, send};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher, PusherAuth, UserAuthRequest,
    UserData, UserGrant,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PRIVATE_FOOBAR_SIG: &str = "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
const USER_12345_SIG: &str = "4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba";

/// Counts the closure's calls.
#[derive(Clone, Default)]
struct Calls(Arc<AtomicUsize>);

impl Calls {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Allows private and encrypted channels, makes user `ada` a presence member, denies
/// `private-no-*`, signs in user `12345`; counts its calls.
fn routes(calls: &Calls) -> PusherAuth<Pusher> {
    let channel_calls = calls.clone();
    let user_calls = calls.clone();
    PusherAuth::new()
        .channel(move |(): (), request: ChannelAuthRequest| {
            channel_calls.hit();
            async move {
                Ok::<_, Infallible>(if request.channel_name.starts_with("private-no-") {
                    ChannelGrant::Deny
                } else if request.channel_name.starts_with("presence-") {
                    ChannelGrant::Presence(
                        PresenceMember::new("ada").with_user_info(json!({"name": "Ada"})),
                    )
                } else {
                    ChannelGrant::Allow
                })
            }
        })
        .user(move |(): (), _request: UserAuthRequest| {
            user_calls.hit();
            async move { Ok::<_, Infallible>(UserGrant::Allow(UserData::new("12345"))) }
        })
}

fn app(calls: &Calls) -> Router {
    Router::new().merge(routes(calls)).with_state(pusher())
}

fn shared_secret(channel: &str) -> String {
    let master: Vec<u8> = (0u8..32).collect();
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(&master);
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

#[tokio::test]
async fn private_channel_matches_the_published_vector() {
    let calls = Calls::default();
    let app = app(&calls);
    let answer = send(
        &app,
        form(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), Some("application/json"));
    assert_eq!(
        answer.text(),
        format!(r#"{{"auth":"{KEY}:{PRIVATE_FOOBAR_SIG}"}}"#)
    );
    // The same, recomputed here.
    assert_eq!(
        hmac_hex(SECRET, b"1234.1234:private-foobar"),
        PRIVATE_FOOBAR_SIG
    );
    assert_eq!(calls.get(), 1);
}

#[tokio::test]
async fn json_bodies_and_unknown_fields() {
    let calls = Calls::default();
    let app = app(&calls);
    for (content_type, body) in [
        (
            JSON,
            r#"{"socket_id":"1234.1234","channel_name":"private-foobar","team":"blue","n":[1]}"#,
        ),
        (
            "application/json; charset=utf-8",
            r#"{"channel_name":"private-foobar","socket_id":"1234.1234"}"#,
        ),
        (
            FORM,
            "x=1&socket_id=1234.1234&extra%5B%5D=2&channel_name=private-foobar",
        ),
    ] {
        let answer = send(
            &app,
            post("/pusher/auth", &[("content-type", content_type)], body),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{body}");
        assert_eq!(answer.json()["auth"], format!("{KEY}:{PRIVATE_FOOBAR_SIG}"));
    }
    // No content type at all: pusher-js's form is assumed.
    let answer = send(
        &app,
        post(
            "/pusher/auth",
            &[],
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn presence_channel_signs_the_member() {
    let calls = Calls::default();
    let app = app(&calls);
    let answer = send(
        &app,
        form(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=presence-room",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let data = body["channel_data"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(data).unwrap(),
        json!({"user_id": "ada", "user_info": {"name": "Ada"}})
    );
    let expected = hmac_hex(SECRET, format!("{SOCKET}:presence-room:{data}").as_bytes());
    assert_eq!(body["auth"], format!("{KEY}:{expected}"));
    // And the core agrees.
    let core = pusher()
        .authorize_channel(
            &ChannelAuthRequest::new(SOCKET, "presence-room"),
            Some(&PresenceMember::new("ada").with_user_info(json!({"name": "Ada"}))),
        )
        .unwrap();
    assert_eq!(answer.text(), core.to_json());
}

#[tokio::test]
async fn encrypted_channel_gets_the_shared_secret() {
    let calls = Calls::default();
    let app = app(&calls);
    let channel = "private-encrypted-inbox";
    let answer = send(
        &app,
        form(
            "/pusher/auth",
            &format!("socket_id=1234.1234&channel_name={channel}"),
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let signature = hmac_hex(SECRET, format!("{SOCKET}:{channel}").as_bytes());
    assert_eq!(
        body,
        json!({"auth": format!("{KEY}:{signature}"), "shared_secret": shared_secret(channel)})
    );
}

#[tokio::test]
async fn user_sign_in_matches_the_published_vector() {
    let calls = Calls::default();
    let app = app(&calls);
    let answer = send(&app, form("/pusher/user-auth", "socket_id=1234.1234&x=1")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), Some("application/json"));
    assert_eq!(
        answer.json(),
        json!({"auth": format!("{KEY}:{USER_12345_SIG}"), "user_data": r#"{"id":"12345"}"#})
    );
    assert_eq!(
        hmac_hex(SECRET, br#"1234.1234::user::{"id":"12345"}"#),
        USER_12345_SIG
    );
    // JSON too.
    let answer = send(
        &app,
        post(
            "/pusher/user-auth",
            &[("content-type", JSON)],
            r#"{"socket_id":"1234.1234"}"#,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(calls.get(), 2);
}

#[tokio::test]
async fn denials_are_403_with_a_json_error() {
    let app = Router::new()
        .merge(
            PusherAuth::new()
                .channel(|(): (), _: ChannelAuthRequest| async {
                    Ok::<_, Infallible>(ChannelGrant::Deny)
                })
                .user(|(): (), _: UserAuthRequest| async { Ok::<_, Infallible>(UserGrant::Deny) }),
        )
        .with_state(pusher());
    for (path, body) in [
        (
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
        (
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=presence-room",
        ),
        ("/pusher/user-auth", "socket_id=1234.1234"),
    ] {
        let answer = send(&app, form(path, body)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} {body}");
        assert_eq!(answer.content_type(), Some("application/json"));
        assert_eq!(answer.json(), json!({"error": "forbidden"}));
    }
}

#[tokio::test]
async fn malformed_input_is_400_and_never_reaches_the_closure() {
    let calls = Calls::default();
    let app = app(&calls);
    let cases: &[(&str, &str, &str)] = &[
        (
            "/pusher/auth",
            FORM,
            "socket_id=1234.1234%3Aprivate-x&channel_name=private-foobar",
        ),
        (
            "/pusher/auth",
            FORM,
            "socket_id=abc&channel_name=private-foobar",
        ),
        (
            "/pusher/auth",
            FORM,
            "socket_id=1234.1234&channel_name=private-a%3Ab",
        ),
        (
            "/pusher/auth",
            FORM,
            "socket_id=1234.1234&channel_name=public-lobby",
        ),
        ("/pusher/auth", FORM, "socket_id=1234.1234"),
        ("/pusher/auth", FORM, "channel_name=private-foobar"),
        ("/pusher/auth", FORM, ""),
        (
            "/pusher/auth",
            FORM,
            "socket_id=1.2&socket_id=1.3&channel_name=private-a",
        ),
        ("/pusher/auth", JSON, "[1,2]"),
        ("/pusher/auth", JSON, r#"{"socket_id":"#),
        (
            "/pusher/auth",
            JSON,
            r#"{"socket_id":1.2,"channel_name":"private-a"}"#,
        ),
        (
            "/pusher/auth",
            "text/plain",
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
        ("/pusher/user-auth", FORM, "socket_id=1.2%3Ax"),
        ("/pusher/user-auth", FORM, "x=1"),
        ("/pusher/user-auth", JSON, "not json"),
        ("/pusher/user-auth", "text/html", "socket_id=1234.1234"),
    ];
    for (path, content_type, body) in cases {
        let answer = send(&app, post(path, &[("content-type", content_type)], *body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path} {body}");
        assert_eq!(answer.content_type(), Some("application/json"));
        assert!(answer.json()["error"].is_string(), "{}", answer.text());
    }
    // A Content-Type that is not text.
    let mut request = form(
        "/pusher/auth",
        "socket_id=1234.1234&channel_name=private-foobar",
    );
    request.headers_mut().insert(
        "content-type",
        HeaderValue::from_bytes(b"\xffjson").unwrap(),
    );
    assert_eq!(send(&app, request).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(calls.get(), 0, "the closure was called for malformed input");
}

#[tokio::test]
async fn batch_with_mixed_answers() {
    let calls = Calls::default();
    let app = app(&calls);
    let body = "socket_id=1234.1234\
        &channel_name%5B0%5D=private-foobar\
        &channel_name%5B1%5D=private-no-entry\
        &channel_name%5B2%5D=lobby\
        &channel_name%5B3%5D=presence-room\
        &channel_name%5B4%5D=private-bad%3Aname\
        &channel_name%5B5%5D=private-encrypted-inbox";
    let answer = send(&app, form("/pusher/auth", body)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type(), Some("application/json"));
    let answer = answer.json();
    assert_eq!(
        answer["private-foobar"],
        json!({"status": 200, "data": {"auth": format!("{KEY}:{PRIVATE_FOOBAR_SIG}")}})
    );
    assert_eq!(answer["private-no-entry"], json!({"status": 403}));
    assert_eq!(answer["lobby"], json!({"status": 400}));
    assert_eq!(answer["private-bad:name"], json!({"status": 400}));
    assert_eq!(answer["presence-room"]["status"], 200);
    let data = answer["presence-room"]["data"]["channel_data"]
        .as_str()
        .unwrap();
    let signed = hmac_hex(SECRET, format!("{SOCKET}:presence-room:{data}").as_bytes());
    assert_eq!(
        answer["presence-room"]["data"]["auth"],
        format!("{KEY}:{signed}")
    );
    assert_eq!(
        answer["private-encrypted-inbox"]["data"]["shared_secret"],
        shared_secret("private-encrypted-inbox")
    );
    assert_eq!(answer.as_object().unwrap().len(), 6);
    // Called for the four well-formed channels only.
    assert_eq!(calls.get(), 4);

    // The JSON form of a batch.
    calls.0.store(0, Ordering::SeqCst);
    let answer = send(
        &app,
        post(
            "/pusher/auth",
            &[("content-type", JSON)],
            r#"{"socket_id":"1234.1234","channel_name":["private-foobar","private-no-x"],"other":true}"#,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({
            "private-foobar": {"status": 200, "data": {"auth": format!("{KEY}:{PRIVATE_FOOBAR_SIG}")}},
            "private-no-x": {"status": 403},
        })
    );
    assert_eq!(calls.get(), 2);

    // A batch whose socket id is bad: every entry 400, the closure never called.
    calls.0.store(0, Ordering::SeqCst);
    let answer = send(
        &app,
        form(
            "/pusher/auth",
            "socket_id=x&channel_name%5B0%5D=private-a&channel_name%5B1%5D=private-b",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({"private-a": {"status": 400}, "private-b": {"status": 400}})
    );
    assert_eq!(calls.get(), 0);
}

#[tokio::test]
async fn grants_that_do_not_fit_are_500_without_secrets() {
    // A presence channel allowed without a member; an encrypted channel without a master key.
    let no_master_key = Pusher::builder("3", KEY, SECRET).build().unwrap();
    let app = Router::new()
        .merge(
            PusherAuth::new().channel(|(): (), _: ChannelAuthRequest| async {
                Ok::<_, Infallible>(ChannelGrant::Allow)
            }),
        )
        .with_state(no_master_key);
    for channel in ["presence-room", "private-encrypted-inbox"] {
        let answer = send(
            &app,
            form(
                "/pusher/auth",
                &format!("socket_id=1234.1234&channel_name={channel}"),
            ),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{channel}"
        );
        assert_eq!(answer.text(), r#"{"error":"internal error"}"#);
        assert!(!answer.text().contains(SECRET));
    }
}

/// The closure's own error type: any response.
#[derive(Debug)]
struct DbDown;

impl axum::response::IntoResponse for DbDown {
    fn into_response(self) -> axum::response::Response {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "5")],
            "database down",
        )
            .into_response()
    }
}

#[tokio::test]
async fn the_closures_own_error_becomes_its_response() {
    let app = Router::new()
        .merge(
            PusherAuth::new()
                .channel(|(): (), _: ChannelAuthRequest| async { Err::<ChannelGrant, _>(DbDown) })
                .user(|(): (), _: UserAuthRequest| async { Err::<UserGrant, _>(DbDown) }),
        )
        .with_state(pusher());
    for (path, body) in [
        (
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
        (
            "/pusher/auth",
            "socket_id=1234.1234&channel_name%5B0%5D=private-a&channel_name%5B1%5D=private-b",
        ),
        ("/pusher/user-auth", "socket_id=1234.1234"),
    ] {
        let answer = send(&app, form(path, body)).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(answer.headers["retry-after"], "5");
        assert_eq!(answer.text(), "database down");
    }
}

/// The signed-in user, from the `x-user-id` header; counts its extractions.
#[derive(Clone, Debug)]
struct CurrentUser(String);

#[derive(Clone, Default)]
struct Extractions(Arc<AtomicUsize>);

#[derive(Clone, FromRef)]
struct AppState {
    pusher: Pusher,
    extractions: Extractions,
    db: Db,
}

/// A stand-in database: the rooms each user may join.
#[derive(Clone)]
struct Db {
    members: Arc<Vec<(&'static str, &'static str)>>,
}

impl Db {
    async fn may_join(&self, user: &str, channel: &str) -> bool {
        self.members
            .iter()
            .any(|(u, c)| *u == user && *c == channel)
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    Extractions: FromRef<S>,
{
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Extractions::from_ref(state)
            .0
            .fetch_add(1, Ordering::SeqCst);
        parts
            .headers
            .get("x-user-id")
            .and_then(|v| v.to_str().ok())
            .map(|id| CurrentUser(id.to_owned()))
            .ok_or((StatusCode::UNAUTHORIZED, "who are you?"))
    }
}

fn app_state() -> AppState {
    AppState {
        pusher: pusher(),
        extractions: Extractions::default(),
        db: Db {
            members: Arc::new(vec![("ada", "private-engines"), ("ada", "private-notes")]),
        },
    }
}

fn state_app(state: AppState) -> Router {
    let auth = PusherAuth::<AppState>::new()
        .channel(
            |(State(db), CurrentUser(user)): (State<Db>, CurrentUser),
             request: ChannelAuthRequest| async move {
                Ok::<_, Infallible>(if db.may_join(&user, &request.channel_name).await {
                    ChannelGrant::Allow
                } else {
                    ChannelGrant::Deny
                })
            },
        )
        .user(
            |CurrentUser(user): CurrentUser, _: UserAuthRequest| async move {
                Ok::<_, Infallible>(UserGrant::Allow(UserData::new(user)))
            },
        );
    Router::new().merge(auth).with_state(state)
}

#[tokio::test]
async fn tuple_extractors_with_derived_state() {
    let state = app_state();
    let extractions = state.extractions.clone();
    let app = state_app(state);
    let with_user = |path: &str, body: &str| {
        post(
            path,
            &[("content-type", FORM), ("x-user-id", "ada")],
            body.to_owned(),
        )
    };

    let answer = send(
        &app,
        with_user(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-engines",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = send(
        &app,
        with_user(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-other",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(extractions.0.load(Ordering::SeqCst), 2);

    // A batch extracts the user once, whatever the number of channels.
    extractions.0.store(0, Ordering::SeqCst);
    let answer = send(
        &app,
        with_user(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name%5B0%5D=private-engines&channel_name%5B1%5D=private-notes&channel_name%5B2%5D=private-other",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = answer.json();
    assert_eq!(answer["private-engines"]["status"], 200);
    assert_eq!(answer["private-notes"]["status"], 200);
    assert_eq!(answer["private-other"]["status"], 403);
    assert_eq!(extractions.0.load(Ordering::SeqCst), 1);

    let answer = send(&app, with_user("/pusher/user-auth", "socket_id=1234.1234")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["user_data"], r#"{"id":"ada"}"#);
}

#[tokio::test]
async fn an_extractor_rejection_is_the_response() {
    let state = app_state();
    let extractions = state.extractions.clone();
    let app = state_app(state);
    for (path, body) in [
        (
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-engines",
        ),
        ("/pusher/user-auth", "socket_id=1234.1234"),
    ] {
        let answer = send(&app, form(path, body)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer.text(), "who are you?");
    }
    // Malformed input is refused before the extractor runs.
    extractions.0.store(0, Ordering::SeqCst);
    let answer = send(
        &app,
        form("/pusher/auth", "socket_id=bad&channel_name=private-a"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = send(&app, form("/pusher/user-auth", "socket_id=bad")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(extractions.0.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn cookie_based_resolver() {
    let app = Router::new()
        .merge(
            PusherAuth::new().user(|jar: CookieJar, _: UserAuthRequest| async move {
                Ok::<_, Infallible>(match jar.get("user") {
                    Some(cookie) => {
                        UserGrant::Allow(UserData::new("12345").field("name", cookie.value()))
                    }
                    None => UserGrant::Deny,
                })
            }),
        )
        .with_state(pusher());
    let request = post(
        "/pusher/user-auth",
        &[("content-type", FORM), ("cookie", "theme=dark; user=ada")],
        "socket_id=1234.1234",
    );
    let answer = send(&app, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let data = body["user_data"].as_str().unwrap();
    assert_eq!(data, r#"{"id":"12345","name":"ada"}"#);
    let expected = hmac_hex(SECRET, format!("{SOCKET}::user::{data}").as_bytes());
    assert_eq!(body["auth"], format!("{KEY}:{expected}"));
    let answer = send(&app, form("/pusher/user-auth", "socket_id=1234.1234")).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_apps_body_limit_applies() {
    let calls = Calls::default();
    let app = Router::new()
        .merge(routes(&calls))
        .layer(DefaultBodyLimit::max(64))
        .with_state(pusher());
    let long = format!(
        "socket_id=1234.1234&channel_name=private-foobar&padding={}",
        "x".repeat(100)
    );
    for path in ["/pusher/auth", "/pusher/user-auth"] {
        let answer = send(&app, form(path, &long)).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(answer.content_type(), Some("application/json"));
        assert!(answer.json()["error"].is_string());
    }
    // Under the limit: fine.
    let answer = send(
        &app,
        form(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(calls.get(), 1);
}

#[tokio::test]
async fn a_body_that_cannot_be_read_is_400() {
    let calls = Calls::default();
    let app = app(&calls);
    // The connection fails after the first chunk.
    let chunks: Vec<Result<&'static str, std::io::Error>> = vec![
        Ok("socket_id=1234.1234"),
        Err(std::io::Error::other("connection reset")),
    ];
    let request = Request::post("/pusher/auth")
        .header("content-type", FORM)
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    let answer = send(&app, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.json()["error"].is_string());
    assert_eq!(calls.get(), 0);
}

#[tokio::test]
async fn unset_routes_are_not_mounted_and_paths_move() {
    let calls = Calls::default();
    let only_channel = PusherAuth::new()
        .channel(|(): (), _: ChannelAuthRequest| async { Ok::<_, Infallible>(ChannelGrant::Allow) })
        .channel_path("/api/pusher/auth");
    let app = Router::<Pusher>::from(only_channel).with_state(pusher());
    let body = "socket_id=1234.1234&channel_name=private-foobar";
    assert_eq!(
        send(&app, form("/api/pusher/auth", body)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, form("/pusher/auth", body)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, form("/pusher/user-auth", "socket_id=1234.1234"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Only POST.
    let get = Request::get("/api/pusher/auth")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, get).await.status, StatusCode::METHOD_NOT_ALLOWED);

    // The user route elsewhere, the method routers mounted by hand.
    let auth = routes(&calls).user_path("/me/pusher");
    let app = Router::new()
        .merge(Router::from(auth.clone()))
        .route("/broadcasting/auth", auth.channel_route().unwrap())
        .with_state(pusher());
    assert_eq!(
        send(&app, form("/me/pusher", "socket_id=1234.1234"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, form("/broadcasting/auth", body)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, form("/pusher/auth", body)).await.status,
        StatusCode::OK
    );
    assert!(PusherAuth::<Pusher>::new().channel_route().is_none());
    assert!(format!("{auth:?}").contains("/me/pusher"));
}
