//! What is retried, how often and how long the client waits in between, against servers that
//! misbehave on purpose. Delays are checked against their lower bounds (jitter waits between
//! half and all of the backoff) and a generous upper bound only: machines here are noisy.

use std::time::{Duration, Instant};

use pusher_client::{BatchEvent, Error, Pusher, RetryPolicy, TransportKind};
use pusher_tests::faults::{Fault, FaultServer};
use pusher_tests::{FakePusher, Reply};

const BASE: Duration = Duration::from_millis(100);

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(BASE)
        .max_delay(Duration::from_secs(1))
}

fn faulty_client(server: &FaultServer, policy: RetryPolicy) -> Pusher {
    builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(server.port())
        .tls(false)
        .timeout(Duration::from_millis(500))
        .retry(policy)
        .build()
        .expect("client")
}

/// A GET that meets 503 twice is retried, each attempt signed afresh, and succeeds on the third.
#[tokio::test]
async fn queries_are_retried_on_5xx_and_every_attempt_is_signed() {
    let server = FakePusher::start().await;
    let pusher = server
        .client_builder()
        .retry(policy())
        .build()
        .expect("client");
    server.reply_next_n(2, Reply::status(503, "unavailable"));
    pusher.channels().await.expect("third attempt succeeds");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.authenticated()), "{requests:#?}");
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(503), Some(503), Some(200)]
    );
}

#[tokio::test]
async fn backoff_doubles_between_attempts() {
    let server = FaultServer::start([
        Fault::status(500, "a"),
        Fault::status(502, "b"),
        Fault::status(504, "c"),
    ])
    .await;
    let pusher = faulty_client(&server, policy().max_attempts(4));
    let value: serde_json::Value = pusher.get("/channels", &[]).await.expect("fourth attempt");
    assert_eq!(value, serde_json::json!({}));
    let gaps = server.gaps();
    assert_eq!(gaps.len(), 3, "{gaps:?}");
    for (i, gap) in gaps.iter().enumerate() {
        let backoff = BASE * 2u32.pow(i as u32);
        assert!(
            *gap >= backoff / 2,
            "retry {}: waited {gap:?}, backoff {backoff:?}",
            i + 1
        );
        assert!(
            *gap < backoff * 10 + Duration::from_secs(1),
            "retry {}: {gap:?}",
            i + 1
        );
    }
}

#[tokio::test]
async fn attempts_are_capped() {
    let server = FaultServer::start(vec![Fault::status(503, "down"); 10]).await;
    let pusher = faulty_client(&server, policy().max_attempts(4));
    let error = pusher.channels().await.expect_err("always 503");
    assert_eq!(error.status(), Some(503));
    assert!(error.is_retryable());
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let server = FaultServer::start(vec![Fault::status(503, "down"); 3]).await;
    let pusher = faulty_client(&server, RetryPolicy::none());
    pusher.channels().await.expect_err("503");
    assert_eq!(server.requests().len(), 1);
}

