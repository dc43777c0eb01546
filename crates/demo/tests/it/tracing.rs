//! Span export: a tiny OTLP/HTTP collector on 127.0.0.1:0 receives what the demo exports and
//! decodes it (prost for protobuf, serde_json for OTLP JSON).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use perfhive_demo::otel::ExportConfig;
use perfhive_demo::{spawn, DemoOptions, RunningDemo};
use prost::Message;
use tokio::net::TcpListener;

use crate::support::{bounded, records, Client};

/// The N+1 path's per-item statements.
const ITEM_SQL: &str =
    "SELECT id, name, category, price_cents, description FROM items WHERE id = ?1";
const DETAILS_SQL: &str = "SELECT key, value FROM item_details WHERE item_id = ?1 ORDER BY id";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// One export request as received.
#[derive(Debug, Clone)]
struct Export {
    content_type: String,
    path: String,
    body: Bytes,
}

/// A collector answering 200 to every POST and keeping what it received.
struct Collector {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Export>>>,
}

impl Collector {
    async fn start() -> Self {
        Self::start_with(true).await
    }

    /// A collector that closes every connection after its answer unless `keep_alive`.
    async fn start_with(keep_alive: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let store = Arc::clone(&store);
                let svc = service_fn(move |req: Request<Incoming>| {
                    let store = Arc::clone(&store);
                    async move {
                        let content_type = req
                            .headers()
                            .get(http::header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let path = req.uri().path().to_string();
                        let body = req.into_body().collect().await.expect("body").to_bytes();
                        store.lock().expect("store").push(Export {
                            content_type,
                            path,
                            body,
                        });
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .keep_alive(keep_alive)
                        .serve_connection(TokioIo::new(stream), svc),
                );
            }
        });
        Self { addr, received }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn exports(&self) -> Vec<Export> {
        self.received.lock().expect("store").clone()
    }

    /// Every span received so far (protobuf exports), with its service name.
    fn spans(&self) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for e in self.exports() {
            assert_eq!(e.content_type, "application/x-protobuf");
            assert_eq!(e.path, "/v1/traces");
            let req = ExportTraceServiceRequest::decode(e.body).expect("protobuf export");
            for rs in req.resource_spans {
                let resource = rs.resource.expect("resource");
                let service = string_attr(&resource.attributes, "service.name").expect("service");
                for ss in rs.scope_spans {
                    assert_eq!(ss.scope.expect("scope").name, "perfhive-demo");
                    out.extend(ss.spans.into_iter().map(|s| (service.clone(), s)));
                }
            }
        }
        out
    }

    /// Waits until at least `n` spans arrived (the demo exports every 200 ms).
    async fn wait_for_spans(&self, n: usize) -> Vec<(String, Span)> {
        let t0 = Instant::now();
        loop {
            let spans = self.spans();
            if spans.len() >= n || t0.elapsed() > Duration::from_secs(5) {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A demo exporting to `collector`, configured through the environment-variable parser.
fn traced_demo(collector: &Collector, vars: &[(&str, &str)]) -> RunningDemo {
    let mut env: HashMap<String, String> = HashMap::from([(
        "OTEL_EXPORTER_OTLP_ENDPOINT".to_string(),
        collector.base_url(),
    )]);
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (trace, warnings) = ExportConfig::from_lookup(|k| env.get(k).cloned());
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(trace.is_some());
    spawn(DemoOptions {
        trace,
        ..Default::default()
    })
    .expect("spawn demo")
}

/// Shuts the demo down (which flushes its spans) without blocking the collector's runtime.
async fn shutdown(demo: RunningDemo) {
    tokio::task::spawn_blocking(move || demo.shutdown())
        .await
        .expect("shutdown");
}

fn string_attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    })
}

fn int_attr(attrs: &[KeyValue], key: &str) -> Option<i64> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::IntValue(i) => Some(*i),
            _ => None,
        }
    })
}

