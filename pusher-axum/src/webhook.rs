//! The [`VerifiedWebhook`] extractor and its [`WebhookRejection`].
//!
//! The other adapter has a `VerifiedWebhook` of the same shape (newtype, `into_inner`, `Deref`):
//! each framework's extractor trait can only be implemented on a type of the adapter's own (the
//! orphan rule), so the wrapper is repeated; what it does (headers, limits, verification, the
//! answers) lives once in `pusher-client`.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pusher_client::{
    AuthReply, Pusher, WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, Webhook, WebhookError,
    WebhookRejectionReason,
};

use crate::body::BodyError;
use crate::state::ViaArc;
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
/// Being a body extractor, it must be the last argument of the handler. It needs a router state
/// that holds the client ([`PusherState`](crate::PusherState)): `.with_state(pusher)`, an app
/// state that `#[derive(FromRef)]`s a `Pusher` field, or an `Arc` of such an app state
/// (`.with_state(Arc::new(AppState { .. }))`). Any refusal is a [`WebhookRejection`].
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
        extract(req, Pusher::from_ref(state)).await
    }
}

/// The extractor for an `Arc<AppState>` router state (axum's usual way to share state), with
/// `Pusher: FromRef<AppState>`: see [`PusherState`](crate::PusherState). The marker
/// [`ViaArc`] keeps this impl apart from the one above; it is inferred, so a handler takes
/// `VerifiedWebhook` alike in both cases. (Only `Result<VerifiedWebhook, WebhookRejection>`, which
/// axum implements for the default marker alone, needs the `FromRef` state: with an `Arc` state,
/// take the `Request` and call `VerifiedWebhook::from_request(request, &state)`.)
impl<A, T> FromRequest<Arc<A>, ViaArc> for VerifiedWebhook<T>
where
    A: Send + Sync,
    Pusher: FromRef<A>,
    T: DeserializeOwned,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &Arc<A>) -> Result<Self, Self::Rejection> {
        extract(req, Pusher::from_ref(&**state)).await
    }
}

