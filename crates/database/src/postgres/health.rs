//! PostgreSQL's configuration against PGTune's formulas (`tune.rs`) and the health checks
//! the pg_stat_* views support, in the spirit of postgresqltuner and the PostgreSQL wiki's
//! "Performance Optimization" pages: cache hit ratio, temporary files, requested
//! checkpoints, sessions idle in a transaction, connections against max_connections, dead
//! tuples and autovacuum lag, unused and duplicate indexes, lock waits, tables never
//! analysed. Counters come from the window when there was one, else they are cumulative
//! since the statistics were last reset (and the finding says so).
//!
//! The settings against PGTune are in `settings.rs`, the index and table checks in
//! `catalog.rs`. Each check that fails (a view the role may not read) becomes a note; the others go on.

use super::stats::ev;
use super::tune;
use super::{qualified, PgEngine};
use crate::engine::{Health, HealthContext};
use crate::error::pg_message;
use crate::model::{Applies, Check, DatabaseCounters, Finding, Fix, IssueKind, Severity};
use crate::workload::MARK;
use crate::DbError;

const MB: f64 = 1024.0;

pub(super) fn finding(
    check: Check,
    severity: Severity,
    subject: &str,
    title: String,
    detail: String,
) -> Finding {
    Finding {
        check,
        severity,
        title,
        detail,
        evidence: Vec::new(),
        statement: None,
        subject: Some(subject.to_string()),
        fix: None,
        heuristic: false,
    }
}

pub(super) fn fix(sql: String, applies: Applies, note: Option<String>) -> Option<Fix> {
    Some(Fix {
        sql,
        applies,
        note,
        verification: None,
    })
}

/// `SELECT pg_reload_conf();` for reload-time settings, nothing for restarts.
pub(super) fn apply_note(a: Applies) -> Option<String> {
    match a {
        Applies::Reload => Some("then SELECT pg_reload_conf(); (no restart needed)".into()),
        Applies::Restart => Some("needs a server restart".into()),
        _ => None,
    }
}

pub(super) struct Setting {
    /// The value in comparable units (kB for memory).
    pub(super) number: f64,
    /// As the server shows it.
    pub(super) shown: String,
}

pub(super) fn setting(engine: &mut PgEngine, name: &str) -> Option<Setting> {
    let r = engine
        .client
        .query_opt(
            &format!(
                "{MARK} SELECT setting::text, coalesce(unit, ''), current_setting(name) FROM pg_settings WHERE name = $1"
            ),
            &[&name],
        )
        .ok()
        .flatten()?;
    let raw: String = r.get(0);
    let unit: String = r.get(1);
    let n: f64 = raw.parse().ok()?;
    let factor = match unit.as_str() {
        "8kB" => 8.0,
        "kB" => 1.0,
        "MB" => MB,
        "GB" => MB * MB,
        _ => 1.0,
    };
    Some(Setting {
        number: n * factor,
        shown: r.get(2),
    })
}

/// Runs every check.
pub fn check(engine: &mut PgEngine, ctx: &HealthContext<'_>) -> Result<Health, DbError> {
    let mut h = Health::default();
    let local = engine.target.is_local();
    h.machine = ctx.machine.clone().or_else(|| {
        if !local {
            return None;
        }
        let dir: Option<String> = engine
            .client
            .query_opt(
                &format!("{MARK} SELECT setting FROM pg_settings WHERE name = 'data_directory'"),
                &[],
            )
            .ok()
            .flatten()
            .map(|r| r.get(0));
        crate::machine::local(dir.as_deref().map(std::path::Path::new))
    });
    if h.machine.is_none() {
        h.notes.push(
            "the server runs on another host: give its memory and CPUs (--memory, --cpus, --storage) \
             to judge the configuration against PGTune's formulas"
                .into(),
        );
    }
    let window = ctx.workload.filter(|w| w.duration_s > 0.0);
    let counters = match window.and_then(|w| w.database.clone()) {
        Some(c) => (c, true),
        None => (cumulative(engine)?, false),
    };
    let since = stats_since(engine);
    if let Some(m) = h.machine.clone() {
        super::settings::against_pgtune(engine, &m, ctx, &mut h);
    }
    let checks: [(&str, CheckFn); 9] = [
        ("cache hit ratio", cache_hit),
        ("temporary files", temp_files),
        ("checkpoints", checkpoints),
        ("sessions", super::sessions::sessions),
        ("dead tuples", dead_tuples),
        ("unused indexes", super::catalog::unused_indexes),
        ("duplicate indexes", super::catalog::duplicate_indexes),
        ("lock waits", super::sessions::lock_waits),
        ("table sizes", super::catalog::tables),
    ];
    for (name, f) in checks {
        if let Err(e) = f(engine, ctx, &counters, &since, &mut h) {
            h.notes
                .push(format!("{name} not checked: {}", pg_message(&e)));
        }
    }
    Ok(h)
}

