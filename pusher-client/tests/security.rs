//! Security cases, one explicit test each:
//!
//! - socket ids or channel names carrying `:` (signature injection) are refused by every way of
//!   authorizing: the signing calls, the checks, the replies and the whole endpoints;
//! - a presence answer is only ever signed for a channel the application's closure approved as
//!   presence, and a grant that does not fit its channel is a 500, never a signature;
//! - the encrypted channel's `shared_secret` only ever reaches an approved subscriber;
//! - the app secret, the webhook secrets, the master key and a proxy password never appear in
//!   `Debug`, `Display`, error bodies or `tracing` output, on every error path reachable here;
//! - webhook signatures are compared in constant time.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use pusher_client::{
    AuthEndpoint, AuthReply, ChannelAuthBody, ChannelAuthRequest, ChannelGrant, Error, Limits,
    MasterKey, PresenceMember, Pusher, PusherBuilder, UserAuthRequest, UserData, UserGrant,
    ValidationError, WebhookError, WebhookEvent, sign_webhook,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tracing_subscriber::fmt::MakeWriter;

const KEY: &str = "security-key";
/// Distinctive, so that any appearance of it in a text is a leak.
const SECRET: &str = "Sup3r-S3cret-app-Value-9d1f";
const ROTATED_KEY: &str = "rotated-key";
const ROTATED_SECRET: &str = "R0tated-S3cret-Value-77aa";
/// `security-tests-master-key-32byte`, base64.
const MASTER: &[u8; 32] = b"security-tests-master-key-32byte";
const MASTER_B64: &str = "c2VjdXJpdHktdGVzdHMtbWFzdGVyLWtleS0zMmJ5dGU=";
const PROXY_PASSWORD: &str = "Pr0xy-Pa55word-c0ffee";
/// A master key refused for its length (48 bytes) is still someone's secret.
const WRONG_LENGTH_MASTER: &[u8; 48] = b"a-48-byte-master-key-given-by-mistake-0123456789";
const SOCKET: &str = "1234.1234";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn pusher() -> Pusher {
    Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .encryption_master_key_base64(MASTER_B64)
        .webhook_key(ROTATED_KEY, ROTATED_SECRET)
        .build()
        .unwrap()
}

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// base64(SHA-256(channel ‖ master key)), computed here.
fn shared_secret(channel: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(MASTER);
    STANDARD.encode(hasher.finalize())
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

fn batch_form(socket_id: &str, channels: &[&str]) -> Vec<u8> {
    let keys: Vec<String> = (0..channels.len())
        .map(|i| format!("channel_name[{i}]"))
        .collect();
    let mut pairs = vec![("socket_id", socket_id)];
    pairs.extend(
        keys.iter()
            .map(String::as_str)
            .zip(channels.iter().copied()),
    );
    form(&pairs)
}

fn body_json(reply: &AuthReply) -> Value {
    serde_json::from_str(reply.body()).unwrap()
}

/// Runs the channel endpoint with `decide`, recording which channels it was asked about.
async fn channel_endpoint(
    pusher: &Pusher,
    content_type: &str,
    body: &[u8],
    decide: impl Fn(&ChannelAuthRequest) -> ChannelGrant,
) -> (AuthReply, Vec<String>) {
    let asked = RefCell::new(Vec::new());
    let reply = AuthEndpoint::new(pusher.clone())
        .channel(Some(content_type.as_bytes()), body, || async {
            Ok(|request: ChannelAuthRequest| {
                asked.borrow_mut().push(request.channel_name.clone());
                std::future::ready(Ok::<_, Infallible>(decide(&request)))
            })
        })
        .await
        .unwrap_or_else(|never| match never {});
    (reply, asked.into_inner())
}

async fn user_endpoint(pusher: &Pusher, content_type: &str, body: &[u8]) -> (AuthReply, usize) {
    let asked = RefCell::new(0);
    let reply = AuthEndpoint::new(pusher.clone())
        .user(Some(content_type.as_bytes()), body, |_request| {
            *asked.borrow_mut() += 1;
            std::future::ready(Ok::<_, Infallible>(UserGrant::Allow(UserData::new(
                "admin",
            ))))
        })
        .await
        .unwrap_or_else(|never| match never {});
    (reply, asked.into_inner())
}

fn allow_all(request: &ChannelAuthRequest) -> ChannelGrant {
    if request.channel_name.starts_with("presence-") {
        ChannelGrant::Presence(PresenceMember::new("ada"))
    } else {
        ChannelGrant::Allow
    }
}

// ---- signature injection -------------------------------------------------------------------

/// Socket ids that smuggle a `:` (and so more fields) into the signed string.
const INJECTED_SOCKETS: [&str; 7] = [
    "1234.1234:private-other",
    "1234.1234:",
    ":1234.1234",
    "1234:1234",
    "1234.1234:presence-room",
    "1234.1234::user:",
    "1234.1234::user::{\"id\":\"admin\"}",
];

/// Channel names that do the same from the other side.
const INJECTED_CHANNELS: [&str; 6] = [
    "private-a:b",
    "private-mine:private-other",
    "presence-room:{\"user_id\":\"admin\"}",
    "private-encrypted-a:b",
    "private-:",
    ":user::{\"id\":\"admin\"}",
];

/// Why this matters, concretely: without validation, signing the channel `{"id":"admin"}` for
/// the socket `1234.1234::user:` would sign exactly the string of a user sign-in as `admin` —
/// a channel authorization turned into an authentication. Both halves are refused.
#[test]
fn the_injection_being_prevented_is_real() {
    let forged_channel_string = format!("{}:{}", "1234.1234::user:", r#"{"id":"admin"}"#);
    let real_sign_in_string = format!("{SOCKET}::user::{}", r#"{"id":"admin"}"#);
    assert_eq!(forged_channel_string, real_sign_in_string);
    let sign_in = pusher()
        .authenticate_user(&UserAuthRequest::new(SOCKET), &UserData::new("admin"))
        .unwrap();
    assert_eq!(
        sign_in.auth(),
        format!(
            "{KEY}:{}",
            hmac_hex(SECRET, forged_channel_string.as_bytes())
        )
    );
    let forged = ChannelAuthRequest::new("1234.1234::user:", r#"{"id":"admin"}"#);
    assert!(matches!(
        pusher().authorize_channel(&forged, None),
        Err(Error::Validation(ValidationError::InvalidSocketId { .. }))
    ));
    let channel_only = ChannelAuthRequest::new(SOCKET, r#"private-{"id":"admin"}"#);
    assert!(matches!(
        pusher().authorize_channel(&channel_only, None),
        Err(Error::Validation(
            ValidationError::ChannelNameInvalidChar { .. }
        ))
    ));
}

#[test]
fn injected_socket_ids_refused_by_the_signing_calls() {
    let pusher = pusher();
    let member = PresenceMember::new("ada");
    for socket in INJECTED_SOCKETS {
        for channel in ["private-a", "presence-a", "private-encrypted-a"] {
            let request = ChannelAuthRequest::new(socket, channel);
            let member = channel.starts_with("presence-").then_some(&member);
            let err = pusher.authorize_channel(&request, member).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Validation(ValidationError::InvalidSocketId { .. })
                ),
                "{socket} {channel}: {err:?}"
            );
            assert!(matches!(
                AuthEndpoint::new(pusher.clone()).check_channel(&request),
                Err(ValidationError::InvalidSocketId { .. })
            ));
            for grant in [
                ChannelGrant::Allow,
                ChannelGrant::Presence(PresenceMember::new("ada")),
                ChannelGrant::Deny,
            ] {
                let reply = AuthEndpoint::new(pusher.clone()).channel_reply(&request, grant);
                assert_eq!(reply.status(), 400, "{socket} {channel}");
                assert!(body_json(&reply).get("auth").is_none());
            }
        }
        let request = UserAuthRequest::new(socket);
        let err = pusher
            .authenticate_user(&request, &UserData::new("admin"))
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Validation(ValidationError::InvalidSocketId { .. })
            ),
            "{socket}: {err:?}"
        );
        assert!(
            AuthEndpoint::new(pusher.clone())
                .check_user(&request)
                .is_err()
        );
        let reply = AuthEndpoint::new(pusher.clone())
            .user_reply(&request, UserGrant::Allow(UserData::new("admin")));
        assert_eq!(reply.status(), 400, "{socket}");
        assert!(body_json(&reply).get("auth").is_none());
    }
}

#[test]
fn injected_channel_names_refused_by_the_signing_calls() {
    let pusher = pusher();
    for channel in INJECTED_CHANNELS {
        let request = ChannelAuthRequest::new(SOCKET, channel);
        for member in [None, Some(PresenceMember::new("admin"))] {
            let err = pusher
                .authorize_channel(&request, member.as_ref())
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Validation(ValidationError::ChannelNameInvalidChar { .. })
                ),
                "{channel}: {err:?}"
            );
        }
        assert!(matches!(
            AuthEndpoint::new(pusher.clone()).check_channel(&request),
            Err(ValidationError::ChannelNameInvalidChar { .. })
        ));
        let reply = AuthEndpoint::new(pusher.clone()).channel_reply(&request, ChannelGrant::Allow);
        assert_eq!(reply.status(), 400, "{channel}");
        assert!(body_json(&reply).get("auth").is_none());
    }
}

