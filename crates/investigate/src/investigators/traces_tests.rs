//! The trace investigator's findings from spans shaped as instrumented services send them.

use super::*;
use perfhive_core::sql::fingerprint;
use perfhive_traces::model::{KIND_CLIENT, KIND_SERVER};

struct Trace {
    id: u8,
    next: u8,
    spans: Vec<Span>,
}

impl Trace {
    fn new(id: u8) -> Self {
        Trace {
            id,
            next: 1,
            spans: Vec::new(),
        }
    }

    fn span(
        &mut self,
        parent: Option<u8>,
        name: &str,
        kind: i32,
        at_ms: u64,
        ms: u64,
        attrs: &[(&str, &str)],
    ) -> u8 {
        let sid = self.next;
        self.next += 1;
        self.spans.push(Span {
            trace_id: [self.id; 16],
            span_id: [sid; 8],
            parent: parent.map(|p| [p; 8]),
            name: name.into(),
            service: "shop".into(),
            kind,
            start_ns: at_ms * 1_000_000,
            end_ns: (at_ms + ms) * 1_000_000,
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
        sid
    }
}

/// `GET /orders/{id}` called by a traced client: an N+1 read through SQLAlchemy, then two
/// HTTP calls one after another; `POST /ingest`: an N+1 write without a framework.
fn spans() -> Vec<Span> {
    let mut all = Vec::new();
    for id in 1..=3u8 {
        let mut t = Trace::new(id);
        let client = t.span(None, "GET", KIND_CLIENT, 0, 200, &[]);
        let server = t.span(
            Some(client),
            "GET /orders/{id}",
            KIND_SERVER,
            100,
            100,
            &[
                ("http.route", "/orders/{id}"),
                ("http.request.method", "GET"),
            ],
        );
        for i in 0..6u64 {
            let text = format!(
                "SELECT * FROM items WHERE order_id = {}",
                i + 10 * u64::from(id)
            );
            t.span(
                Some(server),
                "SELECT",
                KIND_CLIENT,
                101 + 4 * i,
                2,
                &[
                    ("db.query.text", &text),
                    ("db.system.name", "postgresql"),
                    (
                        "otel.scope.name",
                        "opentelemetry.instrumentation.sqlalchemy",
                    ),
                ],
            );
        }
        t.span(
            Some(server),
            "GET",
            KIND_CLIENT,
            129,
            30,
            &[("peer.service", "inventory")],
        );
        t.span(
            Some(server),
            "GET",
            KIND_CLIENT,
            160,
            40,
            &[("peer.service", "pricing")],
        );
        all.extend(t.spans);
        let mut w = Trace::new(100 + id);
        let root = w.span(
            None,
            "POST /ingest",
            KIND_SERVER,
            0,
            50,
            &[("http.route", "/ingest"), ("http.method", "POST")],
        );
        for i in 0..5u64 {
            let text = format!("INSERT INTO readings (v) VALUES ({i})");
            w.span(
                Some(root),
                "INSERT",
                KIND_CLIENT,
                1 + 8 * i,
                6,
                &[("db.statement", &text), ("db.system", "sqlite")],
            );
        }
        all.extend(w.spans);
    }
    all
}

fn analysed() -> (TraceSummary, Vec<Finding>) {
    let spans = spans();
    let t = perfhive_traces::summarize(&spans, &[], 0, 5);
    let f = findings(&t, &database_phases(&spans), &statement_spans(&spans));
    (t, f)
}

#[test]
fn n_plus_one_reads_and_writes_get_their_own_fixes_and_join_keys() {
    let (_, f) = analysed();
    let read = f
        .iter()
        .find(|f| f.title.starts_with("N+1 queries"))
        .expect("an N+1 read");
    let fp = fingerprint("SELECT * FROM items WHERE order_id = $1");
    assert_eq!(read.statements, vec![fp]);
    assert_eq!(read.routes, vec![Route::parse("GET /orders/{}")]);
    let action = &read.recommendation.as_ref().unwrap().action;
    assert!(action.contains("selectinload"), "{action}");
    let write = f
        .iter()
        .find(|f| f.title.starts_with("N+1 writes"))
        .expect("an N+1 write");
    assert_eq!(
        write.statements,
        vec![fingerprint("INSERT INTO readings (v) VALUES (?)")]
    );
    assert_eq!(write.routes, vec![Route::parse("POST /ingest")]);
    let action = &write.recommendation.as_ref().unwrap().action;
    assert!(
        action.contains("executemany") && action.contains("one transaction"),
        "{action}"
    );
    assert!(!action.contains("JOIN"), "{action}");
    // every database finding carries its statement
    for x in f.iter().filter(|x| x.subject == "database") {
        assert!(!x.statements.is_empty(), "{x:?}");
    }
}

#[test]
fn sequential_calls_are_bounded_by_sum_minus_max() {
    let (t, f) = analysed();
    let seq = f
        .iter()
        .find(|f| f.id.starts_with("traces.sequential-calls"))
        .unwrap_or_else(|| panic!("{:#?}", t.sequential));
    assert!(seq.detail.contains("saves up to 30.0 ms"), "{}", seq.detail);
    assert_eq!(seq.routes, vec![Route::parse("GET /orders/{}")]);
    assert_eq!(t.sequential[0].calls, vec!["inventory", "pricing"]);
    // 30 ms of a 100 ms route
    let speedup = seq
        .recommendation
        .as_ref()
        .unwrap()
        .expected_speedup
        .unwrap();
    assert!((speedup - 1.0 / 0.7).abs() < 0.01, "{speedup}");
}

#[test]
fn client_latency_far_above_server_time_is_queueing() {
    let (t, _) = analysed();
    let q = queueing(&t, None);
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].routes, vec![Route::parse("GET /orders/{}")]);
    assert!(
        q[0].title
            .contains("200.0 ms at the client but 100.0 ms in the handler"),
        "{}",
        q[0].title
    );
    // the ingest route has no caller's view: nothing to compare
    assert!(q.iter().all(|f| !f.title.contains("/ingest")));
}

