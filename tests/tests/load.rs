//! Sustained concurrent load on loopback, with every answer checked. Ignored by default;
//! `.ci/run` runs it with a small bound:
//!
//! ```sh
//! LOAD_REQUESTS=2000 cargo test -p pusher-tests --release --test load -- --ignored --nocapture --test-threads 1
//! ```
//!
//! It asserts correctness only — zero transport errors, zero wrong answers, no runaway memory —
//! and prints the figures (requests, errors, p50/p99 latency, peak RSS) as a table. Speed is
//! not asserted: machines here are shared and noisy.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pusher_client::{ChannelAuthRequest, ChannelGrant, Pusher, Webhook, sign_webhook};
use pusher_tests::FakePusher;
use pusher_tests::adapter_cases::{DOCS_KEY, DOCS_SECRET, private_auth, reference_pusher};
use serde_json::{Value, json};
use tokio::sync::Mutex;

const CONCURRENCY: usize = 32;

fn total_requests() -> usize {
    std::env::var("LOAD_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// The process's resident set size and its peak, in KiB, from /proc (Linux).
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[derive(Default)]
struct Tally {
    latencies: Mutex<Vec<Duration>>,
    errors: AtomicUsize,
    wrong: AtomicUsize,
}

struct Report {
    name: &'static str,
    requests: usize,
    errors: usize,
    wrong: usize,
    p50: Duration,
    p99: Duration,
    per_second: f64,
    rss_growth_kib: i64,
    peak_kib: u64,
}

impl Report {
    fn print_table(reports: &[Report]) {
        println!();
        println!(
            "| load | requests | errors | wrong | req/s | p50 | p99 | RSS growth after warm-up | peak RSS |"
        );
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for r in reports {
            println!(
                "| {} | {} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {} KiB | {} MiB |",
                r.name,
                r.requests,
                r.errors,
                r.wrong,
                r.per_second,
                r.p50.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3,
                r.rss_growth_kib,
                r.peak_kib / 1024
            );
        }
    }

    fn assert_clean(&self) {
        assert_eq!(self.errors, 0, "{}: transport errors", self.name);
        assert_eq!(self.wrong, 0, "{}: wrong answers", self.name);
        // A leak canary, not a performance figure: a flat process grows by far less.
        assert!(
            self.rss_growth_kib < 128 * 1024,
            "{}: RSS grew by {} KiB",
            self.name,
            self.rss_growth_kib
        );
    }
}

/// Runs `requests` calls of `one` from `CONCURRENCY` tasks; `one` returns whether the answer
/// was right (`Err` for a transport failure). A warm-up tenth runs first, outside the figures.
async fn drive<F, Fut>(name: &'static str, requests: usize, one: F) -> Report
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<bool, String>> + Send,
{
    let one = Arc::new(one);
    let warm_up = requests / 10;
    for i in 0..warm_up.min(200) {
        one(i)
            .await
            .unwrap_or_else(|e| panic!("{name}: warm-up failed: {e}"));
    }
    let (rss_before, _) = rss_kib();
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (one, tally, next) = (Arc::clone(&one), Arc::clone(&tally), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                match one(i).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tally.wrong.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        if tally.errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("{name}: {e}");
                        }
                    }
                }
                mine.push(t.elapsed());
            }
            tally.latencies.lock().await.extend(mine);
        }));
    }
    for task in tasks {
        task.await.expect("load task");
    }
    let elapsed = started.elapsed();
    let (rss_after, peak) = rss_kib();
    let mut latencies = std::mem::take(&mut *tally.latencies.lock().await);
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Report {
        name,
        requests,
        errors: tally.errors.load(Ordering::Relaxed),
        wrong: tally.wrong.load(Ordering::Relaxed),
        p50: at(0.50),
        p99: at(0.99),
        per_second: requests as f64 / elapsed.as_secs_f64(),
        rss_growth_kib: rss_after as i64 - rss_before as i64,
        peak_kib: peak,
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client")
}

