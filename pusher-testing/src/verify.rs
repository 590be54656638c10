//! Request verification as the Pusher HTTP API does it, written independently of
//! `pusher_client`'s signing code (only `hmac`, `sha2`, `md-5` and `hex` are used).
//!
//! # How the query is decoded
//!
//! The raw query string (as received, after `?`) is split on `&` into pairs, and each pair on
//! its first `=`. Key and value are then percent-decoded: `%XX` becomes the byte `0xXX`, every
//! other byte stays as it is, and the result must be UTF-8. A raw `+` in the query is
//! **refused** (400): form encoding reads it as a space and RFC 3986 as a plus, so a client that
//! sends one cannot know which value the server signs. Spaces must be sent as `%20`, pluses as
//! `%2B`. Malformed escapes (`%`, `%4`, `%zz`), empty pairs (`a=1&&b=2`), and a key given twice
//! are refused too.
//!
//! Path segments are decoded the same way, except that `+` is an ordinary character in a path.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

/// How far (in seconds) `auth_timestamp` may be from the server's clock, as on Pusher.
pub const MAX_TIMESTAMP_SKEW_SECS: u64 = 600;

use crate::record::{Rejection, RejectionReason};

/// Percent-decodes `input`. `%XX` becomes a byte; a `+` is refused unless `plus_is_literal`
/// (true for path segments, false for query keys and values). The result must be UTF-8.
///
/// ```
/// use pusher_testing::verify::percent_decode;
///
/// assert_eq!(percent_decode("a%26b%3Dc%2Bd%20%C3%A9", false).as_deref(), Ok("a&b=c+d é"));
/// assert!(percent_decode("a+b", false).is_err());
/// assert_eq!(percent_decode("a+b", true).as_deref(), Ok("a+b"));
/// assert!(percent_decode("%zz", true).is_err());
/// ```
pub fn percent_decode(input: &str, plus_is_literal: bool) -> Result<String, String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| hex_value(*b));
                let lo = bytes.get(i + 2).and_then(|b| hex_value(*b));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => {
                        return Err(format!("malformed percent-escape at byte {i} of {input:?}"));
                    }
                }
                i += 3;
            }
            b'+' if !plus_is_literal => {
                return Err(format!(
                    "raw '+' in {input:?} is ambiguous (space or plus?); send %20 or %2B"
                ));
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("{input:?} is not UTF-8 once percent-decoded"))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a raw query string (without the `?`) into its parameters, as described in the
/// [module documentation](self): keys and values percent-decoded, `+` refused, duplicates
/// refused. Keys keep their case (the lower-case rule is checked by [`verify_request`]).
pub fn decode_query(raw: &str) -> Result<BTreeMap<String, String>, String> {
    let mut params = BTreeMap::new();
    if raw.is_empty() {
        return Ok(params);
    }
    for pair in raw.split('&') {
        if pair.is_empty() {
            return Err(format!("empty parameter in query {raw:?}"));
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key, false)?;
        let value = percent_decode(value, false)?;
        if key.is_empty() {
            return Err(format!("parameter with an empty name in query {raw:?}"));
        }
        if params.contains_key(&key) {
            return Err(format!("parameter {key:?} given twice"));
        }
        params.insert(key, value);
    }
    Ok(params)
}

/// Splits a raw path (as received) on `/` and percent-decodes each segment (`+` is literal).
/// The leading empty segment before the first `/` is dropped.
pub fn decode_path(raw_path: &str) -> Result<Vec<String>, String> {
    let rest = raw_path
        .strip_prefix('/')
        .ok_or_else(|| format!("path {raw_path:?} does not start with '/'"))?;
    rest.split('/').map(|s| percent_decode(s, true)).collect()
}

/// `METHOD\nPATH\nQUERY`, QUERY being every parameter but `auth_signature`, sorted by key,
/// joined as `key=value` with `&`, values raw (decoded).
pub fn string_to_sign(method: &str, raw_path: &str, params: &BTreeMap<String, String>) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "auth_signature")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{method}\n{raw_path}\n{}", query.join("&"))
}

