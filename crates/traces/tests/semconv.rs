//! Traces as instrumented services emit them, exported by the real OpenTelemetry Python SDK
//! (`test-support/python/otlp_semconv.py`) into the receiver: both generations of the
//! semantic conventions, database time per normalised statement, N+1 reads and writes told
//! apart with their framework and route, the handler's time between repeated statements, and
//! HTTP calls made one after another.

use perfhive_core::sql::fingerprint;
use perfhive_core::trace::Access;
use perfhive_test_support::python::{
    assert_exported, Python, HTTP_EXPORTER, SEMCONV_SPANS_PER_PAIR,
};
use perfhive_traces::{spawn, summarize, ReceiverOptions};

#[test]
fn python_sdk_spans_of_both_semantic_conventions() {
    let Some(python) = Python::otel("traces::semconv::python_sdk_spans", &[HTTP_EXPORTER]) else {
        return;
    };
    let rx = spawn(ReceiverOptions::ephemeral()).unwrap();
    let out = python.export_semconv(&rx.traces_url(), 3);
    assert_exported(&out);
    let spans = rx.spans();
    rx.shutdown();
    assert_eq!(spans.len(), 3 * SEMCONV_SPANS_PER_PAIR);
    let t = summarize(&spans, &[], 0, 5);
    assert_eq!(t.traces, 6);

    // one statement per normalised text, whatever the span names (all `SELECT shop`) and
    // literals were; new (`db.query.text`) and old (`db.statement`) conventions alike
    let items = "SELECT id, sku, qty FROM items WHERE order_id = ?";
    let item_fp = fingerprint("SELECT id, sku, qty FROM items WHERE order_id = $1");
    let stmt = |fp| {
        t.statements
            .iter()
            .find(|s| s.fingerprint == fp)
            .unwrap_or_else(|| panic!("{:#?}", t.statements))
    };
    let s = stmt(item_fp);
    assert_eq!(
        (s.statement.as_str(), s.count, s.access),
        (items, 24, Access::Read)
    );
    assert_eq!(s.system.as_deref(), Some("postgresql"));
    assert_eq!(s.routes, vec!["GET /orders/{}".to_string()]);
    // 7 gaps of ~3 ms per request between two item queries, 3 requests: the handler's time
    // there is reading rows, and it is measured (generous bounds: a shared, slow machine)
    assert!(s.between_ms > 7.0 * 3.0 * 3.0 * 0.8, "{s:?}");
    let ins = stmt(fingerprint(
        "INSERT INTO readings (sensor, value) VALUES ('x', 1)",
    ));
    assert_eq!((ins.count, ins.access), (18, Access::Write));
    assert_eq!(ins.system.as_deref(), Some("sqlite"));
    assert_eq!(ins.routes, vec!["POST /ingest".to_string()]);
    assert_eq!(t.statements.len(), 3, "{:#?}", t.statements);
    let phase = t
        .phases
        .iter()
        .find(|p| p.name == items)
        .expect("a phase per statement");
    assert_eq!(phase.statement, Some(item_fp));
    assert!(
        !t.phases.iter().any(|p| p.name == "SELECT shop"),
        "{:#?}",
        t.phases
    );

    // N+1 read (new conventions, SQLAlchemy's scope) and N+1 write (old, DB-API) apart
    let read = t
        .n_plus_one
        .iter()
        .find(|n| n.access == Access::Read)
        .expect("an N+1 read");
    assert_eq!((read.count, read.traces_affected), (8, 3));
    assert_eq!(read.fingerprint, Some(item_fp));
    assert_eq!(read.framework.as_deref(), Some("sqlalchemy"));
    assert_eq!(read.function.as_deref(), Some("shop.orders.list_items"));
    assert_eq!(read.file.as_deref(), Some("/srv/shop/orders.py"));
    assert_eq!(read.routes, vec!["GET /orders/{}".to_string()]);
    let write = t
        .n_plus_one
        .iter()
        .find(|n| n.access == Access::Write)
        .expect("an N+1 write");
    assert_eq!((write.count, write.traces_affected), (6, 3));
    assert_eq!(write.framework, None);
    assert_eq!(write.function.as_deref(), Some("shop.ingest::ingest"));
    assert_eq!(write.file.as_deref(), Some("/srv/shop/ingest.py"));
    assert_eq!(write.routes, vec!["POST /ingest".to_string()]);

    // inventory then pricing, one after the other under the server span
    assert_eq!(t.sequential.len(), 1, "{:#?}", t.sequential);
    let seq = &t.sequential[0];
    assert_eq!(
        seq.calls,
        vec!["inventory".to_string(), "pricing".to_string()]
    );
    assert_eq!(seq.traces_affected, 3);
    assert!(
        seq.sum_ms > seq.max_ms && seq.gain_ms() >= 20.0 * 0.9,
        "{seq:?}"
    );
    assert!((seq.gain_ms() - (seq.sum_ms - seq.max_ms)).abs() < 1e-9);

    // server time per route, with both generations' method attributes
    let routes: Vec<&str> = t.routes.iter().map(|r| r.route.as_str()).collect();
    assert_eq!(routes, vec!["GET /orders/{}", "POST /ingest"]);
    assert!(t.routes[0].mean_ms > 50.0, "{:?}", t.routes[0]);
}
