//! The receiver against the real OpenTelemetry Rust SDK and its OTLP exporter
//! (`opentelemetry-otlp`): OTLP/HTTP protobuf (plain and gzip) through its hyper client, and
//! OTLP/gRPC (plain and gzip) through tonic. Each test records one trace, a `checkout` root with
//! a database child and a `payments` client child, and checks that exactly those spans arrive
//! with their parent links, names, kinds, attributes and durations.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{
    Compression, Protocol, SpanExporter, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter as SdkSpanExporter};
use opentelemetry_sdk::Resource;
use perfhive_traces::model::{Span, KIND_CLIENT};
use perfhive_traces::{spawn, ReceiverOptions, RunningReceiver};

const DB_SLEEP: Duration = Duration::from_millis(20);
const PAY_SLEEP: Duration = Duration::from_millis(30);

/// How the provider hands spans to the exporter.
#[derive(Clone, Copy)]
enum Processor {
    /// Exports each span as it ends, on the ending thread (which has the tokio context the
    /// hyper client needs).
    Simple,
    /// Exports from the SDK's own thread on flush (fine for tonic, whose channel runs on the
    /// runtime it was built in).
    Batch,
}

/// An exporter that remembers failed exports: the simple processor only logs them, so without
/// this a receiver that stores the spans but answers wrongly would go unnoticed.
#[derive(Debug)]
struct Checked {
    inner: SpanExporter,
    failures: Arc<Mutex<Vec<String>>>,
}

impl SdkSpanExporter for Checked {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let result = self.inner.export(batch).await;
        if let Err(e) = &result {
            self.failures.lock().unwrap().push(e.to_string());
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// Records the trace through `exporter`, shuts the provider down (which flushes) and checks
/// that every export succeeded.
fn record_trace(exporter: SpanExporter, processor: Processor) {
    let failures = Arc::new(Mutex::new(Vec::new()));
    let exporter = Checked {
        inner: exporter,
        failures: Arc::clone(&failures),
    };
    let builder = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name("shop").build());
    let provider = match processor {
        Processor::Simple => builder.with_simple_exporter(exporter),
        Processor::Batch => builder.with_batch_exporter(exporter),
    }
    .build();
    let tracer = provider.tracer("perfhive-interop");
    let root = tracer.start("checkout");
    let cx = Context::current_with_span(root);
    let mut db = tracer
        .span_builder("SELECT items")
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("db.statement", "SELECT * FROM items WHERE cart = ?"),
        ])
        .start_with_context(&tracer, &cx);
    std::thread::sleep(DB_SLEEP);
    db.end();
    let mut pay = tracer
        .span_builder("charge")
        .with_kind(SpanKind::Client)
        .with_attributes([KeyValue::new("peer.service", "payments")])
        .start_with_context(&tracer, &cx);
    std::thread::sleep(PAY_SLEEP);
    pay.end();
    cx.span().end();
    provider.force_flush().expect("flush succeeds");
    provider.shutdown().expect("shutdown succeeds");
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "failed exports: {failures:?}");
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Checks that `spans` are exactly the recorded trace.
fn check_trace(mut spans: Vec<Span>) {
    assert_eq!(spans.len(), 3, "{spans:#?}");
    spans.sort_by_key(|s| s.start_ns);
    let by_name = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
    };
    let (root, db, pay) = (
        by_name("checkout"),
        by_name("SELECT items"),
        by_name("charge"),
    );
    assert!(spans.iter().all(|s| s.trace_id == root.trace_id));
    assert!(spans.iter().all(|s| s.service == "shop"));
    assert_eq!(root.parent, None);
    assert_eq!(db.parent, Some(root.span_id));
    assert_eq!(pay.parent, Some(root.span_id));
    assert_ne!(db.span_id, pay.span_id);
    assert_eq!(
        (root.kind, db.kind, pay.kind),
        (1, KIND_CLIENT, KIND_CLIENT)
    );
    assert_eq!(db.attributes["db.system"], "postgresql");
    assert_eq!(
        db.attributes["db.statement"],
        "SELECT * FROM items WHERE cart = ?"
    );
    assert_eq!(pay.attributes["peer.service"], "payments");
    assert!(!root.attributes.contains_key("peer.service"));
    // durations: at least the sleeps, and not absurdly more on a loaded 2-core machine
    let (d_db, d_pay, d_root) = (
        ms(db.duration_ns()),
        ms(pay.duration_ns()),
        ms(root.duration_ns()),
    );
    assert!((20.0..2_000.0).contains(&d_db), "db {d_db} ms");
    assert!((30.0..2_000.0).contains(&d_pay), "payments {d_pay} ms");
    assert!(d_root >= d_db + d_pay, "root {d_root} ms");
    assert!(d_root < 5_000.0, "root {d_root} ms");
    // children lie inside the root, one after the other
    assert!(root.start_ns <= db.start_ns && db.end_ns <= pay.start_ns);
    assert!(pay.end_ns <= root.end_ns);
    // sane wall-clock timestamps (after 2020)
    assert!(root.start_ns > 1_577_836_800_000_000_000);
}

/// A receiver on ephemeral ports, and a multi-thread tokio runtime entered on this thread:
/// the exporters' hyper and tonic clients need a reactor.
fn setup() -> (RunningReceiver, tokio::runtime::Runtime) {
    let rx = spawn(ReceiverOptions::ephemeral()).expect("receiver starts");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    (rx, rt)
}

fn http_exporter(rx: &RunningReceiver, compression: Option<Compression>) -> SpanExporter {
    let mut b = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(rx.traces_url())
        .with_timeout(Duration::from_secs(10));
    if let Some(c) = compression {
        b = b.with_compression(c);
    }
    b.build().expect("HTTP exporter builds")
}

fn grpc_exporter(rx: &RunningReceiver, compression: Option<Compression>) -> SpanExporter {
    let mut b = SpanExporter::builder()
        .with_tonic()
        .with_endpoint(rx.grpc_endpoint().expect("gRPC is on"))
        .with_timeout(Duration::from_secs(10));
    if let Some(c) = compression {
        b = b.with_compression(c);
    }
    b.build().expect("gRPC exporter builds")
}

#[test]
fn rust_sdk_over_http_protobuf() {
    let (rx, rt) = setup();
    let _in_rt = rt.enter();
    record_trace(http_exporter(&rx, None), Processor::Simple);
    assert_eq!(rx.requests(), 3, "the simple processor exports each span");
    check_trace(rx.take_spans());
}

#[test]
fn rust_sdk_over_http_protobuf_gzip() {
    let (rx, rt) = setup();
    let _in_rt = rt.enter();
    record_trace(
        http_exporter(&rx, Some(Compression::Gzip)),
        Processor::Simple,
    );
    check_trace(rx.take_spans());
}

#[test]
fn rust_sdk_over_grpc() {
    let (rx, rt) = setup();
    let _in_rt = rt.enter();
    record_trace(grpc_exporter(&rx, None), Processor::Batch);
    assert_eq!(rx.requests(), 1, "the batch processor exports once");
    check_trace(rx.take_spans());
}

#[test]
fn rust_sdk_over_grpc_gzip() {
    let (rx, rt) = setup();
    let _in_rt = rt.enter();
    record_trace(
        grpc_exporter(&rx, Some(Compression::Gzip)),
        Processor::Simple,
    );
    check_trace(rx.take_spans());
}
