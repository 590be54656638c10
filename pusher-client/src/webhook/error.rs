//! [`WebhookError`]: why a webhook was refused, with the HTTP status and the short client
//! message each reason answers with.

use std::time::Duration;

/// Why a webhook was refused.
///
/// Messages never contain a secret or the expected signature. `Display` is meant for the
/// server's log (it may advise on configuration); answer the caller with
/// [`client_message`](Self::client_message). Use
/// [`is_auth_failure`](Self::is_auth_failure) (or [`status`](Self::status)) to choose between
/// 401 (not provably from Pusher) and 400 (signed, but not a webhook this code understands).
///
/// ```
/// use pusher_client::{Pusher, WebhookError};
///
/// let pusher = Pusher::builder("1", "key", "secret").build()?;
/// let err = pusher.verify_webhook(Some("key"), None, b"{}").unwrap_err();
/// assert_eq!(err, WebhookError::MissingSignature);
/// assert!(err.is_auth_failure());
/// assert_eq!(err.status(), 401);
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The `X-Pusher-Key` header was absent.
    #[error("webhook refused: the X-Pusher-Key header is missing")]
    MissingKey,
    /// The `X-Pusher-Signature` header was absent.
    #[error("webhook refused: the X-Pusher-Signature header is missing")]
    MissingSignature,
    /// `X-Pusher-Key` named none of the keys this client accepts webhooks from.
    #[error(
        "webhook refused: X-Pusher-Key is not the app key nor a configured webhook key (see PusherBuilder::webhook_key)"
    )]
    UnknownKey,
    /// `X-Pusher-Signature` was not 64 hex digits.
    #[error("webhook refused: X-Pusher-Signature is not a hex HMAC-SHA256 (64 hex digits)")]
    MalformedSignature,
    /// `X-Pusher-Signature` did not match the body under the key's secret.
    #[error("webhook refused: X-Pusher-Signature does not match the body")]
    InvalidSignature,
    /// The webhook's `time_ms` was further in the past than the configured maximum age.
    #[error("webhook refused: it was sent {age:?} ago; the limit is {max:?}")]
    TooOld {
        /// How long ago Pusher sent it, by this client's clock.
        age: Duration,
        /// The configured maximum (see `PusherBuilder::webhook_max_age`).
        max: Duration,
    },
    /// The body was correctly signed but is not a webhook this code can read.
    #[error("webhook body is invalid: {0}")]
    BadPayload(String),
}

impl WebhookError {
    /// `true` when the request cannot be trusted to come from Pusher (missing or unknown key,
    /// bad signature, too old); `false` for a bad payload.
    ///
    /// ```
    /// use pusher_client::WebhookError;
    ///
    /// assert!(WebhookError::InvalidSignature.is_auth_failure());
    /// assert!(!WebhookError::BadPayload("not JSON".into()).is_auth_failure());
    /// ```
    pub fn is_auth_failure(&self) -> bool {
        !matches!(self, WebhookError::BadPayload(_))
    }

    /// A short text for the caller's response: the reason's category only ("unknown key",
    /// "invalid signature", "webhook too old", "malformed body", …).
    ///
    /// `Display` is for the server's log: it says what to check or configure (such as
    /// `PusherBuilder::webhook_key`) and, for a body that does not parse, what the parser
    /// found. That advice is for the operator, so a response should carry this text instead.
    /// Neither ever contains a secret or the expected signature.
    ///
    /// ```
    /// use pusher_client::WebhookError;
    ///
    /// let error = WebhookError::UnknownKey;
    /// assert_eq!(error.client_message(), "unknown key");
    /// assert!(error.to_string().contains("PusherBuilder::webhook_key")); // for the log
    /// assert_eq!(WebhookError::BadPayload("expected `,`".into()).client_message(), "malformed body");
    /// ```
    pub fn client_message(&self) -> &'static str {
        match self {
            WebhookError::MissingKey => "missing X-Pusher-Key header",
            WebhookError::MissingSignature => "missing X-Pusher-Signature header",
            WebhookError::UnknownKey => "unknown key",
            WebhookError::MalformedSignature => "malformed signature",
            WebhookError::InvalidSignature => "invalid signature",
            WebhookError::TooOld { .. } => "webhook too old",
            WebhookError::BadPayload(_) => "malformed body",
        }
    }

    /// The HTTP status to answer with: 401 for an authentication failure, 400 otherwise.
    ///
    /// ```
    /// assert_eq!(pusher_client::WebhookError::UnknownKey.status(), 401);
    /// assert_eq!(pusher_client::WebhookError::BadPayload(String::new()).status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        if self.is_auth_failure() { 401 } else { 400 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of each kind, in declaration order.
    fn every_reason() -> [WebhookError; 7] {
        [
            WebhookError::MissingKey,
            WebhookError::MissingSignature,
            WebhookError::UnknownKey,
            WebhookError::MalformedSignature,
            WebhookError::InvalidSignature,
            WebhookError::TooOld {
                age: Duration::from_secs(7_777),
                max: Duration::from_secs(60),
            },
            WebhookError::BadPayload("expected value at line 1 column 9 near SECRET-ISH".into()),
        ]
    }

    #[test]
    fn status_mapping() {
        let [auth_failures @ .., bad_payload] = every_reason();
        for e in auth_failures {
            assert_eq!(e.status(), 401, "{e}");
        }
        assert_eq!(bad_payload.status(), 400);
    }

    #[test]
    fn client_messages_carry_no_advice_nor_details() {
        let all = every_reason();
        let messages: Vec<&str> = all.iter().map(WebhookError::client_message).collect();
        assert_eq!(
            messages,
            [
                "missing X-Pusher-Key header",
                "missing X-Pusher-Signature header",
                "unknown key",
                "malformed signature",
                "invalid signature",
                "webhook too old",
                "malformed body",
            ]
        );
        // The log text keeps the advice and details the response leaves out.
        assert!(all[2].to_string().contains("PusherBuilder::webhook_key"));
        assert!(all[5].to_string().contains("7777"));
        assert!(all[6].to_string().contains("line 1 column 9"));
        for message in messages {
            for detail in ["PusherBuilder", "webhook_key", "7777", "line 1", "SECRET"] {
                assert!(!message.contains(detail), "{message}");
            }
        }
    }
}
