//! Unit tests of self time, critical path, N+1 and dependency budgets.

use std::collections::BTreeMap;

use super::*;
use crate::deps::{BudgetVerdict, Dependencies};
use crate::nplusone::detect_n_plus_one;
use perfhive_core::trace::Access;

const MS: u64 = 1_000_000;

fn span(trace: u8, id: u8, parent: Option<u8>, name: &str, start_ms: u64, end_ms: u64) -> Span {
    Span {
        trace_id: [trace; 16],
        span_id: [id; 8],
        parent: parent.map(|p| [p; 8]),
        name: name.to_owned(),
        service: "svc".to_owned(),
        kind: 1,
        start_ns: start_ms * MS,
        end_ns: end_ms * MS,
        attributes: BTreeMap::new(),
    }
}

fn with(mut s: Span, k: &str, v: &str) -> Span {
    s.attributes.insert(k.to_owned(), v.to_owned());
    s
}

fn phase<'a>(b: &'a Breakdown, name: &str) -> &'a PhaseStat {
    b.phases.iter().find(|p| p.name == name).expect(name)
}

#[test]
fn union_merges_overlaps_and_clips() {
    assert_eq!(union_len(0, 100, [(10, 30), (20, 40), (50, 60)]), 40);
    assert_eq!(union_len(0, 100, [(0, 200)]), 100);
    assert_eq!(union_len(50, 100, [(0, 60), (90, 150)]), 20);
    assert_eq!(union_len(0, 100, []), 0);
}

#[test]
fn self_time_subtracts_the_union_not_the_sum() {
    // root 0..100; children 10..60 and 30..80 overlap: union 10..80 = 70, sum would be 100.
    let spans = vec![
        span(1, 1, None, "root", 0, 100),
        span(1, 2, Some(1), "a", 10, 60),
        span(1, 3, Some(1), "b", 30, 80),
    ];
    let b = breakdown(&spans);
    assert!((phase(&b, "root").self_ms - 30.0).abs() < 1e-9);
    assert!((phase(&b, "a").self_ms - 50.0).abs() < 1e-9);
}

#[test]
fn self_time_clips_overflowing_children() {
    // the child runs past its parent's end: only 50..100 is subtracted.
    let spans = vec![
        span(1, 1, None, "root", 0, 100),
        span(1, 2, Some(1), "late", 50, 150),
    ];
    assert!((phase(&breakdown(&spans), "root").self_ms - 50.0).abs() < 1e-9);
}

#[test]
fn critical_path_follows_the_last_finishing_child_only() {
    // Parallel fan-out: fast 10..40 and slow 10..90; only the slow one is on the path.
    let spans = vec![
        span(1, 1, None, "root", 0, 100),
        span(1, 2, Some(1), "fast", 10, 40),
        span(1, 3, Some(1), "slow", 10, 90),
    ];
    let b = breakdown(&spans);
    assert!((b.total_critical_ms - 100.0).abs() < 1e-9);
    assert!((phase(&b, "slow").critical_ms - 80.0).abs() < 1e-9);
    assert_eq!(phase(&b, "fast").critical_ms, 0.0);
    assert!((phase(&b, "root").critical_ms - 20.0).abs() < 1e-9);
    assert_eq!(b.phases[0].name, "slow");
    assert!((b.phases[0].share_pct - 80.0).abs() < 1e-9);
}

#[test]
fn critical_path_walks_back_through_sequential_children() {
    // Sequential: a 10..30, b 40..70 (c 45..65 inside b), gaps belong to the root.
    let spans = vec![
        span(1, 1, None, "root", 0, 100),
        span(1, 2, Some(1), "a", 10, 30),
        span(1, 3, Some(1), "b", 40, 70),
        span(1, 4, Some(3), "c", 45, 65),
    ];
    let b = breakdown(&spans);
    assert!((phase(&b, "root").critical_ms - 50.0).abs() < 1e-9);
    assert!((phase(&b, "a").critical_ms - 20.0).abs() < 1e-9);
    assert!((phase(&b, "b").critical_ms - 10.0).abs() < 1e-9);
    assert!((phase(&b, "c").critical_ms - 20.0).abs() < 1e-9);
    assert!((b.total_critical_ms - 100.0).abs() < 1e-9);
}

#[test]
fn critical_path_clips_children_to_their_parent() {
    // The child overflows its parent (async work): clipped to 60..100; one outside is dropped.
    let spans = vec![
        span(1, 1, None, "root", 0, 100),
        span(1, 2, Some(1), "async", 60, 300),
        span(1, 3, Some(1), "outside", 200, 250),
    ];
    let b = breakdown(&spans);
    assert!((b.total_critical_ms - 100.0).abs() < 1e-9);
    assert!((phase(&b, "async").critical_ms - 40.0).abs() < 1e-9);
    assert_eq!(phase(&b, "outside").critical_ms, 0.0);
}

