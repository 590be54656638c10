//! Signed requests handed to the caller instead of sent: for applications that bring their own
//! HTTP stack (hyper, a queue worker, a batch job that sends later), and for measuring the
//! client's own work without the network.

use std::fmt;

use bytes::Bytes;

use crate::client::{Pusher, USER_AGENT};
use crate::error::Error;

/// A fully signed Pusher API request, ready to send with any HTTP client.
///
/// Made by [`Trigger::sign`](crate::Trigger::sign), which holds exactly what
/// awaiting the trigger would send, and for any other request by [`Pusher::sign_get`] and
/// [`Pusher::sign_post`] (the counterpart of the Node SDK's `createSignedQueryString`): the
/// method, the URL with its signed query string (`auth_key`, `auth_timestamp`, `auth_version`,
/// `body_md5` when there is a body, `auth_signature`), the headers and the body. Nothing secret is in it: the signature authenticates this one request only.
///
/// Pusher refuses a request whose `auth_timestamp` is more than 600 seconds away from its own
/// clock, so send it soon after signing; sign again rather than store it.
///
/// ```
/// use pusher_client::Pusher;
///
/// let pusher = Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8").build()?;
/// let request = pusher.trigger("project-3", "foo", r#"{"some":"data"}"#).sign()?;
/// assert_eq!(request.method(), "POST");
/// assert!(request.url().starts_with("https://api-mt1.pusher.com/apps/3/events?auth_key=278d425bdf160c739803&"));
/// assert_eq!(request.body(), br#"{"name":"foo","data":"{\"some\":\"data\"}","channels":["project-3"]}"#);
/// for (name, value) in request.headers() {
///     println!("{name}: {value}"); // Content-Type, X-Pusher-Library, ...
/// }
/// // e.g. with reqwest, hyper or any other client:
/// // client.post(request.url()).headers(..).body(request.into_body()).send()
/// # Ok::<(), pusher_client::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    method: &'static str,
    url: String,
    /// Where the path starts in `url` (after scheme, host and port).
    path_start: usize,
    body: Bytes,
    idempotency_key: Option<String>,
}

impl SignedRequest {
    /// The HTTP method: `POST` for triggers and [`Pusher::sign_post`], `GET` for
    /// [`Pusher::sign_get`].
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The full URL: scheme, host, port, path and the signed query string.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The path and signed query string alone (`/apps/{app_id}/events?auth_key=..`), for HTTP
    /// stacks that take the host separately.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("3", "key", "secret").build()?;
    /// let request = pusher.trigger("room", "e", "x").sign()?;
    /// assert!(request.path_and_query().starts_with("/apps/3/events?auth_key=key&auth_timestamp="));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn path_and_query(&self) -> &str {
        &self.url[self.path_start..]
    }

    /// The headers to send with it: `Content-Type: application/json` when there is a
    /// non-empty body, `X-Pusher-Library`, and `X-Idempotency-Key` when one was set.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("3", "key", "secret").build()?;
    /// let request = pusher.trigger("room", "e", "x").idempotency_key("msg-1").sign()?;
    /// assert!(request.headers().any(|h| h == ("X-Idempotency-Key", "msg-1")));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        [
            (!self.body.is_empty()).then_some(("Content-Type", "application/json")),
            Some(("X-Pusher-Library", USER_AGENT)),
            self.idempotency_key
                .as_deref()
                .map(|key| ("X-Idempotency-Key", key)),
        ]
        .into_iter()
        .flatten()
    }

    /// The body bytes, exactly as signed (for a `POST`, their MD5 is in the query string);
    /// empty for a `GET`.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Takes the body out without copying it.
    pub fn into_body(self) -> Bytes {
        self.body
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature grants nothing beyond this request, but there is no need to log it:
        // show where it goes and how big it is, as the client's own logs do.
        let path = self.path_and_query();
        let path = path.split_once('?').map_or(path, |(path, _)| path);
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("path", &path)
            .field("body_len", &self.body.len())
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}