fn cumulative(engine: &mut PgEngine) -> Result<DatabaseCounters, DbError> {
    let s = super::stats::snapshot(&mut engine.client, engine.version_num, false)?;
    Ok(s.database.unwrap_or_default())
}

fn stats_since(engine: &mut PgEngine) -> String {
    engine
        .client
        .query_one(
            &format!(
                "{MARK} SELECT coalesce(to_char(stats_reset, 'YYYY-MM-DD HH24:MI'), \
                 'the server started (' || to_char(pg_postmaster_start_time(), 'YYYY-MM-DD HH24:MI') || ')') \
                 FROM pg_stat_database WHERE datname = current_database()"
            ),
            &[],
        )
        .map(|r| r.get::<_, String>(0))
        .unwrap_or_else(|_| "the last reset".into())
}

pub(super) fn window_words(window: bool, since: &str) -> String {
    if window {
        "in the window".into()
    } else {
        format!("since {since}")
    }
}

pub(super) type Counters = (DatabaseCounters, bool);

/// One health check.
type CheckFn = fn(
    &mut PgEngine,
    &HealthContext<'_>,
    &Counters,
    &str,
    &mut Health,
) -> Result<(), postgres::Error>;

fn cache_hit(
    e: &mut PgEngine,
    _: &HealthContext<'_>,
    (c, window): &Counters,
    since: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let total = c.blks_hit + c.blks_read;
    if total < 10_000 {
        return Ok(());
    }
    let ratio = c.blks_hit as f64 / total as f64;
    if ratio >= 0.99 {
        return Ok(());
    }
    let severity = if ratio < 0.9 {
        Severity::High
    } else if ratio < 0.95 {
        Severity::Medium
    } else {
        Severity::Low
    };
    let mut f = finding(
        Check::CacheHitRatio,
        severity,
        "shared_buffers",
        format!(
            "Buffer cache hit ratio is {:.1}% {}",
            ratio * 100.0,
            window_words(*window, since)
        ),
        format!(
            "{} of {} block reads missed shared_buffers ({}) and went to the OS cache or the disk; \
             a hot working set that fits in memory reads above 99% from the cache.",
            c.blks_read,
            total,
            setting(e, "shared_buffers").map(|s| s.shown).unwrap_or_default()
        ),
    );
    f.evidence = vec![
        ev("hit ratio", ratio * 100.0, "%"),
        ev("blocks read", c.blks_read as f64, "blocks"),
        ev("blocks hit", c.blks_hit as f64, "blocks"),
    ];
    if let Some(sb) = h
        .findings
        .iter()
        .find(|f| f.subject.as_deref() == Some("shared_buffers") && f.check == Check::Setting)
    {
        f.fix = sb.fix.clone();
    }
    h.findings.push(f);
    Ok(())
}