/// hex(HMAC-SHA256(secret, message)).
pub fn hmac_sha256_hex(secret: &str, message: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// hex(MD5(body)).
pub fn md5_hex(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// What [`verify_request`] checks a request against.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The app key the request must carry as `auth_key`.
    pub key: &'a str,
    /// The secret the signature must be made with.
    pub secret: &'a str,
    /// The server's clock, in Unix seconds.
    pub now_unix: u64,
}

/// Checks one request exactly as Pusher does. `params` are the decoded query parameters
/// (from [`decode_query`]); `raw_path` is the path as received, still percent-encoded.
///
/// In order: every key lower-case; `auth_key` is the app's; `auth_version` is `1.0`;
/// `auth_timestamp` is an integer within [`MAX_TIMESTAMP_SKEW_SECS`] of `now_unix`;
/// `body_md5` is present when there is a body (or the method is POST) and equals the hex MD5 of
/// the exact body bytes; `auth_signature` is hex HMAC-SHA256 of [`string_to_sign`].
pub fn verify_request(
    expected: Expected<'_>,
    method: &str,
    raw_path: &str,
    params: &BTreeMap<String, String>,
    body: &[u8],
) -> Result<(), Rejection> {
    if let Some(key) = params.keys().find(|k| k.chars().any(char::is_uppercase)) {
        return Err(Rejection::new(
            RejectionReason::AuthParameters,
            format!("Query parameter names must be lower-case: {key:?}"),
        ));
    }
    match params.get("auth_key") {
        None => {
            return Err(Rejection::new(
                RejectionReason::AuthParameters,
                "Missing auth_key",
            ));
        }
        Some(key) if key != expected.key => {
            return Err(Rejection::new(
                RejectionReason::UnknownKey,
                format!("Unknown auth_key {key:?}"),
            ));
        }
        Some(_) => {}
    }
    match params.get("auth_version").map(String::as_str) {
        Some("1.0") => {}
        other => {
            return Err(Rejection::new(
                RejectionReason::AuthParameters,
                format!("auth_version must be 1.0, got {other:?}"),
            ));
        }
    }
    let timestamp = params
        .get("auth_timestamp")
        .ok_or_else(|| Rejection::new(RejectionReason::AuthParameters, "Missing auth_timestamp"))?;
    let timestamp: u64 = timestamp
        .parse()
        .ok()
        .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            Rejection::new(
                RejectionReason::AuthParameters,
                format!("auth_timestamp {timestamp:?} is not an integer"),
            )
        })?;
    if timestamp.abs_diff(expected.now_unix) > MAX_TIMESTAMP_SKEW_SECS {
        return Err(Rejection::new(
            RejectionReason::Timestamp,
            format!(
                "Timestamp expired: Given timestamp ({timestamp}) not within \
             {MAX_TIMESTAMP_SKEW_SECS}s of server time ({})",
                expected.now_unix
            ),
        ));
    }
    let needs_md5 = !body.is_empty() || method.eq_ignore_ascii_case("POST");
    match params.get("body_md5") {
        None if needs_md5 => {
            return Err(Rejection::new(
                RejectionReason::BodyMd5,
                "Missing body_md5 for a request with a body",
            ));
        }
        None => {}
        Some(given) => {
            let actual = md5_hex(body);
            if *given != actual {
                return Err(Rejection::new(
                    RejectionReason::BodyMd5,
                    format!(
                        "body_md5 {given:?} does not match the MD5 of the {} bytes received ({actual})",
                        body.len()
                    ),
                ));
            }
        }
    }
    let signature = params
        .get("auth_signature")
        .ok_or_else(|| Rejection::new(RejectionReason::AuthParameters, "Missing signature"))?;
    let to_sign = string_to_sign(method, raw_path, params);
    let wanted = hmac_sha256_hex(expected.secret, to_sign.as_bytes());
    if *signature != wanted {
        return Err(Rejection::new(
            RejectionReason::Signature,
            format!(
                "Invalid signature: you should have sent HmacSHA256Hex({to_sign:?}, your_secret)"
            ),
        ));
    }
    Ok(())
}

