//! `tracing` output: one event per request with method, path, status and elapsed time, and never
//! a secret or a signature.

use pusher_client::Error;
use pusher_tests::logs::CapturedLogs;
use pusher_tests::{FakePusher, Reply};

#[tokio::test(flavor = "current_thread")]
async fn each_request_is_logged_without_secrets() {
    let (logs, _guard) = CapturedLogs::install(tracing::Level::TRACE);

    let server = FakePusher::start().await;
    let pusher = server.client();
    pusher
        .trigger("orders", "created", "{}")
        .await
        .expect("trigger");
    // A 503 on a query is retried: the log shows the failed attempt, the retry, the success.
    server.reply_next(Reply::Status(503, "down".into()));
    pusher.channels().await.expect("retried after the 503");
    server.reply_next(Reply::Status(400, "bad".into()));
    let error = pusher.channels().await.expect_err("400");
    assert!(matches!(error, Error::Api(_)));

    let text = logs.text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("pusher request"))
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[2].contains("retrying pusher request"), "{}", lines[2]);
    assert!(lines[2].contains("attempt=1"), "{}", lines[2]);
    assert!(lines[2].contains("delay_ms="), "{}", lines[2]);
    assert!(
        lines[3].contains("/apps/4242/channels") && lines[3].contains("status=200"),
        "{}",
        lines[3]
    );
    assert!(lines[4].contains("status=400"), "{}", lines[4]);
    assert!(
        lines[0].contains("method=\"POST\"") || lines[0].contains("method=POST"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("/apps/4242/events"), "{}", lines[0]);
    assert!(lines[0].contains("status=200"), "{}", lines[0]);
    assert!(lines[0].contains("elapsed_ms="), "{}", lines[0]);
    assert!(lines[1].contains("/apps/4242/channels"), "{}", lines[1]);
    assert!(lines[1].contains("status=503"), "{}", lines[1]);
    let leaks = server.leaks_in(&text);
    assert!(leaks.is_empty(), "the logs leak {leaks:?}:\n{text}");
}
