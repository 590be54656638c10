//! [`FaultServer`]: a raw TCP server on loopback that misbehaves on purpose, one scripted
//! [`Fault`] per connection, and records when each request arrived.
//!
//! [`FakePusher`](crate::FakePusher) answers like Pusher and checks signatures; this server
//! does what a proxy, a load balancer or a broken network does: resets connections, cuts answers
//! short, answers 429 with `Retry-After`, never answers. Tests count attempts and measure the
//! gaps between them.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server does with one connection, after reading the request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, extra headers and body (`Content-Length` set).
    Respond {
        /// The status code.
        status: u16,
        /// Extra headers, e.g. `Retry-After`.
        headers: Vec<(String, String)>,
        /// The body.
        body: String,
    },
    /// Close the connection without answering.
    Close,
    /// Send the status line (`200`), headers and part of a promised body, then close.
    ResetMidResponse,
    /// Send this status line, headers and part of a promised body, then close.
    CutAfterStatus(u16),
    /// Send the status line (`200`), headers and part of a promised body, then wait forever.
    HangMidResponse,
    /// Never answer (keep the connection open).
    Hang,
}

impl Fault {
    /// `200` with the body `{}`.
    pub fn ok() -> Fault {
        Fault::status(200, "{}")
    }

    /// This status and body.
    pub fn status(status: u16, body: &str) -> Fault {
        Fault::Respond {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    /// `429` with `Retry-After: seconds`.
    pub fn too_many(retry_after_secs: u64) -> Fault {
        Fault::retry_after(429, &retry_after_secs.to_string())
    }

    /// This status with `Retry-After: value` (seconds or an HTTP date).
    pub fn retry_after(status: u16, value: &str) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("Retry-After".into(), value.to_owned())],
            body: "come back later".into(),
        }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct FaultRequest {
    /// When its last byte arrived.
    pub at: Instant,
    /// The request line, e.g. `POST /apps/1/events?... HTTP/1.1`.
    pub line: String,
    /// Header names (lower-cased) and values.
    pub headers: Vec<(String, String)>,
}

impl FaultRequest {
    /// A header's value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Fault>>,
    requests: Mutex<Vec<FaultRequest>>,
}

/// The misbehaving server. Stops when dropped.
#[derive(Debug)]
pub struct FaultServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

impl FaultServer {
    /// Starts on a free loopback port; connections beyond the script get [`Fault::ok`].
    pub async fn start(script: impl IntoIterator<Item = Fault>) -> FaultServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        Self::serve(listener, script)
    }

    /// Starts on `port` (e.g. one that refused connections until now).
    pub async fn start_on(port: u16, script: impl IntoIterator<Item = Fault>) -> FaultServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:{port}: {e}"));
        Self::serve(listener, script)
    }

    fn serve(listener: TcpListener, script: impl IntoIterator<Item = Fault>) -> FaultServer {
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let shared = Arc::new(Shared::default());
        shared
            .script
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(script);
        let task_shared = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = Arc::clone(&task_shared);
                tokio::spawn(async move { handle(stream, shared).await });
            }
        });
        FaultServer { addr, shared, task }
    }

    /// A loopback port nothing listens on: connecting to it is refused.
    pub async fn refusing_port() -> u16 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        drop(listener);
        port
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<FaultRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The gaps between consecutive requests' arrivals.
    pub fn gaps(&self) -> Vec<Duration> {
        self.requests()
            .windows(2)
            .map(|w| w[1].at.duration_since(w[0].at))
            .collect()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request);
    let fault = shared
        .script
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop_front()
        .unwrap_or_else(Fault::ok);
    match fault {
        Fault::Respond {
            status,
            headers,
            body,
        } => {
            let mut answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                answer.push_str(&format!("{name}: {value}\r\n"));
            }
            answer.push_str("\r\n");
            answer.push_str(&body);
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Fault::Close => {}
        Fault::ResetMidResponse => cut_after_status(&mut stream, 200).await,
        Fault::CutAfterStatus(status) => cut_after_status(&mut stream, status).await,
        Fault::HangMidResponse => {
            cut_after_status(&mut stream, 200).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
}

/// The status line, headers and the start of a 100-byte body that never comes whole.
async fn cut_after_status(stream: &mut TcpStream, status: u16) {
    let answer = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"chan"
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.flush().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<FaultRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(FaultRequest {
        at: Instant::now(),
        line,
        headers,
    })
}
