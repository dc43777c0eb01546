//! HTTPS for the testbed: a throw-away self-signed certificate and a rustls acceptor.
//!
//! The certificate (rcgen, ECDSA P-256) names `localhost` and `127.0.0.1`; clients trust it by
//! adding its DER bytes ([`crate::RunningTarget::cert_der`]) to their root store. ALPN offers `h2`
//! and `http/1.1` (RFC 7301); the connection builder also detects HTTP/2 by its preface, so either
//! negotiation result works. The ring provider is passed explicitly rather than relying on a
//! process-wide default, so feature unification elsewhere in the build cannot make it ambiguous.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::TargetError;

/// A TLS acceptor together with the DER bytes of its certificate.
pub(crate) struct TlsSetup {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) cert_der: Vec<u8>,
}

impl TlsSetup {
    /// Generates a fresh self-signed certificate for `localhost` / `127.0.0.1`.
    pub(crate) fn self_signed() -> Result<Self, TargetError> {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .map_err(TargetError::Certificate)?;
        let cert: CertificateDer<'static> = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TargetError::Tls)?
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .map_err(TargetError::Tls)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            cert_der: cert.as_ref().to_vec(),
        })
    }
}
