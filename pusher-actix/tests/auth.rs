//! `PusherAuth`: channel authorization (private, presence, encrypted, batched) and user
//! authentication, every status, answers checked against Pusher's published vectors and an
//! independent HMAC, and the decision closures never called for malformed input.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, init_service};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use pusher_actix::PusherAuth;
use pusher_client::{
    ChannelAuthRequest, ChannelGrant, MasterKey, PresenceMember, Pusher, UserAuthRequest, UserData,
    UserGrant,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use common::{
    FORM, JSON, KEY, MASTER_KEY, PRIVATE_FOOBAR_SIG, SECRET, SOCKET, USER_12345_SIG, hmac_hex,
    post, pusher, pusher_with_master_key,
};

/// Counts calls to a decision closure.
#[derive(Clone, Default)]
struct Calls(Rc<Cell<usize>>);

impl Calls {
    fn hit(&self) {
        self.0.set(self.0.get() + 1);
    }
    fn get(&self) -> usize {
        self.0.get()
    }
}

/// Grants by channel name: `private-no*` is denied, presence channels get member `ada` with a
/// name, everything else is allowed.
fn channel_decider(
    calls: Calls,
) -> impl Fn(HttpRequest, ChannelAuthRequest) -> std::future::Ready<Result<ChannelGrant, Infallible>>
{
    move |_req, auth| {
        calls.hit();
        let grant = if auth.channel_name.starts_with("private-no") {
            ChannelGrant::Deny
        } else if auth.channel_name.starts_with("presence-") {
            ChannelGrant::Presence(
                PresenceMember::new("ada").with_user_info(json!({"name": "Ada"})),
            )
        } else {
            ChannelGrant::Allow
        };
        std::future::ready(Ok(grant))
    }
}

/// Signs in user `12345` unless the request says `deny`.
fn user_decider(
    calls: Calls,
) -> impl Fn(HttpRequest, UserAuthRequest) -> std::future::Ready<Result<UserGrant, Infallible>> {
    move |req, _auth| {
        calls.hit();
        let grant = if req.headers().contains_key("deny") {
            UserGrant::Deny
        } else {
            UserGrant::Allow(UserData::new("12345"))
        };
        std::future::ready(Ok(grant))
    }
}

fn routes(calls: &Calls) -> PusherAuth {
    PusherAuth::new()
        .channel(channel_decider(calls.clone()))
        .user(user_decider(calls.clone()))
}

macro_rules! app {
    ($pusher:expr, $calls:expr) => {
        init_service(
            App::new()
                .app_data(web::Data::new($pusher))
                .service(routes(&$calls)),
        )
        .await
    };
}

fn channel_form(channel: &str) -> TestRequest {
    post(
        "/pusher/auth",
        Some(FORM),
        format!("socket_id={SOCKET}&channel_name={channel}"),
    )
}

#[actix_web::test]
async fn private_channel_matches_pusher_s_published_vector() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let answer = send!(app, channel_form("private-foobar"));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        answer.body,
        format!(r#"{{"auth":"{KEY}:{PRIVATE_FOOBAR_SIG}"}}"#)
    );
    // And independently of the vector.
    assert_eq!(
        PRIVATE_FOOBAR_SIG,
        hmac_hex(SECRET, "1234.1234:private-foobar")
    );
    assert_eq!(calls.get(), 1);
}

#[actix_web::test]
async fn json_bodies_and_unknown_fields() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let expected = format!(r#"{{"auth":"{KEY}:{PRIVATE_FOOBAR_SIG}"}}"#);
    let bodies = [
        (
            Some(JSON),
            r#"{"socket_id":"1234.1234","channel_name":"private-foobar","team":"blue","n":[1]}"#,
        ),
        (
            Some("application/json; charset=utf-8"),
            r#"{"channel_name":"private-foobar","socket_id":"1234.1234"}"#,
        ),
        (
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            "team=blue&socket_id=1234.1234&channel_name=private-foobar&x=",
        ),
        // pusher-js's default content type is form; none at all is read as a form too.
        (None, "socket_id=1234.1234&channel_name=private-foobar"),
    ];
    for (content_type, body) in bodies {
        let answer = send!(app, post("/pusher/auth", content_type, body));
        assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
        assert_eq!(answer.body, expected, "{body}");
    }
    assert_eq!(calls.get(), bodies.len());
}

