//! [`AuthReply`]: the status and JSON body every authorization endpoint answers with, and the
//! answers the framework adapters share (so that `pusher-axum` and `pusher-actix` answer
//! alike). Kept apart from the endpoint: webhook rejections answer in the same shape.

use std::fmt;

use serde::Serialize;

use crate::error::ValidationError;

/// The body of every 500 answer: the detail is logged, not sent.
const INTERNAL_ERROR_BODY: &str = r#"{"error":"internal error"}"#;

/// A ready answer for an authorization endpoint: a status and a JSON body.
///
/// ```
/// use pusher_client::{AuthEndpoint, ChannelAuthRequest, ChannelGrant, Pusher};
///
/// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
/// let request = ChannelAuthRequest::new("1234.1234", "private-orders");
/// let reply = endpoint.channel_reply(&request, ChannelGrant::Deny);
/// assert_eq!(reply.status(), 403);
/// assert_eq!(reply.body(), r#"{"error":"forbidden"}"#);
/// # Ok::<(), pusher_client::Error>(())
/// ```
///
/// `Debug` shows an error body but not a success's: that holds signatures and an encrypted
/// channel's `shared_secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthReply {
    status: u16,
    body: String,
}

impl fmt::Debug for AuthReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("AuthReply");
        out.field("status", &self.status);
        if (200..300).contains(&self.status) {
            out.field(
                "body",
                &format_args!("<redacted, {} bytes>", self.body.len()),
            );
        } else {
            out.field("body", &self.body);
        }
        out.finish()
    }
}

impl AuthReply {
    /// A 200 answer with this JSON body.
    pub(super) fn ok(body: String) -> Self {
        AuthReply { status: 200, body }
    }

    /// An error answer: `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Self {
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
        }
        // Straight from a struct: no intermediate `serde_json::Value` map.
        let body = serde_json::to_string(&ErrorBody { error: message })
            .unwrap_or_else(|_| unreachable!("a string field always serialises"));
        AuthReply { status, body }
    }

    /// The 400 answer to a request refused by
    /// [`AuthEndpoint::check_channel`](super::AuthEndpoint::check_channel) or
    /// [`AuthEndpoint::check_user`](super::AuthEndpoint::check_user).
    ///
    /// ```
    /// use pusher_client::{AuthEndpoint, AuthReply, ChannelAuthRequest, Pusher};
    ///
    /// let endpoint = AuthEndpoint::new(Pusher::builder("1", "key", "secret").build()?);
    /// let error = endpoint.check_channel(&ChannelAuthRequest::new("x", "private-a")).unwrap_err();
    /// assert_eq!(AuthReply::invalid(&error).status(), 400);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn invalid(error: &ValidationError) -> Self {
        AuthReply::error(400, &error.to_string())
    }

    /// The 403 answer to a denial.
    pub fn forbidden() -> Self {
        AuthReply::error(403, "forbidden")
    }

    /// The 500 answer when the server is at fault (a grant that does not fit the channel, no
    /// master key for an encrypted channel): `{"error":"internal error"}`, always the same, so
    /// the browser learns nothing about the server's configuration. Log the detail instead, as
    /// the endpoints here do (at `error`).
    ///
    /// ```
    /// use pusher_client::AuthReply;
    ///
    /// let reply = AuthReply::internal_error();
    /// assert_eq!(reply.status(), 500);
    /// assert_eq!(reply.body(), r#"{"error":"internal error"}"#);
    /// ```
    pub fn internal_error() -> Self {
        AuthReply {
            status: 500,
            body: INTERNAL_ERROR_BODY.to_owned(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The JSON body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The JSON body, owned.
    pub fn into_body(self) -> String {
        self.body
    }

    /// The `Content-Type` of every reply.
    pub const CONTENT_TYPE: &'static str = "application/json";
}

/// Answers the framework adapters share, so that they answer alike.
impl AuthReply {
    /// The `Content-Type` header of an authorization request, from its raw bytes, as the text
    /// [`ChannelAuthBody::parse`](super::ChannelAuthBody::parse) and
    /// [`UserAuthRequest::parse`](crate::UserAuthRequest::parse) take: `Ok(None)` when there is
    /// none, the text when it is visible ASCII (tabs allowed), and otherwise the 400 reply
    /// `{"error":"the Content-Type header is invalid: it is not visible ASCII text"}`.
    ///
    /// Refused rather than read lossily: pusher-js always sends an ASCII `Content-Type`, and a
    /// value with other bytes (HTTP's obsolete `obs-text`) names no type or charset this code
    /// knows; decoding it with replacement characters would make different headers look alike
    /// and sign a body whose encoding was never understood. Adapters pass the raw header bytes
    /// here so that every framework gives the same answer.
    ///
    /// ```
    /// use pusher_client::AuthReply;
    ///
    /// assert_eq!(AuthReply::check_content_type(None), Ok(None));
    /// assert_eq!(
    ///     AuthReply::check_content_type(Some(b"application/json; charset=UTF-8")),
    ///     Ok(Some("application/json; charset=UTF-8")),
    /// );
    /// let refused = AuthReply::check_content_type(Some(b"application/json; charset=\xe9")).unwrap_err();
    /// assert_eq!(refused.status(), 400);
    /// assert!(refused.body().contains("Content-Type header is invalid"));
    /// ```
    pub fn check_content_type(raw: Option<&[u8]>) -> Result<Option<&str>, AuthReply> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let visible = raw.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
        match std::str::from_utf8(raw) {
            Ok(text) if visible => Ok(Some(text)),
            _ => Err(AuthReply::error(
                400,
                "the Content-Type header is invalid: it is not visible ASCII text",
            )),
        }
    }

    /// The 413 answer to a request body over the server's limit (announced by its
    /// `Content-Length` or found while reading it).
    ///
    /// ```
    /// let reply = pusher_client::AuthReply::payload_too_large();
    /// assert_eq!(reply.status(), 413);
    /// assert_eq!(reply.body(), r#"{"error":"the request body is larger than this server accepts"}"#);
    /// ```
    pub fn payload_too_large() -> Self {
        AuthReply::error(413, "the request body is larger than this server accepts")
    }

    /// The 400 answer to a request body that could not be read (e.g. the connection failed
    /// half-way).
    ///
    /// ```
    /// assert_eq!(pusher_client::AuthReply::unreadable_body().status(), 400);
    /// ```
    pub fn unreadable_body() -> Self {
        AuthReply::error(400, "the request body could not be read")
    }
}
