//! The request pipeline: every API call is a [`Call`], signed, sent, read and retried here.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use http::header::HeaderValue;
use http_body::Body as _;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

use super::hosts::{self, Tried};
use super::{MAX_RESPONSE_BYTES, Pusher};
use crate::channel;
use crate::error::{ApiError, Error, TransportError, TransportKind, ValidationError};
use crate::retry;
use crate::signing;
use crate::transport::{Outgoing, ResponseBody, SendError, SendErrorKind};

/// How much of an error answer's body is kept in [`ApiError`].
const MAX_ERROR_BODY: usize = 4 * 1024;

/// Whether a request may be sent again after it possibly reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeat {
    /// Repeating it has the effect of sending it once: queries, terminating connections.
    Safe,
    /// It may deliver something twice: repeated only with an idempotency key, or under
    /// [`RetryPolicy::retry_posts`](crate::RetryPolicy::retry_posts).
    IfKeyed,
}

/// One API request, before signing: `path` is relative to `/apps/{app_id}` and already
/// percent-encoded (it is signed exactly as written).
#[derive(Debug)]
pub(super) struct Call<'a> {
    pub(super) method: Method,
    pub(super) path: &'a str,
    pub(super) params: &'a [(&'a str, &'a str)],
    /// Kept as the serialiser wrote it: the default transport writes it from this buffer,
    /// other transports get a copy (`Bytes::from` a `Vec` with room to spare allocates).
    pub(super) body: Option<Vec<u8>>,
    /// Sent as `X-Idempotency-Key`; makes an [`Repeat::IfKeyed`] call safe to repeat.
    pub(super) key: Option<&'a str>,
    pub(super) repeat: Repeat,
}

impl<'a> Call<'a> {
    /// A query: safe to repeat.
    pub(super) fn get(path: &'a str, params: &'a [(&'a str, &'a str)]) -> Self {
        Call {
            method: Method::GET,
            path,
            params,
            body: None,
            key: None,
            repeat: Repeat::Safe,
        }
    }

    /// A JSON `POST`: repeated only when keyed, unless [`repeat`](Self::repeat) says otherwise.
    pub(super) fn post(path: &'a str, body: Vec<u8>) -> Self {
        Call {
            method: Method::POST,
            path,
            params: &[],
            body: Some(body),
            key: None,
            repeat: Repeat::IfKeyed,
        }
    }

    pub(super) fn key(mut self, key: Option<&'a str>) -> Self {
        self.key = key;
        self
    }

    pub(super) fn repeat(mut self, repeat: Repeat) -> Self {
        self.repeat = repeat;
        self
    }
}

impl Pusher {
    /// Sends `call` under the client's retry policy: every attempt signed afresh, failures
    /// retried by [`retry::should_retry`]'s rule, waits by backoff or `Retry-After`.
    ///
    /// With [fallback hosts](crate::PusherBuilder::fallback_hosts), each attempt goes to the
    /// host [`Hosts::pick`](super::hosts::Hosts::pick) chooses (the first healthy one not
    /// tried yet). A request that certainly never reached a server (refused, DNS, TLS
    /// handshake) moves on to the next host at once, without a wait and without using one of
    /// the policy's attempts, once per host: safe for every request. Anything else moves to
    /// another host only as a retry the policy allows (timeouts and 5xx of a POST only with an
    /// idempotency key or `retry_posts`). A host that failed is marked down for the cool-off.
    pub(super) async fn execute(&self, call: Call<'_>) -> Result<(u16, Bytes), Error> {
        let Call {
            method,
            path,
            params,
            body,
            key: idempotency_key,
            repeat,
        } = call;
        let policy = &self.inner.retry;
        let hosts = &self.inner.hosts;
        let may_repeat = match repeat {
            Repeat::Safe => true,
            Repeat::IfKeyed => idempotency_key.is_some() || policy.retry_posts,
        };
        // Also the first attempt's start: one clock read per call on the way to a success.
        let started = Instant::now();
        let mut attempt_started = started;
        let mut attempt = 1;
        let mut tried = Tried::default();
        loop {
            let host = hosts.pick(tried);
            tried.add(host);
            let error = match self
                .attempt(
                    Target {
                        host,
                        started: attempt_started,
                    },
                    &method,
                    path,
                    params,
                    body.as_deref(),
                    idempotency_key,
                )
                .await
            {
                Ok(answer) => {
                    hosts.mark_up(host);
                    return Ok(answer);
                }
                Err(error) => error,
            };
            if hosts::is_host_failure(&error) {
                hosts.mark_down(host, &error);
            }
            // Never sent: another host, at once, outside the retry budget (one pass).
            if hosts::never_sent(&error)
                && hosts.untried_remain(tried)
                && policy
                    .deadline
                    .is_none_or(|deadline| started.elapsed() < deadline)
            {
                tracing::debug!(
                    method = method_name(&method),
                    path,
                    host = %hosts.authority(host),
                    error = %error,
                    "pusher request never reached its host: trying the next host"
                );
                attempt_started = Instant::now();
                continue;
            }
            if attempt >= policy.max_attempts || !retry::should_retry(&error, may_repeat) {
                return Err(error);
            }
            let Some(delay) = policy.delay_after(&error, attempt) else {
                tracing::debug!(
                    method = method_name(&method),
                    path,
                    attempt,
                    error = %error,
                    "not retrying pusher request: Retry-After is over the policy's max_retry_after"
                );
                return Err(error);
            };
            if let Some(deadline) = policy.deadline
                && started.elapsed() + delay > deadline
            {
                return Err(error);
            }
            tracing::debug!(
                method = method_name(&method),
                path,
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "retrying pusher request"
            );
            tokio::time::sleep(delay).await;
            attempt_started = Instant::now();
            attempt += 1;
        }
    }

