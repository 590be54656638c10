//! Request signing, exactly as the Pusher HTTP API checks it.
//!
//! The string to sign is `METHOD\nPATH\nQUERY`, where QUERY holds every parameter except
//! `auth_signature`, keys lower-cased and sorted, values *raw*; on the wire the same values are
//! percent-escaped. PATH is signed exactly as it is sent (already percent-encoded).

use std::borrow::Cow;
use std::fmt;

use hmac::{Hmac, Mac};
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
    /// `key` as a query value (percent-escaped), made once: the signer's own parameters then
    /// go into the query without passing through the escaper, which took ~1 300 of the ~49 000
    /// instructions of a trigger (callgrind, `trigger-load`, current-thread, 64 in flight).
    key_in_query: String,
    mac: HmacSha256,
}

impl Credentials {
    pub(crate) fn new(key: &str, secret: &str) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Credentials {
            key: key.to_owned(),
            key_in_query: utf8_percent_encode(key, QUERY_VALUE).to_string(),
            mac,
        }
    }

    /// hex(HMAC-SHA256(secret, parts concatenated)).
    pub(crate) fn sign_hex(&self, parts: &[&[u8]]) -> String {
        let mut hex = [0u8; 64];
        self.sign_hex_into(parts, &mut hex).to_owned()
    }

    /// hex(HMAC-SHA256(secret, parts concatenated)), written into `hex` (no allocation).
    pub(crate) fn sign_hex_into<'h>(&self, parts: &[&[u8]], hex: &'h mut [u8; 64]) -> &'h str {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        hex_into(&mac.finalize().into_bytes(), hex)
    }

    /// `KEY:hex(HMAC-SHA256(secret, parts concatenated))`, the `auth` value pusher-js expects,
    /// built in one allocation.
    pub(crate) fn auth_token(&self, parts: &[&[u8]]) -> String {
        let mut hex = [0u8; 64];
        let signature = self.sign_hex_into(parts, &mut hex);
        let mut auth = String::with_capacity(self.key.len() + 1 + signature.len());
        auth.push_str(&self.key);
        auth.push(':');
        auth.push_str(signature);
        auth
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
#[cfg(test)]
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
/// (`auth_*`, `body_md5`) and keys that collide once lower-cased are refused. The client
/// writes into its URI buffer with [`write_signed_query`]; this form is for tests.
#[cfg(test)]
pub(crate) fn signed_query(
    credentials: &Credentials,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<&[u8]>,
    timestamp: u64,
) -> Result<String, ValidationError> {
    let mut out = String::with_capacity(path.len() + 200);
    out.push_str(path);
    write_signed_query(
        &mut out,
        0..path.len(),
        credentials,
        method,
        params,
        body,
        timestamp,
    )?;
    out.replace_range(..path.len(), "");
    Ok(out)
}

/// Appends the signed query string for one request to `out`, whose `path` range holds the
/// request path (already encoded, signed as sent).
///
/// The hot path of every API call, so it allocates nothing beyond `out`'s growth when no
/// caller parameter needs lower-casing: the string to sign is streamed into a clone of the
/// pre-keyed MAC instead of being built, and digests are hex-encoded on the stack.
pub(crate) fn write_signed_query(
    out: &mut String,
    path: std::ops::Range<usize>,
    credentials: &Credentials,
    method: &str,
    params: &[(&str, &str)],
    body: Option<&[u8]>,
    timestamp: u64,
) -> Result<(), ValidationError> {
    let mut timestamp_buf = itoa::Buffer::new();
    let timestamp = timestamp_buf.format(timestamp);
    let mut md5_buf = [0u8; 32];
    let md5 = body.map(|body| hex_into(&Md5::digest(body), &mut md5_buf));
    // The signer's own parameters, already in sorted order, each with its value as sent (no
    // escaping needed: digits, hex, and the key escaped once). Without caller parameters
    // (every trigger) they are all there is, and are signed from this array with no allocation.
    let mut own: [Param<'_>; 4] = [
        (
            Cow::Borrowed("auth_key"),
            &credentials.key,
            Some(&credentials.key_in_query),
        ),
        (Cow::Borrowed("auth_timestamp"), timestamp, Some(timestamp)),
        (Cow::Borrowed("auth_version"), "1.0", Some("1.0")),
        (Cow::Borrowed("body_md5"), "", Some("")),
    ];
    let own_len = match md5 {
        Some(md5) => {
            own[3].1 = md5;
            own[3].2 = Some(md5);
            4
        }
        None => 3,
    };
    let mut merged: Vec<Param<'_>> = Vec::new();
    let all: &[Param<'_>] = if params.is_empty() {
        &own[..own_len]
    } else {
        merged.reserve(params.len() + own_len);
        for (key, value) in params {
            let lower = if key.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(key.to_ascii_lowercase())
            } else {
                Cow::Borrowed(*key)
            };
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
            merged.push((lower, value, None));
        }
        merged.extend(own.into_iter().take(own_len));
        merged.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = merged.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(ValidationError::ReservedParameter {
                name: format!("{} (given twice)", w[0].0),
            });
        }
        &merged
    };

    let mut mac = credentials.mac.clone();
    mac.update(method.as_bytes());
    mac.update(b"\n");
    mac.update(out[path].as_bytes());
    mac.update(b"\n");
    for (i, (name, raw, wire)) in all.iter().enumerate() {
        if i > 0 {
            mac.update(b"&");
            out.push('&');
        }
        mac.update(name.as_bytes());
        mac.update(b"=");
        mac.update(raw.as_bytes());
        match wire {
            Some(wire) => {
                out.push_str(name);
                out.push('=');
                out.push_str(wire);
            }
            None => {
                out.extend(utf8_percent_encode(name, QUERY_VALUE));
                out.push('=');
                out.extend(utf8_percent_encode(raw, QUERY_VALUE));
            }
        }
    }
    let mut signature = [0u8; 64];
    out.push_str("&auth_signature=");
    out.push_str(hex_into(&mac.finalize().into_bytes(), &mut signature));
    Ok(())
}