/// The whole endpoints, form and JSON, single and batch: 400 (or a 400 entry), and the
/// closure is never asked about the forged request.
#[tokio::test(flavor = "current_thread")]
async fn injection_refused_by_the_endpoints_before_the_closure() {
    let pusher = pusher();
    for socket in INJECTED_SOCKETS {
        let single = form(&[("socket_id", socket), ("channel_name", "private-a")]);
        let json = json!({"socket_id": socket, "channel_name": "private-a"}).to_string();
        for (content_type, body) in [(FORM, single), (JSON, json.into_bytes())] {
            let (reply, asked) = channel_endpoint(&pusher, content_type, &body, allow_all).await;
            assert_eq!(reply.status(), 400, "{socket}");
            assert!(body_json(&reply)["error"].is_string());
            assert!(asked.is_empty(), "{socket}: closure asked {asked:?}");
        }
        let (reply, asked) = channel_endpoint(
            &pusher,
            FORM,
            &batch_form(socket, &["private-a", "presence-b"]),
            allow_all,
        )
        .await;
        assert_eq!(
            body_json(&reply),
            json!({"private-a": {"status": 400}, "presence-b": {"status": 400}}),
            "{socket}"
        );
        assert!(asked.is_empty());

        let user_form = form(&[("socket_id", socket)]);
        let user_json = json!({ "socket_id": socket }).to_string();
        for (content_type, body) in [(FORM, user_form), (JSON, user_json.into_bytes())] {
            let (reply, asked) = user_endpoint(&pusher, content_type, &body).await;
            assert_eq!(reply.status(), 400, "{socket}");
            assert!(body_json(&reply).get("auth").is_none());
            assert_eq!(asked, 0, "{socket}");
        }
    }
    for channel in INJECTED_CHANNELS {
        let single = form(&[("socket_id", SOCKET), ("channel_name", channel)]);
        let json = json!({"socket_id": SOCKET, "channel_name": channel}).to_string();
        for (content_type, body) in [(FORM, single), (JSON, json.into_bytes())] {
            let (reply, asked) = channel_endpoint(&pusher, content_type, &body, allow_all).await;
            assert_eq!(reply.status(), 400, "{channel}");
            assert!(asked.is_empty(), "{channel}: closure asked {asked:?}");
        }
        // In a batch the forged entry is 400 and never shown; the honest one is answered.
        let json = json!({"socket_id": SOCKET, "channel_name": [channel, "private-ok"]});
        for (content_type, body) in [
            (FORM, batch_form(SOCKET, &[channel, "private-ok"])),
            (JSON, json.to_string().into_bytes()),
        ] {
            let (reply, asked) = channel_endpoint(&pusher, content_type, &body, allow_all).await;
            let answer = body_json(&reply);
            assert_eq!(answer[channel], json!({"status": 400}), "{channel}");
            assert_eq!(
                answer["private-ok"]["data"]["auth"],
                format!("{KEY}:{}", hmac_hex(SECRET, b"1234.1234:private-ok"))
            );
            assert_eq!(asked, ["private-ok"]);
        }
    }
}

