//! The [`VerifiedWebhook`] extractor and its [`WebhookRejection`].
//!
//! The other adapter has a `VerifiedWebhook` of the same shape (newtype, `into_inner`, `Deref`):
//! each framework's extractor trait can only be implemented on a type of the adapter's own (the
//! orphan rule), so the wrapper is repeated; what it does (headers, limits, verification, the
//! answers) lives once in `pusher-client`.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use pusher_client::{
    AuthReply, WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, Webhook, WebhookError,
    WebhookRejectionReason,
};
use serde::de::DeserializeOwned;

use crate::state::find_pusher;

/// A webhook proven to come from Pusher, parsed as `T` ([`Webhook`] unless you choose your own
/// `Deserialize` type).
///
/// As an extractor it needs the [`Pusher`](pusher_client::Pusher) client in the app data
/// (`web::Data<Pusher>`, `web::ThinData<Pusher>` or a bare `Pusher`). It:
///
/// 1. reads `X-Pusher-Key` and `X-Pusher-Signature` (names are case-insensitive) and refuses
///    the request before reading the body if either is missing;
/// 2. reads the body as [`web::Bytes`] does, so the app's [`web::PayloadConfig`] limit
///    applies (413 above it, or at once for a `Content-Length` announcing more; the default is
///    256 KiB);
/// 3. has the core check the signature in constant time (against the app key and any
///    `PusherBuilder::webhook_key`), the optional maximum age, and parse the body.
///
/// Any failure is a [`WebhookRejection`]: 401 when the request is not provably from Pusher,
/// 400 for a signed body that does not parse, 413 for an oversized body, 500 when no client is
/// registered.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use pusher_actix::{VerifiedWebhook, pusher_client::{Pusher, WebhookEvent}};
///
/// async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) -> HttpResponse {
///     for event in &webhook.events {
///         if let WebhookEvent::ChannelOccupied { channel } = event {
///             println!("{channel} is occupied");
///         }
///     }
///     HttpResponse::Ok().finish()
/// }
///
/// # fn app(pusher: Pusher) {
/// App::new()
///     .app_data(web::Data::new(pusher))
///     .app_data(web::PayloadConfig::new(64 * 1024)) // optional: webhook bodies are small
///     .route("/webhooks", web::post().to(webhooks));
/// # }
/// ```
///
/// With your own type (only the fields you need; unknown fields are ignored by serde):
///
/// ```
/// use actix_web::HttpResponse;
/// use pusher_actix::VerifiedWebhook;
///
/// #[derive(serde::Deserialize)]
/// struct Names { events: Vec<Name> }
/// #[derive(serde::Deserialize)]
/// struct Name { name: String }
///
/// async fn webhooks(VerifiedWebhook(names): VerifiedWebhook<Names>) -> HttpResponse {
///     let names: Vec<&str> = names.events.iter().map(|e| e.name.as_str()).collect();
///     HttpResponse::Ok().body(names.join(","))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedWebhook<T = Webhook>(pub T);

impl<T> VerifiedWebhook<T> {
    /// The verified webhook.
    ///
    /// ```
    /// let webhook = pusher_actix::VerifiedWebhook(5).into_inner();
    /// assert_eq!(webhook, 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for VerifiedWebhook<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for VerifiedWebhook<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for VerifiedWebhook<T> {
    type Error = WebhookRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebhookRejection>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = check_request(req);
        let (pusher, key, signature) = match checked {
            Ok(found) => found,
            Err(rejection) => return Box::pin(async move { Err(rejected(rejection)) }),
        };
        // Only now is the body read, under the app's PayloadConfig.
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| rejected(WebhookRejection::from_body_error(&e)))?;
            pusher
                .verify_webhook_as::<T>(Some(&key), Some(&signature), &body)
                .map(VerifiedWebhook)
                .map_err(|e| rejected(WebhookRejection::from(e)))
        })
    }
}

/// The client and both header values, or why the request is refused before its body is read.
fn check_request(
    req: &HttpRequest,
) -> Result<(pusher_client::Pusher, String, String), WebhookRejection> {
    let pusher = find_pusher(req).ok_or(WebhookRejection(WebhookRejectionReason::MissingClient))?;
    // Both headers are read before either is judged, in the same order as pusher-axum, so the
    // two adapters give the same answer when more than one header is wrong.
    let key = header(req, WEBHOOK_KEY_HEADER)?;
    let signature = header(req, WEBHOOK_SIGNATURE_HEADER)?;
    // A missing header, an unknown key or a malformed signature is refused before the body is read.
    pusher.check_webhook_headers(key.as_deref(), signature.as_deref())?;
    match (key, signature) {
        (Some(key), Some(signature)) => Ok((pusher, key, signature)),
        // check_webhook_headers refused a missing header already; kept total rather than unwrapped.
        (None, _) => Err(WebhookError::MissingKey.into()),
        (_, None) => Err(WebhookError::MissingSignature.into()),
    }
}

/// A header's value as text (`None` when absent; refused when not visible ASCII: the core's
/// rule, [`WebhookRejectionReason::header_text`], which `pusher-axum` applies too).
fn header(req: &HttpRequest, name: &'static str) -> Result<Option<String>, WebhookRejection> {
    let raw = req.headers().get(name).map(|value| value.as_bytes());
    Ok(WebhookRejectionReason::header_text(name, raw)?.map(str::to_owned))
}