impl Pusher {
    /// Signs a `GET` of `path` (under `/apps/{app_id}`) with `params`, without sending it: for
    /// applications that send API requests with their own HTTP stack.
    ///
    /// The same rules as [`get`](Pusher::get): `path` must start with `/` and be
    /// percent-encoded already (it is signed exactly as written); parameters named `auth_*` or
    /// `body_md5` are refused. Values are signed raw and percent-encoded in the URL. A `GET`
    /// has no body, so no `body_md5` is sent. Signed with the client's clock: send it within
    /// Pusher's 600-second window.
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// let pusher = Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8").build()?;
    /// let request = pusher.sign_get("/channels", &[("filter_by_prefix", "presence-"), ("info", "user_count")])?;
    /// assert_eq!(request.method(), "GET");
    /// assert!(request.url().starts_with("https://api-mt1.pusher.com/apps/3/channels?auth_key=278d425bdf160c739803&"));
    /// assert!(request.url().contains("&filter_by_prefix=presence-&info=user_count&"));
    /// assert!(request.body().is_empty());
    /// // client.get(request.url()).send() with any HTTP client
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    #[doc(alias = "createSignedQueryString")]
    #[doc(alias = "create_signed_query_string")]
    #[doc(alias = "sign_request")]
    pub fn sign_get(&self, path: &str, params: &[(&str, &str)]) -> Result<SignedRequest, Error> {
        crate::client::check_raw_path(path)?;
        self.sign_target("GET", path, params, None, None)
    }

    /// Signs a `POST` of `body` to `path` (under `/apps/{app_id}`), without sending it.
    ///
    /// `body` is signed and sent exactly as given (its MD5 goes in `body_md5`); it may be empty,
    /// which is still signed with the MD5 of no bytes, as Pusher expects of a `POST`. Pusher's
    /// API takes JSON bodies, so a non-empty body is sent as `Content-Type: application/json`.
    /// `path` follows the rules of [`sign_get`](Pusher::sign_get).
    ///
    /// ```
    /// use pusher_client::Pusher;
    ///
    /// let pusher = Pusher::builder("3", "278d425bdf160c739803", "7ad3773142a6692b25b8").build()?;
    /// let body = serde_json::to_vec(&serde_json::json!({}))?;
    /// let request = pusher.sign_post("/users/ada/terminate_connections", body)?;
    /// assert_eq!(request.method(), "POST");
    /// assert_eq!(request.body(), b"{}");
    /// assert!(request.url().contains("&body_md5=99914b932bd37a50b983c5e7c90ae93b&"));
    ///
    /// let empty = pusher.sign_post("/users/ada/terminate_connections", Vec::new())?;
    /// assert!(empty.url().contains("&body_md5=d41d8cd98f00b204e9800998ecf8427e&"));
    /// assert!(empty.headers().all(|(name, _)| name != "Content-Type"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "createSignedQueryString")]
    #[doc(alias = "create_signed_query_string")]
    #[doc(alias = "sign_request")]
    pub fn sign_post(&self, path: &str, body: impl Into<Bytes>) -> Result<SignedRequest, Error> {
        crate::client::check_raw_path(path)?;
        self.sign_target("POST", path, &[], Some(body.into()), None)
    }

    /// Signs a POST of `body` to `path` (relative to `/apps/{app_id}`, already encoded) with the
    /// client's clock, without sending it.
    pub(crate) fn sign_trigger_post(
        &self,
        path: &str,
        body: Vec<u8>,
        idempotency_key: Option<String>,
    ) -> Result<SignedRequest, Error> {
        self.sign_target("POST", path, &[], Some(Bytes::from(body)), idempotency_key)
    }

    fn sign_target(
        &self,
        method: &'static str,
        path: &str,
        params: &[(&str, &str)],
        body: Option<Bytes>,
        idempotency_key: Option<String>,
    ) -> Result<SignedRequest, Error> {
        let inner = &*self.inner;
        // One buffer for the whole URL: base, then the path and the query signed over it.
        let mut url =
            String::with_capacity(inner.base_url.len() + inner.api_prefix.len() + path.len() + 200);
        url.push_str(&inner.base_url);
        let path_start = url.len();
        self.write_signed_target(&mut url, method, path, params, body.as_deref())?;
        Ok(SignedRequest {
            method,
            url,
            path_start,
            body: body.unwrap_or_default(),
            idempotency_key,
        })
    }
}
