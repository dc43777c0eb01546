//! Code findings join runtime findings on the routes and SQL statements the scan reads from
//! the code, not only on function names (which auto-instrumented traces do not carry).

use super::*;
use crate::integrator::{integrate, Inputs};
use crate::model::{Finding, InvestigatorName as N};
use crate::report::{JoinKey, Report};
use perfhive_core::sql::fingerprint;

/// A Flask handler written as Flask's documentation writes one, with a query per order.
const SHOP: &str = r#"from flask import Flask, jsonify

from db import get_db

app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(ok=True)


@app.get("/orders/recent")
def recent_orders():
    db = get_db()
    orders = db.execute("SELECT id, customer_id FROM orders ORDER BY id DESC LIMIT 40").fetchall()
    out = []
    for o in orders:
        c = db.execute("SELECT name FROM customers WHERE id = ?", (o["customer_id"],)).fetchone()
        out.append({"id": o["id"], "customer": c["name"]})
    return jsonify(out)
"#;

/// The code findings of a scan of `SHOP`.
fn code_findings() -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), SHOP).unwrap();
    let report = perfhive_scan::scan(&ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        // as the code investigator scans: every loop, on the request path or not
        include_unsized: true,
        include_off_request: true,
        ..ScanOptions::default()
    })
    .unwrap();
    findings_of(&report, dir.path()).0
}

fn integrate_with(code: Vec<Finding>, traces: Finding) -> Report {
    integrate(
        vec![
            InvestigatorResult::from_findings(N::Code, "s", code, None),
            InvestigatorResult::from_findings(N::Traces, "s", vec![traces], None),
        ],
        Inputs {
            name: "t",
            date: "d".into(),
            target: "u",
            duration_s: 0.0,
            validation: vec![],
            data_files: vec![],
            interruption: None,
        },
    )
}

#[test]
fn a_code_finding_in_a_flask_handler_carries_its_route_and_statements() {
    let code = code_findings();
    let n1 = code
        .iter()
        .find(|f| f.functions == ["recent_orders"] && f.id.contains("n-plus-one"))
        .unwrap_or_else(|| panic!("no N+1 finding in recent_orders: {code:#?}"));
    assert_eq!(n1.routes, [Route::parse("GET /orders/recent")]);
    let mut want = vec![
        fingerprint("SELECT id, customer_id FROM orders ORDER BY id DESC LIMIT 40"),
        fingerprint("SELECT name FROM customers WHERE id = ?"),
    ];
    want.sort();
    assert_eq!(n1.statements, want);
}

#[test]
fn a_code_finding_joins_a_traces_finding_on_the_same_route() {
    // the traces investigator's N+1, from spans that carry `http.route` but no function
    let traces = Finding::new(
        N::Traces,
        "traces.n_plus_one.0",
        "database",
        "an N+1 on GET /orders/recent",
        "d",
    )
    .share(0.6)
    .routes([Route::new(Some("GET"), "/orders/recent")]);
    let r = integrate_with(code_findings(), traces);
    let code = r
        .findings
        .iter()
        .find(|f| f.finding.investigator == N::Code && f.finding.functions == ["recent_orders"])
        .unwrap();
    assert_eq!(code.confirmed_by, [N::Traces], "{:?}", code.joins);
    assert!(code
        .joins
        .iter()
        .any(|j| j.key == JoinKey::Route(Route::parse("GET /orders/recent"))));
    // a route of another handler does not join it
    let other = Finding::new(N::Traces, "traces.slow.0", "database", "slow", "d")
        .share(0.6)
        .routes([Route::parse("GET /health")]);
    let r = integrate_with(code_findings(), other);
    assert!(r
        .findings
        .iter()
        .filter(|f| f.finding.investigator == N::Code)
        .all(|f| f.confirmed_by.is_empty()));
}

#[test]
fn a_sql_string_joins_the_statement_a_trace_saw() {
    // psycopg on PostgreSQL would send `$1`/`%s`; the code writes `?`: one fingerprint
    let traces = Finding::new(
        N::Traces,
        "traces.statement.0",
        "database",
        "a slow statement",
        "d",
    )
    .share(0.4)
    .statements([fingerprint("SELECT name FROM customers WHERE id = $1")]);
    let r = integrate_with(code_findings(), traces);
    let code = r
        .findings
        .iter()
        .find(|f| f.finding.investigator == N::Code && f.finding.functions == ["recent_orders"])
        .unwrap();
    assert_eq!(code.confirmed_by, [N::Traces], "{:?}", code.joins);
    assert!(code
        .joins
        .iter()
        .any(|j| j.key
            == JoinKey::Statement(fingerprint("SELECT name FROM customers WHERE id = %s"))));
}

#[test]
fn findings_in_two_inline_express_handlers_are_two_findings_with_their_own_routes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("server.js"),
        r#"const express = require('express');
const app = express();

app.get('/products/popular', async (_req, res) => {
  const products = await db('products').select('id').limit(30);
  for (const p of products) {
    p.reviews = await db('reviews').where('product_id', p.id).select('stars');
  }
  res.json(products);
});

app.get('/orders/:id', async (req, res) => {
  const lines = await db('lines').where('order_id', req.params.id);
  for (const l of lines) {
    l.product = await db('products').where('id', l.product_id).first();
  }
  res.json(lines);
});
"#,
    )
    .unwrap();
    let report = perfhive_scan::scan(&ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        // as the code investigator scans: every loop, on the request path or not
        include_unsized: true,
        include_off_request: true,
        ..ScanOptions::default()
    })
    .unwrap();
    let (code, _) = findings_of(&report, dir.path());
    let mut routes: Vec<Vec<Route>> = code
        .iter()
        .filter(|f| f.id.contains("n-plus-one"))
        .map(|f| f.routes.clone())
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            vec![Route::parse("GET /orders/{}")],
            vec![Route::parse("GET /products/popular")]
        ],
        "{code:#?}"
    );
}
