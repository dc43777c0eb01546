//! SQLite's health: the journal mode stored in the file, the per-connection PRAGMAs the
//! application should set (synchronous, cache_size, mmap_size, busy_timeout: the file cannot
//! say what the application sets, so this is advice, marked as a rule of thumb), foreign
//! keys whose child columns no index leads with (with `foreign_keys = ON`, every parent
//! delete or key update scans the child table), free pages, tables never analysed, and the
//! tables' sizes (`dbstat`, else the row counts alone).

use crate::engine::{Health, HealthContext};
use crate::model::{Applies, Check, Evidence, Finding, Fix, Severity, TableSize};
use crate::DbError;
use perfhive_core::sql::quote_ident;
use rusqlite::Connection;
use std::collections::HashMap;

fn pragma_i64(conn: &Connection, name: &str) -> i64 {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .unwrap_or(0)
}

fn finding(
    check: Check,
    severity: Severity,
    subject: &str,
    title: String,
    detail: String,
    evidence: Vec<Evidence>,
    fix: Option<Fix>,
) -> Finding {
    Finding {
        check,
        severity,
        title,
        detail,
        evidence,
        statement: None,
        subject: Some(subject.to_string()),
        fix,
        heuristic: false,
    }
}

fn fix(sql: String, applies: Applies, note: Option<&str>) -> Option<Fix> {
    Some(Fix {
        sql,
        applies,
        note: note.map(str::to_string),
        verification: None,
    })
}

/// Every check.
pub fn check(conn: &Connection, _ctx: &HealthContext<'_>) -> Result<Health, DbError> {
    let mut h = Health::default();
    let tables: Vec<String> = {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map_err(|e| DbError::query("listing tables", e))?;
        let names = st
            .query_map([], |r| r.get(0))
            .map_err(|e| DbError::query("listing tables", e))?
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| DbError::query("listing tables", e))?;
        names
    };
    let rows: HashMap<String, u64> = tables
        .iter()
        .filter_map(|t| {
            conn.query_row(
                &format!("SELECT count(*) FROM {}", quote_ident(t)),
                [],
                |r| r.get::<_, i64>(0),
            )
            .ok()
            .map(|n| (t.clone(), n.max(0) as u64))
        })
        .collect();
    let page_size = pragma_i64(conn, "page_size");
    let page_count = pragma_i64(conn, "page_count");
    let db_bytes = (page_size * page_count).max(0) as f64;

    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap_or_default();
    if !mode.eq_ignore_ascii_case("wal") {
        h.findings.push(finding(
            Check::JournalMode,
            Severity::Low,
            "journal_mode",
            format!("journal_mode is {}: readers and the writer block each other", mode.to_uppercase()),
            "In rollback-journal modes a write locks out readers, and every commit syncs the journal \
             and the file. WAL lets readers run during a write and appends commits to one log. It is \
             stored in the file: set it once."
                .into(),
            vec![],
            fix("PRAGMA journal_mode = WAL;".into(), Applies::Online, Some("persistent; needs the -wal and -shm files beside the database to be writable")),
        ));
    }

    // Per-connection settings: advice for the application's connection set-up.
    let cache_mb = ((db_bytes / 1048576.0).ceil() as i64).clamp(8, 256);
    let mmap = (db_bytes as i64).clamp(0, 256 * 1048576);
    let mut f = finding(
        Check::ConnectionPragmas,
        Severity::Info,
        "connection PRAGMAs",
        "Set these PRAGMAs on each connection the application opens".into(),
        format!(
            "synchronous, cache_size, mmap_size and busy_timeout belong to a connection, not to the \
             file, so the file cannot show what the application sets. For a {:.1} MB database: \
             synchronous = NORMAL (with WAL, durable at checkpoints and never corrupt), a page cache \
             of {cache_mb} MiB (the default is 2 MiB), memory-mapped reads of up to {} MiB, and a busy \
             timeout so a reader waits for a writer instead of failing with SQLITE_BUSY.",
            db_bytes / 1048576.0,
            mmap / 1048576
        ),
        vec![Evidence::new("database size", db_bytes, "bytes"), Evidence::new("page size", page_size as f64, "bytes")],
        fix(
            format!("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{}; PRAGMA mmap_size = {mmap}; PRAGMA busy_timeout = 5000;", cache_mb * 1024),
            Applies::PerConnection,
            Some("right after opening each connection"),
        ),
    );
    f.heuristic = true;
    h.findings.push(f);

    foreign_keys(conn, &tables, &rows, &mut h);

    let free = pragma_i64(conn, "freelist_count");
    let free_bytes = (free * page_size) as f64;
    if page_count > 0 && free as f64 / page_count as f64 >= 0.2 && free_bytes >= 1048576.0 {
        h.findings.push(finding(
            Check::Fragmentation,
            Severity::Low,
            "freelist",
            format!(
                "{:.0}% of the file's pages are free ({:.1} MB)",
                100.0 * free as f64 / page_count as f64,
                free_bytes / 1048576.0
            ),
            "Deleted data leaves free pages that scans still skip over and backups still copy."
                .into(),
            vec![
                Evidence::new("free pages", free as f64, "pages"),
                Evidence::new("pages", page_count as f64, "pages"),
            ],
            fix(
                "VACUUM;".into(),
                Applies::Online,
                Some("rewrites the file and holds a write lock while it runs"),
            ),
        ));
    }

    let has_stat1 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap_or(0)
        > 0;
    let indexed: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    let largest = rows.values().copied().max().unwrap_or(0);
    if !has_stat1 && indexed > 0 && largest >= 10_000 {
        h.findings.push(finding(
            Check::PlannerStatistics,
            Severity::Low,
            "sqlite_stat1",
            "The database has never been analysed".into(),
            "Without sqlite_stat1 the planner assumes every index is equally selective and may pick the \
             wrong one."
                .into(),
            vec![Evidence::new("rows in the largest table", largest as f64, "rows")],
            fix("PRAGMA optimize;".into(), Applies::Online, Some("or ANALYZE; run it before closing long-lived connections")),
        ));
    }

    h.tables = table_sizes(conn, &tables, &rows);
    Ok(h)
}

