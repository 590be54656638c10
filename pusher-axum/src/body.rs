//! Reading a request body under the app's [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit),
//! for the authorization routes and [`VerifiedWebhook`](crate::VerifiedWebhook) alike.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::RequestExt;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Over the app's limit: announced so by `Content-Length`, or found while reading (413).
    TooLarge,
    /// The body stream failed, e.g. the connection broke (400).
    Unreadable,
}

/// The request's parts and its whole body, read under the app's `DefaultBodyLimit`.
///
/// A `Content-Length` over the limit is refused at once, before any of the body is awaited, as
/// actix-web's body extractors do: without this check a client could announce a large body,
/// send none of it, and hold the request (and its task) open until the connection times out.
/// axum's own `Bytes` extractor only notices the limit once that many bytes have arrived.
pub(crate) async fn read(request: Request) -> Result<(Parts, Bytes), BodyError> {
    let (parts, body) = request.into_parts();
    let (parts, limit) = body_limit(parts);
    if let (Some(announced), Some(limit)) = (content_length(&parts.headers), limit)
        && announced > limit
    {
        return Err(BodyError::TooLarge);
    }
    let (parts, body) = Request::from_parts(parts, body)
        .with_limited_body()
        .into_parts();
    match body.collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(error) if is_length_limit(&error) => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Unreadable),
    }
}

/// The limit axum applies to this request's body (`None` when the app disabled it).
///
/// axum keeps the app's `DefaultBodyLimit` in the request's extensions under a private type,
/// and applies it only by wrapping the body in [`http_body_util::Limited`]. So the limit is read
/// back from a probe: a body of unknown length, limited as the real one would be, whose size
/// hint's upper bound is then exactly the limit (what `Limited` promises it will let through).
/// The probe is a zero-sized type, so boxing it into a [`Body`] does not allocate.
fn body_limit(parts: Parts) -> (Parts, Option<u64>) {
    let probe = Request::from_parts(parts, Body::new(UnknownLength)).with_limited_body();
    let limit = probe.body().size_hint().upper();
    (probe.into_parts().0, limit)
}

/// The `Content-Length` the client announced, if it is a number.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Whether reading the body failed on the body limit (what axum's `Bytes` extractor answers 413).
fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// An empty body that does not say how long it is (the default size hint: at least 0, no upper
/// bound), for [`body_limit`]'s probe.
#[derive(Debug, Clone, Copy)]
struct UnknownLength;

impl HttpBody for UnknownLength {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::DefaultBodyLimit;

    /// The probe reads back the limit axum would apply: the default, a configured one, none.
    #[test]
    fn the_probe_reads_the_limit_back() {
        let parts = Request::new(Body::empty()).into_parts().0;
        assert_eq!(body_limit(parts).1, Some(2_097_152));

        // `DefaultBodyLimit` is a layer that stores its setting in the extensions; apply it
        // through a `Router` to get the real extension.
        let limit = |layer: DefaultBodyLimit| {
            use std::sync::{Arc, Mutex};
            use tower::ServiceExt;
            let seen = Arc::new(Mutex::new(None));
            let store = Arc::clone(&seen);
            let app = axum::Router::new()
                .route(
                    "/",
                    axum::routing::get(move |request: Request| {
                        let (parts, _) = request.into_parts();
                        *store.lock().expect("lock") = Some(body_limit(parts).1);
                        async {}
                    }),
                )
                .layer(layer);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            runtime
                .block_on(app.oneshot(Request::new(Body::empty())))
                .expect("infallible");
            seen.lock().expect("lock").take().expect("handler ran")
        };
        assert_eq!(limit(DefaultBodyLimit::max(512)), Some(512));
        assert_eq!(limit(DefaultBodyLimit::disable()), None);
    }
}
