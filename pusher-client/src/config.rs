//! Client configuration: the builder, `PUSHER_URL` and environment parsing, and [`Limits`].

use std::fmt;
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::client::{Inner, Pusher};
use crate::encryption::MasterKey;
use crate::error::{ConfigError, Error};
use crate::retry::RetryPolicy;
use crate::signing::Credentials;
use crate::transport::{ReqwestTransport, ResponseBody, SendError, Transport};

/// Default request timeout (whole request, connect included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cluster when neither a cluster nor a host is set.
pub const DEFAULT_CLUSTER: &str = "mt1";

/// The limits checked before a request is sent.
///
/// The defaults are those of Pusher's multi-tenant clusters. Dedicated clusters and self-hosted
/// servers (sockudo, soketi) may allow more: raise them to match, never above what the server
/// accepts, or the server will refuse what the client let through.
///
/// ```
/// use pusher_client::{Limits, Pusher};
///
/// let limits = Limits::default()
///     .max_payload_bytes(100 * 1024)
///     .max_batch_size(50);
/// let pusher = Pusher::builder("1", "key", "secret").limits(limits).build()?;
/// assert_eq!(pusher.limits().max_batch_size, 50);
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Largest event `data`, in bytes as sent (after encryption). Default 10 240.
    pub max_payload_bytes: usize,
    /// Most channels one trigger may name. Default 100.
    pub max_channels_per_trigger: usize,
    /// Most events one batch request may carry; longer batches are split. Default 10.
    pub max_batch_size: usize,
    /// Longest channel name, in characters. Default 164.
    pub max_channel_name_len: usize,
    /// Longest event name, in characters. Default 200.
    pub max_event_name_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload_bytes: 10 * 1024,
            max_channels_per_trigger: 100,
            max_batch_size: 10,
            max_channel_name_len: 164,
            max_event_name_len: 200,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_payload_bytes`].
    pub fn max_payload_bytes(mut self, bytes: usize) -> Self {
        self.max_payload_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_channels_per_trigger`].
    pub fn max_channels_per_trigger(mut self, channels: usize) -> Self {
        self.max_channels_per_trigger = channels;
        self
    }

    /// Sets [`Limits::max_batch_size`].
    pub fn max_batch_size(mut self, events: usize) -> Self {
        self.max_batch_size = events;
        self
    }

    /// Sets [`Limits::max_channel_name_len`].
    pub fn max_channel_name_len(mut self, chars: usize) -> Self {
        self.max_channel_name_len = chars;
        self
    }

    /// Sets [`Limits::max_event_name_len`].
    pub fn max_event_name_len(mut self, chars: usize) -> Self {
        self.max_event_name_len = chars;
        self
    }

    fn check(&self) -> Result<(), ConfigError> {
        let zero = [
            ("limits.max_payload_bytes", self.max_payload_bytes),
            (
                "limits.max_channels_per_trigger",
                self.max_channels_per_trigger,
            ),
            ("limits.max_batch_size", self.max_batch_size),
            ("limits.max_channel_name_len", self.max_channel_name_len),
            ("limits.max_event_name_len", self.max_event_name_len),
        ];
        for (field, value) in zero {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    field,
                    reason: "must be at least 1".into(),
                });
            }
        }
        Ok(())
    }
}

pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;
pub(crate) type NonceSource = Arc<dyn Fn(&mut [u8; 24]) + Send + Sync>;

/// Without the `test-util` feature `PusherBuilder::nonce_source_for_tests` does not exist, so
/// a build with the default features cannot fix the encryption nonce. This doctest checks it
/// (`scripts/test` runs `cargo test -p pusher-client --doc` with the default features): the
/// call resolves to a stand-in trait method only when the builder has no such method of its
/// own (an inherent method would win, return a `PusherBuilder`, and the assertion would not
/// compile).
///
/// ```
/// use pusher_client::{Pusher, PusherBuilder};
///
/// trait StandIn {
///     fn nonce_source_for_tests(self, source: fn(&mut [u8; 24])) -> &'static str;
/// }
/// impl StandIn for PusherBuilder {
///     fn nonce_source_for_tests(self, _: fn(&mut [u8; 24])) -> &'static str {
///         "no such method on PusherBuilder"
///     }
/// }
///
/// let picked = Pusher::builder("123456", "app-key", "app-secret")
///     .nonce_source_for_tests(|nonce| nonce.fill(0));
/// assert_eq!(picked, "no such method on PusherBuilder");
/// ```
#[cfg(all(doctest, not(feature = "test-util")))]
#[allow(dead_code)]
struct NonceSourceNeedsTestUtil;

