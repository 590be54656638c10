//! Which transport the tests' clients use, so the same wire tests prove every built-in one.
//!
//! Unset (or `hyper`), `PUSHER_TEST_TRANSPORT` leaves the default transport
//! (`pusher_client::transport::HyperTransport`); `reqwest` makes
//! [`FakePusher::client_builder`](crate::FakePusher::client_builder) and [`with_test_transport`]
//! use `pusher_client::transport::ReqwestTransport` (this crate turns on pusher-client's
//! `reqwest` feature). Any other value panics rather than silently testing the default again.

use pusher_client::PusherBuilder;

/// The transport the environment asks for: `"hyper"` (the default) or `"reqwest"`.
///
/// # Panics
/// On any other value.
pub fn test_transport() -> &'static str {
    match std::env::var("PUSHER_TEST_TRANSPORT").ok().as_deref() {
        None | Some("") | Some("hyper") => "hyper",
        Some("reqwest") => "reqwest",
        Some(other) => panic!("PUSHER_TEST_TRANSPORT={other:?}: expected hyper or reqwest"),
    }
}

/// `builder` with the transport [`test_transport`] names.
///
/// # Panics
/// As [`test_transport`].
pub fn with_test_transport(builder: PusherBuilder) -> PusherBuilder {
    match test_transport() {
        // No proxy variables: the wire tests talk to loopback servers directly.
        "reqwest" => builder.transport(pusher_client::transport::ReqwestTransport::new(
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap_or_else(|e| panic!("reqwest client: {e}")),
        )),
        _ => builder,
    }
}

/// `Pusher::builder(app_id, key, secret)` on the transport the tests run with
/// ([`with_test_transport`]).
///
/// # Panics
/// As [`with_test_transport`].
pub fn test_builder(
    app_id: impl Into<String>,
    key: impl Into<String>,
    secret: impl Into<String>,
) -> PusherBuilder {
    with_test_transport(pusher_client::Pusher::builder(app_id, key, secret))
}
