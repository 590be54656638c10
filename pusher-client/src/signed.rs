//! Signed requests handed to the caller instead of sent: for applications that bring their own
//! HTTP stack (hyper, a queue worker, a batch job that sends later), and for measuring the
//! client's own work without the network.

use std::fmt;

use bytes::Bytes;

use crate::client::{Pusher, USER_AGENT};
use crate::error::Error;

/// A fully signed Pusher API request, ready to send with any HTTP client.
///
/// Made by [`Trigger::sign`](crate::Trigger::sign). It holds exactly what
/// awaiting the trigger would send: the method, the URL with its signed query string
/// (`auth_key`, `auth_timestamp`, `auth_version`, `body_md5`, `auth_signature`), the headers and
/// the JSON body. Nothing secret is in it: the signature authenticates this one request only.
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
    /// The HTTP method (`POST` for triggers).
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

    /// The headers to send with it: `Content-Type: application/json`, `X-Pusher-Library`,
    /// and `X-Idempotency-Key` when one was set.
    ///
    /// ```
    /// # let pusher = pusher_client::Pusher::builder("3", "key", "secret").build()?;
    /// let request = pusher.trigger("room", "e", "x").idempotency_key("msg-1").sign()?;
    /// assert!(request.headers().any(|h| h == ("X-Idempotency-Key", "msg-1")));
    /// # Ok::<(), pusher_client::Error>(())
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        [
            Some(("Content-Type", "application/json")),
            Some(("X-Pusher-Library", USER_AGENT)),
            self.idempotency_key
                .as_deref()
                .map(|key| ("X-Idempotency-Key", key)),
        ]
        .into_iter()
        .flatten()
    }

    /// The body bytes, exactly as signed (their MD5 is in the query string).
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
    /// Signs a POST of `body` to `path` (relative to `/apps/{app_id}`, already encoded) with the
    /// client's clock, without sending it.
    pub(crate) fn sign_post(
        &self,
        path: &str,
        body: Vec<u8>,
        idempotency_key: Option<String>,
    ) -> Result<SignedRequest, Error> {
        let inner = &*self.inner;
        // One buffer for the whole URL: base, then the path and the query signed over it.
        let mut url =
            String::with_capacity(inner.base_url.len() + inner.api_prefix.len() + path.len() + 200);
        url.push_str(&inner.base_url);
        let path_start = url.len();
        self.write_signed_target(&mut url, "POST", path, &[], Some(&body))?;
        Ok(SignedRequest {
            method: "POST",
            url,
            path_start,
            body: Bytes::from(body),
            idempotency_key,
        })
    }
}
