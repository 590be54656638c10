//! [`Error::reply`]: the HTTP answer a web handler gives when a call to Pusher failed, decided
//! once here so that `pusher-axum`'s and `pusher-actix`'s `PusherError` answer alike.

use crate::auth_endpoint::AuthReply;
use crate::error::{Error, ValidationError};
use crate::webhook_rejection::WebhookRejectionReason;

/// How loud the detail of a failure is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loudness {
    /// The caller's input (possibly an attacker's): never above `debug`.
    Debug,
    /// Pusher or the network failed: not this server's fault, but worth seeing.
    Warn,
    /// This server is misconfigured or its code is wrong.
    Error,
}

impl Error {
    /// The answer a web handler gives for this error: an HTTP status and a short JSON body
    /// `{"error":".."}`, as an [`AuthReply`] (the shape of every error answer of this crate).
    ///
    /// | error | status | `error` in the body |
    /// |---|---|---|
    /// | [`Error::Validation`] | 400 | the validation message (what was refused and why) |
    /// | [`Error::Validation`] with [`ValidationError::EncryptionNotConfigured`] | 500 | `internal error` |
    /// | [`Error::Api`] (any status Pusher answered, 4xx or 5xx) | 502 | `the Pusher API refused the request` |
    /// | [`Error::MalformedResponse`] | 502 | `the Pusher API gave an invalid answer` |
    /// | [`Error::PartialBatch`] | 502 | `the batch was only partly delivered: the first N events were accepted` |
    /// | [`Error::Transport`] that timed out ([`Error::is_timeout`]) | 504 | `the Pusher API did not answer in time` |
    /// | any other [`Error::Transport`] | 502 | `the Pusher API could not be reached` |
    /// | [`Error::Config`], [`Error::Serialize`], [`Error::Crypto`] | 500 | `internal error` |
    /// | [`Error::Webhook`] | [`WebhookError::status`](crate::WebhookError::status) (401 or 400) | [`WebhookError::client_message`](crate::WebhookError::client_message) |
    ///
    /// Validation is **400**, not 422: it is what this crate's authorization routes answer to
    /// refused input ([`AuthReply::invalid`]), and the value refused (a channel name, a socket
    /// id, an event too large) usually came from the request, which is then a bad request as a
    /// whole rather than a well-formed one with unprocessable content. A master key missing for
    /// an encrypted channel is the server's configuration, hence 500.
    ///
    /// Pusher's own answer is a problem between this server and Pusher, so the caller gets a
    /// gateway status (502, or 504 for a timeout) and never Pusher's status or body. No body
    /// holds a secret, a signature, a signed URL or anything Pusher answered; the detail is for
    /// the log ([`reply_logged`](Self::reply_logged)).
    ///
    /// ```
    /// use pusher_client::{ConfigError, Error, ValidationError};
    ///
    /// let reply = Error::Validation(ValidationError::EmptyChannelName).reply();
    /// assert_eq!(reply.status(), 400);
    /// assert_eq!(reply.body(), r#"{"error":"channel name must not be empty"}"#);
    ///
    /// let reply = Error::Config(ConfigError::Empty { field: "secret" }).reply();
    /// assert_eq!(reply.status(), 500);
    /// assert_eq!(reply.body(), r#"{"error":"internal error"}"#);
    /// ```
    pub fn reply(&self) -> AuthReply {
        self.classify().0
    }

    /// [`reply`](Self::reply), after logging the full error with `tracing`, at a level that
    /// follows whose fault it is:
    ///
    /// - `error` for this server's faults: configuration, serialisation, encryption, a missing
    ///   master key, and a 4xx from Pusher (wrong credentials, app disabled, over quota, a
    ///   request Pusher refused: the server needs fixing, not retrying);
    /// - `warn` for Pusher or the network failing: a 5xx from Pusher, timeouts, lost
    ///   connections, malformed answers, a partly delivered batch;
    /// - `debug` for refused input (validation, webhooks): the caller, perhaps an attacker,
    ///   controls it, and must not be able to flood the log.
    ///
    /// The logged text is the error's `Display` (which never holds a secret, signature or
    /// signed URL; it does hold Pusher's answer), escaped as a string so that a line break in
    /// the input cannot forge a log line. The framework adapters call this in their
    /// `PusherError`'s response.
    ///
    /// ```
    /// use pusher_client::{Error, ValidationError};
    ///
    /// // Logged at debug: the channel name came from the request.
    /// let reply = Error::Validation(ValidationError::EmptyChannelName).reply_logged();
    /// assert_eq!(reply.status(), 400);
    /// ```
    pub fn reply_logged(&self) -> AuthReply {
        let (reply, loudness) = self.classify();
        let status = reply.status();
        let detail = self.to_string();
        match loudness {
            Loudness::Error => {
                tracing::error!(status, error = ?detail, "pusher call failed: a server fault");
            }
            Loudness::Warn => {
                tracing::warn!(status, error = ?detail, "pusher call failed: Pusher or the network");
            }
            Loudness::Debug => {
                tracing::debug!(status, error = ?detail, "pusher call refused the input");
            }
        }
        reply
    }

