//! [`Certificate`]: root certificates the default transport trusts besides the platform's, for
//! servers behind a private CA or with a self-signed certificate (a self-hosted sockudo or
//! soketi). PEM is decoded by `rustls-pki-types`; each certificate is checked by the build's
//! TLS library when it is made (`tls::check_root`), so a bad one is refused here rather than
//! at the first request.

use std::fmt;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::{self, PemObject};

use super::tls;
use crate::error::ConfigError;

/// One or more root certificates (CAs, or a server's self-signed certificate) to trust **in
/// addition to** the platform's roots, given to
/// [`HyperTransportBuilder::add_root_certificate`](super::HyperTransportBuilder::add_root_certificate)
/// or [`PusherBuilder::add_root_certificate`](crate::PusherBuilder::add_root_certificate).
///
/// Made from PEM (a bundle of any number of `CERTIFICATE` sections) or from DER. Each
/// certificate is parsed by the TLS library of the build (rustls or native-tls) when it is made,
/// so a bad one is a [`ConfigError`] here; a build without a TLS feature cannot parse them and
/// only checks that there is one. Certificates are public: `Debug` shows how many there are.
///
/// ```no_run
/// use pusher_client::Pusher;
/// use pusher_client::transport::Certificate;
///
/// // The CA that signed your self-hosted server's certificate (PEM, one or more certificates).
/// let ca = Certificate::from_pem(&std::fs::read("/etc/pusher/ca.pem")?)?;
/// let pusher = Pusher::builder("123456", "app-key", "app-secret")
///     .host("sockudo.internal")
///     .add_root_certificate(ca)
///     .build()?;
/// # drop(pusher);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    /// Never empty.
    ders: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not secret, but DER blobs would only bury the rest of a builder's `Debug`.
        f.debug_struct("Certificate")
            .field("count", &self.ders.len())
            .finish()
    }
}

impl Certificate {
    /// Every `CERTIFICATE` section of a PEM bundle (other sections, e.g. a private key, are
    /// skipped). Refused with [`ConfigError::Invalid`] (field `root_certificate`) when the PEM
    /// is malformed, holds no certificate, or one the TLS library cannot parse.
    ///
    /// ```
    /// use pusher_client::ConfigError;
    /// use pusher_client::transport::Certificate;
    ///
    /// let refused = Certificate::from_pem(b"not a certificate").unwrap_err();
    /// assert!(matches!(refused, ConfigError::Invalid { field: "root_certificate", .. }));
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<Certificate, ConfigError> {
        let ders = CertificateDer::pem_slice_iter(pem)
            .map(|der| der.map_err(|e| invalid(pem_problem(&e))))
            .collect::<Result<Vec<_>, _>>()?;
        if ders.is_empty() {
            return Err(invalid(
                "no certificate in the PEM data (expected -----BEGIN CERTIFICATE-----)",
            ));
        }
        Self::checked(ders)
    }

    /// One certificate in DER (binary) form. Refused with [`ConfigError::Invalid`] (field
    /// `root_certificate`) when empty or when the TLS library cannot parse it.
    ///
    /// ```no_run
    /// use pusher_client::transport::{Certificate, HyperTransport};
    ///
    /// let ca = Certificate::from_der(std::fs::read("/etc/pusher/ca.der")?)?;
    /// let transport = HyperTransport::builder().add_root_certificate(ca).build()?;
    /// # drop(transport);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_der(der: impl Into<Vec<u8>>) -> Result<Certificate, ConfigError> {
        let der = der.into();
        if der.is_empty() {
            return Err(invalid("the DER data is empty"));
        }
        Self::checked(vec![CertificateDer::from(der)])
    }

    fn checked(ders: Vec<CertificateDer<'static>>) -> Result<Certificate, ConfigError> {
        for (i, der) in ders.iter().enumerate() {
            tls::check_root(der).map_err(|reason| {
                invalid(if ders.len() == 1 {
                    reason
                } else {
                    format!("certificate {} of {}: {reason}", i + 1, ders.len())
                })
            })?;
        }
        Ok(Certificate { ders })
    }

    /// How many certificates `certificates` hold, for `Debug` (never the certificates).
    pub(crate) fn count_all(certificates: &[Certificate]) -> usize {
        certificates.iter().map(|c| c.ders.len()).sum()
    }

    /// The certificates, in DER.
    pub(super) fn ders(&self) -> &[CertificateDer<'static>] {
        &self.ders
    }
}

fn invalid(reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: "root_certificate",
        reason: reason.into(),
    }
}

/// What is wrong with the PEM, in our words: the parser's own messages quote input lines, and a
/// bundle may hold a private key next to the certificates.
fn pem_problem(e: &pem::Error) -> &'static str {
    match e {
        pem::Error::MissingSectionEnd { .. } => "malformed PEM: a section has no -----END line",
        pem::Error::IllegalSectionStart { .. } => "malformed PEM: a -----BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "malformed PEM: a section is not valid base64",
        _ => "malformed PEM",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<Certificate, ConfigError>) -> String {
        match result {
            Err(ConfigError::Invalid {
                field: "root_certificate",
                reason,
            }) => reason,
            other => panic!("expected Invalid root_certificate, got {other:?}"),
        }
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(reason(Certificate::from_pem(b"")).contains("no certificate"));
        assert!(reason(Certificate::from_pem(b"garbage")).contains("no certificate"));
        assert!(reason(Certificate::from_der(Vec::new())).contains("empty"));
        let unclosed = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
        assert!(reason(Certificate::from_pem(unclosed)).contains("-----END"));
        let not_base64 = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(reason(Certificate::from_pem(not_base64)).contains("base64"));
        let key_only = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(reason(Certificate::from_pem(key_only)).contains("no certificate"));
    }

    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    #[test]
    fn a_certificate_the_tls_library_cannot_parse_is_refused() {
        let not_x509 = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(!reason(Certificate::from_pem(not_x509)).is_empty());
        assert!(!reason(Certificate::from_der(vec![0x30, 0x00])).is_empty());
    }
}
