//! The `database:` investigator of a plan against a throwaway PostgreSQL cluster and an
//! SQLite file: the window around a workload, the statements the traces saw planned too, a
//! full scan answered by a verified `CREATE INDEX`, and the findings' join keys (statement
//! fingerprint, route).

// the database crate's throwaway cluster (it reports a skip on stderr outside CI)
#![allow(clippy::print_stderr)]

#[path = "../../database/tests/support/mod.rs"]
mod support;

use perfhive_core::route::Route;
use perfhive_core::sql::fingerprint;
use perfhive_database::SeenStatement;
use perfhive_investigate::investigators::database::{
    open_window, route_costs, seen_in_code, seen_in_traces, RouteCost,
};
use perfhive_investigate::plan::{plan_dir, Plan};
use perfhive_investigate::runner::{Context, Investigator};
use perfhive_investigate::Verdict;
use perfhive_traces::Span;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BY_CUSTOMER: &str = "SELECT * FROM orders WHERE customer_id = 42";

/// What a service's spans say: `GET /customers/{id}/orders` (50 ms) runs the lookup by
/// customer (new semantic conventions, with its literal value) in a span of `db_ms`.
fn spans(db_ms: u64) -> Vec<Span> {
    let span = |id: u8, parent: Option<u8>, kind: i32, attrs: &[(&str, &str)]| Span {
        trace_id: [1; 16],
        span_id: [id; 8],
        parent: parent.map(|p| [p; 8]),
        name: "x".into(),
        service: "shop".into(),
        kind,
        start_ns: 1_000_000 * u64::from(id),
        end_ns: 1_000_000 * (u64::from(id) + if parent.is_none() { 50 } else { db_ms }),
        attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    vec![
        span(
            1,
            None,
            2,
            &[
                ("http.route", "/customers/{id}/orders"),
                ("http.request.method", "GET"),
            ],
        ),
        span(
            2,
            Some(1),
            3,
            &[
                ("db.query.text", BY_CUSTOMER),
                ("db.system.name", "postgresql"),
            ],
        ),
    ]
}

fn plan(dir: &std::path::Path, dsn: &str) -> Plan {
    let path = dir.join("plan.yaml");
    let text = format!(
        "name: shop\ntarget: {{ url: \"http://127.0.0.1:9\" }}\nload: {{ users: 1, duration_seconds: 1, requests: [{{ name: orders, path: /customers/42/orders }}] }}\ninvestigators:\n  load: {{}}\n  traces: {{}}\n  database: {{ dsn: \"{dsn}\" }}\n"
    );
    std::fs::write(&path, &text).unwrap();
    Plan::from_str_at(&text, &path).unwrap_or_else(|e| panic!("{e}"))
}

fn ctx() -> Context {
    Context {
        target_url: String::new(),
        stop: Arc::new(AtomicBool::new(false)),
        progress: perfhive_investigate::Progress::none(),
    }
}

/// Opens the window, runs `workload`, closes the window with the statements `seen` and the
/// requests' `costs`, and runs the investigator; returns its result.
fn run_window(
    dir: &std::path::Path,
    dsn: &str,
    workload: impl FnOnce(),
    seen: Vec<SeenStatement>,
    costs: Vec<RouteCost>,
) -> perfhive_investigate::InvestigatorResult {
    let plan = plan(dir, dsn);
    let o = plan.investigators.database.as_ref().unwrap();
    let window =
        open_window(&o.dsn, &plan_dir(&dir.join("plan.yaml"))).unwrap_or_else(|e| panic!("{e}"));
    workload();
    let mut inv = window
        .close(
            seen,
            perfhive_database::AnalyseOptions {
                runs: 3,
                ..Default::default()
            },
        )
        .with_route_costs(costs);
    inv.run(&ctx(), Instant::now() + Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{}", e.0))
}

/// Runs the investigator over a window around `workload`, with traces whose statement span
/// lasts `db_ms` of its request's 50 ms; returns its result.
fn investigate(
    dir: &std::path::Path,
    dsn: &str,
    db_ms: u64,
    workload: impl FnOnce(),
) -> perfhive_investigate::InvestigatorResult {
    let traces = perfhive_traces::summarize(&spans(db_ms), &[], 0, 5);
    let seen = seen_in_traces(&traces);
    assert_eq!(seen.len(), 1);
    run_window(dir, dsn, workload, seen, route_costs(&traces))
}

/// The full-scan finding about statement `fp`; panics listing the findings when there is none.
fn seq_scan_of(
    r: &perfhive_investigate::InvestigatorResult,
    fp: perfhive_core::sql::Fingerprint,
) -> &perfhive_investigate::Finding {
    r.findings
        .iter()
        .find(|f| f.id.starts_with("database.seq-scan") && f.statements == vec![fp])
        .unwrap_or_else(|| {
            panic!(
                "{:#?}",
                r.findings
                    .iter()
                    .map(|f| (&f.id, &f.title, &f.statements))
                    .collect::<Vec<_>>()
            )
        })
}

fn assert_seq_scan_with_verified_index(r: &perfhive_investigate::InvestigatorResult, create: &str) {
    assert_eq!(r.verdict, Verdict::Found, "{}", r.summary);
    let fp = fingerprint(BY_CUSTOMER);
    let scan = seq_scan_of(r, fp);
    assert_eq!(scan.routes, vec![Route::parse("GET /customers/{}/orders")]);
    let rec = scan.recommendation.as_ref().expect("a fix");
    assert!(rec.action.contains(create), "{}", rec.action);
    assert!(rec.impact.starts_with("verified: "), "{}", rec.impact);
    assert!(rec.expected_speedup.is_some_and(|s| s > 1.0), "{rec:?}");
    // the data behind it is the audit's report, with the statement the traces saw
    let data = r.data.as_ref().unwrap().to_json();
    assert!(
        data["statements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["fingerprint"] == fp.to_string()),
        "{data}"
    );
}

#[test]
fn postgres_window_seq_scan_and_verified_index() {
    let cluster = match support::Cluster::start(&[]) {
        Ok(c) => c,
        Err(e) => return support::unavailable(&e),
    };
    cluster.psql(
        "postgres",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL);
         INSERT INTO orders (customer_id, total) SELECT 1 + (i * 7919) % 5000, i % 100 FROM generate_series(1, 200000) i;
         ANALYZE; CREATE EXTENSION pg_stat_statements;",
    );
    let dir = tempfile::tempdir().unwrap();
    let r = investigate(dir.path(), &cluster.dsn("postgres"), 20, || {
        cluster.pgbench(
            "postgres",
            "\\set c random(1, 5000)\nSELECT * FROM orders WHERE customer_id = :c;\n",
            &["-t", "30"],
        );
    });
    assert_seq_scan_with_verified_index(
        &r,
        "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON public.orders (customer_id)",
    );
    // the window held the workload's own calls
    let data = r.data.as_ref().unwrap().to_json();
    let calls = data["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["fingerprint"] == fingerprint(BY_CUSTOMER).to_string())
        .and_then(|s| s["stats"]["calls"].as_u64());
    assert_eq!(calls, Some(30), "{data}");
    // read-only: no index was created
    assert_eq!(
        cluster.psql(
            "postgres",
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'"
        ),
        "1"
    );
}

#[test]
fn sqlite_file_relative_to_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.db");
    let c = rusqlite::Connection::open(&file).unwrap();
    c.execute_batch(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total REAL NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
           INSERT INTO orders (customer_id, total) SELECT 1 + (i * 7919) % 5000, i % 100 FROM n;",
    )
    .unwrap();
    drop(c);
    let before = std::fs::read(&file).unwrap();
    let r = investigate(dir.path(), "shop.db", 20, || {});
    assert_seq_scan_with_verified_index(
        &r,
        "CREATE INDEX orders_customer_id_idx ON orders (customer_id)",
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the file is untouched"
    );
    // a DSN that is neither is refused at the plan, with its line
    let path = dir.path().join("bad.yaml");
    let text = "name: shop\ntarget: { url: \"http://127.0.0.1:9\" }\nload: { users: 1, requests: [{ name: a, path: / }] }\ninvestigators:\n  load: {}\n  database: { dsn: missing.db }\n";
    let e = Plan::from_str_at(text, &path).unwrap_err();
    assert_eq!((e.line, e.column), (Some(6), Some(20)), "{e}");
    assert!(e.to_string().contains("missing.db"), "{e}");
}

/// A folder with `shop.db`: 200,000 orders of 5,000 customers, no index on customer_id.
fn orders_db() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let c = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    c.execute_batch(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total REAL NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
           INSERT INTO orders (customer_id, total) SELECT 1 + (i * 7919) % 5000, i % 100 FROM n;",
    )
    .unwrap();
    dir
}

/// A driver whose span ends before the rows are fetched (a cursor steps the rest later): the
/// statement's span is 1 ms of a 50 ms request, but timed to its last row on a copy it costs
/// more, and the finding takes the share that cost has of the request, with the evidence.
#[test]
fn sqlite_statement_timed_on_a_copy_takes_its_share_of_the_request() {
    let dir = orders_db();
    let r = investigate(dir.path(), "shop.db", 1, || {});
    let scan = r
        .findings
        .iter()
        .find(|f| f.id.starts_with("database.seq-scan"))
        .expect("the full scan");
    let timed = scan
        .evidence
        .iter()
        .find(|e| {
            e.label
                .starts_with("the statement run to its last row on a copy")
        })
        .unwrap_or_else(|| panic!("{:#?}", scan.evidence));
    assert!(timed.label.contains("/customers/"), "{}", timed.label);
    // a 200,000-row scan takes more than the 1 ms span: more than 2% of the 50 ms request
    let share = scan.time_share.unwrap();
    assert!(share > 0.02 && share <= 1.0, "{share}");
    assert!(
        (timed.value - 100.0 * share).abs() < 0.1,
        "{} vs {share}",
        timed.value
    );
}

/// A statement no trace ran during the window, but which the code holds as a SQL string, is
/// planned too: its full scan is found and the finding names the statement the code finding in
/// the same function carries.
#[test]
fn sqlite_statement_in_the_code_is_planned() {
    let dir = tempfile::tempdir().unwrap();
    let c = rusqlite::Connection::open(dir.path().join("shop.db")).unwrap();
    c.execute_batch(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, at INTEGER NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
           INSERT INTO events (sku, at) SELECT 'SKU-' || (i % 3000), i FROM n;",
    )
    .unwrap();
    drop(c);
    let src = dir.path().join("app");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("views.py"),
        "def search_events(db, sku):\n    return db.execute(\"SELECT id, at FROM events WHERE sku = ?\", (sku,)).fetchall()\n",
    )
    .unwrap();
    let scan = perfhive_scan::scan(&perfhive_scan::ScanOptions {
        paths: vec![src],
        ..Default::default()
    })
    .unwrap();
    let seen = seen_in_code(&scan);
    assert_eq!(seen.len(), 1, "{:?}", scan.sql);
    let r = run_window(dir.path(), "shop.db", || {}, seen, Vec::new());
    let fp = fingerprint("SELECT id, at FROM events WHERE sku = 'SKU-1'");
    let scan_finding = seq_scan_of(&r, fp);
    let rec = scan_finding.recommendation.as_ref().expect("a fix");
    assert!(rec.action.contains("ON events (sku)"), "{}", rec.action);
}

