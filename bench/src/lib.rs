//! # pusher-bench
//!
//! The load benchmarks of the workspace, run by `bash scripts/bench-load` (which starts the
//! sink, the peers and the load tools, and prints the tables). Three programs:
//!
//! - `trigger-load`: triggers through one shared [`pusher_client::Pusher`] to a loopback server
//!   at a fixed concurrency, and prints one JSON line of figures ([`Summary`]): triggers per
//!   second, p50 / p99 latency, client CPU per trigger, peak RSS. The comparators of the other
//!   SDKs (`bench/compare/load/`) print the same line, so the script tabulates them alike.
//! - `raw-load`: the floor of `trigger-load` — the bytes the client sends for a trigger,
//!   replayed on raw tokio sockets with no client work, printing the same line.
//! - `auth-server`: the pusher-axum or pusher-actix auth routes with an allow-all resolver,
//!   beside a plain `hello` route in the same app, for `wrk`.
//!
//! This library holds what they share: command-line parsing, process figures read from `/proc`
//! (Linux only, no `unsafe`) and the summary line. The package's other benchmark, the criterion
//! micro benchmarks of `scripts/bench-micro`, is `benches/micro.rs`; see `bench/README.md`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The app id every benchmark client and server uses (the sink accepts any).
pub const APP_ID: &str = "123456";
/// The app key every benchmark client and server uses.
pub const APP_KEY: &str = "bench-key";
/// The app secret every benchmark client and server uses (a benchmark value, not a secret).
pub const APP_SECRET: &str = "bench-secret";
/// The channel every trigger goes to, in every client.
pub const CHANNEL: &str = "my-channel";
/// The event name of every trigger, in every client.
pub const EVENT: &str = "my-event";
/// The event data of every trigger, in every client: a JSON object, sent as this string.
pub const DATA: &str = r#"{"message":"hello world"}"#;

/// Linux's `USER_HZ`: the unit of the CPU times in `/proc/self/stat`. It is 100 on every
/// architecture Linux runs on today (the kernel converts its own tick rate to it), which is why
/// it is a constant here rather than a `sysconf` call (that would need `libc`).
const USER_HZ: f64 = 100.0;

/// `--name value` command-line options, kept as strings until asked for with a type.
///
/// Small on purpose: the programs take a handful of options and the script is their only
/// caller, so a parser crate would add more build time than it saves.
#[derive(Debug, Default)]
pub struct Options {
    values: HashMap<String, String>,
}

impl Options {
    /// Parses `--name value` pairs (and `--name=value`). Anything else is an error naming it.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!(
                    "unexpected argument {arg:?} (options are --name value)"
                ));
            };
            let (name, value) = match name.split_once('=') {
                Some((name, value)) => (name.to_owned(), value.to_owned()),
                None => {
                    let value = args
                        .next()
                        .ok_or_else(|| format!("--{name} needs a value"))?;
                    (name.to_owned(), value)
                }
            };
            values.insert(name, value);
        }
        Ok(Self { values })
    }

    /// The option's value parsed as `T`, or `default` when it was not given.
    pub fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.values.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| format!("--{name}: {raw:?} is not a valid value")),
        }
    }

    /// The option's value as a string, or `default`.
    pub fn text(&self, name: &str, default: &str) -> String {
        self.values
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    /// Refuses options outside `known`, so a typo is an error rather than a silent default.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        match self.values.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(format!(
                "unknown option --{unknown} (known: --{})",
                known.join(", --")
            )),
            None => Ok(()),
        }
    }
}

/// CPU time this process has used so far, user plus system, all threads (from
/// `/proc/self/stat`, in steps of 10 ms). `None` where `/proc` is not Linux's.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of the whole line are 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) as f64 / USER_HZ))
}

/// Peak resident set size of this process so far, in KiB (`VmHWM` in `/proc/self/status`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The `p`-th percentile (0–100) of sorted values, nearest-rank; 0 for no values.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The figures of one load run, printed as one JSON line by every client of the benchmark
/// (this crate's and the comparators), so that the script reads them all the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Which client: `pusher-rs`, `pusher-0.4.5`, `node`, `python`.
    pub client: String,
    /// How the client ran (e.g. the tokio runtime flavour), for the table.
    pub runtime: String,
    /// Triggers in flight at once.
    pub concurrency: usize,
    /// Triggers answered 2xx in the measured window.
    pub triggers: u64,
    /// Triggers that failed in the measured window.
    pub errors: u64,
    /// Length of the measured window.
    pub elapsed: Duration,
    /// Median latency of a trigger, in microseconds.
    pub p50_us: u32,
    /// 99th-percentile latency of a trigger, in microseconds.
    pub p99_us: u32,
    /// CPU time (user + system) the client process used in the measured window.
    pub cpu: Duration,
    /// Peak resident set size of the client process over the whole run, in KiB.
    pub peak_rss_kib: u64,
}

