//! A minimal HTTP/1.1 client for hand-made requests, so the fake server can be tested (and
//! fault-tested) without going through `pusher_client`.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
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

/// Server side of a hand-made exchange: reads the next request from `stream` — its head, then
/// as many body bytes as its `Content-Length` says — out of `buffer` (bytes already read that
/// belong to later requests stay in it). Returns the head lower-cased and the whole request's
/// bytes, or `None` when the client closed the connection. Any byte stream: a `TcpStream`, or
/// the TLS stream of a server over it.
///
/// ```
/// use pusher_tests::read_raw_request;
/// use tokio::io::AsyncWriteExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let client = tokio::spawn(async move {
///     let mut s = tokio::net::TcpStream::connect(addr).await?;
///     s.write_all(b"POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}").await
/// });
/// let (mut stream, _) = listener.accept().await?;
/// let mut buffer = Vec::new();
/// let (head, request) = read_raw_request(&mut stream, &mut buffer).await.expect("request");
/// assert!(head.starts_with("post /x http/1.1\r\n"));
/// assert!(request.ends_with(b"\r\n\r\n{}"));
/// client.await.expect("client")?;
/// # Ok(()) }
/// ```
pub async fn read_raw_request(
    stream: &mut (impl AsyncRead + Unpin),
    buffer: &mut Vec<u8>,
) -> Option<(String, Vec<u8>)> {
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_more(stream, buffer).await?;
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().expect("content-length"));
    while buffer.len() < head_end + length {
        read_more(stream, buffer).await?;
    }
    let request = buffer.drain(..head_end + length).collect();
    Some((head, request))
}

/// Appends what the next read gives; `None` at the end of the stream or on an error.
async fn read_more(stream: &mut (impl AsyncRead + Unpin), buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}
