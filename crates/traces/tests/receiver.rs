//! The OTLP receiver over real sockets: OTLP/HTTP status codes, limits, gzip, the bounded
//! store, OTLP/gRPC over a real HTTP/2 connection, both listeners' lifecycle, and an export from
//! the real OpenTelemetry Python SDK when it is installed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use perfhive_test_support::otlp::{grpc_frame, gzip, protobuf_export};
use perfhive_test_support::python::{
    assert_exported, Compression, Python, Transport, CHECKOUT_SPANS, HTTP_EXPORTER,
};

use perfhive_traces::{
    breakdown, detect_n_plus_one, spawn, Dependencies, ReceiverOptions, DEFAULT_THRESHOLD,
};

fn opts(max_body_bytes: usize, max_spans: usize) -> ReceiverOptions {
    ReceiverOptions {
        max_body_bytes,
        max_spans,
        ..ReceiverOptions::ephemeral()
    }
}

/// Sends one HTTP/1.1 request and returns the status code and body.
fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    post_encoded(addr, path, content_type, "identity", body)
}

/// [`post`] with a `Content-Encoding`.
fn post_encoded(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    content_encoding: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Encoding: {content_encoding}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    let status = text[9..12].parse().unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (status, out[split..].to_vec())
}

const JSON: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"a","startTimeUnixNano":"1","endTimeUnixNano":"2"},
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203332","name":"b","startTimeUnixNano":"1","endTimeUnixNano":"2"},
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203333","name":"c","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;

#[test]
fn status_codes_limits_and_bounded_store() {
    let rx = spawn(opts(1024, 4)).unwrap();
    let addr = rx.addr;
    assert_eq!(
        post(addr, "/v1/traces", "application/json", JSON.as_bytes()),
        (200, b"{}".to_vec())
    );
    // the second batch only has room for one more span.
    assert_eq!(
        post(
            addr,
            "/v1/traces",
            "application/json; charset=utf-8",
            JSON.as_bytes()
        )
        .0,
        200
    );
    assert_eq!(rx.spans().len(), 4);
    assert_eq!(rx.dropped(), 2);
    // protobuf: an empty request is valid, and the response is an empty message.
    assert_eq!(
        post(addr, "/v1/traces", "application/x-protobuf", b""),
        (200, Vec::new())
    );
    assert_eq!(
        post(addr, "/v1/traces", "text/plain", JSON.as_bytes()).0,
        415
    );
    assert_eq!(
        post(addr, "/v1/traces", "application/json", &[b' '; 2048]).0,
        413
    );
    assert_eq!(post(addr, "/v1/traces", "application/json", b"{").0, 400);
    assert_eq!(post(addr, "/v1/metrics", "application/json", b"{}").0, 404);
    assert_eq!(rx.requests(), 3);
    rx.shutdown();
}

#[test]
fn python_sdk_exports_protobuf() {
    let Some(python) = Python::otel(
        "traces::receiver::python_sdk_exports_protobuf",
        &[HTTP_EXPORTER],
    ) else {
        return;
    };
    let rx = spawn(opts(perfhive_traces::DEFAULT_MAX_BYTES, 10_000)).unwrap();
    let out = python.export_checkout(Transport::Http, &rx.traces_url(), &[Compression::None]);
    assert_exported(&out);
    let spans = rx.spans();
    rx.shutdown();
    assert_eq!(spans.len(), CHECKOUT_SPANS, "{spans:#?}");
    assert!(spans.iter().all(|s| s.service == "shop"));

    let b = breakdown(&spans);
    assert_eq!(b.traces, 1);
    assert_eq!(b.phases[0].name, "charge", "{b:#?}");
    assert!(b.phases[0].share_pct > 50.0, "{b:#?}");
    let db = b.phases.iter().find(|p| p.name == "SELECT items").unwrap();
    assert_eq!(db.count, 6);
    let sum: f64 = b.phases.iter().map(|p| p.critical_ms).sum();
    assert!((sum - b.total_critical_ms).abs() < 1e-6);

    let n1 = detect_n_plus_one(&spans, DEFAULT_THRESHOLD);
    assert_eq!(n1.len(), 1, "{n1:?}");
    assert_eq!((n1[0].parent_name.as_str(), n1[0].count), ("load-cart", 6));

    let checks = Dependencies::from_spans(&spans).check_budgets(&[("payments", 1000.0)]);
    assert_eq!(checks[0].verdict, perfhive_traces::BudgetVerdict::Pass);
    assert!(checks[0].p95_ms.unwrap() >= 50.0);
}

#[test]
fn otlp_http_accepts_gzip_bodies_within_the_limit() {
    let rx = spawn(opts(4096, 100)).unwrap();
    let addr = rx.addr;
    assert_eq!(
        post_encoded(
            addr,
            "/v1/traces",
            "application/json",
            "gzip",
            &gzip(JSON.as_bytes())
        ),
        (200, b"{}".to_vec())
    );
    assert_eq!(
        post_encoded(
            addr,
            "/v1/traces",
            "application/x-protobuf",
            "GZIP",
            &gzip(&protobuf_export("pb", 2))
        ),
        (200, Vec::new())
    );
    assert_eq!(rx.spans().len(), 5);
    // 1 MiB of JSON whitespace: about 1 KiB compressed, 256 times the limit decompressed
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert!(bomb.len() < 4096, "{}", bomb.len());
    assert_eq!(
        post_encoded(addr, "/v1/traces", "application/json", "gzip", &bomb).0,
        413
    );
    assert_eq!(
        post_encoded(addr, "/v1/traces", "application/json", "gzip", b"{}").0,
        400
    );
    assert_eq!(
        post_encoded(
            addr,
            "/v1/traces",
            "application/json",
            "br",
            JSON.as_bytes()
        )
        .0,
        415
    );
    assert_eq!(rx.requests(), 2);
    rx.shutdown();
}

