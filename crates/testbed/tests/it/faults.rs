//! Injected faults: connection resets, hangs, and stalls (coordinated-omission scenarios).

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use perfhive_testbed::{spawn, TargetOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{bounded, Client};

#[tokio::test]
async fn reset_aborts_the_connection_without_a_response() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut s = TcpStream::connect(target.addr).await.expect("connect");
        s.write_all(b"GET /reset HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 256];
        // SO_LINGER 0 makes the close abortive: an RST, not a FIN and not a response.
        let read = s.read(&mut buf).await;
        assert!(
            matches!(&read, Err(e) if e.kind() == ErrorKind::ConnectionReset),
            "expected a connection reset, got {read:?}"
        );

        let mut h1 = Client::h1(target.addr).await;
        assert!(
            h1.send(Method::GET, "/reset", b"").await.is_err(),
            "h1 client sees an error"
        );
        let mut h2 = Client::h2c(target.addr).await;
        assert!(
            h2.send(Method::GET, "/reset", b"").await.is_err(),
            "h2 client sees an error"
        );

        // The server itself keeps serving.
        assert_eq!(
            Client::h1(target.addr).await.get("/fast").await.text(),
            "ok"
        );
    })
    .await;
}

#[tokio::test]
async fn hang_never_responds_and_does_not_delay_shutdown() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut c = Client::h1(target.addr).await;
        let hung = tokio::time::timeout(Duration::from_millis(300), c.get("/hang")).await;
        assert!(hung.is_err(), "client timeout fires");
        let mut other = Client::h1(target.addr).await;
        let pending = tokio::spawn(async move { other.send(Method::GET, "/hang", b"").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let t = Instant::now();
        tokio::task::spawn_blocking(move || target.shutdown())
            .await
            .expect("join");
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "shutdown took {:?}",
            t.elapsed()
        );
        // The hanging request is answered 503 at shutdown (or its connection closes).
        if let Ok(reply) = pending.await.expect("join") {
            assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        }
    })
    .await;
}

#[tokio::test]
async fn manual_stall_delays_requests_but_not_admin() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut admin = Client::h1(target.addr).await;
        let mut c = Client::h1(target.addr).await;
        assert_eq!(c.get("/fast").await.status, StatusCode::OK);

        let t0 = Instant::now();
        assert_eq!(
            admin.post("/admin/stall?ms=400", b"").await.status,
            StatusCode::OK
        );
        assert!(
            t0.elapsed() < Duration::from_millis(200),
            "stall request returns at once"
        );
        let t = Instant::now();
        assert_eq!(admin.get("/admin/stats").await.status, StatusCode::OK);
        assert!(
            t.elapsed() < Duration::from_millis(200),
            "admin is never stalled"
        );

        assert_eq!(c.get("/fast").await.status, StatusCode::OK);
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_millis(400),
            "request waited out the stall: {waited:?}"
        );
        assert!(waited < Duration::from_millis(1500), "{waited:?}");

        let get = admin
            .send(Method::GET, "/admin/stall?ms=1", b"")
            .await
            .expect("GET");
        assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    })
    .await;
}

#[tokio::test]
async fn periodic_stalls_hold_requests_until_the_window_ends() {
    let target = spawn(TargetOptions {
        stall_every: Some(Duration::from_millis(400)),
        stall_for: Duration::from_millis(250),
        ..TargetOptions::default()
    })
    .expect("spawn");
    bounded(10, async {
        let mut c = Client::h1(target.addr).await;
        let start = Instant::now();
        let mut worst = Duration::ZERO;
        while start.elapsed() < Duration::from_millis(1000) {
            let t = Instant::now();
            assert_eq!(c.get("/fast").await.status, StatusCode::OK);
            worst = worst.max(t.elapsed());
        }
        // Back-to-back requests enter a window right after it opens and wait ~250 ms.
        assert!(
            worst >= Duration::from_millis(180),
            "worst latency {worst:?}"
        );
    })
    .await;
}
