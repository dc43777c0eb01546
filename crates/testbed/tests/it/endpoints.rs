//! Behaviour of each endpoint over HTTP/1.1.

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use perfhive_testbed::{spawn, TargetOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{bounded, Client};

#[tokio::test]
async fn index_and_fast_share_one_keep_alive_connection() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    assert!(target.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(target.cert_der(), None);
    bounded(10, async {
        let mut c = Client::h1(target.addr).await;
        let index = c.get("/").await;
        assert_eq!(index.status, StatusCode::OK);
        for path in ["/fast", "/slow", "/chunked", "/reset", "/admin/stall"] {
            assert!(index.text().contains(path), "index lists {path}");
        }
        for _ in 0..3 {
            let fast = c.get("/fast").await;
            assert_eq!((fast.status, fast.text()), (StatusCode::OK, "ok"));
            assert_eq!(fast.headers["server"], "perfhive-testbed");
        }
        assert_eq!(c.get("/nope").await.status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn slow_sleeps_for_ms_or_the_default_delay() {
    let opts = TargetOptions {
        delay: Duration::from_millis(250),
        ..TargetOptions::default()
    };
    let target = spawn(opts).expect("spawn");
    bounded(10, async {
        let mut c = Client::h1(target.addr).await;
        let t = Instant::now();
        assert_eq!(c.get("/slow?ms=150").await.status, StatusCode::OK);
        assert!(
            t.elapsed() >= Duration::from_millis(150),
            "{:?}",
            t.elapsed()
        );
        // The default of `TargetOptions` is 100 ms, so taking 250 ms shows `delay` was used.
        let t = Instant::now();
        assert_eq!(c.get("/slow").await.status, StatusCode::OK);
        assert!(
            t.elapsed() >= Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(c.get("/slow?ms=abc").await.status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn slow_does_not_block_other_requests() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut slow = Client::h1(target.addr).await;
        let pending = tokio::spawn(async move { slow.get("/slow?ms=1000").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut fast = Client::h1(target.addr).await;
        let t = Instant::now();
        assert_eq!(fast.get("/fast").await.status, StatusCode::OK);
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(pending.await.expect("join").status, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn error_rate_from_query_and_default() {
    let opts = TargetOptions {
        error_rate: 1.0,
        ..TargetOptions::default()
    };
    let target = spawn(opts).expect("spawn");
    bounded(20, async {
        let mut c = Client::h1(target.addr).await;
        assert_eq!(
            c.get("/error").await.status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(c.get("/error?rate=0").await.status, StatusCode::OK);
        assert_eq!(
            c.get("/error?rate=1").await.status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            c.get("/error?rate=1.5").await.status,
            StatusCode::BAD_REQUEST
        );
        let mut failures = 0;
        for _ in 0..400 {
            if c.get("/error?rate=0.5").await.status == StatusCode::INTERNAL_SERVER_ERROR {
                failures += 1;
            }
        }
        assert!(
            (120..=280).contains(&failures),
            "{failures} failures out of 400"
        );
    })
    .await;
}

#[tokio::test]
async fn status_bytes_and_echo() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(20, async {
        let mut c = Client::h1(target.addr).await;
        assert_eq!(c.get("/status/418").await.status, StatusCode::IM_A_TEAPOT);
        assert_eq!(
            c.get("/status/503").await.status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(c.get("/status/99").await.status, StatusCode::BAD_REQUEST);

        let bytes = c.get("/bytes?n=100000").await;
        assert_eq!(bytes.body.len(), 100_000);
        assert_eq!(bytes.headers["content-length"], "100000");
        assert_eq!(c.get("/bytes?n=0").await.body.len(), 0);
        let capped = c.get("/bytes?n=999999999").await;
        assert_eq!(capped.body.len(), 16 * 1024 * 1024, "capped at 16 MiB");

        let echo = c.post("/echo", b"hello target").await;
        assert_eq!(
            (echo.status, &echo.body[..]),
            (StatusCode::OK, &b"hello target"[..])
        );
    })
    .await;
}

#[tokio::test]
async fn checkout_simulates_work_and_validates_json() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut c = Client::h1(target.addr).await;
        let t = Instant::now();
        let ok = c.post("/checkout", br#"{"items": 50}"#).await;
        assert!(t.elapsed() >= Duration::from_millis(6), "{:?}", t.elapsed());
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(ok.headers["content-type"], "application/json");
        let v: serde_json::Value = serde_json::from_slice(&ok.body).expect("json");
        assert_eq!(v, serde_json::json!({"ok": true, "items": 50}));

        assert_eq!(
            c.post("/checkout", b"{not json").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            c.post("/checkout", br#"{"n": 1}"#).await.status,
            StatusCode::BAD_REQUEST
        );
        let get = c.send(Method::GET, "/checkout", b"").await.expect("GET");
        assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(get.headers["allow"], "POST");
    })
    .await;
}

/// Decodes an HTTP/1.1 chunked body; returns the sizes of the data chunks.
fn decode_chunked(mut body: &[u8]) -> Vec<usize> {
    let mut sizes = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_str = std::str::from_utf8(&body[..line_end]).expect("ascii");
        let size = usize::from_str_radix(size_str.trim(), 16).expect("hex size");
        body = &body[line_end + 2..];
        if size == 0 {
            return sizes;
        }
        sizes.push(size);
        assert_eq!(&body[size..size + 2], b"\r\n", "chunk terminator");
        body = &body[size + 2..];
    }
}

#[tokio::test]
async fn chunked_uses_transfer_encoding_chunked_on_http1() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut s = TcpStream::connect(target.addr).await.expect("connect");
        s.write_all(
            b"GET /chunked?n=1000&chunks=4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await
        .expect("write");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.expect("read");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        assert!(!head.contains("content-length"), "{head}");
        let sizes = decode_chunked(&raw[split + 4..]);
        assert_eq!(sizes, vec![250, 250, 250, 250]);

        let mut c = Client::h1(target.addr).await;
        let reply = c.get("/chunked?n=70000&chunks=3").await;
        assert_eq!(reply.headers["transfer-encoding"], "chunked");
        assert_eq!(reply.body.len(), 70_000);
    })
    .await;
}

#[tokio::test]
async fn stats_count_finished_and_in_flight_requests() {
    let target = spawn(TargetOptions::default()).expect("spawn");
    bounded(10, async {
        let mut c = Client::h1(target.addr).await;
        for _ in 0..5 {
            c.get("/fast").await;
        }
        let stats = |reply: crate::support::Reply| -> serde_json::Value {
            serde_json::from_slice(&reply.body).expect("stats json")
        };
        let s = stats(c.get("/admin/stats").await);
        assert_eq!(s, serde_json::json!({"requests": 5, "in_flight": 0}));

        let mut hanging = Client::h1(target.addr).await;
        let _pending = tokio::spawn(async move { hanging.send(Method::GET, "/hang", b"").await });
        loop {
            let s = stats(c.get("/admin/stats").await);
            if s["in_flight"] == 1 {
                assert_eq!(s["requests"], 5);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}
