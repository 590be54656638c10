//! The processes the suite runs: sockudo, the app under test and pusher-js clients. Each is a
//! [`Proc`], killed and reaped when dropped, so nothing outlives the run (a panic included; a
//! SIGKILL of the driver too, through the parent-death signal).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The app sockudo serves, and the credentials the app under test is configured with.
pub(crate) const APP_ID: &str = "100200";
pub(crate) const KEY: &str = "e2e-app-key";
pub(crate) const SECRET: &str = "e2e-app-secret";
/// The end-to-end encryption master key (32 bytes, base64) given to the app under test.
pub(crate) const MASTER_KEY: &str = "ZTJlLW1hc3Rlci1rZXktZm9yLXRlc3RzLW9ubHkhISE=";

/// A child process, killed and waited for on drop.
#[derive(Debug)]
pub(crate) struct Proc {
    name: String,
    child: Child,
    log: Option<PathBuf>,
}

impl Proc {
    /// Fails if the process has already exited, with the end of its log.
    pub(crate) fn check_running(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited ({status}){}",
                self.name,
                self.log_tail()
            )),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// The last lines of the process's log, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        let Some(path) = &self.log else {
            return String::new();
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n    ");
        format!("; end of {}:\n    {tail}", path.display())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two distinct free TCP ports on 127.0.0.1 (bound together, read, released).
pub(crate) fn free_ports() -> Result<(u16, u16), String> {
    let bind = || TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("no free port: {e}"));
    let (first, second) = (bind()?, bind()?);
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string());
    Ok((port(&first)?, port(&second)?))
}

