//! Property tests of webhook verification and parsing: arbitrary headers and bodies never
//! panic; correctly signed webhooks of every event kind verify and parse back to what was sent;
//! any change to a signed body, to its signature or to the key is refused.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use pusher_client::{Pusher, Webhook, WebhookError, WebhookEvent, sign_webhook};
use serde_json::{Map, Value};

const KEY: &str = "webhook-key";
const SECRET: &str = "webhook-secret";
const ROTATED_KEY: &str = "rotated-key";
const ROTATED_SECRET: &str = "rotated-secret";
/// "Now" for the client with an age limit: 2023-11-14T22:13:20Z.
const NOW_MS: u64 = 1_700_000_000_000;
const MAX_AGE: Duration = Duration::from_secs(600);

/// The app's own key plus a rotated one; no age limit.
fn pusher() -> Pusher {
    static PUSHER: LazyLock<Pusher> = LazyLock::new(|| {
        Pusher::builder("1", KEY, SECRET)
            .tls(false)
            .webhook_key(ROTATED_KEY, ROTATED_SECRET)
            .build()
            .unwrap()
    });
    PUSHER.clone()
}

/// The same, with a 10-minute age limit and a fixed clock.
fn aged_pusher() -> Pusher {
    static PUSHER: LazyLock<Pusher> = LazyLock::new(|| {
        Pusher::builder("1", KEY, SECRET)
            .tls(false)
            .webhook_key(ROTATED_KEY, ROTATED_SECRET)
            .webhook_max_age(MAX_AGE)
            .clock(|| UNIX_EPOCH + Duration::from_millis(NOW_MS))
            .build()
            .unwrap()
    });
    PUSHER.clone()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

fn any_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// Header values: absent, the real key, anything, or 64 hex digits (well-formed but wrong).
fn key_header() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(KEY.to_owned())),
        Just(Some(ROTATED_KEY.to_owned())),
        any_text(24).prop_map(Some),
    ]
}

fn signature_header() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        any_text(80).prop_map(Some),
        "[0-9a-fA-F]{64}".prop_map(Some),
        "[ \t]{0,2}[0-9a-f]{62,66}[ \t]{0,2}".prop_map(Some),
    ]
}

/// JSON values of any shape (integers only, so they compare equal after a round trip).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any_text(12).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            proptest::collection::btree_map(any_text(8), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const KNOWN: [&str; 7] = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
    "client_event",
    "cache_miss",
    "subscription_count",
];

/// Every kind of event, with arbitrary strings wherever the format allows a string.
fn event() -> impl Strategy<Value = WebhookEvent> {
    let text = || any_text(24);
    prop_oneof![
        text().prop_map(|channel| WebhookEvent::ChannelOccupied { channel }),
        text().prop_map(|channel| WebhookEvent::ChannelVacated { channel }),
        (text(), text())
            .prop_map(|(channel, user_id)| WebhookEvent::MemberAdded { channel, user_id }),
        (text(), text())
            .prop_map(|(channel, user_id)| WebhookEvent::MemberRemoved { channel, user_id }),
        (
            text(),
            text(),
            text(),
            proptest::option::of(text()),
            proptest::option::of(text())
        )
            .prop_map(|(channel, event, data, socket_id, user_id)| {
                WebhookEvent::ClientEvent {
                    channel,
                    event,
                    data,
                    socket_id,
                    user_id,
                }
            }),
        text().prop_map(|channel| WebhookEvent::CacheMiss { channel }),
        (text(), any::<u64>()).prop_map(|(channel, subscription_count)| {
            WebhookEvent::SubscriptionCount {
                channel,
                subscription_count,
            }
        }),
        (
            text().prop_filter("not a known event", |n| !KNOWN.contains(&n.as_str())),
            proptest::collection::btree_map(
                any_text(8).prop_filter("not the name", |k| k != "name"),
                json_value(),
                0..4
            ),
        )
            .prop_map(|(name, fields)| {
                let mut payload: Map<String, Value> = fields.into_iter().collect();
                payload.insert("name".into(), Value::String(name.clone()));
                WebhookEvent::Unknown {
                    name,
                    payload: Value::Object(payload),
                }
            }),
    ]
}

