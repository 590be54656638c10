//! What both end-to-end suites (`driver/`, the e2e suite, and `cluster/`) share, so that they
//! count, report and find their peers the same way: the check report and its summary, the
//! `main` that gates a suite on `PUSHER_E2E=1`, the peer lookups, and the assertions on what
//! the pusher-js clients (`client.js`, driven through [`Client`]) observe.

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use crate::procs::{Client, WAIT};

/// Counts and prints check results.
#[derive(Debug, Default)]
pub(crate) struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    /// Records one check's result and prints it, under `label` (the app, or the suite).
    pub(crate) fn record(&mut self, label: &str, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("PASS [{label}] {name}");
            }
            Err(reason) => {
                self.failed += 1;
                println!("FAIL [{label}] {name}: {reason}");
            }
        }
    }

    /// Prints `N passed, N failed`, keeps `log_dir` when a check failed or
    /// `PUSHER_E2E_KEEP_LOGS=1` (removes it otherwise), and fails if any check did.
    pub(crate) fn finish(&self, log_dir: &Path) -> ExitCode {
        println!("\n{} passed, {} failed", self.passed, self.failed);
        let keep = std::env::var("PUSHER_E2E_KEEP_LOGS").is_ok_and(|v| v == "1");
        if self.failed > 0 || keep {
            if log_dir.exists() {
                println!("logs: {}", log_dir.display());
            }
        } else {
            let _ = std::fs::remove_dir_all(log_dir);
        }
        if self.failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

/// Records the result of an async block as the check `$name`, under `$label`.
macro_rules! check {
    ($report:expr, $label:expr, $name:expr, $body:block) => {{
        let result: Result<(), String> = async { $body }.await;
        $report.record($label, $name, result);
    }};
}
pub(crate) use check;

/// The `main` of a suite named `suite`: a note and success without `PUSHER_E2E=1` (so `cargo
/// test` needs no peers; `needs` says which), else `run` on a tokio runtime, interrupted (and
/// its processes killed) by Ctrl-C.
pub(crate) fn main<F>(suite: &str, needs: &str, run: impl FnOnce() -> F) -> ExitCode
where
    F: Future<Output = ExitCode>,
{
    // Test runners that list tests first (cargo-nextest) see one test, named after the suite.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("{suite}: test");
        }
        return ExitCode::SUCCESS;
    }
    if std::env::var("PUSHER_E2E").as_deref() != Ok("1") {
        println!("{suite}: not run (needs {needs}: set PUSHER_E2E=1, or run `bash scripts/test`)");
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{suite}: cannot start a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        tokio::select! {
            code = run() => code,
            // Dropping `run` kills every process it started.
            _ = tokio::signal::ctrl_c() => {
                eprintln!("{suite}: interrupted");
                ExitCode::FAILURE
            }
        }
    })
}

/// `tests/e2e` in the workspace: this package, beside `client.js` and its `node_modules`.
pub(crate) fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root (`tests/e2e/../..`), where the driver runs cargo if it must build the apps.
pub(crate) fn workspace_dir() -> PathBuf {
    let e2e = e2e_dir();
    let root = e2e.ancestors().nth(2).map(Path::to_path_buf);
    root.unwrap_or(e2e)
}

/// The HTTP client the suites call the apps with: loopback only, so no proxy.
pub(crate) fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub(crate) fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// `program` in a directory of `PATH`.
fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// `program` in a directory of `PATH`, or why it is missing.
pub(crate) fn find_on_path(program: &str) -> Result<PathBuf, String> {
    on_path(program).ok_or_else(|| {
        format!("{program} not found on PATH; install it with `bash scripts/install-peers`")
    })
}

