//! Channel authorization, user authentication and webhooks, checked against Pusher's published
//! vectors and against signatures recomputed here with the `hmac`/`sha2`/`hex` crates directly
//! (never with the crate's own signer).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use hmac::{Hmac, Mac};
use pusher_client::{
    ChannelAuth, ChannelAuthRequest, CryptoError, Error, PresenceMember, Pusher, UserAuth,
    UserAuthRequest, UserData, ValidationError, WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER,
    Webhook, WebhookError, WebhookEvent, sign_webhook,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const KEY: &str = "278d425bdf160c739803";
const SECRET: &str = "7ad3773142a6692b25b8";
const SOCKET: &str = "1234.1234";
const MASTER_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn pusher() -> Pusher {
    Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .build()
        .unwrap()
}

fn encrypted_pusher() -> Pusher {
    Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .encryption_master_key_base64(MASTER_B64)
        .build()
        .unwrap()
}

/// hex(HMAC-SHA256(secret, message)), computed independently of the crate.
fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

fn master_bytes() -> Vec<u8> {
    STANDARD.decode(MASTER_B64).unwrap()
}

/// SHA-256(channel ‖ master key), computed independently of the crate.
fn channel_key(channel: &str) -> [u8; 32] {
    let mut input = channel.as_bytes().to_vec();
    input.extend_from_slice(&master_bytes());
    Sha256::digest(&input).into()
}

fn validation(err: Error) -> ValidationError {
    match err {
        Error::Validation(e) => e,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn authorize(
    pusher: &Pusher,
    socket: &str,
    channel: &str,
    member: Option<&PresenceMember>,
) -> Result<ChannelAuth, Error> {
    pusher.authorize_channel(&ChannelAuthRequest::new(socket, channel), member)
}

// ---------------------------------------------------------------------------------------------
// Channel authorization and user authentication
// ---------------------------------------------------------------------------------------------

#[test]
fn docs_vector_private_channel() {
    let answer = authorize(&pusher(), SOCKET, "private-foobar", None).unwrap();
    assert_eq!(
        answer.auth(),
        "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    );
    assert_eq!(answer.channel_data(), None);
    assert_eq!(answer.shared_secret(), None);
    let expected = r#"{"auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"}"#;
    assert_eq!(answer.to_json(), expected);
    assert_eq!(serde_json::to_string(&answer).unwrap(), expected);
    let back: ChannelAuth = serde_json::from_str(expected).unwrap();
    assert_eq!(back, answer);
}

#[test]
fn docs_vector_user_authentication() {
    let answer = pusher()
        .authenticate_user(&UserAuthRequest::new(SOCKET), &UserData::new("12345"))
        .unwrap();
    assert_eq!(answer.user_data(), r#"{"id":"12345"}"#);
    assert_eq!(
        answer.auth(),
        "278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba"
    );
    let json = answer.to_json();
    assert_eq!(serde_json::to_string(&answer).unwrap(), json);
    let back: UserAuth = serde_json::from_str(&json).unwrap();
    assert_eq!(back, answer);
    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["user_data"], r#"{"id":"12345"}"#);
}

#[test]
fn private_signature_recomputed_independently() {
    let answer = authorize(&pusher(), "99.1", "private-a=b@c,d;e.f_g", None).unwrap();
    let expected = hmac_hex(SECRET, b"99.1:private-a=b@c,d;e.f_g");
    assert_eq!(answer.auth(), format!("{KEY}:{expected}"));
}

#[test]
fn presence_channel_data_round_trip() {
    let member = PresenceMember::new("ada")
        .user_info(json!({"name": "Ada \"the first\" Lovelace", "langs": ["en", "fr"], "n": 1}))
        .unwrap();
    let answer = authorize(&pusher(), SOCKET, "presence-room", Some(&member)).unwrap();
    let channel_data = answer.channel_data().unwrap();
    // The signature covers exactly the returned string.
    let signed = format!("{SOCKET}:presence-room:{channel_data}");
    assert_eq!(
        answer.auth(),
        format!("{KEY}:{}", hmac_hex(SECRET, signed.as_bytes()))
    );
    let parsed: Value = serde_json::from_str(channel_data).unwrap();
    assert_eq!(
        parsed,
        json!({"user_id": "ada", "user_info": {"name": "Ada \"the first\" Lovelace", "langs": ["en", "fr"], "n": 1}})
    );
    assert!(channel_data.starts_with(r#"{"user_id":"ada","user_info":{"#));
    // The body pusher-js gets carries channel_data as a string, not an object.
    let body: Value = serde_json::from_str(&answer.to_json()).unwrap();
    assert_eq!(body["channel_data"], Value::String(channel_data.to_owned()));
    assert!(body.get("shared_secret").is_none());
    assert_eq!(serde_json::to_string(&answer).unwrap(), answer.to_json());
    // And it round-trips back to the member.
    let back: PresenceMember = serde_json::from_str(channel_data).unwrap();
    assert_eq!(back, member);
}

#[test]
fn presence_numeric_user_id_is_a_string_and_info_is_omitted() {
    let member = PresenceMember::new(42u64);
    let answer = authorize(&pusher(), SOCKET, "presence-room", Some(&member)).unwrap();
    assert_eq!(answer.channel_data(), Some(r#"{"user_id":"42"}"#));
    let expected = hmac_hex(
        SECRET,
        format!(r#"{SOCKET}:presence-room:{{"user_id":"42"}}"#).as_bytes(),
    );
    assert_eq!(answer.auth(), format!("{KEY}:{expected}"));
    // Same answer whether the id was given as a number or as its text.
    let text = authorize(
        &pusher(),
        SOCKET,
        "presence-room",
        Some(&PresenceMember::new("42")),
    )
    .unwrap();
    assert_eq!(text, answer);
    // Deserialised members accept numbers too.
    let parsed: PresenceMember = serde_json::from_str(r#"{"user_id":42}"#).unwrap();
    assert_eq!(parsed, member);
}

#[test]
fn user_data_round_trip() {
    let user = UserData::new("ada")
        .user_info(json!({"name": "Ada", "nested": {"x": [1, 2]}}))
        .unwrap()
        .watchlist(["charles", "mary"])
        .field("plan", "pro")
        .field("age", 36);
    let answer = pusher()
        .authenticate_user(&UserAuthRequest::new(SOCKET), &user)
        .unwrap();
    let user_data = answer.user_data();
    assert!(user_data.starts_with(r#"{"id":"ada","#), "{user_data}");
    let signed = format!("{SOCKET}::user::{user_data}");
    assert_eq!(
        answer.auth(),
        format!("{KEY}:{}", hmac_hex(SECRET, signed.as_bytes()))
    );
    let parsed: Value = serde_json::from_str(user_data).unwrap();
    assert_eq!(
        parsed,
        json!({
            "id": "ada",
            "user_info": {"name": "Ada", "nested": {"x": [1, 2]}},
            "watchlist": ["charles", "mary"],
            "plan": "pro",
            "age": 36
        })
    );
    let back: UserData = serde_json::from_str(user_data).unwrap();
    assert_eq!(back, user);
    assert_eq!(back.id(), "ada");
    assert_eq!(back.fields()["plan"], "pro");
    assert_eq!(
        back.watchlist_ids(),
        Some(&["charles".to_owned(), "mary".to_owned()][..])
    );
}

#[test]
fn encrypted_channel_shared_secret() {
    let channel = "private-encrypted-room";
    let answer = authorize(&encrypted_pusher(), SOCKET, channel, None).unwrap();
    assert_eq!(
        answer.shared_secret(),
        Some(STANDARD.encode(channel_key(channel)).as_str())
    );
    // Only socket:channel is signed; the shared secret is not part of it.
    let expected = hmac_hex(SECRET, format!("{SOCKET}:{channel}").as_bytes());
    assert_eq!(answer.auth(), format!("{KEY}:{expected}"));
    assert_eq!(answer.channel_data(), None);
    let body: Value = serde_json::from_str(&answer.to_json()).unwrap();
    assert_eq!(
        body,
        json!({"auth": answer.auth(), "shared_secret": answer.shared_secret()})
    );
    let back: ChannelAuth = serde_json::from_str(&answer.to_json()).unwrap();
    assert_eq!(back, answer);
    // Debug must not leak the channel's key.
    assert!(!format!("{answer:?}").contains(answer.shared_secret().unwrap()));
}

#[test]
fn encrypted_channel_without_master_key() {
    let err = authorize(&pusher(), SOCKET, "private-encrypted-room", None).unwrap_err();
    assert_eq!(
        validation(err),
        ValidationError::EncryptionNotConfigured {
            channel: "private-encrypted-room".into()
        }
    );
}

#[test]
fn public_channel_refused() {
    let err = authorize(&pusher(), SOCKET, "news", None).unwrap_err();
    let err = validation(err);
    assert_eq!(
        err,
        ValidationError::PublicChannel {
            channel: "news".into()
        }
    );
    assert!(err.to_string().contains("public"), "{err}");
    // A member does not make a public channel authorizable.
    let err = authorize(&pusher(), SOCKET, "news", Some(&PresenceMember::new("1"))).unwrap_err();
    assert!(matches!(
        validation(err),
        ValidationError::PublicChannel { .. }
    ));
}

#[test]
fn malformed_socket_ids_refused() {
    for bad in [
        "1234.1234:private-other",
        "1234.1234:",
        ":1234.1234",
        "",
        "1234",
        "abc.def",
        "1.2.3",
        " 1.2",
        "1.2\n",
    ] {
        let err = authorize(&pusher(), bad, "private-foobar", None).unwrap_err();
        assert!(
            matches!(validation(err), ValidationError::InvalidSocketId { .. }),
            "{bad:?}"
        );
        let err = pusher()
            .authenticate_user(&UserAuthRequest::new(bad), &UserData::new("u"))
            .unwrap_err();
        assert!(
            matches!(validation(err), ValidationError::InvalidSocketId { .. }),
            "{bad:?}"
        );
    }
}

#[test]
fn malformed_channel_names_refused() {
    let long = format!("private-{}", "a".repeat(200));
    type Check = fn(&ValidationError) -> bool;
    let cases: [(&str, Check); 5] = [
        ("", |e| matches!(e, ValidationError::EmptyChannelName)),
        ("private-a b", |e| {
            matches!(e, ValidationError::ChannelNameInvalidChar { ch: ' ', .. })
        }),
        ("private-a:b", |e| {
            matches!(e, ValidationError::ChannelNameInvalidChar { ch: ':', .. })
        }),
        ("#server-to-user-1", |e| {
            matches!(e, ValidationError::ReservedChannelName { .. })
        }),
        (&long, |e| {
            matches!(e, ValidationError::ChannelNameTooLong { .. })
        }),
    ];
    for (channel, check) in cases {
        let err = validation(authorize(&pusher(), SOCKET, channel, None).unwrap_err());
        assert!(check(&err), "{channel:?}: {err:?}");
    }
}

#[test]
fn presence_without_member_refused() {
    let err = authorize(&pusher(), SOCKET, "presence-room", None).unwrap_err();
    assert_eq!(
        validation(err),
        ValidationError::PresenceMemberRequired {
            channel: "presence-room".into()
        }
    );
}

#[test]
fn member_for_non_presence_channel_refused() {
    let member = PresenceMember::new("1");
    for channel in ["private-room", "private-encrypted-room"] {
        let err = authorize(&encrypted_pusher(), SOCKET, channel, Some(&member)).unwrap_err();
        assert_eq!(
            validation(err),
            ValidationError::MemberForNonPresenceChannel {
                channel: channel.into()
            }
        );
    }
}

#[test]
fn invalid_user_ids_refused() {
    for bad in ["", "a\nb", &"x".repeat(201)] {
        let err = authorize(
            &pusher(),
            SOCKET,
            "presence-room",
            Some(&PresenceMember::new(bad)),
        )
        .unwrap_err();
        assert!(
            matches!(validation(err), ValidationError::InvalidUserId { .. }),
            "{bad:?}"
        );
        let err = pusher()
            .authenticate_user(&UserAuthRequest::new(SOCKET), &UserData::new(bad))
            .unwrap_err();
        assert!(
            matches!(validation(err), ValidationError::InvalidUserId { .. }),
            "{bad:?}"
        );
    }
    let err = pusher()
        .authenticate_user(&UserAuthRequest::new(SOCKET), &UserData::new(""))
        .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn non_object_user_info_refused() {
    for info in [
        json!(null),
        json!("text"),
        json!(1),
        json!([1]),
        json!(true),
    ] {
        let err = PresenceMember::new("1").user_info(&info).unwrap_err();
        assert!(
            matches!(&err, ValidationError::InvalidUserData { field, .. } if field == "user_info"),
            "{err:?}"
        );
        let err = UserData::new("1").user_info(&info).unwrap_err();
        assert!(
            matches!(&err, ValidationError::InvalidUserData { field, .. } if field == "user_info"),
            "{err:?}"
        );
        assert!(err.to_string().contains("object"), "{err}");
    }
    // From JSON, a non-object user_info is a deserialisation error.
    assert!(serde_json::from_str::<UserData>(r#"{"id":"1","user_info":"x"}"#).is_err());
    assert!(serde_json::from_str::<PresenceMember>(r#"{"user_id":"1","user_info":5}"#).is_err());
}

#[test]
fn extra_field_shadowing_a_named_one_refused() {
    let err = pusher()
        .authenticate_user(
            &UserAuthRequest::new(SOCKET),
            &UserData::new("a").field("id", "b"),
        )
        .unwrap_err();
    assert!(matches!(
        validation(err),
        ValidationError::InvalidUserData { field, .. } if field == "id"
    ));
}

#[test]
fn requests_from_pusher_js_form_bodies() {
    let request: ChannelAuthRequest = serde_urlencoded::from_str(
        "socket_id=1234.1234&channel_name=presence-room%40a%2Cb&team=blue&extra%20param=1",
    )
    .unwrap();
    assert_eq!(
        request,
        ChannelAuthRequest::new("1234.1234", "presence-room@a,b")
    );
    let request: ChannelAuthRequest =
        serde_urlencoded::from_str("channel_name=private-foobar&socket_id=1234.1234").unwrap();
    assert_eq!(
        authorize(&pusher(), &request.socket_id, &request.channel_name, None)
            .unwrap()
            .auth(),
        "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    );
    let user: UserAuthRequest = serde_urlencoded::from_str("socket_id=1234.1234&foo=bar").unwrap();
    assert_eq!(user, UserAuthRequest::new("1234.1234"));
    // Missing fields are a deserialisation error.
    assert!(serde_urlencoded::from_str::<ChannelAuthRequest>("socket_id=1.1").is_err());
    assert!(serde_urlencoded::from_str::<UserAuthRequest>("x=1").is_err());
    // Malformed values still deserialise; the call refuses them with a typed error.
    let request: ChannelAuthRequest =
        serde_urlencoded::from_str("socket_id=1.1%3Aprivate-x&channel_name=private-y").unwrap();
    assert!(matches!(
        validation(pusher().authorize_channel(&request, None).unwrap_err()),
        ValidationError::InvalidSocketId { .. }
    ));
    // JSON bodies work too.
    let request: ChannelAuthRequest =
        serde_json::from_str(r#"{"socket_id":"1.1","channel_name":"private-a","x":[]}"#).unwrap();
    assert_eq!(request, ChannelAuthRequest::new("1.1", "private-a"));
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

const ROTATED_KEY: &str = "rotated-key";
const ROTATED_SECRET: &str = "rotated-secret-value";
const TIME_MS: u64 = 1_700_000_000_000;

fn body() -> Vec<u8> {
    format!(r#"{{"time_ms":{TIME_MS},"events":[{{"name":"channel_occupied","channel":"room"}}]}}"#)
        .into_bytes()
}

fn webhook_pusher() -> Pusher {
    Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .webhook_key(ROTATED_KEY, ROTATED_SECRET)
        .build()
        .unwrap()
}

fn verify(
    pusher: &Pusher,
    key: &str,
    signature: &str,
    body: &[u8],
) -> Result<Webhook, WebhookError> {
    pusher.verify_webhook(Some(key), Some(signature), body)
}

#[test]
fn good_webhook() {
    let body = body();
    let signature = hmac_hex(SECRET, &body);
    let webhook = verify(&webhook_pusher(), KEY, &signature, &body).unwrap();
    assert_eq!(webhook.time_ms, TIME_MS);
    assert_eq!(
        webhook.events,
        vec![WebhookEvent::ChannelOccupied {
            channel: "room".into()
        }]
    );
    // Upper-case hex and surrounding whitespace from a header are accepted.
    assert!(verify(&webhook_pusher(), KEY, &signature.to_uppercase(), &body).is_ok());
    assert!(
        verify(
            &webhook_pusher(),
            &format!(" {KEY} "),
            &format!("{signature} "),
            &body
        )
        .is_ok()
    );
}

#[test]
fn rotated_keys_accepted() {
    let body = body();
    let pusher = webhook_pusher();
    let rotated = hmac_hex(ROTATED_SECRET, &body);
    assert!(verify(&pusher, ROTATED_KEY, &rotated, &body).is_ok());
    // Each key only with its own secret.
    assert_eq!(
        verify(&pusher, ROTATED_KEY, &hmac_hex(SECRET, &body), &body).unwrap_err(),
        WebhookError::InvalidSignature
    );
    assert_eq!(
        verify(&pusher, KEY, &rotated, &body).unwrap_err(),
        WebhookError::InvalidSignature
    );
    // A secret rotated under the same key: both secrets verify.
    let same_key = Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .webhook_key(KEY, "new-secret")
        .build()
        .unwrap();
    assert!(verify(&same_key, KEY, &hmac_hex(SECRET, &body), &body).is_ok());
    assert!(verify(&same_key, KEY, &hmac_hex("new-secret", &body), &body).is_ok());
}

#[test]
fn unknown_key_refused() {
    let body = body();
    let err = verify(
        &webhook_pusher(),
        "someone-else",
        &hmac_hex(SECRET, &body),
        &body,
    )
    .unwrap_err();
    assert_eq!(err, WebhookError::UnknownKey);
    assert!(err.is_auth_failure());
    assert_eq!(
        verify(&webhook_pusher(), "", &hmac_hex(SECRET, &body), &body).unwrap_err(),
        WebhookError::UnknownKey
    );
}

#[test]
fn missing_headers_refused() {
    let body = body();
    let signature = hmac_hex(SECRET, &body);
    let pusher = webhook_pusher();
    assert_eq!(
        pusher
            .verify_webhook(None, Some(&signature), &body)
            .unwrap_err(),
        WebhookError::MissingKey
    );
    assert_eq!(
        pusher.verify_webhook(Some(KEY), None, &body).unwrap_err(),
        WebhookError::MissingSignature
    );
    assert_eq!(
        pusher.verify_webhook(None, None, &body).unwrap_err(),
        WebhookError::MissingKey
    );
}

#[test]
fn bad_signatures_refused() {
    let body = body();
    let good = hmac_hex(SECRET, &body);
    let pusher = webhook_pusher();
    let wrong = hmac_hex("not-the-secret", &body);
    assert_eq!(
        verify(&pusher, KEY, &wrong, &body).unwrap_err(),
        WebhookError::InvalidSignature
    );
    let mut flipped = good.clone().into_bytes();
    flipped[63] = if flipped[63] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert_eq!(
        verify(&pusher, KEY, &flipped, &body).unwrap_err(),
        WebhookError::InvalidSignature
    );
    for malformed in [
        String::new(),
        "z".repeat(64),
        format!("{}zz", &good[..62]),
        good[..62].to_owned(),
        good[..63].to_owned(),
        format!("{good}00"),
        format!("sha256={good}"),
        "é".repeat(32),
    ] {
        assert_eq!(
            verify(&pusher, KEY, &malformed, &body).unwrap_err(),
            WebhookError::MalformedSignature,
            "{malformed:?}"
        );
    }
}

#[test]
fn tampered_body_refused() {
    let body = body();
    let signature = hmac_hex(SECRET, &body);
    let tampered = String::from_utf8(body)
        .unwrap()
        .replace("room", "roon")
        .into_bytes();
    assert_eq!(
        verify(&webhook_pusher(), KEY, &signature, &tampered).unwrap_err(),
        WebhookError::InvalidSignature
    );
    assert_eq!(
        verify(&webhook_pusher(), KEY, &signature, b"").unwrap_err(),
        WebhookError::InvalidSignature
    );
}

#[test]
fn bad_payloads_refused_after_verification() {
    for bad in [
        &b"not json"[..],
        b"",
        b"[]",
        br#"{"events":[]}"#,
        br#"{"time_ms":"soon","events":[]}"#,
        br#"{"time_ms":1}"#,
        br#"{"time_ms":1,"events":[{"channel":"no-name"}]}"#,
        br#"{"time_ms":1,"events":[{"name":"member_added","channel":"presence-a"}]}"#,
    ] {
        let err = verify(&webhook_pusher(), KEY, &hmac_hex(SECRET, bad), bad).unwrap_err();
        assert!(
            matches!(err, WebhookError::BadPayload(_)),
            "{bad:?}: {err:?}"
        );
        assert!(!err.is_auth_failure());
        assert_eq!(err.status(), 400);
    }
    // An unsigned bad body is an authentication failure first.
    assert_eq!(
        verify(&webhook_pusher(), KEY, &hmac_hex(SECRET, b"x"), b"not json").unwrap_err(),
        WebhookError::InvalidSignature
    );
}

#[test]
fn unknown_event_kept() {
    let body = br#"{"time_ms":1,"events":[{"name":"brand_new","channel":"room","extra":{"a":1}},{"name":"channel_vacated","channel":"room"}]}"#;
    let webhook = verify(&webhook_pusher(), KEY, &hmac_hex(SECRET, body), body).unwrap();
    assert_eq!(webhook.events.len(), 2);
    match &webhook.events[0] {
        WebhookEvent::Unknown { name, payload } => {
            assert_eq!(name, "brand_new");
            assert_eq!(payload["extra"]["a"], 1);
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert_eq!(webhook.events[0].name(), "brand_new");
    assert_eq!(webhook.events[0].channel(), Some("room"));
    assert_eq!(webhook.events[1].name(), "channel_vacated");
}

#[test]
fn all_event_types_parsed() {
    let body = br#"{"time_ms":1327078148132,"ignored":true,"events":[
        {"name":"channel_occupied","channel":"a"},
        {"name":"channel_vacated","channel":"a"},
        {"name":"member_added","channel":"presence-a","user_id":"ada"},
        {"name":"member_removed","channel":"presence-a","user_id":42},
        {"name":"client_event","channel":"presence-a","event":"client-hi","data":"{\"x\":1}","socket_id":"1.2","user_id":"ada"},
        {"name":"client_event","channel":"private-a","event":"client-hi","data":"plain","socket_id":"1.2"},
        {"name":"cache_miss","channel":"cache-a"},
        {"name":"subscription_count","channel":"a","subscription_count":12,"extra":null}
    ]}"#;
    let webhook = verify(&webhook_pusher(), KEY, &hmac_hex(SECRET, body), body).unwrap();
    assert_eq!(webhook.time_ms, 1327078148132);
    assert_eq!(
        webhook.events,
        vec![
            WebhookEvent::ChannelOccupied {
                channel: "a".into()
            },
            WebhookEvent::ChannelVacated {
                channel: "a".into()
            },
            WebhookEvent::MemberAdded {
                channel: "presence-a".into(),
                user_id: "ada".into()
            },
            WebhookEvent::MemberRemoved {
                channel: "presence-a".into(),
                user_id: "42".into()
            },
            WebhookEvent::ClientEvent {
                channel: "presence-a".into(),
                event: "client-hi".into(),
                data: r#"{"x":1}"#.into(),
                socket_id: Some("1.2".into()),
                user_id: Some("ada".into()),
            },
            WebhookEvent::ClientEvent {
                channel: "private-a".into(),
                event: "client-hi".into(),
                data: "plain".into(),
                socket_id: Some("1.2".into()),
                user_id: None,
            },
            WebhookEvent::CacheMiss {
                channel: "cache-a".into()
            },
            WebhookEvent::SubscriptionCount {
                channel: "a".into(),
                subscription_count: 12
            },
        ]
    );
    let names: Vec<&str> = webhook.events.iter().map(WebhookEvent::name).collect();
    assert_eq!(
        names,
        [
            "channel_occupied",
            "channel_vacated",
            "member_added",
            "member_removed",
            "client_event",
            "client_event",
            "cache_miss",
            "subscription_count"
        ]
    );
    assert!(webhook.events.iter().all(|e| e.channel().is_some()));
}

#[test]
fn max_age_with_injected_clock() {
    let now_ms = Arc::new(AtomicU64::new(TIME_MS));
    let clock = Arc::clone(&now_ms);
    let pusher = Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .webhook_max_age(Duration::from_secs(600))
        .clock(move || UNIX_EPOCH + Duration::from_millis(clock.load(Ordering::SeqCst)))
        .build()
        .unwrap();
    let body = body();
    let signature = hmac_hex(SECRET, &body);

    now_ms.store(TIME_MS + 600_000, Ordering::SeqCst);
    assert!(
        verify(&pusher, KEY, &signature, &body).is_ok(),
        "exactly at the limit"
    );

    now_ms.store(TIME_MS + 660_000, Ordering::SeqCst);
    let err = verify(&pusher, KEY, &signature, &body).unwrap_err();
    assert_eq!(
        err,
        WebhookError::TooOld {
            age: Duration::from_secs(660),
            max: Duration::from_secs(600)
        }
    );
    assert!(err.is_auth_failure());
    // The generic form checks the age too.
    assert_eq!(
        pusher
            .verify_webhook_as::<Value>(Some(KEY), Some(&signature), &body)
            .unwrap_err(),
        err
    );

    // A time_ms ahead of the local clock (skew) is accepted.
    now_ms.store(TIME_MS - 3_600_000, Ordering::SeqCst);
    assert!(verify(&pusher, KEY, &signature, &body).is_ok());

    // Without a max age, any age is accepted.
    let relaxed = Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .clock(|| UNIX_EPOCH + Duration::from_secs(4_000_000_000))
        .build()
        .unwrap();
    assert!(verify(&relaxed, KEY, &signature, &body).is_ok());

    // With a max age, a caller-defined payload still needs a time_ms.
    let no_time = br#"{"events":[]}"#;
    let err = pusher
        .verify_webhook_as::<Value>(Some(KEY), Some(&hmac_hex(SECRET, no_time)), no_time)
        .unwrap_err();
    assert!(matches!(err, WebhookError::BadPayload(_)), "{err:?}");
}

#[test]
fn generic_payload_type() {
    #[derive(Debug, serde::Deserialize)]
    struct Mine {
        events: Vec<Value>,
    }
    let body = body();
    let mine: Mine = webhook_pusher()
        .verify_webhook_as(Some(KEY), Some(&hmac_hex(SECRET, &body)), &body)
        .unwrap();
    assert_eq!(mine.events[0]["channel"], "room");
    let err = webhook_pusher()
        .verify_webhook_as::<Mine>(Some(KEY), Some(&hmac_hex(SECRET, b"{}")), b"{}")
        .unwrap_err();
    assert!(matches!(err, WebhookError::BadPayload(_)));
    // The signature is checked before T is ever parsed.
    assert_eq!(
        webhook_pusher()
            .verify_webhook_as::<Mine>(Some(KEY), Some(&hmac_hex(SECRET, b"x")), &body)
            .unwrap_err(),
        WebhookError::InvalidSignature
    );
}

#[test]
fn errors_never_reveal_secret_or_expected_signature() {
    let body = body();
    let expected = hmac_hex(SECRET, &body);
    let pusher = Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .webhook_max_age(Duration::from_secs(1))
        .build()
        .unwrap();
    let errors = [
        pusher.verify_webhook(None, Some(&expected), &body),
        pusher.verify_webhook(Some(KEY), None, &body),
        pusher.verify_webhook(Some("x"), Some(&expected), &body),
        pusher.verify_webhook(Some(KEY), Some("zz"), &body),
        pusher.verify_webhook(Some(KEY), Some(&"0".repeat(64)), &body),
        pusher.verify_webhook(Some(KEY), Some(&expected), &body),
        pusher.verify_webhook(Some(KEY), Some(&hmac_hex(SECRET, b"x")), b"x"),
    ];
    for result in errors {
        let err = result.unwrap_err();
        for text in [
            err.to_string(),
            format!("{err:?}"),
            Error::from(err.clone()).to_string(),
        ] {
            assert!(!text.contains(SECRET), "{text}");
            assert!(!text.contains(&expected), "{text}");
        }
    }
}

#[test]
fn webhook_error_converts_into_error() {
    fn handler(pusher: &Pusher) -> Result<Webhook, Error> {
        Ok(pusher.verify_webhook(None, None, b"")?)
    }
    assert!(matches!(
        handler(&pusher()),
        Err(Error::Webhook(WebhookError::MissingKey))
    ));
}

#[test]
fn signing_helpers_match_pusher() {
    let body = body();
    assert_eq!(sign_webhook(SECRET, &body), hmac_hex(SECRET, &body));
    let signed = pusher().sign_webhook(&body);
    assert_eq!(signed.key, KEY);
    assert_eq!(signed.signature, hmac_hex(SECRET, &body));
    assert_eq!(
        signed.headers(),
        [
            (WEBHOOK_KEY_HEADER, KEY),
            (WEBHOOK_SIGNATURE_HEADER, signed.signature.as_str())
        ]
    );
    assert_eq!(WEBHOOK_KEY_HEADER, "X-Pusher-Key");
    assert_eq!(WEBHOOK_SIGNATURE_HEADER, "X-Pusher-Signature");
    // A webhook serialised from the parsed form verifies and parses back the same.
    let webhook = verify(&pusher(), KEY, &signed.signature, &body).unwrap();
    let again = serde_json::to_vec(&webhook).unwrap();
    let signed = pusher().sign_webhook(&again);
    assert_eq!(
        verify(&pusher(), &signed.key, &signed.signature, &again).unwrap(),
        webhook
    );
}

/// Seals `plaintext` for `channel` the way pusher-js / the SDKs do, without the crate.
fn seal(channel: &str, plaintext: &str, nonce: [u8; 24]) -> String {
    let key = channel_key(channel);
    let cipher = XSalsa20Poly1305::new(Key::from_slice(&key));
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
        .unwrap();
    json!({"nonce": STANDARD.encode(nonce), "ciphertext": STANDARD.encode(ciphertext)}).to_string()
}

fn client_event_body(channel: &str, data: &str) -> Vec<u8> {
    json!({
        "time_ms": TIME_MS,
        "events": [{
            "name": "client_event",
            "channel": channel,
            "event": "client-secret",
            "data": data,
            "socket_id": "1.2",
        }]
    })
    .to_string()
    .into_bytes()
}

#[test]
fn encrypted_client_event_decrypts() {
    let channel = "private-encrypted-room";
    let plaintext = r#"{"message":"hello ✓"}"#;
    let data = seal(channel, plaintext, [9u8; 24]);
    let body = client_event_body(channel, &data);
    let encrypted = encrypted_pusher();
    let webhook = verify(&encrypted, KEY, &hmac_hex(SECRET, &body), &body).unwrap();
    let event = &webhook.events[0];
    assert!(matches!(event, WebhookEvent::ClientEvent { data: d, .. } if *d == data));
    assert_eq!(encrypted.decrypt_client_event(event).unwrap(), plaintext);

    // Without a master key.
    assert!(matches!(
        pusher().decrypt_client_event(event),
        Err(Error::Crypto(CryptoError::NoMasterKey))
    ));
    // Sealed for another channel: does not authenticate.
    let other = seal("private-encrypted-other", plaintext, [9u8; 24]);
    let event = WebhookEvent::ClientEvent {
        channel: channel.into(),
        event: "client-secret".into(),
        data: other,
        socket_id: None,
        user_id: None,
    };
    assert!(matches!(
        encrypted.decrypt_client_event(&event),
        Err(Error::Crypto(CryptoError::Decrypt))
    ));
    // Not an encrypted payload at all.
    let event = WebhookEvent::ClientEvent {
        channel: channel.into(),
        event: "client-secret".into(),
        data: "plain".into(),
        socket_id: None,
        user_id: None,
    };
    assert!(matches!(
        encrypted.decrypt_client_event(&event),
        Err(Error::Crypto(CryptoError::Malformed(_)))
    ));
}

#[test]
fn decrypt_client_event_on_other_channels_and_events() {
    let pusher = encrypted_pusher();
    let event = WebhookEvent::ClientEvent {
        channel: "private-room".into(),
        event: "client-x".into(),
        data: "as sent".into(),
        socket_id: None,
        user_id: None,
    };
    assert_eq!(pusher.decrypt_client_event(&event).unwrap(), "as sent");
    let err = pusher
        .decrypt_client_event(&WebhookEvent::ChannelOccupied {
            channel: "private-encrypted-room".into(),
        })
        .unwrap_err();
    assert_eq!(
        validation(err),
        ValidationError::NotClientEvent {
            name: "channel_occupied".into()
        }
    );
}