fn webhook() -> impl Strategy<Value = Webhook> {
    (any::<u64>(), proptest::collection::vec(event(), 0..6))
        .prop_map(|(time_ms, events)| Webhook { time_ms, events })
}

/// A signed webhook: the body, and which key/secret pair signed it.
fn signed() -> impl Strategy<Value = (Webhook, Vec<u8>, &'static str, String)> {
    (webhook(), any::<bool>(), any::<bool>()).prop_map(|(webhook, rotated, pretty)| {
        let body = if pretty {
            serde_json::to_vec_pretty(&webhook).unwrap()
        } else {
            serde_json::to_vec(&webhook).unwrap()
        };
        let (key, secret) = if rotated {
            (ROTATED_KEY, ROTATED_SECRET)
        } else {
            (KEY, SECRET)
        };
        let signature = sign_webhook(secret, &body);
        (webhook, body, key, signature)
    })
}

/// A hex digit with a different value from `c` (so not merely a change of case).
fn other_hex_digit(c: char, pick: u8) -> char {
    let value = c.to_digit(16).unwrap();
    let other = (value + 1 + u32::from(pick) % 15) % 16;
    std::char::from_digit(other, 16).unwrap()
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary headers and bodies: never a panic, and never accepted unless the signature
    /// really is the HMAC of the body under the named key's secret.
    #[test]
    fn arbitrary_input_never_panics(
        key in key_header(),
        signature in signature_header(),
        body in prop_oneof![any_bytes(512), json_value().prop_map(|v| v.to_string().into_bytes())],
    ) {
        for pusher in [pusher(), aged_pusher()] {
            let result = pusher.verify_webhook(key.as_deref(), signature.as_deref(), &body);
            let as_value =
                pusher.verify_webhook_as::<Value>(key.as_deref(), signature.as_deref(), &body);
            let headers = pusher.check_webhook_headers(key.as_deref(), signature.as_deref());
            for err in [result.as_ref().err(), as_value.as_ref().err(), headers.as_ref().err()]
                .into_iter()
                .flatten()
            {
                prop_assert!(matches!(err.status(), 400 | 401));
                prop_assert!(!err.to_string().is_empty());
            }
            if result.is_ok() || as_value.is_ok() {
                let secret = if key.as_deref().map(str::trim) == Some(KEY) { SECRET } else { ROTATED_SECRET };
                let expected = sign_webhook(secret, &body);
                prop_assert_eq!(signature.as_deref().unwrap().trim().to_ascii_lowercase(), expected);
            }
        }
    }

    /// A correctly signed body of arbitrary bytes: verification passes, so the only possible
    /// refusals are about the payload (400) or its age — never a panic.
    #[test]
    fn signed_arbitrary_bodies_never_panic(
        body in prop_oneof![
            any_bytes(512),
            json_value().prop_map(|v| v.to_string().into_bytes()),
            (any::<u64>(), json_value()).prop_map(|(t, v)| {
                format!(r#"{{"time_ms":{t},"events":[{v}]}}"#).into_bytes()
            }),
        ],
    ) {
        let signature = sign_webhook(SECRET, &body);
        match pusher().verify_webhook(Some(KEY), Some(&signature), &body) {
            Ok(_) => {}
            Err(e) => prop_assert!(matches!(e, WebhookError::BadPayload(_)), "{:?}", e),
        }
        match aged_pusher().verify_webhook(Some(KEY), Some(&signature), &body) {
            Ok(_) => {}
            Err(e) => prop_assert!(
                matches!(e, WebhookError::BadPayload(_) | WebhookError::TooOld { .. }),
                "{:?}",
                e
            ),
        }
    }

    /// Every kind of event, signed by either key/secret pair, verifies and parses back to what
    /// was sent, with the generic `verify_webhook_as` agreeing.
    #[test]
    fn signed_webhooks_round_trip((webhook, body, key, signature) in signed()) {
        let parsed = pusher().verify_webhook(Some(key), Some(&signature), &body);
        prop_assert_eq!(parsed.as_ref(), Ok(&webhook));
        let as_value: Value = pusher().verify_webhook_as(Some(key), Some(&signature), &body).unwrap();
        prop_assert_eq!(as_value, serde_json::from_slice::<Value>(&body).unwrap());
        // Header values arrive with surrounding whitespace at times.
        let padded = format!(" {signature}\t");
        let padded_key = format!(" {key} ");
        prop_assert!(pusher().verify_webhook(Some(&padded_key), Some(&padded), &body).is_ok());
        // Hex is case-insensitive: the same MAC bytes in upper case are the same signature.
        prop_assert!(pusher()
            .verify_webhook(Some(key), Some(&signature.to_ascii_uppercase()), &body)
            .is_ok());
        // The age limit: accepted within it, refused beyond it.
        let age = NOW_MS.saturating_sub(webhook.time_ms);
        let aged = aged_pusher().verify_webhook(Some(key), Some(&signature), &body);
        if Duration::from_millis(age) > MAX_AGE {
            prop_assert!(matches!(aged, Err(WebhookError::TooOld { .. })), "{:?}", aged);
        } else {
            prop_assert_eq!(aged, Ok(webhook));
        }
    }

    /// Flipping any single bit of a signed body is refused as a bad signature.
    #[test]
    fn any_bit_flip_in_the_body_is_refused(
        (_webhook, body, key, signature) in signed(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let mut tampered = body.clone();
        let i = at.index(tampered.len());
        tampered[i] ^= 1 << bit;
        let result = pusher().verify_webhook(Some(key), Some(&signature), &tampered);
        prop_assert_eq!(result, Err(WebhookError::InvalidSignature));
    }

    /// Adding, removing or replacing bytes anywhere in the body is refused.
    #[test]
    fn any_edit_of_the_body_is_refused(
        (_webhook, body, key, signature) in signed(),
        at in any::<prop::sample::Index>(),
        insert in any_bytes(8),
        remove in 0usize..8,
    ) {
        let i = at.index(body.len() + 1);
        let end = (i + remove).min(body.len());
        let mut edited = body[..i].to_vec();
        edited.extend_from_slice(&insert);
        edited.extend_from_slice(&body[end..]);
        prop_assume!(edited != body);
        let result = pusher().verify_webhook(Some(key), Some(&signature), &edited);
        prop_assert_eq!(result, Err(WebhookError::InvalidSignature));
    }

    /// Changing any hex digit of the signature to another value is refused, as is the right
    /// signature presented under the other key, or a signature cut short or extended.
    #[test]
    fn any_change_to_the_signature_is_refused(
        (_webhook, body, key, signature) in signed(),
        at in 0usize..64,
        pick in any::<u8>(),
        extra in "[0-9a-f]{1,4}",
    ) {
        let mut chars: Vec<char> = signature.chars().collect();
        chars[at] = other_hex_digit(chars[at], pick);
        let changed: String = chars.into_iter().collect();
        prop_assert_eq!(
            pusher().verify_webhook(Some(key), Some(&changed), &body),
            Err(WebhookError::InvalidSignature)
        );
        let other_key = if key == KEY { ROTATED_KEY } else { KEY };
        prop_assert_eq!(
            pusher().verify_webhook(Some(other_key), Some(&signature), &body),
            Err(WebhookError::InvalidSignature)
        );
        prop_assert_eq!(
            pusher().verify_webhook(Some(key), Some(&signature[..at]), &body),
            Err(WebhookError::MalformedSignature)
        );
        prop_assert_eq!(
            pusher().verify_webhook(Some(key), Some(&format!("{signature}{extra}")), &body),
            Err(WebhookError::MalformedSignature)
        );
        prop_assert_eq!(
            pusher().verify_webhook(Some(&format!("{key}x")), Some(&signature), &body),
            Err(WebhookError::UnknownKey)
        );
    }

    /// A signature made with any other secret is refused.
    #[test]
    fn other_secrets_are_refused(
        (_webhook, body, key, _signature) in signed(),
        secret in any_text(24),
    ) {
        prop_assume!(secret != SECRET && secret != ROTATED_SECRET);
        let forged = sign_webhook(&secret, &body);
        prop_assert_eq!(
            pusher().verify_webhook(Some(key), Some(&forged), &body),
            Err(WebhookError::InvalidSignature)
        );
    }
}
