//! Webhook rejections: the caller gets the reason's category, the log gets the full reason with
//! its advice — at `warn` for a caller's bad request, at `error` for a server without a client.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::test::init_service;
use actix_web::{App, HttpResponse, web};
use pusher_actix::VerifiedWebhook;
use tracing_subscriber::fmt::MakeWriter;

use common::{JSON, KEY, SECRET, hmac_hex, post, pusher};

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

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// Captures everything at `DEBUG` and above for the current thread (actix tests run on one).
fn capture() -> (Capture, tracing::subscriber::DefaultGuard) {
    let logs = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

async fn hook(VerifiedWebhook(_webhook): VerifiedWebhook) -> HttpResponse {
    HttpResponse::Ok().finish()
}

const BODY: &str = r#"{"time_ms":1,"events":[]}"#;

#[actix_web::test]
async fn a_webhook_rejection_gives_the_advice_to_the_log_only() {
    let (logs, _guard) = capture();
    let app = init_service(
        App::new()
            .app_data(web::Data::new(pusher()))
            .route("/hook", web::post().to(hook)),
    )
    .await;

    let signature = hmac_hex("another-secret", BODY);
    let req = post("/hook", Some(JSON), BODY)
        .insert_header(("x-pusher-key", "another-key"))
        .insert_header(("x-pusher-signature", signature.as_str()));
    let answer = send!(app, req);
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body, r#"{"error":"unknown key"}"#);
    for advice in ["PusherBuilder", "webhook_key"] {
        assert!(!answer.body.contains(advice), "{}", answer.body);
    }
    let logged = logs.text();
    let rejection = logged
        .lines()
        .find(|line| line.contains("pusher webhook rejected"))
        .unwrap_or_else(|| panic!("{logged}"));
    // Anyone can post to a webhook URL: a refusal is a debug line, not a warning.
    assert!(rejection.contains(" DEBUG "), "{rejection}");
    assert!(
        rejection.contains("PusherBuilder::webhook_key"),
        "{rejection}"
    );
    assert!(
        !logged.contains(" WARN ") && !logged.contains(" ERROR "),
        "{logged}"
    );
    assert!(!logged.contains(&signature), "{logged}");

    // A signed body that does not parse: the parser's details go to the log only.
    logs.clear();
    let bad = r#"{"time_ms":"soon","events":[]}"#;
    let req = post("/hook", Some(JSON), bad)
        .insert_header(("x-pusher-key", KEY))
        .insert_header(("x-pusher-signature", hmac_hex(SECRET, bad)));
    let answer = send!(app, req);
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body, r#"{"error":"malformed body"}"#);
    let logged = logs.text();
    assert!(
        logged.contains(" DEBUG ") && logged.contains("invalid type"),
        "{logged}"
    );
    assert!(
        !logged.contains(" WARN ") && !logged.contains(" ERROR "),
        "{logged}"
    );
}

#[actix_web::test]
async fn a_missing_client_is_an_error_in_the_log_and_generic_in_the_response() {
    let (logs, _guard) = capture();
    let app = init_service(App::new().route("/hook", web::post().to(hook))).await;
    let req = post("/hook", Some(JSON), BODY)
        .insert_header(("x-pusher-key", KEY))
        .insert_header(("x-pusher-signature", hmac_hex(SECRET, BODY)));
    let answer = send!(app, req);
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.body, r#"{"error":"internal error"}"#);
    let logged = logs.text();
    // One error line, with the fix; not repeated by the rejection's own (debug) line.
    assert_eq!(logged.matches(" ERROR ").count(), 1, "{logged}");
    assert!(
        logged.contains("app_data(web::Data::new(pusher))"),
        "{logged}"
    );
    assert!(!logged.contains(SECRET), "{logged}");
}