    /// Signs (with a fresh timestamp) and sends one attempt, reading the answer up to
    /// [`MAX_RESPONSE_BYTES`], all within the request timeout.
    async fn attempt(
        &self,
        Target { host, started }: Target,
        method: &Method,
        path: &str,
        params: &[(&str, &str)],
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
    ) -> Result<(u16, Bytes), Error> {
        let inner = &*self.inner;
        let full_path = FullPath(&inner.api_prefix, path);
        // The path and the signed query go straight into the one buffer the URI keeps:
        // no separate path, query and path-and-query strings per attempt.
        let mut path_and_query =
            String::with_capacity(inner.api_prefix.len() + path.len() + QUERY_CAPACITY);
        self.write_signed_target(&mut path_and_query, method.as_str(), path, params, body)?;
        let method_str = method_name(method);
        check_target(&path_and_query, full_path)?;
        let idempotency_key = match idempotency_key {
            Some(key) => Some(HeaderValue::from_str(key).map_err(|_| {
                Error::Validation(ValidationError::InvalidIdempotencyKey {
                    key: channel::truncate_for_message(key),
                })
            })?),
            None => None,
        };
        let outgoing = Outgoing {
            method,
            scheme: &inner.hosts.scheme,
            // The authority, and so the `Host` header, of the host chosen for this attempt.
            authority: inner.hosts.authority(host),
            target: path_and_query,
            body,
            idempotency_key,
        };
        let fail = |kind: TransportKind, status, timed_out: bool, message: String, source| {
            let error = TransportError {
                kind,
                status,
                method: method_str,
                path: full_path.to_string(),
                message,
                elapsed: started.elapsed(),
                timed_out,
                source,
            };
            tracing::debug!(
                method = method_str,
                path = %full_path,
                elapsed_ms = error.elapsed.as_millis() as u64,
                error = %error,
                "pusher request failed"
            );
            Error::Transport(error)
        };
        // The status line, once it arrived: a failure after a 2xx means the request was
        // accepted, which decides whether it may be repeated.
        let mut head: Option<(u16, Option<Duration>)> = None;
        let exchange = async {
            let answer = inner.transport.exchange(&outgoing).await?;
            let (status, retry_after) = (answer.status, answer.retry_after);
            head = Some((status, retry_after));
            let bytes = read_capped(answer.body).await?;
            Ok::<_, ReadError>((status, retry_after, bytes))
        };
        let outcome = tokio::time::timeout(inner.timeout, exchange).await;
        let status = head.map(|(status, _)| status);
        let accepted = status.filter(|s| (200..300).contains(s));
        let (status, retry_after, bytes) = match (outcome, head) {
            (Ok(Ok(answer)), _) => answer,
            // An error status arrived and only its text was lost: the status is the answer
            // (a 429 was refused, whatever its body said).
            (Ok(Err(ReadError::Send(_))), Some((status, retry_after))) if accepted.is_none() => {
                (status, retry_after, Bytes::new())
            }
            (Ok(Err(ReadError::Send(e))), _) => {
                let (kind, timed_out) = match (accepted, e.kind()) {
                    (Some(_), _) => (TransportKind::AnswerLost, e.is_timeout()),
                    (None, SendErrorKind::NeverSent) => (TransportKind::Connect, e.is_timeout()),
                    (None, SendErrorKind::TimedOut) => (TransportKind::Timeout, true),
                    (None, _) => (TransportKind::Other, e.is_timeout()),
                };
                let source = e.into_source();
                let message = error_chain(&*source);
                return Err(fail(kind, status, timed_out, message, Some(source)));
            }
            (Ok(Err(ReadError::TooLarge)), _) => {
                return Err(fail(
                    TransportKind::TooLarge,
                    status,
                    false,
                    format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
                    None,
                ));
            }
            (Err(_), _) => {
                let kind = match accepted {
                    Some(_) => TransportKind::AnswerLost,
                    None => TransportKind::Timeout,
                };
                return Err(fail(
                    kind,
                    status,
                    true,
                    format!("no complete answer within {:?}", inner.timeout),
                    None,
                ));
            }
        };
        tracing::debug!(
            method = method_str,
            path = %full_path,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "pusher request"
        );
        if !(200..300).contains(&status) {
            let end = bytes.len().min(MAX_ERROR_BODY);
            return Err(ApiError {
                status,
                body: String::from_utf8_lossy(&bytes[..end]).into_owned(),
                path: full_path.to_string(),
                retry_after,
            }
            .into());
        }
        Ok((status, bytes))
    }

