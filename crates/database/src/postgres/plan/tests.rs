//! The plan reader on real EXPLAIN output (`tests/fixtures/explain/`, made by `make.sh` on
//! PostgreSQL 15 with 300,000 orders and work_mem = 64kB).

use super::*;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/explain/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn facts() -> PlanFacts {
    let mut table_rows = HashMap::new();
    table_rows.insert(("public".to_string(), "orders".to_string()), 300_000.0);
    table_rows.insert(("public".to_string(), "customers".to_string()), 5_000.0);
    PlanFacts {
        table_rows,
        work_mem_kb: 64.0,
        hash_mem_multiplier: 2.0,
        min_rows: 10_000.0,
    }
}

#[test]
fn a_seq_scan_reading_300000_rows_for_60_is_an_issue_measured() {
    let p = parse(&fixture("seq_scan_analyze"), &facts());
    assert!(p.execution_ms.unwrap() > 0.0);
    let i = &p.issues[0];
    assert_eq!(i.kind, IssueKind::SeqScan);
    assert_eq!(i.table.as_deref(), Some("orders"));
    assert_eq!(i.rows_read, Some(300_000.0));
    assert_eq!(i.rows_returned, Some(60.0));
    assert!(!i.estimated);
    assert_eq!(i.index_columns, ["customer_id"]);
    assert_eq!(p.issues.len(), 1, "{:?}", p.issues);
    assert!(
        p.lines[1].contains("Parallel Seq Scan on public.orders"),
        "{:?}",
        p.lines
    );
}

#[test]
fn a_seq_scan_is_an_issue_from_estimates_with_the_parallel_divisor() {
    let p = parse(&fixture("seq_scan_estimate"), &facts());
    let i = &p.issues[0];
    assert_eq!(i.kind, IssueKind::SeqScan);
    assert!(i.estimated);
    assert_eq!(i.rows_read, Some(300_000.0));
    // About 60 rows in all, whatever the workers' split.
    let r = i.rows_returned.unwrap();
    assert!((40.0..90.0).contains(&r), "{r}");
    assert!(p.execution_ms.is_none());
}

#[test]
fn an_index_scan_is_no_issue() {
    let p = parse(&fixture("index_scan_analyze"), &facts());
    assert!(p.issues.is_empty(), "{:?}", p.issues);
    assert_eq!(p.indexes_used, ["orders_customer_id_idx"]);
}

#[test]
fn sorts_and_hashes_spilling_to_disk() {
    let p = parse(&fixture("sort_disk_analyze"), &facts());
    let i = p
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::SortSpill)
        .unwrap();
    assert!(i.spill_kb.unwrap() > 1000.0);
    assert!(!i.estimated);
    assert!(i.node.contains("total"), "{}", i.node);

    let p = parse(&fixture("sort_disk_estimate"), &facts());
    let i = p
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::SortSpill)
        .unwrap();
    assert!(i.estimated);

    let p = parse(&fixture("hash_batches_analyze"), &facts());
    let i = p
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::HashSpill)
        .unwrap();
    assert!(i.node.contains("batches"));
    assert!(!i.estimated);

    let p = parse(&fixture("hashagg_disk_analyze"), &facts());
    let i = p
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::HashSpill)
        .unwrap();
    assert!(i.spill_kb.unwrap() > 0.0);
    assert!(i.node.starts_with("HashAggregate"), "{}", i.node);
}

#[test]
fn a_nested_loop_rescanning_a_table_names_its_join_column() {
    for (name, estimated) in [
        ("nested_loop_analyze", false),
        ("nested_loop_estimate", true),
    ] {
        let p = parse(&fixture(name), &facts());
        let i = p
            .issues
            .iter()
            .find(|i| i.kind == IssueKind::NestedLoop)
            .unwrap_or_else(|| panic!("{name}: {:?}", p.issues));
        assert_eq!(i.estimated, estimated);
        assert_eq!(i.table.as_deref(), Some("orders"));
        assert_eq!(i.rows_read, Some(900_000.0), "{name}");
        assert_eq!(i.index_columns, ["customer_id"], "{name}");
    }
}

#[test]
fn small_tables_are_no_issue() {
    let mut f = facts();
    f.min_rows = 1_000_000.0;
    assert!(parse(&fixture("seq_scan_analyze"), &f).issues.is_empty());
}

#[test]
fn index_columns_put_equality_first_then_one_range() {
    assert_eq!(
        index_columns(
            "((o.created_at > now()) AND (o.customer_id = 42) AND (o.total < 5))",
            "o",
            "orders"
        ),
        ["customer_id", "created_at"]
    );
    assert_eq!(
        index_columns(
            "((status)::text = ANY ('{a,b}'::text[]))",
            "orders",
            "orders"
        ),
        ["status"]
    );
    assert!(index_columns("(lower(email) = 'x'::text)", "c", "customers").is_empty());
    assert!(index_columns("(c.id = 3)", "o", "orders").is_empty());
}
