//! Request signing, exactly as the Pusher HTTP API checks it.
//!
//! The string to sign is `METHOD\nPATH\nQUERY`, where QUERY holds every parameter except
//! `auth_signature`, keys lower-cased and sorted, values *raw*; on the wire the same values are
//! percent-escaped. PATH is signed exactly as it is sent (already percent-encoded).

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;

use crate::error::ValidationError;

type HmacSha256 = Hmac<Sha256>;

/// Escapes everything but RFC 3986's unreserved characters: safe in any query value.
pub(crate) const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Escapes what a path segment cannot carry raw. Keeps the channel-name punctuation
/// (`@ , ; =`), which RFC 3986 allows in a segment, so channel paths are sent as named.
pub(crate) const PATH_SEGMENT: &AsciiSet = &QUERY_VALUE
    .remove(b'@')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

/// Percent-encodes one path segment (a channel name or a user id).
pub(crate) fn encode_path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

/// The app's key and secret, with the secret's MAC state keyed once and reused.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) key: String,
    mac: HmacSha256,
}

impl Credentials {
    pub(crate) fn new(key: &str, secret: &str) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Credentials {
            key: key.to_owned(),
            mac,
        }
    }

    /// hex(HMAC-SHA256(secret, parts concatenated)).
    pub(crate) fn sign_hex(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// Constant-time check of a raw MAC over `data`.
    pub(crate) fn verify(&self, data: &[u8], signature: &[u8]) -> bool {
        let mut mac = self.mac.clone();
        mac.update(data);
        mac.verify_slice(signature).is_ok()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Hex MD5 of the body bytes.
pub(crate) fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// True for parameter names only the signer may set.
pub(crate) fn is_reserved_param(lower_key: &str) -> bool {
    lower_key.starts_with("auth_") || lower_key == "body_md5"
}

/// Builds the signed query string (without the leading `?`) for one request.
///
/// `params` are the caller's own parameters; keys are lower-cased here. Reserved names
/// (`auth_*`, `body_md5`) and keys that collide once lower-cased are refused.
pub(crate) fn signed_query(
    credentials: &Credentials,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<&[u8]>,
    timestamp: u64,
) -> Result<String, ValidationError> {
    let timestamp = timestamp.to_string();
    let md5 = body.map(body_md5);
    let mut all: Vec<(String, &str)> = Vec::with_capacity(params.len() + 4);
    for (key, value) in params {
        let lower = key.to_ascii_lowercase();
        if is_reserved_param(&lower) {
            return Err(ValidationError::ReservedParameter {
                name: (*key).to_owned(),
            });
        }
        if lower.is_empty() {
            return Err(ValidationError::ReservedParameter {
                name: String::new(),
            });
        }
        all.push((lower, value));
    }
    all.push(("auth_key".into(), &credentials.key));
    all.push(("auth_timestamp".into(), &timestamp));
    all.push(("auth_version".into(), "1.0"));
    if let Some(md5) = &md5 {
        all.push(("body_md5".into(), md5));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = all.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(ValidationError::ReservedParameter {
            name: format!("{} (given twice)", w[0].0),
        });
    }

    let mut to_sign = String::with_capacity(method.len() + path.len() + 128);
    let mut wire = String::with_capacity(160);
    to_sign.push_str(method);
    to_sign.push('\n');
    to_sign.push_str(path);
    to_sign.push('\n');
    for (i, (key, value)) in all.iter().enumerate() {
        if i > 0 {
            to_sign.push('&');
            wire.push('&');
        }
        to_sign.push_str(key);
        to_sign.push('=');
        to_sign.push_str(value);
        wire.push_str(&utf8_percent_encode(key, QUERY_VALUE).to_string());
        wire.push('=');
        wire.push_str(&utf8_percent_encode(value, QUERY_VALUE).to_string());
    }
    let signature = credentials.sign_hex(&[to_sign.as_bytes()]);
    wire.push_str("&auth_signature=");
    wire.push_str(&signature);
    Ok(wire)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pusher's published worked example, byte for byte.
    #[test]
    fn pusher_docs_example() {
        let creds = Credentials::new("278d425bdf160c739803", "7ad3773142a6692b25b8");
        let body = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        assert_eq!(body_md5(body), "ec365a775a4cd0599faeb73354201b6f");
        let query = signed_query(
            &creds,
            "POST",
            "/apps/3/events",
            &[],
            Some(body),
            1353088179,
        )
        .unwrap();
        assert_eq!(
            query,
            "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0\
             &body_md5=ec365a775a4cd0599faeb73354201b6f\
             &auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        );
    }

    #[test]
    fn raw_values_signed_escaped_values_sent() {
        let creds = Credentials::new("key", "secret");
        let query = signed_query(
            &creds,
            "GET",
            "/apps/1/channels",
            &[("Filter_By_Prefix", "a&b=c+d é")],
            None,
            5_000_000_000,
        )
        .unwrap();
        let expected_sig = creds.sign_hex(&[b"GET\n/apps/1/channels\nauth_key=key&auth_timestamp=5000000000&auth_version=1.0&filter_by_prefix=a&b=c+d \xc3\xa9"]);
        assert_eq!(
            query,
            format!(
                "auth_key=key&auth_timestamp=5000000000&auth_version=1.0\
                 &filter_by_prefix=a%26b%3Dc%2Bd%20%C3%A9&auth_signature={expected_sig}"
            )
        );
    }

    #[test]
    fn reserved_and_duplicate_params_refused() {
        let creds = Credentials::new("key", "secret");
        for bad in [
            "auth_signature",
            "AUTH_KEY",
            "auth_timestamp",
            "body_md5",
            "",
        ] {
            assert!(
                signed_query(&creds, "GET", "/p", &[(bad, "x")], None, 1).is_err(),
                "{bad}"
            );
        }
        assert!(
            signed_query(
                &creds,
                "GET",
                "/p",
                &[("info", "a"), ("INFO", "b")],
                None,
                1
            )
            .is_err()
        );
    }

    #[test]
    fn path_segments() {
        assert_eq!(
            encode_path_segment("presence-a=b@c,d;e.f_g-h"),
            "presence-a=b@c,d;e.f_g-h"
        );
        assert_eq!(
            encode_path_segment("a b&c+d/é?#%"),
            "a%20b%26c%2Bd%2F%C3%A9%3F%23%25"
        );
    }

    #[test]
    fn debug_redacts_secret() {
        let creds = Credentials::new("key", "topsecret");
        assert!(!format!("{creds:?}").contains("topsecret"));
    }
}
