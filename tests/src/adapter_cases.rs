//! One table of HTTP cases that the axum and the actix adapters must answer identically.
//!
//! Both adapters' test suites build the same *reference app* (described below) in their own
//! framework, send every [`HttpCase`] of [`cases`] to it, and call [`HttpCase::check`] on the
//! answer. Because the table is shared, the two crates cannot drift apart.
//!
//! The reference app:
//! - its `Pusher` is [`reference_pusher`] (Pusher's documented key and secret, a master key);
//! - `POST /pusher/auth`: the channel resolver reads the `x-user-id` header. No header → deny;
//!   a channel starting `private-forbidden` → deny; the header `x-fail: 1` → the resolver's
//!   own error, answered `418` with the body `teapot`; a `presence-` channel → the member
//!   `{"user_id": <id>, "user_info": {"name": <id>}}`; any other channel → allow. It counts its
//!   calls, so a test can show that malformed input never reaches it;
//! - `POST /pusher/user-auth`: no `x-user-id` → deny; otherwise the user
//!   `{"id": <id>, "user_info": {"name": <id>}}`;
//! - both authorization routes under a body limit of [`AUTH_BODY_LIMIT`] bytes;
//! - `POST /webhooks`: `VerifiedWebhook<Webhook>`, answering `200` with `{"events": <count>}`,
//!   under a body limit of [`WEBHOOK_BODY_LIMIT`] bytes.
//!
//! Header values are raw bytes, so a case can send one that is not text (a non-ASCII
//! `Content-Type` parameter, say) and both adapters must still answer it alike.

use hmac::{Hmac, Mac};
use pusher_client::Pusher;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Pusher's documented key, used by the reference app.
pub const DOCS_KEY: &str = "278d425bdf160c739803";
/// Pusher's documented secret, used by the reference app.
pub const DOCS_SECRET: &str = "7ad3773142a6692b25b8";
/// The reference app's encryption master key (bytes 0..32, base64).
pub const MASTER_KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A second key/secret pair the reference app accepts webhooks from (rotation).
pub const ROTATED_KEY: &str = "rotated-key";
/// The secret of [`ROTATED_KEY`].
pub const ROTATED_SECRET: &str = "rotated-secret";
/// The reference app's webhook body limit, in bytes.
pub const WEBHOOK_BODY_LIMIT: usize = 16 * 1024;
/// The reference app's body limit on its authorization routes, in bytes.
pub const AUTH_BODY_LIMIT: usize = 8 * 1024;
/// The 400 body for a `Content-Type` header that is not visible ASCII text.
pub const INVALID_CONTENT_TYPE: &str =
    r#"{"error":"the Content-Type header is invalid: it is not visible ASCII text"}"#;
/// The 413 body of the authorization routes.
pub const AUTH_TOO_LARGE: &str =
    r#"{"error":"the request body is larger than this server accepts"}"#;
/// The 413 body of a webhook.
pub const WEBHOOK_TOO_LARGE: &str = r#"{"error":"body too large"}"#;
/// Status and body the reference resolver's own error maps to.
pub const RESOLVER_ERROR: (u16, &str) = (418, "teapot");

/// The reference app's client.
pub fn reference_pusher() -> Pusher {
    Pusher::builder("3", DOCS_KEY, DOCS_SECRET)
        .encryption_master_key_base64(MASTER_KEY_B64)
        .webhook_key(ROTATED_KEY, ROTATED_SECRET)
        .build()
        .expect("the reference client builds")
}