/// An auth request and a webhook, alternately, against an app at `base`; answers checked.
async fn hit_app(
    http: &reqwest::Client,
    base: &str,
    i: usize,
    webhook: &(Vec<u8>, String),
) -> Result<bool, String> {
    if i.is_multiple_of(2) {
        let channel = format!("private-load-{}", i % 97);
        let socket_id = format!("{}.{}", 1000 + i, i % 7919);
        let answer = http
            .post(format!("{base}/pusher/auth"))
            .header("x-user-id", "load")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("socket_id={socket_id}&channel_name={channel}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.map_err(|e| e.to_string())?;
        Ok(status == 200 && body == json!({"auth": private_auth(&socket_id, &channel)}))
    } else {
        let answer = http
            .post(format!("{base}/webhooks"))
            .header("content-type", "application/json")
            .header("x-pusher-key", DOCS_KEY)
            .header("x-pusher-signature", &webhook.1)
            .body(webhook.0.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = answer.status().as_u16();
        let body = answer.text().await.map_err(|e| e.to_string())?;
        Ok(status == 200 && body == "3")
    }
}

fn webhook_fixture() -> (Vec<u8>, String) {
    let body = json!({"time_ms": 1, "events": [
        {"name": "channel_occupied", "channel": "a"},
        {"name": "member_added", "channel": "presence-a", "user_id": "1"},
        {"name": "channel_vacated", "channel": "a"},
    ]})
    .to_string()
    .into_bytes();
    let signature = sign_webhook(DOCS_SECRET, &body);
    (body, signature)
}

async fn axum_app() -> SocketAddr {
    use axum::http::HeaderMap;
    use pusher_axum::{PusherAuth, VerifiedWebhook};
    use std::convert::Infallible;

    async fn decide(headers: HeaderMap, _: ChannelAuthRequest) -> Result<ChannelGrant, Infallible> {
        Ok(if headers.contains_key("x-user-id") {
            ChannelGrant::Allow
        } else {
            ChannelGrant::Deny
        })
    }
    async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook<Webhook>) -> String {
        webhook.events.len().to_string()
    }
    let app = axum::Router::new()
        .merge(PusherAuth::new().channel(decide))
        .route("/webhooks", axum::routing::post(webhooks))
        .with_state(reference_pusher());
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("axum serves") });
    addr
}

/// The actix app runs on its own thread and runtime; the returned handle stops it.
fn actix_app() -> (SocketAddr, actix_web::dev::ServerHandle) {
    use actix_web::{App, HttpRequest, HttpServer, web};
    use pusher_actix::{PusherAuth, VerifiedWebhook};

    async fn decide(
        req: HttpRequest,
        _: ChannelAuthRequest,
    ) -> Result<ChannelGrant, actix_web::Error> {
        Ok(if req.headers().contains_key("x-user-id") {
            ChannelGrant::Allow
        } else {
            ChannelGrant::Deny
        })
    }
    async fn webhooks(VerifiedWebhook(webhook): VerifiedWebhook<Webhook>) -> String {
        webhook.events.len().to_string()
    }
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let pusher = web::Data::new(reference_pusher());
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(pusher.clone())
                    .service(PusherAuth::new().channel(decide))
                    .route("/webhooks", web::post().to(webhooks))
            })
            .workers(2)
            .listen(listener)
            .expect("listen")
            .run();
            send.send(server.handle()).expect("handle");
            server.await.expect("actix serves");
        });
    });
    (addr, receive.recv().expect("actix started"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: run by .ci/run with a small bound (see the module docs)"]
async fn load_clients_and_adapters() {
    let requests = total_requests();
    let mut reports = Vec::new();

    // One shared Pusher, many tasks, every request verified by the fake server.
    let server = Arc::new(FakePusher::start().await);
    let pusher: Pusher = server.client();
    let s = Arc::clone(&server);
    reports.push(
        drive(
            "client: concurrent triggers (verified)",
            requests,
            move |i| {
                let pusher = pusher.clone();
                async move {
                    pusher
                        .trigger(format!("load-{}", i % 50), "tick", json!({"i": i}))
                        .await
                        .map(|_| true)
                        .map_err(|e| e.to_string())
                }
            },
        )
        .await,
    );
    let refused = s.requests().iter().filter(|r| !r.authenticated()).count();
    assert_eq!(refused, 0, "requests the verifying server refused");

    let webhook = Arc::new(webhook_fixture());
    let http = http();
    let base = format!("http://{}", axum_app().await);
    {
        let (http, webhook) = (http.clone(), Arc::clone(&webhook));
        reports.push(
            drive("pusher-axum: auth + webhooks", requests, move |i| {
                let (http, base, webhook) = (http.clone(), base.clone(), Arc::clone(&webhook));
                async move { hit_app(&http, &base, i, &webhook).await }
            })
            .await,
        );
    }
    let (addr, handle) = actix_app();
    let base = format!("http://{addr}");
    {
        let (http, webhook) = (http.clone(), Arc::clone(&webhook));
        reports.push(
            drive("pusher-actix: auth + webhooks", requests, move |i| {
                let (http, base, webhook) = (http.clone(), base.clone(), Arc::clone(&webhook));
                async move { hit_app(&http, &base, i, &webhook).await }
            })
            .await,
        );
    }
    handle.stop(true).await;

    Report::print_table(&reports);
    for report in &reports {
        report.assert_clean();
    }
}
