//! The HTTP proxy setting: requests go to the proxy, in absolute form, still correctly signed.

use pusher_client::Pusher;
use pusher_tests::FakePusher;

/// The fake server stands in for a forward proxy: the client is configured for a host that does
/// not resolve, so the request can only arrive if it was sent through the proxy.
#[tokio::test]
async fn requests_go_through_the_configured_proxy() {
    let server = FakePusher::start().await;
    let pusher = Pusher::builder(server.app_id(), server.key(), server.secret())
        .host("pusher-api.invalid")
        .tls(false)
        .proxy(server.url())
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
        Some("pusher-api.invalid"),
        "the proxy is asked for the configured host"
    );
}

/// Without the proxy the same client cannot reach the host at all: the test above is not
/// passing by accident.
#[tokio::test]
async fn without_the_proxy_the_host_is_unreachable() {
    let server = FakePusher::start().await;
    let pusher = Pusher::builder(server.app_id(), server.key(), server.secret())
        .host("pusher-api.invalid")
        .tls(false)
        .http_client(reqwest_without_env_proxy())
        .build()
        .expect("client");
    let error = pusher.trigger("orders", "created", "{}").await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert_eq!(server.request_count(), 0);
}

fn reqwest_without_env_proxy() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}
