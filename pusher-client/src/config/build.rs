//! [`PusherBuilder::build`]: every setting checked, then the client assembled (host and base
//! URL, credentials, transport).

use std::net::Ipv6Addr;
use std::sync::Arc;
use std::time::SystemTime;

use super::{DEFAULT_CLUSTER, DEFAULT_CONNECT_TIMEOUT, PusherBuilder, invalid};
use crate::client::hosts::{Hosts, MAX_HOSTS};
use crate::client::{Inner, Pusher};
use crate::encryption::MasterKey;
use crate::error::{ConfigError, Error};
use crate::signing::Credentials;
use crate::transport::{HyperTransport, Transport};

impl PusherBuilder {
    /// Checks the configuration and builds the client.
    pub fn build(mut self) -> Result<Pusher, Error> {
        check_app_id(&self.app_id)?;
        check_key(&self.key, "key")?;
        if self.secret.is_empty() {
            return Err(ConfigError::Empty { field: "secret" }.into());
        }
        self.limits.check()?;
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "must be greater than zero").into());
        }
        let base_url = self.base_url()?;
        let master_key = self
            .master_key
            .as_deref()
            .map(MasterKey::from_base64)
            .transpose()?;
        let mut webhook_credentials = vec![Credentials::new(&self.key, &self.secret)];
        for (key, secret) in &self.webhook_keys {
            check_key(key, "webhook key")?;
            if secret.is_empty() {
                return Err(ConfigError::Empty {
                    field: "webhook secret",
                }
                .into());
            }
            webhook_credentials.push(Credentials::new(key, secret));
        }
        let hosts = self.hosts(&base_url)?;
        let transport = self.take_transport()?;
        check_tls(self.tls, &transport)?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemTime::now));
        let api_prefix = format!("/apps/{}", self.app_id);
        Ok(Pusher {
            inner: Arc::new(Inner {
                credentials: Credentials::new(&self.key, &self.secret),
                app_id: self.app_id,
                base_url,
                hosts,
                api_prefix,
                transport,
                timeout: self.timeout,
                limits: self.limits,
                master_key,
                webhook_credentials,
                webhook_max_age: self.webhook_max_age,
                clock,
                nonce_source: self.nonce_source,
                retry: self.retry,
            }),
        })
    }

    /// The primary host (`base_url`'s) then the fallback hosts, checked: each a valid
    /// `host[:port]`, none listed twice, at most [`MAX_HOSTS`] in all; and the cool-off.
    fn hosts(&self, base_url: &str) -> Result<Hosts, ConfigError> {
        let (scheme, primary) = split_base_url(base_url)?;
        if self.fallback_hosts.is_empty() {
            return Ok(Hosts::new(scheme, vec![primary], self.fallback_cooldown));
        }
        if self.fallback_cooldown.is_zero() {
            return Err(invalid("fallback_cooldown", "must be greater than zero"));
        }
        if self.fallback_hosts.len() >= MAX_HOSTS {
            return Err(invalid(
                "fallback_hosts",
                format!("at most {} fallback hosts", MAX_HOSTS - 1),
            ));
        }
        let default_port = if self.tls { 443 } else { 80 };
        let port_of = |a: &http::uri::Authority| a.port_u16().unwrap_or(default_port);
        let mut authorities = vec![primary];
        for entry in &self.fallback_hosts {
            let (host, port) = split_host_port(entry)?;
            let port = port.or(self.port).unwrap_or(default_port);
            let text = if port == default_port {
                host
            } else {
                format!("{host}:{port}")
            };
            let authority: http::uri::Authority = text
                .parse()
                .map_err(|_| invalid("fallback_hosts", format!("{entry:?} is not a host")))?;
            if authorities
                .iter()
                .any(|a| a.host().eq_ignore_ascii_case(authority.host()) && port_of(a) == port)
            {
                return Err(invalid(
                    "fallback_hosts",
                    format!("{entry:?} is listed twice (or is the primary host)"),
                ));
            }
            authorities.push(authority);
        }
        Ok(Hosts::new(scheme, authorities, self.fallback_cooldown))
    }

    /// `scheme://host[:port]`, from the host (else the cluster, else the default cluster), the
    /// port (left out when it is the scheme's default) and TLS.
    fn base_url(&self) -> Result<String, ConfigError> {
        let host = match (&self.host, &self.cluster) {
            (Some(host), _) => check_host(host)?,
            (None, Some(cluster)) => {
                if cluster.is_empty()
                    || !cluster
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    return Err(invalid(
                        "cluster",
                        format!("{cluster:?} is not a cluster name (e.g. mt1, eu, us2)"),
                    ));
                }
                format!("api-{cluster}.pusher.com")
            }
            (None, None) => format!("api-{DEFAULT_CLUSTER}.pusher.com"),
        };
        if self.port == Some(0) {
            return Err(invalid("port", "must be between 1 and 65535"));
        }
        let scheme = if self.tls { "https" } else { "http" };
        let default_port = if self.tls { 443 } else { 80 };
        Ok(match self.port {
            Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        })
    }

    /// The caller's transport or `reqwest::Client` (refused together, and with the settings
    /// only the default transport applies), else the default transport.
    fn take_transport(&mut self) -> Result<Transport, ConfigError> {
        #[cfg(feature = "reqwest")]
        let http_client = self.http_client.take();
        #[cfg(not(feature = "reqwest"))]
        let http_client: Option<std::convert::Infallible> = None;
        let (transport, with) = match (self.transport.take(), http_client) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "http_client",
                    "cannot be combined with a custom transport; wrap the client in transport::ReqwestTransport instead",
                ));
            }
            (Some(transport), None) => (transport, "a custom transport"),
            #[cfg(feature = "reqwest")]
            (None, Some(client)) => (
                Transport::Reqwest(crate::transport::ReqwestTransport::new(client)),
                "your reqwest::Client (http_client)",
            ),
            #[cfg(not(feature = "reqwest"))]
            (None, Some(never)) => match never {},
            (None, None) => return self.default_transport(),
        };
        let default_only = [
            ("proxy", self.proxy.is_some()),
            ("connect_timeout", self.connect_timeout.is_some()),
            ("add_root_certificate", !self.root_certificates.is_empty()),
        ];
        for (option, set) in default_only {
            if set {
                return Err(ConfigError::Unsupported {
                    option,
                    transport: with,
                    reason: "it configures the default transport only; set it on the client or transport you gave".into(),
                });
            }
        }
        Ok(transport)
    }

    /// The default transport ([`HyperTransport`]) with the connect timeout, proxy and root
    /// certificates of the settings (the keep-alive pool with its defaults).
    fn default_transport(&self) -> Result<Transport, ConfigError> {
        let mut b = HyperTransport::builder()
            .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT));
        if let Some(proxy) = &self.proxy {
            b = b.proxy(proxy.as_str());
        }
        for certificate in &self.root_certificates {
            b = b.add_root_certificate(certificate.clone());
        }
        Ok(Transport::Hyper(b.build()?))
    }
}

