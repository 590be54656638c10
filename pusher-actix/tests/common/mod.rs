//! Helpers shared by the integration tests: Pusher's published test credentials, an
//! independent HMAC, and a one-call request runner.
#![allow(dead_code, clippy::unwrap_used)]

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::test;
use hmac::{Hmac, Mac};
use pusher_client::Pusher;
use sha2::Sha256;

/// Pusher's documented example credentials.
pub(crate) const APP_ID: &str = "3";
pub(crate) const KEY: &str = "278d425bdf160c739803";
pub(crate) const SECRET: &str = "7ad3773142a6692b25b8";
pub(crate) const SOCKET: &str = "1234.1234";
/// Pusher's published signature for `1234.1234:private-foobar`.
pub(crate) const PRIVATE_FOOBAR_SIG: &str =
    "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
/// Pusher's published signature for user `{"id":"12345"}` on socket `1234.1234`.
pub(crate) const USER_12345_SIG: &str =
    "4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba";
/// A 32-byte master key (bytes 0..32).
pub(crate) const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub(crate) const FORM: &str = "application/x-www-form-urlencoded";
pub(crate) const JSON: &str = "application/json";

pub(crate) fn pusher() -> Pusher {
    Pusher::builder(APP_ID, KEY, SECRET).build().unwrap()
}

pub(crate) fn pusher_with_master_key() -> Pusher {
    Pusher::builder(APP_ID, KEY, SECRET)
        .encryption_master_key_base64(MASTER_KEY)
        .build()
        .unwrap()
}

/// Hex HMAC-SHA256, computed here rather than by the crate under test.
pub(crate) fn hmac_hex(secret: &str, message: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// What came back.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Collects a response's status, content type and body.
pub(crate) async fn answer<B: MessageBody>(response: ServiceResponse<B>) -> Answer {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = test::read_body(response).await;
    Answer {
        status,
        content_type,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// Sends a `TestRequest` to an app made by `test::init_service` and collects the [`Answer`].
macro_rules! send {
    ($app:expr, $req:expr) => {
        common::answer(actix_web::test::call_service(&$app, $req.to_request()).await).await
    };
}

/// A POST of `body` to `path`, with `content_type` if given.
pub(crate) fn post(
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Vec<u8>>,
) -> test::TestRequest {
    let mut req = test::TestRequest::post().uri(path).set_payload(body.into());
    if let Some(content_type) = content_type {
        req = req.insert_header((CONTENT_TYPE, content_type));
    }
    req
}
