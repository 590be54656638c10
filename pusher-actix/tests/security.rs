//! Security cases through the actix routes, beyond the shared adapter table: presence answers
//! and encrypted channels' shared secrets only for what the closure approved; JSON bodies
//! carrying `:` injections refused before the closure; an overflowing batch index refused.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use actix_web::http::StatusCode;
use actix_web::test::init_service;
use actix_web::{App, HttpRequest, web};
use pusher_actix::PusherAuth;
use pusher_client::{
    ChannelAuthRequest, ChannelGrant, MasterKey, PresenceMember, UserAuthRequest, UserData,
    UserGrant,
};
use serde_json::json;

use common::{FORM, JSON, KEY, MASTER_KEY, SECRET, SOCKET, hmac_hex, post, pusher_with_master_key};

/// The channels the closures were asked about.
#[derive(Clone, Default)]
struct Asked(Rc<RefCell<Vec<String>>>);

/// Approves `presence-a` (as member `ada`) and `private-encrypted-yes`; denies the rest.
fn routes(asked: &Asked) -> PusherAuth {
    let channel_asked = asked.clone();
    let user_asked = asked.clone();
    PusherAuth::new()
        .channel(move |_req: HttpRequest, request: ChannelAuthRequest| {
            channel_asked
                .0
                .borrow_mut()
                .push(request.channel_name.clone());
            let grant = match request.channel_name.as_str() {
                "presence-a" => ChannelGrant::Presence(PresenceMember::new("ada")),
                "private-encrypted-yes" => ChannelGrant::Allow,
                _ => ChannelGrant::Deny,
            };
            std::future::ready(Ok::<_, Infallible>(grant))
        })
        .user(move |_req: HttpRequest, _request: UserAuthRequest| {
            user_asked.0.borrow_mut().push("user".into());
            std::future::ready(Ok::<_, Infallible>(UserGrant::Allow(UserData::new(
                "admin",
            ))))
        })
}

macro_rules! app {
    ($asked:expr) => {
        init_service(
            App::new()
                .app_data(web::Data::new(pusher_with_master_key()))
                .service(routes(&$asked)),
        )
        .await
    };
}

fn shared_secret(channel: &str) -> String {
    MasterKey::from_base64(MASTER_KEY)
        .unwrap()
        .shared_secret(channel)
}

#[actix_web::test]
async fn only_approved_channels_get_presence_data_or_shared_secrets() {
    let asked = Asked::default();
    let app = app!(asked);
    let body = "socket_id=1234.1234\
        &channel_name%5B0%5D=presence-a\
        &channel_name%5B1%5D=presence-b\
        &channel_name%5B2%5D=private-encrypted-yes\
        &channel_name%5B3%5D=private-encrypted-no";
    let answer = send!(app, post("/pusher/auth", Some(FORM), body));
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let v = answer.json();
    let channel_data = v["presence-a"]["data"]["channel_data"].as_str().unwrap();
    assert_eq!(channel_data, r#"{"user_id":"ada"}"#);
    assert_eq!(
        v["presence-a"]["data"]["auth"],
        format!(
            "{KEY}:{}",
            hmac_hex(SECRET, &format!("{SOCKET}:presence-a:{channel_data}"))
        )
    );
    assert_eq!(v["presence-b"], json!({"status": 403}));
    assert_eq!(
        v["private-encrypted-yes"]["data"]["shared_secret"],
        shared_secret("private-encrypted-yes")
    );
    assert_eq!(v["private-encrypted-no"], json!({"status": 403}));
    assert!(!answer.body.contains(&shared_secret("private-encrypted-no")));
    assert_eq!(answer.body.matches("shared_secret").count(), 1);
    assert_eq!(answer.body.matches("channel_data").count(), 1);
    assert_eq!(asked.0.borrow().len(), 4);

    for channel in ["presence-b", "private-encrypted-no"] {
        let body = format!("socket_id=1234.1234&channel_name={channel}");
        let answer = send!(app, post("/pusher/auth", Some(FORM), body));
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{channel}");
        assert_eq!(answer.json(), json!({"error": "forbidden"}));
        assert!(!answer.body.contains(&shared_secret(channel)));
    }
}

#[actix_web::test]
async fn json_injections_are_400_before_the_closure() {
    let asked = Asked::default();
    let app = app!(asked);
    for (socket, channel) in [
        ("1234.1234:private-encrypted-yes", "private-encrypted-yes"),
        ("1234.1234::user:", "private-a"),
        (SOCKET, "presence-a:{\"user_id\":\"admin\"}"),
        (SOCKET, "private-encrypted-yes:x"),
    ] {
        let body = json!({"socket_id": socket, "channel_name": channel}).to_string();
        let answer = send!(app, post("/pusher/auth", Some(JSON), body));
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{socket} {channel}");
        assert!(answer.json()["error"].is_string());
        assert!(!answer.body.contains("shared_secret"));
    }
    for socket in ["1234.1234:x", "1234.1234::user::{\"id\":\"admin\"}"] {
        let body = json!({ "socket_id": socket }).to_string();
        let answer = send!(app, post("/pusher/user-auth", Some(JSON), body));
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{socket}");
        assert!(answer.json().get("auth").is_none());
    }
    assert!(asked.0.borrow().is_empty());
}

/// Regression: `channel_name[18446744073709551615]` overflowed the core's batch parser (a
/// panic in debug builds).
#[actix_web::test]
async fn overflowing_batch_index_is_400() {
    let asked = Asked::default();
    let app = app!(asked);
    let body = format!(
        "socket_id=1234.1234&channel_name%5B{}%5D=presence-a",
        usize::MAX
    );
    let answer = send!(app, post("/pusher/auth", Some(FORM), body));
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(asked.0.borrow().is_empty());
}
