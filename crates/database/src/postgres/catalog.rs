//! Catalog checks: indexes never scanned since the statistics were reset, indexes that
//! duplicate another (same columns, operator classes, collations, expressions and
//! predicate), and the largest tables with their row counts, sizes and index counts.

use super::health::{finding, fix, Counters};
use super::stats::ev;
use super::{qualified, PgEngine};
use crate::engine::{Health, HealthContext};
use crate::model::{Applies, Check, Severity, TableSize};
use crate::workload::MARK;

const MB: f64 = 1024.0;

pub(super) fn unused_indexes(
    e: &mut PgEngine,
    _: &HealthContext<'_>,
    _: &Counters,
    since: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let rows = e.client.query(
        &format!(
            "{MARK} SELECT s.schemaname::text, s.indexrelname::text, s.relname::text, \
             pg_relation_size(s.indexrelid)::int8 FROM pg_stat_user_indexes s \
             JOIN pg_index i ON i.indexrelid = s.indexrelid \
             WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion \
             AND pg_relation_size(s.indexrelid) >= 1048576 ORDER BY 4 DESC LIMIT 20"
        ),
        &[],
    )?;
    for r in rows {
        let (schema, index, table, bytes): (String, String, String, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let name = qualified(Some(&schema), &index);
        let mut f = finding(
            Check::UnusedIndex,
            Severity::Low,
            &name,
            format!(
                "Index {name} on {table} has not been scanned since {since} ({:.1} MB)",
                bytes as f64 / MB / MB
            ),
            "An unused index costs every write to the table and memory in the cache. Check the \
             replicas and rare jobs (month-end reports) before dropping it."
                .into(),
        );
        f.evidence = vec![
            ev("index size", bytes as f64, "bytes"),
            ev("scans", 0.0, "scans"),
        ];
        f.fix = fix(
            format!("DROP INDEX CONCURRENTLY {name};"),
            Applies::Online,
            None,
        );
        h.findings.push(f);
    }
    Ok(())
}

pub(super) fn duplicate_indexes(
    e: &mut PgEngine,
    _: &HealthContext<'_>,
    _: &Counters,
    _: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let rows = e.client.query(
        &format!(
            "{MARK} SELECT array_agg(quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
               ORDER BY i.indisprimary DESC, i.indisunique DESC, c.oid)::text[], \
             min(t.relname)::text, sum(pg_relation_size(i.indexrelid))::int8 \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_class t ON t.oid = i.indrelid \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' \
             GROUP BY i.indrelid, i.indkey::text, i.indclass::text, i.indcollation::text, \
               coalesce(i.indexprs::text, ''), coalesce(i.indpred::text, '') \
             HAVING count(*) > 1"
        ),
        &[],
    )?;
    for r in rows {
        let (names, table, bytes): (Vec<String>, String, i64) = (r.get(0), r.get(1), r.get(2));
        let (keep, drop) = names
            .split_first()
            .map(|(k, d)| (k.clone(), d.to_vec()))
            .unwrap_or_default();
        for d in drop {
            let mut f = finding(
                Check::DuplicateIndex,
                Severity::Low,
                &d,
                format!("Index {d} duplicates {keep} on {table}"),
                "Same columns, operator classes, expressions and predicate: the planner uses one, every \
                 write maintains both."
                    .into(),
            );
            f.evidence = vec![ev("size of the duplicates", bytes as f64, "bytes")];
            f.fix = fix(
                format!("DROP INDEX CONCURRENTLY {d};"),
                Applies::Online,
                None,
            );
            h.findings.push(f);
        }
    }
    Ok(())
}

pub(super) fn tables(
    e: &mut PgEngine,
    _: &HealthContext<'_>,
    _: &Counters,
    _: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let rows = e.client.query(
        &format!(
            "{MARK} SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), \
             greatest(c.reltuples, coalesce(s.n_live_tup, 0))::int8, pg_total_relation_size(c.oid)::int8, \
             (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)::int8 \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid \
             WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 3 DESC LIMIT 20"
        ),
        &[],
    )?;
    h.tables = rows
        .iter()
        .map(|r| TableSize {
            name: r.get(0),
            rows: r.get::<_, i64>(1).max(0) as u64,
            bytes: r.get::<_, i64>(2).max(0) as u64,
            indexes: r.get::<_, i64>(3).max(0) as u64,
        })
        .collect();
    Ok(())
}
