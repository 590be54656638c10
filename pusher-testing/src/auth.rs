//! [`AuthRequest`]: what pusher-js posts to your authorization routes.

use bytes::Bytes;
use pusher_client::{DEFAULT_CHANNEL_AUTH_PATH, DEFAULT_USER_AUTH_PATH};
use serde_json::Value;

use crate::request::{into_request, post};

/// A request as pusher-js posts it to your channel authorization route (`/pusher/auth`) or
/// user authentication route (`/pusher/user-auth`): form-urlencoded by default
/// (`socket_id=..&channel_name=..`), or JSON; one channel, or a batch as the pusher-js-auth
/// batching plugin sends it (`channel_name[0]=..&channel_name[1]=..`).
///
/// ```
/// use pusher_testing::AuthRequest;
///
/// let request = AuthRequest::channel("1234.5678", "private-orders")
///     .header("cookie", "session=ada")
///     .build(); // http::Request<bytes::Bytes>
/// assert_eq!(request.uri(), "/pusher/auth");
/// assert_eq!(request.headers()["content-type"], "application/x-www-form-urlencoded");
/// assert_eq!(request.body().as_ref(), b"socket_id=1234.5678&channel_name=private-orders");
///
/// let batch = AuthRequest::batch("1234.5678", ["private-a", "presence-b"]).json().build();
/// assert_eq!(
///     batch.body().as_ref(),
///     br#"{"socket_id":"1234.5678","channel_name":["private-a","presence-b"]}"#,
/// );
///
/// let user = AuthRequest::user("1234.5678").build();
/// assert_eq!(user.uri(), "/pusher/user-auth");
/// assert_eq!(user.body().as_ref(), b"socket_id=1234.5678");
/// ```
#[derive(Debug, Clone)]
#[must_use = "an auth request does nothing until built and sent"]
pub struct AuthRequest {
    socket_id: String,
    channels: Channels,
    json: bool,
    path: String,
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
enum Channels {
    User,
    One(String),
    Batch(Vec<String>),
}

impl AuthRequest {
    fn new(socket_id: String, channels: Channels, path: &str) -> Self {
        AuthRequest {
            socket_id,
            channels,
            json: false,
            path: path.to_owned(),
            params: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Channel authorization for one channel, posted to `/pusher/auth`.
    pub fn channel(socket_id: impl Into<String>, channel: impl Into<String>) -> Self {
        AuthRequest::new(
            socket_id.into(),
            Channels::One(channel.into()),
            DEFAULT_CHANNEL_AUTH_PATH,
        )
    }

    /// Channel authorization for several channels at once, in the batch shape
    /// (`channel_name[0]`, `channel_name[1]`, …; a `channel_name` array in JSON), posted to
    /// `/pusher/auth`.
    pub fn batch<S: Into<String>>(
        socket_id: impl Into<String>,
        channels: impl IntoIterator<Item = S>,
    ) -> Self {
        AuthRequest::new(
            socket_id.into(),
            Channels::Batch(channels.into_iter().map(Into::into).collect()),
            DEFAULT_CHANNEL_AUTH_PATH,
        )
    }

    /// User authentication (pusher-js `signin()`), posted to `/pusher/user-auth`.
    pub fn user(socket_id: impl Into<String>) -> Self {
        AuthRequest::new(socket_id.into(), Channels::User, DEFAULT_USER_AUTH_PATH)
    }

    /// Sends the body as JSON (`Content-Type: application/json`) instead of a form.
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }

    /// Sends the body form-urlencoded, as pusher-js does by default.
    pub fn form(mut self) -> Self {
        self.json = false;
        self
    }

    /// The path to post to (default `/pusher/auth`, or `/pusher/user-auth` for a user).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// An extra body field, as pusher-js's `auth.params` adds (sent after the standard ones).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// A header (a session cookie, a bearer token, as pusher-js's `auth.headers` adds).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        if self.json {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        }
    }

    /// The body, as pusher-js sends it.
    pub fn body(&self) -> Bytes {
        if self.json {
            // Written in insertion order: socket_id first, as pusher-js does.
            let fields: Vec<String> = map_in_order(&self.socket_id, &self.channels, &self.params);
            Bytes::from(format!("{{{}}}", fields.join(",")))
        } else {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("socket_id", &self.socket_id);
            match &self.channels {
                Channels::User => {}
                Channels::One(c) => {
                    form.append_pair("channel_name", c);
                }
                Channels::Batch(cs) => {
                    for (i, c) in cs.iter().enumerate() {
                        form.append_pair(&format!("channel_name[{i}]"), c);
                    }
                }
            }
            for (k, v) in &self.params {
                form.append_pair(k, v);
            }
            Bytes::from(form.finish())
        }
    }

    /// The request, its body as `Bytes`.
    ///
    /// # Panics
    /// If the [`path`](Self::path) or a [`header`](Self::header) is not valid HTTP.
    pub fn build(&self) -> http::Request<Bytes> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        post(&self.path, self.content_type(), &headers, self.body())
    }

    /// The request with any body type made from `Bytes` (`axum::body::Body`, …).
    ///
    /// # Panics
    /// As [`build`](Self::build).
    pub fn into_request<B: From<Bytes>>(&self) -> http::Request<B> {
        into_request(self.build())
    }
}

/// The JSON object's fields in pusher-js's order (`serde_json::Map` may sort its keys).
fn map_in_order(socket_id: &str, channels: &Channels, params: &[(String, String)]) -> Vec<String> {
    let s = |v: &str| Value::String(v.to_owned()).to_string();
    let mut fields = vec![format!("\"socket_id\":{}", s(socket_id))];
    match channels {
        Channels::User => {}
        Channels::One(c) => fields.push(format!("\"channel_name\":{}", s(c))),
        Channels::Batch(cs) => {
            let list: Vec<String> = cs.iter().map(|c| s(c)).collect();
            fields.push(format!("\"channel_name\":[{}]", list.join(",")));
        }
    }
    for (k, v) in params {
        fields.push(format!("{}:{}", s(k), s(v)));
    }
    fields
}
