//! Security cases through the axum routes, beyond the shared adapter table: presence answers
//! and encrypted channels' shared secrets only for what the closure approved; JSON bodies
//! carrying `:` injections refused before the closure; an overflowing batch index refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use base64::Engine as _;
use common::{FORM, JSON, KEY, SECRET, SOCKET, form, hmac_hex, post, pusher, send};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PresenceMember, PusherAuth, UserAuthRequest, UserData,
    UserGrant,
};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The channels the closure was asked about.
#[derive(Clone, Default)]
struct Asked(Arc<Mutex<Vec<String>>>);

impl Asked {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Approves `presence-a` (as member `ada`) and `private-encrypted-yes`; denies the rest.
fn app(asked: &Asked) -> Router {
    let channel_asked = asked.clone();
    let user_asked = asked.clone();
    let auth = PusherAuth::new()
        .channel(move |(): (), request: ChannelAuthRequest| {
            channel_asked
                .0
                .lock()
                .unwrap()
                .push(request.channel_name.clone());
            async move {
                Ok::<_, Infallible>(match request.channel_name.as_str() {
                    "presence-a" => ChannelGrant::Presence(PresenceMember::new("ada")),
                    "private-encrypted-yes" => ChannelGrant::Allow,
                    _ => ChannelGrant::Deny,
                })
            }
        })
        .user(move |(): (), _request: UserAuthRequest| {
            user_asked.0.lock().unwrap().push("user".into());
            async move { Ok::<_, Infallible>(UserGrant::Allow(UserData::new("admin"))) }
        });
    Router::new().merge(auth).with_state(pusher())
}

fn shared_secret(channel: &str) -> String {
    let master: Vec<u8> = (0u8..32).collect();
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(&master);
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

#[tokio::test]
async fn only_approved_channels_get_presence_data_or_shared_secrets() {
    let asked = Asked::default();
    let app = app(&asked);
    let body = "socket_id=1234.1234\
        &channel_name%5B0%5D=presence-a\
        &channel_name%5B1%5D=presence-b\
        &channel_name%5B2%5D=private-encrypted-yes\
        &channel_name%5B3%5D=private-encrypted-no";
    let answer = send(&app, form("/pusher/auth", body)).await;
    assert_eq!(answer.status, 200);
    let text = answer.text();
    let v = answer.json();
    let channel_data = v["presence-a"]["data"]["channel_data"].as_str().unwrap();
    assert_eq!(channel_data, r#"{"user_id":"ada"}"#);
    assert_eq!(
        v["presence-a"]["data"]["auth"],
        format!(
            "{KEY}:{}",
            hmac_hex(
                SECRET,
                format!("{SOCKET}:presence-a:{channel_data}").as_bytes()
            )
        )
    );
    assert_eq!(v["presence-b"], json!({"status": 403}));
    assert_eq!(
        v["private-encrypted-yes"]["data"]["shared_secret"],
        shared_secret("private-encrypted-yes")
    );
    assert_eq!(v["private-encrypted-no"], json!({"status": 403}));
    assert!(!text.contains(&shared_secret("private-encrypted-no")));
    assert_eq!(text.matches("shared_secret").count(), 1);
    assert_eq!(text.matches("channel_data").count(), 1);
    assert_eq!(asked.take().len(), 4);

    for channel in ["presence-b", "private-encrypted-no"] {
        let answer = send(
            &app,
            form(
                "/pusher/auth",
                &format!("socket_id=1234.1234&channel_name={channel}"),
            ),
        )
        .await;
        assert_eq!(answer.status, 403, "{channel}");
        assert_eq!(answer.json(), json!({"error": "forbidden"}));
        assert!(!answer.text().contains(&shared_secret(channel)));
    }
}

#[tokio::test]
async fn json_injections_are_400_before_the_closure() {
    let asked = Asked::default();
    let app = app(&asked);
    for (socket, channel) in [
        ("1234.1234:private-encrypted-yes", "private-encrypted-yes"),
        ("1234.1234::user:", "private-a"),
        (SOCKET, "presence-a:{\"user_id\":\"admin\"}"),
        (SOCKET, "private-encrypted-yes:x"),
    ] {
        let body = json!({"socket_id": socket, "channel_name": channel}).to_string();
        let answer = send(&app, post("/pusher/auth", &[("content-type", JSON)], body)).await;
        assert_eq!(answer.status, 400, "{socket} {channel}");
        assert!(answer.json()["error"].is_string());
        assert!(!answer.text().contains("shared_secret"));
    }
    for socket in ["1234.1234:x", "1234.1234::user::{\"id\":\"admin\"}"] {
        let body = json!({ "socket_id": socket }).to_string();
        let answer = send(
            &app,
            post("/pusher/user-auth", &[("content-type", JSON)], body),
        )
        .await;
        assert_eq!(answer.status, 400, "{socket}");
        assert!(answer.json().get("auth").is_none());
    }
    assert!(asked.take().is_empty());
}

/// Regression: `channel_name[18446744073709551615]` overflowed the core's batch parser (a
/// panic in debug builds).
#[tokio::test]
async fn overflowing_batch_index_is_400() {
    let asked = Asked::default();
    let app = app(&asked);
    let body = format!(
        "socket_id=1234.1234&channel_name%5B{}%5D=presence-a",
        usize::MAX
    );
    let answer = send(&app, post("/pusher/auth", &[("content-type", FORM)], body)).await;
    assert_eq!(answer.status, 400);
    assert!(asked.take().is_empty());
}
