//! Tracing, as users see it: the spans the demo's OpenTelemetry SDK exports, received by
//! perfhive's own OTLP receiver (the one `perfhive investigate --demo` runs). The span shapes are
//! checked on a demo in this process with the endpoint given in code; the `OTEL_*` handling on a
//! demo in a process of its own, configured only by its environment, as under `perfhive __demo`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use perfhive_demo::otel::{ExportConfig, FLUSH_TIMEOUT};
use perfhive_demo::{spawn, DemoOptions, RunningDemo};
use perfhive_traces::model::{Span, KIND_CLIENT, KIND_SERVER};
use perfhive_traces::{ReceiverOptions, RunningReceiver};

use crate::support::{bounded, records, Client, DemoProcess};

/// The N+1 path's per-item statements.
const ITEM_SQL: &str =
    "SELECT id, name, category, price_cents, description FROM items WHERE id = ?1";
const DETAILS_SQL: &str = "SELECT key, value FROM item_details WHERE item_id = ?1 ORDER BY id";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const KIND_INTERNAL: i32 = 1;
/// Spans of `GET /items?limit=5` on the N+1 path: the request, the db phase, 1 + 2 × 5
/// statements, serialize.
const ITEMS_5: usize = 14;

/// Takes turns for the tests with a demo process: they bound times (a stalled collector, a
/// late one) that a 2-core machine running them side by side would stretch.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// perfhive's receiver on a free loopback port (OTLP/HTTP only).
fn receiver() -> RunningReceiver {
    perfhive_traces::spawn(ReceiverOptions {
        grpc_bind: None,
        ..ReceiverOptions::ephemeral()
    })
    .expect("receiver starts")
}

/// A demo in this process exporting to `rx`.
fn traced_demo(rx: &RunningReceiver) -> RunningDemo {
    spawn(DemoOptions {
        trace: Some(ExportConfig::to(rx.traces_url())),
        ..Default::default()
    })
    .expect("spawn demo")
}

/// Shuts the demo down (which flushes its spans) without blocking the test's runtime.
async fn shutdown(demo: RunningDemo) {
    tokio::task::spawn_blocking(move || demo.shutdown())
        .await
        .expect("shutdown");
}

/// Stops a demo process within `limit` without blocking the test's runtime; returns its stderr.
async fn stop(demo: DemoProcess, limit: Duration) -> String {
    tokio::task::spawn_blocking(move || demo.stop_within(limit))
        .await
        .expect("stop")
}