/// A query parameter: its lower-cased name, its raw value (signed), and its value as sent when
/// known to need no escaping (the signer's own; name and value are escaped otherwise).
type Param<'a> = (Cow<'a, str>, &'a str, Option<&'a str>);

/// Lower-case hex of `bytes` in `buf`, which must be exactly twice as long.
fn hex_into<'b>(bytes: &[u8], buf: &'b mut [u8]) -> &'b str {
    hex::encode_to_slice(bytes, buf)
        .unwrap_or_else(|_| unreachable!("callers pass a buffer twice the digest's length"));
    // Only ASCII hex digits were written.
    std::str::from_utf8(buf).unwrap_or_else(|_| unreachable!("hex digits are ASCII"))
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

    /// The key goes into the query escaped (made once) and into the signature raw, with and
    /// without caller parameters.
    #[test]
    fn key_escaped_in_query_raw_in_signature() {
        let creds = Credentials::new("k y&=é", "secret");
        for params in [&[][..], &[("info", "user_count")][..]] {
            let query = signed_query(&creds, "GET", "/apps/1/channels", params, None, 7).unwrap();
            let signed_params = if params.is_empty() {
                ""
            } else {
                "&info=user_count"
            };
            let expected_sig = creds.sign_hex(&[format!(
                "GET\n/apps/1/channels\nauth_key=k y&=é&auth_timestamp=7&auth_version=1.0{signed_params}"
            )
            .as_bytes()]);
            assert_eq!(
                query,
                format!(
                    "auth_key=k%20y%26%3D%C3%A9&auth_timestamp=7&auth_version=1.0{signed_params}&auth_signature={expected_sig}"
                )
            );
        }
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
    fn stack_hex_and_auth_token() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut buf = vec![0u8; 512];
        assert_eq!(hex_into(&bytes, &mut buf), hex::encode(&bytes));
        let creds = Credentials::new("key", "secret");
        let parts: [&[u8]; 3] = [b"1.2", b":", b"private-a"];
        let hex = creds.sign_hex(&parts);
        assert_eq!(hex, creds.sign_hex(&[b"1.2:private-a"]));
        assert_eq!(creds.auth_token(&parts), format!("key:{hex}"));
    }

    #[test]
    fn debug_redacts_secret() {
        let creds = Credentials::new("key", "topsecret");
        assert!(!format!("{creds:?}").contains("topsecret"));
    }
}
