//! Pluggable transports: a custom `tower::Service` receives the exact signed request, its
//! answer is parsed, its errors drive the retry policy as the built-in transports' do, and the
//! request timeout and answer cap stay in the client. The default (hyper) transport is proven
//! to put the same requests on the wire as the reqwest one.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use bytes::Bytes;
use pusher_client::transport::{ResponseBody, SendError};
use pusher_client::{Error, Info, Pusher, PusherBuilder, RetryPolicy, TransportKind};
use pusher_tests::verify::{self, Expected, md5_hex};

const T: u64 = 1_750_000_000;
const SECRET: &str = "transport-secret-never-print";

fn builder() -> PusherBuilder {
    Pusher::builder("77", "the-key", SECRET)
        .host("127.0.0.1")
        .port(6001)
        .tls(false)
        .clock(|| UNIX_EPOCH + Duration::from_secs(T))
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(20)),
        )
}

type Seen = Arc<Mutex<Vec<http::Request<Bytes>>>>;

/// A transport that records every request and answers `answer` to each.
fn recording(
    answer: &'static str,
) -> (
    Seen,
    impl tower::Service<
        http::Request<Bytes>,
        Response = http::Response<ResponseBody>,
        Error = SendError,
        Future = impl Send,
    > + Clone
    + Send
    + Sync
    + 'static,
) {
    let seen: Seen = Arc::default();
    let sink = Arc::clone(&seen);
    let service = tower::service_fn(move |request: http::Request<Bytes>| {
        sink.lock().expect("lock").push(request);
        async move { Ok::<_, SendError>(http::Response::new(ResponseBody::from(answer))) }
    });
    (seen, service)
}

fn check_signed(request: &http::Request<Bytes>) {
    let params = verify::decode_query(request.uri().query().expect("a query")).expect("query");
    verify::verify_request(
        Expected {
            key: "the-key",
            secret: SECRET,
            now_unix: T,
        },
        request.method().as_str(),
        request.uri().path(),
        &params,
        request.body(),
    )
    .unwrap_or_else(|r| panic!("{} {}: {r:?}", request.method(), request.uri().path()));
}

