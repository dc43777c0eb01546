//! Reading PostgreSQL's `EXPLAIN (FORMAT JSON)` output (the "Using EXPLAIN" chapter of the
//! PostgreSQL manual; node fields as `explain.c` writes them) into plan lines and issues:
//!
//! - a **Seq Scan** with a filter that reads at least `min_rows` rows and returns at most a
//!   tenth of them (rows read = (actual rows + rows removed by filter) × loops; without
//!   ANALYZE, the table's `reltuples` against the planner's row estimate, scaled for
//!   parallel workers with PostgreSQL's own parallel divisor, `costsize.c`);
//! - a **Sort** on disk (`Sort Space Type: Disk`), or, without ANALYZE, one whose input
//!   (rows × (width + 24-byte tuple header)) exceeds work_mem and that no Limit bounds (a
//!   bounded sort keeps only the top rows: a heapsort in memory);
//! - a **Hash** with more than one batch, a **HashAggregate** with disk usage, or, without
//!   ANALYZE, a hash table larger than work_mem × hash_mem_multiplier;
//! - a **Nested Loop** whose inner side scans a table in full for each outer row
//!   (≥ `min_rows` × 10 rows read in all, at most a tenth of them joined), or whose outer
//!   side is itself large (≥ 100,000 rows).
//!
//! The columns an index would serve come from the scan's `Filter` (or the loop's join
//! condition) through `perfhive_core::sql::predicate_columns`: equality columns first, then one
//! range column.

use crate::model::{IssueKind, PlanIssue};
use perfhive_core::sql::{predicate_columns, PredicateOp};
use serde_json::Value;
use std::collections::HashMap;

/// Facts the plan alone does not carry.
#[derive(Clone, Debug, Default)]
pub struct PlanFacts {
    /// Rows per table (`pg_class.reltuples`), by (schema, table).
    pub table_rows: HashMap<(String, String), f64>,
    /// work_mem, kB.
    pub work_mem_kb: f64,
    /// hash_mem_multiplier.
    pub hash_mem_multiplier: f64,
    /// A scan reading fewer rows is not an issue.
    pub min_rows: f64,
}

/// A parsed plan.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// Indented lines.
    pub lines: Vec<String>,
    /// Issues.
    pub issues: Vec<PlanIssue>,
    /// The root's total cost.
    pub total_cost: Option<f64>,
    /// Execution time, ms (ANALYZE).
    pub execution_ms: Option<f64>,
    /// Index names the plan reads through (to check a hypothetical index is used).
    pub indexes_used: Vec<String>,
    /// The nodes reading each table (`Index Scan using x on orders`), by table.
    pub scans: Vec<(String, String)>,
}