#[test]
fn handler_time_between_one_statement_is_not_blamed_on_the_handler() {
    let mut t = Trace::new(9);
    let root = t.span(
        None,
        "GET /report",
        KIND_SERVER,
        0,
        100,
        &[("http.route", "/report"), ("http.request.method", "GET")],
    );
    for i in 0..5u64 {
        t.span(
            Some(root),
            "SELECT",
            KIND_CLIENT,
            20 * i,
            2,
            &[("db.statement", "SELECT * FROM big WHERE k = 1")],
        );
    }
    let s = perfhive_traces::summarize(&t.spans, &[], 0, 50);
    let f = findings(&s, &database_phases(&t.spans), &statement_spans(&t.spans));
    let phase = f
        .iter()
        .find(|f| f.id == "traces.phase.GET /report")
        .expect("the handler's phase");
    assert!(phase.detail.contains("72.00 ms of its self time per request lies between consecutive `SELECT * FROM big WHERE k = ?` spans"), "{}", phase.detail);
    assert_eq!(
        phase.statements,
        vec![fingerprint("SELECT * FROM big WHERE k = 1")]
    );
    assert_eq!(phase.routes, vec![Route::parse("GET /report")]);
}

/// Express's handler span (`request handler - /products/:id/page`, INTERNAL) takes most of
/// the request: its phase carries the route of the SERVER spans with the same template, so it
/// joins the load's and the other investigators' findings about that request.
#[test]
fn express_handler_phases_carry_the_route_they_handle() {
    let mut spans = Vec::new();
    for id in 1..=3u8 {
        let mut t = Trace::new(id);
        let server = t.span(
            None,
            "GET /products/:id/page",
            KIND_SERVER,
            0,
            100,
            &[("http.route", "/products/:id/page"), ("http.method", "GET")],
        );
        t.span(Some(server), "middleware - query", 1, 1, 1, &[]);
        t.span(
            Some(server),
            "request handler - /products/:id/page",
            1,
            2,
            97,
            &[("http.route", "/products/:id/page")],
        );
        let other = t.span(
            None,
            "POST /products",
            KIND_SERVER,
            200,
            10,
            &[("http.route", "/products"), ("http.method", "POST")],
        );
        t.span(Some(other), "request handler - /products", 1, 201, 8, &[]);
        spans.extend(t.spans);
    }
    let t = perfhive_traces::summarize(&spans, &[], 0, 5);
    let f = findings(&t, &database_phases(&spans), &statement_spans(&spans));
    let handler = f
        .iter()
        .find(|x| x.id == "traces.phase.request handler - /products/:id/page")
        .unwrap_or_else(|| panic!("no phase finding for the handler: {f:#?}"));
    assert_eq!(handler.routes, vec![Route::parse("GET /products/{}/page")]);
    assert!(route_of_phase(&t, "middleware - query").is_empty());
    assert_eq!(
        route_of_phase(&t, "request handler - /products"),
        vec![Route::parse("POST /products")]
    );
}
