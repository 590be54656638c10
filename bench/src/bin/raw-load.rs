//! The floor of `trigger-load`: the very bytes `pusher-client` sends for a trigger, replayed on
//! raw tokio sockets with no client at all, and prints the same JSON line of figures.
//!
//! ```text
//! raw-load --port 8080 [--host 127.0.0.1] [--concurrency 64] [--duration 10]
//!          [--warmup 1] [--runtime multi|current] [--label NAME]
//! ```
//!
//! Why: wrk gives the sink's ceiling, but wrk is C on its own event loop with two threads. This
//! program is what a tokio program on this machine reaches when it does nothing per trigger but
//! one write and reading the answer — no signing, no JSON, no pool — so the distance from it to
//! `trigger-load` is the client's own cost, and the distance from it to wrk is tokio's and the
//! machine's. Each of the `--concurrency` tasks owns one keep-alive connection (as the client's
//! pool ends up with one per task in flight) and sends back to back.
//!
//! The request is captured once at start: a `Pusher` with default features triggers
//! `pusher_bench::{CHANNEL, EVENT, DATA}` to a one-shot listener here, and those bytes are what
//! every task sends: its signature and timestamp go stale and its `Host` names the listener's
//! port, none of which the sink checks.
//! Each answer is read to its end (`Content-Length` framing, which is what the sink sends); an
//! answer of another status or framing counts as an error and ends the task.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use pusher_bench::{
    APP_ID, APP_KEY, APP_SECRET, CHANNEL, DATA, EVENT, LoadOptions, Options, Summary, TaskResult,
    cpu_time, run_load, summarize,
};
use pusher_client::Pusher;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// How much of `buf` one whole HTTP/1.1 message takes, if it is all there: the head, then a
/// `Content-Length` body. `Err` for anything else (no length, a bad head, an answer not 200).
fn message_len(buf: &[u8], request: bool) -> Result<Option<usize>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let head = if request {
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf).map_err(|e| format!("request: {e}"))? {
            httparse::Status::Complete(head) => (head, content_length(req.headers)?),
            httparse::Status::Partial => return Ok(None),
        }
    } else {
        let mut res = httparse::Response::new(&mut headers);
        match res.parse(buf).map_err(|e| format!("answer: {e}"))? {
            httparse::Status::Complete(_) if res.code != Some(200) => {
                return Err(format!("answer status {:?}", res.code));
            }
            httparse::Status::Complete(head) => (head, content_length(res.headers)?),
            httparse::Status::Partial => return Ok(None),
        }
    };
    let whole = head.0 + head.1;
    Ok((buf.len() >= whole).then_some(whole))
}

fn content_length(headers: &[httparse::Header<'_>]) -> Result<usize, String> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
        .ok_or_else(|| "no Content-Length (the floor reads only that framing)".to_string())
}

/// The bytes `pusher-client` (default features) writes for one trigger, captured on a
/// one-shot loopback listener that answers it like the sink.
async fn capture_trigger() -> Result<Vec<u8>, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("capture listener: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut buf = Vec::with_capacity(1024);
        loop {
            if let Some(n) = message_len(&buf, true)? {
                buf.truncate(n);
                break;
            }
            if socket.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                return Err("the client closed before a whole request".to_string());
            }
        }
        socket
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(buf)
    });
    let pusher = Pusher::builder(APP_ID, APP_KEY, APP_SECRET)
        .host("127.0.0.1")
        .port(port)
        .tls(false)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    pusher
        .trigger(CHANNEL, EVENT, DATA)
        .await
        .map_err(|e| format!("capturing the trigger: {e}"))?;
    server.await.map_err(|e| e.to_string())?
}

/// One connection, one request in flight, back to back until `STOP`.
async fn load_task(addr: String, request: Arc<[u8]>, phase: Arc<AtomicU8>) -> TaskResult {
    let mut result = TaskResult::default();
    let mut socket = match TcpStream::connect(&addr).await {
        Ok(s) => s,
        Err(e) => {
            result.failed(format!("connect: {e}"));
            return result;
        }
    };
    let _ = socket.set_nodelay(true);
    let mut buf = Vec::with_capacity(4096);
    loop {
        let measuring = match phase.load(Ordering::Relaxed) {
            STOP => break,
            MEASURE => true,
            _ => false,
        };
        let started = Instant::now();
        if let Err(e) = socket.write_all(&request).await {
            result.failed(format!("write: {e}"));
            break;
        }
        buf.clear();
        let answered = loop {
            match message_len(&buf, false) {
                Ok(Some(_)) => break Ok(()),
                Ok(None) => {}
                Err(e) => break Err(e),
            }
            match socket.read_buf(&mut buf).await {
                Ok(0) => break Err("the sink closed the connection".to_string()),
                Ok(_) => {}
                Err(e) => break Err(format!("read: {e}")),
            }
        };
        if let Err(e) = answered {
            result.failed(e);
            break;
        }
        if measuring {
            result.answered(started);
        }
    }
    result
}

async fn run(load: LoadOptions) -> Result<Summary, String> {
    let request: Arc<[u8]> = capture_trigger().await?.into();
    let addr = format!("{}:{}", load.host, load.port);
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let tasks: Vec<_> = (0..load.concurrency)
        .map(|_| {
            tokio::spawn(load_task(
                addr.clone(),
                Arc::clone(&request),
                Arc::clone(&phase),
            ))
        })
        .collect();

    tokio::time::sleep(load.warmup).await;
    let cpu_before = cpu_time().ok_or("cannot read /proc/self/stat (Linux only)")?;
    let started = Instant::now();
    phase.store(MEASURE, Ordering::Relaxed);
    tokio::time::sleep(load.duration).await;
    let elapsed = started.elapsed();
    let cpu_after = cpu_time().ok_or("cannot read /proc/self/stat")?;
    phase.store(STOP, Ordering::Relaxed);

    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.map_err(|e| format!("load task: {e}"))?);
    }
    let cpu = cpu_after.saturating_sub(cpu_before);
    Ok(summarize("raw-load", &load, results, elapsed, cpu))
}

fn main() -> ExitCode {
    let load = Options::parse(std::env::args().skip(1)).and_then(|o| {
        o.only(&LoadOptions::NAMES)?;
        LoadOptions::from_options(&o, "raw tokio sockets (the floor)")
    });
    match load {
        Ok(load) => run_load("raw-load", load.multi_thread, run(load)),
        Err(e) => {
            eprintln!("raw-load: {e}");
            ExitCode::from(2)
        }
    }
}
