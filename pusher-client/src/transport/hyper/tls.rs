//! TLS for `https://` hosts, by feature: rustls (crypto from *ring*, or aws-lc-rs with the
//! `aws-lc-rs` feature; certificates checked by the platform's verifier) or the platform's
//! own library (`native-tls`, chosen when both are on). Both offer only HTTP/1.1 in ALPN, and
//! both trust the roots of [`Certificate`](super::Certificate)s on top of the platform's.

use rustls_pki_types::CertificateDer;
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
    /// The connector of this build's TLS feature, trusting `extra_roots` besides the platform's
    /// roots (without a TLS feature there is nothing to trust them for: they are ignored).
    #[allow(unused_variables)]
    pub(crate) fn new(extra_roots: &[CertificateDer<'static>]) -> Result<Option<Tls>, ConfigError> {
        #[cfg(feature = "native-tls")]
        {
            let mut builder = native_tls::TlsConnector::builder();
            for der in extra_roots {
                let root = native_tls::Certificate::from_der(der).map_err(|e| bad_root(&e))?;
                builder.add_root_certificate(root);
            }
            let connector = builder.build().map_err(|e| setup_failed(&e))?;
            Ok(Some(Tls::NativeTls(connector.into())))
        }
        #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
        {
            use std::sync::Arc;
            #[cfg(feature = "aws-lc-rs")]
            let provider = rustls::crypto::aws_lc_rs::default_provider();
            #[cfg(not(feature = "aws-lc-rs"))]
            let provider = rustls::crypto::ring::default_provider();
            let provider = Arc::new(provider);
            let verifier = platform_verifier(extra_roots, Arc::clone(&provider))?;
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| setup_failed(&e))?
                .dangerous()
                // The platform's verifier, as `with_platform_verifier()` installs it, made with
                // the extra roots: not a verifier of ours.
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(Some(Tls::Rustls(Arc::new(config).into())))
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
                    .map_err(rustls_handshake_failed)?;
                Ok(Stream::Rustls(Box::new(stream)))
            }
            #[cfg(feature = "native-tls")]
            Tls::NativeTls(ref connector) => {
                let stream = connector.connect(host, tcp).await.map_err(|e| {
                    // The platform libraries' errors have no portable "certificate refused"
                    // kind; each says "certificate" in its message (OpenSSL's "certificate
                    // verify failed", SChannel's and Secure Transport's alike).
                    let refused_certificate = e.to_string().to_lowercase().contains("certificate");
                    if refused_certificate {
                        SendError::never_sent(format!("TLS: {e}{ROOT_HINT}"))
                    } else {
                        SendError::never_sent(e)
                    }
                })?;
                Ok(Stream::NativeTls(Box::new(stream)))
            }
        }
    }
}

/// Added to a refused certificate's message: self-hosted servers often have a private CA.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
const ROOT_HINT: &str = " (for a server whose certificate comes from a private CA or is \
                         self-signed, trust its root with add_root_certificate)";

/// A refused certificate says how to trust it ([`ROOT_HINT`]).
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
fn rustls_handshake_failed(e: std::io::Error) -> SendError {
    let refused_certificate = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)));
    if refused_certificate {
        SendError::never_sent(format!("TLS: {e}{ROOT_HINT}"))
    } else {
        SendError::never_sent(e)
    }
}

/// rustls-platform-verifier's verifier: the platform's roots plus `extra_roots`.
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
fn platform_verifier(
    extra_roots: &[CertificateDer<'static>],
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, ConfigError> {
    use rustls_platform_verifier::Verifier;
    // Android's verifier takes no extra roots (the system's trust store decides there).
    #[cfg(target_os = "android")]
    {
        if !extra_roots.is_empty() {
            return Err(ConfigError::Unsupported {
                option: "add_root_certificate",
                transport: "the default transport (HyperTransport)",
                reason: "rustls-platform-verifier cannot add roots on Android; install the CA in the system's trust store, or use the native-tls feature".into(),
            });
        }
        Verifier::new(provider).map_err(|e| setup_failed(&e))
    }
    #[cfg(not(target_os = "android"))]
    {
        Verifier::new_with_extra_roots(extra_roots.iter().cloned(), provider)
            .map_err(|e| setup_failed(&e))
    }
}

/// Whether this build's TLS library can use `der` as a root: the parse it would do when the
/// transport is built, done when the [`Certificate`](super::Certificate) is made. Without a TLS
/// feature there is no parser, and nothing will use it.
#[allow(unused_variables, clippy::unnecessary_wraps)]
pub(super) fn check_root(der: &CertificateDer<'_>) -> Result<(), String> {
    #[cfg(feature = "native-tls")]
    {
        native_tls::Certificate::from_der(der)
            .map(drop)
            .map_err(|e| format!("not a certificate {BACKEND} can read: {e}"))
    }
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    {
        rustls::RootCertStore::empty()
            .add(der.clone())
            .map_err(|e| format!("not a certificate {BACKEND} can use as a root: {e}"))
    }
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    {
        Ok(())
    }
}

#[cfg(feature = "native-tls")]
fn bad_root(e: &dyn std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        field: "root_certificate",
        reason: format!("not a certificate {BACKEND} can read: {e}"),
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn setup_failed(e: &dyn std::fmt::Display) -> ConfigError {
    ConfigError::HttpClient {
        reason: format!("TLS setup ({BACKEND}) failed: {e}"),
    }
}