fn temp_files(
    e: &mut PgEngine,
    ctx: &HealthContext<'_>,
    (c, window): &Counters,
    since: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let spills: Vec<f64> = ctx
        .plans
        .iter()
        .flat_map(|p| &p.issues)
        .filter(|i| matches!(i.kind, IssueKind::SortSpill | IssueKind::HashSpill) && !i.estimated)
        .filter_map(|i| i.spill_kb)
        .collect();
    if c.temp_files == 0 && spills.is_empty() {
        return Ok(());
    }
    let work_mem = setting(e, "work_mem");
    let cur_kb = work_mem.as_ref().map(|s| s.number).unwrap_or(4096.0);
    let avg_kb = if c.temp_files > 0 {
        c.temp_bytes as f64 / c.temp_files as f64 / 1024.0
    } else {
        0.0
    };
    let largest = spills.iter().copied().fold(avg_kb, f64::max);
    // An in-memory sort needs more room than its on-disk runs: twice, rounded up to a power
    // of two megabytes.
    let need_mb = ((largest * 2.0 / MB).max(1.0))
        .log2()
        .ceil()
        .exp2()
        .max(cur_kb * 2.0 / MB);
    let need = format!("{}MB", need_mb as u64);
    let global_ok = h
        .settings
        .iter()
        .find(|s| s.name == "work_mem")
        .and_then(|s| crate::postgres::tune::parse_kb(&s.recommended))
        .map(|pgtune_kb| need_mb * MB <= pgtune_kb * 2.0)
        .unwrap_or(need_mb <= 64.0);
    let severity = if *window && c.temp_bytes as f64 >= 100.0 * MB * MB {
        Severity::High
    } else if *window || !spills.is_empty() {
        Severity::Medium
    } else {
        Severity::Low
    };
    let mut f = finding(
        Check::TempFiles,
        severity,
        "work_mem",
        format!(
            "{} temporary files ({:.1} MB) written {}: work_mem ({}) is too small for some sorts or hashes",
            c.temp_files,
            c.temp_bytes as f64 / MB / MB,
            window_words(*window, since),
            work_mem.as_ref().map(|s| s.shown.as_str()).unwrap_or("?")
        ),
        format!(
            "Sorts and hashes larger than work_mem spill to temporary files on disk. The largest spill \
             seen is {:.0} kB; about {need} of work_mem keeps it in memory.{}",
            largest,
            if global_ok {
                ""
            } else {
                " That is more than PGTune's budget per operation for all connections: set it for the \
                 statements that need it (SET LOCAL work_mem in their transaction, or ALTER ROLE … SET work_mem)."
            }
        ),
    );
    f.evidence = vec![
        ev("temporary files", c.temp_files as f64, "files"),
        ev("temporary bytes", c.temp_bytes as f64, "bytes"),
        ev("largest spill", largest, "kB"),
        ev("work_mem", cur_kb, "kB"),
    ];
    if let Some(top) = ctx.workload.and_then(|w| {
        w.statements
            .iter()
            .filter(|s| s.temp_blks_written > 0)
            .max_by_key(|s| s.temp_blks_written)
    }) {
        f.statement = Some(top.fingerprint);
        f.evidence.push(ev(
            "temp blocks written by the top statement",
            top.temp_blks_written as f64,
            "blocks",
        ));
    }
    let applies = e.applies("work_mem");
    f.fix = if global_ok {
        fix(
            format!("ALTER SYSTEM SET work_mem = '{need}';"),
            applies,
            apply_note(applies),
        )
    } else {
        fix(
            format!("SET LOCAL work_mem = '{need}';"),
            Applies::PerConnection,
            Some("inside the transaction that runs the statement".into()),
        )
    };
    h.findings.push(f);
    Ok(())
}

