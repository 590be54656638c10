//! The `pusher` 0.4.5 (crates.io) comparator of scripts/bench-load: the same load as
//! pusher-bench's `trigger-load` (one shared client, N tasks triggering back to back on
//! loopback) and the same one-line JSON summary.
//!
//! ```text
//! pusher045-load --port 8080 [--host 127.0.0.1] [--concurrency 64] [--duration 10] [--warmup 1]
//! ```
//!
//! The crate's default client: hyper 0.14's, keep-alive pool without a limit.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pusher::PusherBuilder;

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// CPU time (user + system) of this process, from /proc/self/stat in USER_HZ (100) ticks.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Args {
    host: String,
    port: u16,
    concurrency: usize,
    duration: f64,
    warmup: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        host: "127.0.0.1".into(),
        port: 0,
        concurrency: 1,
        duration: 10.0,
        warmup: 1.0,
    };
    let list: Vec<String> = std::env::args().skip(1).collect();
    for pair in list.chunks(2) {
        let [name, value] = pair else {
            return Err(format!("{:?} needs a value", pair[0]));
        };
        let bad = || format!("{name}: {value:?} is not valid");
        match name.as_str() {
            "--host" => args.host = value.clone(),
            "--port" => args.port = value.parse().map_err(|_| bad())?,
            "--concurrency" => args.concurrency = value.parse().map_err(|_| bad())?,
            "--duration" => args.duration = value.parse().map_err(|_| bad())?,
            "--warmup" => args.warmup = value.parse().map_err(|_| bad())?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.port == 0 || args.concurrency == 0 {
        return Err("--port is required and --concurrency must be at least 1".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("pusher045-load: {e}");
            return ExitCode::from(2);
        }
    };
    let pusher = Arc::new(
        PusherBuilder::new("123456", "bench-key", "bench-secret")
            .host(&format!("{}:{}", args.host, args.port))
            .finalize(),
    );
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let pusher = Arc::clone(&pusher);
            let phase = Arc::clone(&phase);
            tokio::spawn(async move {
                let data = HashMap::from([("message", "hello world")]);
                let (mut latencies, mut errors) = (Vec::with_capacity(64 * 1024), 0u64);
                loop {
                    let measuring = match phase.load(Ordering::Relaxed) {
                        STOP => break,
                        now => now == MEASURE,
                    };
                    let started = Instant::now();
                    let outcome = pusher.trigger("my-channel", "my-event", &data).await;
                    if measuring {
                        match outcome {
                            Ok(_) => latencies.push(started.elapsed().as_micros() as u32),
                            Err(e) => {
                                if errors == 0 {
                                    eprintln!("pusher045-load: a trigger failed: {e}");
                                }
                                errors += 1;
                            }
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let cpu_before = cpu_time().unwrap_or_default();
    let started = Instant::now();
    phase.store(MEASURE, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs_f64(args.duration)).await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_time()
        .unwrap_or_default()
        .saturating_sub(cpu_before)
        .as_secs_f64();
    phase.store(STOP, Ordering::Relaxed);

    let (mut latencies, mut errors) = (Vec::new(), 0u64);
    for task in tasks {
        match task.await {
            Ok((mine, failed)) => {
                latencies.extend(mine);
                errors += failed;
            }
            // The crate unwraps transport errors, so a failure is a panicking task.
            Err(_) => errors += 1,
        }
    }
    latencies.sort_unstable();
    let triggers = latencies.len();
    println!(
        "{{\"client\":\"pusher 0.4.5 (crates.io)\",\"runtime\":\"tokio multi-thread\",\"concurrency\":{},\
         \"triggers\":{},\"errors\":{},\"seconds\":{:.3},\"triggers_per_s\":{:.1},\"p50_us\":{},\
         \"p99_us\":{},\"cpu_s\":{:.3},\"cpu_us_per_trigger\":{:.2},\"peak_rss_kib\":{}}}",
        args.concurrency,
        triggers,
        errors,
        seconds,
        triggers as f64 / seconds,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        cpu,
        cpu * 1e6 / triggers.max(1) as f64,
        peak_rss_kib(),
    );
    if errors > 0 || triggers == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
