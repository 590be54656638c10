//! Property tests of the auth endpoints' body parsing (`ChannelAuthBody::parse`,
//! `UserAuthRequest::parse`) and of the whole framework-free endpoint
//! (`AuthEndpoint::channel`): arbitrary bytes and content types never panic and are
//! answered 400 with a JSON error; well-formed form, JSON and batch bodies come back exactly as
//! sent, batch order included; and every signature the endpoint hands out is for a well-formed
//! request the application's closure approved.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use hmac::{Hmac, Mac};
use proptest::prelude::*;
use pusher_client::{
    AuthEndpoint, AuthReply, ChannelAuthBody, ChannelAuthRequest, ChannelGrant,
    MAX_BATCH_AUTH_CHANNELS, PresenceMember, Pusher, UserAuthRequest, UserData, UserGrant,
};
use serde_json::{Value, json};
use sha2::Sha256;

const KEY: &str = "prop-key";
const SECRET: &str = "prop-secret";

/// One client for every case (building one is comparatively slow).
fn pusher() -> Pusher {
    static PUSHER: LazyLock<Pusher> = LazyLock::new(|| {
        Pusher::builder("1", KEY, SECRET)
            .tls(false)
            .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .build()
            .unwrap()
    });
    PUSHER.clone()
}

/// 256 cases, and no regression files written into the source tree: each bug these found
/// has an explicit regression test instead.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

/// Any string at all, control characters and non-BMP characters included.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

fn any_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

/// Content types: absent, the accepted ones in any case with parameters, and arbitrary text.
fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        form_content_type().prop_map(Some),
        json_content_type().prop_map(Some),
        any_text(40).prop_map(Some),
        "[a-z]{1,12}/[a-z+.-]{1,16}(; ?[a-z]{1,8}=[A-Za-z0-9-]{0,8})?".prop_map(Some),
    ]
}

/// Randomly cases an ASCII string.
fn recase(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn with_params(essence: &'static str) -> impl Strategy<Value = String> {
    (
        any::<u64>(),
        prop_oneof![
            Just(String::new()),
            Just("; charset=UTF-8".to_owned()),
            Just(";charset=utf-8".to_owned()),
            "; [a-z]{1,8}=[A-Za-z0-9-]{0,8}",
        ],
        "[ \t]{0,2}",
    )
        .prop_map(move |(mask, params, pad)| format!("{pad}{}{params}", recase(essence, mask)))
}

fn form_content_type() -> impl Strategy<Value = String> {
    with_params("application/x-www-form-urlencoded")
}

fn json_content_type() -> impl Strategy<Value = String> {
    with_params("application/json")
}

/// A form key that is none of the names the parser reads, once decoded.
fn extra_key() -> impl Strategy<Value = String> {
    any_text(16).prop_filter("not a field the parser reads", |k| {
        k != "socket_id"
            && k != "channel_name"
            && !(k.starts_with("channel_name[") && k.ends_with(']'))
    })
}

fn extras() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((extra_key(), any_text(16)), 0..4)
}

fn form_body(pairs: &[(String, String)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

/// Form bodies made of the tokens the parser looks for, so that hostile *structure* (huge or
/// odd indices, repeated fields, mixed formats) is explored rather than just random bytes.
fn hostile_form_body() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![
        Just("socket_id".to_owned()),
        Just("channel_name".to_owned()),
        any::<u64>().prop_map(|n| format!("channel_name[{n}]")),
        any::<usize>().prop_map(|n| format!("channel_name[{n}]")),
        Just(format!("channel_name[{}]", usize::MAX)),
        (0usize..120).prop_map(|n| format!("channel_name[{n}]")),
        "channel_name\\[[-+0-9a-z ]{0,24}\\]?",
        "channel_name%5[Bb][0-9]{0,24}%5[Dd]",
        any_text(12),
    ];
    let value = prop_oneof![
        "[0-9]{1,6}\\.[0-9]{1,6}",
        "(private-|presence-|private-encrypted-)?[a-z:;=@,.-]{0,12}",
        any_text(12),
    ];
    proptest::collection::vec((key, value), 0..8).prop_map(|pairs| {
        // Mostly form-encoded, but keys are sometimes pasted raw (unencoded brackets).
        let mut out = String::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            if k.contains('%') {
                out.push_str(k);
            } else {
                out.push_str(&form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>());
            }
            out.push('=');
            out.push_str(&form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>());
        }
        out.into_bytes()
    })
}

