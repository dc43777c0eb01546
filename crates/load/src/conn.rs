//! Connections to the target: address resolution, TCP connect with timing, TLS (rustls with the
//! `ring` provider, Mozilla's roots from webpki-roots, ALPN), and the classification of
//! transport failures into the error classes of the result record.

use rustls::pki_types::{CertificateDer, ServerName};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// Connection refused.
    Refused,
    /// No response within the timeout (or connect timeout), or still in flight when the run's
    /// deadline passed.
    Timeout,
    /// Connection reset, closed early, or broken pipe.
    Reset,
    /// TLS handshake or record failure.
    Tls,
    /// Malformed or unexpected HTTP, including a status outside the classes HTTP defines
    /// (below 100 or above 599, such as 999).
    Protocol,
    /// A 4xx status (or any status outside `ok_status`, below 500).
    Http4xx,
    /// A 5xx status.
    Http5xx,
    /// Anything else (address unavailable, DNS, …).
    Other,
}

impl ErrorClass {
    /// All classes, in record order.
    pub const ALL: [ErrorClass; 8] = [
        ErrorClass::Refused,
        ErrorClass::Timeout,
        ErrorClass::Reset,
        ErrorClass::Tls,
        ErrorClass::Protocol,
        ErrorClass::Http4xx,
        ErrorClass::Http5xx,
        ErrorClass::Other,
    ];

    /// Name in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Refused => "refused",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Reset => "reset",
            ErrorClass::Tls => "tls",
            ErrorClass::Protocol => "protocol",
            ErrorClass::Http4xx => "http_4xx",
            ErrorClass::Http5xx => "http_5xx",
            ErrorClass::Other => "other",
        }
    }

    /// The failure class of a response with `status`, or `None` when it counts as a success:
    /// a status in `ok` when the scenario lists them, else 100 to 399. A status outside the
    /// classes HTTP defines (999) is kept as it is in the record and classified as protocol.
    pub fn of_status(status: u16, ok: Option<&[u16]>) -> Option<ErrorClass> {
        let success = match ok {
            Some(list) => list.contains(&status),
            None => (100..400).contains(&status),
        };
        (!success).then_some(match status {
            100..=499 => ErrorClass::Http4xx,
            500..=599 => ErrorClass::Http5xx,
            _ => ErrorClass::Protocol,
        })
    }

    /// Classifies an I/O error.
    pub fn of_io(e: &io::Error) -> ErrorClass {
        use io::ErrorKind::*;
        match e.kind() {
            ConnectionRefused => ErrorClass::Refused,
            TimedOut => ErrorClass::Timeout,
            ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected => {
                ErrorClass::Reset
            }
            InvalidData
                if e.get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                ErrorClass::Tls
            }
            _ => ErrorClass::Other,
        }
    }
}

/// A resolved origin.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `scheme://host:port`.
    pub origin: String,
    /// Host header value.
    pub authority: String,
    /// TLS?
    pub tls: bool,
    /// Resolved addresses (tried in order).
    pub addrs: Vec<SocketAddr>,
    /// SNI name.
    pub server_name: ServerName<'static>,
}

impl Endpoint {
    /// Resolves `uri`'s host (blocking DNS, done once before the run).
    pub fn resolve(uri: &http::Uri) -> io::Result<Endpoint> {
        let tls = uri.scheme_str() == Some("https");
        let host = uri
            .host()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        use std::net::ToSocketAddrs;
        let addrs: Vec<_> = (host.as_str(), port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no address for {host}"),
            ));
        }
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .unwrap_or_else(|| host.clone());
        let server_name = ServerName::try_from(host.clone())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        Ok(Endpoint {
            origin: format!("{}://{}", if tls { "https" } else { "http" }, authority),
            authority,
            tls,
            addrs,
            server_name,
        })
    }
}

/// Builds the TLS client configuration.
pub fn tls_config(
    insecure: bool,
    alpn: &[&[u8]],
    extra_roots: &[Vec<u8>],
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for der in extra_roots {
            let _ = roots.add(CertificateDer::from(der.clone()));
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// Accepts any server certificate (`insecure: true`), still checking handshake signatures.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A plain or TLS stream.
pub enum Stream {
    /// Cleartext TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// How long establishing a connection took.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnectTiming {
    /// TCP handshake.
    pub connect: Duration,
    /// TLS handshake, when TLS.
    pub tls: Option<Duration>,
}

/// A connection attempt failed.
#[derive(Debug)]
pub struct ConnectError {
    /// Classified.
    pub class: ErrorClass,
    /// Underlying error.
    pub error: io::Error,
}

/// Opens a connection (TCP_NODELAY) and, for https, performs the TLS handshake.
/// Returns the stream, its timing and whether ALPN chose h2.
pub async fn connect(
    ep: &Endpoint,
    tls: Option<&TlsConnector>,
) -> Result<(Stream, ConnectTiming, bool), ConnectError> {
    let t0 = Instant::now();
    let mut last = None;
    let mut tcp = None;
    for addr in &ep.addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = match tcp {
        Some(s) => s,
        None => {
            let error = last.unwrap_or_else(|| io::Error::other("no address"));
            return Err(ConnectError {
                class: ErrorClass::of_io(&error),
                error,
            });
        }
    };
    let _ = tcp.set_nodelay(true);
    let connect = t0.elapsed();
    if !ep.tls {
        return Ok((
            Stream::Plain(tcp),
            ConnectTiming { connect, tls: None },
            false,
        ));
    }
    let connector = tls.expect("https endpoints get a TLS connector");
    let t1 = Instant::now();
    match connector.connect(ep.server_name.clone(), tcp).await {
        Ok(s) => {
            let h2 = s.get_ref().1.alpn_protocol() == Some(b"h2");
            Ok((
                Stream::Tls(Box::new(s)),
                ConnectTiming {
                    connect,
                    tls: Some(t1.elapsed()),
                },
                h2,
            ))
        }
        Err(error) => {
            let class = match ErrorClass::of_io(&error) {
                ErrorClass::Other => ErrorClass::Tls,
                c => c,
            };
            Err(ConnectError { class, error })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_by_their_class() {
        assert_eq!(ErrorClass::of_status(200, None), None);
        assert_eq!(ErrorClass::of_status(302, None), None);
        assert_eq!(ErrorClass::of_status(404, None), Some(ErrorClass::Http4xx));
        assert_eq!(ErrorClass::of_status(503, None), Some(ErrorClass::Http5xx));
        assert_eq!(ErrorClass::of_status(999, None), Some(ErrorClass::Protocol));
        assert_eq!(ErrorClass::of_status(42, None), Some(ErrorClass::Protocol));
        assert_eq!(ErrorClass::of_status(999, Some(&[999])), None);
        // outside `ok_status` and below 500: the 4xx class, as documented
        assert_eq!(
            ErrorClass::of_status(200, Some(&[204])),
            Some(ErrorClass::Http4xx)
        );
    }
}
