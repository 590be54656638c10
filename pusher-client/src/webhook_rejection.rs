//! Why a webhook endpoint refused a request, with the answer decided once for every framework.

use std::fmt;

use crate::auth_endpoint::AuthReply;
use crate::webhook::WebhookError;

/// Why a webhook endpoint refused a request: the core's [`WebhookError`]s plus the cases of
/// the HTTP layer around it. Its [`status`](Self::status) and [`body_text`](Self::body_text)
/// are the answer both `pusher-axum` and `pusher-actix` give (their `WebhookRejection` wraps
/// this and only turns it into their framework's response), so the two answer alike.
///
/// The adapters' documentation links here rather than repeating this table.
///
/// | Reason | Status | `body_text` |
/// |---|---|---|
/// | [`MissingClient`](Self::MissingClient): no client registered | 500 | `internal error` |
/// | [`InvalidHeader`](Self::InvalidHeader): a header value that is not visible ASCII | 401 | `invalid X-Pusher-Key header` (or `X-Pusher-Signature`) |
/// | [`Refused`](Self::Refused) with [`WebhookError::MissingKey`], [`WebhookError::MissingSignature`] | 401 | `missing X-Pusher-Key header`, `missing X-Pusher-Signature header` |
/// | [`Refused`](Self::Refused) with [`WebhookError::UnknownKey`]: a key the client does not accept | 401 | `unknown key` |
/// | [`Refused`](Self::Refused) with [`WebhookError::MalformedSignature`]: not 64 hex digits | 401 | `malformed signature` |
/// | [`Refused`](Self::Refused) with [`WebhookError::InvalidSignature`]: it does not match the body | 401 | `invalid signature` |
/// | [`Refused`](Self::Refused) with [`WebhookError::TooOld`]: older than the client's `webhook_max_age` | 401 | `webhook too old` |
/// | [`Refused`](Self::Refused) with [`WebhookError::BadPayload`]: signed, but not the expected JSON | 400 | `malformed body` |
/// | [`PayloadTooLarge`](Self::PayloadTooLarge): the body, or its announced `Content-Length`, over the app's limit | 413 | `body too large` |
/// | [`UnreadableBody`](Self::UnreadableBody) | its `status` (usually 400) | `unreadable body` |
///
/// `Display` is the full reason, with advice for the operator, for the log; `body_text` is its
/// category only. None of them ever contains a secret or the expected signature.
///
/// ```
/// use pusher_client::{WebhookError, WebhookRejectionReason};
///
/// let reason = WebhookRejectionReason::from(WebhookError::UnknownKey);
/// assert_eq!(reason.status(), 401);
/// assert_eq!(reason.body_text(), "unknown key");
/// assert!(reason.to_string().contains("PusherBuilder::webhook_key"));
/// assert_eq!(WebhookRejectionReason::PayloadTooLarge.reply().body(), r#"{"error":"body too large"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookRejectionReason {
    /// No [`Pusher`](crate::Pusher) client could be found for the request (500). Only where
    /// the framework finds the client at run time (`pusher-actix`'s app data); with
    /// `pusher-axum` a router without one does not compile.
    MissingClient,
    /// A webhook header's value is not visible ASCII text (401).
    InvalidHeader {
        /// The header's name.
        header: &'static str,
    },
    /// The core refused the webhook: 401 when [`WebhookError::is_auth_failure`], else 400
    /// ([`WebhookError::status`]).
    Refused(WebhookError),
    /// The body, or the `Content-Length` it announced, is over the app's limit (413).
    PayloadTooLarge,
    /// The body could not be read: the connection failed, or the framework refused it.
    UnreadableBody {
        /// The status to answer with: 400, unless the framework chose another.
        status: u16,
        /// What went wrong, as the framework describes it (may be empty).
        reason: String,
    },
}

