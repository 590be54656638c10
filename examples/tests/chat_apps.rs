//! The chat demo's two apps (`chat_axum`, `chat_actix`) over HTTP, without any peer: each binary
//! runs against the workspace's checking fake server ([`FakePusher`]), and both must answer the
//! same requests the same way: pages, sessions, pusher-js authorization for the session's user,
//! messages triggered encrypted to the fake server, signed webhooks into the panel's log.
//! (`tests/browser/demo.js` runs the same apps against sockudo in a real browser.)
// The helpers below are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pusher_client::sign_webhook;
use pusher_tests::FakePusher;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The app process, killed on drop.
struct App {
    child: Child,
    url: String,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(binary: &str, fake: &FakePusher, pusher_js: &std::path::Path) -> App {
    let port = free_port();
    let child = Command::new(binary)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("PUSHER_URL", fake.pusher_url())
        .env("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", MASTER_KEY)
        .env("PUSHER_JS_PATH", pusher_js)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut app = App {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = app.child.try_wait().unwrap() {
            panic!("{binary} exited: {status}");
        }
        if reqwest::get(format!("{}/config.json", app.url))
            .await
            .is_ok()
        {
            return app;
        }
        assert!(Instant::now() < deadline, "{binary} did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One answer: status, content type, body, and the session cookie set (if any).
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: String,
    set_cookie: Option<String>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn call(
    http: &reqwest::Client,
    method: &str,
    url: String,
    cookie: Option<&str>,
    content_type: &str,
    body: &str,
) -> Answer {
    let mut request = http.request(method.parse().unwrap(), url);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    if !body.is_empty() {
        request = request
            .header(CONTENT_TYPE, content_type)
            .body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    };
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let set_cookie = header(SET_COOKIE);
    Answer {
        status,
        content_type,
        body: response.text().await.unwrap(),
        set_cookie,
    }
}

/// Drives one app through every route; returns the deterministic answers, to compare the two
/// apps.
async fn exercise(binary: &str) -> Vec<(String, u16, Value)> {
    let fake = FakePusher::start().await;
    let dir =
        std::env::temp_dir().join(format!("chat-apps-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let pusher_js = dir.join("pusher.min.js");
    std::fs::File::create(&pusher_js)
        .unwrap()
        .write_all(b"/* not really pusher-js */")
        .unwrap();
    let app = start(binary, &fake, &pusher_js).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", app.url);
    let json_type = "application/json";
    let form_type = "application/x-www-form-urlencoded";
    let mut seen = Vec::new();
    let mut note = |what: &str, answer: &Answer| {
        let body = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        seen.push((what.to_owned(), answer.status, body));
    };

    // The page and pusher-js, served by the app.
    let page = call(&http, "GET", url("/"), None, "", "").await;
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"), "{binary}");
    assert!(page.body.contains(r#"src="/pusher.min.js""#));
    let js = call(&http, "GET", url("/pusher.min.js"), None, "", "").await;
    assert_eq!(js.body, "/* not really pusher-js */");
    assert!(js.content_type.starts_with("text/javascript"));
    for asset in ["/chat.js", "/chat.css"] {
        assert_eq!(
            call(&http, "GET", url(asset), None, "", "").await.status,
            200
        );
    }

    // Public connection parameters only.
    let config = call(&http, "GET", url("/config.json"), None, "", "").await;
    assert!(
        !config.body.contains(&fake.secret()),
        "{binary} leaks the secret"
    );
    assert!(!config.body.contains(MASTER_KEY));
    let config = config.json();
    assert_eq!(config["key"], fake.key());
    assert_eq!(config["options"]["wsPort"], fake.port());
    assert_eq!(config["user"], Value::Null);

    // Nobody signed in: refused.
    let anonymous = call(
        &http,
        "POST",
        url("/messages"),
        None,
        json_type,
        r#"{"text":"hi"}"#,
    )
    .await;
    note("message without a session", &anonymous);
    assert_eq!(anonymous.status, 401);
    let auth_body = "socket_id=1234.5678&channel_name=presence-chat";
    let denied = call(
        &http,
        "POST",
        url("/pusher/auth"),
        None,
        form_type,
        auth_body,
    )
    .await;
    assert_eq!(denied.status, 403, "{binary}");

    // Signing in: a bad name is refused, a good one gets an HttpOnly session cookie.
    let bad = call(
        &http,
        "POST",
        url("/session"),
        None,
        json_type,
        r#"{"name":"a b"}"#,
    )
    .await;
    note("bad name", &bad);
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"].as_str().unwrap().contains("' '"),
        "{}",
        bad.body
    );
    assert_eq!(bad.set_cookie, None);
    let signed = call(
        &http,
        "POST",
        url("/session"),
        None,
        json_type,
        r#"{"name":" Ada "}"#,
    )
    .await;
    note("sign in", &signed);
    assert_eq!(signed.status, 200);
    assert_eq!(signed.json()["user"]["id"], "Ada");
    let set_cookie = signed.set_cookie.clone().expect("a session cookie");
    assert!(set_cookie.starts_with("chat_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Ada"),
        "the cookie is a token, not the name"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let cookie = Some(cookie.as_str());
    let config = call(&http, "GET", url("/config.json"), cookie, "", "")
        .await
        .json();
    assert_eq!(config["user"]["info"]["name"], "Ada");
    let forged = call(
        &http,
        "GET",
        url("/config.json"),
        Some("chat_session=Ada"),
        "",
        "",
    )
    .await;
    assert_eq!(forged.json()["user"], Value::Null);

    // pusher-js authorization for the session's user.
    let presence = call(
        &http,
        "POST",
        url("/pusher/auth"),
        cookie,
        form_type,
        auth_body,
    )
    .await;
    note("presence auth", &presence);
    assert_eq!(presence.status, 200, "{}", presence.body);
    let channel_data: Value =
        serde_json::from_str(presence.json()["channel_data"].as_str().unwrap()).unwrap();
    assert_eq!(channel_data["user_id"], "Ada");
    assert_eq!(channel_data["user_info"]["name"], "Ada");
    let encrypted_body = "socket_id=1234.5678&channel_name=private-encrypted-chat";
    let encrypted = call(
        &http,
        "POST",
        url("/pusher/auth"),
        cookie,
        form_type,
        encrypted_body,
    )
    .await;
    assert_eq!(encrypted.status, 200);
    assert!(encrypted.json()["shared_secret"].is_string());
    let other_body = "socket_id=1234.5678&channel_name=private-other";
    let other = call(
        &http,
        "POST",
        url("/pusher/auth"),
        cookie,
        form_type,
        other_body,
    )
    .await;
    note("other channel", &other);
    assert_eq!(other.status, 403);
    let user = call(
        &http,
        "POST",
        url("/pusher/user-auth"),
        cookie,
        form_type,
        "socket_id=1234.5678",
    )
    .await;
    assert_eq!(user.status, 200, "{}", user.body);
    let user_data: Value =
        serde_json::from_str(user.json()["user_data"].as_str().unwrap()).unwrap();
    assert_eq!(user_data["id"], "Ada");

    // A message: triggered encrypted on the private-encrypted- channel.
    let sent = call(
        &http,
        "POST",
        url("/messages"),
        cookie,
        json_type,
        r#"{"text":" hello "}"#,
    )
    .await;
    note("message", &sent);
    assert_eq!(sent.status, 202, "{}", sent.body);
    let events = fake.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].channels, ["private-encrypted-chat"]);
    assert_eq!(events[0].name, "message");
    let data: Value = serde_json::from_str(&events[0].data).unwrap();
    assert!(
        data["nonce"].is_string() && data["ciphertext"].is_string(),
        "{data}"
    );
    assert!(!events[0].data.contains("hello"), "sent in clear");
    for bad in [r#"{"text":"   "}"#, r#"{"text":1}"#, "not json"] {
        let refused = call(&http, "POST", url("/messages"), cookie, json_type, bad).await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.body);
    }
    let long = json!({ "text": "é".repeat(501) }).to_string();
    let refused = call(&http, "POST", url("/messages"), cookie, json_type, &long).await;
    note("long message", &refused);
    assert_eq!(refused.status, 400);
    assert_eq!(fake.events().len(), 1, "a refused message was sent");

    // Webhooks: unsigned refused, signed ones land in the log the panel reads.
    let body = r#"{"time_ms":1700000000000,"events":[{"name":"channel_occupied","channel":"presence-chat"},{"name":"member_added","channel":"presence-chat","user_id":"Ada"}]}"#;
    let unsigned = http
        .post(url("/webhooks"))
        .header(CONTENT_TYPE, json_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let wrong = http
        .post(url("/webhooks"))
        .header(CONTENT_TYPE, json_type)
        .header("X-Pusher-Key", fake.key())
        .header(
            "X-Pusher-Signature",
            sign_webhook("not-the-secret", body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let empty = call(&http, "GET", url("/webhooks/log?after=0"), None, "", "");
    let (signed_hook, log) = tokio::join!(
        async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            http.post(url("/webhooks"))
                .header(CONTENT_TYPE, json_type)
                .header("X-Pusher-Key", fake.key())
                .header(
                    "X-Pusher-Signature",
                    sign_webhook(&fake.secret(), body.as_bytes()),
                )
                .body(body)
                .send()
                .await
                .unwrap()
        },
        // Waiting before the webhook arrives: answered when it does (the long poll).
        empty
    );
    assert_eq!(signed_hook.status().as_u16(), 200);
    let log = log.json();
    let names: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["channel_occupied", "member_added"]);
    assert_eq!(log["events"][1]["user_id"], "Ada");
    assert_eq!(log["events"][1]["seq"], 2);
    let after = call(&http, "GET", url("/webhooks/log?after=1"), None, "", "")
        .await
        .json();
    assert_eq!(after["events"].as_array().unwrap().len(), 1);

    // Signing out ends the session.
    let out = call(&http, "DELETE", url("/session"), cookie, "", "").await;
    assert_eq!(out.status, 204);
    let after_out = call(
        &http,
        "POST",
        url("/messages"),
        cookie,
        json_type,
        r#"{"text":"hi"}"#,
    )
    .await;
    assert_eq!(after_out.status, 401);
    let _ = std::fs::remove_dir_all(&dir);
    seen
}

#[tokio::test]
async fn both_chat_apps_answer_alike() {
    let axum = exercise(env!("CARGO_BIN_EXE_chat_axum")).await;
    let actix = exercise(env!("CARGO_BIN_EXE_chat_actix")).await;
    for (a, x) in axum.iter().zip(&actix) {
        assert_eq!(a.0, x.0);
        assert_eq!(a.1, x.1, "{}: axum {} / actix {}", a.0, a.1, x.1);
        if a.0 != "presence auth" {
            // (The presence answer's signature differs per run: it is over the same data.)
            assert_eq!(a.2, x.2, "{}", a.0);
        }
    }
    assert_eq!(axum.len(), actix.len());
}

#[tokio::test]
async fn a_missing_pusher_js_is_a_clear_startup_error() {
    for binary in [
        env!("CARGO_BIN_EXE_chat_axum"),
        env!("CARGO_BIN_EXE_chat_actix"),
    ] {
        let out = Command::new(binary)
            .env_clear()
            .env("PORT", free_port().to_string())
            .env("PUSHER_URL", "http://key:secret@127.0.0.1:9/apps/1")
            .env("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", MASTER_KEY)
            .env("PUSHER_JS_PATH", "/nonexistent/pusher.min.js")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("bash scripts/install-peers"), "{stderr}");
        let no_key = Command::new(binary)
            .env_clear()
            .env(
                "PUSHER_URL",
                "http://key:the-secret-value@127.0.0.1:9/apps/1",
            )
            .output()
            .unwrap();
        assert_eq!(no_key.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&no_key.stderr);
        assert!(
            stderr.contains("PUSHER_ENCRYPTION_MASTER_KEY_BASE64"),
            "{stderr}"
        );
        assert!(!stderr.contains("the-secret-value"), "{stderr}");
    }
}
