//! The [`VerifiedWebhook`] extractor and its [`WebhookRejection`].

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use pusher_client::{
    AuthReply, WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, Webhook, WebhookError,
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
                .map_err(|e| rejected(WebhookRejection::Webhook(e)))
        })
    }
}

/// The client and both header values, or why the request is refused before its body is read.
fn check_request(
    req: &HttpRequest,
) -> Result<(pusher_client::Pusher, String, String), WebhookRejection> {
    let pusher = find_pusher(req).ok_or(WebhookRejection::MissingClient)?;
    let key = header(req, WEBHOOK_KEY_HEADER)?.ok_or(WebhookError::MissingKey)?;
    let signature = header(req, WEBHOOK_SIGNATURE_HEADER)?.ok_or(WebhookError::MissingSignature)?;
    // An unknown key or a malformed signature is refused before the body is read.
    pusher.check_webhook_headers(Some(&key), Some(&signature))?;
    Ok((pusher, key, signature))
}

/// A header's value as text (`None` when absent; refused when not visible ASCII).
fn header(req: &HttpRequest, name: &'static str) -> Result<Option<String>, WebhookRejection> {
    match req.headers().get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|text| Some(text.to_owned()))
            .map_err(|_| WebhookRejection::InvalidHeader { header: name }),
    }
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

/// Why [`VerifiedWebhook`] refused a request; its response is the status and the JSON body
/// `{"error":"<body_text>"}` (`application/json`, the shape of the authorization routes'
/// errors).
///
/// [`body_text`](Self::body_text) names the reason's category only; `Display` is the full
/// reason with advice for the operator (which setting adds a key, how to register the client),
/// and is what the `debug` log line written on each rejection carries (a
/// [`MissingClient`](Self::MissingClient) is also logged at `error`, with the fix).
///
/// | variant | status | body |
/// | --- | --- | --- |
/// | [`MissingClient`](Self::MissingClient) | 500 | `{"error":"internal error"}` |
/// | [`InvalidHeader`](Self::InvalidHeader) | 401 | `{"error":"invalid X-Pusher-Key header"}` (or `X-Pusher-Signature`) |
/// | [`Webhook`](Self::Webhook) with an authentication failure (missing header, unknown key, malformed or wrong signature, too old) | 401 | [`WebhookError::client_message`], e.g. `{"error":"invalid signature"}` |
/// | [`Webhook`](Self::Webhook) with [`WebhookError::BadPayload`] | 400 | `{"error":"malformed body"}` |
/// | [`PayloadTooLarge`](Self::PayloadTooLarge): the body, or its announced `Content-Length`, over the limit | 413 | `{"error":"body too large"}` |
/// | [`UnreadableBody`](Self::UnreadableBody) | the status actix gives (usually 400) | `{"error":"unreadable body"}` |
///
/// No variant, message or log line carries a secret or the expected signature.
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
#[non_exhaustive]
pub enum WebhookRejection {
    /// No [`Pusher`](pusher_client::Pusher) client in the app data (500). How to register one
    /// is logged at error level; the response only says `internal error`.
    MissingClient,
    /// A webhook header's value is not visible ASCII text (401).
    InvalidHeader {
        /// The header's name.
        header: &'static str,
    },
    /// The core refused the webhook: 401 when [`WebhookError::is_auth_failure`], else 400.
    Webhook(WebhookError),
    /// The body is longer than the app's [`web::PayloadConfig`] limit (413).
    PayloadTooLarge,
    /// The body could not be read: cut short, badly encoded, or of a content type the app's
    /// [`web::PayloadConfig`] refuses.
    UnreadableBody {
        /// The status actix answers with for that (usually 400).
        status: StatusCode,
        /// What went wrong, as actix describes it.
        reason: String,
    },
}

impl WebhookRejection {
    /// The HTTP status of the response.
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use pusher_actix::{WebhookRejection, pusher_client::WebhookError};
    ///
    /// assert_eq!(WebhookRejection::MissingClient.status(), StatusCode::INTERNAL_SERVER_ERROR);
    /// assert_eq!(WebhookRejection::PayloadTooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// let bad = WebhookRejection::Webhook(WebhookError::BadPayload("not JSON".into()));
    /// assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::MissingClient => StatusCode::INTERNAL_SERVER_ERROR,
            WebhookRejection::InvalidHeader { .. } => StatusCode::UNAUTHORIZED,
            WebhookRejection::Webhook(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST)
            }
            WebhookRejection::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookRejection::UnreadableBody { status, .. } => *status,
        }
    }

    /// What the response tells the caller, as the `error` of its JSON body: the reason's
    /// category only ([`WebhookError::client_message`] for the core's refusals). `Display` is
    /// the full reason, for the log.
    ///
    /// ```
    /// use pusher_actix::{WebhookRejection, pusher_client::WebhookError};
    ///
    /// assert_eq!(WebhookRejection::MissingClient.body_text(), "internal error");
    /// assert!(WebhookRejection::MissingClient.to_string().contains("app_data"));
    /// let unknown = WebhookRejection::Webhook(WebhookError::UnknownKey);
    /// assert_eq!(unknown.body_text(), "unknown key");
    /// assert!(unknown.to_string().contains("PusherBuilder::webhook_key"));
    /// ```
    pub fn body_text(&self) -> String {
        match self {
            WebhookRejection::MissingClient => "internal error".to_owned(),
            WebhookRejection::InvalidHeader { header } => format!("invalid {header} header"),
            WebhookRejection::Webhook(error) => error.client_message().to_owned(),
            WebhookRejection::PayloadTooLarge => "body too large".to_owned(),
            WebhookRejection::UnreadableBody { .. } => "unreadable body".to_owned(),
        }
    }

    /// Sorts out an error from reading the body with `web::Bytes`.
    fn from_body_error(error: &actix_web::Error) -> Self {
        let status = error.as_response_error().status_code();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            WebhookRejection::PayloadTooLarge
        } else {
            WebhookRejection::UnreadableBody {
                status,
                reason: error.to_string(),
            }
        }
    }
}

impl From<WebhookError> for WebhookRejection {
    fn from(error: WebhookError) -> Self {
        WebhookRejection::Webhook(error)
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRejection::MissingClient => f.write_str(
                "webhook refused: no Pusher client in the app data; register it with \
                 `App::new().app_data(web::Data::new(pusher))` (or `web::ThinData(pusher)`)",
            ),
            WebhookRejection::InvalidHeader { header } => {
                write!(f, "webhook refused: the {header} header is not valid text")
            }
            WebhookRejection::Webhook(e) => fmt::Display::fmt(e, f),
            WebhookRejection::PayloadTooLarge => {
                f.write_str("webhook refused: the body is larger than this server accepts")
            }
            WebhookRejection::UnreadableBody { reason, .. } => {
                write!(f, "webhook refused: the body could not be read: {reason}")
            }
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookRejection::Webhook(e) => Some(e),
            _ => None,
        }
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// The status and `{"error":"<body_text>"}` as `application/json`.
    fn error_response(&self) -> HttpResponse {
        let reply = AuthReply::error(self.status().as_u16(), &self.body_text());
        HttpResponse::build(self.status())
            .insert_header((
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(AuthReply::CONTENT_TYPE),
            ))
            .body(reply.into_body())
    }
}
