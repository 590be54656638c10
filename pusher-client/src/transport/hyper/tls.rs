//! TLS for `https://` hosts, by feature: rustls (crypto from *ring*, or aws-lc-rs with the
//! `aws-lc-rs` feature; certificates checked by the platform's verifier) or the platform's
//! own library (`native-tls`, chosen when both are on). Both offer only HTTP/1.1 in ALPN.

use tokio::net::TcpStream;

use super::connect::Stream;
use crate::error::ConfigError;
use crate::transport::SendError;

/// The TLS connector of a transport; `None` when the crate was built without a TLS feature.
pub(crate) enum Tls {
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    Rustls(tokio_rustls::TlsConnector),
    #[cfg(feature = "native-tls")]
    NativeTls(tokio_native_tls::TlsConnector),
}

/// Whether this build can open `https://` connections at all (any TLS feature on).
pub(crate) const HAS_TLS: bool = cfg!(any(
    feature = "rustls",
    feature = "aws-lc-rs",
    feature = "native-tls"
));

/// The TLS stack this build uses, for messages and `Debug`.
pub(crate) const BACKEND: &str = if cfg!(feature = "native-tls") {
    "native-tls"
} else if cfg!(feature = "aws-lc-rs") {
    "rustls (aws-lc-rs)"
} else if cfg!(feature = "rustls") {
    "rustls (ring)"
} else {
    "none"
};

impl Tls {
    /// The connector of this build's TLS feature.
    pub(crate) fn new() -> Result<Option<Tls>, ConfigError> {
        #[cfg(feature = "native-tls")]
        {
            let connector = native_tls::TlsConnector::builder()
                .build()
                .map_err(|e| setup_failed(&e))?;
            Ok(Some(Tls::NativeTls(connector.into())))
        }
        #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
        {
            use rustls_platform_verifier::BuilderVerifierExt;
            #[cfg(feature = "aws-lc-rs")]
            let provider = rustls::crypto::aws_lc_rs::default_provider();
            #[cfg(not(feature = "aws-lc-rs"))]
            let provider = rustls::crypto::ring::default_provider();
            let mut config = rustls::ClientConfig::builder_with_provider(provider.into())
                .with_safe_default_protocol_versions()
                .map_err(|e| setup_failed(&e))?
                .with_platform_verifier()
                .map_err(|e| setup_failed(&e))?
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(Some(Tls::Rustls(std::sync::Arc::new(config).into())))
        }
        #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
        {
            Ok(None)
        }
    }

    /// The TLS handshake with `host` over `tcp`. A failure here means nothing was sent.
    #[allow(unused_variables, clippy::unused_async)]
    pub(super) async fn connect(&self, host: &str, tcp: TcpStream) -> Result<Stream, SendError> {
        // `[::1]` in a URI is `::1` to TLS.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match *self {
            #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
            Tls::Rustls(ref connector) => {
                let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                    .map_err(|e| SendError::never_sent(format!("TLS: {host:?}: {e}")))?;
                let stream = connector
                    .connect(name, tcp)
                    .await
                    .map_err(SendError::never_sent)?;
                Ok(Stream::Rustls(Box::new(stream)))
            }
            #[cfg(feature = "native-tls")]
            Tls::NativeTls(ref connector) => {
                let stream = connector
                    .connect(host, tcp)
                    .await
                    .map_err(SendError::never_sent)?;
                Ok(Stream::NativeTls(Box::new(stream)))
            }
        }
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn setup_failed(e: &dyn std::fmt::Display) -> ConfigError {
    ConfigError::HttpClient {
        reason: format!("TLS setup ({BACKEND}) failed: {e}"),
    }
}
