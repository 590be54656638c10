//! Webhook verification and parsing.
//!
//! Pusher POSTs a JSON body `{"time_ms":..,"events":[..]}` and signs it: `X-Pusher-Key` names
//! which of the app's key/secret pairs signed, `X-Pusher-Signature` is the hex HMAC-SHA256 of the
//! raw body under that secret. [`Pusher::verify_webhook`] checks both, in constant time, before
//! it parses anything. The core takes header values as plain strings and the body as bytes, so it
//! works with any web framework (finding the headers, case-insensitively, is the caller's job).
//!
//! The verifier's entry points are here; the typed events are in `event.rs` (their parsing in
//! `parse.rs`), the signature headers, their checks and signing in `signature.rs`, and the
//! refusal reasons in `error.rs`.

mod error;
mod event;
mod parse;
mod signature;

use std::time::{Duration, UNIX_EPOCH};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::channel::ChannelKind;
use crate::client::Pusher;
use crate::error::{Error, ValidationError};

pub use error::WebhookError;
pub use event::{Webhook, WebhookEvent};
pub use signature::{WEBHOOK_KEY_HEADER, WEBHOOK_SIGNATURE_HEADER, WebhookSignature, sign_webhook};

/// Just the timestamp of a webhook body, for the age check of caller-defined payloads.
#[derive(Deserialize)]
struct TimeOnly {
    time_ms: u64,
}

fn parse_text<T: DeserializeOwned>(text: &str) -> Result<T, WebhookError> {
    serde_json::from_str(text).map_err(|e| WebhookError::BadPayload(e.to_string()))
}

impl Pusher {
    /// Verifies a webhook and parses it.
    ///
    /// `key` and `signature` are the raw `X-Pusher-Key` and `X-Pusher-Signature` header values
    /// (`None` when the header is absent); `body` is the exact bytes received. The key picks the
    /// secret among the app's own and those added with `PusherBuilder::webhook_key`; the
    /// signature is checked in constant time before the body is parsed.
    ///
    /// With `PusherBuilder::webhook_max_age` set, a webhook whose `time_ms` is older is refused
    /// with [`WebhookError::TooOld`]. A `time_ms` ahead of this client's clock is accepted: it
    /// can only be clock skew, since only Pusher can sign.
    ///
    /// ```
    /// use pusher_client::{Pusher, WebhookEvent};
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let body = br#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"room"}]}"#;
    /// // In a handler these come from the request; here the test helper signs the body.
    /// let signed = pusher.sign_webhook(body);
    /// let webhook = pusher.verify_webhook(Some(&signed.key), Some(&signed.signature), body)?;
    /// for event in &webhook.events {
    ///     if let WebhookEvent::ChannelOccupied { channel } = event {
    ///         println!("{channel} is occupied");
    ///     }
    /// }
    /// assert!(pusher.verify_webhook(Some("key"), Some(&signed.signature), b"{}").is_err());
    /// # Ok(()) }
    /// # run().unwrap();
    /// ```
    #[doc(alias = "validate_webhook")]
    #[doc(alias = "validateWebhook")]
    #[doc(alias = "webhook")]
    pub fn verify_webhook(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Webhook, WebhookError> {
        let webhook: Webhook = parse_text(self.verified_text(key, signature, body)?)?;
        self.check_webhook_age(webhook.time_ms)?;
        Ok(webhook)
    }

    /// Verifies a webhook exactly as [`verify_webhook`](Self::verify_webhook) does, then
    /// parses the body as your own type `T`.
    ///
    /// With a maximum age configured, the body must also carry a numeric `time_ms`.
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Names { events: Vec<Name> }
    /// #[derive(serde::Deserialize)]
    /// struct Name { name: String }
    ///
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let body = br#"{"time_ms":1,"events":[{"name":"cache_miss","channel":"cache-a"}]}"#;
    /// let signed = pusher.sign_webhook(body);
    /// let names: Names = pusher.verify_webhook_as(Some(&signed.key), Some(&signed.signature), body)?;
    /// assert_eq!(names.events[0].name, "cache_miss");
    /// # Ok(()) }
    /// # run().unwrap();
    /// ```
    pub fn verify_webhook_as<T: DeserializeOwned>(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<T, WebhookError> {
        let text = self.verified_text(key, signature, body)?;
        if self.inner.webhook_max_age.is_some() {
            let stamp: TimeOnly = parse_text(text)?;
            self.check_webhook_age(stamp.time_ms)?;
        }
        parse_text(text)
    }

    /// The plaintext data of a `client_event`: decrypted with the channel's key on a
    /// `private-encrypted-` channel, as sent on any other channel.
    ///
    /// Decryption is [`Pusher::decrypt`]'s. Errors: [`ValidationError::NotClientEvent`] for
    /// other events; [`Error::Crypto`] when no master key is configured, when the data does not
    /// authenticate under the channel's key, or when it is not an encrypted payload or not UTF-8
    /// once decrypted.
    ///
    /// ```
    /// use pusher_client::{Pusher, WebhookEvent};
    ///
    /// # fn run(pusher: Pusher, webhook: pusher_client::Webhook) -> Result<(), pusher_client::Error> {
    /// for event in &webhook.events {
    ///     if let WebhookEvent::ClientEvent { channel, .. } = event {
    ///         let text = pusher.decrypt_client_event(event)?;
    ///         println!("{channel}: {text}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn decrypt_client_event(&self, event: &WebhookEvent) -> Result<String, Error> {
        let WebhookEvent::ClientEvent { channel, data, .. } = event else {
            return Err(ValidationError::NotClientEvent {
                name: event.name().to_owned(),
            }
            .into());
        };
        if ChannelKind::of(channel) != ChannelKind::PrivateEncrypted {
            return Ok(data.clone());
        }
        self.decrypt(channel, data)
    }

    /// The body as text, once its signature is checked: both verifiers parse from it.
    fn verified_text<'b>(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &'b [u8],
    ) -> Result<&'b str, WebhookError> {
        self.check_webhook_signature(key, signature, body)?;
        // One UTF-8 check of the whole body (JSON is UTF-8) is much cheaper than serde_json's
        // check of every string in turn; anything it refuses, `from_slice` would refuse too.
        std::str::from_utf8(body)
            .map_err(|e| WebhookError::BadPayload(format!("the body is not UTF-8: {e}")))
    }

    fn check_webhook_age(&self, time_ms: u64) -> Result<(), WebhookError> {
        let Some(max) = self.inner.webhook_max_age else {
            return Ok(());
        };
        let now_ms = (self.inner.clock)()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let age = Duration::from_millis(now_ms.saturating_sub(time_ms));
        if age > max {
            Err(WebhookError::TooOld { age, max })
        } else {
            Ok(())
        }
    }
}