fn checkpoints(
    e: &mut PgEngine,
    _: &HealthContext<'_>,
    (c, window): &Counters,
    since: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let (req, timed) = (c.checkpoints_requested, c.checkpoints_timed);
    let flagged = if *window {
        req >= 1 && req >= timed
    } else {
        req >= 5 && req > timed
    };
    if !flagged {
        return Ok(());
    }
    let cur = setting(e, "max_wal_size");
    let cur_mb = cur.as_ref().map(|s| s.number / MB).unwrap_or(1024.0);
    let pgtune_mb = h
        .settings
        .iter()
        .find(|s| s.name == "max_wal_size")
        .and_then(|s| tune::parse_kb(&s.recommended))
        .map(|k| k / MB)
        .unwrap_or(0.0);
    let want = (cur_mb * 2.0).max(pgtune_mb);
    let want = tune::render_kb((want * MB) as u64);
    let mut f = finding(
        Check::Checkpoints,
        if *window { Severity::Medium } else { Severity::Low },
        "max_wal_size",
        format!("{req} checkpoints were requested and {timed} timed {}", window_words(*window, since)),
        format!(
            "A requested checkpoint starts because WAL reached max_wal_size ({}) before checkpoint_timeout: \
             writes come in bursts of full-page images and I/O. Timed checkpoints should dominate.",
            cur.map(|s| s.shown).unwrap_or_default()
        ),
    );
    f.evidence = vec![
        ev("checkpoints requested", req as f64, "checkpoints"),
        ev("checkpoints timed", timed as f64, "checkpoints"),
    ];
    let applies = e.applies("max_wal_size");
    f.fix = fix(
        format!("ALTER SYSTEM SET max_wal_size = '{want}';"),
        applies,
        apply_note(applies),
    );
    h.findings.push(f);
    Ok(())
}

fn dead_tuples(
    e: &mut PgEngine,
    _: &HealthContext<'_>,
    _: &Counters,
    _: &str,
    h: &mut Health,
) -> Result<(), postgres::Error> {
    let rows = e.client.query(
        &format!(
            "{MARK} SELECT schemaname::text, relname::text, n_live_tup::int8, n_dead_tup::int8, \
             extract(epoch FROM clock_timestamp() - greatest(last_autovacuum, last_vacuum))::float8, \
             (last_analyze IS NULL AND last_autoanalyze IS NULL) \
             FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT 50"
        ),
        &[],
    )?;
    for r in rows {
        let (schema, table, live, dead, age, never_analyzed): (
            String,
            String,
            i64,
            i64,
            Option<f64>,
            bool,
        ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        let name = qualified(Some(&schema), &table);
        let share = dead as f64 / (live + dead).max(1) as f64;
        if dead >= 10_000 && share >= 0.2 {
            let mut f = finding(
                Check::DeadTuples,
                if share >= 0.5 { Severity::Medium } else { Severity::Low },
                &name,
                format!("{name}: {dead} dead rows ({:.0}% of the table), last vacuumed {}", share * 100.0, age.map(|a| format!("{:.0} min ago", a / 60.0)).unwrap_or_else(|| "never".into())),
                "Dead rows are read and skipped by every scan until VACUUM reclaims them; autovacuum \
                 starts only past autovacuum_vacuum_scale_factor (20% by default) of the table."
                    .into(),
            );
            f.evidence = vec![
                ev("dead rows", dead as f64, "rows"),
                ev("live rows", live as f64, "rows"),
                ev("dead share", share * 100.0, "%"),
            ];
            f.fix = fix(
                format!("VACUUM (ANALYZE) {name};"),
                Applies::Online,
                Some(format!("and for a busy table: ALTER TABLE {name} SET (autovacuum_vacuum_scale_factor = 0.05);")),
            );
            h.findings.push(f);
        }
        if never_analyzed && live >= 1000 {
            let mut f = finding(
                Check::PlannerStatistics,
                Severity::Low,
                &name,
                format!("{name} ({live} rows) has never been analysed"),
                "Without statistics the planner guesses row counts and may choose poor plans."
                    .into(),
            );
            f.evidence = vec![ev("rows", live as f64, "rows")];
            f.fix = fix(format!("ANALYZE {name};"), Applies::Online, None);
            h.findings.push(f);
        }
    }
    Ok(())
}