/// Waits until `rx` holds at least `n` spans, at most `secs` seconds.
async fn wait_for_spans(rx: &RunningReceiver, n: usize, secs: u64) -> Vec<Span> {
    let t0 = Instant::now();
    loop {
        let spans = rx.spans();
        if spans.len() >= n || t0.elapsed() > Duration::from_secs(secs) {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn attr<'s>(s: &'s Span, key: &str) -> Option<&'s str> {
    s.attributes.get(key).map(String::as_str)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_n_plus_one_request_is_a_server_span_with_a_db_span_per_statement() {
    let rx = receiver();
    let demo = traced_demo(&rx);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
        // the fixed paths name their functions too
        let r = c
            .post(
                "/config",
                br#"{"n_plus_one": false, "fast_serialization": true}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
    })
    .await;
    shutdown(demo).await;
    let spans = rx.spans();
    // the N+1 request, POST /config, and server + db phase + one joined query + serialize
    assert_eq!(spans.len(), ITEMS_5 + 1 + 4, "{spans:#?}");
    assert!(spans.iter().all(|s| s.service == "perfhive-demo"));
    let mut ids: Vec<[u8; 8]> = spans.iter().map(|s| s.span_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), spans.len(), "span ids are unique");

    let gets: Vec<&Span> = spans.iter().filter(|s| s.name == "GET /items").collect();
    assert_eq!(gets.len(), 2);
    let first = gets.iter().min_by_key(|s| s.start_ns).expect("two");
    let server = *first;
    assert_eq!(server.kind, KIND_SERVER);
    assert_eq!(server.parent, None, "a root span");
    assert_eq!(attr(server, "http.request.method"), Some("GET"));
    assert_eq!(attr(server, "http.route"), Some("/items"));
    assert_eq!(attr(server, "url.path"), Some("/items"));
    assert_eq!(attr(server, "http.response.status_code"), Some("200"));
    assert!(server.end_ns > server.start_ns);
    let trace: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == server.trace_id)
        .collect();
    assert_eq!(trace.len(), ITEMS_5, "{trace:#?}");

    // the db phase: under the request, enclosing every statement (and the wait for the
    // connection), named by the Db method doing the work and its file
    let phase: Vec<&&Span> = trace.iter().filter(|s| s.name == "db").collect();
    assert_eq!(phase.len(), 1, "{trace:#?}");
    let phase = phase[0];
    assert_eq!(phase.kind, KIND_INTERNAL);
    assert_eq!(phase.parent, Some(server.span_id));
    assert_eq!(attr(phase, "code.function.name"), Some("load_items"));
    assert_eq!(attr(phase, "code.file.path"), Some("crates/demo/src/db.rs"));
    let db: Vec<&&Span> = trace.iter().filter(|s| s.kind == KIND_CLIENT).collect();
    assert_eq!(db.len(), 11);
    for s in trace.iter().filter(|s| s.kind != KIND_SERVER) {
        let parent = if s.kind == KIND_CLIENT { phase } else { server };
        assert_eq!(
            s.parent,
            Some(parent.span_id),
            "{}: statements are siblings under the db phase, phases under the request",
            s.name
        );
        assert!(
            s.start_ns >= parent.start_ns && s.end_ns <= parent.end_ns,
            "{}: inside its parent",
            s.name
        );
        assert!(s.end_ns >= s.start_ns, "{}", s.name);
    }
    for s in &db {
        assert_eq!(attr(s, "db.system.name"), Some("sqlite"));
        assert_eq!(attr(s, "db.system"), Some("sqlite"));
        assert_eq!(attr(s, "db.operation.name"), Some("SELECT"));
        assert_eq!(attr(s, "code.function.name"), Some("load_items_n_plus_one"));
        assert_eq!(attr(s, "code.file.path"), Some("crates/demo/src/db.rs"));
        assert_eq!(attr(s, "db.query.text"), attr(s, "db.statement"));
    }
    let by_statement: BTreeMap<&str, usize> = db.iter().fold(BTreeMap::new(), |mut m, s| {
        *m.entry(attr(s, "db.statement").expect("statement"))
            .or_default() += 1;
        m
    });
    assert_eq!(by_statement.get(DETAILS_SQL), Some(&5), "{by_statement:#?}");
    assert_eq!(by_statement.get(ITEM_SQL), Some(&5), "{by_statement:#?}");
    assert!(db
        .iter()
        .filter(|s| attr(s, "db.statement") == Some(DETAILS_SQL))
        .all(|s| s.name == "SELECT item_details"));
    // statements run one after another on the one connection
    let mut times: Vec<(u64, u64)> = db.iter().map(|s| (s.start_ns, s.end_ns)).collect();
    times.sort_unstable();
    assert!(times.windows(2).all(|w| w[0].1 <= w[1].0), "{times:?}");
    let serialize: Vec<&&Span> = trace.iter().filter(|s| s.name == "serialize").collect();
    assert_eq!(serialize.len(), 1);
    assert_eq!(serialize[0].kind, KIND_INTERNAL);
    assert_eq!(
        attr(serialize[0], "code.function.name"),
        Some("render_item_slow")
    );
    assert_eq!(
        attr(serialize[0], "code.file.path"),
        Some("crates/demo/src/render.rs")
    );
    assert!(serialize[0].start_ns >= times.last().expect("db").1);

    // the second GET, on the fixed paths
    let fixed = gets
        .iter()
        .find(|s| s.span_id != server.span_id)
        .expect("two");
    let children: Vec<&Span> = spans
        .iter()
        .filter(|s| s.parent == Some(fixed.span_id))
        .collect();
    let functions: Vec<&str> = children
        .iter()
        .filter_map(|s| attr(s, "code.function.name"))
        .collect();
    assert_eq!(children.len(), 2, "{children:#?}");
    assert!(functions.contains(&"load_items") && functions.contains(&"render_items"));
    let phase = children.iter().find(|s| s.name == "db").expect("db phase");
    let queries: Vec<&Span> = spans
        .iter()
        .filter(|s| s.parent == Some(phase.span_id))
        .collect();
    assert_eq!(queries.len(), 1, "one joined query: {queries:#?}");
    assert_eq!(
        attr(queries[0], "code.function.name"),
        Some("load_items_joined")
    );
    assert!(spans.iter().any(|s| s.name == "POST /config"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_has_a_parse_span_and_a_span_per_transaction() {
    let rx = receiver();
    let demo = traced_demo(&rx);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        let r = c.post("/ingest?batch_size=2", &records(5, "t")).await;
        assert_eq!(r.status, StatusCode::OK);
        // a request the service refuses is still a span; an unknown path has no route
        assert_eq!(
            c.post("/ingest", b"not json").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(c.get("/nowhere").await.status, StatusCode::NOT_FOUND);
    })
    .await;
    shutdown(demo).await;
    let spans = rx.spans();
    // server + parse + db phase + 3 transactions; the refused ingest: server + failed parse
    // (no database work); the 404: server
    assert_eq!(spans.len(), 6 + 2 + 1, "{spans:#?}");
    let ingests: Vec<&Span> = spans.iter().filter(|s| s.name == "POST /ingest").collect();
    let server = ingests
        .iter()
        .find(|s| attr(s, "http.response.status_code") == Some("200"))
        .expect("the accepted ingest");
    let trace: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == server.trace_id)
        .collect();
    assert_eq!(trace.len(), 6, "{trace:#?}");
    let parse = trace.iter().find(|s| s.name == "parse").expect("parse");
    assert_eq!(parse.parent, Some(server.span_id));
    assert_eq!(attr(parse, "code.function.name"), Some("parse_records"));
    assert_eq!(
        attr(parse, "code.file.path"),
        Some("crates/demo/src/routes.rs")
    );
    let phase = trace.iter().find(|s| s.name == "db").expect("db phase");
    assert_eq!(phase.parent, Some(server.span_id));
    assert_eq!(attr(phase, "code.function.name"), Some("ingest"));
    let mut tx: Vec<&&Span> = trace.iter().filter(|s| s.kind == KIND_CLIENT).collect();
    tx.sort_by_key(|s| s.start_ns);
    assert_eq!(tx.len(), 3);
    for s in &tx {
        assert_eq!(s.name, "INSERT readings");
        assert_eq!(s.parent, Some(phase.span_id));
        assert!(s.start_ns >= phase.start_ns && s.end_ns <= phase.end_ns);
        assert_eq!(attr(s, "code.function.name"), Some("ingest"));
        assert_eq!(
            attr(s, "db.query.text"),
            Some("INSERT INTO readings (sensor, value) VALUES (?1, ?2)")
        );
    }
    let batches: Vec<Option<&str>> = tx
        .iter()
        .map(|s| attr(s, "db.operation.batch.size"))
        .collect();
    assert_eq!(batches, [Some("2"), Some("2"), None]);

    let refused = ingests
        .iter()
        .find(|s| attr(s, "http.response.status_code") == Some("400"))
        .expect("the refused ingest");
    let refused_children: Vec<&str> = spans
        .iter()
        .filter(|s| s.parent == Some(refused.span_id))
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(refused_children, ["parse"]);
    let unknown = spans.iter().find(|s| s.name == "GET").expect("GET");
    assert_eq!(attr(unknown, "url.path"), Some("/nowhere"));
    assert_eq!(attr(unknown, "http.route"), None);
    assert_eq!(attr(unknown, "http.response.status_code"), Some("404"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_environment_configures_the_sdk() {
    let _serial = serial().await;
    let rx = receiver();
    let endpoint = rx.endpoint();
    let demo = DemoProcess::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_SERVICE_NAME", "items-under-test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
    ]);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
        // exported on the 100 ms schedule, gzip-compressed, while the service runs
        let spans = wait_for_spans(&rx, ITEMS_5, 10).await;
        assert_eq!(spans.len(), ITEMS_5, "{spans:#?}");
        assert!(spans.iter().all(|s| s.service == "items-under-test"));
    })
    .await;
    let stderr = stop(demo, Duration::from_secs(10)).await;
    assert!(stderr.trim().is_empty(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samplers_and_switches_that_say_no_export_nothing() {
    let _serial = serial().await;
    for vars in [
        &[("OTEL_TRACES_SAMPLER", "always_off")][..],
        &[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ][..],
        &[("OTEL_SDK_DISABLED", "true")][..],
        &[("OTEL_TRACES_EXPORTER", "none")][..],
    ] {
        let rx = receiver();
        let endpoint = rx.endpoint();
        let mut env = vec![("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str())];
        env.extend_from_slice(vars);
        let demo = DemoProcess::start(&env);
        let addr = demo.addr;
        bounded(20, async {
            let mut c = Client::h1(addr).await;
            assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
            // not parent-based: an incoming sampled parent does not matter
            let r = c
                .send_with(
                    Method::GET,
                    "/items?limit=5",
                    b"",
                    &[("traceparent", TRACEPARENT)],
                )
                .await
                .expect("GET");
            assert_eq!(r.status, StatusCode::OK);
        })
        .await;
        stop(demo, Duration::from_secs(10)).await;
        assert_eq!(rx.requests(), 0, "{vars:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_based_sampling_continues_an_incoming_trace() {
    let _serial = serial().await;
    let rx = receiver();
    let endpoint = rx.endpoint();
    // roots are never sampled; only the caller's sampled flag makes spans
    let demo = DemoProcess::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_off"),
    ]);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        c.get("/items?limit=2").await;
        let unsampled = TRACEPARENT.replace("-01", "-00");
        // an invalid traceparent (all-zero trace id) is ignored: a root, not sampled here
        let invalid = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        for parent in [unsampled.as_str(), invalid] {
            c.send_with(
                Method::GET,
                "/items?limit=2",
                b"",
                &[("traceparent", parent)],
            )
            .await
            .expect("GET");
        }
        c.send_with(
            Method::GET,
            "/items?limit=3",
            b"",
            &[("traceparent", TRACEPARENT)],
        )
        .await
        .expect("GET");
    })
    .await;
    stop(demo, Duration::from_secs(10)).await;
    // 1 server + the db phase (1 + 2 × 3 queries) + serialize
    let spans = rx.spans();
    assert_eq!(spans.len(), 10, "{spans:#?}");
    let trace_id = hex("4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(spans.iter().all(|s| s.trace_id[..] == trace_id[..]));
    let server = spans
        .iter()
        .find(|s| s.kind == KIND_SERVER)
        .expect("server");
    assert_eq!(
        server.parent.map(|p| p.to_vec()),
        Some(hex("00f067aa0ba902b7")),
        "the caller's span is the parent"
    );
    assert_eq!(attr(server, "url.path"), Some("/items"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_queued_spans() {
    let _serial = serial().await;
    let rx = receiver();
    let endpoint = rx.endpoint();
    // nothing would be exported on schedule within the test
    let demo = DemoProcess::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
    ]);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        for _ in 0..3 {
            c.get("/items?limit=5").await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    })
    .await;
    assert!(
        rx.spans().is_empty(),
        "the first export is ten minutes away"
    );
    let t0 = Instant::now();
    stop(demo, Duration::from_secs(10)).await;
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(rx.spans().len(), 3 * ITEMS_5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_collector_costs_spans_not_requests() {
    let _serial = serial().await;
    // accepts connections and never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}/v1/traces", listener.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let demo = DemoProcess::start(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &endpoint),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "4"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
    ]);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        for _ in 0..3 {
            let t0 = Instant::now();
            assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
            assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
        }
    })
    .await;
    // the flush gives up after its bound instead of waiting for the 30 s export timeout
    let t0 = Instant::now();
    let stderr = stop(demo, FLUSH_TIMEOUT + Duration::from_secs(7)).await;
    assert!(
        t0.elapsed() < FLUSH_TIMEOUT + Duration::from_secs(4),
        "{:?}",
        t0.elapsed()
    );
    assert!(stderr.trim().is_empty(), "{stderr}");
    held.abort();
}

/// A collector that is not there yet when the first spans are exported (`perfhive investigate`
/// used to show `exporting N spans … failed: Connection refused` in that case): the exporter
/// retries quietly and the spans arrive once it listens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_starts_late_gets_the_spans_and_nothing_is_printed() {
    let _serial = serial().await;
    let addr = perfhive_test_support::free_addr();
    let endpoint = format!("http://{addr}");
    let demo = DemoProcess::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ]);
    let demo_addr = demo.addr;
    let rx = bounded(20, async {
        let mut c = Client::h1(demo_addr).await;
        assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
        // the first export (50 ms after the request) finds nothing listening
        tokio::time::sleep(Duration::from_millis(250)).await;
        let rx = perfhive_traces::spawn(ReceiverOptions {
            bind: addr,
            grpc_bind: None,
            ..ReceiverOptions::default()
        })
        .expect("the receiver takes the port");
        let spans = wait_for_spans(&rx, ITEMS_5, 10).await;
        assert_eq!(spans.len(), ITEMS_5, "{spans:#?}");
        rx
    })
    .await;
    let stderr = stop(demo, Duration::from_secs(10)).await;
    assert!(stderr.trim().is_empty(), "{stderr}");
    drop(rx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absent_collector_fails_no_request_and_says_nothing() {
    let _serial = serial().await;
    let endpoint = format!("http://{}", perfhive_test_support::free_addr());
    let demo = DemoProcess::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ]);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        for _ in 0..3 {
            assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(c.get("/health").await.status, StatusCode::OK);
    })
    .await;
    let t0 = Instant::now();
    let stderr = stop(demo, FLUSH_TIMEOUT + Duration::from_secs(7)).await;
    assert!(
        t0.elapsed() < FLUSH_TIMEOUT + Duration::from_secs(4),
        "{:?}",
        t0.elapsed()
    );
    assert!(stderr.trim().is_empty(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_perfhive_does_not_carry_is_a_warning_not_an_outage() {
    let _serial = serial().await;
    let rx = receiver();
    let endpoint = rx.endpoint();
    let demo = DemoProcess::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ]);
    let addr = demo.addr;
    bounded(20, async {
        let mut c = Client::h1(addr).await;
        c.get("/health").await;
    })
    .await;
    let stderr = stop(demo, Duration::from_secs(10)).await;
    assert!(
        stderr.contains("perfhive-demo: warning: OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\""),
        "{stderr}"
    );
    // exported as http/protobuf all the same
    let spans = rx.spans();
    assert_eq!(spans.len(), 1, "{spans:#?}");
    assert_eq!(spans[0].name, "GET /health");
}