/// The chain of one statement: the traces' phase of `GET /customers/{id}/orders`, the SQL
/// string in its handler and the database's full scan with its verified index are one
/// problem. The database finding is confirmed by both other investigators, ranks first, and
/// the P0 is its `CREATE INDEX` with the gain measured on the copy.
#[test]
fn a_statement_the_traces_and_the_code_name_too_is_confirmed_and_ranked_first() {
    use perfhive_investigate::integrator::{integrate, Inputs};
    use perfhive_investigate::{InvestigatorName as N, InvestigatorResult};
    let dir = orders_db();
    // the handler, as the code investigator scans it
    let src = dir.path().join("app");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("views.py"),
        "from flask import Flask\napp = Flask(__name__)\n\n\
         @app.get(\"/customers/<int:id>/orders\")\n\
         def customer_orders(id):\n    return db.execute(\"SELECT * FROM orders WHERE customer_id = ?\", (id,)).fetchall()\n",
    )
    .unwrap();
    let scan = perfhive_scan::scan(&perfhive_scan::ScanOptions {
        paths: vec![src.clone()],
        include_unsized: true,
        include_off_request: true,
        ..Default::default()
    })
    .unwrap();
    let (code_findings, _) = perfhive_investigate::investigators::code::findings_of(&scan, &src);
    // 40 of the request's 50 ms in the statement
    let traces = perfhive_traces::summarize(&spans(40), &[], 0, 5);
    let mut seen = seen_in_traces(&traces);
    seen.extend(seen_in_code(&scan));
    let db = run_window(dir.path(), "shop.db", || {}, seen, route_costs(&traces));
    let scan_id = seq_scan_of(&db, fingerprint(BY_CUSTOMER)).id.clone();
    let trace_findings = perfhive_investigate::investigators::traces::findings(
        &traces,
        &Default::default(),
        &Default::default(),
    );
    assert!(!trace_findings.is_empty(), "{traces:?}");
    let of = |name, findings| InvestigatorResult::from_findings(name, "", findings, None);
    let report = integrate(
        vec![
            of(N::Traces, trace_findings),
            of(N::Code, code_findings),
            db,
        ],
        Inputs {
            name: "shop",
            date: "d".into(),
            target: "http://127.0.0.1:9",
            duration_s: 1.0,
            validation: vec![],
            data_files: vec![],
            interruption: None,
        },
    );
    let ids: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.finding.id.as_str())
        .collect();
    let ranked = report
        .findings
        .iter()
        .find(|f| f.finding.id == scan_id)
        .unwrap_or_else(|| panic!("{ids:?}"));
    assert!(
        ranked.confirmed_by.contains(&N::Traces),
        "{:?} {:?}",
        ranked.confirmed_by,
        ranked.joined_on
    );
    // the chain's two findings (the traces' phase of the statement, the database's scan of
    // it) rank above everything else
    assert!(ranked.rank <= 2, "{ids:?}");
    let top: Vec<&str> = ids[..2].to_vec();
    assert!(
        top.contains(&scan_id.as_str())
            && top
                .iter()
                .any(|id| id.starts_with("traces.phase.SELECT * FROM orders")),
        "{ids:?}"
    );
    let p0 = &report.recommendations[0];
    assert_eq!(p0.finding_id, scan_id, "{:?}", report.recommendations);
    assert!(
        p0.recommendation.action.contains("CREATE INDEX")
            && p0.recommendation.action.contains("customer_id"),
        "{}",
        p0.recommendation.action
    );
    assert!(p0.recommendation.impact.starts_with("verified: "), "{p0:?}");
    // the chain in one sentence, from the request to the verified fix
    let d = &ranked.finding.detail;
    assert!(
        // the share: the span's 80%, or more when the statement timed on the copy takes longer
        d.starts_with("`GET /customers/{}/orders` spends ")
            && d.contains("% of its time in `SELECT * FROM orders WHERE customer_id = ?` → `CREATE INDEX orders_customer_id_idx ON orders (customer_id)`: "),
        "{d}"
    );
    assert!(d.contains("on a copy of the database file"), "{d}");
}