/// Builds a signed query string (without `?`) for `method` on `raw_path`, independently of
/// `pusher_client`: for sending hand-made requests to the fake server (see
/// a raw HTTP client). Values are percent-encoded on the wire (everything but
/// `A-Z a-z 0-9 - . _ ~`) and signed raw.
pub fn sign_query(
    key: &str,
    secret: &str,
    method: &str,
    raw_path: &str,
    params: &[(&str, &str)],
    body: Option<&[u8]>,
    timestamp: u64,
) -> String {
    let mut all: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    all.insert("auth_key".into(), key.into());
    all.insert("auth_timestamp".into(), timestamp.to_string());
    all.insert("auth_version".into(), "1.0".into());
    if let Some(body) = body {
        all.insert("body_md5".into(), md5_hex(body));
    }
    let signature = hmac_sha256_hex(secret, string_to_sign(method, raw_path, &all).as_bytes());
    all.insert("auth_signature".into(), signature);
    all.iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "278d425bdf160c739803";
    const SECRET: &str = "7ad3773142a6692b25b8";
    const BODY: &[u8] = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;

    fn docs_params() -> BTreeMap<String, String> {
        [
            ("auth_key", KEY),
            ("auth_timestamp", "1353088179"),
            ("auth_version", "1.0"),
            ("body_md5", "ec365a775a4cd0599faeb73354201b6f"),
            (
                "auth_signature",
                "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn expected(now: u64) -> Expected<'static> {
        Expected {
            key: KEY,
            secret: SECRET,
            now_unix: now,
        }
    }

    #[test]
    fn accepts_pusher_docs_example() {
        assert_eq!(md5_hex(BODY), "ec365a775a4cd0599faeb73354201b6f");
        let result = verify_request(
            expected(1353088179),
            "POST",
            "/apps/3/events",
            &docs_params(),
            BODY,
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn refuses_tampering() {
        let ok = docs_params();
        let check = |params: &BTreeMap<String, String>, body: &[u8], now: u64| {
            verify_request(expected(now), "POST", "/apps/3/events", params, body)
        };
        // body changed by one byte
        let mut body = BODY.to_vec();
        body[2] = b'N';
        let e = check(&ok, &body, 1353088179).expect_err("tampered body");
        assert!(e.message().contains("body_md5"), "{e:?}");
        // clock window: 600 s accepted, 601 refused, both directions
        assert_eq!(check(&ok, BODY, 1353088179 + 600), Ok(()));
        assert_eq!(check(&ok, BODY, 1353088179 - 600), Ok(()));
        assert_eq!(
            check(&ok, BODY, 1353088179 + 601).map_err(|e| e.status()),
            Err(401)
        );
        assert_eq!(
            check(&ok, BODY, 1353088179 - 601).map_err(|e| e.status()),
            Err(401)
        );
        for (key, value) in [
            ("auth_key", "other"),
            ("auth_version", "2.0"),
            ("auth_timestamp", "1353088180"),
            ("auth_timestamp", "-1353088179"),
            ("auth_signature", "00"),
        ] {
            let mut p = ok.clone();
            p.insert(key.into(), value.into());
            assert_eq!(
                check(&p, BODY, 1353088179).map_err(|e| e.status()),
                Err(401),
                "{key}={value}"
            );
        }
        for key in [
            "auth_key",
            "auth_version",
            "auth_timestamp",
            "body_md5",
            "auth_signature",
        ] {
            let mut p = ok.clone();
            p.remove(key);
            assert!(check(&p, BODY, 1353088179).is_err(), "without {key}");
        }
        let mut upper = ok.clone();
        upper.insert("Info".into(), "x".into());
        let e = check(&upper, BODY, 1353088179).expect_err("upper-case key");
        assert!(e.message().contains("lower-case"), "{e:?}");
        // an extra parameter is signed too
        let mut extra = ok;
        extra.insert("info".into(), "x".into());
        assert!(check(&extra, BODY, 1353088179).is_err());
    }

    #[test]
    fn query_decoding() {
        let q = decode_query("a=x%26y%3Dz%2B%20%C3%A9&b=&c").expect("valid query");
        assert_eq!(q["a"], "x&y=z+ é");
        assert_eq!(q["b"], "");
        assert_eq!(q["c"], "");
        for bad in [
            "a=1&&b=2", "a=1+2", "a=%", "a=%4", "a=%zz", "a=1&a=2", "=1", "a=%FF",
        ] {
            assert!(decode_query(bad).is_err(), "{bad}");
        }
        assert_eq!(decode_query("").expect("empty").len(), 0);
    }

    #[test]
    fn path_decoding() {
        assert_eq!(
            decode_path("/apps/1/users/a%2Fb+c%20%E6%97%A5/terminate_connections")
                .expect("valid path"),
            ["apps", "1", "users", "a/b+c 日", "terminate_connections"]
        );
        assert!(decode_path("apps").is_err());
    }

    #[test]
    fn sign_query_round_trips() {
        let query = sign_query(
            KEY,
            SECRET,
            "GET",
            "/apps/3/channels",
            &[("filter_by_prefix", "a&b=c+d é")],
            None,
            1000,
        );
        assert!(
            query.contains("filter_by_prefix=a%26b%3Dc%2Bd%20%C3%A9"),
            "{query}"
        );
        let params = decode_query(&query).expect("own query decodes");
        assert_eq!(
            verify_request(expected(1000), "GET", "/apps/3/channels", &params, b""),
            Ok(())
        );
    }
}
