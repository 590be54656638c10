//! Property tests of end-to-end decryption (`MasterKey::decrypt`, `Pusher::decrypt`,
//! `Pusher::decrypt_client_event`): arbitrary input never panics; data sealed here with the
//! `crypto_secretbox` crate directly (never with the crate's own encryption) under
//! SHA-256(channel ‖ master key) decrypts to the plaintext; changing any byte of the nonce or
//! the sealed box, or the channel, or the key, is refused with `CryptoError::Decrypt`.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use proptest::prelude::*;
use pusher_client::{CryptoError, Error, MasterKey, Pusher, WebhookEvent};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

fn any_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

const FIXED_MASTER: [u8; 32] = [7; 32];

/// A client with `FIXED_MASTER` (building clients is comparatively slow, so one is shared).
fn pusher() -> Pusher {
    static PUSHER: LazyLock<Pusher> = LazyLock::new(|| {
        Pusher::builder("1", "key", "secret")
            .tls(false)
            .encryption_master_key_base64(STANDARD.encode(FIXED_MASTER))
            .build()
            .unwrap()
    });
    PUSHER.clone()
}

fn plain_pusher() -> Pusher {
    static PUSHER: LazyLock<Pusher> = LazyLock::new(|| {
        Pusher::builder("1", "key", "secret")
            .tls(false)
            .build()
            .unwrap()
    });
    PUSHER.clone()
}

/// SHA-256(channel ‖ master): the channel's key, computed here.
fn channel_key(master: &[u8; 32], channel: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(channel.as_bytes());
    hasher.update(master);
    hasher.finalize().into()
}

/// XSalsa20-Poly1305 with `crypto_secretbox` directly: the sealed box (tag ‖ ciphertext).
fn seal(master: &[u8; 32], channel: &str, nonce: &[u8; 24], plaintext: &[u8]) -> Vec<u8> {
    let key = channel_key(master, channel);
    XSalsa20Poly1305::new(Key::from_slice(&key))
        .encrypt(Nonce::from_slice(nonce), plaintext)
        .unwrap()
}

fn wire(nonce: &[u8], sealed: &[u8]) -> String {
    json!({"nonce": STANDARD.encode(nonce), "ciphertext": STANDARD.encode(sealed)}).to_string()
}

fn channel() -> impl Strategy<Value = String> {
    prop_oneof![
        "private-encrypted-[A-Za-z0-9_=@,.;-]{1,40}",
        any_text(24).prop_map(|s| format!("private-encrypted-{s}")),
    ]
}