/// The sockudo binary, or why it cannot be found: `PUSHER_E2E_SOCKUDO` (taken as given), else
/// `$SOCKUDO_ROOT/bin/sockudo` (`SOCKUDO_ROOT` defaulting to `/opt/sockudo`), else `sockudo` on
/// `PATH`. A `feature` it must have been built with is read from the `sockudo.features` file
/// beside it (install-peers writes it; `--version` does not tell).
pub(crate) fn find_sockudo(feature: Option<&str>) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("PUSHER_E2E_SOCKUDO") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "PUSHER_E2E_SOCKUDO={} is not a file",
                path.display()
            ))
        };
    }
    let root = std::env::var_os("SOCKUDO_ROOT").unwrap_or_else(|| "/opt/sockudo".into());
    let installed = PathBuf::from(&root).join("bin/sockudo");
    let found = if installed.is_file() {
        installed
    } else {
        on_path("sockudo").ok_or_else(|| {
            format!(
                "sockudo not found at {} nor on PATH; install it with `bash scripts/install-peers`",
                installed.display()
            )
        })?
    };
    if let Some(feature) = feature {
        let marker = found.with_file_name("sockudo.features");
        let features = std::fs::read_to_string(&marker).unwrap_or_default();
        if !features.split(',').any(|f| f.trim() == feature) {
            return Err(format!(
                "{} was not built with the `{feature}` feature ({}: {:?}); rebuild it with `bash scripts/install-peers`",
                found.display(),
                marker.display(),
                features.trim()
            ));
        }
    }
    Ok(found)
}

/// Checks that node and pusher-js are installed.
pub(crate) fn check_node(e2e_dir: &Path) -> Result<(), String> {
    let version = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map_err(|e| format!("node not found ({e}); install Node.js (tested with 20)"))?;
    if !version.status.success() {
        return Err("`node --version` failed".into());
    }
    if !e2e_dir
        .join("node_modules/pusher-js/package.json")
        .is_file()
    {
        return Err(format!(
            "pusher-js is not installed in {}; install it with `bash scripts/install-peers`",
            e2e_dir.join("node_modules").display()
        ));
    }
    Ok(())
}

/// `Err(message())` unless `condition`.
pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message()) }
}

/// `actual == expected`, or an error naming `what` and both values.
pub(crate) fn ensure_eq(actual: &Value, expected: &Value, what: &str) -> Result<(), String> {
    ensure(actual == expected, || {
        format!("{what}: got {actual}, expected {expected}")
    })
}

/// Matches the client's `event` line for `event` on `channel`.
pub(crate) fn event_on(channel: &str, event: &str) -> impl Fn(&Value) -> bool + use<> {
    let (channel, event) = (channel.to_owned(), event.to_owned());
    move |v: &Value| {
        v["ev"] == "event" && v["channel"] == channel.as_str() && v["event"] == event.as_str()
    }
}

/// Waits for `event` on `channel` and checks its data.
pub(crate) async fn expect_event(
    client: &mut Client,
    channel: &str,
    event: &str,
    data: &Value,
) -> Result<(), String> {
    let what = format!("event {event} on {channel}");
    let label = format!("{}: data of {event} on {channel}", client.user);
    expect_data(client, &what, event_on(channel, event), data, &label).await
}

/// Waits for the line `what` that `matches` and checks its `data` (`label` names it if not).
async fn expect_data(
    client: &mut Client,
    what: &str,
    matches: impl Fn(&Value) -> bool,
    data: &Value,
    label: &str,
) -> Result<(), String> {
    let line = client.expect(what, matches, WAIT).await?;
    ensure_eq(&line["data"], data, label)
}

/// Waits until `client` received every event in `names` on `channel` (in any order: order
/// across nodes is not guaranteed).
pub(crate) async fn expect_all(
    client: &mut Client,
    channel: &str,
    names: &[String],
) -> Result<(), String> {
    for name in names {
        client
            .expect(
                &format!("event {name} on {channel}"),
                event_on(channel, name),
                WAIT,
            )
            .await?;
    }
    Ok(())
}

