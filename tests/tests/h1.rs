//! The default transport's own HTTP/1.1 exchange (`pusher-client/src/transport/hyper/conn.rs`
//! and `answer.rs`) against a raw-socket server that answers with exactly the bytes each test
//! scripts: the request it puts on the wire, every way an answer's body may be framed
//! (RFC 9112 §6.3), when a connection may be reused, and malformed or cut answers, which fail
//! with an error and never leave a connection in the pool. Most tests send through the
//! transport's `tower::Service`; the last two through a `Pusher`, whose own requests take the
//! transport's direct path (`transport/outgoing.rs`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use pusher_client::transport::{HyperTransport, ResponseBody};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// What the server does for one request.
#[derive(Clone)]
enum Step {
    Write(Vec<u8>),
    Pause(Duration),
    /// Closes the connection (after the steps before it).
    Close,
}

fn write(bytes: &str) -> Step {
    Step::Write(bytes.as_bytes().to_vec())
}

#[derive(Default)]
struct State {
    answers: Mutex<VecDeque<Vec<Step>>>,
    requests: Mutex<Vec<Vec<u8>>>,
    accepted: AtomicUsize,
}

/// Answers each request, on whichever connection it comes, with the next scripted answer.
struct Server {
    port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(answers: Vec<Vec<Step>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(State::default());
        *state.answers.lock().expect("lock") = answers.into();
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Server { port, state, task }
    }

    fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<String> {
        let requests = self.state.requests.lock().expect("lock");
        requests
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    let mut buffer = Vec::new();
    loop {
        let Some((_, request)) = pusher_tests::read_raw_request(&mut stream, &mut buffer).await
        else {
            return;
        };
        state.requests.lock().expect("lock").push(request);
        let answer = state.answers.lock().expect("lock").pop_front();
        let Some(steps) = answer else { return };
        for step in steps {
            match step {
                Step::Write(bytes) => {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Step::Pause(d) => tokio::time::sleep(d).await,
                Step::Close => {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
        }
    }
}

fn transport() -> HyperTransport {
    HyperTransport::builder()
        .no_proxy()
        .build()
        .expect("transport")
}

fn post(server: &Server, path: &str, body: &'static str) -> http::Request<Bytes> {
    http::Request::post(server.url(path))
        .header("content-type", "application/json")
        .body(Bytes::from_static(body.as_bytes()))
        .expect("request")
}

fn get(server: &Server, path: &str) -> http::Request<Bytes> {
    http::Request::get(server.url(path))
        .body(Bytes::new())
        .expect("request")
}

/// Sends `request`; the answer's status, one header and whole body.
async fn exchange(
    transport: &HyperTransport,
    request: http::Request<Bytes>,
) -> Result<(u16, Option<String>, Bytes), String> {
    let answer: http::Response<ResponseBody> = transport
        .clone()
        .oneshot(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = answer.status().as_u16();
    let header = answer
        .headers()
        .get("x-tag")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok((status, header, body))
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";

#[tokio::test]
async fn the_request_goes_out_in_origin_form_with_host_and_length() {
    let server = Server::start(vec![vec![write(OK)], vec![write(OK)]]).await;
    let t = transport();
    exchange(
        &t,
        post(&server, "/apps/1/events?auth_key=k&x=%20", "{\"a\":1}"),
    )
    .await
    .expect("post");
    exchange(&t, get(&server, "/apps/1/channels"))
        .await
        .expect("get");
    let requests = server.requests();
    let host = format!("host: 127.0.0.1:{}\r\n", server.port);
    assert!(
        requests[0].starts_with("POST /apps/1/events?auth_key=k&x=%20 HTTP/1.1\r\n"),
        "{}",
        requests[0]
    );
    assert!(requests[0].contains(&host), "{}", requests[0]);
    assert!(requests[0].contains("content-type: application/json\r\n"));
    assert!(
        requests[0].ends_with("content-length: 7\r\n\r\n{\"a\":1}"),
        "{}",
        requests[0]
    );
    assert!(requests[1].starts_with("GET /apps/1/channels HTTP/1.1\r\n"));
    assert!(!requests[1].contains("content-length"), "{}", requests[1]);
    assert_eq!(
        server.accepted(),
        1,
        "the second request reused the connection"
    );
}

/// A caller's own framing headers never reach the wire: the body's real length frames it.
#[tokio::test]
async fn framing_headers_from_the_caller_are_replaced() {
    let server = Server::start(vec![vec![write(OK)]]).await;
    let request = http::Request::post(server.url("/x"))
        .header("content-length", "999")
        .header("transfer-encoding", "chunked")
        .body(Bytes::from_static(b"abc"))
        .expect("request");
    exchange(&transport(), request).await.expect("post");
    let sent = &server.requests()[0];
    assert!(!sent.contains("999") && !sent.contains("chunked"), "{sent}");
    assert!(sent.ends_with("content-length: 3\r\n\r\nabc"), "{sent}");
}

#[tokio::test]
async fn a_body_split_across_writes_is_read_whole() {
    let server = Server::start(vec![vec![
        write("HTTP/1.1 200 OK\r\nx-tag: split\r\ncontent-"),
        Step::Pause(Duration::from_millis(30)),
        write("length: 11\r\n\r\nhello"),
        Step::Pause(Duration::from_millis(30)),
        write(" world"),
    ]])
    .await;
    let (status, tag, body) = exchange(&transport(), get(&server, "/"))
        .await
        .expect("answer");
    assert_eq!((status, tag.as_deref()), (200, Some("split")));
    assert_eq!(&body[..], b"hello world");
}

#[tokio::test]
async fn chunked_answers_are_decoded_with_extensions_and_trailers_and_keep_the_connection() {
    let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
                   5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nx-trailer: 1\r\n\r\n";
    let plain = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n0\r\n\r\n";
    let server = Server::start(vec![
        vec![write(chunked)],
        vec![write(plain)],
        vec![write(OK)],
    ])
    .await;
    let t = transport();
    let (_, _, body) = exchange(&t, get(&server, "/")).await.expect("chunked");
    assert_eq!(&body[..], b"hello world");
    let (_, _, body) = exchange(&t, get(&server, "/"))
        .await
        .expect("empty chunked");
    assert!(body.is_empty());
    exchange(&t, get(&server, "/")).await.expect("third");
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn a_chunked_answer_arriving_byte_by_byte_is_read_whole() {
    let text =
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    let steps = text
        .bytes()
        .flat_map(|b| [Step::Write(vec![b]), Step::Pause(Duration::from_millis(1))])
        .collect();
    let server = Server::start(vec![steps, vec![write(OK)]]).await;
    let t = transport();
    let (_, _, body) = exchange(&t, get(&server, "/")).await.expect("answer");
    assert_eq!(&body[..], b"abcde");
    exchange(&t, get(&server, "/")).await.expect("next");
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn an_answer_without_length_runs_to_the_close_and_its_connection_is_not_reused() {
    let server = Server::start(vec![
        vec![write("HTTP/1.1 200 OK\r\n\r\nuntil the end"), Step::Close],
        vec![write(OK)],
    ])
    .await;
    let t = transport();
    let (_, _, body) = exchange(&t, get(&server, "/")).await.expect("answer");
    assert_eq!(&body[..], b"until the end");
    exchange(&t, get(&server, "/")).await.expect("next");
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn connection_close_and_http_1_0_answers_are_not_reused() {
    let server = Server::start(vec![
        vec![write(
            "HTTP/1.1 200 OK\r\nConnection: Close\r\ncontent-length: 2\r\n\r\n{}",
        )],
        vec![write("HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}")],
        vec![write(
            "HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\n{}",
        )],
        vec![write(OK)],
    ])
    .await;
    let t = transport();
    for expected in [1, 2, 3, 3] {
        let (status, _, body) = exchange(&t, get(&server, "/")).await.expect("answer");
        assert_eq!((status, &body[..]), (200, &b"{}"[..]));
        // Whether the next request reuses a connection shows in the following count.
        assert_eq!(server.accepted(), expected);
    }
}

#[tokio::test]
async fn interim_answers_are_skipped_and_bodiless_statuses_have_no_body() {
    let server = Server::start(vec![
        vec![
            write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n"),
            write(OK),
        ],
        vec![write("HTTP/1.1 204 No Content\r\nx-tag: empty\r\n\r\n")],
        vec![write(
            "HTTP/1.1 304 Not Modified\r\ncontent-length: 50\r\n\r\n",
        )],
        vec![write(OK)],
    ])
    .await;
    let t = transport();
    let (status, _, body) = exchange(&t, get(&server, "/")).await.expect("after 1xx");
    assert_eq!((status, &body[..]), (200, &b"{}"[..]));
    let (status, tag, body) = exchange(&t, get(&server, "/")).await.expect("204");
    assert_eq!(
        (status, tag.as_deref(), body.len()),
        (204, Some("empty"), 0)
    );
    let (status, _, body) = exchange(&t, get(&server, "/")).await.expect("304");
    assert_eq!((status, body.len()), (304, 0));
    exchange(&t, get(&server, "/")).await.expect("next");
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn an_answer_with_both_framings_is_read_chunked_then_its_connection_closed() {
    let server = Server::start(vec![
        vec![write(
            "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        )],
        vec![write(OK)],
    ])
    .await;
    let t = transport();
    let (_, _, body) = exchange(&t, get(&server, "/")).await.expect("answer");
    assert_eq!(&body[..], b"ok");
    exchange(&t, get(&server, "/")).await.expect("next");
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn malformed_answers_fail_and_their_connections_are_dropped() {
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("not http", vec![write("SMTP ready\r\n\r\n")]),
        (
            "conflicting lengths",
            vec![write(
                "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
            )],
        ),
        (
            "length not a number",
            vec![write("HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\n{}")],
        ),
        (
            "bad chunk size",
            vec![write(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
            )],
        ),
        (
            "chunk without its CRLF",
            vec![write(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
            )],
        ),
        (
            "cut body",
            vec![
                write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345"),
                Step::Close,
            ],
        ),
        (
            "cut chunked body",
            vec![
                write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab"),
                Step::Close,
            ],
        ),
        (
            "cut head",
            vec![write("HTTP/1.1 200 OK\r\ncontent-"), Step::Close],
        ),
        ("closed without answer", vec![Step::Close]),
        (
            "101 never asked for",
            vec![write(
                "HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n",
            )],
        ),
    ];
    for (name, steps) in cases {
        let server = Server::start(vec![steps, vec![write(OK)]]).await;
        let t = transport();
        let failed = tokio::time::timeout(Duration::from_secs(5), exchange(&t, get(&server, "/")))
            .await
            .unwrap_or_else(|_| panic!("{name}: hung"));
        assert!(failed.is_err(), "{name}: {failed:?}");
        // The next request gets its own, correct answer on a new connection.
        let (_, _, body) = exchange(&t, get(&server, "/")).await.expect(name);
        assert_eq!(&body[..], b"{}", "{name}");
        assert_eq!(server.accepted(), 2, "{name}");
    }
}

#[tokio::test]
async fn an_oversized_head_is_refused_without_hanging() {
    let huge = format!(
        "HTTP/1.1 200 OK\r\nx-big: {}\r\ncontent-length: 2\r\n\r\n{{}}",
        "a".repeat(70 * 1024)
    );
    let server = Server::start(vec![vec![Step::Write(huge.into_bytes())]]).await;
    let error = tokio::time::timeout(
        Duration::from_secs(5),
        exchange(&transport(), get(&server, "/")),
    )
    .await
    .expect("not hung")
    .expect_err("refused");
    assert!(error.contains("longer than"), "{error}");
}

#[tokio::test]
async fn bytes_after_an_answer_mean_the_connection_is_not_reused() {
    let server = Server::start(vec![
        vec![write(
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}garbage",
        )],
        vec![write(OK)],
    ])
    .await;
    let t = transport();
    let (_, _, body) = exchange(&t, get(&server, "/")).await.expect("answer");
    assert_eq!(&body[..], b"{}");
    let (_, _, body) = exchange(&t, get(&server, "/")).await.expect("next");
    assert_eq!(
        &body[..],
        b"{}",
        "the garbage never reads as the next answer"
    );
    assert_eq!(server.accepted(), 2);
}

/// A server that closes an idle keep-alive connection: the next request sees no error, and
/// goes out on a new connection.
#[tokio::test]
async fn a_connection_closed_while_idle_is_replaced_without_an_error() {
    let server = Server::start(vec![vec![write(OK), Step::Close], vec![write(OK)]]).await;
    let t = transport();
    exchange(&t, get(&server, "/")).await.expect("first");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, _, _) = exchange(&t, post(&server, "/", "{}"))
        .await
        .expect("second");
    assert_eq!(status, 200);
    assert_eq!(server.accepted(), 2);
    assert_eq!(server.requests().len(), 2, "the POST was sent once");
}

/// A client on `server` through `transport`, its clock fixed so two clients sign alike.
fn client_on(
    server: &Server,
    transport: impl tower::Service<
        http::Request<Bytes>,
        Response = http::Response<ResponseBody>,
        Error = pusher_client::transport::SendError,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static,
) -> pusher_client::Pusher {
    pusher_client::Pusher::builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(server.port)
        .tls(false)
        .retry(pusher_client::RetryPolicy::none())
        .clock(|| std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        .transport(transport)
        .build()
        .expect("client")
}

/// The client's own requests skip `http::Request` on the default transport
/// (`transport/outgoing.rs`): byte for byte, they are what the same transport writes of the
/// `http::Request` any other transport receives (reached here through a tower layer, which
/// hides the transport's type from the client), header order included.
#[tokio::test]
async fn the_clients_own_requests_are_byte_for_byte_those_of_the_tower_service() {
    let answers = (0..8).map(|_| vec![write(OK)]).collect();
    let server = Server::start(answers).await;
    let direct = client_on(&server, transport());
    let layered = client_on(
        &server,
        tower::ServiceBuilder::new()
            .map_request(|r: http::Request<Bytes>| r)
            .service(transport()),
    );
    assert!(format!("{direct:?}").contains("transport: hyper"));
    assert!(format!("{layered:?}").contains("transport: custom"));
    for pusher in [&direct, &layered] {
        pusher.trigger("c", "e", "d").await.expect("trigger");
        pusher
            .trigger(["a", "b"], "e", r#"{"x":"é"}"#)
            .exclude("1.2")
            .idempotency_key("key-1")
            .await
            .expect("keyed trigger");
        pusher
            .get::<serde_json::Value>("/channels", &[("filter_by_prefix", "a b&c")])
            .await
            .expect("query");
        pusher
            .terminate_user_connections("u-1")
            .await
            .expect("terminate");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 8);
    assert_eq!(requests[..4], requests[4..]);
    assert!(
        requests[1].starts_with("POST /apps/1/events?auth_key=key&auth_timestamp=1700000000&"),
        "{}",
        requests[1]
    );
    let head_end = requests[1].find("\r\n\r\n").expect("head");
    let names: Vec<_> = requests[1][..head_end]
        .lines()
        .skip(1)
        .map(|line| line.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "user-agent",
            "x-pusher-library",
            "content-type",
            "x-idempotency-key",
            "host",
            "content-length"
        ]
    );
    assert!(requests[2].starts_with("GET /apps/1/channels?"));
    assert!(!requests[2].contains("content-"), "{}", requests[2]);
}

/// The client's own requests read answers by the same rules as the tower service: chunked,
/// until the close, interim answers skipped, `Retry-After` of a 429 obeyed, and a connection
/// reused only after a clean answer.
#[tokio::test]
async fn the_clients_own_requests_read_every_framing_and_keep_connections_by_the_same_rules() {
    let chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1;x=y\r\n{\r\n1\r\n}\r\n0\r\nt: v\r\n\r\n";
    let to_close = "HTTP/1.1 200 OK\r\n\r\n{}";
    let interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    let limited =
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\ncontent-length: 4\r\n\r\nslow";
    let overloaded = "HTTP/1.1 503 Busy\r\nretry-after: 7\r\ncontent-length: 0\r\n\r\n";
    let server = Server::start(vec![
        vec![write(chunked)],
        vec![write(OK)],
        vec![write(to_close), Step::Close],
        vec![write(interim)],
        vec![write(limited)],
        vec![write(OK)],
        vec![write(overloaded)],
    ])
    .await;
    let pusher = pusher_client::Pusher::builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(server.port)
        .tls(false)
        .retry(
            pusher_client::RetryPolicy::default()
                .max_attempts(2)
                .max_retry_after(Duration::from_secs(1)),
        )
        .transport(transport())
        .build()
        .expect("client");
    for _ in 0..4 {
        pusher.trigger("c", "e", "d").await.expect("trigger");
    }
    // Chunked and kept, reused by the plain answer; the close-framed one is not reused.
    assert_eq!(server.accepted(), 2);
    // The 429 is retried (Retry-After: 0) and the retry succeeds.
    pusher.trigger("c", "e", "d").await.expect("after a 429");
    assert_eq!(server.requests().len(), 6);
    // A wait over the policy's limit (1 s here) is not waited for: the error carries it.
    let error = pusher
        .channel("c")
        .await
        .expect_err("503 with a long Retry-After");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(server.requests().len(), 7);
}
