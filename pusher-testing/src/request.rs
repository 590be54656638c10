//! Building the `http::Request` values the builders hand out.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Uri, header};

/// A `POST` to `path` with these headers and a JSON body.
pub(crate) fn json_request(path: &str, headers: &[(&str, &str)], body: Bytes) -> Request<Bytes> {
    post(path, "application/json", headers, body)
}

/// A `POST` to `path` with this content type, these headers and body.
///
/// Panics (documented on the public builders) on a path or header that is not valid HTTP.
pub(crate) fn post(
    path: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Request<Bytes> {
    let uri: Uri = path
        .parse()
        .unwrap_or_else(|e| panic!("pusher-testing: {path:?} is not a valid request path: {e}"));
    let mut request = Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    let map = request.headers_mut();
    map.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or_else(|e| panic!("pusher-testing: content type {content_type:?}: {e}")),
    );
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("pusher-testing: header name {name:?}: {e}"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|e| panic!("pusher-testing: value of header {name}: {e}"));
        map.append(name, value);
    }
    let len = request.body().len();
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    request
}

/// `request` with its body converted.
pub(crate) fn into_request<B: From<Bytes>>(request: Request<Bytes>) -> Request<B> {
    request.map(B::from)
}
