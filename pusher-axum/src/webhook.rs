//! The [`VerifiedWebhook`] extractor and its [`WebhookRejection`].

use std::fmt;
use std::ops::{Deref, DerefMut};

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pusher_client::{
    AuthReply, Pusher, WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, Webhook, WebhookError,
};

use crate::body::BodyError;
use serde::de::DeserializeOwned;

/// A webhook from Pusher, verified before your handler runs.
///
/// As an extractor it:
///
/// 1. reads the `X-Pusher-Key` and `X-Pusher-Signature` headers (case-insensitively) and refuses
///    the request with 401 — before reading the body — if one is missing or is not text, if the
///    key is not one the client accepts, or if the signature is not 64 hex digits
///    ([`Pusher::check_webhook_headers`]);
/// 2. reads the body under the app's [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit), as
///    axum's own [`Bytes`](axum::body::Bytes) extractor does (413 above it), but refuses a `Content-Length` over the
///    limit at once rather than waiting for that much body;
/// 3. verifies the signature with the [`Pusher`] in the router's state
///    ([`Pusher::verify_webhook_as`]: constant time, key rotation, optional maximum age)
///    and parses the body as `T` — [`Webhook`] by default, or any `Deserialize` type of yours.
///
/// Being a body extractor, it must be the last argument of the handler. It needs
/// `Pusher: FromRef<S>` for the router state `S`: true for `.with_state(pusher)` and for an app
/// state that `#[derive(FromRef)]`s a `Pusher` field. Any refusal is a [`WebhookRejection`].
///
/// ```
/// use axum::{Router, routing::post};
/// use pusher_axum::{Pusher, VerifiedWebhook, WebhookEvent};
///
/// async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook) {
///     for event in &webhook.events {
///         if let WebhookEvent::MemberAdded { channel, user_id } = event {
///             println!("{user_id} joined {channel}");
///         }
///     }
/// }
///
/// let pusher = Pusher::builder("123456", "app-key", "app-secret").build()?;
/// let app: Router = Router::new()
///     .route("/webhooks", post(webhooks))
///     .with_state(pusher);
/// # Ok::<(), pusher_axum::pusher_client::Error>(())
/// ```
///
/// With your own payload type:
///
/// ```
/// use pusher_axum::VerifiedWebhook;
///
/// #[derive(serde::Deserialize)]
/// struct Names {
///     events: Vec<Name>,
/// }
/// #[derive(serde::Deserialize)]
/// struct Name {
///     name: String,
/// }
///
/// async fn webhooks(VerifiedWebhook(names): VerifiedWebhook<Names>) -> String {
///     names.events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(",")
/// }
/// ```
///
/// A router whose state holds no client does not compile, so there is no "client missing"
/// failure at run time:
///
/// ```compile_fail
/// use axum::{Router, routing::post};
/// use pusher_axum::VerifiedWebhook;
///
/// async fn webhooks(_: VerifiedWebhook) {}
///
/// // error: the handler needs a router state that holds a `Pusher`
/// let app: Router = Router::new().route("/webhooks", post(webhooks));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedWebhook<T = Webhook>(pub T);

impl<T> VerifiedWebhook<T> {
    /// The verified payload.
    ///
    /// ```
    /// let hook = pusher_axum::VerifiedWebhook(5);
    /// assert_eq!(hook.into_inner(), 5);
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

impl<S, T> FromRequest<S> for VerifiedWebhook<T>
where
    S: Send + Sync,
    Pusher: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let result = verify(req, state).await;
        if let Err(rejection) = &result {
            // The full reason, with its advice (such as which builder setting adds a key), is
            // for the operator; the response carries only its category (`body_text`). Anyone
            // can post to a webhook URL, so a refusal is logged at `debug`: a flood of forged
            // requests must not flood the log (turn on `pusher_axum=debug` to see why Pusher's
            // own webhooks are refused, e.g. after a secret rotation).
            tracing::debug!(
                status = rejection.status().as_u16(),
                reason = %rejection,
                "pusher webhook rejected"
            );
        }
        result.map(VerifiedWebhook)
    }
}

async fn verify<S, T>(req: Request, state: &S) -> Result<T, WebhookRejection>
where
    S: Send + Sync,
    Pusher: FromRef<S>,
    T: DeserializeOwned,
{
    let pusher = Pusher::from_ref(state);
    // The headers first: a request that is missing one, names a key this client does not
    // accept or carries a malformed signature is refused without reading its body.
    let key = header_text(req.headers(), WEBHOOK_KEY_HEADER)?;
    let signature = header_text(req.headers(), WEBHOOK_SIGNATURE_HEADER)?;
    pusher
        .check_webhook_headers(key.as_deref(), signature.as_deref())
        .map_err(WebhookRejection::Refused)?;
    let (_, body) = crate::body::read(req).await.map_err(|error| match error {
        BodyError::TooLarge => WebhookRejection::PayloadTooLarge,
        BodyError::Unreadable => WebhookRejection::BodyUnreadable,
    })?;
    pusher
        .verify_webhook_as(key.as_deref(), signature.as_deref(), &body)
        .map_err(WebhookRejection::Refused)
}

/// The header's value as text; `Ok(None)` when absent, refused when not visible ASCII.
///
/// Visible ASCII (the `http` crate's `to_str`), not any UTF-8: keys and hex signatures are ASCII,
/// and `pusher-actix` applies the same rule, so both answer a non-ASCII value alike.
fn header_text(
    headers: &HeaderMap,
    name: &'static str,
) -> Result<Option<String>, WebhookRejection> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|text| Some(text.to_owned()))
            .map_err(|_| WebhookRejection::InvalidHeader(name)),
    }
}