    /// The answer and how loud to log it: the one table behind [`reply`](Self::reply) and
    /// [`reply_logged`](Self::reply_logged).
    fn classify(&self) -> (AuthReply, Loudness) {
        match self {
            Error::Validation(ValidationError::EncryptionNotConfigured { .. }) => {
                (AuthReply::internal_error(), Loudness::Error)
            }
            Error::Validation(error) => (AuthReply::invalid(error), Loudness::Debug),
            Error::Api(error) => {
                let loudness = if error.status() >= 500 {
                    Loudness::Warn
                } else {
                    Loudness::Error
                };
                (
                    AuthReply::error(502, "the Pusher API refused the request"),
                    loudness,
                )
            }
            Error::MalformedResponse { .. } => (
                AuthReply::error(502, "the Pusher API gave an invalid answer"),
                Loudness::Warn,
            ),
            Error::PartialBatch { delivered, source } => {
                let loudness = match source.classify().1 {
                    Loudness::Error => Loudness::Error,
                    _ => Loudness::Warn,
                };
                let message = format!(
                    "the batch was only partly delivered: the first {delivered} events were accepted"
                );
                (AuthReply::error(502, &message), loudness)
            }
            Error::Transport(_) if self.is_timeout() => (
                AuthReply::error(504, "the Pusher API did not answer in time"),
                Loudness::Warn,
            ),
            Error::Transport(_) => (
                AuthReply::error(502, "the Pusher API could not be reached"),
                Loudness::Warn,
            ),
            Error::Config(_) | Error::Serialize { .. } | Error::Crypto(_) => {
                (AuthReply::internal_error(), Loudness::Error)
            }
            Error::Webhook(error) => (
                WebhookRejectionReason::Refused(error.clone()).reply(),
                Loudness::Debug,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Loudness;
    use crate::error::{ApiError, ConfigError, CryptoError, Error, ValidationError};
    use crate::webhook::WebhookError;

    fn api(status: u16, body: &str) -> Error {
        Error::Api(ApiError {
            status,
            body: body.to_owned(),
            path: "/apps/1/events".to_owned(),
            retry_after: None,
        })
    }

    #[test]
    fn statuses_and_loudness() {
        let cases: Vec<(Error, u16, Loudness)> = vec![
            (
                Error::Validation(ValidationError::EmptyEventName),
                400,
                Loudness::Debug,
            ),
            (
                Error::Validation(ValidationError::EncryptionNotConfigured {
                    channel: "private-encrypted-a".into(),
                }),
                500,
                Loudness::Error,
            ),
            (api(401, "invalid signature"), 502, Loudness::Error),
            (api(503, "down"), 502, Loudness::Warn),
            (
                Error::MalformedResponse {
                    status: 200,
                    message: "not JSON".into(),
                },
                502,
                Loudness::Warn,
            ),
            (
                Error::PartialBatch {
                    delivered: 10,
                    source: Box::new(api(500, "oops")),
                },
                502,
                Loudness::Warn,
            ),
            (
                Error::Config(ConfigError::Empty { field: "secret" }),
                500,
                Loudness::Error,
            ),
            (
                Error::Crypto(CryptoError::NoMasterKey),
                500,
                Loudness::Error,
            ),
            (
                Error::Webhook(WebhookError::InvalidSignature),
                401,
                Loudness::Debug,
            ),
            (
                Error::Webhook(WebhookError::BadPayload("x".into())),
                400,
                Loudness::Debug,
            ),
        ];
        for (error, status, loudness) in cases {
            let (reply, got) = error.classify();
            assert_eq!((reply.status(), got), (status, loudness), "{error:?}");
            assert_eq!(error.reply(), error.reply_logged());
            let body: serde_json::Value = serde_json::from_str(reply.body()).unwrap();
            assert!(body["error"].is_string(), "{}", reply.body());
        }
    }

    #[test]
    fn upstream_bodies_stay_out_of_the_reply() {
        let error = api(400, "SECRET-UPSTREAM-DETAIL");
        assert!(error.to_string().contains("SECRET-UPSTREAM-DETAIL"));
        let reply = error.reply();
        assert_eq!(
            reply.body(),
            r#"{"error":"the Pusher API refused the request"}"#
        );
        let partial = Error::PartialBatch {
            delivered: 3,
            source: Box::new(error),
        };
        assert!(!partial.reply().body().contains("SECRET-UPSTREAM-DETAIL"));
        assert!(partial.reply().body().contains("first 3 events"));
    }
}
