//! Triggers through one shared `Pusher` to a loopback server that answers like Pusher, at a
//! fixed concurrency, and prints one JSON line of figures (see `pusher_bench::Summary`).
//!
//! ```text
//! trigger-load --port 8080 [--host 127.0.0.1] [--concurrency 64] [--duration 10]
//!              [--warmup 1] [--count N] [--runtime multi|current]
//!              [--transport default|reqwest] [--label pusher-rs]
//! ```
//!
//! `--concurrency` tasks share one client (one connection pool) and each sends triggers back to
//! back. After `--warmup` seconds (connections open, caches warm) the measured window starts;
//! it ends after `--duration` seconds, or after `--count` triggers when that is given. CPU time
//! and throughput are taken over the measured window only; peak RSS covers the whole run.
//! `--runtime current` runs everything on one thread (tokio's current-thread runtime), `multi`
//! (the default) on tokio's multi-thread runtime with one worker per core, like
//! `#[tokio::main]`. `--transport` picks the client's HTTP transport: `default` (pusher-client's
//! default, `HyperTransport`) or `reqwest` (a `reqwest::Client` given to `http_client`).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Instant;

use pusher_bench::{
    APP_ID, APP_KEY, APP_SECRET, CHANNEL, DATA, EVENT, LoadOptions, Options, Summary, TaskResult,
    cpu_time, run_load, summarize,
};
use pusher_client::Pusher;

/// Phases of a run, shared by the load tasks.
const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// What the command line asked for: the shared options, and this program's own.
#[derive(Debug)]
struct Args {
    load: LoadOptions,
    count: Option<u64>,
    reqwest: bool,
}

impl Args {
    fn parse() -> Result<Self, String> {
        let o = Options::parse(std::env::args().skip(1))?;
        let mut known = LoadOptions::NAMES.to_vec();
        known.extend(["count", "transport"]);
        o.only(&known)?;
        let count: u64 = o.get("count", 0)?;
        let reqwest = match o.text("transport", "default").as_str() {
            "default" | "hyper" => false,
            "reqwest" => true,
            other => {
                return Err(format!(
                    "--transport: {other:?} is not default (hyper) or reqwest"
                ));
            }
        };
        Ok(Self {
            load: LoadOptions::from_options(&o, "pusher-rs")?,
            count: (count > 0).then_some(count),
            reqwest,
        })
    }
}

/// The one place the client is configured: everything at its defaults except where the sink
/// is (plain HTTP on loopback). Alternative transports plug in here.
fn build_client(args: &Args) -> Result<Pusher, pusher_client::Error> {
    let builder = Pusher::builder(APP_ID, APP_KEY, APP_SECRET)
        .host(args.load.host.as_str())
        .port(args.load.port)
        .tls(false);
    if args.reqwest {
        let client = reqwest::Client::builder().build().map_err(|e| {
            pusher_client::ConfigError::HttpClient {
                reason: e.to_string(),
            }
        })?;
        builder.http_client(client).build()
    } else {
        builder.build()
    }
}

/// Sends triggers back to back until the phase is `STOP`; records those started while measuring.
async fn load_task(
    pusher: Pusher,
    phase: Arc<AtomicU8>,
    tickets: Arc<AtomicU64>,
    counted: bool,
) -> TaskResult {
    let mut result = TaskResult::default();
    loop {
        let measuring = match phase.load(Ordering::Relaxed) {
            STOP => break,
            MEASURE => {
                let no_ticket = || {
                    tickets
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                        .is_err()
                };
                if counted && no_ticket() {
                    break;
                }
                true
            }
            _ => false,
        };
        let started = Instant::now();
        let outcome = pusher.trigger(CHANNEL, EVENT, DATA).await;
        if !measuring {
            continue;
        }
        match outcome {
            Ok(_) => result.answered(started),
            Err(e) => result.failed(e),
        }
    }
    result
}

async fn run(args: Args) -> Result<Summary, String> {
    let pusher = build_client(&args).map_err(|e| format!("client: {e}"))?;
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let tickets = Arc::new(AtomicU64::new(args.count.unwrap_or(0)));
    let tasks: Vec<_> = (0..args.load.concurrency)
        .map(|_| {
            tokio::spawn(load_task(
                pusher.clone(),
                Arc::clone(&phase),
                Arc::clone(&tickets),
                args.count.is_some(),
            ))
        })
        .collect();

    tokio::time::sleep(args.load.warmup).await;
    let cpu_before = cpu_time().ok_or("cannot read /proc/self/stat (Linux only)")?;
    let started = Instant::now();
    phase.store(MEASURE, Ordering::Relaxed);

    let mut results = Vec::with_capacity(tasks.len());
    let (elapsed, cpu_after) = if args.count.is_some() {
        // Count mode: the window ends when the last task has used the last ticket.
        for task in tasks {
            results.push(task.await.map_err(|e| format!("load task: {e}"))?);
        }
        (started.elapsed(), cpu_time())
    } else {
        tokio::time::sleep(args.load.duration).await;
        let window = (started.elapsed(), cpu_time());
        phase.store(STOP, Ordering::Relaxed);
        for task in tasks {
            results.push(task.await.map_err(|e| format!("load task: {e}"))?);
        }
        window
    };
    let cpu_after = cpu_after.ok_or("cannot read /proc/self/stat")?;
    let cpu = cpu_after.saturating_sub(cpu_before);
    Ok(summarize("trigger-load", &args.load, results, elapsed, cpu))
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("trigger-load: {e}");
            return ExitCode::from(2);
        }
    };
    run_load("trigger-load", args.load.multi_thread, run(args))
}
