//! A window's own statements: the difference of two snapshots of cumulative statement
//! counters (pg_stat_statements' method: sample before, sample after, subtract), or, without
//! them, the statements activity sampling caught running (time ≈ samples × interval, as
//! sampling profilers estimate it). Statements are grouped by the fingerprint of their
//! normalised text, so one statement run by several users or at several nesting levels is
//! one row. perfhive's own statements (marked `/* perfhive */`) are left out.

use crate::engine::Sampled;
use crate::model::{
    DatabaseCounters, Snapshot, StatementCounters, StatementStats, Workload, WorkloadSource,
};
use perfhive_core::sql::{normalize, Fingerprint};
use std::collections::{BTreeMap, HashMap};

/// The comment that marks perfhive's own statements.
pub const MARK: &str = "/* perfhive */";

fn is_ours(query: &str) -> bool {
    query.trim_start().starts_with(MARK)
}

/// The window between two snapshots. `sampled` is what activity sampling saw meanwhile
/// (used for the statements when the snapshots have none, and for the session summary).
pub fn between(
    before: &Snapshot,
    after: &Snapshot,
    sampled: Option<Sampled>,
    cumulative: bool,
) -> Workload {
    let duration_s = if cumulative {
        0.0
    } else {
        (after.taken_at - before.taken_at).max(0.0)
    };
    let mut notes = Vec::new();
    let (source, statements) = if after.statements_available {
        let src = if cumulative {
            WorkloadSource::PgStatStatementsCumulative
        } else {
            WorkloadSource::PgStatStatements
        };
        let mut s = from_counters(&before.statements, &after.statements);
        if let Some(sampled) = &sampled {
            for st in &mut s {
                st.example = sampled
                    .statements
                    .get(&st.fingerprint)
                    .and_then(|x| literal_example(&x.query));
            }
        }
        (src, s)
    } else if let Some(s) = sampled.as_ref().filter(|s| s.samples > 0) {
        notes.push(format!(
            "statement times are estimates from {} activity samples every {:.0} ms: statements \
             shorter than the interval are under-counted",
            s.samples, s.interval_ms
        ));
        (
            WorkloadSource::ActivitySampling {
                samples: s.samples,
                interval_ms: s.interval_ms,
            },
            from_samples(s),
        )
    } else {
        (
            WorkloadSource::Unavailable {
                reason: "no statement statistics and no activity samples".into(),
            },
            Vec::new(),
        )
    };
    let hidden = statements
        .iter()
        .filter(|s| s.query.contains("<insufficient privilege>"))
        .count();
    if hidden > 0 {
        notes.push(format!(
            "{hidden} statements' text is hidden from this role: GRANT pg_read_all_stats TO it to see them"
        ));
    }
    if let Some(err) = sampled.as_ref().and_then(|s| s.error.clone()) {
        notes.push(format!("activity sampling failed: {err}"));
    }
    let mut statements = statements;
    let total_ms: f64 = statements.iter().map(|s| s.total_ms).sum();
    for s in &mut statements {
        s.share = if total_ms > 0.0 {
            s.total_ms / total_ms
        } else {
            0.0
        };
    }
    statements.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
    let database = match (&before.database, &after.database) {
        (Some(b), Some(a)) if !cumulative => Some(b.delta(a)),
        (_, Some(a)) => Some(a.clone()),
        _ => None,
    };
    Workload {
        source,
        duration_s,
        statements,
        total_ms,
        database,
        activity: sampled.map(|s| s.summary),
        notes,
    }
}

