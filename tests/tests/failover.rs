//! Host failover (`PusherBuilder::fallback_hosts`), one test per failure kind, on loopback only:
//! a refused port (bound, then released), a TLS handshake failure (`tls(true)` against a plain
//! TCP server), a host that accepts and never answers (timeout), a host that answers 503, and a
//! DNS failure — the last through a custom transport returning `SendError::never_sent`, the
//! error the default transport gives for a failed lookup, so that no test needs real DNS or a
//! network. The healthy host is [`FakePusher`], which verifies every request's signature.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use pusher_client::transport::{ResponseBody, SendError};
use pusher_client::{Error, Pusher, PusherBuilder, RetryPolicy, TransportKind};
use pusher_tests::{FakePusher, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A loopback port nothing listens on: bound, read, released.
async fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// What a fault server does with each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Reads the request, answers `503 Service Unavailable`.
    Unavailable,
    /// Reads, never answers, keeps the connection open.
    Hang,
    /// Answers plain-HTTP `400` to whatever arrives (a TLS ClientHello included) and closes.
    PlainHttp,
}

/// A tiny loopback server that misbehaves as told and counts the connections it accepted.
struct FaultHost {
    port: u16,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultHost {
    async fn start(behaviour: Behaviour) -> FaultHost {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                open.push(tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let _ = stream.read(&mut buf).await;
                    match behaviour {
                        Behaviour::Unavailable => {
                            let body = "unavailable";
                            let answer = format!(
                                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = stream.write_all(answer.as_bytes()).await;
                            let _ = stream.shutdown().await;
                        }
                        Behaviour::Hang => {
                            // Keep reading until the client gives up; never answer.
                            while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                        }
                        Behaviour::PlainHttp => {
                            let _ = stream
                                .write_all(
                                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                                )
                                .await;
                            let _ = stream.shutdown().await;
                        }
                    }
                }));
            }
        });
        FaultHost {
            port,
            connections,
            task,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client of `server`'s app whose primary host is `127.0.0.1:primary_port`, with `server` as
/// its fallback host; plain HTTP, the default transport.
fn client_with_primary(server: &FakePusher, primary_port: u16) -> PusherBuilder {
    Pusher::builder(server.app_id(), server.key(), server.secret())
        .host("127.0.0.1")
        .port(primary_port)
        .tls(false)
        .fallback_hosts([format!("127.0.0.1:{}", server.port())])
        .timeout(Duration::from_millis(600))
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .base_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(50))
}

/// The fallback host received exactly this one signed request, with its own `Host` header.
fn assert_one_verified_request(server: &FakePusher) {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(
        requests[0].authenticated(),
        "the signature holds on the fallback host: {requests:#?}"
    );
    assert_eq!(
        requests[0].header("host"),
        Some(format!("127.0.0.1:{}", server.port()).as_str()),
        "the Host header follows the chosen host"
    );
}

#[tokio::test]
async fn refused_primary_a_trigger_goes_to_the_fallback_once_even_without_retries() {
    let server = FakePusher::start().await;
    let pusher = client_with_primary(&server, refused_port().await)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    pusher
        .trigger("orders", "created", serde_json::json!({ "id": 1 }))
        .await
        .expect("delivered through the fallback host");
    assert_one_verified_request(&server);
    assert_eq!(server.events().len(), 1, "delivered exactly once");
}

#[tokio::test]
async fn refused_primary_is_skipped_by_the_next_request() {
    let server = FakePusher::start().await;
    let pusher = client_with_primary(&server, refused_port().await)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    for i in 0..3 {
        pusher
            .trigger("orders", "created", serde_json::json!({ "i": i }))
            .await
            .expect("delivered");
    }
    assert_eq!(server.events().len(), 3);
    assert!(server.requests().iter().all(|r| r.authenticated()));
}

#[tokio::test]
async fn tls_handshake_failure_moves_to_the_next_host_without_the_retry_budget() {
    // Both hosts speak plain HTTP to a client that wants TLS: the handshake fails on each. The
    // client tries each host once (a failover pass) under RetryPolicy::none and reports a
    // connect error — the request never reached a server.
    let first = FaultHost::start(Behaviour::PlainHttp).await;
    let second = FaultHost::start(Behaviour::PlainHttp).await;
    let pusher = Pusher::builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(first.port)
        .tls(true)
        .fallback_hosts([format!("127.0.0.1:{}", second.port)])
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let error = pusher
        .trigger("orders", "created", "x")
        .await
        .expect_err("no host speaks TLS");
    match &error {
        Error::Transport(e) => assert_eq!(e.kind(), TransportKind::Connect, "{error}"),
        other => panic!("expected a connect error, got {other:?}"),
    }
    assert_eq!(first.connections(), 1, "the primary was tried once");
    assert_eq!(second.connections(), 1, "then the fallback host, once");
}