/// HTTPS needs a TLS feature when the built-in transport carries it: said at build, not at the
/// first request.
fn check_tls(tls: bool, transport: &Transport) -> Result<(), ConfigError> {
    if tls && matches!(transport, Transport::Hyper(_)) && !crate::transport::HAS_TLS {
        return Err(ConfigError::Unsupported {
            option: "tls",
            transport: "the default transport (HyperTransport)",
            reason: "pusher-client was built without a TLS feature: enable `rustls`, `aws-lc-rs` or `native-tls`, or use .tls(false) for a plain-HTTP server".into(),
        });
    }
    Ok(())
}

/// The scheme and authority of `base_url`, parsed once for every request's URI.
fn split_base_url(
    base_url: &str,
) -> Result<(http::uri::Scheme, http::uri::Authority), ConfigError> {
    let not_a_url = || invalid("host", "does not make a valid URL");
    let uri: http::Uri = base_url.parse().map_err(|_| not_a_url())?;
    let parts = uri.into_parts();
    match (parts.scheme, parts.authority) {
        (Some(scheme), Some(authority)) => Ok((scheme, authority)),
        _ => Err(not_a_url()),
    }
}

fn check_app_id(app_id: &str) -> Result<(), ConfigError> {
    if app_id.is_empty() {
        return Err(ConfigError::Empty { field: "app_id" });
    }
    if let Some(c) = app_id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
    {
        return Err(invalid(
            "app_id",
            format!("contains {c:?}; allowed are A-Z a-z 0-9 - _ . ~"),
        ));
    }
    Ok(())
}

fn check_key(key: &str, field: &'static str) -> Result<(), ConfigError> {
    if key.is_empty() {
        return Err(ConfigError::Empty { field });
    }
    if let Some(c) = key
        .chars()
        .find(|c| *c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            field,
            format!("contains {c:?}, which cannot appear in an auth string"),
        ));
    }
    Ok(())
}