/// The columns each index of `table` starts with, in order.
fn index_columns(conn: &Connection, table: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let Ok(mut st) = conn.prepare("SELECT name FROM pragma_index_list(?1)") else {
        return out;
    };
    let names: Vec<String> = st
        .query_map([table], |r| r.get(0))
        .map(|it| it.filter_map(Result::ok).collect())
        .unwrap_or_default();
    for n in names {
        if let Ok(mut st) = conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno") {
            let cols: Vec<String> = st
                .query_map([&n], |r| r.get::<_, Option<String>>(0))
                .map(|it| it.filter_map(Result::ok).flatten().collect())
                .unwrap_or_default();
            out.push(cols);
        }
    }
    out
}

fn foreign_keys(conn: &Connection, tables: &[String], rows: &HashMap<String, u64>, h: &mut Health) {
    for t in tables {
        let Ok(mut st) = conn.prepare(
            "SELECT id, seq, \"table\", \"from\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
        ) else {
            continue;
        };
        let fks: Vec<(i64, String, String)> = st
            .query_map([t], |r| Ok((r.get(0)?, r.get(2)?, r.get(3)?)))
            .map(|it| it.filter_map(Result::ok).collect())
            .unwrap_or_default();
        let mut by_id: Vec<(i64, String, Vec<String>)> = Vec::new();
        for (id, parent, col) in fks {
            match by_id.iter_mut().find(|(i, _, _)| *i == id) {
                Some(e) => e.2.push(col),
                None => by_id.push((id, parent, vec![col])),
            }
        }
        let indexes = index_columns(conn, t);
        for (_, parent, cols) in by_id {
            let covered = indexes.iter().any(|ix| {
                ix.len() >= cols.len()
                    && cols
                        .iter()
                        .all(|c| ix[..cols.len()].iter().any(|i| i.eq_ignore_ascii_case(c)))
            });
            if covered {
                continue;
            }
            let n = rows.get(t).copied().unwrap_or(0);
            let name: String = format!("{t}_{}_idx", cols.join("_"))
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect();
            let mut f = finding(
                Check::ForeignKeyIndex,
                if n >= 10_000 { Severity::Medium } else { Severity::Low },
                t,
                format!("Foreign key {t}({}) → {parent} has no index ({n} rows)", cols.join(", ")),
                format!(
                    "With foreign_keys = ON, deleting a {parent} row or changing its key looks for \
                     matching {t} rows: without an index on {t}({}), a full scan of {n} rows each time; \
                     joins from {parent} to {t} scan it too.",
                    cols.join(", ")
                ),
                vec![Evidence::new("child rows", n as f64, "rows")],
                fix(
                    format!(
                        "CREATE INDEX {} ON {} ({});",
                        quote_ident(&name),
                        quote_ident(t),
                        cols.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
                    ),
                    Applies::Online,
                    None,
                ),
            );
            f.heuristic = true;
            h.findings.push(f);
        }
    }
}

fn table_sizes(
    conn: &Connection,
    tables: &[String],
    rows: &HashMap<String, u64>,
) -> Vec<TableSize> {
    // dbstat: bytes per b-tree; an index's bytes go to its table.
    let owner: HashMap<String, String> = conn
        .prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')")
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .unwrap_or_default();
    let mut bytes: HashMap<String, u64> = HashMap::new();
    let mut counts: HashMap<String, u64> = HashMap::new();
    if let Ok(mut st) = conn.prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name") {
        if let Ok(it) = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))) {
            for (name, size) in it.filter_map(Result::ok) {
                if let Some(t) = owner.get(&name) {
                    *bytes.entry(t.clone()).or_default() += size.max(0) as u64;
                    if &name != t {
                        *counts.entry(t.clone()).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut out: Vec<TableSize> = tables
        .iter()
        .map(|t| TableSize {
            name: t.clone(),
            rows: rows.get(t).copied().unwrap_or(0),
            bytes: bytes.get(t).copied().unwrap_or(0),
            indexes: counts
                .get(t)
                .copied()
                .unwrap_or_else(|| index_columns(conn, t).len() as u64),
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.rows.cmp(&a.rows)));
    out.truncate(20);
    out
}