/// Per-statement differences, grouped by fingerprint.
fn from_counters(before: &[StatementCounters], after: &[StatementCounters]) -> Vec<StatementStats> {
    let old: HashMap<&str, &StatementCounters> =
        before.iter().map(|c| (c.key.as_str(), c)).collect();
    let mut by_fp: BTreeMap<Fingerprint, StatementStats> = BTreeMap::new();
    for a in after.iter().filter(|a| !is_ours(&a.query)) {
        let d = match old.get(a.key.as_str()) {
            // A counter that went backwards was reset in between: take the new one whole.
            Some(b) if b.calls <= a.calls => StatementCounters {
                calls: a.calls - b.calls,
                total_ms: (a.total_ms - b.total_ms).max(0.0),
                rows: a.rows.saturating_sub(b.rows),
                shared_blks_hit: a.shared_blks_hit.saturating_sub(b.shared_blks_hit),
                shared_blks_read: a.shared_blks_read.saturating_sub(b.shared_blks_read),
                temp_blks_written: a.temp_blks_written.saturating_sub(b.temp_blks_written),
                ..a.clone()
            },
            _ => a.clone(),
        };
        if d.calls == 0 {
            continue;
        }
        let n = normalize(&d.query);
        let e = by_fp
            .entry(n.fingerprint)
            .or_insert_with(|| StatementStats {
                fingerprint: n.fingerprint,
                normalized: n.text,
                query: d.query.clone(),
                calls: 0,
                total_ms: 0.0,
                mean_ms: 0.0,
                rows: 0,
                shared_blks_hit: 0,
                shared_blks_read: 0,
                temp_blks_written: 0,
                share: 0.0,
                estimated: false,
                lock_wait_samples: 0,
                example: None,
            });
        e.calls += d.calls;
        e.total_ms += d.total_ms;
        e.rows += d.rows;
        e.shared_blks_hit += d.shared_blks_hit;
        e.shared_blks_read += d.shared_blks_read;
        e.temp_blks_written += d.temp_blks_written;
    }
    by_fp
        .into_values()
        .map(|mut s| {
            s.mean_ms = s.total_ms / s.calls.max(1) as f64;
            s
        })
        .collect()
}

fn from_samples(s: &Sampled) -> Vec<StatementStats> {
    s.statements
        .iter()
        .filter(|(_, st)| !is_ours(&st.query))
        .map(|(fp, st)| {
            let calls = st.executions.len().max(1) as u64;
            let total_ms = st.active_samples as f64 * s.interval_ms;
            StatementStats {
                fingerprint: *fp,
                normalized: normalize(&st.query).text,
                query: st.query.clone(),
                calls,
                total_ms,
                mean_ms: total_ms / calls as f64,
                rows: 0,
                shared_blks_hit: 0,
                shared_blks_read: 0,
                temp_blks_written: 0,
                share: 0.0,
                estimated: true,
                lock_wait_samples: st.lock_samples,
                example: literal_example(&st.query),
            }
        })
        .collect()
}

/// A sampled statement text with literal values (no bind parameters), whole (not cut at
/// `track_activity_query_size`, which would end it inside a token).
fn literal_example(query: &str) -> Option<String> {
    let q = query.trim();
    let whole = perfhive_core::sql::tokenize(q)
        .last()
        .is_some_and(|t| t.end == q.len());
    (whole && perfhive_core::sql::placeholder_count(q) == 0).then(|| q.to_string())
}