/// Logs a rejection with its full reason and passes it on; the response carries only the
/// reason's category ([`WebhookRejection::body_text`]).
///
/// Logged at `debug`: anyone can post to a webhook endpoint (the log names the setting to fix;
/// the response does not). A missing client was already logged at `error` by the lookup.
fn rejected(rejection: WebhookRejection) -> WebhookRejection {
    let status = rejection.status().as_u16();
    // Anyone can post to a webhook URL: refusals are logged at `debug`, so forged requests
    // cannot flood the log. (A missing client, the one server-side fault, was already logged
    // at `error`, with the fix, where the lookup failed.)
    tracing::debug!(status, reason = %rejection, "pusher webhook rejected");
    rejection
}

/// Why [`VerifiedWebhook`] refused a request: the core's [`WebhookRejectionReason`], as an
/// actix-web error. Its response is the status and the JSON body `{"error":"<body_text>"}`
/// (`application/json`, the shape of the authorization routes' errors), as the core decides —
/// the same in `pusher-axum`, whose `WebhookRejection` wraps the same reasons.
///
/// [`body_text`](Self::body_text) names the reason's category only; `Display` is the full
/// reason with advice for the operator (which setting adds a key, how to register the client),
/// and is what the `debug` log line written on each rejection carries (a
/// [`MissingClient`](WebhookRejectionReason::MissingClient) is also logged at `error`, with the
/// fix).
///
/// The statuses and bodies are the core's, listed with each reason at
/// [`WebhookRejectionReason`]. Here the body, or its announced `Content-Length`, is measured
/// against the app's [`web::PayloadConfig`] limit (413), an
/// [`UnreadableBody`](WebhookRejectionReason::UnreadableBody) has the status actix gives
/// (usually 400), and a [`MissingClient`](WebhookRejectionReason::MissingClient) (no `Pusher`
/// in the app data) is a 500.
///
/// No reason, message or log line carries a secret or the expected signature.
///
/// ```
/// use actix_web::{http::StatusCode, ResponseError};
/// use pusher_actix::{WebhookRejection, pusher_client::WebhookError};
///
/// let rejection = WebhookRejection::from(WebhookError::InvalidSignature);
/// assert_eq!(rejection.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(rejection.error_response().status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(rejection.body_text(), "invalid signature");
/// assert_eq!(rejection.to_string(), "webhook refused: X-Pusher-Signature does not match the body");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRejection(pub WebhookRejectionReason);

impl WebhookRejection {
    /// The HTTP status of the response (the core's [`WebhookRejectionReason::status`]).
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use pusher_actix::WebhookRejection;
    /// use pusher_actix::pusher_client::{WebhookError, WebhookRejectionReason};
    ///
    /// let missing = WebhookRejection(WebhookRejectionReason::MissingClient);
    /// assert_eq!(missing.status(), StatusCode::INTERNAL_SERVER_ERROR);
    /// let too_large = WebhookRejection(WebhookRejectionReason::PayloadTooLarge);
    /// assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// let bad = WebhookRejection::from(WebhookError::BadPayload("not JSON".into()));
    /// assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    /// ```
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    /// What the response tells the caller, as the `error` of its JSON body: the reason's
    /// category only (the core's [`WebhookRejectionReason::body_text`]). `Display` is the full
    /// reason, for the log.
    ///
    /// ```
    /// use pusher_actix::WebhookRejection;
    /// use pusher_actix::pusher_client::{WebhookError, WebhookRejectionReason};
    ///
    /// let missing = WebhookRejection(WebhookRejectionReason::MissingClient);
    /// assert_eq!(missing.body_text(), "internal error");
    /// assert!(missing.to_string().contains("app_data"));
    /// let unknown = WebhookRejection::from(WebhookError::UnknownKey);
    /// assert_eq!(unknown.body_text(), "unknown key");
    /// assert!(unknown.to_string().contains("PusherBuilder::webhook_key"));
    /// ```
    pub fn body_text(&self) -> String {
        self.0.body_text()
    }

    /// Sorts out an error from reading the body with `web::Bytes`.
    fn from_body_error(error: &actix_web::Error) -> Self {
        let status = error.as_response_error().status_code();
        WebhookRejection(if status == StatusCode::PAYLOAD_TOO_LARGE {
            WebhookRejectionReason::PayloadTooLarge
        } else {
            WebhookRejectionReason::UnreadableBody {
                status: status.as_u16(),
                reason: error.to_string(),
            }
        })
    }
}

impl From<WebhookRejectionReason> for WebhookRejection {
    fn from(reason: WebhookRejectionReason) -> Self {
        WebhookRejection(reason)
    }
}

impl From<WebhookError> for WebhookRejection {
    fn from(error: WebhookError) -> Self {
        WebhookRejection(WebhookRejectionReason::Refused(error))
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            // The fix is actix's: say how to register the client.
            WebhookRejectionReason::MissingClient => f.write_str(
                "webhook refused: no Pusher client in the app data; register it with \
                 `App::new().app_data(web::Data::new(pusher))` (or `web::ThinData(pusher)`)",
            ),
            reason => fmt::Display::fmt(reason, f),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// The status and `{"error":"<body_text>"}` as `application/json`.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status())
            .insert_header((
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(AuthReply::CONTENT_TYPE),
            ))
            .body(self.0.reply().into_body())
    }
}
