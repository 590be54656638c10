//! Client configuration: the [`PusherBuilder`] and its settings (here), [`Limits`]
//! (`limits.rs`), starting from a `PUSHER_URL` (`pusher_url.rs`) or the environment (`env.rs`),
//! and `build` (`build.rs`), which checks every setting and assembles the client.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::ConfigError;
use crate::retry::RetryPolicy;
use crate::transport::{Certificate, ResponseBody, SendError, Transport};

/// Methods that each set one field and return `self`, the shape of every simple setter of the
/// builder and of [`Limits`]: `/// docs` then `pub fn name(arg: Type) => field = value;`.
macro_rules! setters {
    ($(
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($arg:ident: $ty:ty) => $field:ident = $value:expr;
    )*) => {
        $(
            $(#[$attr])*
            $vis fn $name(mut self, $arg: $ty) -> Self {
                self.$field = $value;
                self
            }
        )*
    };
}

mod build;
mod env;
mod limits;
mod pusher_url;

pub use limits::Limits;

/// Default request timeout (whole request, connect included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cluster when neither a cluster nor a host is set.
pub const DEFAULT_CLUSTER: &str = "mt1";
/// Default time a failed host is skipped for when there are
/// [fallback hosts](PusherBuilder::fallback_hosts).
pub(crate) const DEFAULT_FALLBACK_COOLDOWN: Duration = Duration::from_secs(30);

/// A refused setting: [`ConfigError::Invalid`] naming it, with the reason.
fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.into(),
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

/// Builds a [`Pusher`](crate::Pusher) client. Made by
/// [`Pusher::builder`](crate::Pusher::builder), [`PusherBuilder::from_url`] or
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
    fallback_hosts: Vec<String>,
    fallback_cooldown: Duration,
    tls: bool,
    timeout: Duration,
    connect_timeout: Option<Duration>,
    proxy: Option<String>,
    root_certificates: Vec<Certificate>,
    #[cfg(feature = "reqwest")]
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
            .field("fallback_hosts", &self.fallback_hosts)
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field(
                "root_certificates",
                &Certificate::count_all(&self.root_certificates),
            )
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
            fallback_hosts: Vec::new(),
            fallback_cooldown: DEFAULT_FALLBACK_COOLDOWN,
            tls: true,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: None,
            proxy: None,
            root_certificates: Vec::new(),
            #[cfg(feature = "reqwest")]
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

    setters! {
        /// The cluster, e.g. `eu` → `api-eu.pusher.com`. Ignored when [`host`](Self::host) is set.
        pub fn cluster(cluster: impl Into<String>) => cluster = Some(cluster.into());

        /// The API host name or IP address (no scheme, no port), for self-hosted servers.
        pub fn host(host: impl Into<String>) => host = Some(host.into());

        /// The API port (default 443 with TLS, 80 without).
        pub fn port(port: u16) => port = Some(port);

        /// HTTPS (`true`, the default) or plain HTTP.
        pub fn tls(tls: bool) => tls = tls;

        /// How long a host that failed is skipped when there are
        /// [fallback hosts](Self::fallback_hosts) (default 30 s). Once it has passed the host is tried again; a host
        /// that answers is up again at once. Must be greater than zero.
        ///
        /// ```
        /// use std::time::Duration;
        /// use pusher_client::Pusher;
        ///
        /// let pusher = Pusher::builder("123456", "app-key", "app-secret")
        ///     .host("node-1.internal")
        ///     .fallback_hosts(["node-2.internal"])
        ///     .fallback_cooldown(Duration::from_secs(5))
        ///     .build()?;
        /// # drop(pusher);
        /// # Ok::<(), pusher_client::Error>(())
        /// ```
        pub fn fallback_cooldown(cooldown: Duration) => fallback_cooldown = cooldown;

        /// The whole-request timeout, connecting included (default 10 s).
        pub fn timeout(timeout: Duration) => timeout = timeout;

        /// The connect timeout of the default transport (default 5 s). Not applicable with
        /// `http_client` (feature `reqwest`) or [`transport`](Self::transport): set it on that
        /// client or transport instead ([`build`](Self::build) refuses the combination with
        /// [`ConfigError::Unsupported`]).
        pub fn connect_timeout(timeout: Duration) => connect_timeout = Some(timeout);

        /// Sends every request through this HTTP proxy (`http://[user:pass@]host:port`);
        /// `https://` hosts are reached through it in a `CONNECT` tunnel.
        ///
        /// Without it, the standard `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY`
        /// variables apply (read when the client is built). Only the default transport uses it:
        /// [`build`](Self::build) refuses it together with `http_client` (feature `reqwest`) or
        /// [`transport`](Self::transport), and refuses `https://` and SOCKS proxies (use a
        /// `reqwest::Client` configured with one instead), with [`ConfigError::Unsupported`].
        pub fn proxy(url: impl Into<String>) => proxy = Some(url.into());
    }

    /// Trusts this certificate's roots **in addition to** the platform's, for a self-hosted
    /// server (sockudo, soketi) whose certificate comes from a private CA or is self-signed.
    /// Call it once per certificate, or give a PEM bundle; see [`Certificate`].
    ///
    /// Only the default transport uses it: [`build`](Self::build) refuses it together with
    /// `http_client` (feature `reqwest`) or [`transport`](Self::transport) with
    /// [`ConfigError::Unsupported`] (add the root to that client or transport instead, e.g.
    /// [`HyperTransportBuilder::add_root_certificate`](crate::transport::HyperTransportBuilder::add_root_certificate)).
    /// With [`tls(false)`](Self::tls), or in a build without a TLS feature, it has nothing to
    /// apply to.
    ///
    /// ```no_run
    /// use pusher_client::Pusher;
    /// use pusher_client::transport::Certificate;
    ///
    /// let ca = Certificate::from_pem(&std::fs::read("/etc/pusher/ca.pem")?)?;
    /// let pusher = Pusher::builder("123456", "app-key", "app-secret")
    ///     .host("sockudo.internal")
    ///     .port(6001)
    ///     .add_root_certificate(ca)
    ///     .build()?;
    /// # drop(pusher);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_root_certificate(mut self, certificate: Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Other API hosts serving the same app, tried in order when the primary host (from
    /// [`host`](Self::host), [`cluster`](Self::cluster) or the URL) fails: the nodes of a
    /// self-hosted cluster (e.g. sockudo nodes sharing a Redis adapter) or a standby.
    ///
    /// Each is `host`, `host:port`, `IPv4:port` or `[IPv6]:port`; without a port, the
    /// [`port`](Self::port) setting applies (else 443 with TLS, 80 without). Every host uses the
    /// same scheme ([`tls`](Self::tls)), credentials and transport. Replaces any list set
    /// before; an empty list means no fallback. [`build`](Self::build) refuses a malformed
    /// host, the primary or a host listed twice, and more than 63 fallback hosts.
    ///
    /// How requests use them:
    ///
    /// - Each request goes to the first host that is up, in the order: the primary, then these.
    /// - A request that certainly never reached a server (connection refused, DNS failure, TLS
    ///   handshake failure, connect timeout) goes to the next host at once, even a trigger and
    ///   even under [`RetryPolicy::none`](crate::RetryPolicy::none): it is always safe. This
    ///   happens at most once per host per request and uses none of the policy's attempts.
    /// - A timeout, a lost connection or a 500/502/503/504 moves to the next host only as a
    ///   retry the [`retry`](Self::retry) policy allows: queries and
    ///   `terminate_user_connections` by default; triggers, batches and `send_to_user` only
    ///   with an idempotency key or [`RetryPolicy::retry_posts`](crate::RetryPolicy::retry_posts)
    ///   (they may have been processed by the host that failed). Every retry the policy makes
    ///   (after a 429 too) goes to the next host that is up.
    /// - A host that failed so is marked down (a `warn` trace) and skipped for the
    ///   [`fallback_cooldown`](Self::fallback_cooldown) (30 s), then tried again (an `info`
    ///   trace when it answers). When every host is down, the one whose cool-off ends first is
    ///   tried.
    /// - Each attempt is signed afresh; the signature covers the path and query only, so it is
    ///   valid for any host, and the `Host` header is the chosen host's.
    ///   [`base_url`](crate::Pusher::base_url) and
    ///   [`sign_get`](crate::Pusher::sign_get) / [`sign_post`](crate::Pusher::sign_post) use
    ///   the primary host only.
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// let pusher = Pusher::builder("123456", "app-key", "app-secret")
    ///     .host("10.0.0.1")
    ///     .port(6001)
    ///     .tls(false)
    ///     .fallback_hosts(["10.0.0.2", "10.0.0.3:6002"]) // 10.0.0.2 on port 6001
    ///     .build()?;
    /// assert_eq!(pusher.base_url(), "http://10.0.0.1:6001");
    /// assert_eq!(pusher.hosts(), ["10.0.0.1:6001", "10.0.0.2:6001", "10.0.0.3:6002"]);
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn fallback_hosts<I>(mut self, hosts: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.fallback_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Uses the caller's own `reqwest::Client` (its connection pool, TLS and proxy settings)
    /// instead of the default transport. Needs the `reqwest` feature.
    ///
    /// The request [`timeout`](Self::timeout) still applies per request; a
    /// [`connect_timeout`](Self::connect_timeout), [`proxy`](Self::proxy) or
    /// [`add_root_certificate`](Self::add_root_certificate) set here as well is refused by
    /// [`build`](Self::build) with [`ConfigError::Unsupported`], since it could not be applied.
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// let http = reqwest::Client::builder().user_agent("my-app").build()?;
    /// let pusher = Pusher::builder("1", "key", "secret").http_client(http).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "reqwest")]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Sends every request through this transport instead of the default one.
    ///
    /// Any [`tower::Service`] taking a signed [`http::Request<Bytes>`](bytes::Bytes) and
    /// answering an [`http::Response`] whose body converts into a [`ResponseBody`], failing
    /// with a [`SendError`] that says whether the request may have been processed. Signing,
    /// retries, the request [`timeout`](Self::timeout) (applied around the transport's call and
    /// the reading of the answer), the 8 MiB answer cap, tracing and typed errors stay in the
    /// client and behave the same with every transport. [`connect_timeout`](Self::connect_timeout),
    /// [`proxy`](Self::proxy), [`add_root_certificate`](Self::add_root_certificate) and
    /// `http_client` (feature `reqwest`) configure the default transport only:
    /// [`build`](Self::build) refuses them together with this.
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

    setters! {
        /// When and how failed requests are retried (default: [`RetryPolicy::default`], safe
        /// retries only; [`RetryPolicy::none`] turns them off). See [`RetryPolicy`] for exactly
        /// what is retried.
        pub fn retry(policy: RetryPolicy) => retry = policy;

        /// The limits checked before sending (default: Pusher's multi-tenant limits).
        pub fn limits(limits: Limits) => limits = limits;

        /// The end-to-end encryption master key, base64 of exactly 32 bytes
        /// (e.g. from `openssl rand -base64 32`). Needed for `private-encrypted-` channels.
        pub fn encryption_master_key_base64(key: impl Into<String>) =>
            master_key = Some(key.into());
    }

    /// Accepts webhooks signed with another key/secret pair too (key rotation).
    ///
    /// The app's own key and secret are always accepted.
    pub fn webhook_key(mut self, key: impl Into<String>, secret: impl Into<String>) -> Self {
        self.webhook_keys.push((key.into(), secret.into()));
        self
    }

    setters! {
        /// Refuses webhooks whose `time_ms` is older than `max_age` (off by default).
        ///
        /// Pusher retries a webhook that was not answered 2xx for about 5 minutes, so keep this
        /// well above that (e.g. 10 minutes) or retried deliveries will be refused.
        pub fn webhook_max_age(max_age: Duration) => webhook_max_age = Some(max_age);

        /// Replaces the clock used for `auth_timestamp` and webhook age checks (for deterministic
        /// tests).
        pub fn clock(clock: impl Fn() -> SystemTime + Send + Sync + 'static) =>
            clock = Some(Arc::new(clock));

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
        pub fn nonce_source_for_tests(source: impl Fn(&mut [u8; 24]) + Send + Sync + 'static) =>
            nonce_source = Some(Arc::new(source));
    }
}

#[cfg(test)]
impl PusherBuilder {
    /// A transport that never sends: unit tests that only build a client (to authorize, sign
    /// or print it) then pass with every feature set, TLS or none.
    pub(crate) fn offline(self) -> Self {
        self.transport(tower::service_fn(|_: http::Request<bytes::Bytes>| async {
            Err::<http::Response<ResponseBody>, _>(SendError::never_sent("offline"))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