fn f(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn children(v: &Value) -> &[Value] {
    v.get("Plans")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Parses the JSON EXPLAIN prints (an array of one object with `Plan`).
pub fn parse(json: &Value, facts: &PlanFacts) -> Parsed {
    let top = json.get(0).unwrap_or(json);
    let mut out = Parsed {
        execution_ms: f(top, "Execution Time"),
        ..Parsed::default()
    };
    if let Some(plan) = top.get("Plan") {
        out.total_cost = f(plan, "Total Cost");
        walk(plan, 0, false, facts, &mut out);
    }
    out
}

fn analyzed(n: &Value) -> bool {
    n.get("Actual Loops").is_some()
}

/// Rows a node returns in all its loops (actual, else estimated).
fn rows_out(n: &Value) -> f64 {
    match (f(n, "Actual Rows"), f(n, "Actual Loops")) {
        (Some(r), Some(l)) => r * l,
        _ => f(n, "Plan Rows").unwrap_or(0.0) * parallel_divisor(n),
    }
}

/// PostgreSQL's estimate of how many processes share a parallel-aware node's rows
/// (`get_parallel_divisor` in costsize.c: workers + the leader's 1 − 0.3 × workers, if > 0).
fn parallel_divisor(n: &Value) -> f64 {
    if n.get("Parallel Aware").and_then(Value::as_bool) != Some(true) {
        return 1.0;
    }
    let workers = n
        .get("Workers Planned")
        .and_then(Value::as_f64)
        .unwrap_or(2.0);
    let leader = 1.0 - 0.3 * workers;
    workers + leader.max(0.0)
}

fn table_of(n: &Value) -> Option<(String, String)> {
    Some((
        s(n, "Schema").unwrap_or("public").to_string(),
        s(n, "Relation Name")?.to_string(),
    ))
}

/// Rows a scan reads in all its loops.
fn rows_read(n: &Value, facts: &PlanFacts) -> Option<f64> {
    if analyzed(n) {
        let loops = f(n, "Actual Loops").unwrap_or(1.0);
        let removed = f(n, "Rows Removed by Filter").unwrap_or(0.0);
        return Some((f(n, "Actual Rows").unwrap_or(0.0) + removed) * loops);
    }
    facts.table_rows.get(&table_of(n)?).copied()
}

fn describe(n: &Value) -> String {
    let kind = s(n, "Node Type").unwrap_or("?");
    let mut d = kind.to_string();
    if let Some(st) = s(n, "Strategy").filter(|_| kind == "Aggregate") {
        d = format!("{st}Aggregate")
            .replace("PlainAggregate", "Aggregate")
            .replace("HashedAggregate", "HashAggregate");
    }
    if n.get("Parallel Aware").and_then(Value::as_bool) == Some(true) {
        d = format!("Parallel {d}");
    }
    if let Some(j) = s(n, "Join Type").filter(|j| *j != "Inner") {
        d = format!("{d} {j}");
    }
    if let Some(i) = s(n, "Index Name") {
        d = format!("{d} using {i}");
    }
    if let Some(r) = s(n, "Relation Name") {
        let schema = s(n, "Schema").map(|x| format!("{x}.")).unwrap_or_default();
        d = format!("{d} on {schema}{r}");
        if let Some(a) = s(n, "Alias").filter(|a| *a != r) {
            d = format!("{d} {a}");
        }
    }
    d
}

fn line(n: &Value, depth: usize) -> String {
    let mut l = format!("{}{}", "  ".repeat(depth), describe(n));
    l.push_str(&format!(
        "  (cost={:.2}..{:.2} rows={:.0})",
        f(n, "Startup Cost").unwrap_or(0.0),
        f(n, "Total Cost").unwrap_or(0.0),
        f(n, "Plan Rows").unwrap_or(0.0)
    ));
    if analyzed(n) {
        l.push_str(&format!(
            " (actual time={:.3} rows={:.0} loops={:.0})",
            f(n, "Actual Total Time").unwrap_or(0.0),
            f(n, "Actual Rows").unwrap_or(0.0),
            f(n, "Actual Loops").unwrap_or(0.0)
        ));
    }
    for key in [
        "Index Cond",
        "Hash Cond",
        "Merge Cond",
        "Join Filter",
        "Filter",
    ] {
        if let Some(c) = s(n, key) {
            l.push_str(&format!("  {key}: {c}"));
        }
    }
    if let Some(r) = f(n, "Rows Removed by Filter") {
        l.push_str(&format!("  Rows Removed by Filter: {r:.0}"));
    }
    if let (Some(m), Some(u)) = (s(n, "Sort Method"), f(n, "Sort Space Used")) {
        l.push_str(&format!(
            "  Sort Method: {m} {}: {u:.0}kB",
            s(n, "Sort Space Type").unwrap_or("")
        ));
    }
    if let Some(b) = f(n, "Hash Batches") {
        l.push_str(&format!("  Batches: {b:.0}"));
    }
    if let Some(d) = f(n, "Disk Usage") {
        l.push_str(&format!("  Disk Usage: {d:.0}kB"));
    }
    l
}

/// `bounded`: under a Limit (directly or through Gather Merge), where a sort keeps only the
/// top rows in memory (a top-N heapsort) and does not spill.
fn walk(n: &Value, depth: usize, bounded: bool, facts: &PlanFacts, out: &mut Parsed) {
    out.lines.push(line(n, depth));
    if let Some(i) = s(n, "Index Name") {
        out.indexes_used.push(i.to_string());
    }
    if let Some((_, t)) = table_of(n) {
        out.scans.push((t, describe(n)));
    }
    match s(n, "Node Type").unwrap_or("") {
        "Seq Scan" => seq_scan(n, facts, out),
        "Sort" | "Incremental Sort" => sort(n, bounded, facts, out),
        "Hash" => hash(n, facts, out),
        "Aggregate" if s(n, "Strategy") == Some("Hashed") => hash_agg(n, facts, out),
        "Nested Loop" => nested_loop(n, facts, out),
        _ => {}
    }
    let kind = s(n, "Node Type").unwrap_or("");
    let bounded_below = kind == "Limit" || (bounded && kind == "Gather Merge");
    for c in children(n) {
        walk(c, depth + 1, bounded_below, facts, out);
    }
}

/// Index columns from a condition on one relation (by alias or name): equality columns,
/// then one range column.
pub fn index_columns(condition: &str, alias: &str, relation: &str) -> Vec<String> {
    let shape = predicate_columns(condition);
    let ours = |t: &Option<String>| t.as_deref().is_none_or(|t| t == alias || t == relation);
    let mut cols: Vec<String> = Vec::new();
    for p in shape
        .predicates
        .iter()
        .filter(|p| ours(&p.column.table) && p.op.is_equality())
    {
        if !cols.contains(&p.column.column) {
            cols.push(p.column.column.clone());
        }
    }
    if let Some(p) = shape.predicates.iter().find(|p| {
        ours(&p.column.table) && p.op == PredicateOp::Range && !cols.contains(&p.column.column)
    }) {
        cols.push(p.column.column.clone());
    }
    cols
}

fn seq_scan(n: &Value, facts: &PlanFacts, out: &mut Parsed) {
    let Some(filter) = s(n, "Filter") else {
        return;
    };
    let Some(read) = rows_read(n, facts) else {
        return;
    };
    let returned = rows_out(n);
    if read < facts.min_rows || returned > read * 0.1 {
        return;
    }
    let (schema, table) = table_of(n).unwrap_or_default();
    let alias = s(n, "Alias").unwrap_or(&table).to_string();
    out.issues.push(PlanIssue {
        kind: IssueKind::SeqScan,
        index_columns: index_columns(filter, &alias, &table),
        table: Some(table),
        schema: Some(schema),
        node: describe(n),
        rows_read: Some(read),
        rows_returned: Some(returned),
        loops: f(n, "Actual Loops"),
        condition: Some(filter.to_string()),
        spill_kb: None,
        estimated: !analyzed(n),
    });
}

/// Bytes the planner expects a node's output to take in memory (rows × (width + tuple
/// header)), kB.
fn input_kb(n: &Value) -> f64 {
    f(n, "Plan Rows").unwrap_or(0.0) * (f(n, "Plan Width").unwrap_or(0.0) + 24.0) / 1024.0
}

fn sort(n: &Value, bounded: bool, facts: &PlanFacts, out: &mut Parsed) {
    let (spill, estimated) = if analyzed(n) {
        let on_disk = s(n, "Sort Space Type") == Some("Disk")
            || n.get("Workers")
                .and_then(Value::as_array)
                .is_some_and(|w| w.iter().any(|w| s(w, "Sort Space Type") == Some("Disk")));
        if !on_disk {
            return;
        }
        let workers_kb: f64 = n
            .get("Workers")
            .and_then(Value::as_array)
            .map(|w| w.iter().filter_map(|w| f(w, "Sort Space Used")).sum())
            .unwrap_or(0.0);
        (f(n, "Sort Space Used").unwrap_or(0.0) + workers_kb, false)
    } else {
        let kb = input_kb(n);
        if bounded || facts.work_mem_kb <= 0.0 || kb <= facts.work_mem_kb {
            return;
        }
        (kb, true)
    };
    let keys: Vec<&str> = n
        .get("Sort Key")
        .and_then(Value::as_array)
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.issues.push(PlanIssue {
        kind: IssueKind::SortSpill,
        table: None,
        schema: None,
        node: format!("Sort by {}", keys.join(", ")),
        rows_read: Some(rows_out(n)),
        rows_returned: None,
        loops: f(n, "Actual Loops"),
        condition: None,
        spill_kb: Some(spill),
        estimated,
        index_columns: Vec::new(),
    });
}

fn hash(n: &Value, facts: &PlanFacts, out: &mut Parsed) {
    let (spill, estimated) = if analyzed(n) {
        let batches = f(n, "Hash Batches").unwrap_or(1.0);
        if batches <= 1.0 {
            return;
        }
        // The inner side written to disk, less the one batch kept in memory.
        let kb = children(n)
            .first()
            .map(|c| rows_out(c) * (f(c, "Plan Width").unwrap_or(0.0) + 24.0) / 1024.0)
            .unwrap_or(0.0);
        (kb * (batches - 1.0) / batches, false)
    } else {
        let kb = input_kb(n);
        let limit = facts.work_mem_kb * facts.hash_mem_multiplier.max(1.0);
        if facts.work_mem_kb <= 0.0 || kb <= limit {
            return;
        }
        (kb, true)
    };
    out.issues.push(PlanIssue {
        kind: IssueKind::HashSpill,
        table: None,
        schema: None,
        node: format!(
            "Hash ({} batches)",
            f(n, "Hash Batches")
                .map(|b| format!("{b:.0}"))
                .unwrap_or_else(|| "est.".into())
        ),
        rows_read: Some(rows_out(n)),
        rows_returned: None,
        loops: f(n, "Actual Loops"),
        condition: None,
        spill_kb: Some(spill),
        estimated,
        index_columns: Vec::new(),
    });
}

fn hash_agg(n: &Value, facts: &PlanFacts, out: &mut Parsed) {
    let (spill, estimated) = if analyzed(n) {
        match f(n, "Disk Usage") {
            Some(d) if d > 0.0 => (d, false),
            _ => return,
        }
    } else {
        let planned = f(n, "Planned Partitions").unwrap_or(0.0);
        if planned <= 0.0 {
            return;
        }
        (input_kb(n), true)
    };
    let _ = facts;
    out.issues.push(PlanIssue {
        kind: IssueKind::HashSpill,
        table: None,
        schema: None,
        node: format!(
            "HashAggregate ({} batches)",
            f(n, "HashAgg Batches").unwrap_or(0.0)
        ),
        rows_read: children(n).first().map(rows_out),
        rows_returned: Some(rows_out(n)),
        loops: f(n, "Actual Loops"),
        condition: None,
        spill_kb: Some(spill),
        estimated,
        index_columns: Vec::new(),
    });
}

/// The scan under Memoize / Materialize / Gather wrappers.
fn scan_under(n: &Value) -> &Value {
    match s(n, "Node Type") {
        Some("Memoize" | "Materialize" | "Gather" | "Result") => {
            children(n).first().map(scan_under).unwrap_or(n)
        }
        _ => n,
    }
}

fn nested_loop(n: &Value, facts: &PlanFacts, out: &mut Parsed) {
    let kids = children(n);
    let (Some(outer), Some(inner)) = (kids.first(), kids.get(1)) else {
        return;
    };
    let outer_rows = rows_out(outer);
    let scan = scan_under(inner);
    let inner_is_seq = s(scan, "Node Type") == Some("Seq Scan");
    let inner_read = if inner_is_seq {
        if analyzed(scan) {
            rows_read(scan, facts)
        } else {
            // Without Memoize/Materialize the inner scan runs once per outer row.
            let per_loop = facts
                .table_rows
                .get(&table_of(scan).unwrap_or_default())
                .copied();
            let repeats = if std::ptr::eq(scan, inner) {
                outer_rows
            } else {
                1.0
            };
            per_loop.map(|r| r * repeats.max(1.0))
        }
    } else {
        None
    };
    // The inner side reads the table in full, again and again, for few rows joined.
    let large_inner =
        inner_read.is_some_and(|r| r >= facts.min_rows * 10.0 && rows_out(n) <= r * 0.1);
    let large_outer = outer_rows >= 100_000.0;
    if !large_inner && !large_outer {
        return;
    }
    let (schema, table) = table_of(scan).unwrap_or_default();
    let alias = s(scan, "Alias").unwrap_or(&table).to_string();
    let condition = s(n, "Join Filter")
        .or_else(|| s(scan, "Filter"))
        .map(str::to_string);
    let mut cols = Vec::new();
    if inner_is_seq {
        if let Some(c) = &condition {
            let shape = predicate_columns(c);
            for j in &shape.joins {
                for side in [&j.left, &j.right] {
                    if side
                        .table
                        .as_deref()
                        .is_some_and(|t| t == alias || t == table)
                        && !cols.contains(&side.column)
                    {
                        cols.push(side.column.clone());
                    }
                }
            }
            if cols.is_empty() {
                cols = index_columns(c, &alias, &table);
            }
        }
    }
    out.issues.push(PlanIssue {
        kind: IssueKind::NestedLoop,
        table: inner_is_seq.then_some(table),
        schema: inner_is_seq.then_some(schema),
        node: format!("Nested Loop over {} ({})", describe(outer), describe(inner)),
        rows_read: inner_read,
        rows_returned: Some(rows_out(n)),
        loops: Some(outer_rows),
        condition,
        spill_kb: None,
        estimated: !analyzed(n),
        index_columns: cols,
    });
}

#[cfg(test)]
mod tests;