/// Counters that are all zero (the "before" of cumulative statistics).
pub fn empty_snapshot() -> Snapshot {
    Snapshot {
        taken_at: 0.0,
        statements: Vec::new(),
        database: Some(DatabaseCounters::default()),
        statements_available: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActivityRow;

    fn c(key: &str, query: &str, calls: u64, total_ms: f64) -> StatementCounters {
        StatementCounters {
            key: key.into(),
            query: query.into(),
            calls,
            total_ms,
            rows: calls * 10,
            shared_blks_hit: calls * 100,
            shared_blks_read: calls,
            temp_blks_written: 0,
        }
    }

    fn snap(at: f64, s: Vec<StatementCounters>) -> Snapshot {
        Snapshot {
            taken_at: at,
            statements: s,
            database: Some(DatabaseCounters {
                blks_hit: at as u64 * 10,
                ..Default::default()
            }),
            statements_available: true,
        }
    }

    #[test]
    fn the_window_holds_only_its_own_calls() {
        let before = snap(
            100.0,
            vec![
                c(
                    "1",
                    "SELECT * FROM orders WHERE customer_id = $1",
                    1000,
                    5000.0,
                ),
                c("2", "SELECT 1", 50, 1.0),
            ],
        );
        let after = snap(
            130.0,
            vec![
                c(
                    "1",
                    "SELECT * FROM orders WHERE customer_id = $1",
                    1300,
                    6500.0,
                ),
                c("2", "SELECT 1", 50, 1.0),
                // New in the window, run by a second user: same statement, other key.
                c(
                    "3",
                    "select * from orders where customer_id = $1",
                    100,
                    500.0,
                ),
                c(
                    "9",
                    "/* perfhive */ SELECT queryid FROM pg_stat_statements",
                    2,
                    3.0,
                ),
                c("4", "UPDATE orders SET status = $1 WHERE id = $2", 10, 20.0),
            ],
        );
        let mut sampled = Sampled::default();
        sampled.add(&[ActivityRow {
            pid: 7,
            state: "active".into(),
            query: "SELECT * FROM orders WHERE customer_id = 4711".into(),
            query_start: Some(1.0),
            state_age_s: Some(0.0),
            wait_event_type: None,
        }]);
        let w = between(&before, &after, Some(sampled), false);
        assert_eq!(w.source, WorkloadSource::PgStatStatements);
        assert_eq!(
            w.statements[0].example.as_deref(),
            Some("SELECT * FROM orders WHERE customer_id = 4711"),
            "a value the workload used"
        );
        assert_eq!(w.duration_s, 30.0);
        assert_eq!(w.statements.len(), 2, "{:?}", w.statements);
        let top = &w.statements[0];
        assert_eq!(top.calls, 400);
        assert_eq!(top.total_ms, 2000.0);
        assert_eq!(top.mean_ms, 5.0);
        assert_eq!(top.rows, 4000);
        assert!((top.share - 2000.0 / 2020.0).abs() < 1e-9);
        assert_eq!(w.database.as_ref().unwrap().blks_hit, 300);
    }

    #[test]
    fn a_reset_counter_is_taken_whole() {
        let before = snap(0.0, vec![c("1", "SELECT 1", 500, 50.0)]);
        let after = snap(10.0, vec![c("1", "SELECT 1", 20, 2.0)]);
        let w = between(&before, &after, None, false);
        assert_eq!(w.statements[0].calls, 20);
    }

    #[test]
    fn without_statistics_activity_samples_give_estimates() {
        let mut s = Sampled {
            interval_ms: 100.0,
            ..Sampled::default()
        };
        let row = |pid, start: f64, q: &str, wait: Option<&str>| ActivityRow {
            pid,
            state: "active".into(),
            query: q.into(),
            query_start: Some(start),
            state_age_s: Some(0.1),
            wait_event_type: wait.map(str::to_string),
        };
        // One 300 ms execution seen three times, and a second execution once, waiting on a lock.
        s.add(&[row(
            1,
            5.0,
            "SELECT * FROM orders WHERE customer_id = 7",
            None,
        )]);
        s.add(&[row(
            1,
            5.0,
            "SELECT * FROM orders WHERE customer_id = 7",
            None,
        )]);
        s.add(&[
            row(1, 5.0, "SELECT * FROM orders WHERE customer_id = 7", None),
            row(
                2,
                6.0,
                "SELECT * FROM orders WHERE customer_id = 9",
                Some("Lock"),
            ),
            ActivityRow {
                pid: 3,
                state: "idle in transaction".into(),
                query: "UPDATE x".into(),
                query_start: None,
                state_age_s: Some(12.5),
                wait_event_type: None,
            },
        ]);
        let unavailable = Snapshot::default();
        let w = between(&unavailable, &unavailable, Some(s), false);
        assert!(matches!(
            w.source,
            WorkloadSource::ActivitySampling { samples: 3, .. }
        ));
        let st = &w.statements[0];
        assert_eq!((st.calls, st.total_ms, st.lock_wait_samples), (2, 400.0, 1));
        assert!(st.estimated);
        let a = w.activity.unwrap();
        assert_eq!(
            (a.max_sessions, a.max_active, a.max_idle_in_transaction),
            (3, 2, 1)
        );
        assert_eq!(a.longest_idle_in_transaction_s, 12.5);
        assert!(w.notes[0].contains("estimates"));
    }
}
