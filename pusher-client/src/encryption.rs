//! End-to-end encryption for `private-encrypted-` channels.
//!
//! Each channel has its own key, SHA-256(channel name ‖ master key); each event is sealed with
//! XSalsa20-Poly1305 under a fresh random 24-byte nonce, and its `data` becomes the JSON string
//! `{"nonce":"<base64>","ciphertext":"<base64>"}`, which pusher-js decrypts with the channel's
//! `shared_secret` from the authorization answer. The server (Pusher) only ever sees ciphertext.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead, AeadInPlace, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::Pusher;
use crate::error::{ConfigError, CryptoError, Error};
/// Bytes of a Poly1305 tag.
const TAG_LEN: usize = 16;

/// A 32-byte end-to-end encryption master key. `Debug` never prints it.
///
/// ```
/// use pusher_client::MasterKey;
///
/// let key = MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")?;
/// assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
/// assert!(MasterKey::from_base64("dG9vIHNob3J0").is_err()); // 9 bytes
/// # Ok::<(), pusher_client::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// Decodes a standard (padded) base64 key of exactly 32 bytes.
    pub fn from_base64(encoded: &str) -> Result<Self, ConfigError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| ConfigError::MasterKey {
                reason:
                    "it is not valid standard base64 (generate one with `openssl rand -base64 32`)"
                        .into(),
            })?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| ConfigError::MasterKey {
                reason: format!("it decodes to {} bytes; exactly 32 are required", b.len()),
            })?;
        Ok(MasterKey(key))
    }

    /// The key for one channel: SHA-256(channel name ‖ master key).
    pub(crate) fn channel_key(&self, channel: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(channel.as_bytes());
        hasher.update(self.0);
        hasher.finalize().into()
    }

    /// The `shared_secret` pusher-js needs for one channel: standard padded base64 of the
    /// channel's key. Channel authorization returns it; you rarely need it directly.
    ///
    /// ```
    /// # let key = pusher_client::MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")?;
    /// assert_eq!(key.shared_secret("private-encrypted-kat").len(), 44);
    /// # Ok::<(), pusher_client::ConfigError>(())
    /// ```
    pub fn shared_secret(&self, channel: &str) -> String {
        STANDARD.encode(self.channel_key(channel))
    }

    /// Opens an encrypted event's `data` (`{"nonce":"..","ciphertext":".."}`) sent on
    /// `channel`, returning the plaintext bytes.
    ///
    /// ```
    /// use pusher_client::{CryptoError, MasterKey};
    ///
    /// let key = MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")?;
    /// let data = r#"{"nonce":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY","ciphertext":"tRVxg62RWkfMKhh7eLY+oguoXfMzTA4+AZxyvThOWDFYXFpXwXHW1xs="}"#;
    /// assert_eq!(key.decrypt("private-encrypted-kat", data)?, br#"{"message":"hello world"}"#);
    /// assert_eq!(key.decrypt("private-encrypted-other", data), Err(CryptoError::Decrypt));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decrypt(&self, channel: &str, data: &str) -> Result<Vec<u8>, CryptoError> {
        decrypt(self, channel, data)
    }

    /// Seals `plaintext` for `channel` under a fresh random nonce, returning the event `data`
    /// pusher-js decrypts (`{"nonce":"..","ciphertext":".."}`). Triggers on `private-encrypted-`
    /// channels do this already; call it when you build events for your own HTTP stack or
    /// queue, or to test a decrypting consumer.
    ///
    /// ```
    /// let key = pusher_client::MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")?;
    /// let data = key.encrypt("private-encrypted-room", br#"{"text":"hi"}"#)?;
    /// assert!(data.starts_with(r#"{"nonce":""#));
    /// assert_eq!(key.decrypt("private-encrypted-room", &data)?, br#"{"text":"hi"}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encrypt(&self, channel: &str, plaintext: &[u8]) -> Result<String, CryptoError> {
        encrypt(self, channel, plaintext, &random_nonce()?)
    }
}

