//! Proxies, over the transport the suite runs with (`PUSHER_TEST_TRANSPORT`): requests go to
//! the proxy in absolute form, still correctly signed, with the proxy's credentials; `https://`
//! hosts through a `CONNECT` tunnel; and the `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`
//! variables, read when the client is built, with the same precedence on both transports
//! (checked in a child process, since the environment is the process's).

use std::process::Command;

use pusher_client::transport::HyperTransport;
use pusher_client::{Pusher, PusherBuilder, RetryPolicy};
use pusher_tests::faults::FaultServer;
use pusher_tests::{FakePusher, test_transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// `builder` sending everything through `proxy`, on the suite's transport: the builder's own
/// setting for the default transport, a `reqwest::Proxy::all` for reqwest.
fn through(builder: PusherBuilder, proxy: &str) -> PusherBuilder {
    match test_transport() {
        "reqwest" => builder.http_client(
            reqwest::Client::builder()
                .proxy(reqwest::Proxy::all(proxy).expect("proxy URL"))
                .build()
                .expect("reqwest"),
        ),
        _ => builder.proxy(proxy),
    }
}

/// `builder` with no proxy at all, whatever the environment says.
fn direct(builder: PusherBuilder) -> PusherBuilder {
    match test_transport() {
        "reqwest" => builder.http_client(
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("reqwest"),
        ),
        _ => builder.transport(HyperTransport::builder().no_proxy().build().expect("hyper")),
    }
}

fn client_of(server: &FakePusher, host: &str, port: u16) -> PusherBuilder {
    Pusher::builder(server.app_id(), server.key(), server.secret())
        .host(host)
        .port(port)
        .tls(false)
        .retry(RetryPolicy::none())
}

/// The fake server stands in for a forward proxy: the client is configured for a port where
/// nothing listens, so the request can only arrive if it was sent through the proxy.
#[tokio::test]
async fn requests_go_through_the_configured_proxy() {
    let server = FakePusher::start().await;
    let dead = FaultServer::refusing_port().await;
    let proxy = format!("http://proxy-user:proxy%20pass@127.0.0.1:{}", server.port());
    let pusher = through(client_of(&server, "127.0.0.1", dead), &proxy)
        .build()
        .expect("client");
    pusher
        .trigger("orders", "created", "{}")
        .await
        .expect("trigger through the proxy");
    let request = server
        .last_request()
        .expect("the proxy received the request");
    assert!(request.authenticated(), "{:?}", request.refusal);
    assert_eq!(request.path_segments, ["apps", "4242", "events"]);
    assert_eq!(
        request.header("host"),
        Some(format!("127.0.0.1:{dead}").as_str()),
        "the proxy is asked for the configured host"
    );
    // "proxy-user:proxy pass", percent-decoded, in Basic.
    assert_eq!(
        request.header("proxy-authorization"),
        Some("Basic cHJveHktdXNlcjpwcm94eSBwYXNz"),
        "{:?}",
        request.headers
    );
}

/// Without the proxy the same client cannot reach the host at all: the test above is not
/// passing by accident.
#[tokio::test]
async fn without_the_proxy_the_host_is_unreachable() {
    let server = FakePusher::start().await;
    let dead = FaultServer::refusing_port().await;
    let pusher = direct(client_of(&server, "127.0.0.1", dead))
        .build()
        .expect("client");
    let error = pusher.trigger("orders", "created", "{}").await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert_eq!(server.request_count(), 0);
}

/// An `https://` host through an HTTP proxy: one `CONNECT host:443` with the proxy's
/// credentials, then TLS inside the tunnel (here the "proxy" hangs up after saying yes, so the
/// handshake fails: a connect error, nothing sent).
#[tokio::test]
async fn https_hosts_go_through_a_connect_tunnel() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .expect("write");
        String::from_utf8_lossy(&head).into_owned()
    });
    let pusher = through(
        Pusher::builder("1", "key", "secret")
            .host("api-mt1.pusher.com")
            .retry(RetryPolicy::none()),
        &format!("http://u:p@127.0.0.1:{port}"),
    )
    .build()
    .expect("client");
    let error = pusher.trigger("c", "e", "d").await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    let head = seen.await.expect("proxy task").to_ascii_lowercase();
    assert!(
        head.starts_with("connect api-mt1.pusher.com:443 http/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("proxy-authorization: basic dtpw\r\n"),
        "{head}"
    );
    assert!(
        !head.contains("auth_signature"),
        "nothing of the request goes to the proxy in clear: {head}"
    );
}

/// `builder.proxy()` with a proxy the default transport cannot use is refused at build.
#[test]
fn unsupported_proxies_are_refused_at_build() {
    let error = Pusher::builder("1", "key", "secret")
        .proxy("socks5://127.0.0.1:1080")
        .build()
        .unwrap_err();
    assert!(
        matches!(
            error,
            pusher_client::Error::Config(pusher_client::ConfigError::Unsupported {
                option: "proxy",
                ..
            })
        ),
        "{error:?}"
    );
}

