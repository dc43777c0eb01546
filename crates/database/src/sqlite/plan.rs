//! Reading SQLite's `EXPLAIN QUERY PLAN` (the "EXPLAIN QUERY PLAN" page of the SQLite
//! documentation: rows of id, parent and a detail such as `SCAN orders`,
//! `SEARCH orders USING INDEX i (customer_id=?)`, `USE TEMP B-TREE FOR ORDER BY`).
//!
//! Issues: a `SCAN` of a table of at least `min_rows` rows that the statement filters or
//! joins on (the columns, from the statement's light parse, are what an index would
//! serve: equality first, then one range column, else the join columns); a temporary B-tree
//! for ORDER BY / GROUP BY / DISTINCT over such a table; an `AUTOMATIC … INDEX`, which SQLite
//! builds for one statement and throws away, on the columns it names.

use crate::model::{IssueKind, PlanIssue};
use perfhive_core::sql::{PredicateOp, Shape};
use std::collections::HashMap;

/// One row of EXPLAIN QUERY PLAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Node id.
    pub id: i64,
    /// Parent id (0 at the top).
    pub parent: i64,
    /// The detail text.
    pub detail: String,
}

/// The plan as indented lines.
pub fn lines(rows: &[Row]) -> Vec<String> {
    let mut depth: HashMap<i64, usize> = HashMap::new();
    rows.iter()
        .map(|r| {
            let d = if r.parent == 0 {
                0
            } else {
                depth.get(&r.parent).map_or(0, |d| d + 1)
            };
            depth.insert(r.id, d);
            format!("{}{}", "  ".repeat(d), r.detail)
        })
        .collect()
}

/// The table a name in a plan detail means (an alias resolved through the statement).
fn resolve<'a>(shape: &'a Shape, name: &'a str) -> &'a str {
    shape
        .tables
        .iter()
        .find(|t| t.alias.as_deref() == Some(name))
        .map(|t| t.name.as_str())
        .unwrap_or(name)
}

/// Index columns for `table` from the statement: equality predicates, then one range
/// column, else the columns it is joined on.
pub fn filter_columns(shape: &Shape, table: &str) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for p in shape.predicates_on(table).filter(|p| p.op.is_equality()) {
        if !cols.contains(&p.column.column) {
            cols.push(p.column.column.clone());
        }
    }
    if let Some(p) = shape
        .predicates_on(table)
        .find(|p| p.op == PredicateOp::Range && !cols.contains(&p.column.column))
    {
        cols.push(p.column.column.clone());
    }
    if cols.is_empty() {
        cols = shape
            .join_columns_of(table)
            .into_iter()
            .map(str::to_string)
            .collect();
    }
    cols
}