const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const INTERNAL: i32 = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_plus_one_request_is_a_server_span_with_a_db_span_per_statement() {
    let collector = Collector::start().await;
    let demo = traced_demo(
        &collector,
        &[
            ("OTEL_SERVICE_NAME", "items-under-test"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment.name=lab",
            ),
        ],
    );
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        let r = c.get("/items?limit=5").await;
        assert_eq!(r.status, StatusCode::OK);
        // 1 server + the db phase (1 ids query + 2 × 5 per-item queries) + serialize.
        let spans = collector.wait_for_spans(14).await;
        assert_eq!(spans.len(), 14, "{spans:#?}");
        assert!(spans
            .iter()
            .all(|(service, _)| service == "items-under-test"));
        let spans: Vec<Span> = spans.into_iter().map(|(_, s)| s).collect();

        let server: Vec<&Span> = spans.iter().filter(|s| s.kind == SERVER).collect();
        assert_eq!(server.len(), 1);
        let server = server[0];
        assert_eq!(server.name, "GET /items");
        assert!(server.parent_span_id.is_empty(), "a root span");
        assert_eq!(server.trace_id.len(), 16);
        assert_eq!(server.span_id.len(), 8);
        let a = &server.attributes;
        assert_eq!(
            string_attr(a, "http.request.method").as_deref(),
            Some("GET")
        );
        assert_eq!(string_attr(a, "http.route").as_deref(), Some("/items"));
        assert_eq!(string_attr(a, "url.path").as_deref(), Some("/items"));
        assert_eq!(int_attr(a, "http.response.status_code"), Some(200));
        assert!(server.end_time_unix_nano > server.start_time_unix_nano);

        // The db phase: under the request, enclosing every statement (and the wait for the
        // connection), named by the Db method doing the work.
        let phase: Vec<&Span> = spans.iter().filter(|s| s.name == "db").collect();
        assert_eq!(phase.len(), 1, "{spans:#?}");
        let phase = phase[0];
        assert_eq!(phase.kind, INTERNAL);
        assert_eq!(
            string_attr(&phase.attributes, "code.function.name").as_deref(),
            Some("load_items")
        );
        let db: Vec<&Span> = spans.iter().filter(|s| s.kind == CLIENT).collect();
        assert!(db.len() >= 6, "{} db spans", db.len());
        assert_eq!(db.len(), 11);
        for s in spans.iter().filter(|s| s.kind != SERVER) {
            assert_eq!(s.trace_id, server.trace_id, "{}", s.name);
            let parent = if s.kind == CLIENT { phase } else { server };
            assert_eq!(
                s.parent_span_id, parent.span_id,
                "{}: statements are siblings under the db phase, phases under the request",
                s.name
            );
            if s.kind == CLIENT {
                assert!(
                    s.start_time_unix_nano >= phase.start_time_unix_nano
                        && s.end_time_unix_nano <= phase.end_time_unix_nano,
                    "{}: inside the db phase",
                    s.name
                );
            }
            assert_ne!(s.span_id, server.span_id);
            // Real, nested time: inside the request's span.
            assert!(
                s.start_time_unix_nano >= server.start_time_unix_nano,
                "{}",
                s.name
            );
            assert!(
                s.end_time_unix_nano <= server.end_time_unix_nano,
                "{}",
                s.name
            );
            assert!(s.end_time_unix_nano >= s.start_time_unix_nano, "{}", s.name);
        }
        let mut ids: Vec<&Vec<u8>> = spans.iter().map(|s| &s.span_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), spans.len(), "span ids are unique");
        for s in &db {
            let a = &s.attributes;
            assert_eq!(string_attr(a, "db.system.name").as_deref(), Some("sqlite"));
            assert_eq!(string_attr(a, "db.system").as_deref(), Some("sqlite"));
            assert_eq!(
                string_attr(a, "db.operation.name").as_deref(),
                Some("SELECT")
            );
            assert_eq!(
                string_attr(a, "code.function.name").as_deref(),
                Some("load_items_n_plus_one")
            );
            assert_eq!(
                string_attr(a, "db.query.text"),
                string_attr(a, "db.statement")
            );
        }
        let by_statement: BTreeMap<String, usize> = db.iter().fold(BTreeMap::new(), |mut m, s| {
            *m.entry(string_attr(&s.attributes, "db.statement").expect("statement"))
                .or_default() += 1;
            m
        });
        assert_eq!(by_statement.get(DETAILS_SQL), Some(&5), "{by_statement:#?}");
        assert_eq!(by_statement.get(ITEM_SQL), Some(&5), "{by_statement:#?}");
        let details: Vec<&&Span> = db
            .iter()
            .filter(|s| string_attr(&s.attributes, "db.statement").as_deref() == Some(DETAILS_SQL))
            .collect();
        assert!(details.iter().all(|s| s.name == "SELECT item_details"));
        // Statements run one after another on the one connection.
        let mut starts: Vec<(u64, u64)> = db
            .iter()
            .map(|s| (s.start_time_unix_nano, s.end_time_unix_nano))
            .collect();
        starts.sort();
        assert!(starts.windows(2).all(|w| w[0].1 <= w[1].0), "{starts:?}");

        let serialize: Vec<&Span> = spans.iter().filter(|s| s.name == "serialize").collect();
        assert_eq!(serialize.len(), 1);
        assert_eq!(serialize[0].kind, INTERNAL);
        assert_eq!(
            string_attr(&serialize[0].attributes, "code.function.name").as_deref(),
            Some("render_item_slow")
        );
        // Serialisation follows the database work.
        assert!(serialize[0].start_time_unix_nano >= starts.last().expect("db").1);

        // The fixed paths name their functions too.
        let r = c
            .post(
                "/config",
                br#"{"n_plus_one": false, "fast_serialization": true}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        c.get("/items?limit=5").await;
        // + POST /config, and server + db phase + one joined query + serialize
        let spans = collector.wait_for_spans(14 + 1 + 4).await;
        let fixed: Vec<&Span> = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.trace_id != server.trace_id)
            .collect();
        let names: Vec<&str> = fixed.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&"POST /config"), "{names:?}");
        let get = fixed
            .iter()
            .find(|s| s.name == "GET /items")
            .expect("the second GET");
        let children: Vec<&&Span> = fixed
            .iter()
            .filter(|s| s.parent_span_id == get.span_id)
            .collect();
        assert_eq!(children.len(), 2, "{children:#?}");
        let functions: Vec<String> = children
            .iter()
            .filter_map(|s| string_attr(&s.attributes, "code.function.name"))
            .collect();
        assert!(
            functions.contains(&"load_items".to_string()),
            "{functions:?}"
        );
        let phase = children.iter().find(|s| s.name == "db").expect("db phase");
        let queries: Vec<&&Span> = fixed
            .iter()
            .filter(|s| s.parent_span_id == phase.span_id)
            .collect();
        assert_eq!(queries.len(), 1, "one joined query: {queries:#?}");
        assert_eq!(
            string_attr(&queries[0].attributes, "code.function.name").as_deref(),
            Some("load_items_joined")
        );
        assert!(
            functions.contains(&"render_items".to_string()),
            "{functions:?}"
        );
    })
    .await;
    let resource_ok = collector.exports().iter().all(|e| {
        let req = ExportTraceServiceRequest::decode(e.body.clone()).expect("decode");
        let attrs = &req.resource_spans[0]
            .resource
            .as_ref()
            .expect("resource")
            .attributes;
        string_attr(attrs, "deployment.environment.name").as_deref() == Some("lab")
            && string_attr(attrs, "telemetry.sdk.language").as_deref() == Some("rust")
    });
    assert!(resource_ok);
    shutdown(demo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_has_a_parse_span_and_a_span_per_transaction() {
    let collector = Collector::start().await;
    let demo = traced_demo(&collector, &[("OTEL_TRACES_SAMPLER", "always_on")]);
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        let r = c.post("/ingest?batch_size=2", &records(5, "t")).await;
        assert_eq!(r.status, StatusCode::OK);
        // Server + parse + the db phase with 3 transactions (2 + 2 + 1 records).
        let spans: Vec<Span> = collector
            .wait_for_spans(6)
            .await
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(spans.len(), 6, "{spans:#?}");
        let server = spans.iter().find(|s| s.kind == SERVER).expect("server");
        assert_eq!(server.name, "POST /ingest");
        let parse = spans.iter().find(|s| s.name == "parse").expect("parse");
        assert_eq!(parse.parent_span_id, server.span_id);
        assert_eq!(
            string_attr(&parse.attributes, "code.function.name").as_deref(),
            Some("parse_records")
        );
        let phase = spans.iter().find(|s| s.name == "db").expect("db phase");
        assert_eq!(phase.parent_span_id, server.span_id);
        assert_eq!(phase.kind, INTERNAL);
        assert_eq!(
            string_attr(&phase.attributes, "code.function.name").as_deref(),
            Some("ingest")
        );
        let mut tx: Vec<&Span> = spans.iter().filter(|s| s.kind == CLIENT).collect();
        tx.sort_by_key(|s| s.start_time_unix_nano);
        assert_eq!(tx.len(), 3);
        for s in &tx {
            assert_eq!(s.name, "INSERT readings");
            assert_eq!(s.parent_span_id, phase.span_id);
            assert!(
                s.start_time_unix_nano >= phase.start_time_unix_nano
                    && s.end_time_unix_nano <= phase.end_time_unix_nano
            );
            assert_eq!(
                string_attr(&s.attributes, "code.function.name").as_deref(),
                Some("ingest")
            );
            assert_eq!(
                string_attr(&s.attributes, "db.query.text").as_deref(),
                Some("INSERT INTO readings (sensor, value) VALUES (?1, ?2)")
            );
        }
        let batches: Vec<Option<i64>> = tx
            .iter()
            .map(|s| int_attr(&s.attributes, "db.operation.batch.size"))
            .collect();
        assert_eq!(batches, [Some(2), Some(2), None]);

        // A request the service refuses is still a span; an unknown path has no route.
        c.post("/ingest", b"not json").await;
        c.get("/nowhere").await;
        // the refused ingest: server + failed parse (no database work); the 404: server
        let spans = collector.wait_for_spans(6 + 2 + 1).await;
        let names: Vec<&str> = spans.iter().map(|(_, s)| s.name.as_str()).collect();
        assert!(names.contains(&"GET"), "{names:?}");
        let unknown = spans
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.name == "GET")
            .expect("GET");
        assert_eq!(
            string_attr(&unknown.attributes, "url.path").as_deref(),
            Some("/nowhere")
        );
        assert_eq!(string_attr(&unknown.attributes, "http.route"), None);
        assert_eq!(
            int_attr(&unknown.attributes, "http.response.status_code"),
            Some(404)
        );
        let failed_parse = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.name == "parse")
            .find(|s| s.status.as_ref().is_some_and(|st| st.code == 2));
        assert!(failed_parse.is_some(), "the failed parse is an error span");
    })
    .await;
    shutdown(demo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samplers_that_say_no_export_nothing() {
    for vars in [
        &[("OTEL_TRACES_SAMPLER", "always_off")][..],
        &[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ][..],
    ] {
        let collector = Collector::start().await;
        let demo = traced_demo(&collector, vars);
        bounded(20, async {
            let mut c = Client::connect(demo.addr).await;
            assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
            // Not parent-based: an incoming sampled parent does not matter.
            let r = c
                .send_with(
                    Method::GET,
                    "/items?limit=5",
                    b"",
                    &[("traceparent", TRACEPARENT)],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK);
        })
        .await;
        let stats = demo.trace_stats().expect("tracing is configured");
        shutdown(demo).await;
        assert_eq!(stats.exported, 0, "{vars:?}");
        assert!(collector.exports().is_empty(), "{vars:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parent_based_sampling_continues_an_incoming_trace() {
    let collector = Collector::start().await;
    // Roots are never sampled; only the caller's sampled flag makes spans.
    let demo = traced_demo(
        &collector,
        &[("OTEL_TRACES_SAMPLER", "parentbased_always_off")],
    );
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        c.get("/items?limit=2").await;
        let unsampled = TRACEPARENT.replace("-01", "-00");
        c.send_with(
            Method::GET,
            "/items?limit=2",
            b"",
            &[("traceparent", &unsampled)],
        )
        .await;
        // An invalid traceparent is ignored: a root, not sampled here.
        c.send_with(
            Method::GET,
            "/items?limit=2",
            b"",
            &[(
                "traceparent",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            )],
        )
        .await;
        c.send_with(
            Method::GET,
            "/items?limit=3",
            b"",
            &[("traceparent", TRACEPARENT)],
        )
        .await;
        // 1 server + the db phase (1 + 2 × 3 queries) + serialize.
        let spans: Vec<Span> = collector
            .wait_for_spans(10)
            .await
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(spans.len(), 10, "{spans:#?}");
        let trace_id = hex("4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(spans.iter().all(|s| s.trace_id == trace_id));
        let server = spans.iter().find(|s| s.kind == SERVER).expect("server");
        assert_eq!(server.parent_span_id, hex("00f067aa0ba902b7"));
        assert_eq!(server.flags & 0x300, 0x300, "the parent is remote");
        assert_eq!(server.flags & 0xff, 1, "sampled");
        let phase = spans.iter().find(|s| s.name == "db").expect("db phase");
        assert!(spans.iter().filter(|s| s.kind != SERVER).all(|s| {
            let parent = if s.kind == CLIENT { phase } else { server };
            s.parent_span_id == parent.span_id && s.flags & 0x300 == 0x100
        }));
    })
    .await;
    shutdown(demo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_json_is_valid_otlp_json() {
    let collector = Collector::start().await;
    let demo = traced_demo(
        &collector,
        &[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_SERVICE_NAME", "json-svc"),
        ],
    );
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        c.get("/items?limit=2").await;
        let t0 = Instant::now();
        let mut spans = Vec::new();
        while spans.len() < 8 && t0.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(20)).await;
            spans.clear();
            for e in collector.exports() {
                assert_eq!(e.content_type, "application/json");
                let v: serde_json::Value = serde_json::from_slice(&e.body).expect("JSON");
                let rs = &v["resourceSpans"][0];
                let service = rs["resource"]["attributes"]
                    .as_array()
                    .expect("attributes")
                    .iter()
                    .find(|kv| kv["key"] == "service.name")
                    .expect("service.name");
                assert_eq!(service["value"]["stringValue"], "json-svc");
                assert_eq!(rs["scopeSpans"][0]["scope"]["name"], "perfhive-demo");
                spans.extend(
                    rs["scopeSpans"][0]["spans"]
                        .as_array()
                        .expect("spans")
                        .iter()
                        .cloned(),
                );
            }
        }
        // 1 server + the db phase (1 + 2 × 2 queries) + serialize.
        assert_eq!(spans.len(), 8, "{spans:#?}");
        let is_hex = |v: &serde_json::Value, len: usize| {
            v.as_str().is_some_and(|s| {
                s.len() == len
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
        };
        let is_u64_string =
            |v: &serde_json::Value| v.as_str().is_some_and(|s| s.parse::<u64>().is_ok());
        let server = spans.iter().find(|s| s["kind"] == SERVER).expect("server");
        let phase = spans.iter().find(|s| s["name"] == "db").expect("db phase");
        for s in &spans {
            assert!(is_hex(&s["traceId"], 32), "{s}");
            assert!(is_hex(&s["spanId"], 16), "{s}");
            assert!(is_u64_string(&s["startTimeUnixNano"]), "{s}");
            assert!(is_u64_string(&s["endTimeUnixNano"]), "{s}");
            assert!(s["kind"].is_i64(), "{s}");
            assert_eq!(s["traceId"], server["traceId"]);
            if s["kind"] == CLIENT {
                assert_eq!(s["parentSpanId"], phase["spanId"], "{s}");
            } else if s["kind"] != SERVER {
                assert_eq!(s["parentSpanId"], server["spanId"], "{s}");
            }
        }
        assert!(
            server.get("parentSpanId").is_none(),
            "a root has no parent id"
        );
        let status = server["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|kv| kv["key"] == "http.response.status_code")
            .expect("status attribute");
        assert_eq!(status["value"]["intValue"], "200", "int64 as a string");
    })
    .await;
    shutdown(demo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_queued_spans() {
    let collector = Collector::start().await;
    // Nothing would be exported on schedule within the test.
    let demo = traced_demo(&collector, &[("OTEL_BSP_SCHEDULE_DELAY", "600000")]);
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        for _ in 0..3 {
            c.get("/items?limit=5").await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    })
    .await;
    // The first scheduled export is ten minutes away: nothing was exported yet.
    assert!(collector.spans().is_empty());
    let t0 = Instant::now();
    shutdown(demo).await;
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(collector.spans().len(), 3 * 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_collector_costs_dropped_spans_not_requests() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            keep.lock().expect("held").push(stream);
        }
    });
    let env: HashMap<&str, String> = HashMap::from([
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            format!("http://{addr}/v1/traces"),
        ),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "4".to_string()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000".to_string()),
    ]);
    let (trace, _) = ExportConfig::from_lookup(|k| env.get(k).cloned());
    let demo = spawn(DemoOptions {
        trace,
        ..Default::default()
    })
    .expect("spawn");
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        for _ in 0..3 {
            let t0 = Instant::now();
            assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
            assert!(t0.elapsed() < Duration::from_secs(2));
        }
    })
    .await;
    let stats = demo.trace_stats().expect("stats");
    // 42 spans; at most 4 queued and 4 in the stuck export request.
    assert!(stats.dropped >= 42 - 8, "{stats:?}");
    assert_eq!(stats.exported, 0);
    let t0 = Instant::now();
    shutdown(demo).await;
    // The flush gives up after its bound instead of waiting for the 30 s export timeout.
    assert!(t0.elapsed() < Duration::from_secs(6), "{:?}", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_errors_are_counted_and_do_not_fail_requests() {
    // A port with nothing listening.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let env: HashMap<&str, String> =
        HashMap::from([("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}"))]);
    let (trace, _) = ExportConfig::from_lookup(|k| env.get(k).cloned());
    let demo = spawn(DemoOptions {
        trace,
        ..Default::default()
    })
    .expect("spawn");
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        assert_eq!(c.get("/items?limit=5").await.status, StatusCode::OK);
        let t0 = Instant::now();
        while demo.trace_stats().expect("stats").failed < 14
            && t0.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let stats = demo.trace_stats().expect("stats");
        assert_eq!((stats.failed, stats.exported, stats.dropped), (14, 0, 0));
        assert_eq!(c.get("/health").await.status, StatusCode::OK);
    })
    .await;
    shutdown(demo).await;
}

#[tokio::test]
async fn no_trace_config_means_no_stats_and_no_spans() {
    let demo = spawn(DemoOptions::default()).expect("spawn");
    assert_eq!(demo.trace_stats(), None);
    bounded(10, async {
        let mut c = Client::connect(demo.addr).await;
        assert_eq!(c.get("/items?limit=2").await.status, StatusCode::OK);
    })
    .await;
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_closing_connections_loses_nothing() {
    let collector = Collector::start_with(false).await;
    let demo = traced_demo(&collector, &[]);
    bounded(20, async {
        let mut c = Client::connect(demo.addr).await;
        for round in 1..=3 {
            c.get("/items?limit=5").await;
            assert_eq!(collector.wait_for_spans(14 * round).await.len(), 14 * round);
        }
    })
    .await;
    let stats = demo.trace_stats().expect("stats");
    assert_eq!((stats.exported, stats.failed, stats.dropped), (42, 0, 0));
    assert!(collector.exports().len() >= 3);
    shutdown(demo).await;
}
