//! Property tests of `Pusher::from_url` / `PusherBuilder::from_url`: arbitrary strings never
//! panic; whatever is wrong with a URL, no error (message or `Debug`) and no `Debug` of a
//! builder or client ever contains the secret embedded in it; well-formed URLs round-trip
//! (app id, key, secret, host, port, TLS).
#![allow(clippy::unwrap_used)]

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use pusher_client::{Pusher, PusherBuilder, sign_webhook};

fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

/// A secret that cannot appear in a message by accident: a fixed marker plus random
/// characters (sometimes URL-special ones).
fn secret() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9]{6,16}",
        prop_oneof![Just(String::new()), "[@:/?#%&=+ ]{1,3}", any_text(4)],
    )
        .prop_map(|(random, special)| format!("Zq7SeCrEt{random}{special}"))
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// The forms the secret can leak in: as given, percent-encoded, and (since hosts are
/// lower-cased by URL parsing) lower-cased.
fn leaks(text: &str, secret: &str) -> bool {
    let lower = text.to_lowercase();
    text.contains(secret)
        || text.contains(&encode(secret))
        || lower.contains(&secret.to_lowercase())
        // The distinctive part alone, should only a prefix of a secret with special
        // characters be echoed.
        || lower.contains("zq7secret")
}

/// A transport that never sends: building the default one per case is comparatively slow
/// (and needs a TLS feature for `https` URLs), and it has nothing to do with parsing.
fn offline(builder: PusherBuilder) -> PusherBuilder {
    builder.transport(tower::service_fn(|_: http::Request<bytes::Bytes>| async {
        Err::<http::Response<String>, _>(pusher_client::transport::SendError::never_sent("offline"))
    }))
}

/// `Pusher::from_url`, with the offline transport.
fn from_url(url: &str) -> Result<Pusher, pusher_client::Error> {
    offline(PusherBuilder::from_url(url)?).build()
}

/// Every way `from_url` can be reached, and the text of whatever it answers.
fn outcomes(url: &str) -> Vec<String> {
    let mut texts = Vec::new();
    match PusherBuilder::from_url(url) {
        Ok(builder) => {
            texts.push(format!("{builder:?}"));
            match offline(builder).build() {
                Ok(pusher) => texts.push(format!("{pusher:?}")),
                Err(e) => {
                    texts.push(e.to_string());
                    texts.push(format!("{e:?}"));
                }
            }
        }
        Err(e) => {
            texts.push(e.to_string());
            texts.push(format!("{e:?}"));
            // `Pusher::from_url` fails the same way (cheaply: no client is built).
            let e = Pusher::from_url(url).unwrap_err();
            texts.push(e.to_string());
            texts.push(format!("{e:?}"));
        }
    }
    texts
}

/// URL-ish strings with the secret in the password position, raw or encoded, and every other
/// part possibly broken.
fn hostile_url() -> impl Strategy<Value = (String, String)> {
    let scheme = prop_oneof![
        Just("https".to_owned()),
        Just("http".to_owned()),
        Just("HTTPS".to_owned()),
        Just("ftp".to_owned()),
        Just(String::new()),
        any_text(6),
    ];
    let separator = prop_oneof![Just("://"), Just(":/"), Just(":"), Just("")];
    let key = prop_oneof![
        "[a-z0-9-]{0,8}",
        any_text(8),
        Just("a%3Ab".to_owned()),
        Just("%FF".to_owned())
    ];
    let host = prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z]{2,4})?",
        Just("127.0.0.1".to_owned()),
        Just("[::1]".to_owned()),
        Just("[::1".to_owned()),
        Just(String::new()),
        any_text(10),
    ];
    let port = prop_oneof![
        Just(String::new()),
        (0u32..70000).prop_map(|p| format!(":{p}")),
        any_text(4).prop_map(|p| format!(":{p}")),
    ];
    let path = prop_oneof![
        "/apps/[0-9]{1,6}/?",
        "/apps/[A-Za-z0-9._~-]{0,6}",
        Just("/apps/".to_owned()),
        Just("/apps/.".to_owned()),
        Just("/apps/1/x".to_owned()),
        any_text(10),
    ];
    let tail = prop_oneof![
        Just(String::new()),
        Just("?x=1".to_owned()),
        Just("#frag".to_owned()),
        any_text(6),
    ];
    (
        scheme,
        separator,
        key,
        secret(),
        any::<bool>(),
        host,
        port,
        path,
        tail,
    )
        .prop_map(
            |(scheme, sep, key, secret, encoded, host, port, path, tail)| {
                let password = if encoded {
                    encode(&secret)
                } else {
                    secret.clone()
                };
                (
                    format!("{scheme}{sep}{key}:{password}@{host}{port}{path}{tail}"),
                    secret,
                )
            },
        )
}