/// Subscribes `client` to `channel` and checks it succeeded; the `subscribed` line.
pub(crate) async fn subscribed(client: &mut Client, channel: &str) -> Result<Value, String> {
    let answer = client.subscribe(channel).await?;
    ensure_eq(
        &answer["ev"],
        &json!("subscribed"),
        &format!("{} on {channel}", client.user),
    )?;
    Ok(answer)
}

/// Waits for the presence event `event` (`member_added`, `member_removed`) about `id`.
pub(crate) async fn expect_member(
    client: &mut Client,
    event: &str,
    id: &str,
) -> Result<Value, String> {
    client
        .expect(
            &format!("{event} {id}"),
            |v| v["ev"] == event && v["id"] == id,
            WAIT,
        )
        .await
}

/// Signs `client` in (`signin()`, through the app's user-auth route) and waits for the answer,
/// which must be `signed_in`; that line.
pub(crate) async fn signed_in(client: &mut Client) -> Result<Value, String> {
    client.send(json!({ "op": "signin" }))?;
    let line = client
        .expect(
            "signed_in",
            |v| v["ev"] == "signed_in" || v["ev"] == "signin_error",
            WAIT,
        )
        .await?;
    ensure_eq(&line["ev"], &json!("signed_in"), "signin")?;
    Ok(line)
}

/// Waits for the user event `event` (`send_to_user`) and checks its data.
pub(crate) async fn expect_user_event(
    client: &mut Client,
    event: &str,
    data: &Value,
) -> Result<(), String> {
    let what = format!("user event {event}");
    let matches = |v: &Value| v["ev"] == "user_event" && v["event"] == event;
    expect_data(client, &what, matches, data, &format!("{event} data")).await
}

/// Waits for the connection error `code` (e.g. 4009, after `terminate_user_connections`).
pub(crate) async fn expect_error(client: &mut Client, code: u16) -> Result<(), String> {
    let error = client
        .expect(&format!("error {code}"), |v| v["ev"] == "error", WAIT)
        .await?;
    ensure_eq(&error["code"], &json!(code), "close code")
}

/// A member who leaves: `user` connects with `config`, joins `presence-room` (and a channel of
/// its own, `<user>-only`, for the occupied/vacated webhooks), `watcher` sees it added, it
/// disconnects, `watcher` sees it removed.
pub(crate) async fn member_leaves(
    watcher: &mut Client,
    config: &crate::procs::ClientConfig,
    user: &str,
) -> Result<(), String> {
    let mut leaving = Client::connect(config, user).await?;
    subscribed(&mut leaving, "presence-room").await?;
    subscribed(&mut leaving, &format!("{user}-only")).await?;
    expect_member(watcher, "member_added", user).await?;
    leaving.send(json!({ "op": "disconnect" }))?;
    expect_member(watcher, "member_removed", user).await?;
    Ok(())
}

/// The lifecycle webhooks (event, channel, user) that a scenario with `alice` and `bob` in
/// `presence-room`, `news` occupied and [`member_leaves`] of `carol` makes sockudo send.
pub(crate) const LIFECYCLE_WEBHOOKS: [(&str, &str, Option<&str>); 7] = [
    ("channel_occupied", "news", None),
    ("channel_occupied", "carol-only", None),
    ("channel_vacated", "carol-only", None),
    ("member_added", "presence-room", Some("alice")),
    ("member_added", "presence-room", Some("bob")),
    ("member_added", "presence-room", Some("carol")),
    ("member_removed", "presence-room", Some("carol")),
];

/// How long to wait for them: sockudo batches webhooks (~50 ms) and sends `member_removed` ~3 s
/// after a disconnect.
pub(crate) const WEBHOOKS_WITHIN: Duration = Duration::from_secs(15);

/// The sorted `id`s of a list of presence users or members.
pub(crate) fn ids(users: &Value) -> Vec<String> {
    let mut ids: Vec<String> = users
        .as_array()
        .map(|list| {
            list.iter()
                .map(|u| u["id"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}