/// Payload-shaped hostile data: right field names, any contents.
fn hostile_data() -> impl Strategy<Value = String> {
    let b64 = |max| {
        prop_oneof![
            any_bytes(max).prop_map(|b| STANDARD.encode(b)),
            any_text(max),
            any_bytes(max).prop_map(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)),
        ]
    };
    prop_oneof![
        any_text(120),
        (b64(40), b64(120)).prop_map(|(n, c)| json!({"nonce": n, "ciphertext": c}).to_string()),
        (any_bytes(120)).prop_map(|c| wire(&[0u8; 24], &c)),
        (any::<[u8; 24]>(), any_bytes(16)).prop_map(|(n, c)| wire(&n, &c)),
        Just(r#"{"nonce":null,"ciphertext":1}"#.to_owned()),
        Just("[]".to_owned()),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary data on any channel: never a panic, and never a plaintext.
    #[test]
    fn arbitrary_data_never_panics(channel in any_text(40), data in hostile_data()) {
        let key = MasterKey::from_base64(&STANDARD.encode(FIXED_MASTER)).unwrap();
        let result = key.decrypt(&channel, &data);
        prop_assert!(
            matches!(result, Err(CryptoError::Decrypt | CryptoError::Malformed(_))),
            "{:?}",
            result
        );
        let result = pusher().decrypt(&channel, &data);
        prop_assert!(matches!(result, Err(Error::Crypto(_))), "{:?}", result);
        let result = plain_pusher().decrypt(&channel, &data);
        prop_assert!(matches!(result, Err(Error::Crypto(CryptoError::NoMasterKey))), "{:?}", result);
        // Webhook client events carrying it.
        let event = WebhookEvent::ClientEvent {
            channel: channel.clone(),
            event: "client-x".into(),
            data: data.clone(),
            socket_id: None,
            user_id: None,
        };
        match pusher().decrypt_client_event(&event) {
            Ok(text) => {
                // Only data on channels that are not encrypted is passed through.
                prop_assert!(!channel.starts_with("private-encrypted-"));
                prop_assert_eq!(text, data);
            }
            Err(e) => prop_assert!(matches!(e, Error::Crypto(_)), "{:?}", e),
        }
    }

    /// Arbitrary text for the key itself: never a panic, and a key is accepted exactly when it
    /// is standard base64 of 32 bytes.
    #[test]
    fn arbitrary_master_keys_never_panic(
        text in prop_oneof![any_text(60), any_bytes(40).prop_map(|b| STANDARD.encode(b))],
    ) {
        let decoded = STANDARD.decode(text.trim()).ok();
        let ok = decoded.is_some_and(|b| b.len() == 32);
        prop_assert_eq!(MasterKey::from_base64(&text).is_ok(), ok);
    }

    /// Sealed here, opened by the crate: the plaintext comes back; `Pusher::decrypt` agrees
    /// for UTF-8 plaintexts and refuses the others as malformed.
    #[test]
    fn round_trip(
        master in any::<[u8; 32]>(),
        channel in channel(),
        nonce in any::<[u8; 24]>(),
        plaintext in prop_oneof![any_bytes(300), any_text(100).prop_map(String::into_bytes)],
    ) {
        let key = MasterKey::from_base64(&STANDARD.encode(master)).unwrap();
        let data = wire(&nonce, &seal(&master, &channel, &nonce, &plaintext));
        prop_assert_eq!(key.decrypt(&channel, &data), Ok(plaintext.clone()));
        // And the shared secret pusher-js gets is that same channel key.
        prop_assert_eq!(key.shared_secret(&channel), STANDARD.encode(channel_key(&master, &channel)));

        let fixed = wire(&nonce, &seal(&FIXED_MASTER, &channel, &nonce, &plaintext));
        let event = WebhookEvent::ClientEvent {
            channel: channel.clone(),
            event: "client-x".into(),
            data: fixed.clone(),
            socket_id: Some("1.2".into()),
            user_id: None,
        };
        match String::from_utf8(plaintext) {
            Ok(text) => {
                prop_assert_eq!(pusher().decrypt(&channel, &fixed).unwrap(), text.clone());
                prop_assert_eq!(pusher().decrypt_client_event(&event).unwrap(), text);
            }
            Err(_) => {
                let e = pusher().decrypt(&channel, &fixed).unwrap_err();
                prop_assert!(matches!(e, Error::Crypto(CryptoError::Malformed(_))), "{:?}", e);
            }
        }
    }

    /// Changing any bit of the nonce or of the sealed box (tag or ciphertext) is refused.
    #[test]
    fn any_tampering_is_refused(
        master in any::<[u8; 32]>(),
        channel in channel(),
        nonce in any::<[u8; 24]>(),
        plaintext in any_bytes(200),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let key = MasterKey::from_base64(&STANDARD.encode(master)).unwrap();
        let sealed = seal(&master, &channel, &nonce, &plaintext);
        // One position across nonce ‖ sealed box.
        let i = at.index(nonce.len() + sealed.len());
        let (mut nonce2, mut sealed2) = (nonce, sealed.clone());
        if i < nonce.len() {
            nonce2[i] ^= 1 << bit;
        } else {
            sealed2[i - nonce.len()] ^= 1 << bit;
        }
        prop_assert_eq!(key.decrypt(&channel, &wire(&nonce2, &sealed2)), Err(CryptoError::Decrypt));
        // Truncated or extended boxes too.
        let cut = at.index(sealed.len());
        prop_assert_eq!(key.decrypt(&channel, &wire(&nonce, &sealed[..cut])), Err(CryptoError::Decrypt));
        let mut longer = sealed.clone();
        longer.push(bit);
        prop_assert_eq!(key.decrypt(&channel, &wire(&nonce, &longer)), Err(CryptoError::Decrypt));
        // A nonce of the wrong length is malformed, not tried.
        prop_assert!(matches!(
            key.decrypt(&channel, &wire(&nonce[..23], &sealed)),
            Err(CryptoError::Malformed(_))
        ));
    }

    /// The right box under another channel's key or another master key is refused.
    #[test]
    fn other_channel_or_key_is_refused(
        master in any::<[u8; 32]>(),
        other_master in any::<[u8; 32]>(),
        channel in channel(),
        other in channel(),
        nonce in any::<[u8; 24]>(),
        plaintext in any_bytes(64),
    ) {
        let data = wire(&nonce, &seal(&master, &channel, &nonce, &plaintext));
        let key = MasterKey::from_base64(&STANDARD.encode(master)).unwrap();
        if other != channel {
            prop_assert_eq!(key.decrypt(&other, &data), Err(CryptoError::Decrypt));
        }
        if other_master != master {
            let wrong = MasterKey::from_base64(&STANDARD.encode(other_master)).unwrap();
            prop_assert_eq!(wrong.decrypt(&channel, &data), Err(CryptoError::Decrypt));
        }
        // The JSON may carry other fields or spacing; only nonce and ciphertext matter.
        let mut value: Value = serde_json::from_str(&data).unwrap();
        value["extra"] = json!([1, 2]);
        prop_assert_eq!(
            key.decrypt(&channel, &serde_json::to_string_pretty(&value).unwrap()),
            Ok(plaintext)
        );
    }
}
