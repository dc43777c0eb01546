//! pg_stat_statements snapshots (the cumulative counters of the current database's
//! statements, keyed by user, queryid and nesting level), pg_stat_database and the
//! checkpoint counters (pg_stat_bgwriter before PostgreSQL 17, pg_stat_checkpointer from 17),
//! and one pg_stat_activity sample of the client sessions.

use super::StatementsState;
use crate::error::pg_message;
use crate::model::{
    ActivityRow, Applies, Check, DatabaseCounters, Evidence, Finding, Fix, Severity, Snapshot,
    StatementCounters,
};
use crate::workload::MARK;
use crate::DbError;

/// Whether pg_stat_statements can be read here.
pub fn statements_state(client: &mut postgres::Client) -> StatementsState {
    let created = client
        .query_opt(
            &format!("{MARK} SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"),
            &[],
        )
        .ok()
        .flatten()
        .is_some();
    if !created {
        let loaded = client
            .query_one(
                &format!("{MARK} SELECT current_setting('shared_preload_libraries')"),
                &[],
            )
            .map(|r| {
                r.get::<_, String>(0)
                    .split(',')
                    .any(|l| l.trim() == "pg_stat_statements")
            })
            .unwrap_or(false);
        return if loaded {
            StatementsState::NotCreated
        } else {
            StatementsState::NotLoaded
        };
    }
    match client.query(
        &format!("{MARK} SELECT 1 FROM pg_stat_statements LIMIT 1"),
        &[],
    ) {
        Ok(_) => StatementsState::Available,
        Err(e) => {
            let m = pg_message(&e);
            if m.contains("shared_preload_libraries") {
                StatementsState::NotLoaded
            } else {
                StatementsState::Failed(m)
            }
        }
    }
}

/// The finding that says statement statistics are missing and how to enable them.
/// `sampled`: whether this audit fell back to sampling pg_stat_activity over a window.
pub fn missing_statements_finding(
    state: &StatementsState,
    sql: String,
    applies: Applies,
    sampled: bool,
) -> Finding {
    let why = match state {
        StatementsState::NotLoaded => {
            "pg_stat_statements is not in shared_preload_libraries".to_string()
        }
        StatementsState::NotCreated => {
            "pg_stat_statements is loaded but the extension is not created in this database"
                .to_string()
        }
        StatementsState::Failed(m) => format!("pg_stat_statements cannot be read: {m}"),
        StatementsState::Available => String::new(),
    };
    Finding {
        check: Check::StatementStatistics,
        severity: Severity::Medium,
        title: "Statement statistics are not available".into(),
        detail: if sampled {
            format!(
                "{why}: perfhive fell back to sampling pg_stat_activity, which misses statements \
                 shorter than the sampling interval and gives times as estimates. perfhive does not \
                 create extensions itself (it never changes the database)."
            )
        } else {
            format!(
                "{why}: without it the audit has no statement times at all; over a window \
                 (--window, or an investigation's baseline) perfhive samples pg_stat_activity \
                 instead, which misses statements shorter than the sampling interval and gives \
                 times as estimates. perfhive does not create extensions itself (it never \
                 changes the database)."
            )
        },
        evidence: Vec::new(),
        statement: None,
        subject: Some("pg_stat_statements".into()),
        fix: Some(Fix {
            sql,
            applies,
            note: Some(
                "then re-run the audit with a window (--window) to see each statement's own calls"
                    .into(),
            ),
            verification: None,
        }),
        heuristic: false,
    }
}

fn u(v: i64) -> u64 {
    v.max(0) as u64
}

/// The counters now.
pub fn snapshot(
    client: &mut postgres::Client,
    version_num: i32,
    statements: bool,
) -> Result<Snapshot, DbError> {
    let now: f64 = client
        .query_one(
            &format!("{MARK} SELECT extract(epoch FROM clock_timestamp())::float8"),
            &[],
        )
        .map_err(|e| DbError::query("reading the server's clock", pg_message(&e)))?
        .get(0);
    let mut rows = Vec::new();
    if statements {
        for r in client
            .query(
                &format!(
                    "{MARK} SELECT s.userid::text || ':' || s.queryid::text || ':' || s.toplevel::text, \
                     coalesce(s.query, ''), s.calls::int8, s.total_exec_time::float8, s.rows::int8, \
                     s.shared_blks_hit::int8, s.shared_blks_read::int8, s.temp_blks_written::int8 \
                     FROM pg_stat_statements s \
                     WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                &[],
            )
            .map_err(|e| DbError::query("reading pg_stat_statements", pg_message(&e)))?
        {
            rows.push(StatementCounters {
                key: r.get(0),
                query: r.get(1),
                calls: u(r.get(2)),
                total_ms: r.get(3),
                rows: u(r.get(4)),
                shared_blks_hit: u(r.get(5)),
                shared_blks_read: u(r.get(6)),
                temp_blks_written: u(r.get(7)),
            });
        }
    }
    let checkpoints = if version_num >= 170000 {
        "SELECT num_timed::int8, num_requested::int8 FROM pg_stat_checkpointer"
    } else {
        "SELECT checkpoints_timed::int8, checkpoints_req::int8 FROM pg_stat_bgwriter"
    };
    let db = client
        .query_one(
            &format!(
                "{MARK} SELECT xact_commit::int8, blks_hit::int8, blks_read::int8, temp_files::int8, \
                 temp_bytes::int8, deadlocks::int8, c.* FROM pg_stat_database, ({checkpoints}) c \
                 WHERE datname = current_database()"
            ),
            &[],
        )
        .map_err(|e| DbError::query("reading pg_stat_database", pg_message(&e)))?;
    Ok(Snapshot {
        taken_at: now,
        statements: rows,
        database: Some(DatabaseCounters {
            xact_commit: u(db.get(0)),
            blks_hit: u(db.get(1)),
            blks_read: u(db.get(2)),
            temp_files: u(db.get(3)),
            temp_bytes: u(db.get(4)),
            deadlocks: u(db.get(5)),
            checkpoints_timed: u(db.get(6)),
            checkpoints_requested: u(db.get(7)),
        }),
        statements_available: statements,
    })
}

/// One sample of the database's client sessions (not perfhive's own).
pub fn sample_activity(
    client: &mut postgres::Client,
    exclude_pid: i32,
) -> Result<Vec<ActivityRow>, DbError> {
    let rows = client
        .query(
            &format!(
                "{MARK} SELECT pid, coalesce(state, ''), coalesce(query, ''), \
                 extract(epoch FROM query_start)::float8, \
                 extract(epoch FROM clock_timestamp() - state_change)::float8, wait_event_type \
                 FROM pg_stat_activity \
                 WHERE datname = current_database() AND backend_type = 'client backend' \
                 AND pid <> pg_backend_pid() AND pid <> $1"
            ),
            &[&exclude_pid],
        )
        .map_err(|e| DbError::query("sampling pg_stat_activity", pg_message(&e)))?;
    Ok(rows
        .iter()
        .map(|r| ActivityRow {
            pid: r.get(0),
            state: r.get(1),
            query: r.get(2),
            query_start: r.get(3),
            state_age_s: r.get(4),
            wait_event_type: r.get(5),
        })
        .collect())
}

/// Evidence of one number.
pub fn ev(label: &str, value: f64, unit: &str) -> Evidence {
    Evidence::new(label, value, unit)
}