#[actix_web::test]
async fn presence_channel_signs_the_member_the_closure_returns() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let answer = send!(app, channel_form("presence-room"));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = answer.json();
    let channel_data = body["channel_data"].as_str().unwrap();
    assert_eq!(
        channel_data,
        r#"{"user_id":"ada","user_info":{"name":"Ada"}}"#
    );
    let signature = hmac_hex(SECRET, &format!("1234.1234:presence-room:{channel_data}"));
    assert_eq!(body["auth"], format!("{KEY}:{signature}"));
    // The same as the core's own answer.
    let member = PresenceMember::new("ada").with_user_info(json!({"name": "Ada"}));
    let core = pusher()
        .authorize_channel(
            &ChannelAuthRequest::new(SOCKET, "presence-room"),
            Some(&member),
        )
        .unwrap();
    assert_eq!(answer.body, core.to_json());
}

#[actix_web::test]
async fn encrypted_channel_adds_the_shared_secret() {
    let calls = Calls::default();
    let app = app!(pusher_with_master_key(), calls);
    let channel = "private-encrypted-room";
    let answer = send!(app, channel_form(channel));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let body = answer.json();
    let signature = hmac_hex(SECRET, &format!("1234.1234:{channel}"));
    assert_eq!(body["auth"], format!("{KEY}:{signature}"));
    // shared_secret = base64(SHA-256(channel ‖ master key)), computed here...
    let master = [0u8; 32]
        .iter()
        .enumerate()
        .map(|(i, _)| u8::try_from(i).unwrap())
        .collect::<Vec<u8>>();
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(&master);
    let digest = hasher.finalize();
    let secret = body["shared_secret"].as_str().unwrap();
    assert_eq!(base64_decode(secret), digest.as_slice());
    // ...and by the core.
    let key = MasterKey::from_base64(MASTER_KEY).unwrap();
    assert_eq!(secret, key.shared_secret(channel));
}

/// Standard padded base64, decoded by hand so the test relies on no encoder.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET.iter().position(|a| *a == byte).unwrap();
        bits = (bits << 6) | u32::try_from(value).unwrap();
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

#[actix_web::test]
async fn encrypted_channel_without_a_master_key_is_500_without_secrets() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let answer = send!(app, channel_form("private-encrypted-room"));
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.body, r#"{"error":"internal error"}"#);
    assert!(!answer.body.contains(SECRET));
}

#[actix_web::test]
async fn denial_is_403_json() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let answer = send!(app, channel_form("private-nope"));
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.body, r#"{"error":"forbidden"}"#);
    assert_eq!(calls.get(), 1);
}

#[actix_web::test]
async fn grants_that_do_not_fit_the_channel_are_500() {
    let app = init_service(App::new().app_data(web::Data::new(pusher())).service(
        PusherAuth::new().channel(|_: (), auth: ChannelAuthRequest| async move {
            // The wrong way round: a member for private channels, none for presence.
            Ok::<_, Infallible>(if auth.channel_name.starts_with("presence-") {
                ChannelGrant::Allow
            } else {
                ChannelGrant::Presence(PresenceMember::new("ada"))
            })
        }),
    ))
    .await;
    for channel in ["presence-room", "private-room"] {
        let answer = send!(app, channel_form(channel));
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{channel}"
        );
        assert_eq!(answer.body, r#"{"error":"internal error"}"#, "{channel}");
    }
}

