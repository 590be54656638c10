//! End-to-end encryption of `private-encrypted-` channels, written independently of
//! `pusher_client`'s code: the channel key is SHA-256(channel name ‖ master key), the data is
//! XSalsa20-Poly1305 (`crypto_secretbox`) under a 24-byte nonce, sent as the JSON string
//! `{"nonce":"<base64>","ciphertext":"<base64>"}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use sha2::{Digest, Sha256};

/// The prefix of end-to-end encrypted channels.
pub(crate) const ENCRYPTED_PREFIX: &str = "private-encrypted-";

/// Decodes a base64 master key of exactly 32 bytes.
pub(crate) fn master_key_from_base64(encoded: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|_| "the master key is not standard base64".to_owned())?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| format!("the master key is {len} bytes once decoded; it must be 32"))
}

fn cipher(master_key: &[u8; 32], channel: &str) -> XSalsa20Poly1305 {
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(master_key);
    let key: [u8; 32] = hasher.finalize().into();
    XSalsa20Poly1305::new(Key::from_slice(&key))
}

/// Opens an event's `data` sent on `channel`; the error says what was wrong.
pub(crate) fn decrypt(master_key: &[u8; 32], channel: &str, data: &str) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Payload {
        nonce: String,
        ciphertext: String,
    }
    let payload: Payload = serde_json::from_str(data).map_err(|_| {
        format!(
            "data on {channel:?} is not an encrypted payload {{\"nonce\":..,\"ciphertext\":..}}: \
             was the client given the encryption master key?"
        )
    })?;
    let nonce = STANDARD
        .decode(&payload.nonce)
        .ok()
        .filter(|n| n.len() == 24)
        .ok_or_else(|| format!("the nonce on {channel:?} is not 24 bytes of standard base64"))?;
    let ciphertext = STANDARD
        .decode(&payload.ciphertext)
        .map_err(|_| format!("the ciphertext on {channel:?} is not standard base64"))?;
    let plain = cipher(master_key, channel)
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| {
            format!(
                "the data on {channel:?} does not decrypt with the fake's master key \
                 (another key, or another channel's)"
            )
        })?;
    String::from_utf8(plain).map_err(|_| format!("the data on {channel:?} decrypts to non-UTF-8"))
}

/// Seals `plaintext` for `channel` under a random nonce.
pub(crate) fn encrypt(master_key: &[u8; 32], channel: &str, plaintext: &[u8]) -> String {
    let mut nonce = [0u8; 24];
    // Without an OS random source the nonce stays zero: acceptable for test data only.
    let _ = getrandom::getrandom(&mut nonce);
    encrypt_with_nonce(master_key, channel, plaintext, &nonce)
}

fn encrypt_with_nonce(
    master_key: &[u8; 32],
    channel: &str,
    plaintext: &[u8],
    nonce: &[u8; 24],
) -> String {
    // Encrypting into a Vec fails only for inputs over 2^38 bytes.
    let sealed = cipher(master_key, channel)
        .encrypt(Nonce::from_slice(nonce), plaintext)
        .unwrap_or_default();
    // Base64 needs no JSON escaping.
    format!(
        r#"{{"nonce":"{}","ciphertext":"{}"}}"#,
        STANDARD.encode(nonce),
        STANDARD.encode(sealed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answer computed with PyNaCl (libsodium), independent of this code.
    #[test]
    fn known_answer_from_libsodium() {
        let key = master_key_from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .expect("valid key");
        let nonce: [u8; 24] = core::array::from_fn(|i| i as u8 + 1);
        let data = encrypt_with_nonce(
            &key,
            "private-encrypted-kat",
            br#"{"message":"hello world"}"#,
            &nonce,
        );
        assert_eq!(
            data,
            r#"{"nonce":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY","ciphertext":"tRVxg62RWkfMKhh7eLY+oguoXfMzTA4+AZxyvThOWDFYXFpXwXHW1xs="}"#
        );
        assert_eq!(
            decrypt(&key, "private-encrypted-kat", &data).as_deref(),
            Ok(r#"{"message":"hello world"}"#)
        );
        let other = decrypt(&key, "private-encrypted-other", &data).expect_err("wrong channel");
        assert!(other.contains("does not decrypt"), "{other}");
        assert!(decrypt(&key, "private-encrypted-kat", "hello").is_err());
        assert!(master_key_from_base64("AAEC").is_err());
    }
}