#[test]
fn breakdown_counts_traces_and_percentiles() {
    let mut spans = Vec::new();
    for t in 1..=4u8 {
        spans.push(span(t, 1, None, "req", 0, u64::from(t) * 10));
    }
    let b = breakdown(&spans);
    assert_eq!(b.traces, 4);
    let p = phase(&b, "req");
    assert_eq!(p.count, 4);
    assert!((p.p50_ms - 20.0).abs() < 0.1, "{}", p.p50_ms);
    assert!((p.p95_ms - 40.0).abs() < 0.1, "{}", p.p95_ms);
    assert!((p.share_pct - 100.0).abs() < 1e-9);
    assert!(p.amdahl_bound().is_infinite());
}

#[test]
fn malformed_trees_terminate() {
    // self-parent, a cycle between 2 and 3, duplicate ids.
    let spans = vec![
        span(1, 1, Some(1), "selfish", 0, 10),
        span(1, 2, Some(3), "x", 0, 10),
        span(1, 3, Some(2), "y", 0, 10),
        span(1, 1, None, "dup", 0, 10),
    ];
    let b = breakdown(&spans);
    assert_eq!(b.traces, 1);
    assert!((b.total_critical_ms - 10.0).abs() < 1e-9);
}

#[test]
fn amdahl_bounds() {
    assert!((amdahl(0.5) - 2.0).abs() < 1e-12);
    assert!((amdahl(0.0) - 1.0).abs() < 1e-12);
    assert!(amdahl(1.0).is_infinite());
    assert!((amdahl_with(0.5, 2.0) - 1.0 / 0.75).abs() < 1e-12);
}

#[test]
fn n_plus_one_needs_same_statement_siblings() {
    let stmt = "SELECT * FROM items WHERE id = ?";
    let mut spans = vec![span(1, 1, None, "load-cart", 0, 100)];
    for i in 0..6u8 {
        spans.push(with(
            with(
                span(1, 10 + i, Some(1), "SELECT items", 10, 20),
                "db.system",
                "postgresql",
            ),
            "db.statement",
            stmt,
        ));
    }
    // four of another statement: under the threshold.
    for i in 0..4u8 {
        spans.push(with(
            span(1, 20 + i, Some(1), "SELECT users", 10, 20),
            "db.statement",
            "SELECT 1",
        ));
    }
    // a second trace with db.system but no statement, named by one: keyed by name.
    spans.push(span(2, 1, None, "load-cart", 0, 100));
    for i in 0..5u8 {
        spans.push(with(
            span(2, 10 + i, Some(1), "SELECT customers", 10, 20),
            "db.system",
            "postgresql",
        ));
    }
    let found = detect_n_plus_one(&spans, 5);
    assert_eq!(found.len(), 2, "{found:?}");
    let sql = found.iter().find(|f| f.statement == stmt).unwrap();
    assert_eq!(
        (sql.parent_name.as_str(), sql.count, sql.traces_affected),
        ("load-cart", 6, 1)
    );
    assert!(found
        .iter()
        .any(|f| f.statement == "SELECT customers" && f.count == 5 && f.access == Access::Read));
    assert!(detect_n_plus_one(&spans, 7).is_empty());
}

/// SQLAlchemy's `connect` span (a pool checkout, with `db.system` and no statement) repeats
/// once per commit; it is not a query, so it forms no N+1 pattern, while the INSERTs beside it
/// do.
#[test]
fn database_spans_without_a_statement_form_no_n_plus_one() {
    let mut spans = vec![span(1, 1, None, "POST /import", 0, 100)];
    for i in 0..12u8 {
        spans.push(with(
            span(1, 10 + i, Some(1), "connect", 10, 11),
            "db.system",
            "sqlite",
        ));
        spans.push(with(
            with(
                span(1, 40 + i, Some(1), "INSERT INTO stock_lines", 11, 12),
                "db.system",
                "sqlite",
            ),
            "db.statement",
            "INSERT INTO stock_lines (sku, quantity) VALUES (?, ?)",
        ));
        spans.push(with(
            span(1, 70 + i, Some(1), "redis GET", 12, 13),
            "db.system",
            "redis",
        ));
    }
    let found = detect_n_plus_one(&spans, 5);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].access, Access::Write);
    assert!(found[0].statement.starts_with("INSERT INTO stock_lines"));
}

#[test]
fn dependency_budgets() {
    let spans = vec![
        with(
            span(1, 1, None, "POST /charge", 0, 120),
            "peer.service",
            "payments",
        ),
        with(
            span(1, 2, None, "GET /stock", 0, 300),
            "server.address",
            "inventory",
        ),
        with(span(1, 3, None, "query", 0, 5), "db.system", "postgresql"),
        span(1, 4, None, "render", 0, 7),
    ];
    let d = Dependencies::from_spans(&spans);
    let checks = d.check_budgets(&[("payments", 150.0), ("inventory", 200.0), ("ghost", 10.0)]);
    let v: Vec<_> = checks.iter().map(|c| c.verdict).collect();
    assert_eq!(
        v,
        [
            BudgetVerdict::Pass,
            BudgetVerdict::Fail,
            BudgetVerdict::NoData
        ]
    );
    assert!(d.p95_ms("postgresql").is_some() && d.p95_ms("render").is_some());
    assert_eq!(d.stats()[0].name, "inventory");
}