impl Summary {
    /// Triggers per second over the measured window.
    pub fn per_second(&self) -> f64 {
        self.triggers as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Client CPU time per trigger, in microseconds.
    pub fn cpu_us_per_trigger(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / (self.triggers.max(1) as f64)
    }

    /// The JSON line (no trailing newline). Written by hand: every value is a number or one of
    /// the fixed labels, so escaping only needs to cover quotes and backslashes.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        let text = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = write!(
            out,
            "{{\"client\":\"{}\",\"runtime\":\"{}\",\"concurrency\":{},\"triggers\":{},\"errors\":{},\
             \"seconds\":{:.3},\"triggers_per_s\":{:.1},\"p50_us\":{},\"p99_us\":{},\
             \"cpu_s\":{:.3},\"cpu_us_per_trigger\":{:.2},\"peak_rss_kib\":{}}}",
            text(&self.client),
            text(&self.runtime),
            self.concurrency,
            self.triggers,
            self.errors,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            self.p50_us,
            self.p99_us,
            self.cpu.as_secs_f64(),
            self.cpu_us_per_trigger(),
            self.peak_rss_kib,
        );
        out
    }
}

/// The options both load programs take: where the sink is, how many triggers in flight, how
/// long, which tokio runtime, and the label of the summary line.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The sink's host (`--host`, default 127.0.0.1).
    pub host: String,
    /// The sink's port (`--port`, required).
    pub port: u16,
    /// Triggers in flight at once (`--concurrency`, default 1).
    pub concurrency: usize,
    /// Length of the measured window (`--duration` seconds, default 10).
    pub duration: Duration,
    /// Time before it, connections open and caches warm (`--warmup` seconds, default 1).
    pub warmup: Duration,
    /// `--runtime multi` (the default: tokio's multi-thread runtime, like `#[tokio::main]`)
    /// or `current` (one thread).
    pub multi_thread: bool,
    /// The summary line's `client` (`--label`).
    pub label: String,
}

impl LoadOptions {
    /// The names [`LoadOptions::from_options`] reads, for [`Options::only`].
    pub const NAMES: [&'static str; 7] = [
        "host",
        "port",
        "concurrency",
        "duration",
        "warmup",
        "runtime",
        "label",
    ];

    /// Reads the shared options; `label` is the summary's `client` when `--label` is absent.
    pub fn from_options(o: &Options, label: &str) -> Result<Self, String> {
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
        let multi_thread = match o.text("runtime", "multi").as_str() {
            "multi" => true,
            "current" => false,
            other => return Err(format!("--runtime: {other:?} is not multi or current")),
        };
        Ok(Self {
            host: o.text("host", "127.0.0.1"),
            port,
            concurrency,
            duration: seconds("duration", 10.0)?,
            warmup: seconds("warmup", 1.0)?,
            multi_thread,
            label: o.text("label", label),
        })
    }
}

/// What one load task saw in the measured window.
#[derive(Debug)]
pub struct TaskResult {
    /// Latency of each trigger answered 2xx, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Triggers that failed.
    pub errors: u64,
    /// The first failure's message, printed once at the end.
    pub first_error: Option<String>,
}

impl Default for TaskResult {
    fn default() -> Self {
        Self {
            // Room for the run up front: no reallocation inside the measured window.
            latencies_us: Vec::with_capacity(64 * 1024),
            errors: 0,
            first_error: None,
        }
    }
}

impl TaskResult {
    /// Records a trigger answered 2xx that started at `started`.
    pub fn answered(&mut self, started: Instant) {
        let us = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        self.latencies_us.push(us);
    }

    /// Records a failed trigger; the first message is kept.
    pub fn failed(&mut self, error: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error.to_string());
        }
    }
}

/// The summary line of a run from its tasks' results, the measured window's length and the CPU
/// time used in it. Each task's first error goes to stderr, prefixed with `program`.
pub fn summarize(
    program: &str,
    options: &LoadOptions,
    results: Vec<TaskResult>,
    elapsed: Duration,
    cpu: Duration,
) -> Summary {
    let mut latencies = Vec::with_capacity(results.iter().map(|r| r.latencies_us.len()).sum());
    let mut errors = 0;
    for r in results {
        latencies.extend_from_slice(&r.latencies_us);
        errors += r.errors;
        if let Some(e) = r.first_error {
            eprintln!("{program}: a trigger failed: {e}");
        }
    }
    latencies.sort_unstable();
    Summary {
        client: options.label.clone(),
        runtime: if options.multi_thread {
            "tokio multi-thread".into()
        } else {
            "tokio current-thread".into()
        },
        concurrency: options.concurrency,
        triggers: latencies.len() as u64,
        errors,
        elapsed,
        p50_us: percentile(&latencies, 50.0),
        p99_us: percentile(&latencies, 99.0),
        cpu,
        peak_rss_kib: peak_rss_kib().unwrap_or(0),
    }
}