/// A fallback host entry, `host`, `host:port`, `[IPv6]`, `[IPv6]:port` or a bare IPv6
/// address: the host checked as [`check_host`] does (IPv6 bracketed) and the port, if given.
fn split_host_port(entry: &str) -> Result<(String, Option<u16>), ConfigError> {
    let field = "fallback_hosts";
    if entry.contains("://") {
        return Err(invalid(
            field,
            format!(
                "{entry:?}: give the host name only, without a scheme; use .tls(false) for plain HTTP"
            ),
        ));
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid(field, format!("{entry:?}: '[' without ']'")))?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => {
                    return Err(invalid(field, format!("{entry:?}: expected [IPv6]:port")));
                }
            },
        }
    } else if entry.parse::<Ipv6Addr>().is_ok() {
        (entry, None)
    } else {
        match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        }
    };
    let host = check_host_as(host, field)?;
    let port = match port {
        None => None,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port != 0 => Some(port),
            _ => {
                return Err(invalid(
                    field,
                    format!("{entry:?}: the port must be a number between 1 and 65535"),
                ));
            }
        },
    };
    Ok((host, port))
}

/// Checks a host name or IP address; IPv6 literals are bracketed for URLs.
fn check_host(host: &str) -> Result<String, ConfigError> {
    check_host_as(host, "host")
}

/// [`check_host`], naming `field` in errors.
fn check_host_as(host: &str, field: &'static str) -> Result<String, ConfigError> {
    let bad_host = |reason: &str| invalid(field, reason);
    if host.is_empty() {
        return Err(ConfigError::Empty { field });
    }
    if host.contains("://") {
        return Err(bad_host(
            "give the host name only, without a scheme; use .tls(false) for plain HTTP",
        ));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<Ipv6Addr>().is_ok() {
        return Ok(format!("[{bare}]"));
    }
    if host.contains(':') {
        return Err(bad_host("give the port with .port(), not in the host"));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(bad_host(
            "must be a host name or IP address (letters, digits, '-', '.', '_')",
        ));
    }
    Ok(host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;
    use std::time::Duration;

    #[test]
    fn default_host_is_mt1_https() {
        let p = PusherBuilder::new("1".into(), "k".into(), "s".into())
            .offline()
            .build()
            .unwrap();
        assert_eq!(p.base_url(), "https://api-mt1.pusher.com");
    }

    #[test]
    fn host_port_tls() {
        let p = PusherBuilder::new("1".into(), "k".into(), "s".into())
            .cluster("eu")
            .host("127.0.0.1")
            .port(6001)
            .tls(false)
            .offline()
            .build()
            .unwrap();
        assert_eq!(p.base_url(), "http://127.0.0.1:6001");
        let p = PusherBuilder::new("1".into(), "k".into(), "s".into())
            .host("::1")
            .port(8443)
            .offline()
            .build()
            .unwrap();
        assert_eq!(p.base_url(), "https://[::1]:8443");
    }

    #[test]
    fn bad_settings_are_named() {
        let b = || PusherBuilder::new("1".into(), "k".into(), "s".into());
        let err = |b: PusherBuilder| b.build().unwrap_err().to_string();
        assert!(err(b().host("https://x.com")).contains("host"));
        assert!(err(b().host("x.com:80")).contains(".port()"));
        assert!(err(b().cluster("e u")).contains("cluster"));
        assert!(err(b().port(0)).contains("port"));
        assert!(err(b().timeout(Duration::ZERO)).contains("timeout"));
        assert!(err(b().limits(Limits::default().max_batch_size(0))).contains("max_batch_size"));
        assert!(err(b().proxy("not a url")).contains("proxy"));
        let unsupported = |b: PusherBuilder| match b.build() {
            Err(Error::Config(ConfigError::Unsupported {
                option, transport, ..
            })) => (option, transport),
            other => panic!("expected Unsupported, got {other:?}"),
        };
        assert_eq!(
            unsupported(b().proxy("https://proxy.local:3128")),
            ("proxy", "the default transport (HyperTransport)")
        );
        assert_eq!(
            unsupported(b().proxy("socks5://proxy.local:1080")).0,
            "proxy"
        );
        let custom = tower::service_fn(|_: http::Request<bytes::Bytes>| async {
            Err::<http::Response<String>, _>(crate::transport::SendError::never_sent("offline"))
        });
        assert_eq!(
            unsupported(
                b().transport(custom)
                    .connect_timeout(Duration::from_secs(1))
            ),
            ("connect_timeout", "a custom transport")
        );
        #[cfg(feature = "reqwest")]
        assert_eq!(
            unsupported(
                b().http_client(reqwest::Client::new())
                    .proxy("http://127.0.0.1:1")
            ),
            ("proxy", "your reqwest::Client (http_client)")
        );
        #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
        assert_eq!(unsupported(b()).0, "tls");
        assert!(err(PusherBuilder::new("".into(), "k".into(), "s".into())).contains("app_id"));
        assert!(err(PusherBuilder::new("1/2".into(), "k".into(), "s".into())).contains("app_id"));
        assert!(err(PusherBuilder::new("1".into(), "k:x".into(), "s".into())).contains("key"));
        assert!(err(PusherBuilder::new("1".into(), "k".into(), "".into())).contains("secret"));
    }
}