#[actix_web::test]
async fn malformed_channel_requests_are_400_and_never_reach_the_closure() {
    let calls = Calls::default();
    let app = app!(pusher_with_master_key(), calls);
    let cases: &[(Option<&str>, &[u8])] = &[
        (Some(FORM), b"channel_name=private-a"),
        (Some(FORM), b"socket_id=1234.1234"),
        (Some(FORM), b""),
        (
            Some(FORM),
            b"socket_id=1234.1234:private-x&channel_name=private-a",
        ),
        (Some(FORM), b"socket_id=abc&channel_name=private-a"),
        (Some(FORM), b"socket_id=1234.1234&channel_name=public-room"),
        (
            Some(FORM),
            b"socket_id=1234.1234&channel_name=private-a%3Ab",
        ),
        (
            Some(FORM),
            b"socket_id=1234.1234&channel_name=private-%20space",
        ),
        (
            Some(FORM),
            b"socket_id=1.2&socket_id=1.3&channel_name=private-a",
        ),
        (
            Some(FORM),
            b"socket_id=1.2&channel_name=private-a&channel_name%5B0%5D=private-b",
        ),
        (Some(FORM), b"socket_id=1.2&channel_name%5Bx%5D=private-a"),
        (Some(FORM), b"socket_id=1.2&channel_name%5B100%5D=private-a"),
        (Some(JSON), b"not json"),
        (Some(JSON), b"[]"),
        (
            Some(JSON),
            br#"{"socket_id":1234.1234,"channel_name":"private-a"}"#,
        ),
        (
            Some(JSON),
            br#"{"socket_id":"1234.1234","channel_name":[]}"#,
        ),
        (
            Some(JSON),
            br#"{"socket_id":"1234.1234","channel_name":"public"}"#,
        ),
        (
            Some("text/plain"),
            b"socket_id=1234.1234&channel_name=private-a",
        ),
        (
            Some("multipart/form-data"),
            b"socket_id=1234.1234&channel_name=private-a",
        ),
    ];
    let long = format!(
        "socket_id=1234.1234&channel_name=private-{}",
        "a".repeat(300)
    );
    for (content_type, body) in cases.iter().copied().chain([(Some(FORM), long.as_bytes())]) {
        let answer = send!(app, post("/pusher/auth", content_type, body));
        let shown = String::from_utf8_lossy(body);
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{shown}: {}",
            answer.body
        );
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/json"),
            "{shown}"
        );
        assert!(answer.json()["error"].is_string(), "{shown}");
    }
    // A Content-Type that is not text.
    let req = post("/pusher/auth", None, "socket_id=1.2&channel_name=private-a").insert_header((
        "content-type",
        actix_web::http::header::HeaderValue::from_bytes(b"application/\xffjson").unwrap(),
    ));
    assert_eq!(send!(app, req).status, StatusCode::BAD_REQUEST);
    assert_eq!(calls.get(), 0, "the closure saw malformed input");
}

#[actix_web::test]
async fn batch_with_mixed_grants() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let body = "socket_id=1234.1234\
        &channel_name%5B0%5D=private-foobar\
        &channel_name%5B1%5D=private-nope\
        &channel_name%5B2%5D=public-room\
        &channel_name%5B3%5D=presence-room\
        &channel_name%5B4%5D=private-a%3Ab";
    let answer = send!(app, post("/pusher/auth", Some(FORM), body));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let v = answer.json();
    assert_eq!(
        v["private-foobar"],
        json!({"status": 200, "data": {"auth": format!("{KEY}:{PRIVATE_FOOBAR_SIG}")}})
    );
    assert_eq!(v["private-nope"], json!({"status": 403}));
    assert_eq!(v["public-room"], json!({"status": 400}));
    assert_eq!(v["private-a:b"], json!({"status": 400}));
    assert_eq!(v["presence-room"]["status"], 200);
    let data = &v["presence-room"]["data"];
    let channel_data = data["channel_data"].as_str().unwrap();
    assert_eq!(
        data["auth"],
        format!(
            "{KEY}:{}",
            hmac_hex(SECRET, &format!("1234.1234:presence-room:{channel_data}"))
        )
    );
    assert_eq!(v.as_object().unwrap().len(), 5);
    // The two malformed channels were never shown to the closure.
    assert_eq!(calls.get(), 3);
}

