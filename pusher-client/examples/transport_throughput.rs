//! A small throughput harness for the transports (not the official load benchmark).
//!
//! Triggers against a fast sink (e.g. nginx answering `{}` to `POST /apps/*/events`) for a few
//! seconds and prints triggers/s and the process's CPU time per trigger (utime + stime from
//! `/proc/self/stat`, so Linux only).
//!
//! ```text
//! cargo run --release -p pusher-client --features hyper --example transport_throughput -- \
//!     --port 18089 --concurrency 64 --runtime current --transport hyper --secs 5
//! ```
//!
//! `--transport`: `reqwest` (default transport), `hyper` (HyperTransport, unboxed),
//! `hyper-boxed` (HyperTransport behind a generic tower wrapper, so the client boxes it like
//! any custom transport), `bare` (no pusher client: a hand-written signed-POST loop on
//! hyper-util's client, the floor for any transport). `--runtime`: `multi` or `current`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use md5::Digest;
use pusher_client::Pusher;
use pusher_client::transport::HyperTransport;

struct Args {
    port: u16,
    concurrency: usize,
    current: bool,
    transport: String,
    secs: u64,
}

fn args() -> Args {
    let mut a = Args {
        port: 18089,
        concurrency: 64,
        current: false,
        transport: "hyper".into(),
        secs: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--port" => a.port = value.parse().unwrap_or(a.port),
            "--concurrency" => a.concurrency = value.parse().unwrap_or(a.concurrency),
            "--runtime" => a.current = value == "current",
            "--transport" => a.transport = value,
            "--secs" => a.secs = value.parse().unwrap_or(a.secs),
            other => eprintln!("ignored argument {other}"),
        }
    }
    a
}

/// utime + stime of this process, in microseconds.
fn cpu_micros() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Clock ticks are 100 per second on Linux.
    (ticks(11) + ticks(12)) * 10_000
}

/// A generic pass-through, so the client cannot recognise HyperTransport and boxes it.
#[derive(Clone)]
struct Wrapped(HyperTransport);

impl tower::Service<http::Request<Bytes>> for Wrapped {
    type Response = <HyperTransport as tower::Service<http::Request<Bytes>>>::Response;
    type Error = pusher_client::transport::SendError;
    type Future = <HyperTransport as tower::Service<http::Request<Bytes>>>::Future;
    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }
    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        self.0.call(request)
    }
}

fn client(a: &Args) -> Pusher {
    let builder = Pusher::builder("1", "bench-key", "bench-secret")
        .host("127.0.0.1")
        .port(a.port)
        .tls(false);
    let builder = match a.transport.as_str() {
        "reqwest" => builder,
        "hyper" => builder.transport(HyperTransport::new().expect("hyper")),
        "hyper-boxed" => builder.transport(Wrapped(HyperTransport::new().expect("hyper"))),
        other => panic!("unknown transport {other}"),
    };
    builder.build().expect("client")
}

type Bare = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<Bytes>,
>;

/// One signed POST without the pusher client: md5 + HMAC + hex, a request, read the answer.
async fn bare_post(client: &Bare, port: u16, body: &Bytes) -> bool {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let md5 = hex::encode(md5::Md5::digest(body));
    let query = format!("auth_key=bench-key&auth_timestamp={ts}&auth_version=1.0&body_md5={md5}");
    let to_sign = format!("POST\n/apps/1/events\n{query}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"bench-secret").expect("hmac");
    mac.update(to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let uri = format!("http://127.0.0.1:{port}/apps/1/events?{query}&auth_signature={signature}");
    let request = http::Request::post(uri)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(body.clone()))
        .expect("request");
    match client.request(request).await {
        Ok(response) => {
            use http_body_util::BodyExt;
            response.status().is_success() && response.into_body().collect().await.is_ok()
        }
        Err(_) => false,
    }
}

async fn run(a: Args) {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let warmup = Duration::from_millis(500);
    let mut tasks = Vec::new();
    let bare = a.transport == "bare";
    let pusher = (!bare).then(|| client(&a));
    let bare_client: Bare =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let body = Bytes::from_static(br#"{"name":"tick","data":"{\"n\":1}","channels":["bench"]}"#);
    for _ in 0..a.concurrency {
        let (done, failed, stop) = (done.clone(), failed.clone(), stop.clone());
        let pusher = pusher.clone();
        let bare_client = bare_client.clone();
        let body = body.clone();
        let port = a.port;
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let ok = match &pusher {
                    Some(p) => p.trigger("bench", "tick", r#"{"n":1}"#).await.is_ok(),
                    None => bare_post(&bare_client, port, &body).await,
                };
                if ok {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(warmup).await;
    let (n0, c0, t0) = (done.load(Ordering::Relaxed), cpu_micros(), Instant::now());
    tokio::time::sleep(Duration::from_secs(a.secs)).await;
    let (n1, c1, elapsed) = (done.load(Ordering::Relaxed), cpu_micros(), t0.elapsed());
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let n = n1 - n0;
    let rate = n as f64 / elapsed.as_secs_f64();
    let cpu_per = (c1 - c0) as f64 / n.max(1) as f64;
    let rss = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        .unwrap_or_default();
    println!(
        "{:<12} {:<8} c={:<3} {:>9.0} triggers/s  {:>6.1} us CPU/trigger  failed={}  peak RSS {} kB",
        a.transport,
        if a.current { "current" } else { "multi" },
        a.concurrency,
        rate,
        cpu_per,
        failed.load(Ordering::Relaxed),
        rss
    );
}

fn main() {
    let a = args();
    let mut rt = if a.current {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let rt = rt.enable_all().build().expect("runtime");
    rt.block_on(run(a));
}