impl Pusher {
    /// Decrypts the `data` of an event sent on a `private-encrypted-` channel with the
    /// configured master key (e.g. a `client_event` webhook, or what you triggered).
    ///
    /// The plaintext must be UTF-8, as every Pusher event payload is.
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// let pusher = Pusher::builder("1", "key", "secret")
    ///     .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    ///     .build()?;
    /// let data = r#"{"nonce":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY","ciphertext":"tRVxg62RWkfMKhh7eLY+oguoXfMzTA4+AZxyvThOWDFYXFpXwXHW1xs="}"#;
    /// assert_eq!(pusher.decrypt("private-encrypted-kat", data)?, r#"{"message":"hello world"}"#);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn decrypt(&self, channel: &str, data: &str) -> Result<String, Error> {
        let key = self
            .inner
            .master_key
            .as_ref()
            .ok_or(CryptoError::NoMasterKey)?;
        let plain = decrypt(key, channel, data)?;
        String::from_utf8(plain)
            .map_err(|_| CryptoError::Malformed("the plaintext is not UTF-8".into()).into())
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// The wire form of an encrypted event's data.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct EncryptedPayload {
    pub(crate) nonce: String,
    pub(crate) ciphertext: String,
}

/// Fills a nonce from the operating system's random source.
pub(crate) fn random_nonce() -> Result<[u8; 24], CryptoError> {
    let mut nonce = [0u8; 24];
    getrandom::getrandom(&mut nonce).map_err(|_| CryptoError::Random)?;
    Ok(nonce)
}