/// Why [`VerifiedWebhook`] refused a request.
///
/// As a response it is the [`status`](Self::status) with the JSON body
/// `{"error":"<body_text>"}` (`application/json`, the shape of the authorization routes'
/// errors). [`body_text`](Self::body_text) is the reason's category only; `Display` is the full
/// reason, with advice for the operator, and is what the `debug` log line written on each
/// rejection carries. None of them ever contains a secret or the expected signature.
///
/// | Case | Status | Body |
/// |---|---|---|
/// | `X-Pusher-Key` or `X-Pusher-Signature` missing | 401 | `{"error":"missing X-Pusher-Key header"}`, `{"error":"missing X-Pusher-Signature header"}` |
/// | A key the client does not accept | 401 | `{"error":"unknown key"}` |
/// | A signature that is not 64 hex digits | 401 | `{"error":"malformed signature"}` |
/// | A signature that does not match the body | 401 | `{"error":"invalid signature"}` |
/// | Older than the client's `webhook_max_age` | 401 | `{"error":"webhook too old"}` |
/// | A header that is not text | 401 | `{"error":"invalid X-Pusher-Key header"}` (or `X-Pusher-Signature`) |
/// | Signed, but the body is not the expected JSON | 400 | `{"error":"malformed body"}` |
/// | The body could not be read | 400 | `{"error":"unreadable body"}` |
/// | The body, or its announced `Content-Length`, is over the app's `DefaultBodyLimit` | 413 | `{"error":"body too large"}` |
///
/// To answer differently, take `Result<VerifiedWebhook, WebhookRejection>` as the argument:
///
/// ```
/// use axum::http::StatusCode;
/// use pusher_axum::{VerifiedWebhook, WebhookRejection};
///
/// async fn webhooks(hook: Result<VerifiedWebhook, WebhookRejection>) -> StatusCode {
///     match hook {
///         Ok(VerifiedWebhook(webhook)) => StatusCode::NO_CONTENT,
///         // Acknowledge payloads we cannot parse so that Pusher does not retry them.
///         Err(rejection) if rejection.status() == StatusCode::BAD_REQUEST => StatusCode::OK,
///         Err(rejection) => rejection.status(),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The core refused the webhook: 401 for a missing or unknown key, a missing, malformed or
    /// wrong signature, or a webhook older than the configured maximum age; 400 for a signed body
    /// that does not parse (see [`WebhookError::status`]).
    Refused(WebhookError),
    /// This header's value is not visible ASCII text (401).
    InvalidHeader(&'static str),
    /// The body is larger than the app's [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit)
    /// (413).
    PayloadTooLarge,
    /// The body could not be read, e.g. the connection failed (400).
    BodyUnreadable,
}

impl WebhookRejection {
    /// The HTTP status of this rejection.
    ///
    /// ```
    /// use axum::http::StatusCode;
    /// use pusher_axum::{WebhookError, WebhookRejection};
    ///
    /// assert_eq!(WebhookRejection::Refused(WebhookError::InvalidSignature).status(), StatusCode::UNAUTHORIZED);
    /// assert_eq!(WebhookRejection::PayloadTooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::Refused(error) => {
                if error.is_auth_failure() {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::BAD_REQUEST
                }
            }
            WebhookRejection::InvalidHeader(_) => StatusCode::UNAUTHORIZED,
            WebhookRejection::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookRejection::BodyUnreadable => StatusCode::BAD_REQUEST,
        }
    }

    /// What the response tells the caller, as the `error` of its JSON body: the reason's
    /// category only ([`WebhookError::client_message`] for the core's refusals). `Display` is
    /// the full reason, for the log.
    ///
    /// ```
    /// use pusher_axum::{WebhookError, WebhookRejection};
    ///
    /// let rejection = WebhookRejection::Refused(WebhookError::UnknownKey);
    /// assert_eq!(rejection.body_text(), "unknown key");
    /// assert!(rejection.to_string().contains("PusherBuilder::webhook_key"));
    /// ```
    pub fn body_text(&self) -> String {
        match self {
            WebhookRejection::Refused(error) => error.client_message().to_owned(),
            WebhookRejection::InvalidHeader(name) => format!("invalid {name} header"),
            WebhookRejection::PayloadTooLarge => "body too large".to_owned(),
            WebhookRejection::BodyUnreadable => "unreadable body".to_owned(),
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRejection::Refused(error) => fmt::Display::fmt(error, f),
            WebhookRejection::InvalidHeader(name) => {
                write!(f, "webhook refused: the {name} header is not valid text")
            }
            WebhookRejection::PayloadTooLarge => {
                f.write_str("webhook refused: the body is larger than this server accepts")
            }
            WebhookRejection::BodyUnreadable => {
                f.write_str("webhook refused: the body could not be read")
            }
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookRejection::Refused(error) => Some(error),
            _ => None,
        }
    }
}

impl From<WebhookError> for WebhookRejection {
    fn from(error: WebhookError) -> Self {
        WebhookRejection::Refused(error)
    }
}

impl IntoResponse for WebhookRejection {
    /// The status and `{"error":"<body_text>"}` as `application/json`.
    fn into_response(self) -> Response {
        let reply = AuthReply::error(self.status().as_u16(), &self.body_text());
        (
            self.status(),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(AuthReply::CONTENT_TYPE),
            )],
            reply.into_body(),
        )
            .into_response()
    }
}