    /// Appends `/apps/{id}{path}?{signed query}` to `buf` (after whatever it holds, e.g. the
    /// base URL): the one place a request target is signed, for the pipeline and for
    /// [`SignedRequest`](crate::SignedRequest) alike. The query is signed over the path as
    /// written, with a fresh timestamp.
    pub(crate) fn write_signed_target(
        &self,
        buf: &mut String,
        method: &str,
        path: &str,
        params: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<(), Error> {
        let inner = &*self.inner;
        let path_start = buf.len();
        buf.push_str(&inner.api_prefix);
        buf.push_str(path);
        let path_end = buf.len();
        buf.push('?');
        signing::write_signed_query(
            buf,
            path_start..path_end,
            &inner.credentials,
            method,
            params,
            body,
            self.now_unix(),
        )?;
        Ok(())
    }
}

/// Where and since when one attempt runs: the host's index, and the instant the attempt began
/// (read by the caller, which needs it anyway for the first attempt).
#[derive(Clone, Copy)]
struct Target {
    host: usize,
    started: Instant,
}

/// Room reserved for the signed query (`auth_key`, `auth_timestamp`, `auth_version`,
/// `body_md5`, `auth_signature` and the separators) so the buffer rarely grows.
const QUERY_CAPACITY: usize = 200;

/// `/apps/{app_id}` and the request's path, shown together without being joined: only error
/// messages and enabled tracing events need the whole path as text.
#[derive(Clone, Copy)]
struct FullPath<'a>(&'a str, &'a str);

impl fmt::Display for FullPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        f.write_str(self.1)
    }
}

/// Refuses a request target (`/apps/{id}{path}?{query}`) that `http::uri::PathAndQuery`
/// would refuse, with the same rules, so every transport sends the same requests: the default
/// one writes the target as it is, the others parse it into a URI.
///
/// The path is the caller's (checked by `check_raw_path`, which lets through a few bytes a
/// URI path may not hold: `<`, `>`, `` ` ``); the query is the client's own encoding, checked
/// anyway — branch-free, so it costs a few instructions — so that no byte that could end the
/// request line or a header (space, CR, LF) is ever written.
fn check_target(target: &str, full_path: FullPath<'_>) -> Result<(), Error> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // What `PathAndQuery` takes in a path, as ASCII (`check_raw_path` refused the rest).
    let in_path = |b: u8| {
        matches!(b,
            b'!' | b'"' | b'$'..=b';' | b'=' | b'@'..=b'_' | b'a'..=b'z' | b'{' | b'|' | b'}' | b'~')
    };
    let path_ok = path.starts_with('/') && path.bytes().all(in_path);
    // What it takes in a query, as ASCII: visible characters but `"`, `#`, `<`, `>`. No early
    // exit, so the loop is vectorised (about 150 instructions for a signed query).
    let mut query_bad = 0u8;
    for &b in query.as_bytes() {
        query_bad |= u8::from(b.wrapping_sub(0x21) > 0x7e - 0x21)
            | u8::from(b & 0xfe == b'"')
            | u8::from(b & 0xfd == b'<');
    }
    if path_ok && query_bad == 0 && target.len() < usize::from(u16::MAX) {
        return Ok(());
    }
    Err(Error::Validation(ValidationError::InvalidPath {
        path: channel::truncate_for_message(&full_path.to_string()),
        reason: "it does not make a valid request URI",
    }))
}

