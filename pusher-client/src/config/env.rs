//! [`PusherBuilder::from_env`]: a builder from `PUSHER_URL` or the `PUSHER_*` variables.

use super::{PusherBuilder, invalid};
use crate::error::ConfigError;

impl PusherBuilder {
    /// Starts from the environment.
    ///
    /// `PUSHER_URL` if set; otherwise `PUSHER_APP_ID`, `PUSHER_KEY`, `PUSHER_SECRET` (required),
    /// `PUSHER_CLUSTER`, `PUSHER_HOST`, `PUSHER_PORT` and `PUSHER_USE_TLS` (`true`/`false`). In
    /// both cases `PUSHER_ENCRYPTION_MASTER_KEY_BASE64` sets the end-to-end encryption key and
    /// `PUSHER_FALLBACK_HOSTS` (comma-separated `host[:port]`) the
    /// [`fallback_hosts`](Self::fallback_hosts), checked by [`build`](Self::build).
    ///
    /// ```no_run
    /// let pusher = pusher_client::PusherBuilder::from_env()?.build()?;
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = if let Some(url) = get("PUSHER_URL") {
            Self::from_url(&url)?
        } else {
            let require = |name: &'static str| get(name).ok_or(ConfigError::MissingEnv { name });
            let mut b = PusherBuilder::new(
                require("PUSHER_APP_ID")?,
                require("PUSHER_KEY")?,
                require("PUSHER_SECRET")?,
            );
            if let Some(cluster) = get("PUSHER_CLUSTER") {
                b = b.cluster(cluster);
            }
            if let Some(host) = get("PUSHER_HOST") {
                b = b.host(host);
            }
            if let Some(port) = get("PUSHER_PORT") {
                let port = port.trim().parse::<u16>().map_err(|_| {
                    invalid(
                        "PUSHER_PORT",
                        format!("{port:?} is not a port number (1-65535)"),
                    )
                })?;
                b = b.port(port);
            }
            if let Some(tls) = get("PUSHER_USE_TLS") {
                let tls = match tls.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => true,
                    "0" | "false" | "no" | "off" => false,
                    _ => {
                        return Err(invalid(
                            "PUSHER_USE_TLS",
                            format!("{tls:?} is not true or false"),
                        ));
                    }
                };
                b = b.tls(tls);
            }
            b
        };
        if let Some(key) = get("PUSHER_ENCRYPTION_MASTER_KEY_BASE64") {
            builder = builder.encryption_master_key_base64(key);
        }
        if let Some(hosts) = get("PUSHER_FALLBACK_HOSTS") {
            builder = builder.fallback_hosts(
                hosts
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned),
            );
        }
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn from_env_prefers_url() {
        let b = PusherBuilder::from_lookup(env(&[
            ("PUSHER_URL", "http://k:s@localhost:6001/apps/9"),
            ("PUSHER_APP_ID", "1"),
        ]))
        .unwrap();
        let p = b.offline().build().unwrap();
        assert_eq!(p.app_id(), "9");
        assert_eq!(p.base_url(), "http://localhost:6001");
    }

    #[test]
    fn from_env_parts() {
        let p = PusherBuilder::from_lookup(env(&[
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_KEY", "k"),
            ("PUSHER_SECRET", "s"),
            ("PUSHER_CLUSTER", "ap1"),
        ]))
        .unwrap()
        .offline()
        .build()
        .unwrap();
        assert_eq!(p.base_url(), "https://api-ap1.pusher.com");
        let p = PusherBuilder::from_lookup(env(&[
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_KEY", "k"),
            ("PUSHER_SECRET", "s"),
            ("PUSHER_HOST", "127.0.0.1"),
            ("PUSHER_PORT", "6001"),
            ("PUSHER_USE_TLS", "false"),
        ]))
        .unwrap()
        .offline()
        .build()
        .unwrap();
        assert_eq!(p.base_url(), "http://127.0.0.1:6001");
    }

    #[test]
    fn from_env_fallback_hosts() {
        let p = PusherBuilder::from_lookup(env(&[
            ("PUSHER_URL", "http://k:s@10.0.0.1:6001/apps/9"),
            ("PUSHER_FALLBACK_HOSTS", " 10.0.0.2, ,10.0.0.3:6002 "),
        ]))
        .unwrap()
        .offline()
        .build()
        .unwrap();
        assert_eq!(
            p.hosts(),
            ["10.0.0.1:6001", "10.0.0.2:6001", "10.0.0.3:6002"]
        );
        let bad = PusherBuilder::from_lookup(env(&[
            ("PUSHER_URL", "http://k:s@10.0.0.1:6001/apps/9"),
            ("PUSHER_FALLBACK_HOSTS", "http://10.0.0.2"),
        ]))
        .unwrap()
        .offline()
        .build()
        .unwrap_err();
        assert!(bad.to_string().contains("fallback_hosts"), "{bad}");
    }

    #[test]
    fn from_env_errors() {
        let missing = PusherBuilder::from_lookup(env(&[("PUSHER_APP_ID", "1")])).unwrap_err();
        assert_eq!(missing, ConfigError::MissingEnv { name: "PUSHER_KEY" });
        let port = PusherBuilder::from_lookup(env(&[
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_KEY", "k"),
            ("PUSHER_SECRET", "s"),
            ("PUSHER_PORT", "99999"),
        ]))
        .unwrap_err();
        assert!(port.to_string().contains("PUSHER_PORT"));
        let tls = PusherBuilder::from_lookup(env(&[
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_KEY", "k"),
            ("PUSHER_SECRET", "s"),
            ("PUSHER_USE_TLS", "maybe"),
        ]))
        .unwrap_err();
        assert!(tls.to_string().contains("PUSHER_USE_TLS"));
    }
}