/// A load program's `main`: runs `run` on the runtime asked for, prints the summary line, and
/// fails (exit 1) when a trigger failed or none was answered; `program` prefixes what goes to
/// stderr.
pub fn run_load(
    program: &str,
    multi_thread: bool,
    run: impl Future<Output = Result<Summary, String>>,
) -> ExitCode {
    let runtime = if multi_thread {
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
            eprintln!("{program}: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run) {
        Ok(summary) => {
            println!("{}", summary.to_json());
            if summary.errors > 0 || summary.triggers == 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{program}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse_both_forms_and_refuse_strays() {
        let o = Options::parse(args(&["--concurrency", "64", "--runtime=current"])).unwrap();
        assert_eq!(o.get("concurrency", 1usize).unwrap(), 64);
        assert_eq!(o.text("runtime", "multi"), "current");
        assert_eq!(o.get("duration", 2.5f64).unwrap(), 2.5);
        assert!(o.get::<usize>("runtime", 1).is_err());
        assert!(o.only(&["concurrency"]).is_err());
        assert!(o.only(&["concurrency", "runtime"]).is_ok());
        assert!(Options::parse(args(&["64"])).is_err());
        assert!(Options::parse(args(&["--port"])).is_err());
    }

    #[test]
    fn load_options_have_defaults_and_refuse_what_cannot_run() {
        let parse = |list: &[&str]| {
            let o = Options::parse(args(list)).unwrap();
            LoadOptions::from_options(&o, "x")
        };
        let o = parse(&["--port", "8080"]).unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.concurrency),
            ("127.0.0.1", 8080, 1)
        );
        assert_eq!(
            (o.duration, o.warmup),
            (Duration::from_secs(10), Duration::from_secs(1))
        );
        assert!(o.multi_thread);
        assert_eq!(o.label, "x");
        let o = parse(&["--port=1", "--runtime", "current", "--label", "y"]).unwrap();
        assert!(!o.multi_thread);
        assert_eq!(o.label, "y");
        assert!(parse(&[]).unwrap_err().contains("--port is required"));
        assert!(parse(&["--port", "1", "--concurrency", "0"]).is_err());
        assert!(parse(&["--port", "1", "--runtime", "both"]).is_err());
        assert!(parse(&["--port", "1", "--duration", "-1"]).is_err());
    }

    #[test]
    fn summarize_merges_the_tasks() {
        let started = Instant::now();
        let mut a = TaskResult::default();
        a.answered(started);
        a.answered(started);
        let mut b = TaskResult::default();
        b.answered(started);
        b.failed("refused");
        b.failed("refused again");
        assert_eq!(b.first_error.as_deref(), Some("refused"));
        let o = LoadOptions::from_options(&Options::parse(args(&["--port", "1"])).unwrap(), "z")
            .unwrap();
        let s = summarize(
            "test",
            &o,
            vec![a, b],
            Duration::from_secs(2),
            Duration::ZERO,
        );
        assert_eq!((s.triggers, s.errors), (3, 2));
        assert_eq!(
            (s.client.as_str(), s.runtime.as_str()),
            ("z", "tokio multi-thread")
        );
        assert_eq!(s.per_second(), 1.5);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&values, 0.0), 1);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(percentile(&[7], 99.0), 7);
    }

    #[test]
    fn proc_figures_are_read_on_linux() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let rss = peak_rss_kib().unwrap();
        assert!(rss > 0);
        // Burn a little CPU: the reading never goes backwards.
        let before = cpu_time().unwrap();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_time().unwrap() >= before);
    }

    #[test]
    fn summary_line_is_json_with_derived_figures() {
        let s = Summary {
            client: "pusher-rs".into(),
            runtime: "multi".into(),
            concurrency: 64,
            triggers: 50_000,
            errors: 0,
            elapsed: Duration::from_secs(10),
            p50_us: 900,
            p99_us: 2100,
            cpu: Duration::from_millis(750),
            peak_rss_kib: 9000,
        };
        let line = s.to_json();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["triggers_per_s"], 5000.0);
        assert_eq!(v["cpu_us_per_trigger"], 15.0);
        assert_eq!(v["client"], "pusher-rs");
        assert_eq!(v["p99_us"], 2100);
    }
}