/// Why reading an answer stopped.
enum ReadError {
    Send(SendError),
    TooLarge,
}

impl From<SendError> for ReadError {
    fn from(e: SendError) -> Self {
        ReadError::Send(e)
    }
}

/// Reads a body up to [`MAX_RESPONSE_BYTES`] ([`Limited`]); a single-frame body is not
/// copied. A declared length over the cap is refused before anything is read.
async fn read_capped(body: ResponseBody) -> Result<Bytes, ReadError> {
    if body.size_hint().lower() > MAX_RESPONSE_BYTES as u64 {
        return Err(ReadError::TooLarge);
    }
    match Limited::new(body, MAX_RESPONSE_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        // Limited boxes both its own error and the body's.
        Err(e) => match e.downcast::<SendError>() {
            Ok(e) => Err(ReadError::Send(*e)),
            Err(e) if e.is::<LengthLimitError>() => Err(ReadError::TooLarge),
            Err(e) => Err(ReadError::Send(SendError::other(e))),
        },
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// An error and its causes, joined: transports' top-level messages are often generic.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

pub(super) fn parse<T: DeserializeOwned>(status: u16, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::MalformedResponse {
        status,
        message: format!(
            "{e} (body starts {:?})",
            String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(target: &str) -> bool {
        check_target(target, FullPath("/apps/1", "/x")).is_ok()
    }

    /// What every transport but the default one does with the target.
    fn uri_accepts(target: &str) -> bool {
        http::uri::PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(target.as_bytes()))
            .is_ok_and(|p| p.as_str() == target)
    }

    #[test]
    fn targets_are_refused_as_a_uri_would_refuse_them() {
        let signed = "/apps/1/events?auth_key=k&auth_timestamp=1&auth_version=1.0&body_md5=0a&auth_signature=ff";
        assert!(check(signed) && uri_accepts(signed));
        assert!(check("/apps/1/channels/a%20b\"{}?filter_by_prefix=a%3Cb"));
        for bad in [
            "apps/1/events",
            "/apps/1/a b",
            "/apps/1/a<b",
            "/apps/1/a>b",
            "/apps/1/a`b",
            "/apps/1/a#b",
            "/apps/1/events?a=b c",
            "/apps/1/events?a=\"",
            "/apps/1/events?a=<",
            "/apps/1/events?a=>",
            "/apps/1/events?a=#",
            "/apps/1/events?a=\r\nx: y",
            "/apps/1/é",
        ] {
            assert!(!check(bad), "{bad:?}");
        }
        let long = format!("/apps/1/events?{}", "a".repeat(usize::from(u16::MAX)));
        assert!(!check(&long) && !uri_accepts(&long));
    }

    proptest! {
        /// The default transport writes the target as it is; the others parse it with
        /// `PathAndQuery`. Whatever the check lets through, `PathAndQuery` takes whole; and
        /// on ASCII without `#` (which it would cut off, not refuse) they agree exactly.
        #[test]
        fn the_check_agrees_with_path_and_query(
            path in "/[!-~]{0,24}",
            query in proptest::option::of("[!-~]{0,24}"),
            control in proptest::option::of(("[\\x00-\\x20\\x7f]", 0..48usize)),
        ) {
            // Mostly visible ASCII, where the two could disagree; now and then a control
            // character or a space somewhere.
            let path = path.replace('?', "");
            let mut target = match &query {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            };
            if let Some((c, at)) = control {
                target.insert_str(1 + at % target.len(), &c);
            }
            if check(&target) {
                prop_assert!(uri_accepts(&target), "{target:?}");
            } else if !target.contains('#') {
                prop_assert!(!uri_accepts(&target), "{target:?}");
            }
        }
    }
}