/// With the `test-util` feature the builder's own `nonce_source_for_tests` wins over the same
/// stand-in (the probe above tells the two apart).
///
/// ```
/// use pusher_client::{Pusher, PusherBuilder};
///
/// trait StandIn {
///     fn nonce_source_for_tests(self, source: fn(&mut [u8; 24])) -> &'static str;
/// }
/// impl StandIn for PusherBuilder {
///     fn nonce_source_for_tests(self, _: fn(&mut [u8; 24])) -> &'static str {
///         "no such method on PusherBuilder"
///     }
/// }
///
/// let picked: PusherBuilder = Pusher::builder("123456", "app-key", "app-secret")
///     .nonce_source_for_tests(|nonce| nonce.fill(0));
/// # drop(picked);
/// ```
#[cfg(all(doctest, feature = "test-util"))]
#[allow(dead_code)]
struct NonceSourceWithTestUtil;

/// Builds a [`Pusher`] client. Made by [`Pusher::builder`], [`PusherBuilder::from_url`] or
/// [`PusherBuilder::from_env`].
///
/// ```
/// use std::time::Duration;
/// use pusher_client::Pusher;
///
/// let pusher = Pusher::builder("123456", "app-key", "app-secret")
///     .cluster("eu")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(pusher.base_url(), "https://api-eu.pusher.com");
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[must_use = "a builder does nothing until .build() is called"]
pub struct PusherBuilder {
    app_id: String,
    key: String,
    secret: String,
    cluster: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    tls: bool,
    timeout: Duration,
    connect_timeout: Option<Duration>,
    proxy: Option<String>,
    http_client: Option<reqwest::Client>,
    transport: Option<Transport>,
    limits: Limits,
    master_key: Option<String>,
    webhook_keys: Vec<(String, String)>,
    webhook_max_age: Option<Duration>,
    clock: Option<Clock>,
    nonce_source: Option<NonceSource>,
    retry: RetryPolicy,
}

