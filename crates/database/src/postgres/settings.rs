//! The server's settings next to PGTune's formulas (`tune.rs`) for its machine: a setting far
//! from the formula's value is a finding (a rule of thumb, so marked heuristic), with the
//! `ALTER SYSTEM` line and whether it needs a restart (`pg_settings.context`). work_mem below
//! the formula is worth more when sorts or hashes spilled.

use super::health::{apply_note, finding, fix, setting};
use super::stats::ev;
use super::tune::{self, DbSize};
use super::PgEngine;
use crate::engine::{Health, HealthContext};
use crate::model::{Check, IssueKind, Machine, SettingAdvice, Severity};
use crate::workload::MARK;

pub(super) fn against_pgtune(
    engine: &mut PgEngine,
    m: &Machine,
    ctx: &HealthContext<'_>,
    h: &mut Health,
) {
    let max_conn = setting(engine, "max_connections")
        .map(|s| s.number as u64)
        .unwrap_or(100);
    let db_bytes: i64 = engine
        .client
        .query_one(
            &format!("{MARK} SELECT sum(pg_database_size(oid))::int8 FROM pg_database"),
            &[],
        )
        .map(|r| r.get(0))
        .unwrap_or(0);
    let size = DbSize::of(db_bytes.max(0) as u64, m.memory_bytes);
    let spilled = ctx
        .plans
        .iter()
        .flat_map(|p| &p.issues)
        .any(|i| matches!(i.kind, IssueKind::SortSpill | IssueKind::HashSpill) && !i.estimated);
    let temp_in_window = ctx
        .workload
        .and_then(|w| w.database.as_ref())
        .is_some_and(|d| d.temp_files > 0);
    for (name, rec) in tune::recommend(m, ctx.kind, size, max_conn) {
        let Some(cur) = setting(engine, name) else {
            continue;
        };
        let want = rec.number();
        let ratio = if want > 0.0 { cur.number / want } else { 1.0 };
        let (differs, severity) = match name {
            "shared_buffers" => (
                !(0.5..=2.0).contains(&ratio),
                if ratio < 0.25 {
                    Severity::Medium
                } else {
                    Severity::Low
                },
            ),
            "work_mem" => (
                !(0.5..=4.0).contains(&ratio),
                if ratio < 0.5 && (spilled || temp_in_window) {
                    Severity::Medium
                } else {
                    Severity::Low
                },
            ),
            "effective_cache_size" | "maintenance_work_mem" | "wal_buffers" | "max_wal_size" => {
                (!(0.5..=4.0).contains(&ratio), Severity::Low)
            }
            "min_wal_size" => (!(0.5..=4.0).contains(&ratio), Severity::Info),
            "random_page_cost" => ((cur.number - want).abs() >= 1.0, Severity::Low),
            "effective_io_concurrency" => (ratio < 0.5, Severity::Low),
            "checkpoint_completion_target" => (cur.number < 0.8, Severity::Low),
            // Parallel settings: fewer workers than cores leaves them idle.
            _ => (cur.number < want, Severity::Info),
        };
        let applies = engine.applies(name);
        let recommended = rec.render();
        h.settings.push(SettingAdvice {
            name: name.to_string(),
            current: cur.shown.clone(),
            recommended: recommended.clone(),
            applies,
            differs,
        });
        if !differs {
            continue;
        }
        let mut f = finding(
            Check::Setting,
            severity,
            name,
            format!(
                "{name} is {}; PGTune's formula gives {recommended} for this machine",
                cur.shown
            ),
            format!(
                "For {:.1} GiB of memory, {} CPUs, {} storage, a {} workload, {} connections and \
                 {:.1} GiB of data, PGTune's formula gives {name} = {recommended} (now {}).{}",
                m.memory_bytes as f64 / (1u64 << 30) as f64,
                m.cpus,
                m.storage.name(),
                ctx.kind.name(),
                max_conn,
                db_bytes as f64 / (1u64 << 30) as f64,
                cur.shown,
                if name == "work_mem" && severity == Severity::Medium {
                    " Sorts or hashes spilled to temporary files."
                } else {
                    ""
                }
            ),
        );
        f.heuristic = true;
        f.evidence = vec![
            ev("current", cur.number, unit_of(rec)),
            ev("recommended", want, unit_of(rec)),
        ];
        f.fix = fix(
            format!("ALTER SYSTEM SET {name} = '{recommended}';"),
            applies,
            apply_note(applies),
        );
        h.findings.push(f);
    }
}

fn unit_of(v: tune::Value) -> &'static str {
    match v {
        tune::Value::Kb(_) => "kB",
        _ => "",
    }
}