/// A command for `program` that the kernel kills if this driver dies without cleaning up
/// (`SIGKILL`, OOM): `setpriv --pdeathsig KILL` (util-linux, on every Debian) sets the
/// parent-death signal and execs the program under the same pid, so [`Proc`]'s own kill on
/// drop still applies. The signal follows the thread that spawned the child; every child
/// here is spawned from the thread that runs `block_on`, which lives as long as the driver.
/// Without `setpriv` the program runs directly, cleaned up on drop only.
fn guarded_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    const SETPRIV: &str = "/usr/bin/setpriv";
    if Path::new(SETPRIV).is_file() {
        let mut command = Command::new(SETPRIV);
        command.args(["--pdeathsig", "KILL", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Only `PATH` from the caller's environment: nothing else can change how a peer behaves.
fn clean_command(program: &Path, log: &Path) -> Result<Command, String> {
    let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let mut command = guarded_command(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err);
    Ok(command)
}

/// Polls `url` until it answers 200, while `proc` keeps running.
async fn wait_ready(
    http: &reqwest::Client,
    proc: &mut Proc,
    url: &str,
    within: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        proc.check_running()?;
        if let Ok(answer) = http.get(url).send().await
            && answer.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} did not answer {url} within {within:?}{}",
                proc.name,
                proc.log_tail()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// sockudo's configuration: one app with Pusher's multi-tenant limits, user authentication,
/// webhooks to the app under test; everything in memory, loopback only. sockudo's defaults that
/// would get in the way: the queue driver is redis (without a working queue, webhooks are
/// silently off), the rate limiter allows 100 API requests and 20 connections a minute per IP,
/// metrics bind 0.0.0.0:9601, the host is 0.0.0.0, SIGTERM waits 10 s, and limits apply to
/// the HTTP API only when set per app (an app without them accepts a 1 MiB event).
pub(crate) fn sockudo_config(port: u16, webhook_url: &str) -> Value {
    json!({
        "debug": false,
        "host": "127.0.0.1",
        "port": port,
        "shutdown_grace_period": 0,
        "adapter": { "driver": "local" },
        "cache": { "driver": "memory" },
        "queue": { "driver": "memory" },
        "rate_limiter": { "enabled": false },
        "metrics": { "enabled": false },
        "app_manager": {
            "driver": "memory",
            "array": { "apps": [{
                "id": APP_ID,
                "key": KEY,
                "secret": SECRET,
                "enabled": true,
                "enable_client_messages": true,
                "enable_user_authentication": true,
                "max_connections": 1000,
                "max_client_events_per_second": 10,
                // Pusher's multi-tenant limits: set per app, since the global block does
                // not apply to the HTTP API.
                "max_event_payload_in_kb": 10,
                "max_event_batch_size": 10,
                "max_event_channels_at_once": 100,
                "max_event_name_length": 200,
                "max_channel_name_length": 164,
                "max_presence_members_per_channel": 100,
                "max_presence_member_size_in_kb": 1,
                "webhooks": [{
                    "url": webhook_url,
                    "event_types": [
                        "channel_occupied", "channel_vacated", "member_added", "member_removed"
                    ]
                }]
            }]}
        }
    })
}

/// Starts sockudo on `port` with [`sockudo_config`], in `dir` (so no `config/` directory of
/// the caller's is read), under a clean environment; returns once it answers `/up`.
pub(crate) async fn start_sockudo(
    http: &reqwest::Client,
    binary: &Path,
    dir: &Path,
    port: u16,
    webhook_url: &str,
) -> Result<Proc, String> {
    let config = sockudo_config(port, webhook_url);
    start_sockudo_with(http, binary, dir, "sockudo", port, &config).await
}

/// Starts sockudo as [`start_sockudo`] does, with the configuration `config` (written to
/// `dir/<name>.json`, its log to `dir/<name>.log`): e.g. one node of a cluster.
pub(crate) async fn start_sockudo_with(
    http: &reqwest::Client,
    binary: &Path,
    dir: &Path,
    name: &str,
    port: u16,
    config: &Value,
) -> Result<Proc, String> {
    let config_file = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(config).map_err(|e| e.to_string())?;
    std::fs::write(&config_file, text).map_err(|e| format!("{}: {e}", config_file.display()))?;
    let mut proc = spawn(name, binary, &["--config".into(), config_file.into()], dir)?;
    let url = format!("http://127.0.0.1:{port}/up/{APP_ID}");
    wait_ready(http, &mut proc, &url, Duration::from_secs(30)).await?;
    Ok(proc)
}

/// Starts `program` with `args` in `dir` under a clean environment (only `PATH`), its output
/// in `dir/<name>.log`; killed when the [`Proc`] is dropped.
pub(crate) fn spawn(
    name: &str,
    program: &Path,
    args: &[std::ffi::OsString],
    dir: &Path,
) -> Result<Proc, String> {
    let log = dir.join(format!("{name}.log"));
    let child = clean_command(program, &log)?
        .args(args)
        .current_dir(dir)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    Ok(Proc {
        name: name.into(),
        child,
        log: Some(log),
    })
}

/// Starts the example app `binary` on `port` with `env` (its Pusher configuration) under a
/// clean environment; returns once it answers.
pub(crate) async fn start_app(
    http: &reqwest::Client,
    name: &str,
    binary: &Path,
    dir: &Path,
    port: u16,
    env: &[(&str, String)],
) -> Result<Proc, String> {
    let log = dir.join(format!("{name}.log"));
    let mut command = clean_command(binary, &log)?;
    command
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let mut proc = Proc {
        name: name.into(),
        child,
        log: Some(log),
    };
    let url = format!("http://127.0.0.1:{port}/webhooks/received");
    wait_ready(http, &mut proc, &url, Duration::from_secs(30)).await?;
    Ok(proc)
}

/// Where a pusher-js client connects and authorizes.
#[derive(Debug, Clone)]
pub(crate) struct ClientConfig {
    /// `tests/e2e`, holding `client.js` and `node_modules`.
    pub(crate) e2e_dir: PathBuf,
    /// Where the clients' pusher-js logs go.
    pub(crate) log_dir: PathBuf,
    pub(crate) sockudo_port: u16,
    /// The app under test, e.g. `http://127.0.0.1:3000`.
    pub(crate) app_url: String,
}

/// One pusher-js client (`tests/e2e/client.js` under node) signed in to the app as `user`:
/// commands go to its stdin, what it observes comes back as JSON lines.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) user: String,
    pub(crate) socket_id: String,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<Value>,
    /// Lines received but not yet matched by [`Client::expect`].
    pending: VecDeque<Value>,
    proc: Proc,
}

impl Client {
    /// Starts a client and waits until it is connected.
    pub(crate) async fn connect(config: &ClientConfig, user: &str) -> Result<Client, String> {
        let log = config.log_dir.join(format!("client-{user}.log"));
        let stderr = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let settings = json!({
            "key": KEY,
            "host": "127.0.0.1",
            "port": config.sockudo_port,
            "app": config.app_url,
            "user": user,
        });
        let mut child = guarded_command("node")
            .arg(config.e2e_dir.join("client.js"))
            .arg(settings.to_string())
            .current_dir(&config.e2e_dir)
            .env_remove("NODE_OPTIONS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start node: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (sender, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if sender.send(value).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            user: user.into(),
            socket_id: String::new(),
            stdin,
            lines,
            pending: VecDeque::new(),
            proc: Proc {
                name: format!("pusher-js client {user}"),
                child,
                log: Some(log),
            },
        };
        let connected = client
            .expect("connected", |v| v["ev"] == "connected", WAIT)
            .await?;
        client.socket_id = connected["socket_id"]
            .as_str()
            .ok_or("connected without a socket id")?
            .to_owned();
        Ok(client)
    }

    /// Sends one command (see `client.js`).
    pub(crate) fn send(&mut self, command: Value) -> Result<(), String> {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("{}: cannot send {command}: {e}", self.user))
    }

    /// Subscribes to `channel`; returns the `subscribed` or `subscription_error` line.
    pub(crate) async fn subscribe(&mut self, channel: &str) -> Result<Value, String> {
        self.send(json!({ "op": "subscribe", "channel": channel }))?;
        self.expect(
            &format!("the answer to subscribing to {channel}"),
            |v| {
                v["channel"] == channel
                    && (v["ev"] == "subscribed" || v["ev"] == "subscription_error")
            },
            WAIT,
        )
        .await
    }

    /// The first line, received or still to come within `within`, that `matches`; it is
    /// consumed, the lines before it stay for later calls.
    pub(crate) async fn expect(
        &mut self,
        what: &str,
        matches: impl Fn(&Value) -> bool,
        within: Duration,
    ) -> Result<Value, String> {
        if let Some(at) = self.pending.iter().position(&matches) {
            return Ok(self.pending.remove(at).unwrap_or_default());
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) if matches(&line) => return Ok(line),
                Ok(Some(line)) => self.pending.push_back(line),
                Ok(None) => {
                    return Err(format!(
                        "{}: the client exited while waiting for {what}{}",
                        self.user,
                        self.proc.log_tail()
                    ));
                }
                Err(_) => {
                    let seen: Vec<String> = self.pending.iter().map(Value::to_string).collect();
                    return Err(format!(
                        "{}: no {what} within {within:?}; unmatched lines: [{}]",
                        self.user,
                        seen.join(", ")
                    ));
                }
            }
        }
    }

    /// Everything received so far that `matches`, consumed (without waiting).
    pub(crate) fn take_received(&mut self, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        while let Ok(line) = self.lines.try_recv() {
            self.pending.push_back(line);
        }
        let (taken, kept): (Vec<Value>, Vec<Value>) =
            self.pending.drain(..).partition(|v| matches(v));
        self.pending = kept.into();
        taken
    }
}

/// How long to wait for something a peer should do promptly.
pub(crate) const WAIT: Duration = Duration::from_secs(10);
