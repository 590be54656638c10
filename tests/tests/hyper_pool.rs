//! The default transport's connection pool (its own idle list per host, with an idle timeout
//! and a cap), seen from the server: how many connections it opens, when it reuses them, and what
//! happens to connections the server closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pusher_client::transport::{HyperTransport, HyperTransportBuilder};
use pusher_client::{Pusher, RetryPolicy};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// A keep-alive HTTP/1.1 server answering `{}` to everything; counts the connections it
/// accepted. With `close_after_answer` it closes each connection after one answer, without
/// announcing it (`Connection: close`), as a server whose keep-alive timeout ran out does.
struct Server {
    port: u16,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(close_after_answer: bool, delay: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, close_after_answer, delay));
            }
        });
        Server {
            port,
            accepted,
            task,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const BIG: usize = 8 << 20;

async fn serve(mut stream: TcpStream, close_after_answer: bool, delay: Duration) {
    let mut buffer = Vec::new();
    loop {
        let Some((head, _)) = pusher_tests::read_raw_request(&mut stream, &mut buffer).await else {
            return;
        };
        tokio::time::sleep(delay).await;
        let answer: Vec<u8> = if head.starts_with("post /big ") {
            // Larger than socket buffers: the client has not received it all on the first read.
            let mut answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {BIG}\r\n\r\n"
            )
            .into_bytes();
            answer.resize(answer.len() + BIG, b' ');
            answer
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                .to_vec()
        };
        if stream.write_all(&answer).await.is_err() {
            return;
        }
        if close_after_answer {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

fn client(server: &Server, transport: HyperTransportBuilder) -> Pusher {
    Pusher::builder("1", "key", "secret")
        .host("127.0.0.1")
        .port(server.port)
        .tls(false)
        .retry(RetryPolicy::none())
        .transport(transport.build().expect("transport"))
        .build()
        .expect("client")
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let server = Server::start(false, Duration::ZERO).await;
    let pusher = client(&server, HyperTransport::builder());
    for i in 0..5 {
        pusher
            .trigger("c", "e", format!("{i}"))
            .await
            .expect("trigger");
        pusher.channels().await.expect("query");
    }
    assert_eq!(server.accepted(), 1);
}

/// The server closed the idle connection (its keep-alive timeout): the next trigger goes out
/// on a new connection instead of failing, even with retries off.
#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_replaced() {
    let server = Server::start(true, Duration::ZERO).await;
    let pusher = client(&server, HyperTransport::builder());
    for i in 0..3 {
        pusher
            .trigger("c", "e", format!("{i}"))
            .await
            .expect("trigger");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(server.accepted(), 3);
}

/// However the tasks interleave on a multi-thread runtime, N concurrent triggers never hold
/// more than N connections: a connection is given back before its task asks for the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_open_at_most_one_connection_each() {
    const TASKS: usize = 16;
    let server = Server::start(false, Duration::from_millis(1)).await;
    let pusher = client(&server, HyperTransport::builder());
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let pusher = pusher.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                pusher
                    .trigger("c", "e", format!("{t}-{i}"))
                    .await
                    .expect("trigger");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let accepted = server.accepted();
    assert!(
        (1..=TASKS).contains(&accepted),
        "{accepted} connections for {TASKS} concurrent tasks"
    );
}

#[tokio::test]
async fn idle_connections_are_not_reused_after_the_idle_timeout() {
    let server = Server::start(false, Duration::ZERO).await;
    let pusher = client(
        &server,
        HyperTransport::builder().pool_idle_timeout(Duration::from_millis(50)),
    );
    pusher.trigger("c", "e", "1").await.expect("trigger");
    pusher.trigger("c", "e", "2").await.expect("trigger");
    assert_eq!(server.accepted(), 1, "reused within the timeout");
    tokio::time::sleep(Duration::from_millis(150)).await;
    pusher.trigger("c", "e", "3").await.expect("trigger");
    assert_eq!(server.accepted(), 2, "a new connection after the timeout");
}

#[tokio::test]
async fn no_idle_connection_is_kept_when_the_pool_may_keep_none() {
    let server = Server::start(false, Duration::ZERO).await;
    let pusher = client(&server, HyperTransport::builder().pool_max_idle_per_host(0));
    for i in 0..3 {
        pusher
            .trigger("c", "e", format!("{i}"))
            .await
            .expect("trigger");
    }
    assert_eq!(server.accepted(), 3);
}

/// An answer dropped unread: if it had arrived whole, its connection is reused; if not, the
/// connection is closed (HTTP/1 cannot skip the rest) and the next request gets its own answer
/// on a new one, never the old answer's tail.
#[tokio::test]
async fn answers_dropped_unread_never_leak_into_the_next_request() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let server = Server::start(false, Duration::ZERO).await;
    let transport = HyperTransport::new().expect("transport");
    let request = |path: &str| {
        http::Request::post(format!("http://127.0.0.1:{}{path}", server.port))
            .body(bytes::Bytes::from_static(b"{}"))
            .expect("request")
    };
    let read = |answer: http::Response<pusher_client::transport::ResponseBody>| async move {
        answer.into_body().collect().await.expect("body").to_bytes()
    };

    let small = transport
        .clone()
        .oneshot(request("/small"))
        .await
        .expect("small");
    // Let the two bytes of the answer arrive before it is dropped.
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(small);
    let next = transport
        .clone()
        .oneshot(request("/next"))
        .await
        .expect("next");
    assert_eq!(&read(next).await[..], b"{}");
    assert_eq!(
        server.accepted(),
        1,
        "a whole answer dropped unread keeps its connection"
    );

    let big = transport
        .clone()
        .oneshot(request("/big"))
        .await
        .expect("big");
    drop(big);
    let next = transport
        .clone()
        .oneshot(request("/next"))
        .await
        .expect("next");
    assert_eq!(&read(next).await[..], b"{}");
    assert_eq!(
        server.accepted(),
        2,
        "a cut answer takes its connection with it"
    );
}
