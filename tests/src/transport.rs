//! Which transport the tests' clients use, so the same wire tests prove every transport.
//!
//! `PUSHER_TEST_TRANSPORT=hyper` (with this crate's `hyper` feature) makes
//! [`FakePusher::client_builder`](crate::FakePusher::client_builder) and [`with_test_transport`]
//! use `pusher_client::transport::HyperTransport`; unset or `reqwest`, the default transport.
//! Asking for hyper without the feature panics rather than silently testing reqwest again.

use pusher_client::PusherBuilder;

/// The transport the environment asks for: `"reqwest"` (default) or `"hyper"`.
///
/// # Panics
/// On any other value, or `hyper` without the `hyper` feature.
pub fn test_transport() -> &'static str {
    match std::env::var("PUSHER_TEST_TRANSPORT").ok().as_deref() {
        None | Some("") | Some("reqwest") => "reqwest",
        Some("hyper") if cfg!(feature = "hyper") => "hyper",
        Some("hyper") => panic!("PUSHER_TEST_TRANSPORT=hyper needs `--features hyper`"),
        Some(other) => panic!("PUSHER_TEST_TRANSPORT={other:?}: expected reqwest or hyper"),
    }
}

/// `builder` with the transport [`test_transport`] names.
///
/// # Panics
/// As [`test_transport`], or if the hyper transport cannot be built.
pub fn with_test_transport(builder: PusherBuilder) -> PusherBuilder {
    match test_transport() {
        #[cfg(feature = "hyper")]
        "hyper" => builder.transport(
            pusher_client::transport::HyperTransport::new()
                .unwrap_or_else(|e| panic!("hyper transport: {e}")),
        ),
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