impl fmt::Debug for PusherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PusherBuilder")
            .field("app_id", &self.app_id)
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .field("cluster", &self.cluster)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field("transport", &self.transport)
            .field("limits", &self.limits)
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl PusherBuilder {
    pub(crate) fn new(app_id: String, key: String, secret: String) -> Self {
        PusherBuilder {
            app_id,
            key,
            secret,
            cluster: None,
            host: None,
            port: None,
            tls: true,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: None,
            proxy: None,
            http_client: None,
            transport: None,
            limits: Limits::default(),
            master_key: None,
            webhook_keys: Vec::new(),
            webhook_max_age: None,
            clock: None,
            nonce_source: None,
            retry: RetryPolicy::default(),
        }
    }

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

    /// Starts from the environment.
    ///
    /// `PUSHER_URL` if set; otherwise `PUSHER_APP_ID`, `PUSHER_KEY`, `PUSHER_SECRET` (required),
    /// `PUSHER_CLUSTER`, `PUSHER_HOST`, `PUSHER_PORT` and `PUSHER_USE_TLS` (`true`/`false`). In
    /// both cases `PUSHER_ENCRYPTION_MASTER_KEY_BASE64` sets the end-to-end encryption key.
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
                let port = port
                    .trim()
                    .parse::<u16>()
                    .map_err(|_| ConfigError::Invalid {
                        field: "PUSHER_PORT",
                        reason: format!("{port:?} is not a port number (1-65535)"),
                    })?;
                b = b.port(port);
            }
            if let Some(tls) = get("PUSHER_USE_TLS") {
                let tls = match tls.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => true,
                    "0" | "false" | "no" | "off" => false,
                    _ => {
                        return Err(ConfigError::Invalid {
                            field: "PUSHER_USE_TLS",
                            reason: format!("{tls:?} is not true or false"),
                        });
                    }
                };
                b = b.tls(tls);
            }
            b
        };
        if let Some(key) = get("PUSHER_ENCRYPTION_MASTER_KEY_BASE64") {
            builder = builder.encryption_master_key_base64(key);
        }
        Ok(builder)
    }

    /// The cluster, e.g. `eu` → `api-eu.pusher.com`. Ignored when [`host`](Self::host) is set.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// The API host name or IP address (no scheme, no port), for self-hosted servers.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The API port (default 443 with TLS, 80 without).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// HTTPS (`true`, the default) or plain HTTP.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// The whole-request timeout, connecting included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout of the default transport (default 5 s). Not applicable with
    /// [`http_client`](Self::http_client) or [`transport`](Self::transport): set it on that
    /// client or transport instead ([`build`](Self::build) refuses the combination).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sends every request through this HTTP or HTTPS proxy (`http://[user:pass@]host:port`).
    ///
    /// Without it, the standard `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` variables apply.
    /// Only the default transport uses it: [`build`](Self::build) refuses it together with
    /// [`http_client`](Self::http_client) or [`transport`](Self::transport).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Uses the caller's own `reqwest::Client` (and its connection pool, TLS and proxy settings).
    ///
    /// The request [`timeout`](Self::timeout) still applies per request; a
    /// [`connect_timeout`](Self::connect_timeout) or [`proxy`](Self::proxy) set here as well is
    /// refused by [`build`](Self::build), since it could not be applied.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Sends every request through this transport instead of the default reqwest client.
    ///
    /// Any [`tower::Service`] taking a signed [`http::Request<Bytes>`](bytes::Bytes) and
    /// answering an [`http::Response`] whose body converts into a [`ResponseBody`], failing
    /// with a [`SendError`] that says whether the request may have been processed. Signing,
    /// retries, the request [`timeout`](Self::timeout) (applied around the transport's call and
    /// the reading of the answer), the 8 MiB answer cap, tracing and typed errors stay in the
    /// client and behave the same with every transport. [`connect_timeout`](Self::connect_timeout),
    /// [`proxy`](Self::proxy) and [`http_client`](Self::http_client) configure the default
    /// transport only: [`build`](Self::build) refuses them together with this.
    ///
    /// See the [`transport`](crate::transport) module for the built-in transports and examples.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use pusher_client::Pusher;
    /// use pusher_client::transport::SendError;
    ///
    /// let offline = tower::service_fn(|_request: http::Request<Bytes>| async {
    ///     Err::<http::Response<String>, _>(SendError::never_sent("offline"))
    /// });
    /// let pusher = Pusher::builder("1", "key", "secret").transport(offline).build()?;
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn transport<S, B>(mut self, transport: S) -> Self
    where
        S: tower::Service<
                http::Request<bytes::Bytes>,
                Response = http::Response<B>,
                Error = SendError,
            > + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        B: Into<ResponseBody> + 'static,
    {
        self.transport = Some(Transport::from_service(transport));
        self
    }

    /// When and how failed requests are retried (default: [`RetryPolicy::default`], safe
    /// retries only; [`RetryPolicy::none`] turns them off). See [`RetryPolicy`] for exactly
    /// what is retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The limits checked before sending (default: Pusher's multi-tenant limits).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The end-to-end encryption master key, base64 of exactly 32 bytes
    /// (e.g. from `openssl rand -base64 32`). Needed for `private-encrypted-` channels.
    pub fn encryption_master_key_base64(mut self, key: impl Into<String>) -> Self {
        self.master_key = Some(key.into());
        self
    }

    /// Accepts webhooks signed with another key/secret pair too (key rotation).
    ///
    /// The app's own key and secret are always accepted.
    pub fn webhook_key(mut self, key: impl Into<String>, secret: impl Into<String>) -> Self {
        self.webhook_keys.push((key.into(), secret.into()));
        self
    }

    /// Refuses webhooks whose `time_ms` is older than `max_age` (off by default).
    ///
    /// Pusher retries a webhook that was not answered 2xx for about 5 minutes, so keep this
    /// well above that (e.g. 10 minutes) or retried deliveries will be refused.
    pub fn webhook_max_age(mut self, max_age: Duration) -> Self {
        self.webhook_max_age = Some(max_age);
        self
    }

    /// Replaces the clock used for `auth_timestamp` and webhook age checks (for deterministic
    /// tests).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Replaces the random source of encryption nonces, **for deterministic tests only**.
    ///
    /// **Never use this in production.** XSalsa20-Poly1305 under a nonce used twice with the
    /// same channel key leaks the XOR of the two plaintexts and lets anyone who saw both forge
    /// messages; only the default (the operating system's random source, a fresh nonce per
    /// event) is safe. That is why this method exists only with the `test-util` feature, which
    /// is for tests and dev-dependencies: enable it as
    /// `pusher-client = { version = "..", features = ["test-util"] }` under
    /// `[dev-dependencies]`, never under `[dependencies]` of a crate that ships.
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// let pusher = Pusher::builder("123456", "app-key", "app-secret")
    ///     .encryption_master_key_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    ///     .nonce_source_for_tests(|nonce| nonce.fill(7)) // the same nonce every time: tests only
    ///     .build()?;
    /// # drop(pusher);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn nonce_source_for_tests(
        mut self,
        source: impl Fn(&mut [u8; 24]) + Send + Sync + 'static,
    ) -> Self {
        self.nonce_source = Some(Arc::new(source));
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Pusher, Error> {
        check_app_id(&self.app_id)?;
        check_key(&self.key, "key")?;
        if self.secret.is_empty() {
            return Err(ConfigError::Empty { field: "secret" }.into());
        }
        self.limits.check()?;
        if self.timeout.is_zero() {
            return Err(ConfigError::Invalid {
                field: "timeout",
                reason: "must be greater than zero".into(),
            }
            .into());
        }
        let host = match (&self.host, &self.cluster) {
            (Some(host), _) => check_host(host)?,
            (None, Some(cluster)) => {
                if cluster.is_empty()
                    || !cluster
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    return Err(ConfigError::Invalid {
                        field: "cluster",
                        reason: format!("{cluster:?} is not a cluster name (e.g. mt1, eu, us2)"),
                    }
                    .into());
                }
                format!("api-{cluster}.pusher.com")
            }
            (None, None) => format!("api-{DEFAULT_CLUSTER}.pusher.com"),
        };
        if self.port == Some(0) {
            return Err(ConfigError::Invalid {
                field: "port",
                reason: "must be between 1 and 65535".into(),
            }
            .into());
        }
        let scheme = if self.tls { "https" } else { "http" };
        let default_port = if self.tls { 443 } else { 80 };
        let base_url = match self.port {
            Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        };
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
        let only_default = |field: &'static str, with: &str| ConfigError::Invalid {
            field,
            reason: format!(
                "configures the default transport only and cannot be applied to {with}; set it there"
            ),
        };
        let transport = match (self.transport, self.http_client) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid {
                    field: "http_client",
                    reason: "cannot be combined with a custom transport; wrap the client in transport::ReqwestTransport instead".into(),
                }
                .into());
            }
            (Some(transport), None) => {
                if self.proxy.is_some() {
                    return Err(only_default("proxy", "a custom transport").into());
                }
                if self.connect_timeout.is_some() {
                    return Err(only_default("connect_timeout", "a custom transport").into());
                }
                transport
            }
            (None, Some(client)) => {
                if self.proxy.is_some() {
                    return Err(only_default("proxy", "a caller's own reqwest::Client").into());
                }
                if self.connect_timeout.is_some() {
                    return Err(
                        only_default("connect_timeout", "a caller's own reqwest::Client").into(),
                    );
                }
                Transport::Reqwest(ReqwestTransport::new(client))
            }
            (None, None) => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .pool_idle_timeout(Duration::from_secs(90))
                    .tcp_keepalive(Duration::from_secs(60))
                    .user_agent(crate::client::USER_AGENT);
                if let Some(proxy) = &self.proxy {
                    let proxy =
                        reqwest::Proxy::all(proxy.as_str()).map_err(|_| ConfigError::Invalid {
                            field: "proxy",
                            reason: "not a valid proxy URL (expected http[s]://host:port)".into(),
                        })?;
                    b = b.proxy(proxy);
                }
                let client = b.build().map_err(|e| ConfigError::HttpClient {
                    reason: e.without_url().to_string(),
                })?;
                Transport::Reqwest(ReqwestTransport::new(client))
            }
        };
        let (scheme, authority) = split_base_url(&base_url)?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemTime::now));
        let api_prefix = format!("/apps/{}", self.app_id);
        Ok(Pusher {
            inner: Arc::new(Inner {
                credentials: Credentials::new(&self.key, &self.secret),
                app_id: self.app_id,
                base_url,
                scheme,
                authority,
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
}

/// The scheme and authority of `base_url`, parsed once for every request's URI.
fn split_base_url(
    base_url: &str,
) -> Result<(http::uri::Scheme, http::uri::Authority), ConfigError> {
    let invalid = || ConfigError::Invalid {
        field: "host",
        reason: "does not make a valid URL".into(),
    };
    let uri: http::Uri = base_url.parse().map_err(|_| invalid())?;
    let parts = uri.into_parts();
    match (parts.scheme, parts.authority) {
        (Some(scheme), Some(authority)) => Ok((scheme, authority)),
        _ => Err(invalid()),
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
        return Err(ConfigError::Invalid {
            field: "app_id",
            reason: format!("contains {c:?}; allowed are A-Z a-z 0-9 - _ . ~"),
        });
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
        return Err(ConfigError::Invalid {
            field,
            reason: format!("contains {c:?}, which cannot appear in an auth string"),
        });
    }
    Ok(())
}

/// Checks a host name or IP address; IPv6 literals are bracketed for URLs.
fn check_host(host: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        field: "host",
        reason: reason.to_owned(),
    };
    if host.is_empty() {
        return Err(ConfigError::Empty { field: "host" });
    }
    if host.contains("://") {
        return Err(invalid(
            "give the host name only, without a scheme; use .tls(false) for plain HTTP",
        ));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<Ipv6Addr>().is_ok() {
        return Ok(format!("[{bare}]"));
    }
    if host.contains(':') {
        return Err(invalid("give the port with .port(), not in the host"));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(invalid(
            "must be a host name or IP address (letters, digits, '-', '.', '_')",
        ));
    }
    Ok(host.to_owned())
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
    fn default_host_is_mt1_https() {
        let p = PusherBuilder::new("1".into(), "k".into(), "s".into())
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
            .build()
            .unwrap();
        assert_eq!(p.base_url(), "http://127.0.0.1:6001");
        let p = PusherBuilder::new("1".into(), "k".into(), "s".into())
            .host("::1")
            .port(8443)
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
        assert!(
            err(b()
                .http_client(reqwest::Client::new())
                .proxy("http://127.0.0.1:1"))
            .contains("proxy")
        );
        assert!(err(PusherBuilder::new("".into(), "k".into(), "s".into())).contains("app_id"));
        assert!(err(PusherBuilder::new("1/2".into(), "k".into(), "s".into())).contains("app_id"));
        assert!(err(PusherBuilder::new("1".into(), "k:x".into(), "s".into())).contains("key"));
        assert!(err(PusherBuilder::new("1".into(), "k".into(), "".into())).contains("secret"));
    }

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

    #[test]
    fn from_env_prefers_url() {
        let b = PusherBuilder::from_lookup(env(&[
            ("PUSHER_URL", "http://k:s@localhost:6001/apps/9"),
            ("PUSHER_APP_ID", "1"),
        ]))
        .unwrap();
        let p = b.build().unwrap();
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
        .build()
        .unwrap();
        assert_eq!(p.base_url(), "http://127.0.0.1:6001");
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

    #[test]
    fn debug_redacts() {
        let b = PusherBuilder::new("1".into(), "k".into(), "hunter2".into())
            .encryption_master_key_base64("c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=")
            .proxy("http://user:pw@proxy:3128");
        let s = format!("{b:?}");
        assert!(!s.contains("hunter2"));
        assert!(!s.contains("c2VjcmV0"));
        assert!(!s.contains("pw@"));
    }
}