/// What the answer's body must be.
#[derive(Debug, Clone)]
pub enum Check {
    /// Only the status matters.
    StatusOnly,
    /// A JSON `{"error": ..}` object (any message).
    JsonError,
    /// Exactly this body text.
    Text(&'static str),
    /// Exactly this JSON value.
    Json(Value),
    /// `{auth}` for a private channel, its signature recomputed here.
    Private {
        /// The socket id signed.
        socket_id: &'static str,
        /// The channel signed.
        channel: &'static str,
    },
    /// `{auth, channel_data}` for a presence channel as the reference resolver answers it.
    Presence {
        /// The socket id signed.
        socket_id: &'static str,
        /// The channel signed.
        channel: &'static str,
        /// The user id the resolver was given.
        user_id: &'static str,
    },
    /// `{auth, shared_secret}` for an encrypted channel.
    Encrypted {
        /// The socket id signed.
        socket_id: &'static str,
        /// The channel signed.
        channel: &'static str,
    },
    /// `{auth, user_data}` for a user sign-in as the reference resolver answers it.
    User {
        /// The socket id signed.
        socket_id: &'static str,
        /// The user id the resolver was given.
        user_id: &'static str,
    },
    /// A batch answer: granted channels carry `{"status":200,"data":{auth..}}` (private only
    /// here), the others exactly `{"status": n}`.
    Batch {
        /// The socket id signed.
        socket_id: &'static str,
        /// Private channels that must be granted.
        granted: Vec<&'static str>,
        /// Channels and the status they must carry.
        refused: Vec<(&'static str, u16)>,
    },
}

/// One request and the answer both adapters must give.
#[derive(Debug, Clone)]
pub struct HttpCase {
    /// A short unique name, printed on failure.
    pub name: &'static str,
    /// The path (always a POST).
    pub path: &'static str,
    /// Headers to send (content type included), each value as its raw bytes.
    pub headers: Vec<(&'static str, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
    /// The status expected.
    pub status: u16,
    /// What the body must be.
    pub check: Check,
    /// Whether the channel resolver may be called for this request.
    pub reaches_resolver: bool,
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn auth(
    name: &'static str,
    content_type: &str,
    user: Option<&str>,
    body: &str,
    status: u16,
    check: Check,
    reaches_resolver: bool,
) -> HttpCase {
    let mut headers = vec![("content-type", content_type.as_bytes().to_vec())];
    if let Some(user) = user {
        headers.push(("x-user-id", user.as_bytes().to_vec()));
    }
    HttpCase {
        name,
        path: "/pusher/auth",
        headers,
        body: body.as_bytes().to_vec(),
        status,
        check,
        reaches_resolver,
    }
}

fn user_auth(
    name: &'static str,
    user: Option<&str>,
    body: &str,
    status: u16,
    check: Check,
) -> HttpCase {
    let mut case = auth(name, FORM, user, body, status, check, false);
    case.path = "/pusher/user-auth";
    case
}

fn webhook(
    name: &'static str,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
    status: u16,
    check: Check,
) -> HttpCase {
    let mut all = vec![("content-type", JSON.as_bytes().to_vec())];
    all.extend(headers);
    HttpCase {
        name,
        path: "/webhooks",
        headers: all,
        body,
        status,
        check,
        reaches_resolver: false,
    }
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn webhook_body(events: usize, pad: usize) -> Vec<u8> {
    let events: Vec<Value> = (0..events)
        .map(|i| json!({"name": "channel_occupied", "channel": format!("c{i}")}))
        .collect();
    let mut value = json!({"time_ms": 1_700_000_000_000u64, "events": events});
    if pad > 0 {
        value["padding"] = json!("x".repeat(pad));
    }
    serde_json::to_vec(&value).expect("json")
}

/// Every case, in a stable order.
pub fn cases() -> Vec<HttpCase> {
    let s = "1234.1234";
    let good = webhook_body(2, 0);
    let good_sig = sign(DOCS_SECRET, &good);
    let mut tampered = good.clone();
    if let Some(b) = tampered.iter_mut().find(|b| **b == b'c') {
        *b = b'd';
    }
    let big = webhook_body(1, WEBHOOK_BODY_LIMIT + 1);
    let big_sig = sign(DOCS_SECRET, &big);
    let bad_json = b"{\"time_ms\": 1, \"events\": [".to_vec();
    let bad_json_sig = sign(DOCS_SECRET, &bad_json);
    let key = |k: &str| ("x-pusher-key", k.as_bytes().to_vec());
    let sig = |v: &str| ("x-pusher-signature", v.as_bytes().to_vec());
    let error = |text: &str| Check::Json(json!({ "error": text }));
    let exact = |body: &str| Check::Json(serde_json::from_str(body).expect("a JSON constant"));
    // A valid form body padded with an unknown field to `len` bytes.
    let padded =
        |body: &str, len: usize| format!("{body}&pad={}", "x".repeat(len - body.len() - 5));
    // The same, with this raw `Content-Type`.
    let with_content_type = |mut case: HttpCase, value: &[u8]| {
        case.headers[0] = ("content-type", value.to_vec());
        case
    };
    // The same, announcing a `Content-Length` far over the limit (the body is small).
    let announcing = |mut case: HttpCase, len: usize| {
        case.headers
            .push(("content-length", len.to_string().into_bytes()));
        case
    };

    vec![
        // Channel authorization: answers.
        auth(
            "private form",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name=private-foobar",
            200,
            Check::Private {
                socket_id: s,
                channel: "private-foobar",
            },
            true,
        ),
        auth(
            "private form, charset and unknown fields",
            "application/x-www-form-urlencoded; charset=UTF-8",
            Some("ada"),
            "team=blue&socket_id=1234.1234&channel_name=private-foobar&x=1",
            200,
            Check::Private {
                socket_id: s,
                channel: "private-foobar",
            },
            true,
        ),
        auth(
            "private json",
            JSON,
            Some("ada"),
            r#"{"socket_id":"1234.1234","channel_name":"private-foobar","extra":{"a":1}}"#,
            200,
            Check::Private {
                socket_id: s,
                channel: "private-foobar",
            },
            true,
        ),
        auth(
            "presence",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name=presence-room",
            200,
            Check::Presence {
                socket_id: s,
                channel: "presence-room",
                user_id: "ada",
            },
            true,
        ),
        auth(
            "encrypted",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name=private-encrypted-inbox",
            200,
            Check::Encrypted {
                socket_id: s,
                channel: "private-encrypted-inbox",
            },
            true,
        ),
        // Denials and the resolver's own error.
        auth(
            "no user is denied",
            FORM,
            None,
            "socket_id=1234.1234&channel_name=private-foobar",
            403,
            Check::JsonError,
            true,
        ),
        auth(
            "forbidden channel is denied",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name=private-forbidden-x",
            403,
            Check::JsonError,
            true,
        ),
        {
            let mut c = auth(
                "resolver error becomes its response",
                FORM,
                Some("ada"),
                "socket_id=1234.1234&channel_name=private-foobar",
                RESOLVER_ERROR.0,
                Check::Text(RESOLVER_ERROR.1),
                true,
            );
            c.headers.push(("x-fail", b"1".to_vec()));
            c
        },
        // Malformed input: 400, and the resolver is never asked.
        auth(
            "socket id with colon",
            FORM,
            Some("ada"),
            "socket_id=1234.1234%3Aprivate-x&channel_name=private-foobar",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "socket id not digits",
            FORM,
            Some("ada"),
            "socket_id=abc&channel_name=private-foobar",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "channel with colon",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name=private-a%3Ab",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "public channel",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name=lobby",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "missing channel",
            FORM,
            Some("ada"),
            "socket_id=1234.1234",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "missing socket id",
            FORM,
            Some("ada"),
            "channel_name=private-foobar",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "json not an object",
            JSON,
            Some("ada"),
            "[1,2]",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "json broken",
            JSON,
            Some("ada"),
            "{\"socket_id\":",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "unsupported content type",
            "text/plain",
            Some("ada"),
            "socket_id=1234.1234&channel_name=private-foobar",
            400,
            Check::JsonError,
            false,
        ),
        // A `Content-Type` that is not visible ASCII: the same 400 from every adapter, decided
        // by the core from the raw bytes.
        with_content_type(
            auth(
                "content type with a non-ASCII parameter",
                FORM,
                Some("ada"),
                "socket_id=1234.1234&channel_name=private-foobar",
                400,
                exact(INVALID_CONTENT_TYPE),
                false,
            ),
            b"application/x-www-form-urlencoded; charset=\xe9",
        ),
        with_content_type(
            auth(
                "content type with UTF-8 text",
                FORM,
                Some("ada"),
                "socket_id=1234.1234&channel_name=private-foobar",
                400,
                exact(INVALID_CONTENT_TYPE),
                false,
            ),
            "application/x-www-form-urlencoded; charset=\u{e9}t\u{e9}".as_bytes(),
        ),
        with_content_type(
            user_auth(
                "user sign-in content type not ASCII",
                Some("ada"),
                "socket_id=1234.1234",
                400,
                exact(INVALID_CONTENT_TYPE),
            ),
            b"application/x-www-form-urlencoded; x=\xff",
        ),
        // Bodies over the limit: the same JSON 413 from every adapter, also when only the
        // `Content-Length` says so.
        auth(
            "body over the auth limit",
            FORM,
            Some("ada"),
            &padded(
                "socket_id=1234.1234&channel_name=private-foobar",
                AUTH_BODY_LIMIT + 1,
            ),
            413,
            exact(AUTH_TOO_LARGE),
            false,
        ),
        auth(
            "body at the auth limit",
            FORM,
            Some("ada"),
            &padded(
                "socket_id=1234.1234&channel_name=private-foobar",
                AUTH_BODY_LIMIT,
            ),
            200,
            Check::Private {
                socket_id: s,
                channel: "private-foobar",
            },
            true,
        ),
        announcing(
            auth(
                "content length over the auth limit",
                FORM,
                Some("ada"),
                "socket_id=1234.1234&channel_name=private-foobar",
                413,
                exact(AUTH_TOO_LARGE),
                false,
            ),
            AUTH_BODY_LIMIT * 100,
        ),
        with_content_type(
            auth(
                "body over the limit and content type not ASCII",
                FORM,
                Some("ada"),
                &padded(
                    "socket_id=1234.1234&channel_name=private-foobar",
                    AUTH_BODY_LIMIT + 1,
                ),
                413,
                exact(AUTH_TOO_LARGE),
                false,
            ),
            b"application/x-www-form-urlencoded; charset=\xe9",
        ),
        user_auth(
            "user sign-in body over the limit",
            Some("ada"),
            &padded("socket_id=1234.1234", AUTH_BODY_LIMIT + 1),
            413,
            exact(AUTH_TOO_LARGE),
        ),
        announcing(
            user_auth(
                "user sign-in content length over the limit",
                Some("ada"),
                "socket_id=1234.1234",
                413,
                exact(AUTH_TOO_LARGE),
            ),
            AUTH_BODY_LIMIT * 100,
        ),
        // Batched authorization (pusher-js-auth plugin format).
        auth(
            "batch mixed",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name%5B0%5D=private-foobar&channel_name%5B1%5D=private-forbidden-1&channel_name%5B2%5D=lobby&channel_name%5B3%5D=private-other",
            200,
            Check::Batch {
                socket_id: s,
                granted: vec!["private-foobar", "private-other"],
                refused: vec![("private-forbidden-1", 403), ("lobby", 400)],
            },
            true,
        ),
        auth(
            "batch json",
            JSON,
            Some("ada"),
            r#"{"socket_id":"1234.1234","channel_name":["private-foobar","private-forbidden"]}"#,
            200,
            Check::Batch {
                socket_id: s,
                granted: vec!["private-foobar"],
                refused: vec![("private-forbidden", 403)],
            },
            true,
        ),
        auth(
            "batch without user",
            FORM,
            None,
            "socket_id=1234.1234&channel_name%5B0%5D=private-a&channel_name%5B1%5D=private-b",
            200,
            Check::Json(json!({"private-a": {"status": 403}, "private-b": {"status": 403}})),
            true,
        ),
        auth(
            "batch bad socket id",
            FORM,
            Some("ada"),
            "socket_id=x&channel_name%5B0%5D=private-a",
            200,
            Check::Json(json!({"private-a": {"status": 400}})),
            false,
        ),
        auth(
            "batch same channel twice",
            FORM,
            Some("ada"),
            "socket_id=1234.1234&channel_name%5B0%5D=private-a&channel_name%5B1%5D=private-b&channel_name%5B2%5D=private-a",
            400,
            Check::JsonError,
            false,
        ),
        auth(
            "batch json same channel twice",
            JSON,
            Some("ada"),
            r#"{"socket_id":"1234.1234","channel_name":["private-a","private-a"]}"#,
            400,
            Check::JsonError,
            false,
        ),
        // User authentication.
        user_auth(
            "user sign-in",
            Some("12345"),
            "socket_id=1234.1234&x=1",
            200,
            Check::User {
                socket_id: s,
                user_id: "12345",
            },
        ),
        user_auth(
            "user sign-in denied",
            None,
            "socket_id=1234.1234",
            403,
            Check::JsonError,
        ),
        user_auth(
            "user sign-in bad socket id",
            Some("ada"),
            "socket_id=1.2%3Ax",
            400,
            Check::JsonError,
        ),
        user_auth(
            "user sign-in no socket id",
            Some("ada"),
            "x=1",
            400,
            Check::JsonError,
        ),
        // A user whose #server-to-user-{id} channel cannot exist could never be reached: the
        // sign-in is refused like malformed input, naming the character.
        user_auth(
            "user sign-in unreachable id",
            Some("ada lovelace"),
            "socket_id=1234.1234",
            400,
            Check::Json(
                json!({"error": "user id \"ada lovelace\" contains ' ': the user's channel #server-to-user-{id} may only hold A-Z a-z 0-9 _ - = @ , . ; so the server would refuse it and the user could never be reached"}),
            ),
        ),
        user_auth(
            "user sign-in id too long for its channel",
            Some(&"u".repeat(149)),
            "socket_id=1234.1234",
            400,
            Check::JsonError,
        ),
        // Webhooks.
        webhook(
            "webhook good",
            vec![key(DOCS_KEY), sig(&good_sig)],
            good.clone(),
            200,
            Check::Json(json!({"events": 2})),
        ),
        webhook(
            "webhook header names any case",
            vec![
                ("X-PUSHER-KEY", DOCS_KEY.into()),
                ("X-Pusher-Signature", good_sig.clone().into_bytes()),
            ],
            good.clone(),
            200,
            Check::Json(json!({"events": 2})),
        ),
        webhook(
            "webhook rotated key",
            vec![key(ROTATED_KEY), sig(&sign(ROTATED_SECRET, &good))],
            good.clone(),
            200,
            Check::Json(json!({"events": 2})),
        ),
        webhook(
            "webhook missing key",
            vec![sig(&good_sig)],
            good.clone(),
            401,
            error("missing X-Pusher-Key header"),
        ),
        webhook(
            // Both adapters read both headers before judging either: the same answer from each.
            "webhook missing key and a non-ASCII signature",
            vec![("x-pusher-signature", b"caf\xe9".to_vec())],
            good.clone(),
            401,
            error("invalid X-Pusher-Signature header"),
        ),
        webhook(
            "webhook missing signature",
            vec![key(DOCS_KEY)],
            good.clone(),
            401,
            error("missing X-Pusher-Signature header"),
        ),
        webhook(
            "webhook unknown key",
            vec![key("someone-else"), sig(&good_sig)],
            good.clone(),
            401,
            error("unknown key"),
        ),
        webhook(
            "webhook wrong signature",
            vec![key(DOCS_KEY), sig(&sign("wrong", &good))],
            good.clone(),
            401,
            error("invalid signature"),
        ),
        webhook(
            "webhook non-hex signature",
            vec![key(DOCS_KEY), sig(&"z".repeat(64))],
            good.clone(),
            401,
            error("malformed signature"),
        ),
        webhook(
            "webhook truncated signature",
            vec![key(DOCS_KEY), sig(&good_sig[..63])],
            good.clone(),
            401,
            error("malformed signature"),
        ),
        webhook(
            "webhook tampered body",
            vec![key(DOCS_KEY), sig(&good_sig)],
            tampered,
            401,
            error("invalid signature"),
        ),
        webhook(
            "webhook bad json",
            vec![key(DOCS_KEY), sig(&bad_json_sig)],
            bad_json,
            400,
            error("malformed body"),
        ),
        webhook(
            "webhook over the body limit",
            vec![key(DOCS_KEY), sig(&big_sig)],
            big,
            413,
            exact(WEBHOOK_TOO_LARGE),
        ),
        announcing(
            webhook(
                "webhook content length over the body limit",
                vec![key(DOCS_KEY), sig(&good_sig)],
                good.clone(),
                413,
                exact(WEBHOOK_TOO_LARGE),
            ),
            WEBHOOK_BODY_LIMIT * 100,
        ),
        announcing(
            webhook(
                "webhook forged headers and a large content length",
                vec![key("someone-else"), sig(&good_sig)],
                good.clone(),
                401,
                error("unknown key"),
            ),
            WEBHOOK_BODY_LIMIT * 100,
        ),
        webhook(
            "webhook key not ASCII",
            vec![("x-pusher-key", b"caf\xe9".to_vec()), sig(&good_sig)],
            good.clone(),
            401,
            error("invalid X-Pusher-Key header"),
        ),
        webhook(
            "webhook key UTF-8 text",
            vec![
                ("x-pusher-key", "caf\u{e9}".as_bytes().to_vec()),
                sig(&good_sig),
            ],
            good.clone(),
            401,
            error("invalid X-Pusher-Key header"),
        ),
        webhook(
            "webhook signature not ASCII",
            vec![key(DOCS_KEY), ("x-pusher-signature", b"\xff".repeat(64))],
            good.clone(),
            401,
            error("invalid X-Pusher-Signature header"),
        ),
    ]
}

impl HttpCase {
    /// Checks an answer against the case; the error says what differs.
    pub fn check(&self, status: u16, body: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(body);
        if status != self.status {
            return Err(format!(
                "{}: status {status}, expected {} (body {text})",
                self.name, self.status
            ));
        }
        let json = || -> Result<Value, String> {
            serde_json::from_slice(body)
                .map_err(|e| format!("{}: body is not JSON ({e}): {text}", self.name))
        };
        let fail = |what: String| Err(format!("{}: {what} (body {text})", self.name));
        match &self.check {
            Check::StatusOnly => Ok(()),
            Check::Text(expected) => {
                if text == *expected {
                    Ok(())
                } else {
                    fail(format!("expected body {expected:?}"))
                }
            }
            Check::JsonError => match json()? {
                Value::Object(map) if map.get("error").is_some_and(Value::is_string) => Ok(()),
                _ => fail("expected {\"error\": ..}".into()),
            },
            Check::Json(expected) => {
                if json()? == *expected {
                    Ok(())
                } else {
                    fail(format!("expected {expected}"))
                }
            }
            Check::Private { socket_id, channel } => {
                let expected = json!({"auth": private_auth(socket_id, channel)});
                if json()? == expected {
                    Ok(())
                } else {
                    fail(format!("expected {expected}"))
                }
            }
            Check::Encrypted { socket_id, channel } => {
                let expected = json!({
                    "auth": private_auth(socket_id, channel),
                    "shared_secret": shared_secret(channel),
                });
                if json()? == expected {
                    Ok(())
                } else {
                    fail(format!("expected {expected}"))
                }
            }
            Check::Presence {
                socket_id,
                channel,
                user_id,
            } => {
                let answer = json()?;
                let data = answer["channel_data"].as_str().unwrap_or_default();
                let parsed: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                if parsed != json!({"user_id": user_id, "user_info": {"name": user_id}}) {
                    return fail(format!("unexpected channel_data {data}"));
                }
                let signed = format!("{socket_id}:{channel}:{data}");
                let expected = format!("{DOCS_KEY}:{}", sign(DOCS_SECRET, signed.as_bytes()));
                if answer["auth"] == expected && answer.as_object().map(|m| m.len()) == Some(2) {
                    Ok(())
                } else {
                    fail(format!("expected auth {expected} over {signed:?}"))
                }
            }
            Check::User { socket_id, user_id } => {
                let answer = json()?;
                let data = answer["user_data"].as_str().unwrap_or_default();
                let parsed: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                if parsed != json!({"id": user_id, "user_info": {"name": user_id}}) {
                    return fail(format!("unexpected user_data {data}"));
                }
                let signed = format!("{socket_id}::user::{data}");
                let expected = format!("{DOCS_KEY}:{}", sign(DOCS_SECRET, signed.as_bytes()));
                if answer["auth"] == expected {
                    Ok(())
                } else {
                    fail(format!("expected auth {expected}"))
                }
            }
            Check::Batch {
                socket_id,
                granted,
                refused,
            } => {
                let answer = json()?;
                let mut expected = serde_json::Map::new();
                for channel in granted {
                    expected.insert(
                        (*channel).to_owned(),
                        json!({"status": 200, "data": {"auth": private_auth(socket_id, channel)}}),
                    );
                }
                for (channel, status) in refused {
                    expected.insert((*channel).to_owned(), json!({"status": status}));
                }
                let expected = Value::Object(expected);
                if answer == expected {
                    Ok(())
                } else {
                    fail(format!("expected {expected}"))
                }
            }
        }
    }
}

/// `KEY:hex(HMAC(secret, socket_id:channel))`, computed independently of the client.
pub fn private_auth(socket_id: &str, channel: &str) -> String {
    format!(
        "{DOCS_KEY}:{}",
        sign(DOCS_SECRET, format!("{socket_id}:{channel}").as_bytes())
    )
}

/// base64(SHA-256(channel ‖ master key)), computed independently of the client.
pub fn shared_secret(channel: &str) -> String {
    use base64::Engine as _;
    let master: Vec<u8> = (0u8..32).collect();
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(&master);
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}
