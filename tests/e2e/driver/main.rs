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
// Some of the shared pieces serve only the cluster suite.
#[allow(dead_code)]
mod harness;
mod procs;

use std::process::ExitCode;

use harness::Report;

async fn run() -> ExitCode {
    let mut report = Report::default();
    let e2e_dir = harness::e2e_dir();
    let sockudo = harness::find_sockudo(None);
    let peers = sockudo
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
        .and_then(|()| harness::check_node(&e2e_dir));
    let ready = peers.is_ok();
    report.record("peers", "sockudo, node and pusher-js are installed", peers);

    let log_dir = std::env::temp_dir().join(format!("pusher-e2e-{}", std::process::id()));
    if ready && let Ok(sockudo) = &sockudo {
        // Recorded only when it fails, so the count of checks stays what it was.
        let apps = apps::binaries(&harness::workspace_dir());
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
    report.finish(&log_dir)
}

fn main() -> ExitCode {
    harness::main("e2e", "sockudo, node and pusher-js", run)
}
