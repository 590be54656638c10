//! Refused authorization requests are logged at debug level, webhook rejections at warn level
//! with the advice their responses leave out, and no log line holds a secret, a signature this
//! server computed, or a successful answer's body.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::post;
use common::{KEY, SECRET, form, hmac_hex, post as request, pusher, send};
use pusher_axum::{
    ChannelAuthRequest, ChannelGrant, PusherAuth, UserAuthRequest, UserData, UserGrant,
    VerifiedWebhook,
};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn webhooks(VerifiedWebhook(_webhook): VerifiedWebhook) {}

fn app() -> Router {
    let auth = PusherAuth::new()
        .channel(|(): (), request: ChannelAuthRequest| async move {
            Ok::<_, Infallible>(if request.channel_name.contains("no") {
                ChannelGrant::Deny
            } else {
                ChannelGrant::Allow
            })
        })
        .user(|(): (), _: UserAuthRequest| async {
            Ok::<_, Infallible>(UserGrant::Allow(UserData::new("12345")))
        });
    Router::new()
        .route("/webhooks", post(webhooks))
        .merge(auth)
        .layer(DefaultBodyLimit::max(512))
        .with_state(pusher())
}

#[tokio::test]
async fn rejections_are_logged_without_secrets() {
    let debug = Capture::default();
    let info = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(debug.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = app();

    let body = r#"{"time_ms":1,"events":[]}"#;
    let good = hmac_hex(SECRET, body.as_bytes());
    let private_sig = hmac_hex(SECRET, b"1234.1234:private-foobar");
    let user_sig = "4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba";
    let requests = vec![
        // Webhooks: wrong signature, unknown key, missing header, too large, bad JSON.
        request(
            "/webhooks",
            &[
                ("X-Pusher-Key", KEY),
                ("X-Pusher-Signature", &"0".repeat(64)),
            ],
            body,
        ),
        request(
            "/webhooks",
            &[("X-Pusher-Key", "other"), ("X-Pusher-Signature", &good)],
            body,
        ),
        request("/webhooks", &[("X-Pusher-Key", KEY)], body),
        request(
            "/webhooks",
            &[("X-Pusher-Key", KEY), ("X-Pusher-Signature", &good)],
            "x".repeat(1000),
        ),
        request(
            "/webhooks",
            &[
                ("X-Pusher-Key", KEY),
                ("X-Pusher-Signature", &hmac_hex(SECRET, b"{")),
            ],
            "{",
        ),
        // Auth: granted (logs nothing), denied, malformed, too large.
        form(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-foobar",
        ),
        form("/pusher/user-auth", "socket_id=1234.1234"),
        form(
            "/pusher/auth",
            "socket_id=1234.1234&channel_name=private-no",
        ),
        form(
            "/pusher/auth",
            "socket_id=1234.1234%3Ax&channel_name=private-foobar",
        ),
        form("/pusher/auth", &"socket_id=1234.1234&x=".repeat(100)),
    ];
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(send(&app, request).await.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 413, 400, 200, 200, 403, 400, 413]);

    let logs = debug.text();
    assert!(logs.contains("DEBUG"), "{logs}");
    assert!(logs.contains("pusher webhook rejected"), "{logs}");
    assert!(logs.contains("pusher authorization refused"), "{logs}");
    for leak in [SECRET, good.as_str(), private_sig.as_str(), user_sig] {
        assert!(!logs.contains(leak), "the logs contain {leak}:\n{logs}");
    }
    for line in logs.lines() {
        assert!(
            !line.contains(" WARN ") && !line.contains(" ERROR "),
            "{line}"
        );
    }
    drop(_guard);

    // Nothing at info level or above for a browser's bad authorization request, nor for a
    // refused webhook: anyone can post to either, and must not be able to flood the log.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(info.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let answer = send(
        &app,
        form("/pusher/auth", "socket_id=x&channel_name=private-a"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(info.text(), "");
    let answer = send(&app, request("/webhooks", &[], body)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(info.text(), "");
}

#[tokio::test]
async fn a_webhook_rejection_gives_the_advice_to_the_log_only() {
    let logs = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = app();

    let body = r#"{"time_ms":1,"events":[]}"#;
    let signature = hmac_hex("another-secret", body.as_bytes());
    let answer = send(
        &app,
        request(
            "/webhooks",
            &[
                ("X-Pusher-Key", "another-key"),
                ("X-Pusher-Signature", &signature),
            ],
            body,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.text(), r#"{"error":"unknown key"}"#);
    for advice in ["PusherBuilder", "webhook_key"] {
        assert!(!answer.text().contains(advice), "{}", answer.text());
    }
    let logged = logs.text();
    assert!(logged.contains(" DEBUG "), "{logged}");
    assert!(logged.contains("PusherBuilder::webhook_key"), "{logged}");
    assert!(!logged.contains(&signature), "{logged}");

    // A signed body that does not parse: the parser's details go to the log only.
    let bad = r#"{"time_ms":"soon","events":[]}"#;
    let answer = send(
        &app,
        request(
            "/webhooks",
            &[
                ("X-Pusher-Key", KEY),
                ("X-Pusher-Signature", &hmac_hex(SECRET, bad.as_bytes())),
            ],
            bad,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.text(), r#"{"error":"malformed body"}"#);
    assert!(logs.text().contains("invalid type"), "{}", logs.text());
}