/// Regression: a batch index too large for `usize` arithmetic (`channel_name[2^64-1]`) made
/// the form parser overflow — a panic in debug builds, and in release builds an index past
/// the batch limit slipped through. Found by `proptest_auth_parse`.
#[tokio::test(flavor = "current_thread")]
async fn huge_batch_indices_are_refused() {
    let pusher = pusher();
    for index in [
        usize::MAX.to_string(),
        (usize::MAX - 1).to_string(),
        "99999999999999999999999".to_owned(),
    ] {
        let key = format!("channel_name[{index}]");
        let body = form(&[("socket_id", SOCKET), (&key, "private-a")]);
        let reply = ChannelAuthBody::parse(None, &body).unwrap_err();
        assert_eq!(reply.status(), 400, "{index}");
        let (reply, asked) = channel_endpoint(&pusher, FORM, &body, allow_all).await;
        assert_eq!(reply.status(), 400, "{index}");
        assert!(asked.is_empty());
    }
}

// ---- presence answers only for approved channels -------------------------------------------

/// Approves `presence-a` as member `ada`; denies everything else.
fn only_presence_a(request: &ChannelAuthRequest) -> ChannelGrant {
    if request.channel_name == "presence-a" {
        ChannelGrant::Presence(PresenceMember::new("ada"))
    } else {
        ChannelGrant::Deny
    }
}