/// JSON values of any shape, with the parser's field names likely to appear.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any_text(12).prop_map(Value::from),
        "[0-9]{1,4}\\.[0-9]{1,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("socket_id".to_owned()),
                    Just("channel_name".to_owned()),
                    any_text(8)
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn hostile_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any_bytes(256),
        hostile_form_body(),
        json_value().prop_map(|v| v.to_string().into_bytes()),
    ]
}

/// An error reply must be a 400 with `{"error": "<text>"}`.
fn assert_json_error(reply: &AuthReply) -> Result<(), TestCaseError> {
    prop_assert_eq!(reply.status(), 400);
    let body: Value = serde_json::from_str(reply.body())
        .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {}", reply.body())))?;
    prop_assert!(body["error"].is_string(), "{}", reply.body());
    prop_assert_eq!(body.as_object().map(|o| o.len()), Some(1));
    Ok(())
}

fn hmac_hex(message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

fn socket_id() -> impl Strategy<Value = String> {
    "[0-9]{1,12}\\.[0-9]{1,12}"
}

proptest! {
    #![proptest_config(config())]

    /// Whatever arrives, parsing answers: never a panic, and a refusal is a 400 JSON error.
    #[test]
    fn channel_body_never_panics(content_type in content_type(), body in hostile_body()) {
        match ChannelAuthBody::parse(content_type.as_deref(), &body) {
            Ok(parsed) => {
                prop_assert!(!parsed.channel_names.is_empty());
                prop_assert!(parsed.channel_names.len() <= MAX_BATCH_AUTH_CHANNELS);
                if !parsed.batch {
                    prop_assert_eq!(parsed.channel_names.len(), 1);
                }
                let requests = parsed.requests();
                prop_assert_eq!(requests.len(), parsed.channel_names.len());
                for (request, name) in requests.iter().zip(&parsed.channel_names) {
                    prop_assert_eq!(&request.socket_id, &parsed.socket_id);
                    prop_assert_eq!(&request.channel_name, name);
                }
            }
            Err(reply) => assert_json_error(&reply)?,
        }
    }

    #[test]
    fn user_body_never_panics(content_type in content_type(), body in hostile_body()) {
        if let Err(reply) = UserAuthRequest::parse(content_type.as_deref(), &body) {
            assert_json_error(&reply)?;
        }
    }

    /// A single-channel form body, fields in any order among unknown ones, comes back exactly
    /// (any strings: validation is not the parser's job).
    #[test]
    fn form_single_round_trips(
        content_type in prop_oneof![Just(None), form_content_type().prop_map(Some)],
        socket_id in any_text(24),
        channel in any_text(24),
        extra in extras(),
        order in any::<u64>(),
    ) {
        let mut pairs = extra;
        pairs.push(("socket_id".into(), socket_id.clone()));
        pairs.push(("channel_name".into(), channel.clone()));
        rotate(&mut pairs, order);
        let parsed = ChannelAuthBody::parse(content_type.as_deref(), &form_body(&pairs))
            .map_err(|r| TestCaseError::fail(r.into_body()))?;
        prop_assert_eq!(parsed, ChannelAuthBody {
            socket_id,
            channel_names: vec![channel],
            batch: false,
        });
    }

    /// A batch form body (`channel_name[N]`, indices increasing with gaps, fields shuffled,
    /// brackets encoded or not) comes back in index order.
    #[test]
    fn form_batch_round_trips(
        socket_id in any_text(24),
        channels in proptest::collection::vec(any_text(20), 1..=MAX_BATCH_AUTH_CHANNELS),
        gaps in proptest::collection::vec(0usize..3, MAX_BATCH_AUTH_CHANNELS),
        extra in extras(),
        raw_brackets in any::<bool>(),
        order in any::<u64>(),
    ) {
        // A batch names each channel once (a repeated one is refused, tested below).
        let channels = distinct(channels);
        // Indices increase from 0; gaps are allowed as long as every index stays below the
        // batch limit.
        let mut indices = Vec::with_capacity(channels.len());
        let spare = MAX_BATCH_AUTH_CHANNELS - channels.len();
        let mut used = 0;
        let mut next = 0;
        for gap in gaps.iter().take(channels.len()) {
            let gap = (*gap).min(spare - used);
            used += gap;
            next += gap;
            indices.push(next);
            next += 1;
        }
        let mut pairs: Vec<(String, String)> = extra;
        pairs.push(("socket_id".into(), socket_id.clone()));
        for (index, channel) in indices.iter().zip(&channels) {
            pairs.push((format!("channel_name[{index}]"), channel.clone()));
        }
        shuffle(&mut pairs, order);
        let body = if raw_brackets {
            // `channel_name[3]=..` written the way a hand-rolled client would.
            pairs
                .iter()
                .map(|(k, v)| {
                    let k = if k.starts_with("channel_name[") {
                        k.clone()
                    } else {
                        form_urlencoded::byte_serialize(k.as_bytes()).collect()
                    };
                    let v: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
                    format!("{k}={v}")
                })
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes()
        } else {
            form_body(&pairs)
        };
        let parsed = ChannelAuthBody::parse(None, &body)
            .map_err(|r| TestCaseError::fail(r.into_body()))?;
        prop_assert_eq!(parsed, ChannelAuthBody { socket_id, channel_names: channels, batch: true });
    }

    /// JSON bodies, single and batch, with unknown fields of any shape, come back exactly.
    #[test]
    fn json_round_trips(
        content_type in json_content_type(),
        socket_id in any_text(24),
        channels in proptest::collection::vec(any_text(20), 1..=MAX_BATCH_AUTH_CHANNELS),
        batch in any::<bool>(),
        extra in proptest::collection::btree_map(extra_key(), json_value(), 0..3),
    ) {
        let mut object: serde_json::Map<String, Value> = extra.into_iter().collect();
        object.insert("socket_id".into(), json!(socket_id));
        let channels = if batch { distinct(channels) } else { channels[..1].to_vec() };
        object.insert(
            "channel_name".into(),
            if batch { json!(channels) } else { json!(channels[0]) },
        );
        let body = Value::Object(object).to_string();
        let parsed = ChannelAuthBody::parse(Some(&content_type), body.as_bytes())
            .map_err(|r| TestCaseError::fail(r.into_body()))?;
        prop_assert_eq!(parsed, ChannelAuthBody { socket_id, channel_names: channels, batch });
    }

    /// A batch naming one channel twice is refused with a 400, in either format: its answer
    /// has one entry per channel, so one decision would be silently dropped.
    #[test]
    fn repeated_channels_refused(
        channels in proptest::collection::vec(any_text(20), 1..20),
        pick in any::<proptest::sample::Index>(),
        json in any::<bool>(),
    ) {
        let mut channels = distinct(channels);
        let repeated = channels[pick.index(channels.len())].clone();
        channels.push(repeated);
        let (content_type, body) = if json {
            ("application/json", json!({"socket_id": "1.2", "channel_name": channels}).to_string())
        } else {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("socket_id", "1.2");
            for (i, channel) in channels.iter().enumerate() {
                form.append_pair(&format!("channel_name[{i}]"), channel);
            }
            ("application/x-www-form-urlencoded", form.finish())
        };
        let refused = ChannelAuthBody::parse(Some(content_type), body.as_bytes())
            .expect_err("a repeated channel is refused");
        prop_assert_eq!(refused.status(), 400);
    }

    /// A batch longer than the limit is refused, in either format.
    #[test]
    fn oversized_batches_refused(extra in 1usize..50, json in any::<bool>()) {
        let channels: Vec<String> = (0..MAX_BATCH_AUTH_CHANNELS + extra)
            .map(|i| format!("private-{i}"))
            .collect();
        let reply = if json {
            let body = json!({"socket_id": "1.2", "channel_name": channels}).to_string();
            ChannelAuthBody::parse(Some("application/json"), body.as_bytes()).unwrap_err()
        } else {
            let mut pairs = vec![("socket_id".to_owned(), "1.2".to_owned())];
            for (i, c) in channels.iter().enumerate() {
                pairs.push((format!("channel_name[{i}]"), c.clone()));
            }
            ChannelAuthBody::parse(None, &form_body(&pairs)).unwrap_err()
        };
        assert_json_error(&reply)?;
    }

    /// The user sign-in body, form or JSON, gives back the socket id exactly.
    #[test]
    fn user_round_trips(
        socket_id in any_text(24),
        json in any::<bool>(),
        extra in extras(),
        order in any::<u64>(),
    ) {
        let parsed = if json {
            let mut object: serde_json::Map<String, Value> =
                extra.into_iter().map(|(k, v)| (k, json!(v))).collect();
            object.insert("socket_id".into(), json!(socket_id));
            let body = Value::Object(object).to_string();
            UserAuthRequest::parse(Some("application/json"), body.as_bytes())
        } else {
            let mut pairs: Vec<(String, String)> = extra
                .into_iter()
                .filter(|(k, _)| k != "socket_id")
                .collect();
            pairs.push(("socket_id".into(), socket_id.clone()));
            rotate(&mut pairs, order);
            UserAuthRequest::parse(None, &form_body(&pairs))
        };
        let parsed = parsed.map_err(|r| TestCaseError::fail(r.into_body()))?;
        prop_assert_eq!(parsed, UserAuthRequest::new(socket_id));
    }

    /// The whole channel endpoint over hostile bodies: the closure is only ever shown
    /// well-formed requests (a `digits.digits` socket id, a valid non-public channel), and every
    /// signature in the answer is for a channel the closure approved, in the form that channel
    /// needs, recomputed here independently.
    #[test]
    fn endpoint_signs_only_what_was_approved(
        content_type in content_type(),
        body in prop_oneof![hostile_body(), valid_channel_body()],
        approve_mask in any::<u64>(),
    ) {
        let pusher = pusher();
        let shown: RefCell<Vec<ChannelAuthRequest>> = RefCell::new(Vec::new());
        let approved: RefCell<BTreeMap<String, Option<String>>> = RefCell::new(BTreeMap::new());
        let reply = block_on(AuthEndpoint::new(pusher.clone()).channel(
            content_type.as_deref().map(str::as_bytes),
            &body,
            || async { Ok(|request: ChannelAuthRequest| {
                let i = shown.borrow().len();
                shown.borrow_mut().push(request.clone());
                let allow = approve_mask >> (i % 64) & 1 == 1;
                let grant = match (allow, request.channel_name.starts_with("presence-")) {
                    (false, _) => ChannelGrant::Deny,
                    (true, false) => ChannelGrant::Allow,
                    (true, true) => ChannelGrant::Presence(PresenceMember::new(format!("u{i}"))),
                };
                if allow {
                    let member = request
                        .channel_name
                        .starts_with("presence-")
                        .then(|| format!("u{i}"));
                    approved.borrow_mut().insert(request.channel_name.clone(), member);
                }
                std::future::ready(Ok::<_, std::convert::Infallible>(grant))
            }) },
        ))
        .unwrap();
        for request in shown.borrow().iter() {
            prop_assert!(AuthEndpoint::new(pusher.clone()).check_channel(request).is_ok(), "{:?}", request);
        }
        prop_assert!(matches!(reply.status(), 200 | 400 | 403), "{}", reply.status());
        let answer: Value = serde_json::from_str(reply.body()).unwrap();
        let socket = shown.borrow().first().map(|r| r.socket_id.clone());
        let check_grant = |channel: &str, data: &Value| -> Result<(), TestCaseError> {
            let approved = approved.borrow();
            let member = approved.get(channel);
            prop_assert!(member.is_some(), "signed {} without approval", channel);
            let socket = socket.clone().unwrap();
            let auth = data["auth"].as_str().unwrap();
            let expected = match member.unwrap() {
                Some(user) => {
                    let channel_data = data["channel_data"].as_str().unwrap();
                    prop_assert_eq!(
                        serde_json::from_str::<Value>(channel_data).unwrap(),
                        json!({"user_id": user})
                    );
                    hmac_hex(format!("{socket}:{channel}:{channel_data}").as_bytes())
                }
                None => {
                    prop_assert!(data.get("channel_data").is_none());
                    hmac_hex(format!("{socket}:{channel}").as_bytes())
                }
            };
            prop_assert_eq!(auth, format!("{KEY}:{expected}"));
            prop_assert_eq!(
                data.get("shared_secret").is_some(),
                channel.starts_with("private-encrypted-")
            );
            Ok(())
        };
        match reply.status() {
            200 if answer.get("auth").is_some() => {
                let channel = shown.borrow().last().unwrap().channel_name.clone();
                check_grant(&channel, &answer)?;
            }
            200 => {
                for (channel, entry) in answer.as_object().unwrap() {
                    match entry.get("data") {
                        Some(data) => {
                            prop_assert_eq!(&entry["status"], 200);
                            check_grant(channel, data)?;
                        }
                        None => {
                            prop_assert!(matches!(entry["status"].as_u64(), Some(400 | 403 | 500)));
                            prop_assert_eq!(entry.as_object().unwrap().len(), 1);
                        }
                    }
                }
            }
            _ => {
                prop_assert!(answer.get("auth").is_none());
                prop_assert!(!reply.body().contains("shared_secret"));
            }
        }
    }

    /// The user endpoint signs only well-formed requests that the closure allowed.
    #[test]
    fn user_endpoint_signs_only_what_was_approved(
        content_type in content_type(),
        body in prop_oneof![
            hostile_body(),
            socket_id().prop_map(|s| format!("socket_id={s}").into_bytes()),
        ],
        allow in any::<bool>(),
    ) {
        let pusher = pusher();
        let shown: RefCell<Vec<UserAuthRequest>> = RefCell::new(Vec::new());
        let reply = block_on(AuthEndpoint::new(pusher.clone()).user(
            content_type.as_deref().map(str::as_bytes),
            &body,
            |request: UserAuthRequest| {
                shown.borrow_mut().push(request);
                let grant = if allow { UserGrant::Allow(UserData::new("ada")) } else { UserGrant::Deny };
                std::future::ready(Ok::<_, std::convert::Infallible>(grant))
            },
        ))
        .unwrap();
        let shown = shown.borrow();
        prop_assert!(shown.len() <= 1);
        for request in shown.iter() {
            prop_assert!(AuthEndpoint::new(pusher.clone()).check_user(request).is_ok(), "{:?}", request);
        }
        match (reply.status(), shown.first()) {
            (200, Some(request)) => {
                prop_assert!(allow);
                let answer: Value = serde_json::from_str(reply.body()).unwrap();
                let user_data = answer["user_data"].as_str().unwrap();
                let expected =
                    hmac_hex(format!("{}::user::{user_data}", request.socket_id).as_bytes());
                prop_assert_eq!(answer["auth"].as_str().unwrap(), format!("{KEY}:{expected}"));
            }
            (403, Some(_)) => prop_assert!(!allow),
            (400, None) => {}
            (status, request) => {
                return Err(TestCaseError::fail(format!("{status} after {request:?}")));
            }
        }
    }
}

/// Well-formed channel bodies (single or batch, any kind of channel, some malformed entries).
fn valid_channel_body() -> impl Strategy<Value = Vec<u8>> {
    let channel = prop_oneof![
        "(private-|presence-|private-encrypted-)[A-Za-z0-9_=@,.;-]{1,20}",
        "[a-z]{1,8}",
        "private-[a-z]{1,4}:[a-z]{1,4}",
    ];
    (
        socket_id(),
        proptest::collection::vec(channel, 1..6),
        any::<bool>(),
    )
        .prop_map(|(socket, channels, batch)| {
            let mut pairs = vec![("socket_id".to_owned(), socket)];
            if batch {
                for (i, c) in channels.into_iter().enumerate() {
                    pairs.push((format!("channel_name[{i}]"), c));
                }
            } else {
                pairs.push(("channel_name".to_owned(), channels[0].clone()));
            }
            form_body(&pairs)
        })
}

/// Moves the fields around by a random amount.
fn rotate<T>(items: &mut [T], by: u64) {
    if !items.is_empty() {
        let len = items.len();
        items.rotate_left((by % len as u64) as usize);
    }
}

/// A deterministic shuffle driven by `seed`.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}

/// Runs a future that never waits on I/O to completion.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// The channels in their first-seen order, each once.
fn distinct(channels: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    channels
        .into_iter()
        .filter(|c| seen.insert(c.clone()))
        .collect()
}