/// Seals `plaintext` for `channel`; returns the JSON string to send as the event's `data`.
pub(crate) fn encrypt(
    master: &MasterKey,
    channel: &str,
    plaintext: &[u8],
    nonce: &[u8; 24],
) -> Result<String, CryptoError> {
    let key = master.channel_key(channel);
    // `crypto_secretbox`'s layout, tag then ciphertext, sealed in place in one buffer.
    let mut sealed = vec![0u8; TAG_LEN + plaintext.len()];
    let (tag_out, body) = sealed.split_at_mut(TAG_LEN);
    body.copy_from_slice(plaintext);
    let tag = XSalsa20Poly1305::new(Key::from_slice(&key))
        .encrypt_in_place_detached(Nonce::from_slice(nonce), b"", body)
        .map_err(|_| CryptoError::Malformed("the plaintext is too long to encrypt".into()))?;
    tag_out.copy_from_slice(&tag);
    // Base64 needs no JSON escaping, so the object is written directly into one string.
    let mut out = String::with_capacity(31 + 32 + sealed.len().div_ceil(3) * 4);
    out.push_str(r#"{"nonce":""#);
    STANDARD.encode_string(nonce, &mut out);
    out.push_str(r#"","ciphertext":""#);
    STANDARD.encode_string(&sealed, &mut out);
    out.push_str(r#""}"#);
    Ok(out)
}

/// Opens an encrypted event's `data` (`{"nonce":..,"ciphertext":..}`) sent on `channel`.
pub(crate) fn decrypt(
    master: &MasterKey,
    channel: &str,
    data: &str,
) -> Result<Vec<u8>, CryptoError> {
    let payload: EncryptedPayload = serde_json::from_str(data)
        .map_err(|_| CryptoError::Malformed("expected {\"nonce\":..,\"ciphertext\":..}".into()))?;
    let nonce = STANDARD
        .decode(&payload.nonce)
        .map_err(|_| CryptoError::Malformed("nonce is not standard base64".into()))?;
    let nonce: [u8; 24] = nonce
        .try_into()
        .map_err(|_| CryptoError::Malformed("nonce is not 24 bytes".into()))?;
    let ciphertext = STANDARD
        .decode(&payload.ciphertext)
        .map_err(|_| CryptoError::Malformed("ciphertext is not standard base64".into()))?;
    let key = master.channel_key(channel);
    let cipher = XSalsa20Poly1305::new(Key::from_slice(&key));
    cipher
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    /// Known answers computed once with PyNaCl (libsodium's `crypto_secretbox`), an
    /// implementation independent of this crate's, over the same channel-key derivation.
    #[test]
    fn known_answers_from_libsodium() {
        let key = MasterKey::from_base64(KEY_B64).unwrap();
        type Case<'a> = (&'a str, &'a [u8], [u8; 24], &'a str, &'a str);
        let cases: [Case<'_>; 2] = [
            (
                "private-encrypted-kat",
                br#"{"message":"hello world"}"#,
                core::array::from_fn(|i| i as u8 + 1),
                "cLdQ3d4RH+t4iYxTUYJSdFM45ZLMG3CvFfadVRqtkPM=",
                "tRVxg62RWkfMKhh7eLY+oguoXfMzTA4+AZxyvThOWDFYXFpXwXHW1xs=",
            ),
            (
                "private-encrypted-room",
                "héllo, 日本".as_bytes(),
                [0xff; 24],
                "jLl7T7Vic8zzeBQOhI8a5zJ4iMwqc2omg0xT37NC5hs=",
                "eLGsXImtQ8MWRf8uJdt7tXc7pdKQdxl9BVo2dtst",
            ),
        ];
        for (channel, plaintext, nonce, shared_secret, ciphertext) in cases {
            assert_eq!(key.shared_secret(channel), shared_secret);
            let sent = encrypt(&key, channel, plaintext, &nonce).unwrap();
            let expected = format!(
                r#"{{"nonce":"{}","ciphertext":"{ciphertext}"}}"#,
                STANDARD.encode(nonce)
            );
            assert_eq!(sent, expected);
            assert_eq!(decrypt(&key, channel, &expected).unwrap(), plaintext);
        }
    }

    #[test]
    fn key_length_enforced() {
        assert!(MasterKey::from_base64(KEY_B64).is_ok());
        let short = STANDARD.encode([0u8; 31]);
        let long = STANDARD.encode([0u8; 33]);
        assert!(
            MasterKey::from_base64(&short)
                .unwrap_err()
                .to_string()
                .contains("31 bytes")
        );
        assert!(
            MasterKey::from_base64(&long)
                .unwrap_err()
                .to_string()
                .contains("33 bytes")
        );
        assert!(MasterKey::from_base64("not base64!").is_err());
        // URL-safe alphabet or missing padding is not what the SDKs accept.
        let urlsafe = base64::engine::general_purpose::URL_SAFE.encode([0xfb; 32]);
        assert!(MasterKey::from_base64(&urlsafe).is_err());
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = MasterKey::from_base64(KEY_B64).unwrap();
        let nonce = [7u8; 24];
        let sent = encrypt(&key, "private-encrypted-a", b"{\"m\":\"hi\"}", &nonce).unwrap();
        assert_eq!(
            decrypt(&key, "private-encrypted-a", &sent).unwrap(),
            b"{\"m\":\"hi\"}"
        );
        assert_eq!(
            decrypt(&key, "private-encrypted-b", &sent),
            Err(CryptoError::Decrypt)
        );
        let mut payload: EncryptedPayload = serde_json::from_str(&sent).unwrap();
        let mut ct = STANDARD.decode(&payload.ciphertext).unwrap();
        ct[0] ^= 1;
        payload.ciphertext = STANDARD.encode(ct);
        let tampered = serde_json::to_string(&payload).unwrap();
        assert_eq!(
            decrypt(&key, "private-encrypted-a", &tampered),
            Err(CryptoError::Decrypt)
        );
        assert!(matches!(
            decrypt(&key, "private-encrypted-a", "nope"),
            Err(CryptoError::Malformed(_))
        ));
    }
}