/// A trigger that got a 5xx may have been delivered: not retried without a key or opt-in.
#[tokio::test]
async fn triggers_are_not_repeated_after_5xx_by_default() {
    for status in [500u16, 502, 503, 504] {
        let server = FaultServer::start(vec![Fault::status(status, "x"); 3]).await;
        let pusher = faulty_client(&server, policy());
        let error = pusher.trigger("c", "e", "d").await.expect_err("5xx");
        assert_eq!(error.status(), Some(status));
        assert!(error.is_retryable(), "{status} is transient");
        assert_eq!(server.requests().len(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn an_idempotency_key_makes_triggers_retryable_and_is_sent_on_every_attempt() {
    let server = FaultServer::start([Fault::status(503, "x"), Fault::status(502, "y")]).await;
    let pusher = faulty_client(&server, policy());
    pusher
        .trigger("c", "e", "d")
        .idempotency_key("msg-42")
        .await
        .expect("third attempt");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.header("x-idempotency-key"), Some("msg-42"));
    }
}

#[tokio::test]
async fn retry_posts_opts_in_to_repeating_triggers() {
    let server = FaultServer::start([Fault::status(500, "x")]).await;
    let pusher = faulty_client(&server, policy().retry_posts(true));
    pusher.trigger("c", "e", "d").await.expect("second attempt");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.requests()[0].header("x-idempotency-key"), None);
}

#[tokio::test]
async fn a_split_batch_sends_one_key_per_request() {
    let server = FaultServer::start([]).await;
    let pusher = faulty_client(&server, policy());
    pusher
        .trigger_batch((0..23).map(|i| BatchEvent::new("c", "e", i.to_string())))
        .idempotency_key("batch-7")
        .await
        .expect("batch");
    let keys: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("x-idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(
        keys,
        [
            Some("batch-7-0".into()),
            Some("batch-7-1".into()),
            Some("batch-7-2".into())
        ]
    );
}

/// 429 means the server refused the request: safe to repeat even for a trigger, after the
/// server's Retry-After.
#[tokio::test]
async fn rate_limits_wait_for_retry_after() {
    let server = FaultServer::start([Fault::too_many(1)]).await;
    let pusher = faulty_client(&server, policy());
    pusher.trigger("c", "e", "d").await.expect("second attempt");
    let gaps = server.gaps();
    assert_eq!(gaps.len(), 1);
    assert!(
        gaps[0] >= Duration::from_millis(950),
        "waited only {:?}",
        gaps[0]
    );
    assert!(gaps[0] < Duration::from_secs(5), "waited {:?}", gaps[0]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_is_not_waited_for() {
    let server = FaultServer::start([Fault::too_many(30)]).await;
    let pusher = faulty_client(&server, policy().deadline(Some(Duration::from_secs(2))));
    let started = Instant::now();
    let error = pusher.trigger("c", "e", "d").await.expect_err("429");
    match &error {
        Error::Api(api) => {
            assert_eq!(api.status(), 429);
            assert_eq!(api.retry_after(), Some(Duration::from_secs(30)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn other_4xx_are_never_retried() {
    for status in [400u16, 401, 403, 404, 413] {
        let server = FaultServer::start(vec![Fault::status(status, "no"); 3]).await;
        let pusher = faulty_client(&server, policy().retry_posts(true));
        let error = pusher.channels().await.expect_err("4xx");
        assert_eq!(error.status(), Some(status));
        assert!(!error.is_retryable());
        assert_eq!(server.requests().len(), 1, "{status} was retried");
        let error = pusher.trigger("c", "e", "d").await.expect_err("4xx");
        assert_eq!(error.status(), Some(status));
        assert_eq!(server.requests().len(), 2, "{status} was retried");
    }
}

/// A query whose answer was cut after its status line is asked again: it changed nothing.
#[tokio::test]
async fn a_query_whose_answer_was_lost_is_asked_again() {
    let server = FaultServer::start([Fault::ResetMidResponse]).await;
    let pusher = faulty_client(&server, policy());
    pusher.channels().await.expect("the query is repeated");
    assert_eq!(server.requests().len(), 2);

    let server = FaultServer::start(vec![Fault::ResetMidResponse; 3]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher.channels().await.expect_err("cut three times");
    assert_eq!(server.requests().len(), 3);
    assert_eq!(error.status(), Some(200));
    assert!(error.is_retryable(), "{error:?}");
}

fn assert_accepted(error: &Error, what: &str) {
    match error {
        Error::Transport(t) => {
            assert_eq!(t.kind(), TransportKind::AnswerLost, "{what}: {error:?}");
            assert_eq!(t.status(), Some(200), "{what}");
            assert!(t.was_accepted(), "{what}");
        }
        other => panic!("{what}: {other:?}"),
    }
    assert_eq!(error.status(), Some(200), "{what}");
    assert!(
        !error.is_retryable(),
        "{what}: an accepted request is not retryable"
    );
    let text = error.to_string();
    assert!(
        text.contains("accepted") && text.contains("200"),
        "{what}: {text}"
    );
}

/// A 2xx followed by a body that never arrives whole: the server accepted the request, so it
/// is never repeated — not with an idempotency key, not under `retry_posts` — and the error
/// says so, with the status.
#[tokio::test]
async fn a_post_whose_success_answer_was_lost_is_never_repeated() {
    for policy in [policy(), policy().retry_posts(true)] {
        let server = FaultServer::start(vec![Fault::ResetMidResponse; 3]).await;
        let pusher = faulty_client(&server, policy);
        let error = pusher
            .trigger("c", "e", "d")
            .idempotency_key("k-1")
            .await
            .expect_err("cut short");
        assert_accepted(&error, "trigger");
        assert_eq!(
            server.requests().len(),
            1,
            "the accepted trigger was repeated"
        );

        let server = FaultServer::start(vec![Fault::ResetMidResponse; 3]).await;
        let pusher = faulty_client(&server, policy);
        let error = pusher
            .trigger_batch([BatchEvent::new("c", "e", "d")])
            .idempotency_key("k-2")
            .await
            .expect_err("cut short");
        assert_accepted(&error, "batch");
        assert_eq!(
            server.requests().len(),
            1,
            "the accepted batch was repeated"
        );

        let server = FaultServer::start(vec![Fault::ResetMidResponse; 3]).await;
        let pusher = faulty_client(&server, policy);
        let error = pusher
            .send_to_user("u1", "e", "d")
            .idempotency_key("k-3")
            .await
            .expect_err("cut short");
        assert_accepted(&error, "send_to_user");
        assert_eq!(server.requests().len(), 1, "the accepted send was repeated");

        let server = FaultServer::start(vec![Fault::ResetMidResponse; 3]).await;
        let pusher = faulty_client(&server, policy);
        let error = pusher
            .terminate_user_connections("u1")
            .await
            .expect_err("cut short");
        assert_accepted(&error, "terminate");
        assert_eq!(
            server.requests().len(),
            1,
            "the accepted termination was repeated"
        );
    }
}

/// The request timeout running out while the body of a 2xx is read is the same case: the
/// request was accepted.
#[tokio::test]
async fn a_timeout_after_a_success_status_is_not_repeated() {
    let server = FaultServer::start(vec![Fault::HangMidResponse; 3]).await;
    let pusher = faulty_client(&server, policy().retry_posts(true));
    let error = pusher
        .trigger("c", "e", "d")
        .idempotency_key("k-4")
        .await
        .expect_err("timed out reading");
    assert_accepted(&error, "trigger");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

/// An error status whose body was cut is still that status: a 429 is retried (refused, not
/// processed), a 400 is not.
#[tokio::test]
async fn an_error_status_with_a_cut_body_keeps_its_status() {
    let server = FaultServer::start([Fault::CutAfterStatus(429)]).await;
    let pusher = faulty_client(&server, policy());
    pusher.trigger("c", "e", "d").await.expect("second attempt");
    assert_eq!(server.requests().len(), 2);

    let server = FaultServer::start(vec![Fault::CutAfterStatus(400); 3]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher.channels().await.expect_err("400");
    assert_eq!(error.status(), Some(400));
    assert!(!error.is_retryable());
    assert_eq!(server.requests().len(), 1);
}

/// The retry loop and `Error::is_retryable` agree: an answer over the size cap is neither
/// retryable nor fetched again, even by a query.
#[tokio::test]
async fn an_answer_over_the_size_cap_is_fetched_once() {
    let huge = " ".repeat(8 * 1024 * 1024 + 1);
    let server = FaultServer::start(vec![Fault::status(200, &huge); 3]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher.channels().await.expect_err("too large");
    assert!(
        matches!(&error, Error::Transport(t) if t.kind() == TransportKind::TooLarge),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(server.requests().len(), 1, "fetched again");
}

/// Whatever the failure, `is_retryable` says what the loop did for a request that may be
/// repeated (a query): retryable errors were retried, the others were not.
#[tokio::test]
async fn is_retryable_matches_what_the_loop_did() {
    let huge = " ".repeat(8 * 1024 * 1024 + 1);
    let faults = [
        Fault::status(500, "x"),
        Fault::status(501, "x"),
        Fault::status(502, "x"),
        Fault::status(503, "x"),
        Fault::status(504, "x"),
        Fault::status(505, "x"),
        Fault::status(400, "x"),
        Fault::status(404, "x"),
        Fault::status(409, "x"),
        Fault::too_many(0),
        Fault::status(200, "not json"),
        Fault::status(200, &huge),
        Fault::ResetMidResponse,
        Fault::CutAfterStatus(502),
        Fault::Close,
        Fault::Hang,
    ];
    for fault in faults {
        let label = format!("{fault:?}").chars().take(60).collect::<String>();
        let server = FaultServer::start(vec![fault; 2]).await;
        let pusher = faulty_client(&server, policy().max_attempts(2));
        let error = pusher.channels().await.expect_err("fails twice");
        let attempts = server.requests().len();
        assert_eq!(
            attempts,
            if error.is_retryable() { 2 } else { 1 },
            "{label}: is_retryable() = {} but {attempts} attempts: {error}",
            error.is_retryable()
        );
    }
}

#[tokio::test]
async fn a_closed_connection_without_answer_is_a_transport_error() {
    let server = FaultServer::start(vec![Fault::Close; 3]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher.users("presence-a").await.expect_err("closed");
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn timeouts_after_sending_are_retried_only_where_safe() {
    let server = FaultServer::start([Fault::Hang]).await;
    let pusher = faulty_client(&server, policy());
    pusher.channels().await.expect("the query is repeated");
    assert_eq!(server.requests().len(), 2);

    let server = FaultServer::start([Fault::Hang]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher.trigger("c", "e", "d").await.expect_err("timeout");
    assert!(error.is_timeout() && !error.is_connect(), "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

/// A refused connection never reached the server: even a trigger is retried.
#[tokio::test]
async fn refused_connections_are_retried_even_for_triggers() {
    let port = FaultServer::refusing_port().await;
    let pusher = builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(port)
        .tls(false)
        .retry(
            policy()
                .max_attempts(8)
                .base_delay(Duration::from_millis(150)),
        )
        .build()
        .expect("client");
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        FaultServer::start_on(port, []).await
    });
    pusher
        .trigger("c", "e", "d")
        .await
        .expect("retried until the server listened");
    let server = late.await.expect("server task");
    assert_eq!(
        server.requests().len(),
        1,
        "only the attempt that connected arrived"
    );
}

#[tokio::test]
async fn refused_connections_fail_as_connect_errors_after_the_last_attempt() {
    let port = FaultServer::refusing_port().await;
    let pusher = builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(port)
        .tls(false)
        .retry(policy())
        .build()
        .expect("client");
    let started = Instant::now();
    let error = pusher.trigger("c", "e", "d").await.expect_err("refused");
    assert!(error.is_connect(), "{error:?}");
    assert!(error.is_retryable());
    // Two waits happened: at least half of 100 ms, then half of 200 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn non_json_answers_are_malformed_and_not_retried() {
    let server = FaultServer::start([Fault::status(200, "<html>proxy</html>")]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher.channels().await.expect_err("not JSON");
    assert!(
        matches!(error, Error::MalformedResponse { status: 200, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(
        server.requests().len(),
        1,
        "a malformed answer is not retried"
    );
}

/// `Retry-After` on a 503 is honoured like on a 429 (where the request may be repeated).
#[tokio::test]
async fn a_503_waits_for_retry_after() {
    let server = FaultServer::start([Fault::retry_after(503, "1")]).await;
    let pusher = faulty_client(&server, policy());
    pusher.channels().await.expect("second attempt");
    let gaps = server.gaps();
    assert_eq!(gaps.len(), 1);
    assert!(
        gaps[0] >= Duration::from_millis(950),
        "waited only {:?}",
        gaps[0]
    );
    assert!(gaps[0] < Duration::from_secs(5), "waited {:?}", gaps[0]);

    // A trigger that got a 503 without a key is still not repeated.
    let server = FaultServer::start([Fault::retry_after(503, "1")]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher.trigger("c", "e", "d").await.expect_err("503");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(server.requests().len(), 1);
}

/// `Retry-After` as an HTTP date: the wait runs to that time. The date has whole seconds and
/// the client reads it a little after it was written, so a date 3 s ahead means a wait of at
/// least 2 s less that delay: the bound below holds while the delay stays under a second.
#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let at = std::time::SystemTime::now() + Duration::from_secs(3);
    let server = FaultServer::start([Fault::retry_after(429, &httpdate::fmt_http_date(at))]).await;
    let pusher = faulty_client(&server, policy());
    pusher.trigger("c", "e", "d").await.expect("second attempt");
    let gaps = server.gaps();
    assert_eq!(gaps.len(), 1);
    assert!(
        gaps[0] >= Duration::from_secs(1),
        "waited only {:?}",
        gaps[0]
    );
    assert!(gaps[0] < Duration::from_secs(8), "waited {:?}", gaps[0]);
}

/// A server asking for more than `max_retry_after` gets no early retry: the error comes back at
/// once and carries the wait.
#[tokio::test]
async fn a_retry_after_over_the_cap_is_returned_not_waited_for() {
    let server = FaultServer::start([Fault::too_many(20)]).await;
    let pusher = faulty_client(
        &server,
        policy()
            .deadline(Some(Duration::from_secs(120)))
            .max_retry_after(Duration::from_secs(5)),
    );
    let started = Instant::now();
    let error = pusher.trigger("c", "e", "d").await.expect_err("429");
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(20)));
    assert_eq!(server.requests().len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // The default cap is 10 s.
    assert_eq!(
        RetryPolicy::default().max_retry_after,
        Duration::from_secs(10)
    );
}

/// When retries run out, the error still carries the server's last `Retry-After`.
#[tokio::test]
async fn the_last_retry_after_is_on_the_error_when_retries_run_out() {
    let server = FaultServer::start(vec![Fault::too_many(1); 2]).await;
    let pusher = faulty_client(&server, policy().max_attempts(2));
    let error = pusher.channels().await.expect_err("429 twice");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    match &error {
        Error::Api(api) => assert_eq!(api.retry_after(), Some(Duration::from_secs(1))),
        other => panic!("{other:?}"),
    }
}

/// A builder using the transport the tests run with (`PUSHER_TEST_TRANSPORT`).
use pusher_tests::test_builder as builder;

/// `send_to_user` takes an idempotency key like a trigger: sent on every attempt, and it makes
/// the event retryable after a 5xx; without one, a 5xx is not repeated.
#[tokio::test]
async fn send_to_user_is_retried_after_5xx_only_with_an_idempotency_key() {
    let server = FaultServer::start([Fault::status(503, "x")]).await;
    let pusher = faulty_client(&server, policy());
    let error = pusher
        .send_to_user("u1", "e", "d")
        .await
        .expect_err("503 without a key");
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.requests().len(), 1);

    let server = FaultServer::start([Fault::status(503, "x"), Fault::status(502, "y")]).await;
    let pusher = faulty_client(&server, policy());
    pusher
        .send_to_user("u1", "e", "d")
        .idempotency_key("note-7")
        .await
        .expect("third attempt");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert!(
            request.line.starts_with("POST /apps/1/events?"),
            "{}",
            request.line
        );
        assert_eq!(request.header("x-idempotency-key"), Some("note-7"));
    }
}

/// Terminating a user's connections twice closes them once: retried after a 5xx like a query.
#[tokio::test]
async fn terminate_user_connections_is_retried_after_5xx() {
    let server = FaultServer::start([Fault::status(500, "x"), Fault::status(503, "y")]).await;
    let pusher = faulty_client(&server, policy());
    pusher
        .terminate_user_connections("u1")
        .await
        .expect("third attempt");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert!(
            request
                .line
                .starts_with("POST /apps/1/users/u1/terminate_connections?"),
            "{}",
            request.line
        );
    }
}