/// Both extractor impls: verifies, and logs a refusal.
async fn extract<T: DeserializeOwned>(
    req: Request,
    pusher: Pusher,
) -> Result<VerifiedWebhook<T>, WebhookRejection> {
    let result = verify(req, &pusher).await;
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

async fn verify<T>(req: Request, pusher: &Pusher) -> Result<T, WebhookRejection>
where
    T: DeserializeOwned,
{
    // The headers first: a request that is missing one, names a key this client does not
    // accept or carries a malformed signature is refused without reading its body.
    let key = header_text(req.headers(), WEBHOOK_KEY_HEADER)?;
    let signature = header_text(req.headers(), WEBHOOK_SIGNATURE_HEADER)?;
    pusher.check_webhook_headers(key.as_deref(), signature.as_deref())?;
    let (_, body) = crate::body::read(req).await.map_err(|error| match error {
        BodyError::TooLarge => WebhookRejectionReason::PayloadTooLarge,
        BodyError::Unreadable => WebhookRejectionReason::UnreadableBody {
            status: StatusCode::BAD_REQUEST.as_u16(),
            reason: String::new(),
        },
    })?;
    Ok(pusher.verify_webhook_as(key.as_deref(), signature.as_deref(), &body)?)
}

/// The header's value as text; `Ok(None)` when absent, refused when not visible ASCII (the
/// core's rule, [`WebhookRejectionReason::header_text`], which `pusher-actix` applies too).
fn header_text(
    headers: &HeaderMap,
    name: &'static str,
) -> Result<Option<String>, WebhookRejection> {
    let raw = headers.get(name).map(HeaderValue::as_bytes);
    let text = WebhookRejectionReason::header_text(name, raw)?;
    Ok(text.map(str::to_owned))
}

/// Why [`VerifiedWebhook`] refused a request: the core's [`WebhookRejectionReason`], as an
/// axum response.
///
/// The core decides the answer — the same in `pusher-actix`, whose `WebhookRejection` wraps the
/// same reasons: the response is the [`status`](Self::status) with the JSON body
/// `{"error":"<body_text>"}` (`application/json`, the shape of the authorization routes'
/// errors). [`body_text`](Self::body_text) is the reason's category only; `Display` is the full
/// reason, with advice for the operator, and is what the `debug` log line written on each
/// rejection carries. None of them ever contains a secret or the expected signature.
///
/// The statuses and bodies are the core's, listed with each reason at
/// [`WebhookRejectionReason`]. Here the body, or its announced `Content-Length`, is measured
/// against the app's `DefaultBodyLimit` (413), and an unreadable body is a 400;
/// [`WebhookRejectionReason::MissingClient`] never happens: a router whose state holds no
/// [`Pusher`] does not compile.
///
/// To answer differently, take `Result<VerifiedWebhook, WebhookRejection>` as the argument:
///
/// ```
/// use axum::http::StatusCode;
/// use pusher_axum::{VerifiedWebhook, WebhookRejection};
/// use pusher_axum::pusher_client::WebhookRejectionReason;
///
/// async fn webhooks(hook: Result<VerifiedWebhook, WebhookRejection>) -> StatusCode {
///     match hook {
///         Ok(VerifiedWebhook(webhook)) => StatusCode::NO_CONTENT,
///         // Acknowledge payloads we cannot parse so that Pusher does not retry them.
///         Err(WebhookRejection(WebhookRejectionReason::Refused(e))) if !e.is_auth_failure() => {
///             StatusCode::OK
///         }
///         Err(rejection) => rejection.status(),
///     }
/// }
/// ```
///
/// axum implements that `Result` extractor for the default extraction only, so with an
/// `Arc<AppState>` router state (see [`PusherState`](crate::PusherState)) take the request and
/// run the extractor yourself:
///
/// ```
/// use std::sync::Arc;
///
/// use axum::extract::{FromRef, FromRequest, Request, State};
/// use axum::http::StatusCode;
/// use pusher_axum::{Pusher, VerifiedWebhook};
///
/// #[derive(FromRef)]
/// struct AppState {
///     pusher: Pusher,
/// }
///
/// async fn webhooks(State(app): State<Arc<AppState>>, request: Request) -> StatusCode {
///     match VerifiedWebhook::<pusher_axum::Webhook>::from_request(request, &app).await {
///         Ok(VerifiedWebhook(webhook)) => StatusCode::NO_CONTENT,
///         Err(rejection) => rejection.status(),
///     }
/// }
///
/// let state = Arc::new(AppState { pusher: Pusher::builder("1", "key", "secret").build()? });
/// let app: axum::Router = axum::Router::new()
///     .route("/webhooks", axum::routing::post(webhooks))
///     .with_state(state);
/// # Ok::<(), pusher_axum::pusher_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRejection(pub WebhookRejectionReason);

impl WebhookRejection {
    /// The HTTP status of this rejection (the core's [`WebhookRejectionReason::status`]).
    ///
    /// ```
    /// use axum::http::StatusCode;
    /// use pusher_axum::{WebhookError, WebhookRejection};
    /// use pusher_axum::pusher_client::WebhookRejectionReason;
    ///
    /// assert_eq!(WebhookRejection::from(WebhookError::InvalidSignature).status(), StatusCode::UNAUTHORIZED);
    /// let too_large = WebhookRejection(WebhookRejectionReason::PayloadTooLarge);
    /// assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// ```
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    /// What the response tells the caller, as the `error` of its JSON body: the reason's
    /// category only (the core's [`WebhookRejectionReason::body_text`]). `Display` is the full
    /// reason, for the log.
    ///
    /// ```
    /// use pusher_axum::{WebhookError, WebhookRejection};
    ///
    /// let rejection = WebhookRejection::from(WebhookError::UnknownKey);
    /// assert_eq!(rejection.body_text(), "unknown key");
    /// assert!(rejection.to_string().contains("PusherBuilder::webhook_key"));
    /// ```
    pub fn body_text(&self) -> String {
        self.0.body_text()
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
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

impl IntoResponse for WebhookRejection {
    /// The status and `{"error":"<body_text>"}` as `application/json`.
    fn into_response(self) -> Response {
        (
            self.status(),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(AuthReply::CONTENT_TYPE),
            )],
            self.0.reply().into_body(),
        )
            .into_response()
    }
}