fn assert_presence_a(data: &Value) {
    let channel_data = data["channel_data"].as_str().unwrap();
    assert_eq!(channel_data, r#"{"user_id":"ada"}"#);
    assert_eq!(
        data["auth"],
        format!(
            "{KEY}:{}",
            hmac_hex(
                SECRET,
                format!("{SOCKET}:presence-a:{channel_data}").as_bytes()
            )
        )
    );
}

#[tokio::test(flavor = "current_thread")]
async fn presence_is_signed_only_for_the_approved_channel() {
    let pusher = pusher();
    let json = json!({"socket_id": SOCKET, "channel_name": ["presence-a", "presence-b"]});
    for (content_type, body) in [
        (FORM, batch_form(SOCKET, &["presence-a", "presence-b"])),
        (JSON, json.to_string().into_bytes()),
    ] {
        let (reply, asked) = channel_endpoint(&pusher, content_type, &body, only_presence_a).await;
        assert_eq!(reply.status(), 200);
        let answer = body_json(&reply);
        assert_eq!(answer["presence-a"]["status"], 200);
        assert_presence_a(&answer["presence-a"]["data"]);
        assert_eq!(answer["presence-b"], json!({"status": 403}));
        assert_eq!(answer.as_object().unwrap().len(), 2);
        assert_eq!(asked, ["presence-a", "presence-b"]);
    }
    // Alone, the unapproved channel is a plain 403.
    let body = form(&[("socket_id", SOCKET), ("channel_name", "presence-b")]);
    let (reply, _) = channel_endpoint(&pusher, FORM, &body, only_presence_a).await;
    assert_eq!(reply.status(), 403);
    assert_eq!(reply.body(), r#"{"error":"forbidden"}"#);
    // And the approved one alone carries exactly its own answer.
    let body = form(&[("socket_id", SOCKET), ("channel_name", "presence-a")]);
    let (reply, _) = channel_endpoint(&pusher, FORM, &body, only_presence_a).await;
    assert_eq!(reply.status(), 200);
    assert_presence_a(&body_json(&reply));
}

/// A closure that returns a grant not fitting the channel gets a 500, never a signature:
/// a member for a private or encrypted channel, a plain allow for a presence channel.
#[tokio::test(flavor = "current_thread")]
async fn grants_that_do_not_fit_are_500_not_signatures() {
    let pusher = pusher();
    let presence_for_all =
        |_: &ChannelAuthRequest| ChannelGrant::Presence(PresenceMember::new("ada"));
    let allow_for_all = |_: &ChannelAuthRequest| ChannelGrant::Allow;
    for (channel, decide) in [
        (
            "private-x",
            &presence_for_all as &dyn Fn(&ChannelAuthRequest) -> ChannelGrant,
        ),
        ("private-encrypted-x", &presence_for_all),
        ("presence-x", &allow_for_all),
    ] {
        let body = form(&[("socket_id", SOCKET), ("channel_name", channel)]);
        let (reply, _) = channel_endpoint(&pusher, FORM, &body, decide).await;
        assert_eq!(reply.status(), 500, "{channel}");
        let answer = body_json(&reply);
        assert!(answer["error"].is_string());
        assert!(answer.get("auth").is_none(), "{channel}");
        assert!(!reply.body().contains(&shared_secret(channel)));
        assert!(!reply.body().contains(SECRET));
    }
    // In a batch: each such entry is a bare 500; the fitting one is answered.
    let body = batch_form(SOCKET, &["presence-a", "private-x", "private-encrypted-x"]);
    let (reply, _) = channel_endpoint(&pusher, FORM, &body, presence_for_all).await;
    let answer = body_json(&reply);
    assert_presence_a(&answer["presence-a"]["data"]);
    assert_eq!(answer["private-x"], json!({"status": 500}));
    assert_eq!(answer["private-encrypted-x"], json!({"status": 500}));
    assert!(!reply.body().contains(&shared_secret("private-encrypted-x")));
    // The signing call itself refuses the same mismatches.
    let member = PresenceMember::new("ada");
    for (channel, member) in [
        ("private-x", Some(&member)),
        ("private-encrypted-x", Some(&member)),
        ("presence-x", None),
    ] {
        let err = pusher
            .authorize_channel(&ChannelAuthRequest::new(SOCKET, channel), member)
            .unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{channel}: {err:?}");
    }
}

// ---- the shared secret only for approved subscribers ---------------------------------------

fn encrypted_yes_only(request: &ChannelAuthRequest) -> ChannelGrant {
    if request.channel_name == "private-encrypted-yes" {
        ChannelGrant::Allow
    } else {
        ChannelGrant::Deny
    }
}

#[tokio::test(flavor = "current_thread")]
async fn shared_secret_only_reaches_approved_subscribers() {
    let pusher = pusher();
    let yes = shared_secret("private-encrypted-yes");
    let no = shared_secret("private-encrypted-no");
    assert_eq!(
        MasterKey::from_base64(MASTER_B64)
            .unwrap()
            .shared_secret("private-encrypted-no"),
        no
    );

    // Denied alone: a 403 without any secret.
    let body = form(&[
        ("socket_id", SOCKET),
        ("channel_name", "private-encrypted-no"),
    ]);
    let (reply, asked) = channel_endpoint(&pusher, FORM, &body, encrypted_yes_only).await;
    assert_eq!(reply.status(), 403);
    assert_eq!(asked, ["private-encrypted-no"]);
    assert!(!reply.body().contains("shared_secret"));
    assert!(!reply.body().contains(&no));

    // Approved alone: the secret pusher-js needs, and the signature.
    let body = form(&[
        ("socket_id", SOCKET),
        ("channel_name", "private-encrypted-yes"),
    ]);
    let (reply, _) = channel_endpoint(&pusher, FORM, &body, encrypted_yes_only).await;
    assert_eq!(
        body_json(&reply),
        json!({
            "auth": format!("{KEY}:{}", hmac_hex(SECRET, b"1234.1234:private-encrypted-yes")),
            "shared_secret": yes,
        })
    );

    // A batch with both: only the approved entry carries data.
    let json = json!({"socket_id": SOCKET, "channel_name": ["private-encrypted-yes", "private-encrypted-no"]});
    for (content_type, body) in [
        (
            FORM,
            batch_form(SOCKET, &["private-encrypted-yes", "private-encrypted-no"]),
        ),
        (JSON, json.to_string().into_bytes()),
    ] {
        let (reply, _) = channel_endpoint(&pusher, content_type, &body, encrypted_yes_only).await;
        let answer = body_json(&reply);
        assert_eq!(
            answer["private-encrypted-yes"]["data"]["shared_secret"],
            yes
        );
        assert_eq!(answer["private-encrypted-no"], json!({"status": 403}));
        assert!(!reply.body().contains(&no));
        assert_eq!(reply.body().matches("shared_secret").count(), 1);
    }

    // Malformed requests for an encrypted channel never get it either.
    for body in [
        form(&[
            ("socket_id", "1.2:x"),
            ("channel_name", "private-encrypted-yes"),
        ]),
        batch_form("x", &["private-encrypted-yes"]),
    ] {
        let (reply, asked) = channel_endpoint(&pusher, FORM, &body, |_| ChannelGrant::Allow).await;
        assert!(!reply.body().contains(&yes));
        assert!(!reply.body().contains("shared_secret"));
        assert!(asked.is_empty());
    }

    // The closure's own error stops everything: no reply at all to leak through.
    let result = AuthEndpoint::new(pusher.clone())
        .channel(
            Some(FORM.as_bytes()),
            &form(&[
                ("socket_id", SOCKET),
                ("channel_name", "private-encrypted-yes"),
            ]),
            || async { Ok(|_| std::future::ready(Err::<ChannelGrant, _>("session store down"))) },
        )
        .await;
    assert_eq!(result, Err("session store down"));

    // `Debug` of an answer hides it even when approved.
    let answer = pusher
        .authorize_channel(
            &ChannelAuthRequest::new(SOCKET, "private-encrypted-yes"),
            None,
        )
        .unwrap();
    assert_eq!(answer.shared_secret(), Some(yes.as_str()));
    assert!(!format!("{answer:?}").contains(&yes));
}

// ---- secrets never shown -------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Everything shown to a user of the crate in one test: each value's `Debug` and `Display`.
#[derive(Default)]
struct Shown(Vec<String>);

impl Shown {
    fn debug(&mut self, value: &impl std::fmt::Debug) {
        self.0.push(format!("{value:?}"));
        self.0.push(format!("{value:#?}"));
    }

    fn error(&mut self, error: &(impl std::fmt::Debug + std::fmt::Display)) {
        self.0.push(error.to_string());
        self.debug(error);
    }

    fn result<T: std::fmt::Debug, E: std::fmt::Debug + std::fmt::Display>(
        &mut self,
        result: &Result<T, E>,
    ) {
        match result {
            Ok(value) => self.debug(value),
            Err(e) => self.error(e),
        }
    }

    fn reply(&mut self, reply: &AuthReply) {
        self.0.push(reply.body().to_owned());
        self.debug(reply);
    }
}

/// A loopback port with nothing listening on it.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_shown_in_debug_display_bodies_or_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut shown = Shown::default();
    let builder = || {
        Pusher::builder("3", KEY, SECRET)
            .tls(false)
            .encryption_master_key_base64(MASTER_B64)
            .webhook_key(ROTATED_KEY, ROTATED_SECRET)
    };

    // Configuration: each way of getting it wrong, and the builders themselves.
    let bad_builders: Vec<PusherBuilder> = vec![
        builder().host("https://api.example.com"),
        builder().host("api.example.com:443"),
        builder().host("bad host"),
        builder().cluster("e u"),
        builder().port(0),
        builder().timeout(Duration::ZERO),
        builder().limits(Limits::default().max_batch_size(0)),
        builder().proxy("not a proxy url"),
        builder().proxy(format!("http://user:{PROXY_PASSWORD}@")),
        builder().encryption_master_key_base64(SECRET),
        builder().encryption_master_key_base64(&MASTER_B64[..40]),
        builder().encryption_master_key_base64(STANDARD.encode(&MASTER[..31])),
        builder().encryption_master_key_base64(STANDARD.encode(WRONG_LENGTH_MASTER)),
        builder().encryption_master_key_base64(format!("{MASTER_B64}\u{0}")),
        builder().webhook_key("other", ""),
        builder().webhook_key("other:key", ROTATED_SECRET),
        builder()
            .transport(tower::service_fn(|_: http::Request<bytes::Bytes>| async {
                Err::<http::Response<String>, _>(pusher_client::transport::SendError::never_sent(
                    "offline",
                ))
            }))
            .proxy(format!("http://u:{PROXY_PASSWORD}@127.0.0.1:1")),
        builder().proxy(format!("https://u:{PROXY_PASSWORD}@127.0.0.1:1")),
        Pusher::builder("", KEY, SECRET).tls(false),
        Pusher::builder("3/4", KEY, SECRET).tls(false),
        Pusher::builder("3", "", SECRET).tls(false),
        Pusher::builder("3", "key:with:colons", SECRET).tls(false),
        Pusher::builder("3", KEY, "").tls(false),
    ];
    for b in bad_builders {
        shown.debug(&b);
        shown.result(&b.build());
    }
    let encoded_secret: String = form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    for url in [
        format!("ftp://{KEY}:{SECRET}@h/apps/3"),
        format!("https://{KEY}:{SECRET}@h/apps/"),
        format!("https://{KEY}:{SECRET}@h/apps/3/x"),
        format!("https://{KEY}:{SECRET}@h/apps/3?x=1"),
        format!("https://{KEY}:{SECRET}@/apps/3"),
        format!("https://{KEY}:{SECRET}@h:99999/apps/3"),
        format!("https://:{SECRET}@h/apps/3"),
        format!("https://{KEY}:{SECRET}%FF@h/apps/3"),
        format!("https://{KEY}:{encoded_secret}@bad_host!/apps/3"),
        format!("https://{KEY}:{SECRET}@h/apps/3%2F4"),
        format!("{KEY}:{SECRET}@h/apps/3"),
        format!("https://{KEY}:{SECRET}"),
    ] {
        let result = Pusher::from_url(&url);
        assert!(result.is_err(), "{url}");
        shown.result(&result);
        shown.result(&PusherBuilder::from_url(&url));
    }

    // The good client and its pieces.
    let pusher = pusher();
    shown.debug(&pusher);
    shown.debug(&builder());
    shown.debug(&MasterKey::from_base64(MASTER_B64).unwrap());
    shown.result(&MasterKey::from_base64(&format!("{MASTER_B64}x")));
    shown.result(&MasterKey::from_base64(
        &STANDARD.encode(WRONG_LENGTH_MASTER),
    ));

    // Validation, before sending.
    let too_long = "x".repeat(20_000);
    shown.result(&pusher.trigger("bad channel", "e", "{}").await);
    shown.result(&pusher.trigger("c", "", "{}").await);
    shown.result(
        &pusher
            .trigger("c", "e", "{}")
            .exclude("1.2:private-x")
            .await,
    );
    shown.result(&pusher.trigger("c", "e", too_long.as_str()).await);
    shown.result(
        &pusher
            .trigger(["private-encrypted-a", "b"], "e", "{}")
            .await,
    );
    shown.result(&pusher.send_to_user("", "e", "{}").await);
    shown.result(&pusher.users("private-a").await);
    shown.result(
        &pusher
            .get::<Value>("/channels", &[("auth_signature", "x")])
            .await,
    );
    shown.result(&pusher.get::<Value>("../x", &[]).await);
    let plain = Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .build()
        .unwrap();
    shown.result(&plain.trigger("private-encrypted-a", "e", "{}").await);

    // Signing calls and endpoint replies: 400, 403, 500, and the successes.
    for (socket, channel, member) in [
        ("1.2:x", "private-a", None),
        (SOCKET, "lobby", None),
        (SOCKET, "presence-a", None),
        (SOCKET, "private-a", Some(PresenceMember::new("ada"))),
        (SOCKET, "presence-a", Some(PresenceMember::new(""))),
        (SOCKET, "private-encrypted-a", None),
        (SOCKET, "private-a", None),
        (SOCKET, "presence-a", Some(PresenceMember::new("ada"))),
    ] {
        let request = ChannelAuthRequest::new(socket, channel);
        shown.result(&pusher.authorize_channel(&request, member.as_ref()));
        shown.result(&plain.authorize_channel(&request, member.as_ref()));
        for grant in [
            ChannelGrant::Deny,
            ChannelGrant::Allow,
            ChannelGrant::Presence(PresenceMember::new("ada")),
        ] {
            shown.reply(&AuthEndpoint::new(pusher.clone()).channel_reply(&request, grant.clone()));
            shown.reply(&AuthEndpoint::new(plain.clone()).channel_reply(&request, grant));
        }
    }
    for (socket, user) in [
        ("1.2:x", UserData::new("ada")),
        (SOCKET, UserData::new("")),
        (SOCKET, UserData::new("ada").field("id", "admin")),
        (SOCKET, UserData::new("ada")),
    ] {
        let request = UserAuthRequest::new(socket);
        shown.result(&pusher.authenticate_user(&request, &user));
        shown
            .reply(&AuthEndpoint::new(pusher.clone()).user_reply(&request, UserGrant::Allow(user)));
        shown.reply(&AuthEndpoint::new(pusher.clone()).user_reply(&request, UserGrant::Deny));
    }
    for body in [
        &b"not a form"[..],
        b"socket_id=1.2",
        b"socket_id=1.2&channel_name=private-a&channel_name=private-b",
    ] {
        shown.result(&ChannelAuthBody::parse(Some(FORM), body).map_err(|r| r.into_body()));
    }
    shown.reply(&ChannelAuthBody::parse(Some("text/plain"), b"").unwrap_err());

    // Webhooks: every refusal, and the expected signature is never given away.
    let body = br#"{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}"#;
    let good = sign_webhook(SECRET, body);
    let mut tampered = body.to_vec();
    tampered[12] = b'9';
    let expected_for_tampered = sign_webhook(SECRET, &tampered);
    let expected_rotated = sign_webhook(ROTATED_SECRET, &tampered);
    let aged = builder()
        .webhook_max_age(Duration::from_secs(60))
        .clock(|| UNIX_EPOCH + Duration::from_secs(1_000_000))
        .build()
        .unwrap();
    let bad_payload = b"{\"time_ms\":1,\"events\":[{\"name\":5}]}";
    let cases: Vec<(Option<&str>, Option<&str>, &[u8])> = vec![
        (None, Some(&good), body),
        (Some(KEY), None, body),
        (Some("someone-else"), Some(&good), body),
        (Some(KEY), Some("not hex"), body),
        (Some(KEY), Some(&good), &tampered),
        (Some(ROTATED_KEY), Some(&good), &tampered),
    ];
    let bad_payload_sig = sign_webhook(SECRET, bad_payload);
    for (key, signature, body) in
        cases
            .into_iter()
            .chain([(Some(KEY), Some(bad_payload_sig.as_str()), &bad_payload[..])])
    {
        for client in [&pusher, &aged] {
            let result = client.verify_webhook(key, signature, body);
            assert!(result.is_err());
            shown.result(&result);
            shown.result(&client.verify_webhook_as::<Value>(key, signature, body));
            let as_error: Error = result.unwrap_err().into();
            shown.error(&as_error);
        }
    }
    let too_old = aged.verify_webhook(Some(KEY), Some(&good), body);
    assert!(matches!(too_old, Err(WebhookError::TooOld { .. })));
    shown.result(&too_old);

    // Decryption failures.
    let event = WebhookEvent::ClientEvent {
        channel: "private-encrypted-a".into(),
        event: "client-x".into(),
        data: r#"{"nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA=="}"#.into(),
        socket_id: None,
        user_id: None,
    };
    shown.result(&pusher.decrypt_client_event(&event));
    shown.result(&plain.decrypt_client_event(&event));
    shown.result(&pusher.decrypt("private-encrypted-a", "garbage"));
    shown.result(&pusher.decrypt_client_event(&WebhookEvent::CacheMiss {
        channel: "a".into(),
    }));

    // Transport failures against a closed loopback port, directly and through a proxy with
    // credentials (each connect failure is retried by the default policy, and logged).
    let port = closed_port().await;
    let offline = builder()
        .host("127.0.0.1")
        .port(port)
        .tls(false)
        .build()
        .unwrap();
    let trigger = offline
        .trigger("private-encrypted-a", "e", r#"{"m":"hi"}"#)
        .await;
    assert!(matches!(trigger, Err(Error::Transport(_))), "{trigger:?}");
    shown.result(&trigger);
    shown.result(&offline.channels().await);
    shown.result(&offline.terminate_user_connections("ada").await);
    shown.result(
        &offline
            .get::<Value>("/channels", &[("filter_by_prefix", "x")])
            .await,
    );
    let proxied = builder()
        .host("api.example.com")
        .proxy(format!(
            "http://proxy-user:{PROXY_PASSWORD}@127.0.0.1:{port}"
        ))
        .build()
        .unwrap();
    shown.debug(&proxied);
    let via_proxy = proxied.trigger("orders", "e", "{}").await;
    assert!(
        matches!(via_proxy, Err(Error::Transport(_))),
        "{via_proxy:?}"
    );
    shown.result(&via_proxy);

    // Nothing shown and nothing logged holds a secret.
    let log_text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        log_text.contains("pusher request failed"),
        "the transport failures should have been logged:\n{log_text}"
    );
    let forbidden = [
        ("the app secret", SECRET.to_owned()),
        ("the app secret, URL-encoded", encoded_secret.clone()),
        ("the rotated webhook secret", ROTATED_SECRET.to_owned()),
        ("the master key (base64)", MASTER_B64.to_owned()),
        (
            "the master key (text)",
            String::from_utf8_lossy(MASTER).into_owned(),
        ),
        ("the master key (hex)", hex::encode(MASTER)),
        ("a refused master key", STANDARD.encode(WRONG_LENGTH_MASTER)),
        (
            "a refused master key (text)",
            String::from_utf8_lossy(WRONG_LENGTH_MASTER).into_owned(),
        ),
        ("the proxy password", PROXY_PASSWORD.to_owned()),
        ("a webhook's expected signature", expected_for_tampered),
        ("a rotated webhook's expected signature", expected_rotated),
    ];
    for text in shown.0.iter().chain([&log_text]) {
        for (what, secret) in &forbidden {
            // Part of a secret is a leak too: its first and last 12 characters are searched
            // for as well (all of these are distinctive enough not to occur by chance).
            let chars: Vec<char> = secret.chars().collect();
            let head: String = chars.iter().take(12).collect();
            let tail: String = chars[chars.len().saturating_sub(12)..].iter().collect();
            for part in [secret.as_str(), &head, &tail] {
                assert!(!text.contains(part), "{what} ({part:?}) leaked in:\n{text}");
            }
        }
    }
    for text in shown.0.iter().chain([&log_text]) {
        assert!(
            !text.contains("auth_signature="),
            "a signed query leaked in:\n{text}"
        );
    }
    assert!(shown.0.len() > 300, "{} texts checked", shown.0.len());
}

// ---- constant-time webhook comparison ------------------------------------------------------

/// The comparison itself cannot be timed reliably in a test, so this shows the code path and
/// pins the behaviour:
///
/// - `Pusher::verify_webhook` decodes the hex signature and calls `Credentials::verify` for each
///   secret of the named key; `Credentials::verify` (src/signing.rs) feeds the body to the
///   keyed HMAC and compares with `Mac::verify_slice`, which compares in constant time
///   (`subtle::ConstantTimeEq`) — never `==` on strings or bytes. The source checks below fail
///   if that path is replaced.
/// - Behaviourally, a signature wrong only in its first byte, only in its last byte, or
///   everywhere is refused with the same error, whose message says nothing of where it differs.
#[test]
fn webhook_signatures_compared_in_constant_time() {
    let pusher = pusher();
    let body = br#"{"time_ms":1,"events":[]}"#;
    let good = sign_webhook(SECRET, body);
    assert!(pusher.verify_webhook(Some(KEY), Some(&good), body).is_ok());
    let flip = |byte: usize| {
        let mut bytes = hex::decode(&good).unwrap();
        bytes[byte] ^= 0x01;
        hex::encode(bytes)
    };
    let first = pusher.verify_webhook(Some(KEY), Some(&flip(0)), body);
    let last = pusher.verify_webhook(Some(KEY), Some(&flip(31)), body);
    let middle = pusher.verify_webhook(Some(KEY), Some(&flip(16)), body);
    let zero = pusher.verify_webhook(Some(KEY), Some(&"0".repeat(64)), body);
    let other = pusher.verify_webhook(Some(KEY), Some(&sign_webhook(ROTATED_SECRET, body)), body);
    for result in [&first, &last, &middle, &zero, &other] {
        assert_eq!(result, &Err(WebhookError::InvalidSignature));
    }
    assert_eq!(
        first.unwrap_err().to_string(),
        last.unwrap_err().to_string()
    );

    let signing = include_str!("../src/signing.rs");
    let verify = signing
        .split("pub(crate) fn verify(")
        .nth(1)
        .and_then(|rest| rest.split("\n    }").next())
        .expect("Credentials::verify exists");
    assert!(
        verify.contains(".verify_slice("),
        "Credentials::verify must compare with Mac::verify_slice:\n{verify}"
    );
    assert!(!verify.contains("=="), "no plain comparison:\n{verify}");
    let webhook = include_str!("../src/webhook/signature.rs");
    let check = webhook
        .split("fn check_webhook_signature(")
        .nth(1)
        .and_then(|rest| rest.split("\n    fn ").next())
        .expect("check_webhook_signature exists");
    assert!(
        check.contains(".verify(body, &signature)"),
        "webhooks must be checked through Credentials::verify:\n{check}"
    );
    assert!(
        !check.contains("sign_hex"),
        "no recomputed hex compared:\n{check}"
    );
}