#[actix_web::test]
async fn batch_as_json_array_and_batch_of_one() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let body = r#"{"socket_id":"1234.1234","channel_name":["private-foobar","private-nope"],"extra":true}"#;
    let v = send!(app, post("/pusher/auth", Some(JSON), body)).json();
    assert_eq!(v["private-foobar"]["status"], 200);
    assert_eq!(v["private-nope"], json!({"status": 403}));
    // One indexed channel is still a batch, answered in the batch format.
    let v = send!(
        app,
        post(
            "/pusher/auth",
            Some(FORM),
            "socket_id=1234.1234&channel_name%5B0%5D=private-nope"
        )
    )
    .json();
    assert_eq!(v, json!({"private-nope": {"status": 403}}));
    assert_eq!(calls.get(), 3);
}

#[actix_web::test]
async fn user_authentication_matches_pusher_s_published_vector() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    for (content_type, body) in [
        (Some(FORM), "socket_id=1234.1234&x=1"),
        (Some(JSON), r#"{"socket_id":"1234.1234","x":1}"#),
        (None, "socket_id=1234.1234"),
    ] {
        let answer = send!(app, post("/pusher/user-auth", content_type, body));
        assert_eq!(answer.status, StatusCode::OK, "{body}: {}", answer.body);
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        let v = answer.json();
        assert_eq!(v["user_data"], r#"{"id":"12345"}"#);
        assert_eq!(v["auth"], format!("{KEY}:{USER_12345_SIG}"));
    }
    assert_eq!(
        USER_12345_SIG,
        hmac_hex(SECRET, r#"1234.1234::user::{"id":"12345"}"#)
    );
    assert_eq!(calls.get(), 3);
}

#[actix_web::test]
async fn user_authentication_statuses() {
    let calls = Calls::default();
    let app = app!(pusher(), calls);
    let answer = send!(
        app,
        post("/pusher/user-auth", Some(FORM), "socket_id=1234.1234").insert_header(("deny", "1"))
    );
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body, r#"{"error":"forbidden"}"#);
    assert_eq!(calls.get(), 1);
    for (content_type, body) in [
        (Some(FORM), "nothing=here"),
        (Some(FORM), "socket_id=1234.1234:x"),
        (Some(FORM), "socket_id=12"),
        (Some(FORM), "socket_id=1.2&socket_id=1.3"),
        (Some(JSON), r#"{"socket_id":5}"#),
        (Some(JSON), "{"),
        (Some("text/plain"), "socket_id=1234.1234"),
    ] {
        let answer = send!(app, post("/pusher/user-auth", content_type, body));
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(answer.json()["error"].is_string(), "{body}");
    }
    assert_eq!(calls.get(), 1, "the closure saw malformed input");
}

#[actix_web::test]
async fn user_data_with_info_and_watchlist_and_invalid_user_data() {
    let app = init_service(App::new().app_data(web::Data::new(pusher())).service(
        PusherAuth::new().user(|req: HttpRequest, _: UserAuthRequest| async move {
            let id = req
                .headers()
                .get("x-user-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let user = UserData::new(id)
                .with_user_info(json!({"name": "Ada"}))
                .watchlist(["bob"]);
            Ok::<_, actix_web::Error>(UserGrant::Allow(user))
        }),
    ))
    .await;
    let answer = send!(
        app,
        post("/pusher/user-auth", Some(FORM), "socket_id=1234.1234")
            .insert_header(("x-user-id", "ada"))
    );
    assert_eq!(answer.status, StatusCode::OK);
    let v = answer.json();
    let user_data = v["user_data"].as_str().unwrap();
    assert_eq!(
        user_data,
        r#"{"id":"ada","user_info":{"name":"Ada"},"watchlist":["bob"]}"#
    );
    assert_eq!(
        v["auth"],
        format!(
            "{KEY}:{}",
            hmac_hex(SECRET, &format!("1234.1234::user::{user_data}"))
        )
    );
    // An empty user id is the app's mistake: 500.
    let answer = send!(
        app,
        post("/pusher/user-auth", Some(FORM), "socket_id=1234.1234")
    );
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.body, r#"{"error":"internal error"}"#);
}

/// An app error type with its own response.
#[derive(Debug)]
struct NotSignedIn;

impl std::fmt::Display for NotSignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sign in first")
    }
}

impl ResponseError for NotSignedIn {
    fn error_response(&self) -> HttpResponse {
        HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Cookie"))
            .json(json!({"error": "sign in first", "login": "/login"}))
    }
}

#[actix_web::test]
async fn the_closure_s_own_error_is_the_response() {
    let calls = Calls::default();
    let channel_calls = calls.clone();
    let user_calls = calls.clone();
    let app = init_service(
        App::new().app_data(web::Data::new(pusher())).service(
            PusherAuth::new()
                .channel(move |req: HttpRequest, auth: ChannelAuthRequest| {
                    channel_calls.hit();
                    async move {
                        match req.cookie("user") {
                            None => Err(NotSignedIn),
                            Some(_) if auth.channel_name == "private-nope" => {
                                Ok(ChannelGrant::Deny)
                            }
                            Some(_) => Ok(ChannelGrant::Allow),
                        }
                    }
                })
                .user(move |req: HttpRequest, _: UserAuthRequest| {
                    user_calls.hit();
                    let signed_in = req.cookie("user").is_some();
                    async move {
                        if signed_in {
                            Ok(UserGrant::Allow(UserData::new("ada")))
                        } else {
                            Err(NotSignedIn)
                        }
                    }
                }),
        ),
    )
    .await;
    let answer = send!(app, channel_form("private-foobar"));
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.json(),
        json!({"error": "sign in first", "login": "/login"})
    );
    let answer = send!(app, post("/pusher/user-auth", Some(FORM), "socket_id=1.2"));
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let response = actix_web::test::call_service(
        &app,
        post("/pusher/user-auth", Some(FORM), "socket_id=1.2").to_request(),
    )
    .await;
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Cookie"
    );

    // In a batch, the first error answers the whole request; later channels are not decided.
    let before = calls.get();
    let batch = "socket_id=1.2&channel_name%5B0%5D=private-a&channel_name%5B1%5D=private-b";
    let answer = send!(app, post("/pusher/auth", Some(FORM), batch));
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(calls.get(), before + 1);

    // Signed in: the same closures grant and deny.
    let answer = send!(
        app,
        channel_form("private-foobar").cookie(Cookie::new("user", "ada"))
    );
    assert_eq!(answer.status, StatusCode::OK);
    let answer = send!(
        app,
        channel_form("private-nope").cookie(Cookie::new("user", "ada"))
    );
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

/// An app extractor: the signed-in user, from a cookie; 401 without one.
struct CurrentUser(String);

impl actix_web::FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.cookie("user")
                .map(|c| CurrentUser(c.value().to_owned()))
                .ok_or_else(|| actix_web::error::ErrorUnauthorized("no user cookie")),
        )
    }
}