/// The issues of a plan. `table_rows` gives each table's row count.
pub fn issues(
    rows: &[Row],
    shape: &Shape,
    table_rows: &HashMap<String, u64>,
    min_rows: f64,
) -> Vec<PlanIssue> {
    let mut out = Vec::new();
    let mut scanned: Vec<String> = Vec::new();
    for r in rows {
        let d = r.detail.as_str();
        if let Some(rest) = d.strip_prefix("SCAN ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            let covering = rest.contains("COVERING INDEX");
            if name.starts_with('(') || name == "CONSTANT" || covering {
                continue;
            }
            let table = resolve(shape, name).to_string();
            let n = table_rows.get(&table).copied().unwrap_or(0);
            let cols = filter_columns(shape, &table);
            scanned.push(table.clone());
            if (n as f64) < min_rows || cols.is_empty() {
                continue;
            }
            out.push(PlanIssue {
                kind: IssueKind::SeqScan,
                table: Some(table),
                schema: None,
                node: d.to_string(),
                rows_read: Some(n as f64),
                rows_returned: None,
                loops: None,
                condition: None,
                spill_kb: None,
                estimated: true,
                index_columns: cols,
            });
        } else if let Some(what) = d.strip_prefix("USE TEMP B-TREE FOR ") {
            // Sorting the rows of the one table read in full.
            let Some(table) = scanned.last().cloned() else {
                continue;
            };
            let n = table_rows.get(&table).copied().unwrap_or(0);
            if (n as f64) < min_rows {
                continue;
            }
            let mut cols: Vec<String> = shape
                .predicates_on(&table)
                .filter(|p| p.op == PredicateOp::Eq)
                .map(|p| p.column.column.clone())
                .collect();
            let order: Vec<String> = shape
                .order_by
                .iter()
                .filter(|c| c.table.as_deref() == Some(table.as_str()))
                .map(|c| c.column.clone())
                .collect();
            if what.starts_with("ORDER BY") && order.len() == shape.order_by.len() {
                cols.extend(
                    order
                        .into_iter()
                        .filter(|c| !cols.contains(c))
                        .collect::<Vec<_>>(),
                );
            }
            out.push(PlanIssue {
                kind: IssueKind::TempBtree,
                table: Some(table),
                schema: None,
                node: d.to_string(),
                rows_read: Some(n as f64),
                rows_returned: None,
                loops: None,
                condition: None,
                spill_kb: None,
                estimated: true,
                index_columns: cols,
            });
        } else if d.contains("AUTOMATIC") && d.contains("INDEX") {
            // `SEARCH i USING AUTOMATIC COVERING INDEX (order_id=?)`
            let name = d.split_whitespace().nth(1).unwrap_or("");
            let table = resolve(shape, name).to_string();
            let cols: Vec<String> = d
                .rsplit_once('(')
                .map(|(_, c)| c.trim_end_matches(')'))
                .unwrap_or("")
                .split(" AND ")
                .filter_map(|c| c.split(['=', '>', '<']).next())
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            out.push(PlanIssue {
                kind: IssueKind::AutomaticIndex,
                rows_read: table_rows.get(&table).map(|&n| n as f64),
                table: Some(table),
                schema: None,
                node: d.to_string(),
                rows_returned: None,
                loops: None,
                condition: None,
                spill_kb: None,
                estimated: true,
                index_columns: cols,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfhive_core::sql::shape;

    fn rows(details: &[(i64, i64, &str)]) -> Vec<Row> {
        details
            .iter()
            .map(|(id, parent, d)| Row {
                id: *id,
                parent: *parent,
                detail: d.to_string(),
            })
            .collect()
    }

    fn sizes() -> HashMap<String, u64> {
        [
            ("orders".to_string(), 300_000),
            ("items".to_string(), 900_000),
            ("customers".to_string(), 5_000),
        ]
        .into()
    }

    #[test]
    fn a_full_scan_with_a_filter_is_an_issue_with_its_columns() {
        let s = shape("SELECT * FROM orders o WHERE o.customer_id = ? AND o.created_at > ? ORDER BY o.created_at");
        let r = rows(&[(3, 0, "SCAN o"), (14, 0, "USE TEMP B-TREE FOR ORDER BY")]);
        let i = issues(&r, &s, &sizes(), 10_000.0);
        assert_eq!(i[0].kind, IssueKind::SeqScan);
        assert_eq!(i[0].table.as_deref(), Some("orders"));
        assert_eq!(i[0].index_columns, ["customer_id", "created_at"]);
        assert_eq!(i[1].kind, IssueKind::TempBtree);
        assert_eq!(i[1].index_columns, ["customer_id", "created_at"]);
        assert_eq!(lines(&r), ["SCAN o", "USE TEMP B-TREE FOR ORDER BY"]);
    }

    #[test]
    fn searches_small_tables_and_unfiltered_scans_are_no_issue() {
        let s = shape("SELECT * FROM orders WHERE id = ?");
        assert!(issues(
            &rows(&[(2, 0, "SEARCH orders USING INTEGER PRIMARY KEY (rowid=?)")]),
            &s,
            &sizes(),
            10_000.0
        )
        .is_empty());
        let s = shape("SELECT * FROM customers WHERE email = ?");
        assert!(issues(&rows(&[(2, 0, "SCAN customers")]), &s, &sizes(), 10_000.0).is_empty());
        let s = shape("SELECT count(*) FROM orders");
        assert!(issues(&rows(&[(2, 0, "SCAN orders")]), &s, &sizes(), 10_000.0).is_empty());
    }

    #[test]
    fn joins_and_automatic_indexes() {
        let s =
            shape("SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.status = ?");
        let r = rows(&[
            (3, 0, "SCAN i"),
            (5, 0, "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)"),
        ]);
        let i = issues(&r, &s, &sizes(), 10_000.0);
        assert_eq!(i[0].table.as_deref(), Some("items"));
        assert_eq!(i[0].index_columns, ["order_id"]);
        let r = rows(&[
            (3, 0, "SCAN o"),
            (5, 0, "SEARCH i USING AUTOMATIC COVERING INDEX (order_id=?)"),
        ]);
        let i = issues(&r, &s, &sizes(), 10_000.0);
        let auto = i
            .iter()
            .find(|i| i.kind == IssueKind::AutomaticIndex)
            .unwrap();
        assert_eq!(auto.table.as_deref(), Some("items"));
        assert_eq!(auto.index_columns, ["order_id"]);
    }

    #[test]
    fn nested_plans_are_indented() {
        let r = rows(&[
            (2, 0, "SEARCH orders USING INTEGER PRIMARY KEY (rowid=?)"),
            (6, 0, "LIST SUBQUERY 1"),
            (8, 6, "SCAN items"),
        ]);
        assert_eq!(lines(&r)[2], "  SCAN items");
    }
}