/// The environment's proxies, case by case: each runs in a child process (this test binary,
/// `env_child` below) with its own variables, against a proxy started here.
#[tokio::test]
async fn proxy_variables_apply_with_the_same_precedence_on_every_transport() {
    struct Case {
        name: &'static str,
        vars: Vec<(&'static str, String)>,
        /// Which of the two proxies gets the request (`None`: neither; the host is dead).
        expect: Option<usize>,
        builder_proxy: bool,
    }
    let proxies = [FakePusher::start().await, FakePusher::start().await];
    let url = |i: usize| format!("http://127.0.0.1:{}", proxies[i].port());
    let cases = [
        Case {
            name: "HTTP_PROXY is used for an http:// host",
            vars: vec![("HTTP_PROXY", url(0))],
            expect: Some(0),
            builder_proxy: false,
        },
        Case {
            name: "lower-case http_proxy too",
            vars: vec![("http_proxy", url(0))],
            expect: Some(0),
            builder_proxy: false,
        },
        Case {
            name: "ALL_PROXY covers both schemes",
            vars: vec![("ALL_PROXY", url(1))],
            expect: Some(1),
            builder_proxy: false,
        },
        Case {
            name: "HTTPS_PROXY is not used for an http:// host",
            vars: vec![("HTTPS_PROXY", url(0))],
            expect: None,
            builder_proxy: false,
        },
        Case {
            name: "NO_PROXY excludes the host",
            vars: vec![("HTTP_PROXY", url(0)), ("NO_PROXY", "127.0.0.1".into())],
            expect: None,
            builder_proxy: false,
        },
        Case {
            name: "the builder's proxy wins over HTTP_PROXY",
            vars: vec![("HTTP_PROXY", url(0))],
            expect: Some(1),
            builder_proxy: true,
        },
    ];
    let dead = FaultServer::refusing_port().await;
    for case in cases {
        for proxy in &proxies {
            proxy.clear_recordings();
        }
        let mut child = Command::new(std::env::current_exe().expect("test binary"));
        child
            .args(["--exact", "env_child", "--ignored", "--nocapture"])
            .env("PUSHER_PROXY_CHILD_PORT", dead.to_string())
            .env("PUSHER_PROXY_CHILD_BUILDER", url(1))
            .env(
                "PUSHER_PROXY_CHILD_MODE",
                if case.builder_proxy { "builder" } else { "env" },
            )
            .env(
                "PUSHER_PROXY_CHILD_SENT",
                if case.expect.is_some() { "1" } else { "0" },
            );
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "REQUEST_METHOD",
        ] {
            child.env_remove(var);
        }
        for (name, value) in &case.vars {
            child.env(name, value);
        }
        let output = tokio::task::spawn_blocking(move || child.output())
            .await
            .expect("join")
            .expect("run the child");
        assert!(
            output.status.success(),
            "{} ({}): child failed:\n{}{}",
            case.name,
            test_transport(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let counts = [proxies[0].request_count(), proxies[1].request_count()];
        let expected = match case.expect {
            Some(0) => [1, 0],
            Some(_) => [0, 1],
            None => [0, 0],
        };
        assert_eq!(counts, expected, "{} ({})", case.name, test_transport());
    }
}

/// The child of the test above (ignored unless run by it): builds a client for
/// `127.0.0.1:<dead port>` after the variables were set, triggers once, and checks whether it
/// was delivered (through a proxy) or refused (sent directly to the dead port).
#[tokio::test]
#[ignore = "run by proxy_variables_apply_with_the_same_precedence_on_every_transport"]
async fn env_child() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"));
    let port: u16 = var("PUSHER_PROXY_CHILD_PORT").parse().expect("port");
    let builder = Pusher::builder("4242", "key", "secret")
        .host("127.0.0.1")
        .port(port)
        .tls(false)
        .retry(RetryPolicy::none());
    let builder = if var("PUSHER_PROXY_CHILD_MODE") == "builder" {
        through(builder, &var("PUSHER_PROXY_CHILD_BUILDER"))
    } else {
        // The transport built here reads the variables, as an app's would: the default one,
        // or a reqwest::Client with its defaults.
        match test_transport() {
            "reqwest" => builder.http_client(reqwest::Client::new()),
            _ => builder,
        }
    };
    let result = builder
        .build()
        .expect("client")
        .trigger("c", "e", "d")
        .await;
    // The proxies are FakePushers expecting app 4242 with their own key and secret: a request
    // that reached one is recorded (and refused there as unauthenticated), which is all the
    // parent counts. One that went directly to the dead port fails to connect.
    match var("PUSHER_PROXY_CHILD_SENT").as_str() {
        "1" => assert!(
            !matches!(&result, Err(e) if e.is_connect()),
            "expected to reach a proxy: {result:?}"
        ),
        _ => assert!(
            matches!(&result, Err(e) if e.is_connect()),
            "expected a direct, refused connection: {result:?}"
        ),
    }
}