/// App state reached through `web::Data`.
struct Rooms {
    members: Vec<(&'static str, &'static str)>,
}

#[actix_web::test]
async fn any_extractor_or_tuple_of_extractors() {
    let calls = Calls::default();
    let counted = calls.clone();
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .app_data(web::Data::new(Rooms {
                members: vec![("ada", "presence-room"), ("ada", "private-foobar")],
            }))
            .service(
                PusherAuth::new()
                    .channel(
                        move |(user, rooms): (CurrentUser, web::Data<Rooms>),
                              auth: ChannelAuthRequest| {
                            counted.hit();
                            async move {
                                let member = rooms
                                    .members
                                    .iter()
                                    .any(|(u, c)| *u == user.0 && *c == auth.channel_name);
                                Ok::<_, Infallible>(
                                    match (member, auth.channel_name.starts_with("presence-")) {
                                        (false, _) => ChannelGrant::Deny,
                                        (true, true) => {
                                            ChannelGrant::Presence(PresenceMember::new(user.0))
                                        }
                                        (true, false) => ChannelGrant::Allow,
                                    },
                                )
                            }
                        },
                    )
                    .user(|user: CurrentUser, _: UserAuthRequest| async move {
                        Ok::<_, Infallible>(UserGrant::Allow(UserData::new(user.0)))
                    }),
            ),
    )
    .await;
    let ada = || Cookie::new("user", "ada");
    assert_eq!(
        send!(app, channel_form("private-foobar").cookie(ada())).status,
        StatusCode::OK
    );
    assert_eq!(
        send!(app, channel_form("private-other").cookie(ada())).status,
        StatusCode::FORBIDDEN
    );
    let v = send!(app, channel_form("presence-room").cookie(ada())).json();
    assert_eq!(v["channel_data"], r#"{"user_id":"ada"}"#);
    // The extractor's own rejection (401), before the closure.
    let before = calls.get();
    let answer = send!(app, channel_form("private-foobar"));
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body, "no user cookie");
    assert_eq!(calls.get(), before);
    // Batches extract once per channel.
    let batch =
        "socket_id=1.2&channel_name%5B0%5D=private-foobar&channel_name%5B1%5D=presence-room";
    let v = send!(app, post("/pusher/auth", Some(FORM), batch).cookie(ada())).json();
    assert_eq!(v["private-foobar"]["status"], 200);
    assert_eq!(v["presence-room"]["status"], 200);
    let v = send!(
        app,
        post("/pusher/user-auth", Some(FORM), "socket_id=1.2").cookie(ada())
    )
    .json();
    assert_eq!(v["user_data"], r#"{"id":"ada"}"#);
}