impl WebhookRejectionReason {
    /// The HTTP status to answer with.
    ///
    /// ```
    /// use pusher_client::{WebhookError, WebhookRejectionReason};
    ///
    /// assert_eq!(WebhookRejectionReason::MissingClient.status(), 500);
    /// assert_eq!(WebhookRejectionReason::Refused(WebhookError::BadPayload("x".into())).status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            WebhookRejectionReason::MissingClient => 500,
            WebhookRejectionReason::InvalidHeader { .. } => 401,
            WebhookRejectionReason::Refused(error) => error.status(),
            WebhookRejectionReason::PayloadTooLarge => 413,
            WebhookRejectionReason::UnreadableBody { status, .. } => *status,
        }
    }

    /// What the response tells the caller, as the `error` of its JSON body: the reason's
    /// category only ([`WebhookError::client_message`] for the core's refusals).
    ///
    /// ```
    /// use pusher_client::WebhookRejectionReason;
    ///
    /// let reason = WebhookRejectionReason::InvalidHeader { header: "X-Pusher-Key" };
    /// assert_eq!(reason.body_text(), "invalid X-Pusher-Key header");
    /// ```
    pub fn body_text(&self) -> String {
        match self {
            WebhookRejectionReason::MissingClient => "internal error".to_owned(),
            WebhookRejectionReason::InvalidHeader { header } => {
                format!("invalid {header} header")
            }
            WebhookRejectionReason::Refused(error) => error.client_message().to_owned(),
            WebhookRejectionReason::PayloadTooLarge => "body too large".to_owned(),
            WebhookRejectionReason::UnreadableBody { .. } => "unreadable body".to_owned(),
        }
    }

    /// The whole answer: [`status`](Self::status) and `{"error":"<body_text>"}`, to be sent
    /// as [`AuthReply::CONTENT_TYPE`] (the shape of the authorization routes' errors).
    ///
    /// ```
    /// use pusher_client::{WebhookError, WebhookRejectionReason};
    ///
    /// let reply = WebhookRejectionReason::Refused(WebhookError::InvalidSignature).reply();
    /// assert_eq!(reply.status(), 401);
    /// assert_eq!(reply.body(), r#"{"error":"invalid signature"}"#);
    /// ```
    pub fn reply(&self) -> AuthReply {
        AuthReply::error(self.status(), &self.body_text())
    }

    /// A webhook header's value as text, from its raw bytes: `Ok(None)` when absent, the text
    /// when it is visible ASCII (tabs allowed; the `http` crate's `to_str` rule), and otherwise
    /// [`InvalidHeader`](Self::InvalidHeader). Keys and hex signatures are ASCII; adapters pass
    /// the raw bytes here so that every framework answers a non-ASCII value alike.
    ///
    /// ```
    /// use pusher_client::{WEBHOOK_KEY_HEADER, WebhookRejectionReason};
    ///
    /// assert_eq!(WebhookRejectionReason::header_text(WEBHOOK_KEY_HEADER, None), Ok(None));
    /// assert_eq!(WebhookRejectionReason::header_text(WEBHOOK_KEY_HEADER, Some(b"key")), Ok(Some("key")));
    /// assert_eq!(
    ///     WebhookRejectionReason::header_text(WEBHOOK_KEY_HEADER, Some(b"k\xe9y")),
    ///     Err(WebhookRejectionReason::InvalidHeader { header: WEBHOOK_KEY_HEADER }),
    /// );
    /// ```
    pub fn header_text<'a>(
        name: &'static str,
        raw: Option<&'a [u8]>,
    ) -> Result<Option<&'a str>, Self> {
        AuthReply::check_content_type(raw)
            .map_err(|_| WebhookRejectionReason::InvalidHeader { header: name })
    }
}

impl fmt::Display for WebhookRejectionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRejectionReason::MissingClient => {
                f.write_str("webhook refused: no Pusher client is registered with the app")
            }
            WebhookRejectionReason::InvalidHeader { header } => {
                write!(f, "webhook refused: the {header} header is not valid text")
            }
            WebhookRejectionReason::Refused(error) => fmt::Display::fmt(error, f),
            WebhookRejectionReason::PayloadTooLarge => {
                f.write_str("webhook refused: the body is larger than this server accepts")
            }
            WebhookRejectionReason::UnreadableBody { reason, .. } if reason.is_empty() => {
                f.write_str("webhook refused: the body could not be read")
            }
            WebhookRejectionReason::UnreadableBody { reason, .. } => {
                write!(f, "webhook refused: the body could not be read: {reason}")
            }
        }
    }
}

impl std::error::Error for WebhookRejectionReason {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookRejectionReason::Refused(error) => Some(error),
            _ => None,
        }
    }
}

impl From<WebhookError> for WebhookRejectionReason {
    fn from(error: WebhookError) -> Self {
        WebhookRejectionReason::Refused(error)
    }
}
