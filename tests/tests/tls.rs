//! The default transport over TLS, whole exchanges against a loopback server (tokio-rustls)
//! whose certificate is made at test time (rcgen): a CA-signed certificate for `127.0.0.1`, or a
//! self-signed one. Trusting it takes `add_root_certificate` (on `HyperTransportBuilder` or
//! `PusherBuilder`); without it the handshake fails and nothing is sent. Also: a connection cut
//! while the request is read, and answers split across many TLS records.
//!
//! The client side is whichever TLS feature the build picks: rustls with this crate's features
//! (`cargo test -p pusher-tests --test tls`), native-tls under `--workspace --all-features`
//! (`scripts/test`), whose stream takes no vectored writes, so the request goes out through
//! `conn.rs`'s joined head-and-body buffer there.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::BodyExt;
use pusher_client::transport::{Certificate, HyperTransport, ResponseBody, SendErrorKind};
use pusher_client::{ConfigError, Error, Pusher, PusherBuilder, RetryPolicy};
use pusher_tests::verify::{self, Expected};
use pusher_tests::{APP_ID, KEY, SECRET};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use tower::ServiceExt;

/// A server certificate for `127.0.0.1`, and the root a client must trust to accept it.
struct Pki {
    /// PEM of the root: the test CA's certificate, or the server's own self-signed one.
    root_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl Pki {
    /// A test CA, and a certificate for `127.0.0.1` it signed.
    fn ca_signed() -> Pki {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "pusher-tests CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .expect("server params")
            .signed_by(&key, &ca)
            .expect("server certificate");
        Pki {
            root_pem: ca.pem(),
            server: server_config(leaf.der().clone(), &key),
        }
    }

    /// A self-signed certificate for `127.0.0.1`: its own root.
    fn self_signed() -> Pki {
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("certificate");
        Pki {
            root_pem: cert.pem(),
            server: server_config(cert.der().clone(), &key),
        }
    }

    fn root(&self) -> Certificate {
        Certificate::from_pem(self.root_pem.as_bytes()).expect("the test root parses")
    }
}

fn server_config(cert: CertificateDer<'static>, key: &KeyPair) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivatePkcs8KeyDer::from(key.serialize_der()).into();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    Arc::new(config)
}

/// What the server does on each connection, once the handshake is done.
enum Script {
    /// Answers every request with these pieces, each written and flushed on its own (its own
    /// TLS record), with a short pause between them; keeps the connection open.
    Answer(Vec<Vec<u8>>),
    /// Reads this many bytes of the request, then drops the connection.
    CutAfter(usize),
}

/// `200 OK` with `body`, framed by `Content-Length`, in one piece.
fn ok(body: &str) -> Script {
    Script::Answer(vec![
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    ])
}

#[derive(Default)]
struct State {
    /// TCP connections accepted.
    accepted: AtomicUsize,
    /// TLS handshakes that failed (the client refused the certificate).
    failed_handshakes: AtomicUsize,
    /// Every request read whole (or, under `CutAfter`, the part read), in order.
    requests: Mutex<Vec<Vec<u8>>>,
}

/// A TLS server on `127.0.0.1` following one [`Script`] on every connection.
struct TlsServer {
    port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsServer {
    async fn start(pki: &Pki, script: Script) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let acceptor = TlsAcceptor::from(Arc::clone(&pki.server));
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let (acceptor, state, script) =
                    (acceptor.clone(), Arc::clone(&shared), Arc::clone(&script));
                tokio::spawn(async move {
                    match acceptor.accept(tcp).await {
                        Ok(tls) => serve(tls, &state, &script).await,
                        Err(_) => {
                            state.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        TlsServer { port, state, task }
    }

    fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    fn failed_handshakes(&self) -> usize {
        self.state.failed_handshakes.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<Vec<u8>> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// A client of this server over TLS, with the credentials of `pusher_tests`.
    fn client(&self) -> PusherBuilder {
        Pusher::builder(APP_ID, KEY, SECRET)
            .host("127.0.0.1")
            .port(self.port)
            .tls(true)
            .timeout(Duration::from_secs(5))
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    state: &State,
    script: &Script,
) {
    match script {
        Script::CutAfter(n) => {
            let mut part = vec![0u8; *n];
            if tls.read_exact(&mut part).await.is_ok() {
                state.requests.lock().expect("lock").push(part);
            }
            // Dropped with the rest of the request unread: the client's write or read fails.
        }
        Script::Answer(pieces) => {
            let mut buffer = Vec::new();
            while let Some((_, request)) =
                pusher_tests::read_raw_request(&mut tls, &mut buffer).await
            {
                state.requests.lock().expect("lock").push(request);
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 && i < 8 {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    if tls.write_all(piece).await.is_err() || tls.flush().await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// A request as the server read it: the request line, the headers, the body.
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn parse(raw: &[u8]) -> Seen {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a whole head");
        let head = std::str::from_utf8(&raw[..end]).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let request_line = lines.next().expect("request line").to_owned();
        let headers = lines
            .map(|l| {
                let (name, value) = l.split_once(':').expect("a header line");
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        Seen {
            request_line,
            headers,
            body: raw[end + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Asserts `raw` is the signed trigger `{"name":"created","data":"x","channels":["orders"]}`
/// to `127.0.0.1:port`, exactly as it goes over plain HTTP.
fn assert_trigger(raw: &[u8], port: u16) {
    let seen = Seen::parse(raw);
    let (method, rest) = seen.request_line.split_once(' ').expect("method");
    let (target, version) = rest.split_once(' ').expect("target");
    assert_eq!(method, "POST");
    assert_eq!(version, "HTTP/1.1");
    let (path, query) = target.split_once('?').expect("a signed query");
    assert_eq!(path, format!("/apps/{APP_ID}/events"), "origin form");
    assert_eq!(
        seen.header("host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.body,
        br#"{"name":"created","data":"x","channels":["orders"]}"#
    );
    let length = seen.body.len().to_string();
    assert_eq!(seen.header("content-length"), Some(length.as_str()));
    let params = verify::decode_query(query).expect("query");
    let expected = Expected {
        key: KEY,
        secret: SECRET,
        now_unix: now_unix(),
    };
    if let Err(rejection) = verify::verify_request(expected, method, path, &params, &seen.body) {
        panic!("the signed query does not verify: {rejection:?}");
    }
}

#[tokio::test]
async fn a_trigger_reaches_a_server_of_the_added_ca_and_reuses_its_connection() {
    let pki = Pki::ca_signed();
    let server = TlsServer::start(&pki, ok("{}")).await;
    let pusher = Pusher::builder(APP_ID, KEY, SECRET)
        .host("127.0.0.1")
        .port(server.port)
        .transport(
            HyperTransport::builder()
                .no_proxy()
                .add_root_certificate(pki.root())
                .build()
                .expect("transport"),
        )
        .build()
        .expect("client");
    pusher
        .trigger("orders", "created", "x")
        .await
        .expect("first trigger over TLS");
    pusher
        .trigger("orders", "created", "x")
        .await
        .expect("second trigger over TLS");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for raw in &requests {
        assert_trigger(raw, server.port);
    }
    assert_eq!(
        server.accepted(),
        1,
        "the second trigger reused the connection"
    );
    assert_eq!(server.failed_handshakes(), 0);
}

#[tokio::test]
async fn without_the_root_the_handshake_fails_and_nothing_is_sent() {
    let pki = Pki::ca_signed();
    let server = TlsServer::start(&pki, ok("{}")).await;
    let pusher = server
        .client()
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let error = pusher
        .trigger("orders", "created", "x")
        .await
        .expect_err("a certificate of an unknown CA");
    assert!(error.is_connect(), "never sent: {error:?}");
    let message = error.to_string();
    assert!(
        message.to_lowercase().contains("certificate") && message.contains("add_root_certificate"),
        "says why, and what to do: {message}"
    );
    assert!(
        !message.contains(SECRET) && !message.contains("auth_signature"),
        "{message}"
    );
    assert!(server.requests().is_empty());
    // The server learns of the refusal after the client has given up: wait for it.
    for _ in 0..100 {
        if server.failed_handshakes() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.failed_handshakes(), 1, "one handshake, refused");

    // Another CA's root does not help either.
    let other = Pki::ca_signed();
    let error = server
        .client()
        .retry(RetryPolicy::none())
        .add_root_certificate(other.root())
        .build()
        .expect("client")
        .trigger("orders", "created", "x")
        .await
        .expect_err("a certificate of another CA");
    assert!(error.is_connect(), "{error:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn pusher_builder_add_root_certificate_trusts_a_self_signed_server() {
    let pki = Pki::self_signed();
    let server = TlsServer::start(&pki, ok("{}")).await;
    let builder = server.client().add_root_certificate(pki.root());
    let shown = format!("{builder:?}");
    assert!(shown.contains("root_certificates: 1"), "{shown}");
    assert!(!shown.contains(&pki.root_pem[30..60]), "{shown}");
    let pusher = builder.build().expect("client");
    pusher
        .trigger("orders", "created", "x")
        .await
        .expect("trigger over TLS");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_trigger(&requests[0], server.port);
}

#[tokio::test]
async fn pusher_builder_add_root_certificate_is_refused_with_a_custom_transport() {
    let pki = Pki::self_signed();
    let transport = HyperTransport::builder().build().expect("transport");
    let refused = Pusher::builder(APP_ID, KEY, SECRET)
        .add_root_certificate(pki.root())
        .transport(transport)
        .build()
        .expect_err("the root would be ignored");
    match refused {
        Error::Config(ConfigError::Unsupported {
            option, transport, ..
        }) => {
            assert_eq!(option, "add_root_certificate");
            assert_eq!(transport, "a custom transport");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let refused = Pusher::builder(APP_ID, KEY, SECRET)
        .http_client(reqwest::Client::new())
        .add_root_certificate(pki.root())
        .build()
        .expect_err("the root would be ignored");
    assert!(
        matches!(
            refused,
            Error::Config(ConfigError::Unsupported {
                option: "add_root_certificate",
                transport: "your reqwest::Client (http_client)",
                ..
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_connection_cut_while_the_request_is_read_is_not_never_sent() {
    let pki = Pki::ca_signed();
    // A trigger, default retry policy, no idempotency key: lost after part of it was read,
    // it may have been processed, so it is neither called "never sent" nor retried.
    let server = TlsServer::start(&pki, Script::CutAfter(64)).await;
    let pusher = server
        .client()
        .add_root_certificate(pki.root())
        .build()
        .expect("client");
    let error = pusher
        .trigger("orders", "created", "x")
        .await
        .expect_err("the server closed mid-request");
    assert!(!error.is_connect(), "it was sent: {error:?}");
    assert_eq!(server.requests().len(), 1, "not retried");
    assert_eq!(server.accepted(), 1, "not retried");

    // A request far larger than the socket buffers: the write itself fails part-way.
    let server = TlsServer::start(&pki, Script::CutAfter(1024)).await;
    let transport = HyperTransport::builder()
        .no_proxy()
        .add_root_certificate(pki.root())
        .build()
        .expect("transport");
    let request = http::Request::post(server.url("/upload"))
        .body(Bytes::from(vec![b'x'; 8 << 20]))
        .expect("request");
    let error = transport
        .oneshot(request)
        .await
        .expect_err("the server closed mid-request");
    assert_ne!(error.kind(), SendErrorKind::NeverSent, "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_chunked_answer_in_many_tls_records_is_read_whole() {
    let pki = Pki::ca_signed();
    // 2000 presence users: about 30 KB of JSON, more than one TLS record holds (16 KiB),
    // sent as chunks of 1000 bytes, each in its own record, the first few after pauses.
    let users: Vec<String> = (0..2000)
        .map(|i| format!(r#"{{"id":"user-{i}"}}"#))
        .collect();
    let body = format!(r#"{{"users":[{}]}}"#, users.join(","));
    let mut pieces = vec![
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
    ];
    for chunk in body.as_bytes().chunks(1000) {
        let mut piece = format!("{:x}\r\n", chunk.len()).into_bytes();
        piece.extend_from_slice(chunk);
        piece.extend_from_slice(b"\r\n");
        // A chunk's size line and data split across two records too.
        let (size_line, rest) = piece.split_at(3);
        pieces.push(size_line.to_vec());
        pieces.push(rest.to_vec());
    }
    pieces.push(b"0\r\n\r\n".to_vec());
    let server = TlsServer::start(&pki, Script::Answer(pieces)).await;
    let pusher = server
        .client()
        .add_root_certificate(pki.root())
        .build()
        .expect("client");
    let answer = pusher
        .users("presence-room")
        .await
        .expect("the whole answer");
    assert_eq!(answer.users.len(), 2000);
    assert_eq!(answer.users[1999].id, "user-1999");

    // The same bytes through the transport alone: exactly the body sent, and the connection
    // (its answer read to the end) is used again.
    let transport = HyperTransport::builder()
        .no_proxy()
        .add_root_certificate(pki.root())
        .build()
        .expect("transport");
    for _ in 0..2 {
        let request = http::Request::get(server.url("/anything"))
            .body(Bytes::new())
            .expect("request");
        let answer: http::Response<ResponseBody> =
            transport.clone().oneshot(request).await.expect("answer");
        assert_eq!(answer.status(), 200);
        let whole = answer.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(whole, body.as_bytes());
    }
    assert_eq!(server.accepted(), 2, "one connection per client");
}

#[test]
fn certificate_from_garbage_is_a_typed_error() {
    for input in [&b""[..], b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n"] {
        match Certificate::from_pem(input) {
            Err(ConfigError::Invalid {
                field: "root_certificate",
                ..
            }) => {}
            other => panic!("{input:?}: expected Invalid root_certificate, got {other:?}"),
        }
    }
    assert!(matches!(
        Certificate::from_der(b"not DER".to_vec()),
        Err(ConfigError::Invalid {
            field: "root_certificate",
            ..
        })
    ));
    // A bundle of two: both are trusted, and Debug counts them.
    let bundle = format!(
        "{}{}",
        Pki::self_signed().root_pem,
        Pki::ca_signed().root_pem
    );
    let certificate = Certificate::from_pem(bundle.as_bytes()).expect("two certificates");
    assert_eq!(format!("{certificate:?}"), "Certificate { count: 2 }");
    let builder = HyperTransport::builder()
        .add_root_certificate(certificate)
        .add_root_certificate(Pki::self_signed().root());
    let shown = format!("{builder:?}");
    assert!(shown.contains("root_certificates: 3"), "{shown}");
    builder.build().expect("a transport trusting all three");
}