/// The outcome of one gRPC call: HTTP status, headers, trailers and body.
struct GrpcReply {
    status: u16,
    headers: http::HeaderMap,
    trailers: Option<http::HeaderMap>,
    body: bytes::Bytes,
}

impl GrpcReply {
    /// `grpc-status` from the trailers, or from the headers of a Trailers-Only response.
    fn grpc_status(&self) -> Option<&str> {
        self.trailers
            .as_ref()
            .and_then(|t| t.get("grpc-status"))
            .or_else(|| self.headers.get("grpc-status"))
            .map(|v| v.to_str().unwrap())
    }
}

/// One gRPC call over a real HTTP/2 (h2c, prior knowledge) connection with hyper's client.
fn grpc_call(addr: SocketAddr, path: &str, encoding: Option<&str>, body: Vec<u8>) -> GrpcReply {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .unwrap();
        tokio::spawn(conn);
        let mut req = http::Request::post(format!("http://{addr}{path}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        if let Some(e) = encoding {
            req = req.header("grpc-encoding", e);
        }
        let resp = send
            .send_request(req.body(Full::new(bytes::Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let collected = body.collect().await.unwrap();
        GrpcReply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            trailers: collected.trailers().cloned(),
            body: collected.to_bytes(),
        }
    })
}

#[test]
fn otlp_grpc_over_a_real_http2_connection() {
    use perfhive_traces::receiver::EXPORT_PATH;
    let rx = spawn(opts(64 << 10, 100)).unwrap();
    let grpc = rx.grpc_addr.expect("gRPC is on by default");
    assert_ne!(grpc, rx.addr);
    assert_eq!(rx.grpc_endpoint(), Some(format!("http://{grpc}")));

    let r = grpc_call(
        grpc,
        EXPORT_PATH,
        None,
        grpc_frame(false, &protobuf_export("grpc", 3)),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/grpc");
    assert_eq!(r.headers["grpc-accept-encoding"], "gzip,identity");
    assert!(
        r.headers.get("grpc-status").is_none(),
        "status is a trailer"
    );
    assert_eq!(r.grpc_status(), Some("0"));
    // an empty ExportTraceServiceResponse, length-prefixed
    assert_eq!(&r.body[..], &[0, 0, 0, 0, 0]);

    let r = grpc_call(
        grpc,
        EXPORT_PATH,
        Some("gzip"),
        grpc_frame(true, &gzip(&protobuf_export("gz", 2))),
    );
    assert_eq!(r.grpc_status(), Some("0"));

    // errors are Trailers-Only responses
    let r = grpc_call(
        grpc,
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        None,
        grpc_frame(false, b""),
    );
    assert_eq!((r.status, r.grpc_status()), (200, Some("12")));
    assert!(r.trailers.is_none() && r.body.is_empty());
    let msg = r.headers["grpc-message"].to_str().unwrap();
    assert!(msg.contains("unknown method"), "{msg}");
    let mut prefix_only = vec![0];
    prefix_only.extend_from_slice(&(1u32 << 30).to_be_bytes());
    let r = grpc_call(grpc, EXPORT_PATH, None, prefix_only);
    assert_eq!(r.grpc_status(), Some("8"));
    let r = grpc_call(grpc, EXPORT_PATH, None, grpc_frame(false, b"\x0a\x05ab"));
    assert_eq!(r.grpc_status(), Some("3"));

    // one store for both transports
    assert_eq!(
        post(rx.addr, "/v1/traces", "application/json", JSON.as_bytes()).0,
        200
    );
    let names: Vec<String> = rx.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        ["grpc-1", "grpc-2", "grpc-3", "gz-1", "gz-2", "a", "b", "c"]
    );
    assert_eq!(rx.requests(), 3);
    rx.shutdown();
}

#[test]
fn a_busy_grpc_port_is_a_clear_error_and_grpc_can_be_disabled() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap();
    let err = spawn(ReceiverOptions {
        grpc_bind: Some(busy_addr),
        ..ReceiverOptions::ephemeral()
    })
    .unwrap_err();
    assert!(
        matches!(err, perfhive_traces::ReceiverError::GrpcBind { addr, .. } if addr == busy_addr),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("OTLP/gRPC on {busy_addr}")),
        "{text}"
    );

    let rx = spawn(ReceiverOptions {
        grpc_bind: None,
        ..ReceiverOptions::ephemeral()
    })
    .unwrap();
    assert_eq!((rx.grpc_addr, rx.grpc_endpoint()), (None, None));
    assert_eq!(
        post(rx.addr, "/v1/traces", "application/json", JSON.as_bytes()).0,
        200
    );
}

#[test]
fn both_listeners_stop_together() {
    let rx = spawn(ReceiverOptions::ephemeral()).unwrap();
    let (http, grpc) = (rx.addr, rx.grpc_addr.unwrap());
    TcpStream::connect(http).unwrap();
    TcpStream::connect(grpc).unwrap();
    rx.shutdown();
    assert!(TcpStream::connect(http).is_err());
    assert!(TcpStream::connect(grpc).is_err());
}