/// Arbitrary text with the secret spliced in anywhere.
fn spliced() -> impl Strategy<Value = (String, String)> {
    (any_text(60), secret(), any::<prop::sample::Index>()).prop_map(|(text, secret, at)| {
        let chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len() + 1);
        let url: String = chars[..i]
            .iter()
            .chain(secret.chars().collect::<Vec<_>>().iter())
            .chain(chars[i..].iter())
            .collect();
        (url, secret)
    })
}

/// A well-formed URL and what it must configure.
#[derive(Debug, Clone)]
struct Valid {
    url: String,
    app_id: String,
    key: String,
    secret: String,
    base_url: String,
}

fn valid_url() -> impl Strategy<Value = Valid> {
    let host = prop_oneof![
        // The last label starts with a letter, or the whole would be read as an IPv4 address.
        "([a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?\\.){0,3}[a-z][a-z0-9-]{0,6}[a-z0-9]"
            // An `xn--` label would be read as punycode.
            .prop_filter("no punycode labels", |h| !h.contains("xn--"))
            .prop_map(|h| (h.clone(), h)),
        (any::<[u8; 4]>()).prop_map(|o| {
            let ip = format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]);
            (ip.clone(), ip)
        }),
        Just(("[::1]".to_owned(), "[::1]".to_owned())),
        Just((
            "[2001:db8::8a2e:370:7334]".to_owned(),
            "[2001:db8::8a2e:370:7334]".to_owned()
        )),
    ];
    // Keys: anything without ':', whitespace or control characters, percent-encoded.
    let key = proptest::collection::vec(
        any::<char>().prop_filter("allowed in a key", |c| {
            *c != ':' && !c.is_whitespace() && !c.is_control()
        }),
        1..16,
    )
    .prop_map(|c| c.into_iter().collect::<String>());
    // Secrets: anything non-empty, percent-encoded.
    let secret = proptest::collection::vec(any::<char>(), 1..24)
        .prop_map(|c| c.into_iter().collect::<String>());
    (
        any::<bool>(),
        key,
        secret,
        host,
        proptest::option::of(1u16..=65535),
        "[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,11}",
        any::<bool>(),
    )
        .prop_map(
            |(tls, key, secret, (host, url_host), port, app_id, slash)| {
                let scheme = if tls { "https" } else { "http" };
                let port_part = port.map(|p| format!(":{p}")).unwrap_or_default();
                let url = format!(
                    "{scheme}://{}:{}@{host}{port_part}/apps/{app_id}{}",
                    encode(&key),
                    encode(&secret),
                    if slash { "/" } else { "" }
                );
                let default_port = if tls { 443 } else { 80 };
                let base_url = match port {
                    Some(p) if p != default_port => format!("{scheme}://{url_host}:{p}"),
                    _ => format!("{scheme}://{url_host}"),
                };
                Valid {
                    url,
                    app_id,
                    key,
                    secret,
                    base_url,
                }
            },
        )
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary strings never panic.
    #[test]
    fn arbitrary_strings_never_panic(url in any_text(120)) {
        let _ = outcomes(&url);
    }

    /// A URL carrying a secret, whatever else is wrong with it, never shows the secret.
    #[test]
    fn errors_never_contain_the_secret((url, secret) in prop_oneof![hostile_url(), spliced()]) {
        for text in outcomes(&url) {
            prop_assert!(!leaks(&text, &secret), "{:?} leaks the secret of {:?}", text, url);
        }
    }

    /// Well-formed URLs configure exactly what they say, secret included (shown by
    /// verifying a webhook signed with it).
    #[test]
    fn valid_urls_round_trip(valid in valid_url()) {
        let pusher = from_url(&valid.url)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", valid.url)))?;
        prop_assert_eq!(pusher.app_id(), valid.app_id.as_str());
        prop_assert_eq!(pusher.key(), valid.key.as_str());
        prop_assert_eq!(pusher.base_url(), valid.base_url.as_str());
        let body = br#"{"time_ms":1,"events":[]}"#;
        let signature = sign_webhook(&valid.secret, body);
        prop_assert!(pusher.verify_webhook(Some(&valid.key), Some(&signature), body).is_ok());
        let debug = format!("{pusher:?}");
        prop_assert!(debug.contains("secret: \"<redacted>\""), "{}", debug);
        // Surrounding whitespace (as from an environment variable) is ignored.
        let padded = format!("  {}\n", valid.url);
        let trimmed = from_url(&padded).unwrap();
        prop_assert_eq!(trimmed.base_url(), pusher.base_url());
    }
}
