//! [`PusherBuilder::from_url`]: a builder from a URL of the `PUSHER_URL` form,
//! `http[s]://KEY:SECRET@HOST[:PORT]/apps/APP_ID`.

use super::PusherBuilder;
use crate::error::ConfigError;

impl PusherBuilder {
    /// Starts from a URL of the form `http[s]://KEY:SECRET@HOST[:PORT]/apps/APP_ID`.
    ///
    /// Key and secret may be percent-encoded. Errors say what is wrong, never the secret.
    ///
    /// ```
    /// use pusher_client::PusherBuilder;
    ///
    /// let pusher = PusherBuilder::from_url("http://key:secret@127.0.0.1:6001/apps/42")?
    ///     .build()?;
    /// assert_eq!(pusher.app_id(), "42");
    /// assert_eq!(pusher.base_url(), "http://127.0.0.1:6001");
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        let bad = |reason: &str| ConfigError::Url {
            reason: reason.to_owned(),
        };
        let parsed = url::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        let tls = match parsed.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("it has no host")),
        };
        let decode = |s: &str, what: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| {
                    bad(&format!(
                        "the {what} is not valid UTF-8 once percent-decoded"
                    ))
                })
        };
        let key = decode(parsed.username(), "key")?;
        let secret = decode(parsed.password().unwrap_or(""), "secret")?;
        if key.is_empty() {
            return Err(bad("it has no key (the user part before ':')"));
        }
        if secret.is_empty() {
            return Err(bad("it has no secret (the password part after ':')"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("it must not have a query or fragment"));
        }
        let path = parsed.path().trim_end_matches('/');
        let app_id = match path.strip_prefix("/apps/") {
            Some(id) if !id.is_empty() && !id.contains('/') => id.to_owned(),
            _ => return Err(bad("its path must be /apps/APP_ID")),
        };
        let mut builder = PusherBuilder::new(app_id, key, secret).host(host).tls(tls);
        if let Some(port) = parsed.port() {
            builder = builder.port(port);
        }
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_url_parses_and_never_echoes_secret() {
        let p = PusherBuilder::from_url("https://the-key:s%40cret@api.example.com:8443/apps/77/")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(p.app_id(), "77");
        assert_eq!(p.key(), "the-key");
        assert_eq!(p.base_url(), "https://api.example.com:8443");
        for bad in [
            "ftp://k:hunter2@h/apps/1",
            "https://k:hunter2@h/apps/",
            "https://k:hunter2@h/app/1",
            "https://k:hunter2@h/apps/1/x",
            "https://:hunter2@h/apps/1",
            "https://k@h/apps/1",
            "https://k:hunter2@h/apps/1?x=1",
            "k:hunter2@h/apps/1",
            "https://k:hunter2@/apps/1",
        ] {
            let e = PusherBuilder::from_url(bad).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{bad}: {e}");
            assert!(e.contains("invalid Pusher URL"), "{bad}: {e}");
        }
    }
}
