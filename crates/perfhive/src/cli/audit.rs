//! `perfhive audit db DSN`: a database audit with `perfhive-database` — the window's
//! statements (or the cumulative ones), their plans, index advice verified before it is
//! given, the configuration against PGTune and the pg_stat_* health checks; SQLite files
//! too. Exit 1 with `--fail-on SEVERITY` when a finding reaches it; 2 for a bad DSN, an
//! unreachable server or unreadable input.

pub use crate::cli::args::audit::{AuditArgs, AuditCmd, DbArgs, Format};
use crate::exit::Code;
use crate::output::Printer;
use perfhive_database::options::{read_statements, render};
use perfhive_database::{AnalyseOptions, Database, Machine};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Runs `perfhive audit`.
pub fn exec(a: AuditArgs, out: &mut Printer) -> anyhow::Result<Code> {
    match a.what {
        AuditCmd::Db(d) => exec_db(*d, out),
    }
}

fn exec_db(a: DbArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let seen = read_statements(&a.statements)?;
    let machine = Machine::given(a.memory, a.cpus, a.storage.into()).map_err(anyhow::Error::msg)?;
    let opts = AnalyseOptions {
        top: a.top,
        analyze: a.analyze,
        verify: a.verify.into(),
        max_copy_bytes: a.max_copy,
        runs: a.runs.max(1),
        min_rows: a.min_rows as f64,
        machine,
        kind: a.workload.into(),
        min_gain: AnalyseOptions::default().min_gain,
        pool: a.pool,
    };
    let mut db = Database::connect(&a.dsn, None)?;
    // Signals are caught only during a window (Ctrl-C ends it early, the audit goes on and
    // exits 130); elsewhere they keep their default action.
    let mut interrupts = None;
    let workload = match a.window {
        Some(len) => {
            let it = interrupts.insert(crate::interrupt::Interrupts::install());
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            it.on_signal(move |_, _| s.store(true, Ordering::SeqCst));
            let window = db.begin_window(a.sample_every)?;
            writeln!(
                out.err(),
                "window of {}: run the workload now (Ctrl-C ends the window early)",
                humantime::format_duration(len)
            )?;
            db.end_window_after(window, len, &stop)?
        }
        None => db.cumulative()?,
    };
    let report = db.analyse(Some(&workload), &seen, &opts);
    let color = a.out.is_none() && out.color(false);
    let buf = render(&report, a.format.into(), color)?;
    let summary = perfhive_database::render::summary_line(&report);
    out.report(
        &buf,
        a.out.as_deref(),
        &summary,
        a.format == Format::Terminal,
    )?;
    let failed = a
        .fail_on
        .is_some_and(|level| report.count_at_least(level.into()) > 0);
    let code = Code::failed_if(failed);
    Ok(interrupts.map_or(code, |i| i.code_or(code)))
}
