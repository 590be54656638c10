//! `Debug` of every public type that holds a secret or a signature shows neither, and still
//! shows what helps to debug (status, key, path, sizes, non-secret fields). One test per type.
//! (The webhook types are covered with the webhooks.)
#![allow(clippy::unwrap_used)]

use std::time::{Duration, UNIX_EPOCH};

use pusher_client::{
    AuthEndpoint, AuthReply, ChannelAuthRequest, ChannelGrant, MasterKey, PresenceMember, Pusher,
    PusherBuilder, UserAuthRequest, UserData, UserGrant,
};

const KEY: &str = "debug-key";
const SECRET: &str = "Debug-S3cret-Value-0b7e";
const MASTER_B64: &str = "c2VjdXJpdHktdGVzdHMtbWFzdGVyLWtleS0zMmJ5dGU=";
const WEBHOOK_SECRET: &str = "Webhook-S3cret-Value-4c21";
const PROXY_PASSWORD: &str = "Pr0xy-Pa55word-d3b9";
const SOCKET: &str = "1234.1234";

fn builder() -> PusherBuilder {
    Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .encryption_master_key_base64(MASTER_B64)
        .webhook_key("old-key", WEBHOOK_SECRET)
        .clock(|| UNIX_EPOCH + Duration::from_secs(1_700_000_000))
}

fn pusher() -> Pusher {
    builder().build().unwrap()
}

/// `KEY:SIGNATURE` split: the signature part.
fn signature(auth: &str) -> &str {
    auth.split_once(':').unwrap().1
}

fn assert_hidden(debug: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!debug.contains(secret), "{secret:?} shown in {debug}");
    }
}

