//! A signed API request as the client hands it to its transport ([`Outgoing`]), and the
//! answer as the client reads it ([`Answer`]).
//!
//! Why not `http::Request` and `http::Response` all the way: the default transport writes
//! the request line and headers itself and parses the answer's head itself (`hyper/conn.rs`),
//! so building a URI (a validating pass over the signed target), a request header map, and a
//! header map of every answer only to take them apart again was over a quarter of the
//! client's own work per trigger, SHA-256 aside (callgrind: 39.2k → 32.4k instructions;
//! `docs/perf-transport.md`, "Straight to the wire"). The
//! default transport takes these as they are; every other transport gets a real
//! `http::Request` ([`Outgoing::to_request`]) and gives back an `http::Response`
//! ([`Answer::from_response`]), with the same headers, in the same order.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use http::uri::{Authority, Scheme};
use http::{Method, Uri};

use super::{ResponseBody, SendError};
use crate::retry;

// Statics, not consts: `headers` lends them out.
static UA: HeaderName = USER_AGENT;
static X_PUSHER_LIBRARY: HeaderName = HeaderName::from_static("x-pusher-library");
static CT: HeaderName = CONTENT_TYPE;
static X_IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("x-idempotency-key");
static LIBRARY: HeaderValue = HeaderValue::from_static(crate::client::USER_AGENT);
static JSON: HeaderValue = HeaderValue::from_static("application/json");

/// One signed request, addressed to one host.
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    pub(crate) method: &'a Method,
    pub(crate) scheme: &'a Scheme,
    pub(crate) authority: &'a Authority,
    /// `/apps/{app_id}/…?{signed query}`, already checked by the client to be what
    /// `http::uri::PathAndQuery` accepts (see `client::call::check_target`).
    pub(crate) target: String,
    /// `None` for a query: no body and no body headers.
    pub(crate) body: Option<&'a [u8]>,
    /// `X-Idempotency-Key`, already checked to be a valid header value.
    pub(crate) idempotency_key: Option<HeaderValue>,
}

impl Outgoing<'_> {
    /// The body, empty for a query.
    pub(crate) fn body(&self) -> &[u8] {
        self.body.unwrap_or_default()
    }

    /// The client's headers, in the order they go on the wire: `User-Agent`,
    /// `X-Pusher-Library`, `Content-Type` (with a body), `X-Idempotency-Key` (when given).
    /// A transport adds `Host` (and `Content-Length`, `Proxy-Authorization`) after them.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        [
            Some((&UA, &LIBRARY)),
            Some((&X_PUSHER_LIBRARY, &LIBRARY)),
            self.body.as_ref().map(|_| (&CT, &JSON)),
            self.idempotency_key
                .as_ref()
                .map(|key| (&X_IDEMPOTENCY_KEY, key)),
        ]
        .into_iter()
        .flatten()
    }

    /// The same request as an `http::Request`, for any transport but the default one.
    pub(crate) fn to_request(&self) -> Result<http::Request<Bytes>, SendError> {
        let mut headers = http::HeaderMap::with_capacity(4);
        for (name, value) in self.headers() {
            headers.insert(name.clone(), value.clone());
        }
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        // Cannot fail: the client checked the target against the same rules. Not a panic
        // if it ever did; the target itself is not repeated (its query carries the signature).
        parts.path_and_query = Some(
            http::uri::PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(
                self.target.as_bytes(),
            ))
            .map_err(|_| SendError::never_sent("the request target is not a valid URI"))?,
        );
        let uri = Uri::from_parts(parts)
            .map_err(|_| SendError::never_sent("the request URI is not valid"))?;
        let mut request = http::Request::new(Bytes::copy_from_slice(self.body()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        Ok(request)
    }
}

/// An answer's status, the wait it asks for (`Retry-After` of a 429 or 503), and its body,
/// not read yet.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: ResponseBody,
}

impl Answer {
    /// `retry_after`: the raw `Retry-After` value, if the answer had one; read only for the
    /// statuses whose `Retry-After` the client obeys.
    pub(crate) fn new(status: u16, retry_after: Option<&[u8]>, body: ResponseBody) -> Answer {
        let retry_after = match status {
            429 | 503 => retry_after
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| retry::parse_retry_after(v, SystemTime::now())),
            _ => None,
        };
        Answer {
            status,
            retry_after,
            body,
        }
    }

    /// What the client reads of another transport's `http::Response`.
    pub(crate) fn from_response(response: http::Response<ResponseBody>) -> Answer {
        let (parts, body) = response.into_parts();
        let retry_after = parts.headers.get(RETRY_AFTER).map(HeaderValue::as_bytes);
        Answer::new(parts.status.as_u16(), retry_after, body)
    }
}