#[actix_web::test]
async fn missing_app_data_for_the_closure_s_extractor_is_500() {
    struct Db;
    let app = init_service(App::new().app_data(web::Data::new(pusher())).service(
        PusherAuth::new().channel(|_db: web::Data<Db>, _: ChannelAuthRequest| async {
            Ok::<_, Infallible>(ChannelGrant::Allow)
        }),
    ))
    .await;
    assert_eq!(
        send!(app, channel_form("private-foobar")).status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[actix_web::test]
async fn oversized_bodies_are_413_before_any_decision() {
    let calls = Calls::default();
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .app_data(web::PayloadConfig::new(64))
            .service(routes(&calls)),
    )
    .await;
    assert_eq!(
        send!(app, channel_form("private-foobar")).status,
        StatusCode::OK
    );
    let big = format!(
        "socket_id=1234.1234&channel_name=private-foobar&pad={}",
        "x".repeat(64)
    );
    let answer = send!(app, post("/pusher/auth", Some(FORM), big.clone()));
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    let answer = send!(app, post("/pusher/user-auth", Some(FORM), big));
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.get(), 1);
}

#[actix_web::test]
async fn missing_client_is_500_and_the_closure_is_not_called() {
    let calls = Calls::default();
    let app = init_service(App::new().service(routes(&calls))).await;
    for req in [
        channel_form("private-foobar"),
        post("/pusher/user-auth", Some(FORM), "socket_id=1234.1234"),
    ] {
        let answer = send!(app, req);
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            answer.json(),
            serde_json::json!({"error": "internal error"})
        );
    }
    assert_eq!(calls.get(), 0);
}