#[test]
fn channel_auth_debug_hides_the_signature_and_the_shared_secret() {
    let pusher = pusher();
    let encrypted = pusher
        .authorize_channel(
            &ChannelAuthRequest::new(SOCKET, "private-encrypted-a"),
            None,
        )
        .unwrap();
    let debug = format!("{encrypted:?}");
    assert_hidden(
        &debug,
        &[
            signature(encrypted.auth()),
            encrypted.shared_secret().unwrap(),
            SECRET,
        ],
    );
    assert!(
        debug.contains(&format!(r#"auth: "{KEY}:<redacted>""#)),
        "{debug}"
    );
    assert!(
        debug.contains(r#"shared_secret: Some("<redacted>")"#),
        "{debug}"
    );

    let member = PresenceMember::new("ada");
    let presence = pusher
        .authorize_channel(
            &ChannelAuthRequest::new(SOCKET, "presence-a"),
            Some(&member),
        )
        .unwrap();
    let debug = format!("{presence:?}");
    assert_hidden(&debug, &[signature(presence.auth())]);
    // The member is what the other members see anyway: shown.
    assert!(debug.contains(r#"{\"user_id\":\"ada\"}"#), "{debug}");
}

#[test]
fn user_auth_debug_hides_the_signature() {
    let pusher = pusher();
    let answer = pusher
        .authenticate_user(&UserAuthRequest::new(SOCKET), &UserData::new("ada"))
        .unwrap();
    let debug = format!("{answer:?}");
    assert_hidden(&debug, &[signature(answer.auth()), SECRET]);
    assert!(
        debug.contains(&format!(r#"auth: "{KEY}:<redacted>""#)),
        "{debug}"
    );
    assert!(
        debug.contains(r#"user_data: "{\"id\":\"ada\"}""#),
        "{debug}"
    );
}

#[test]
fn auth_reply_debug_hides_a_success_body_and_shows_an_error_body() {
    let pusher = pusher();
    let encrypted = ChannelAuthRequest::new(SOCKET, "private-encrypted-a");
    let signed = pusher.authorize_channel(&encrypted, None).unwrap();
    let reply = AuthEndpoint::new(pusher.clone()).channel_reply(&encrypted, ChannelGrant::Allow);
    assert_eq!(reply.status(), 200);
    let debug = format!("{reply:?}");
    assert_hidden(
        &debug,
        &[signature(signed.auth()), signed.shared_secret().unwrap()],
    );
    assert!(debug.contains("status: 200"), "{debug}");
    assert!(
        debug.contains(&format!("{} bytes", reply.body().len())),
        "{debug}"
    );

    let user = AuthEndpoint::new(pusher.clone()).user_reply(
        &UserAuthRequest::new(SOCKET),
        UserGrant::Allow(UserData::new("ada")),
    );
    let signed = pusher
        .authenticate_user(&UserAuthRequest::new(SOCKET), &UserData::new("ada"))
        .unwrap();
    assert_hidden(&format!("{user:?}"), &[signature(signed.auth())]);

    let batch = AuthEndpoint::new(pusher.clone()).batch_reply([
        (encrypted.clone(), ChannelGrant::Allow),
        (
            ChannelAuthRequest::new(SOCKET, "private-b"),
            ChannelGrant::Allow,
        ),
    ]);
    let signed_b = pusher
        .authorize_channel(&ChannelAuthRequest::new(SOCKET, "private-b"), None)
        .unwrap();
    let shared = pusher
        .authorize_channel(&encrypted, None)
        .unwrap()
        .shared_secret()
        .unwrap()
        .to_owned();
    assert_hidden(
        &format!("{batch:?}"),
        &[signature(signed_b.auth()), &shared],
    );

    // Error bodies hold no secret and say what went wrong: shown.
    let denied = AuthReply::forbidden();
    let debug = format!("{denied:?}");
    assert!(debug.contains("status: 403"), "{debug}");
    assert!(debug.contains(r#"{\"error\":\"forbidden\"}"#), "{debug}");
}

#[test]
fn signed_request_debug_hides_the_signature() {
    let pusher = pusher();
    let request = pusher
        .trigger("room", "e", "x")
        .idempotency_key("msg-1")
        .sign()
        .unwrap();
    let debug = format!("{request:?}");
    let (_, query) = request.url().split_once('?').unwrap();
    let signature = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("auth_signature="))
        .unwrap();
    assert_hidden(&debug, &[signature, "auth_signature", SECRET]);
    assert!(debug.contains(r#"path: "/apps/3/events""#), "{debug}");
    assert!(debug.contains(r#"method: "POST""#), "{debug}");
    assert!(debug.contains("msg-1"), "{debug}");
}

#[test]
fn builder_and_client_debug_hide_every_secret() {
    let with_proxy = builder().proxy(format!("http://user:{PROXY_PASSWORD}@127.0.0.1:1"));
    for debug in [
        format!("{:?}", builder()),
        format!("{with_proxy:?}"),
        format!("{:?}", pusher()),
    ] {
        assert_hidden(
            &debug,
            &[SECRET, MASTER_B64, WEBHOOK_SECRET, PROXY_PASSWORD],
        );
        assert!(debug.contains(KEY), "{debug}");
        assert!(debug.contains(r#""3""#), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
    // A trigger being prepared holds the client: the same.
    let pusher = pusher();
    let trigger = pusher.trigger("room", "e", "x");
    let debug = format!("{trigger:?}");
    assert_hidden(&debug, &[SECRET, MASTER_B64]);
    assert!(debug.contains("room"), "{debug}");
}

#[test]
fn master_key_debug_hides_the_key() {
    let key = MasterKey::from_base64(MASTER_B64).unwrap();
    let debug = format!("{key:?}");
    assert_hidden(&debug, &[MASTER_B64, "security-tests"]);
    assert!(debug.contains("MasterKey"), "{debug}");
    let shared = key.shared_secret("private-encrypted-a");
    assert_hidden(&debug, &[&shared]);
}

#[test]
fn grants_and_requests_hold_no_secret_and_show_their_fields() {
    let grant = ChannelGrant::Presence(PresenceMember::new("ada"));
    assert!(format!("{grant:?}").contains("ada"));
    let grant = UserGrant::Allow(UserData::new("ada"));
    assert!(format!("{grant:?}").contains("ada"));
    let request = ChannelAuthRequest::new(SOCKET, "private-a");
    assert!(format!("{request:?}").contains("private-a"));
}
