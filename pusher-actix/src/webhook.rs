//! The [`VerifiedWebhook`] extractor and its [`WebhookRejection`].

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use pusher_client::{WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, Webhook, WebhookError};
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
///    applies (413 above it; the default is 256 KiB);
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

/// Logs a rejection at debug level (attackers control what is refused) and passes it on.
fn rejected(rejection: WebhookRejection) -> WebhookRejection {
    tracing::debug!(
        status = rejection.status().as_u16(),
        reason = %rejection,
        "pusher webhook rejected"
    );
    rejection
}

/// Why [`VerifiedWebhook`] refused a request; its response is the status and
/// [`body_text`](Self::body_text) as `text/plain`.
///
/// | variant | status |
/// | --- | --- |
/// | [`MissingClient`](Self::MissingClient) | 500 |
/// | [`InvalidHeader`](Self::InvalidHeader) | 401 |
/// | [`Webhook`](Self::Webhook) with an authentication failure (missing header, unknown key, malformed or wrong signature, too old) | 401 |
/// | [`Webhook`](Self::Webhook) with [`WebhookError::BadPayload`] | 400 |
/// | [`PayloadTooLarge`](Self::PayloadTooLarge) | 413 |
/// | [`UnreadableBody`](Self::UnreadableBody) | the status actix gives (usually 400) |
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
/// assert_eq!(rejection.body_text(), "webhook refused: X-Pusher-Signature does not match the body");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// No [`Pusher`](pusher_client::Pusher) client in the app data (500). The details, and how
    /// to register one, are logged at debug level.
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

    /// The response body: this rejection's message.
    ///
    /// ```
    /// let text = pusher_actix::WebhookRejection::MissingClient.body_text();
    /// assert!(text.contains("not configured"));
    /// ```
    pub fn body_text(&self) -> String {
        self.to_string()
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
                "webhook refused: the Pusher client is not configured on this server \
                 (see the server's debug log)",
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

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status())
            .insert_header(ContentType::plaintext())
            .body(self.body_text())
    }
}
