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
        let url = url.trim();
        if url.contains('#') {
            return Err(bad("it must not have a query or fragment"));
        }
        // http's URI parser: no `url`/IDNA stack in the build for one line of configuration.
        let parsed: http::Uri = url
            .parse()
            .map_err(|_| bad("it is not a URL (expected scheme://…)"))?;
        let tls = match parsed.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(_) => return Err(bad("the scheme must be http or https")),
            None => return Err(bad("it is not a URL (expected scheme://…)")),
        };
        let authority = parsed.authority().ok_or_else(|| bad("it has no host"))?;
        let host_port = authority
            .as_str()
            .rsplit_once('@')
            .map_or(authority.as_str(), |(_, h)| h);
        let port = match host_port.rfind(':') {
            Some(i) if !host_port[i..].contains(']') => Some(
                host_port[i + 1..]
                    .parse::<u16>()
                    .map_err(|_| bad("its port must be a number from 1 to 65535"))?,
            ),
            _ => None,
        };
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err(bad("it has no host"));
        }
        if !host.is_ascii() {
            return Err(bad(
                "the host must be ASCII (punycode for international names)",
            ));
        }
        let host = host.to_ascii_lowercase();
        let (username, password) = match authority.as_str().rsplit_once('@') {
            Some((userinfo, _)) => userinfo.split_once(':').unwrap_or((userinfo, "")),
            None => ("", ""),
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
        let key = decode(username, "key")?;
        let secret = decode(password, "secret")?;
        if key.is_empty() {
            return Err(bad("it has no key (the user part before ':')"));
        }
        if secret.is_empty() {
            return Err(bad("it has no secret (the password part after ':')"));
        }
        if parsed.query().is_some() {
            return Err(bad("it must not have a query or fragment"));
        }
        let path = parsed.path().trim_end_matches('/');
        let app_id = match path.strip_prefix("/apps/") {
            Some(id) if !id.is_empty() && !id.contains('/') => id.to_owned(),
            _ => return Err(bad("its path must be /apps/APP_ID")),
        };
        let mut builder = PusherBuilder::new(app_id, key, secret).host(host).tls(tls);
        if let Some(port) = port {
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
            .offline()
            .build()
            .unwrap();
        assert_eq!(p.app_id(), "77");
        assert_eq!(p.key(), "the-key");
        assert_eq!(p.base_url(), "https://api.example.com:8443");
        let p = PusherBuilder::from_url(" http://k:s@[::1]:6001/apps/1 ")
            .unwrap()
            .offline()
            .build()
            .unwrap();
        assert_eq!(p.base_url(), "http://[::1]:6001");
        let p = PusherBuilder::from_url("http://k:s@API.Example.COM/apps/1")
            .unwrap()
            .offline()
            .build()
            .unwrap();
        assert_eq!(p.base_url(), "http://api.example.com");
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
            "https://k:hunter2@h/apps/1#top",
            "https://k:hunter2@h:99999/apps/1",
            "https://k:hunter2@hé/apps/1",
        ] {
            let e = PusherBuilder::from_url(bad).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{bad}: {e}");
            assert!(e.contains("invalid Pusher URL"), "{bad}: {e}");
        }
    }
}
