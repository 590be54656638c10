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
use std::time::{Duration, Instant};

use pusher_bench::{
    APP_ID, APP_KEY, APP_SECRET, CHANNEL, DATA, EVENT, Options, Summary, cpu_time, peak_rss_kib,
    percentile,
};
use pusher_client::Pusher;

/// Phases of a run, shared by the load tasks.
const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// What the command line asked for.
#[derive(Debug)]
struct Args {
    host: String,
    port: u16,
    concurrency: usize,
    duration: Duration,
    warmup: Duration,
    count: Option<u64>,
    multi_thread: bool,
    reqwest: bool,
    label: String,
}

impl Args {
    fn parse() -> Result<Self, String> {
        let o = Options::parse(std::env::args().skip(1))?;
        o.only(&[
            "host",
            "port",
            "concurrency",
            "duration",
            "warmup",
            "count",
            "runtime",
            "transport",
            "label",
        ])?;
        let port: u16 = o.get("port", 0)?;
        if port == 0 {
            return Err("--port is required (the sink's port on --host)".into());
        }
        let concurrency: usize = o.get("concurrency", 1)?;
        if concurrency == 0 {
            return Err("--concurrency must be at least 1".into());
        }
        let seconds = |name: &str, default: f64| -> Result<Duration, String> {
            let s: f64 = o.get(name, default)?;
            Duration::try_from_secs_f64(s).map_err(|_| format!("--{name}: {s} is not a duration"))
        };
        let count: u64 = o.get("count", 0)?;
        let multi_thread = match o.text("runtime", "multi").as_str() {
            "multi" => true,
            "current" => false,
            other => return Err(format!("--runtime: {other:?} is not multi or current")),
        };
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
            host: o.text("host", "127.0.0.1"),
            port,
            concurrency,
            duration: seconds("duration", 10.0)?,
            warmup: seconds("warmup", 1.0)?,
            count: (count > 0).then_some(count),
            multi_thread,
            reqwest,
            label: o.text("label", "pusher-rs"),
        })
    }
}

/// The one place the client is configured: everything at its defaults except where the sink
/// is (plain HTTP on loopback). Alternative transports plug in here.
fn build_client(args: &Args) -> Result<Pusher, pusher_client::Error> {
    let builder = Pusher::builder(APP_ID, APP_KEY, APP_SECRET)
        .host(args.host.as_str())
        .port(args.port)
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

/// What one load task saw in the measured window.
#[derive(Debug, Default)]
struct TaskResult {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

/// Sends triggers back to back until the phase is `STOP`; records those started while measuring.
async fn load_task(
    pusher: Pusher,
    phase: Arc<AtomicU8>,
    tickets: Arc<AtomicU64>,
    counted: bool,
) -> TaskResult {
    let mut result = TaskResult {
        latencies_us: Vec::with_capacity(64 * 1024),
        ..TaskResult::default()
    };
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
            Ok(_) => {
                let us = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                result.latencies_us.push(us);
            }
            Err(e) => {
                result.errors += 1;
                if result.first_error.is_none() {
                    result.first_error = Some(e.to_string());
                }
            }
        }
    }
    result
}

async fn run(args: Args) -> Result<Summary, String> {
    let pusher = build_client(&args).map_err(|e| format!("client: {e}"))?;
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let tickets = Arc::new(AtomicU64::new(args.count.unwrap_or(0)));
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|_| {
            tokio::spawn(load_task(
                pusher.clone(),
                Arc::clone(&phase),
                Arc::clone(&tickets),
                args.count.is_some(),
            ))
        })
        .collect();

    tokio::time::sleep(args.warmup).await;
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
        tokio::time::sleep(args.duration).await;
        let window = (started.elapsed(), cpu_time());
        phase.store(STOP, Ordering::Relaxed);
        for task in tasks {
            results.push(task.await.map_err(|e| format!("load task: {e}"))?);
        }
        window
    };
    let cpu_after = cpu_after.ok_or("cannot read /proc/self/stat")?;

    let mut latencies = Vec::with_capacity(results.iter().map(|r| r.latencies_us.len()).sum());
    let mut errors = 0;
    for r in &results {
        latencies.extend_from_slice(&r.latencies_us);
        errors += r.errors;
        if let Some(e) = &r.first_error {
            eprintln!("trigger-load: a trigger failed: {e}");
        }
    }
    latencies.sort_unstable();
    Ok(Summary {
        client: args.label.clone(),
        runtime: if args.multi_thread {
            "tokio multi-thread".into()
        } else {
            "tokio current-thread".into()
        },
        concurrency: args.concurrency,
        triggers: latencies.len() as u64,
        errors,
        elapsed,
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
        cpu: cpu_after.saturating_sub(cpu_before),
        peak_rss_kib: peak_rss_kib().unwrap_or(0),
    })
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("trigger-load: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = if args.multi_thread {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("trigger-load: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(summary) => {
            println!("{}", summary.to_json());
            if summary.errors > 0 || summary.triggers == 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("trigger-load: {e}");
            ExitCode::FAILURE
        }
    }
}
