//! A 500 from an authorization endpoint says nothing about the server's configuration: its body
//! is always `{"error":"internal error"}`, and the detail goes to the log as an ERROR event.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};

use pusher_client::{
    AuthEndpoint, AuthReply, ChannelAuthRequest, ChannelGrant, PresenceMember, Pusher,
    UserAuthRequest, UserData, UserGrant,
};
use serde_json::{Value, json};
use tracing_subscriber::fmt::MakeWriter;

const KEY: &str = "internal-key";
const SECRET: &str = "Internal-S3cret-Value-51c0";
const MASTER_B64: &str = "c2VjdXJpdHktdGVzdHMtbWFzdGVyLWtleS0zMmJ5dGU=";
const SOCKET: &str = "1234.1234";
const INTERNAL: &str = r#"{"error":"internal error"}"#;

/// The client without a master key (encrypted channels are a 500).
fn plain() -> Pusher {
    Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .build()
        .unwrap()
}

/// What a `tracing` subscriber wrote, as text.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

impl Logs {
    /// Captures this thread's events (every level) until the guard is dropped.
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .without_time()
            .with_writer(logs.clone())
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The ERROR lines.
    fn errors(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.trim_start().starts_with("ERROR"))
            .map(str::to_owned)
            .collect()
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// The reply is the fixed 500, and exactly one ERROR event carries `detail` (no secret).
fn assert_internal(reply: &AuthReply, logs: &Logs, detail: &str) {
    assert_eq!(reply.status(), 500, "{}", reply.body());
    assert_eq!(reply.body(), INTERNAL);
    let errors = logs.errors();
    assert_eq!(errors.len(), 1, "{}", logs.text());
    assert!(errors[0].contains(detail), "{errors:?} lacks {detail:?}");
    assert!(!logs.text().contains(SECRET), "{}", logs.text());
    assert!(!logs.text().contains(MASTER_B64), "{}", logs.text());
    logs.clear();
}

/// Each grant that does not fit its channel, and an encrypted channel without a master key:
/// the fixed body from the reply call, the detail (the signing call's own error) in the log.
#[test]
fn channel_grants_that_do_not_fit_are_a_generic_500_with_the_detail_logged() {
    let (logs, _guard) = Logs::capture();
    let pusher = plain();
    let ada = PresenceMember::new("ada");
    for (channel, grant, member) in [
        ("presence-room", ChannelGrant::Allow, None),
        (
            "private-room",
            ChannelGrant::Presence(ada.clone()),
            Some(&ada),
        ),
        ("private-encrypted-room", ChannelGrant::Allow, None),
        (
            "presence-room",
            ChannelGrant::Presence(PresenceMember::new("")),
            Some(&PresenceMember::new("")),
        ),
    ] {
        let request = ChannelAuthRequest::new(SOCKET, channel);
        let detail = pusher
            .authorize_channel(&request, member)
            .unwrap_err()
            .to_string();
        logs.clear();
        let reply = AuthEndpoint::new(pusher.clone()).channel_reply(&request, grant);
        assert_internal(&reply, &logs, &detail);
    }
}

#[test]
fn invalid_user_data_is_a_generic_500_with_the_detail_logged() {
    let (logs, _guard) = Logs::capture();
    let pusher = plain();
    let request = UserAuthRequest::new(SOCKET);
    for user in [UserData::new(""), UserData::new("ada").field("id", "admin")] {
        let detail = pusher
            .authenticate_user(&request, &user)
            .unwrap_err()
            .to_string();
        logs.clear();
        let reply = AuthEndpoint::new(pusher.clone()).user_reply(&request, UserGrant::Allow(user));
        assert_internal(&reply, &logs, &detail);
    }
}

/// The whole endpoints answer the same, and a batch's unfit entry is a bare 500, logged.
#[tokio::test(flavor = "current_thread")]
async fn endpoints_answer_the_generic_500_and_log_the_detail() {
    let (logs, _guard) = Logs::capture();
    let pusher = plain();
    let encrypted = pusher
        .authorize_channel(
            &ChannelAuthRequest::new(SOCKET, "private-encrypted-room"),
            None,
        )
        .unwrap_err()
        .to_string();
    logs.clear();
    let reply = AuthEndpoint::new(pusher.clone())
        .channel(
            None,
            format!("socket_id={SOCKET}&channel_name=private-encrypted-room").as_bytes(),
            || async { Ok(|_| async { Ok::<_, Infallible>(ChannelGrant::Allow) }) },
        )
        .await
        .unwrap();
    assert_internal(&reply, &logs, &encrypted);

    let reply = AuthEndpoint::new(pusher.clone())
        .user(None, format!("socket_id={SOCKET}").as_bytes(), |_| async {
            Ok::<_, Infallible>(UserGrant::Allow(UserData::new("")))
        })
        .await
        .unwrap();
    let detail = pusher
        .authenticate_user(&UserAuthRequest::new(SOCKET), &UserData::new(""))
        .unwrap_err()
        .to_string();
    assert_internal(&reply, &logs, &detail);

    let body = format!(
        "socket_id={SOCKET}&channel_name[0]=private-a&channel_name[1]=private-encrypted-room"
    );
    let reply = AuthEndpoint::new(pusher.clone())
        .channel(None, body.as_bytes(), || async {
            Ok(|_| async { Ok::<_, Infallible>(ChannelGrant::Allow) })
        })
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let answer: Value = serde_json::from_str(reply.body()).unwrap();
    assert_eq!(answer["private-encrypted-room"], json!({"status": 500}));
    assert!(answer["private-a"]["data"]["auth"].is_string());
    let errors = logs.errors();
    assert_eq!(errors.len(), 1, "{}", logs.text());
    assert!(errors[0].contains(&encrypted), "{errors:?}");
}

/// The generic answer itself, for adapters with their own server-side failures.
#[test]
fn internal_error_reply_is_fixed() {
    let reply = AuthReply::internal_error();
    assert_eq!(reply.status(), 500);
    assert_eq!(reply.body(), INTERNAL);
    // With a master key the same encrypted channel is signed: the 500 was the configuration.
    let with_key = Pusher::builder("3", KEY, SECRET)
        .tls(false)
        .encryption_master_key_base64(MASTER_B64)
        .build()
        .unwrap();
    let reply = AuthEndpoint::new(with_key.clone()).channel_reply(
        &ChannelAuthRequest::new(SOCKET, "private-encrypted-room"),
        ChannelGrant::Allow,
    );
    assert_eq!(reply.status(), 200);
}