#[tokio::test]
async fn timeout_a_trigger_without_a_key_is_not_sent_to_another_host() {
    let hanging = FaultHost::start(Behaviour::Hang).await;
    let server = FakePusher::start().await;
    let pusher = client_with_primary(&server, hanging.port)
        .retry(fast_retries())
        .build()
        .expect("client");
    let error = pusher
        .trigger("orders", "created", "x")
        .await
        .expect_err("the primary never answers");
    match &error {
        Error::Transport(e) => assert_eq!(e.kind(), TransportKind::Timeout, "{error}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(hanging.connections(), 1);
    assert_eq!(
        server.request_count(),
        0,
        "the primary may have processed it: not repeated elsewhere"
    );
}

#[tokio::test]
async fn timeout_a_keyed_trigger_a_query_and_retry_posts_move_to_the_fallback() {
    let hanging = FaultHost::start(Behaviour::Hang).await;
    let server = FakePusher::start().await;
    let build = |policy: RetryPolicy| {
        client_with_primary(&server, hanging.port)
            .retry(policy)
            .build()
            .expect("client")
    };

    // An idempotency key makes the repeat safe.
    build(fast_retries())
        .trigger("orders", "created", "keyed")
        .idempotency_key("order-1-created")
        .await
        .expect("retried on the fallback host");
    assert_one_verified_request(&server);
    assert_eq!(
        server.requests()[0].header("x-idempotency-key"),
        Some("order-1-created")
    );

    // A query may always be repeated.
    build(fast_retries())
        .channels()
        .await
        .expect("the query is answered by the fallback host");
    assert_eq!(server.request_count(), 2);

    // retry_posts accepts the risk of a duplicate.
    build(fast_retries().retry_posts(true))
        .trigger("orders", "created", "opted in")
        .await
        .expect("retried on the fallback host");
    assert_eq!(server.events().len(), 2);
    assert_eq!(
        hanging.connections(),
        3,
        "each client tried the primary first"
    );
}

#[tokio::test]
async fn server_error_moves_only_when_the_retry_policy_allows() {
    let failing = FaultHost::start(Behaviour::Unavailable).await;
    let server = FakePusher::start().await;
    let build = |policy: RetryPolicy| {
        client_with_primary(&server, failing.port)
            .retry(policy)
            .build()
            .expect("client")
    };

    // A trigger without a key: the 503 is the answer.
    let error = build(fast_retries())
        .trigger("orders", "created", "x")
        .await
        .expect_err("503, not repeated");
    assert_eq!(error.status(), Some(503), "{error}");
    assert_eq!(server.request_count(), 0);

    // No retries at all: even a query stays on the host that answered 503.
    let error = build(RetryPolicy::none())
        .channels()
        .await
        .expect_err("503, no retries");
    assert_eq!(error.status(), Some(503), "{error}");
    assert_eq!(server.request_count(), 0);

    // A query under the default rules: retried, on the fallback host.
    build(fast_retries())
        .channels()
        .await
        .expect("answered by the fallback host");
    assert_one_verified_request(&server);

    // A keyed trigger too.
    build(fast_retries())
        .trigger("orders", "created", "keyed")
        .idempotency_key("k-503")
        .await
        .expect("retried on the fallback host");
    assert_eq!(server.events().len(), 1);
    assert_eq!(failing.connections(), 4);
}

#[tokio::test]
async fn a_failed_host_is_skipped_for_the_cooldown_then_tried_again() {
    let primary = FakePusher::start().await;
    let fallback = FakePusher::start().await;
    let cooldown = Duration::from_millis(400);
    let pusher = Pusher::builder(primary.app_id(), primary.key(), primary.secret())
        .host("127.0.0.1")
        .port(primary.port())
        .tls(false)
        .fallback_hosts([format!("127.0.0.1:{}", fallback.port())])
        .fallback_cooldown(cooldown)
        .retry(fast_retries())
        .build()
        .expect("client");
    assert_eq!(
        pusher.hosts(),
        [
            format!("127.0.0.1:{}", primary.port()),
            format!("127.0.0.1:{}", fallback.port())
        ]
    );

    primary.reply_next(Reply::status(503, "down for a moment"));
    pusher.channels().await.expect("retried on the fallback");
    assert_eq!((primary.request_count(), fallback.request_count()), (1, 1));

    // Within the cool-off the primary is skipped.
    pusher.channels().await.expect("fallback");
    pusher
        .trigger("orders", "created", "x")
        .await
        .expect("fallback");
    assert_eq!((primary.request_count(), fallback.request_count()), (1, 3));

    // After it, the primary is tried again, answers, and is up again.
    tokio::time::sleep(cooldown + Duration::from_millis(100)).await;
    pusher.channels().await.expect("primary again");
    pusher.channels().await.expect("primary again");
    assert_eq!((primary.request_count(), fallback.request_count()), (3, 3));
    assert!(primary.requests().iter().all(|r| r.authenticated()));
    assert!(fallback.requests().iter().all(|r| r.authenticated()));
}

#[tokio::test]
async fn every_host_refused_one_pass_then_the_policy_decides() {
    let (a, b, c) = (
        refused_port().await,
        refused_port().await,
        refused_port().await,
    );
    let pusher = Pusher::builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(a)
        .tls(false)
        .fallback_hosts([format!("127.0.0.1:{b}"), format!("127.0.0.1:{c}")])
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let error = pusher.channels().await.expect_err("nobody listens");
    assert!(
        matches!(&error, Error::Transport(e) if e.kind() == TransportKind::Connect),
        "{error}"
    );
}

#[tokio::test]
async fn dns_failure_is_never_sent_and_moves_to_the_next_host() {
    // A transport standing in for DNS: the `.invalid` names fail as the default transport
    // fails a lookup (`SendError::never_sent`); other requests are answered `{}`. Each
    // request's authority and signed query are recorded.
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let recorder = seen.clone();
    let dns = tower::service_fn(move |request: http::Request<Bytes>| {
        let seen = recorder.clone();
        async move {
            let authority = request
                .uri()
                .authority()
                .map(|a| a.to_string())
                .unwrap_or_default();
            let query = request.uri().query().unwrap_or_default().to_owned();
            seen.lock().expect("lock").push((authority.clone(), query));
            let host = authority.split(':').next().unwrap_or_default().to_owned();
            if host.ends_with(".invalid") {
                return Err(SendError::never_sent(format!(
                    "dns error: failed to lookup address information for {host}"
                )));
            }
            Ok(http::Response::new(ResponseBody::from("{}")))
        }
    });
    let pusher = Pusher::builder("1", "key", "secret")
        .host("node-1.invalid")
        .fallback_hosts(["node-2.invalid", "node-3.example:8443"])
        .transport(dns)
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    pusher
        .trigger("orders", "created", "x")
        .await
        .expect("the third host resolves");
    let seen = seen.lock().expect("lock").clone();
    let authorities: Vec<&str> = seen.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        authorities,
        ["node-1.invalid", "node-2.invalid", "node-3.example:8443"]
    );
    // Every attempt signed afresh, for the same path and body: same key and body hash.
    for (_, query) in &seen {
        assert!(query.contains("auth_key=key&"), "{query}");
        assert!(query.contains("auth_signature="), "{query}");
    }
    let md5 = |q: &str| {
        q.split('&')
            .find(|p| p.starts_with("body_md5="))
            .map(str::to_owned)
    };
    assert_eq!(md5(&seen[0].1), md5(&seen[2].1));
}

#[tokio::test]
async fn bad_fallback_hosts_are_typed_config_errors() {
    let base = || Pusher::builder("1", "key", "secret").host("a.example");
    for (hosts, needle) in [
        (vec!["https://b.example"], "without a scheme"),
        (vec!["b.example:0"], "port"),
        (vec!["b.example:http"], "port"),
        (vec!["[::1"], "']'"),
        (vec!["b example"], "host name"),
        (vec![""], "must not be empty"),
        (vec!["a.example"], "listed twice"),
        (vec!["b.example", "B.example:443"], "listed twice"),
    ] {
        let error = base()
            .fallback_hosts(hosts.clone())
            .build()
            .expect_err("refused");
        let text = error.to_string();
        assert!(
            text.contains("fallback_hosts") && text.contains(needle),
            "{hosts:?}: {text}"
        );
    }
    let error = base()
        .fallback_hosts(["b.example"])
        .fallback_cooldown(Duration::ZERO)
        .build()
        .expect_err("refused");
    assert!(error.to_string().contains("fallback_cooldown"), "{error}");
    let many: Vec<String> = (0..64).map(|i| format!("h{i}.example")).collect();
    let error = base().fallback_hosts(many).build().expect_err("refused");
    assert!(error.to_string().contains("at most 63"), "{error}");

    // Ports: given, else .port(), else the scheme's default (left out).
    let pusher = base()
        .port(6001)
        .tls(false)
        .fallback_hosts(["b.example", "c.example:6002", "::1", "[::2]:7000"])
        .build()
        .expect("client");
    assert_eq!(
        pusher.hosts(),
        [
            "a.example:6001",
            "b.example:6001",
            "c.example:6002",
            "[::1]:6001",
            "[::2]:7000"
        ]
    );
    let pusher = base()
        .fallback_hosts(["b.example", "b.example:443"])
        .build();
    assert!(pusher.unwrap_err().to_string().contains("listed twice"));
    let pusher = base()
        .fallback_hosts(Vec::<String>::new())
        .build()
        .expect("no fallback");
    assert_eq!(pusher.hosts(), ["a.example"]);
}