#[tokio::test]
async fn a_custom_transport_receives_the_exact_signed_request_and_its_answer_is_parsed() {
    let (seen, transport) = recording(r#"{"channels":{"orders":{"subscription_count":3}}}"#);
    let pusher = builder().transport(transport).build().expect("client");
    let answer = pusher
        .trigger("orders", "created", r#"{"id":7}"#)
        .info(Info::SUBSCRIPTION_COUNT)
        .idempotency_key("order-7")
        .await
        .expect("trigger");
    assert_eq!(answer.channels["orders"].subscription_count, Some(3));

    let seen = seen.lock().expect("lock");
    let [request] = &seen[..] else {
        panic!("{} requests", seen.len())
    };
    assert_eq!(request.method(), http::Method::POST);
    let uri = request.uri();
    assert_eq!(uri.scheme_str(), Some("http"));
    assert_eq!(uri.host(), Some("127.0.0.1"));
    assert_eq!(uri.port_u16(), Some(6001));
    assert_eq!(uri.path(), "/apps/77/events");
    let expected_body = r#"{"name":"created","data":"{\"id\":7}","channels":["orders"],"info":"subscription_count"}"#;
    assert_eq!(request.body(), expected_body.as_bytes());
    let params = verify::decode_query(uri.query().expect("query")).expect("query");
    assert_eq!(params["auth_key"], "the-key");
    assert_eq!(params["auth_timestamp"], T.to_string());
    assert_eq!(params["auth_version"], "1.0");
    assert_eq!(params["body_md5"], md5_hex(expected_body.as_bytes()));
    check_signed(request);
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ASCII"))
    };
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(header("x-idempotency-key"), Some("order-7"));
    let library = header("x-pusher-library").expect("X-Pusher-Library");
    assert!(library.starts_with("pusher-client-rust/"), "{library}");
    assert_eq!(header("user-agent"), Some(library));
    assert_eq!(request.headers().len(), 4, "{:?}", request.headers());
}

#[tokio::test]
async fn a_custom_transport_sees_queries_signed_without_a_body() {
    let (seen, transport) = recording(r#"{"users":[{"id":"ada"}]}"#);
    let pusher = builder().transport(transport).build().expect("client");
    let users = pusher.users("presence-room").await.expect("users");
    assert_eq!(users.users[0].id, "ada");
    let seen = seen.lock().expect("lock");
    let request = &seen[0];
    assert_eq!(request.method(), http::Method::GET);
    assert_eq!(
        request.uri().path(),
        "/apps/77/channels/presence-room/users"
    );
    assert!(request.body().is_empty());
    assert!(request.headers().get("content-type").is_none());
    assert!(!request.uri().query().unwrap_or("").contains("body_md5"));
    check_signed(request);
}

/// A transport that fails the first `failures` calls with `error()`, then answers `{}`.
fn failing(
    failures: usize,
    error: fn() -> SendError,
) -> (
    Arc<AtomicUsize>,
    impl tower::Service<
        http::Request<Bytes>,
        Response = http::Response<&'static str>,
        Error = SendError,
        Future = impl Send,
    > + Clone
    + Send
    + Sync
    + 'static,
) {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let service = tower::service_fn(move |request: http::Request<Bytes>| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        check_signed(&request);
        async move {
            if n < failures {
                Err(error())
            } else {
                Ok(http::Response::new("{}"))
            }
        }
    });
    (calls, service)
}

fn never_sent() -> SendError {
    SendError::never_sent(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
}
fn timed_out() -> SendError {
    SendError::timed_out("no answer")
}
fn other() -> SendError {
    SendError::other(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
}

#[tokio::test]
async fn never_sent_errors_are_retried_even_for_triggers() {
    let (calls, transport) = failing(2, never_sent);
    let pusher = builder().transport(transport).build().expect("client");
    pusher.trigger("c", "e", "d").await.expect("third attempt");
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let (calls, transport) = failing(10, never_sent);
    let pusher = builder().transport(transport).build().expect("client");
    let error = pusher.trigger("c", "e", "d").await.expect_err("refused");
    assert!(error.is_connect() && !error.is_timeout(), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(calls.load(Ordering::SeqCst), 3, "max_attempts");
    assert!(error.to_string().contains("refused"), "{error}");
}

#[tokio::test]
async fn maybe_sent_errors_repeat_triggers_only_when_safe() {
    for (name, error, kind) in [
        (
            "timed out",
            timed_out as fn() -> SendError,
            TransportKind::Timeout,
        ),
        ("other", other, TransportKind::Other),
    ] {
        let (calls, transport) = failing(1, error);
        let pusher = builder().transport(transport).build().expect("client");
        let e = pusher.trigger("c", "e", "d").await.expect_err(name);
        assert!(
            matches!(&e, Error::Transport(t) if t.kind() == kind),
            "{name}: {e:?}"
        );
        assert_eq!(e.is_timeout(), kind == TransportKind::Timeout, "{name}");
        assert!(!e.is_connect(), "{name}");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{name}: trigger repeated");

        let (calls, transport) = failing(1, error);
        let pusher = builder().transport(transport).build().expect("client");
        pusher
            .trigger("c", "e", "d")
            .idempotency_key("k")
            .await
            .expect("with a key, repeated");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{name}");

        let (calls, transport) = failing(1, error);
        let pusher = builder().transport(transport).build().expect("client");
        pusher.channels().await.expect("a query is repeated");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{name}");
    }
}

#[tokio::test]
async fn the_request_timeout_applies_to_custom_transports() {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let hang = tower::service_fn(move |_: http::Request<Bytes>| {
        count.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, SendError>(http::Response::new(ResponseBody::empty()))
        }
    });
    let pusher = builder()
        .timeout(Duration::from_millis(100))
        .transport(hang)
        .build()
        .expect("client");
    let started = Instant::now();
    let error = pusher.trigger("c", "e", "d").await.expect_err("timeout");
    assert!(error.is_timeout() && !error.is_connect(), "{error:?}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a trigger that timed out was repeated"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    pusher.channels().await.expect_err("timeout");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "the query is tried 3 times"
    );
}

#[tokio::test]
async fn the_answer_cap_applies_to_custom_transports() {
    let big = tower::service_fn(|_: http::Request<Bytes>| async {
        Ok::<_, SendError>(http::Response::new(vec![b' '; 8 * 1024 * 1024 + 1]))
    });
    let pusher = builder().transport(big).build().expect("client");
    let error = pusher.channels().await.expect_err("too large");
    assert!(
        matches!(&error, Error::Transport(t) if t.kind() == TransportKind::TooLarge),
        "{error:?}"
    );

    // A streaming body is refused as soon as it passes the cap, and a body cut short is a
    // transport error that may have been processed.
    let chunks = tower::service_fn(|_: http::Request<Bytes>| async {
        let frames = (0..20).map(|_| {
            Ok::<_, Infallible>(http_body::Frame::data(Bytes::from(vec![b' '; 1024 * 1024])))
        });
        let body = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
        Ok::<_, SendError>(http::Response::new(ResponseBody::streaming(body)))
    });
    let pusher = builder().transport(chunks).build().expect("client");
    let error = pusher.channels().await.expect_err("too large");
    assert!(
        matches!(&error, Error::Transport(t) if t.kind() == TransportKind::TooLarge),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_body_cut_after_a_success_status_is_an_accepted_answer_lost() {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let cut = tower::service_fn(move |_: http::Request<Bytes>| {
        count.fetch_add(1, Ordering::SeqCst);
        async {
            let frames: Vec<Result<http_body::Frame<Bytes>, std::io::Error>> = vec![
                Ok(http_body::Frame::data(Bytes::from_static(b"{\"chan"))),
                Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
            ];
            let body = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
            Ok::<_, SendError>(http::Response::new(ResponseBody::streaming(body)))
        }
    });
    let pusher = builder().transport(cut).build().expect("client");
    let error = pusher.trigger("c", "e", "d").await.expect_err("cut short");
    // The 200 arrived: the trigger was accepted, and is not repeated.
    assert!(
        matches!(&error, Error::Transport(t) if t.kind() == TransportKind::AnswerLost),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn api_errors_from_custom_transports_are_typed_and_retried_as_usual() {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let limited = tower::service_fn(move |_: http::Request<Bytes>| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move {
            let response = if n == 0 {
                http::Response::builder()
                    .status(429)
                    .header("retry-after", "0")
                    .body(ResponseBody::from("slow down"))
            } else {
                http::Response::builder()
                    .status(400)
                    .body(ResponseBody::from("bad"))
            };
            Ok::<_, SendError>(response.expect("response"))
        }
    });
    let pusher = builder().transport(limited).build().expect("client");
    let error = pusher.trigger("c", "e", "d").await.expect_err("400");
    assert_eq!(error.status(), Some(400));
    assert_eq!(calls.load(Ordering::SeqCst), 2, "429 retried, 400 not");
}

#[test]
fn default_transport_options_are_refused_with_a_custom_transport() {
    let (_, transport) = recording("{}");
    let error = |b: PusherBuilder| b.build().expect_err("refused").to_string();
    let e = error(
        builder()
            .transport(transport.clone())
            .proxy("http://127.0.0.1:1"),
    );
    assert!(e.contains("proxy") && e.contains("custom transport"), "{e}");
    let e = error(
        builder()
            .transport(transport.clone())
            .connect_timeout(Duration::from_secs(1)),
    );
    assert!(e.contains("connect_timeout"), "{e}");
    let e = error(
        builder()
            .transport(transport.clone())
            .http_client(reqwest::Client::new()),
    );
    assert!(
        e.contains("http_client") && e.contains("ReqwestTransport"),
        "{e}"
    );
    let pusher = builder()
        .transport(transport)
        .build()
        .expect("alone it builds");
    let debug = format!("{pusher:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("custom"), "{debug}");
}

#[tokio::test]
async fn the_default_transport_can_be_wrapped_in_tower_middleware() {
    let server = pusher_tests::FakePusher::start().await;
    let inner = pusher_client::transport::ReqwestTransport::new(reqwest::Client::new());
    let transport = tower::ServiceBuilder::new()
        .concurrency_limit(2)
        .service(inner);
    let pusher = Pusher::builder(server.app_id(), server.key(), server.secret())
        .host(server.host())
        .port(server.port())
        .tls(false)
        .transport(transport)
        .build()
        .expect("client");
    let sends = (0..8).map(|i| {
        let pusher = pusher.clone();
        async move { pusher.trigger("c", "e", i.to_string()).await }
    });
    for result in futures_util::future::join_all(sends).await {
        result.expect("trigger");
    }
    assert_eq!(server.events().len(), 8);
    assert!(server.requests().iter().all(|r| r.authenticated()));
}

mod both {
    use super::*;
    use pusher_client::BatchEvent;
    use pusher_client::transport::{HyperTransport, ReqwestTransport};
    use pusher_tests::FakePusher;
    use serde_json::{Value, json};

    async fn one_of_each(pusher: &Pusher) {
        pusher.trigger("c", "e", "d").await.expect("trigger");
        pusher
            .trigger(["a", "b"], "e", r#"{"x":"é ü"}"#)
            .exclude("1.2")
            .idempotency_key("key-1")
            .await
            .expect("trigger");
        pusher
            .trigger_batch(vec![BatchEvent::new("c", "e", "d")])
            .await
            .expect("batch");
        pusher.send_to_user("u", "e", "d").await.expect("user");
        pusher
            .terminate_user_connections("u")
            .await
            .expect("terminate");
        pusher
            .channels()
            .prefix("presence-")
            .await
            .expect("channels");
        pusher.channel("c").await.expect("channel");
        pusher.users("presence-c").await.expect("users");
        pusher
            .get::<Value>("/channels", &[("filter_by_prefix", "a b&c")])
            .await
            .expect("get");
        pusher
            .post::<_, Value>("/events", &json!({"name":"e","channels":["c"],"data":"d"}))
            .await
            .expect("post");
    }

    /// Method, raw path, raw query, body and sorted headers of one request.
    type Wire = (String, String, String, Vec<u8>, Vec<(String, String)>);

    /// What a request looked like on the wire, minus headers a transport adds for itself.
    fn wire(server: &FakePusher) -> Vec<Wire> {
        server
            .requests()
            .into_iter()
            .map(|r| {
                let mut headers: Vec<_> = r
                    .headers
                    .iter()
                    .filter(|(n, _)| n != "accept")
                    .cloned()
                    .collect();
                headers.sort();
                (r.method, r.raw_path, r.raw_query, r.body, headers)
            })
            .collect()
    }

    #[tokio::test]
    async fn hyper_and_reqwest_put_the_same_requests_on_the_wire() {
        let mut seen = Vec::new();
        for hyper in [false, true] {
            let server = FakePusher::start().await;
            server.set_clock(pusher_tests::ServerClock::Fixed(T));
            let mut b = Pusher::builder(server.app_id(), server.key(), server.secret())
                .host(server.host())
                .port(server.port())
                .tls(false)
                .clock(|| UNIX_EPOCH + Duration::from_secs(T));
            b = if hyper {
                b.transport(HyperTransport::new().expect("hyper"))
            } else {
                let client = reqwest::Client::builder().no_proxy().build();
                b.transport(ReqwestTransport::new(client.expect("reqwest")))
            };
            let pusher = b.build().expect("client");
            one_of_each(&pusher).await;
            assert!(server.requests().iter().all(|r| r.authenticated()));
            let mut w = wire(&server);
            // Ports differ between the two servers.
            for (_, _, _, _, headers) in &mut w {
                headers.retain(|(n, _)| n != "host");
            }
            seen.push(w);
        }
        assert_eq!(seen[0].len(), 10);
        assert_eq!(seen[0], seen[1]);
    }

    #[tokio::test]
    async fn hyper_sends_the_host_header_and_fails_refused_connections_as_never_sent() {
        let server = FakePusher::start().await;
        let pusher = server
            .client_builder()
            .transport(HyperTransport::new().expect("hyper"))
            .build()
            .expect("client");
        pusher.trigger("c", "e", "d").await.expect("trigger");
        let request = server.last_request().expect("request");
        assert_eq!(
            request.header("host"),
            Some(format!("127.0.0.1:{}", server.port()).as_str())
        );

        let port = pusher_tests::faults::FaultServer::refusing_port().await;
        let pusher = builder()
            .port(port)
            .retry(RetryPolicy::none())
            .transport(HyperTransport::new().expect("hyper"))
            .build()
            .expect("client");
        let error = pusher.trigger("c", "e", "d").await.expect_err("refused");
        assert!(error.is_connect() && !error.is_timeout(), "{error:?}");
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains("auth_signature") && !text.contains(SECRET),
            "{text}"
        );
    }
}

/// `PUSHER_TEST_TRANSPORT=reqwest` really switches the suite's clients to reqwest.
#[tokio::test]
async fn the_suite_runs_over_the_transport_it_was_asked_for() {
    let server = pusher_tests::FakePusher::start().await;
    let debug = format!("{:?}", server.client());
    let expected = format!("transport: {}", pusher_tests::test_transport());
    assert!(debug.contains(&expected), "{debug}");
}

/// Queries carry no body and no body headers on the wire, whichever transport sends them.
#[tokio::test]
async fn queries_carry_no_body_headers_on_the_wire() {
    let server = pusher_tests::FakePusher::start().await;
    server.client().channels().await.expect("channels");
    let request = server.last_request().expect("request");
    assert_eq!(request.method, "GET");
    assert!(request.body.is_empty());
    assert_eq!(
        request.header("content-type"),
        None,
        "{:?}",
        request.headers
    );
    assert_eq!(
        request.header("content-length"),
        None,
        "{:?}",
        request.headers
    );
    assert_eq!(
        request.header("transfer-encoding"),
        None,
        "{:?}",
        request.headers
    );
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs
/// until the connect timeout. Loopback only.
async fn saturated_listener() -> (tokio::net::TcpListener, Vec<tokio::net::TcpStream>, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let listener = socket.listen(1).expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let mut held = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        {
            Ok(Ok(stream)) => held.push(stream),
            _ => break, // the queue is full: connecting now hangs
        }
    }
    (listener, held, port)
}

/// A connect timeout is "never sent" for both transports: a timeout, a connect error, and
/// retried even for a trigger.
#[tokio::test]
async fn connect_timeouts_are_never_sent_timeouts() {
    let (_listener, _held, port) = saturated_listener().await;
    let policy = RetryPolicy::default()
        .max_attempts(2)
        .base_delay(Duration::from_millis(5));
    let builders = vec![
        (
            "default (hyper)",
            Pusher::builder("1", "key", "secret").connect_timeout(Duration::from_millis(200)),
        ),
        (
            "reqwest",
            Pusher::builder("1", "key", "secret").http_client(
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_millis(200))
                    .no_proxy()
                    .build()
                    .expect("reqwest"),
            ),
        ),
    ];
    for (name, b) in builders {
        let pusher = b
            .host("127.0.0.1")
            .port(port)
            .tls(false)
            .timeout(Duration::from_secs(10))
            .retry(policy)
            .build()
            .expect("client");
        let started = Instant::now();
        let error = pusher.trigger("c", "e", "d").await.expect_err("hangs");
        assert!(error.is_connect(), "{name}: {error:?}");
        assert!(error.is_timeout(), "{name}: {error:?}");
        let elapsed = started.elapsed();
        // Two attempts of 200 ms each: retried although it is a trigger, and well before the
        // 10 s request timeout.
        assert!(elapsed >= Duration::from_millis(390), "{name}: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(8), "{name}: {elapsed:?}");
    }
}
