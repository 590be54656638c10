//! A minimal HTTP/1.1 client for hand-made requests, so the fake server can be tested (and
//! fault-tested) without going through `pusher_client`.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The answer to a [`raw_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body as text (lossy).
    pub body: String,
}

/// Sends one HTTP/1.1 request to `addr` exactly as given (`target` is the path and query as
/// they go on the wire; nothing is escaped) with `Connection: close`, and reads the answer.
///
/// ```
/// use pusher_tests::{FakePusher, raw_request, sign_query};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = FakePusher::start().await;
/// let path = format!("/apps/{}/channels", server.app_id());
/// let query = sign_query(&server.key(), &server.secret(), "GET", &path, &[], None, server.now_unix());
/// let answer = raw_request(server.addr(), "GET", &format!("{path}?{query}"), b"").await?;
/// assert_eq!((answer.status, answer.body.as_str()), (200, r#"{"channels":{}}"#));
/// # Ok(()) }
/// ```
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    body: &[u8],
) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers in the answer"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status in the answer"))?;
    Ok(RawResponse {
        status,
        body: body.to_owned(),
    })
}
