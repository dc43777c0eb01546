//! The OTLP/HTTP receiver over real sockets: status codes, limits, the bounded store, and an
//! export from the real OpenTelemetry Python SDK when it is installed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

use perfhive_traces::{
    breakdown, detect_n_plus_one, spawn, Dependencies, ReceiverOptions, DEFAULT_THRESHOLD,
};

fn opts(max_body_bytes: usize, max_spans: usize) -> ReceiverOptions {
    ReceiverOptions {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        max_body_bytes,
        max_spans,
    }
}

/// Sends one HTTP/1.1 request and returns the status code and body.
fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
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

const PY_EXPORT: &str = r#"
import sys, time
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1])))
tracer = provider.get_tracer("perfhive-test")
with tracer.start_as_current_span("checkout"):
    with tracer.start_as_current_span("load-cart"):
        for _ in range(6):
            with tracer.start_as_current_span("SELECT items", kind=trace.SpanKind.CLIENT) as s:
                s.set_attribute("db.system", "postgresql")
                s.set_attribute("db.statement", "SELECT * FROM items WHERE id = ?")
                time.sleep(0.002)
    with tracer.start_as_current_span("charge", kind=trace.SpanKind.CLIENT) as s:
        s.set_attribute("peer.service", "payments")
        time.sleep(0.05)
provider.shutdown()
"#;

#[test]
#[allow(clippy::print_stderr)]
fn python_sdk_exports_protobuf() {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http",
        ])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install the OpenTelemetry SDK (.ci/run)"
        );
        eprintln!(
            "note: skipped — needs `pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http`"
        );
        return;
    }
    let rx = spawn(opts(perfhive_traces::DEFAULT_MAX_BYTES, 10_000)).unwrap();
    let out = Command::new("python3")
        .args(["-c", PY_EXPORT, &rx.traces_url()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spans = rx.spans();
    rx.shutdown();
    assert_eq!(spans.len(), 9, "{spans:#?}");
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
