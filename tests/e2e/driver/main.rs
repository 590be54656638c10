//! End-to-end interoperability suite: the example apps (`axum_app`, then `actix_app`) as the
//! system under test, against peers nobody here wrote — sockudo (a Pusher-protocol server from
//! crates.io) on 127.0.0.1 and pusher-js 8 clients under node.
//!
//! ```text
//! bash scripts/install-peers                       # once per machine (sockudo, protoc, npm ci)
//! PUSHER_E2E=1 cargo test -p pusher-e2e --test e2e
//! ```
//!
//! Without `PUSHER_E2E=1` it prints a note and passes, so a plain `cargo test` needs no peers;
//! with it a missing peer is a failure that says how to install it. `bash scripts/test` runs it
//! with the rest of the workspace's tests (`cargo test --workspace --all-features --test e2e`,
//! after the same command without `--test`, which built the apps). The apps are the binaries of
//! `pusher-examples` in this test's target directory and profile; when one is missing or older
//! than its sources the driver builds them first (see `apps.rs`). Each check prints `PASS`/`FAIL` and its name; the
//! run ends with `N passed, N failed` and fails if any check did.
//!
//! Environment: `PUSHER_E2E_SOCKUDO` (the sockudo binary; default
//! `$SOCKUDO_ROOT/bin/sockudo`, `SOCKUDO_ROOT` defaulting to `/opt/sockudo`, else `sockudo` on
//! `PATH`), `PUSHER_E2E_KEEP_LOGS=1` (keep the processes' logs even when everything passed),
//! `PUSHER_E2E_APPS=axum_app` (run against only the apps listed, comma-separated).

mod apps;
mod checks;
mod procs;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Counts and prints check results.
#[derive(Debug, Default)]
pub(crate) struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    /// Records one check's result and prints it.
    pub(crate) fn record(&mut self, app: &str, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("PASS [{app}] {name}");
            }
            Err(reason) => {
                self.failed += 1;
                println!("FAIL [{app}] {name}: {reason}");
            }
        }
    }
}

/// `tests/e2e` in the workspace: this package, beside `client.js` and its `node_modules`.
fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root (`tests/e2e/../..`), where the driver runs cargo if it must build the apps.
fn workspace_dir() -> PathBuf {
    let e2e = e2e_dir();
    let root = e2e.ancestors().nth(2).map(Path::to_path_buf);
    root.unwrap_or(e2e)
}

/// The sockudo binary, or why it cannot be found.
fn find_sockudo() -> Result<PathBuf, String> {
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
    if installed.is_file() {
        return Ok(installed);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("sockudo"))
            .find(|candidate| candidate.is_file())
    });
    on_path.ok_or_else(|| {
        format!(
            "sockudo not found at {} nor on PATH; install it with `bash scripts/install-peers`",
            installed.display()
        )
    })
}

/// Checks that node and pusher-js are installed.
fn check_node(e2e_dir: &Path) -> Result<(), String> {
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

async fn run() -> ExitCode {
    let mut report = Report::default();
    let e2e_dir = e2e_dir();
    let sockudo = find_sockudo();
    let peers = sockudo
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
        .and_then(|()| check_node(&e2e_dir));
    let ready = peers.is_ok();
    report.record("peers", "sockudo, node and pusher-js are installed", peers);

    let log_dir = std::env::temp_dir().join(format!("pusher-e2e-{}", std::process::id()));
    if ready && let Ok(sockudo) = &sockudo {
        // Recorded only when it fails, so the count of checks stays what it was.
        let apps = apps::binaries(&workspace_dir());
        if let Err(e) = &apps {
            report.record("setup", "the example apps are built", Err(e.clone()));
        }
        if let Err(e) = std::fs::create_dir_all(&log_dir) {
            report.record("setup", "log directory", Err(e.to_string()));
        } else if let Ok(apps) = apps {
            let only = std::env::var("PUSHER_E2E_APPS").ok();
            let chosen = apps.into_iter().filter(|(name, _)| {
                only.as_deref()
                    .is_none_or(|list| list.split(',').any(|n| n.trim() == *name))
            });
            for (name, binary) in chosen {
                let dir = log_dir.join(name);
                let result = std::fs::create_dir_all(&dir).map_err(|e| e.to_string());
                match result {
                    Ok(()) => {
                        checks::run_app(&mut report, name, &binary, sockudo, &e2e_dir, &dir).await;
                    }
                    Err(e) => report.record(name, "log directory", Err(e)),
                }
            }
        }
    }

    println!("\n{} passed, {} failed", report.passed, report.failed);
    let keep = std::env::var("PUSHER_E2E_KEEP_LOGS").is_ok_and(|v| v == "1");
    if report.failed > 0 || keep {
        if log_dir.exists() {
            println!("logs: {}", log_dir.display());
        }
    } else {
        let _ = std::fs::remove_dir_all(&log_dir);
    }
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    // Test runners that list tests first (cargo-nextest) see one test, `e2e`, not ignored.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("e2e: test");
        }
        return ExitCode::SUCCESS;
    }
    if std::env::var("PUSHER_E2E").as_deref() != Ok("1") {
        println!(
            "e2e: not run (needs sockudo, node and pusher-js: set PUSHER_E2E=1, or run `bash scripts/test`)"
        );
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("e2e: cannot start a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        tokio::select! {
            code = run() => code,
            // Dropping `run` kills every process it started.
            _ = tokio::signal::ctrl_c() => {
                eprintln!("e2e: interrupted");
                ExitCode::FAILURE
            }
        }
    })
}