#[actix_web::test]
async fn the_client_may_be_thin_data_or_bare() {
    let calls = Calls::default();
    let thin = init_service(
        App::new()
            .app_data(web::ThinData(pusher()))
            .service(routes(&calls)),
    )
    .await;
    let bare = init_service(App::new().app_data(pusher()).service(routes(&calls))).await;
    let expected = format!(r#"{{"auth":"{KEY}:{PRIVATE_FOOBAR_SIG}"}}"#);
    assert_eq!(send!(thin, channel_form("private-foobar")).body, expected);
    assert_eq!(send!(bare, channel_form("private-foobar")).body, expected);
    let user = send!(
        thin,
        post("/pusher/user-auth", Some(FORM), "socket_id=1234.1234")
    );
    assert_eq!(user.json()["auth"], format!("{KEY}:{USER_12345_SIG}"));
}

#[actix_web::test]
async fn handlers_trigger_through_the_same_app_data() {
    // A handler beside the routes gets the same client; nothing is sent here.
    async fn whoami(pusher: web::Data<Pusher>) -> String {
        pusher.key().to_owned()
    }
    async fn thin(pusher: web::ThinData<Pusher>) -> String {
        pusher.app_id().to_owned()
    }
    let calls = Calls::default();
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .app_data(web::ThinData(pusher()))
            .route("/whoami", web::get().to(whoami))
            .route("/thin", web::get().to(thin))
            .service(routes(&calls)),
    )
    .await;
    assert_eq!(send!(app, TestRequest::get().uri("/whoami")).body, KEY);
    assert_eq!(send!(app, TestRequest::get().uri("/thin")).body, "3");
}

#[actix_web::test]
async fn paths_scopes_configure_and_methods() {
    let calls = Calls::default();
    let app = init_service(
        App::new().app_data(web::Data::new(pusher())).service(
            web::scope("/api").service(
                routes(&calls)
                    .channel_path("/channels/auth")
                    .user_path("users/auth"),
            ),
        ),
    )
    .await;
    let ok = |path: &str| {
        post(
            path,
            Some(FORM),
            "socket_id=1234.1234&channel_name=private-foobar",
        )
    };
    assert_eq!(send!(app, ok("/api/channels/auth")).status, StatusCode::OK);
    assert_eq!(send!(app, ok("/api/users/auth")).status, StatusCode::OK);
    assert_eq!(send!(app, ok("/pusher/auth")).status, StatusCode::NOT_FOUND);
    assert_eq!(
        send!(app, TestRequest::get().uri("/api/channels/auth")).status,
        StatusCode::METHOD_NOT_ALLOWED
    );

    let configured = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .configure(routes(&calls).configure()),
    )
    .await;
    assert_eq!(send!(configured, ok("/pusher/auth")).status, StatusCode::OK);
    assert_eq!(
        send!(configured, ok("/pusher/user-auth")).status,
        StatusCode::OK
    );

    // Only the routes given a decision are mounted.
    let channel_only = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .service(PusherAuth::new().channel(channel_decider(calls.clone()))),
    )
    .await;
    assert_eq!(
        send!(channel_only, ok("/pusher/auth")).status,
        StatusCode::OK
    );
    assert_eq!(
        send!(channel_only, ok("/pusher/user-auth")).status,
        StatusCode::NOT_FOUND
    );
    let nothing = init_service(App::new().service(PusherAuth::default())).await;
    assert_eq!(
        send!(nothing, ok("/pusher/auth")).status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn one_value_serves_many_requests_and_clones() {
    let calls = Calls::default();
    let auth = routes(&calls);
    let debug = format!("{auth:?}");
    assert!(
        debug.contains("/pusher/auth") && debug.contains("mounted"),
        "{debug}"
    );
    let first = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .service(auth.clone()),
    )
    .await;
    let second = init_service(App::new().app_data(web::Data::new(pusher())).service(auth)).await;
    for _ in 0..20 {
        assert_eq!(
            send!(first, channel_form("private-foobar")).status,
            StatusCode::OK
        );
        assert_eq!(
            send!(second, channel_form("private-nope")).status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(calls.get(), 40);
}

#[test]
fn reexports_and_defaults() {
    assert_eq!(pusher_actix::DEFAULT_CHANNEL_AUTH_PATH, "/pusher/auth");
    assert_eq!(pusher_actix::DEFAULT_USER_AUTH_PATH, "/pusher/user-auth");
    let _: Value = json!(null);
    let reply = pusher_actix::AuthReply::forbidden();
    assert_eq!(reply.status(), 403);
    let _grant: pusher_actix::ChannelGrant = pusher_actix::ChannelGrant::Deny;
}
