//! HTTP/2 cleartext, TLS with ALPN, multi-threaded runtimes and foreground `serve`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{StatusCode, Version};
use perfhive_testbed::{serve, spawn, TargetError, TargetOptions};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::support::{bounded, Client};

#[tokio::test]
async fn h2c_prior_knowledge_on_the_same_port() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut h2 = Client::h2c(target.addr).await;
        let fast = h2.get("/fast").await;
        assert_eq!(
            (fast.status, fast.version, fast.text()),
            (StatusCode::OK, Version::HTTP_2, "ok")
        );
        assert_eq!(h2.get("/chunked?n=5000&chunks=5").await.body.len(), 5000);
        assert_eq!(h2.post("/echo", b"over h2").await.text(), "over h2");

        // Concurrent streams on one connection: ten 200 ms sleeps finish together.
        let Client::H2(sender) = h2 else {
            unreachable!()
        };
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let mut c = Client::H2(sender.clone());
            tasks.push(tokio::spawn(
                async move { c.get("/slow?ms=200").await.status },
            ));
        }
        for task in tasks {
            assert_eq!(task.await.expect("join"), StatusCode::OK);
        }
        assert!(
            t.elapsed() < Duration::from_millis(1500),
            "{:?}",
            t.elapsed()
        );

        // HTTP/1.1 still works on the same port.
        let mut h1 = Client::h1(target.addr).await;
        assert_eq!(h1.get("/fast").await.version, Version::HTTP_11);
    })
    .await;
}

fn tls_connector(cert: Vec<u8>, alpn: &[u8]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert))
        .expect("add self-signed root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn tls_serves_h2_and_http1_via_alpn() {
    let target = spawn(TargetOptions {
        tls: true,
        ..TargetOptions::default()
    })
    .expect("spawn");
    assert!(target.base_url().starts_with("https://127.0.0.1:"));
    let cert = target.cert_der().expect("certificate");
    bounded(10, async {
        for (alpn, name) in [(&b"h2"[..], "localhost"), (&b"http/1.1"[..], "127.0.0.1")] {
            let tcp = TcpStream::connect(target.addr).await.expect("connect");
            let server_name = ServerName::try_from(name.to_owned()).expect("server name");
            let tls = tls_connector(cert.clone(), alpn)
                .connect(server_name, tcp)
                .await
                .expect("TLS handshake trusting cert_der");
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
            let mut c = if alpn == b"h2" {
                Client::h2_over(tls).await
            } else {
                Client::h1_over(tls).await
            };
            let fast = c.get("/fast").await;
            assert_eq!((fast.status, fast.text()), (StatusCode::OK, "ok"));
            let expected = if alpn == b"h2" {
                Version::HTTP_2
            } else {
                Version::HTTP_11
            };
            assert_eq!(fast.version, expected);
        }
    })
    .await;
}

#[tokio::test]
async fn multi_threaded_runtime() {
    let target = spawn(TargetOptions {
        threads: 4,
        ..TargetOptions::default()
    })
    .expect("spawn");
    bounded(10, async {
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let addr = target.addr;
            tasks.push(tokio::spawn(async move {
                let mut c = Client::h1(addr).await;
                for _ in 0..20 {
                    assert_eq!(c.get("/fast").await.status, StatusCode::OK);
                }
            }));
        }
        for task in tasks {
            task.await.expect("join");
        }
    })
    .await;
    let t = Instant::now();
    target.shutdown();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[tokio::test]
async fn serve_runs_on_the_callers_runtime_until_shutdown() {
    bounded(10, async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, TargetOptions::default(), async move {
            let _ = stopped.await;
        }));
        let mut c = Client::h1(addr).await;
        assert_eq!(c.get("/fast").await.text(), "ok");
        stop.send(()).expect("server alive");
        server.await.expect("join").expect("serve ok");
        assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
    })
    .await;
}

#[test]
fn invalid_options_are_rejected() {
    let stall_too_long = TargetOptions {
        stall_every: Some(Duration::from_millis(100)),
        stall_for: Duration::from_millis(100),
        ..TargetOptions::default()
    };
    assert!(matches!(
        spawn(stall_too_long),
        Err(TargetError::InvalidOptions(_))
    ));
    let bad_rate = TargetOptions {
        error_rate: 1.5,
        ..TargetOptions::default()
    };
    assert!(matches!(
        spawn(bad_rate),
        Err(TargetError::InvalidOptions(_))
    ));

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = TargetOptions {
        bind: taken.local_addr().expect("addr"),
        ..TargetOptions::default()
    };
    let err = spawn(busy).expect_err("address in use");
    assert!(matches!(err, TargetError::Bind { .. }), "{err}");
}
