//! [`ReqwestTransport`] (feature `reqwest`): requests through a `reqwest::Client`.

use bytes::Bytes;

use super::{ResponseBody, SendError};

/// A transport through a `reqwest::Client` (whose connection pool every clone shares). Needs
/// the `reqwest` feature.
///
/// For apps that already configure a `reqwest::Client` (its proxies, TLS roots, HTTP/2): give
/// it to [`PusherBuilder::http_client`](crate::PusherBuilder::http_client), or wrap it here to
/// put tower middleware in front. The TLS stack is the one your `reqwest` dependency enables.
/// The default transport ([`HyperTransport`](super::HyperTransport)) spends about half the
/// CPU per request (see `docs/perf-transport.md`).
///
/// ```
/// use pusher_client::Pusher;
///
/// let http = reqwest::Client::builder().build()?;
/// let pusher = Pusher::builder("1", "key", "secret").http_client(http).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// Sends through this client. Its own timeouts apply besides the Pusher client's.
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }

    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<ResponseBody>, SendError> {
        let request = reqwest::Request::try_from(request).map_err(SendError::never_sent)?;
        let response = self.client.execute(request).await.map_err(reqwest_error)?;
        let response: http::Response<reqwest::Body> = response.into();
        Ok(response.map(ResponseBody::streaming))
    }
}

fn reqwest_error(e: reqwest::Error) -> SendError {
    let timeout = e.is_timeout();
    let connect = e.is_connect();
    let e = e.without_url();
    match (connect, timeout) {
        (true, true) => SendError::connect_timeout(e),
        (true, false) => SendError::never_sent(e),
        (false, true) => SendError::timed_out(e),
        (false, false) => SendError::other(e),
    }
}

service_via_send!(ReqwestTransport);
