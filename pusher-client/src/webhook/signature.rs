//! Webhook signatures: the two headers, checking them (before the body is read, then against
//! the body in constant time), and signing a body as Pusher would, for tests.

use std::fmt;

use super::WebhookError;
use crate::client::Pusher;
use crate::signing::Credentials;

/// The header naming the key whose secret signed a webhook.
///
/// ```
/// assert_eq!(pusher_client::WEBHOOK_KEY_HEADER, "X-Pusher-Key");
/// ```
pub const WEBHOOK_KEY_HEADER: &str = "X-Pusher-Key";

/// The header carrying a webhook's signature: hex HMAC-SHA256 of the raw body.
///
/// ```
/// assert_eq!(pusher_client::WEBHOOK_SIGNATURE_HEADER, "X-Pusher-Signature");
/// ```
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Pusher-Signature";

/// Length in bytes of an HMAC-SHA256.
const SIGNATURE_LEN: usize = 32;

/// A body's signature, as Pusher would send it: the two header values.
///
/// Made by [`Pusher::sign_webhook`] so tests can send a correctly signed webhook to their own
/// handler.
///
/// ```
/// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
/// let signed = pusher.sign_webhook(br#"{"time_ms":1,"events":[]}"#);
/// for (name, value) in signed.headers() {
///     println!("{name}: {value}"); // X-Pusher-Key: key, X-Pusher-Signature: <hex>
/// }
/// assert_eq!(signed.key, "key");
/// # Ok::<(), pusher_client::Error>(())
/// ```
///
/// Its `Debug` shows the key but not the signature: a valid signature lets anyone replay the
/// body it signs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WebhookSignature {
    /// The `X-Pusher-Key` value.
    pub key: String,
    /// The `X-Pusher-Signature` value: hex HMAC-SHA256 of the body.
    pub signature: String,
}

impl WebhookSignature {
    /// The header names and values to send.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// let signed = pusher.sign_webhook(b"{}");
    /// let headers = signed.headers();
    /// assert_eq!(headers[0], ("X-Pusher-Key", "key"));
    /// assert_eq!(headers[1].0, "X-Pusher-Signature");
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn headers(&self) -> [(&'static str, &str); 2] {
        [
            (WEBHOOK_KEY_HEADER, &self.key),
            (WEBHOOK_SIGNATURE_HEADER, &self.signature),
        ]
    }
}

impl fmt::Debug for WebhookSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSignature")
            .field("key", &self.key)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Signs `body` as Pusher signs webhooks: hex HMAC-SHA256 under `secret`.
///
/// For tests that need a webhook signed by some other key/secret pair; with the client's own
/// credentials, use [`Pusher::sign_webhook`].
///
/// ```
/// let signature = pusher_client::sign_webhook("secret", b"{}");
/// assert_eq!(signature.len(), 64);
/// ```
pub fn sign_webhook(secret: &str, body: &[u8]) -> String {
    Credentials::new("", secret).sign_hex(&[body])
}

impl Pusher {
    /// Signs `body` with this client's key and secret, as Pusher would: for testing your own
    /// webhook handler end to end.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("1", "key", "secret").build()?;
    /// let body = br#"{"time_ms":1,"events":[]}"#;
    /// let signed = pusher.sign_webhook(body);
    /// assert_eq!(signed.signature, pusher_client::sign_webhook("secret", body));
    /// assert!(pusher.verify_webhook(Some(&signed.key), Some(&signed.signature), body).is_ok());
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn sign_webhook(&self, body: &[u8]) -> WebhookSignature {
        let credentials = &self.inner.credentials;
        WebhookSignature {
            key: credentials.key.clone(),
            signature: credentials.sign_hex(&[body]),
        }
    }

    /// Checks the two webhook headers before the body is read: both present, the key one this
    /// client accepts, the signature well-formed hex of the right length. Framework adapters
    /// call it to refuse forged requests without reading their bodies;
    /// [`verify_webhook`](Self::verify_webhook) repeats it.
    ///
    /// ```
    /// use pusher_client::{Pusher, WebhookError};
    ///
    /// let pusher = Pusher::builder("1", "key", "secret").build()?;
    /// let sig = "0".repeat(64);
    /// assert!(pusher.check_webhook_headers(Some("key"), Some(&sig)).is_ok());
    /// assert_eq!(pusher.check_webhook_headers(Some("other"), Some(&sig)), Err(WebhookError::UnknownKey));
    /// assert_eq!(pusher.check_webhook_headers(Some("key"), Some("zz")), Err(WebhookError::MalformedSignature));
    /// assert_eq!(pusher.check_webhook_headers(None, Some(&sig)), Err(WebhookError::MissingKey));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn check_webhook_headers(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
    ) -> Result<(), WebhookError> {
        let key = key.ok_or(WebhookError::MissingKey)?.trim();
        let signature = signature.ok_or(WebhookError::MissingSignature)?.trim();
        if !self.inner.webhook_credentials.iter().any(|c| c.key == key) {
            return Err(WebhookError::UnknownKey);
        }
        if signature.len() != SIGNATURE_LEN * 2 || !signature.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(WebhookError::MalformedSignature);
        }
        Ok(())
    }

    /// Checks the headers, then the signature against the body under every secret of the key.
    pub(super) fn check_webhook_signature(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        self.check_webhook_headers(key, signature)?;
        let key = key.unwrap_or_default().trim();
        let signature_hex = signature.unwrap_or_default().trim();
        let mut candidates = self
            .inner
            .webhook_credentials
            .iter()
            .filter(|c| c.key == key);
        let mut signature = [0u8; SIGNATURE_LEN];
        hex::decode_to_slice(signature_hex, &mut signature)
            .map_err(|_| WebhookError::MalformedSignature)?;
        // Every pair with this key is tried (a secret may be rotated under the same key).
        if candidates.any(|c| c.verify(body, &signature)) {
            Ok(())
        } else {
            Err(WebhookError::InvalidSignature)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_redacted_in_debug() {
        let pusher = Pusher::builder("1", "key", "secret")
            .offline()
            .build()
            .unwrap();
        let signed = pusher.sign_webhook(br#"{"time_ms":1,"events":[]}"#);
        let debug = format!("{signed:?}");
        assert!(!debug.contains(&signed.signature), "{debug}");
        assert!(!debug.contains("secret"), "{debug}");
        assert_eq!(
            debug,
            r#"WebhookSignature { key: "key", signature: "<redacted>" }"#
        );
    }
}
