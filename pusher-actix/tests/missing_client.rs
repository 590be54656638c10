//! A missing `web::Data<Pusher>` is a server misconfiguration: every request needing the client
//! answers 500, and the fix is logged at `error` once per process (then at `debug`), so a
//! misconfigured server does not flood its log. One test only: the flag is per process.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, web};
use pusher_actix::VerifiedWebhook;
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

async fn hook(VerifiedWebhook(_webhook): VerifiedWebhook) -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn the_fix_is_logged_at_error_once_and_every_answer_stays_500() {
    let logs = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // An app state is registered, the client is not.
    let app = init_service(
        App::new()
            .app_data(web::Data::new(String::from("app state")))
            .route("/hook", web::post().to(hook)),
    )
    .await;
    for _ in 0..3 {
        let req = TestRequest::post()
            .uri("/hook")
            .insert_header(("x-pusher-key", "key"))
            .insert_header(("x-pusher-signature", "00"))
            .set_payload("{}")
            .to_request();
        let answer = call_service(&app, req).await;
        assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let errors: Vec<&str> = logged.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert_eq!(errors.len(), 1, "{logged}");
    assert!(
        errors[0].contains("App::new().app_data(web::Data::new(pusher))"),
        "{logged}"
    );
    assert!(errors[0].contains("/hook"), "{logged}");
    // The later requests are still visible at debug.
    assert_eq!(
        logged
            .lines()
            .filter(|l| l.contains(" DEBUG ") && l.contains("logged at error once"))
            .count(),
        2,
        "{logged}"
    );
}
