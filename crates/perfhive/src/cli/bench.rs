//! `perfhive bench`: benchmark commands (hyperfine's job, with per-child memory and real
//! statistics).

pub use crate::cli::args::bench::BenchArgs;
use crate::cli::compare::{comparison_block, load_side};
use crate::exit::Code;
use crate::output::Printer;
use crate::progress::{BenchProgress, Mode};
use crate::recording::{fingerprint, History, Recording};
use anyhow::Context;
use perfhive_bench::{BenchOptions, CommandSpec, Io, Launcher, Metric, Param};
use perfhive_core::record::{RecordKind, RunStatus};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn msg(m: String) -> anyhow::Error {
    anyhow::Error::msg(m)
}

/// The benchmark the flags describe.
fn options(a: &BenchArgs) -> anyhow::Result<BenchOptions> {
    let commands = CommandSpec::named(&a.commands, &a.command_names).map_err(msg)?;
    let params = Param::from_flags(&a.parameter_scan, a.parameter_step_size, &a.parameter_list)
        .map_err(msg)?;
    let launcher = Launcher::from_flag(a.shell.as_deref());
    let io = Io::from_flags(a.input.clone(), a.show_output).map_err(msg)?;
    let max_runs = perfhive_bench::flags::max_runs(a.min_runs, a.max_runs).map_err(msg)?;
    Ok(BenchOptions {
        commands,
        name: a.record.name.clone(),
        warmup: a.warmup,
        runs: a.runs,
        min_runs: a.min_runs,
        max_runs,
        max_time: a.max_time,
        prepare: a.prepare.clone(),
        setup: a.setup.clone(),
        cleanup: a.cleanup.clone(),
        params,
        launcher,
        io,
        ignore_failure: a.ignore_failure,
        interleave: !a.no_interleave,
        metric: Metric::from_name(&a.metric).unwrap_or(Metric::Wall),
        spawner: std::env::current_exe()
            .ok()
            .map(|exe| (exe, vec!["__spawn".to_string()])),
    })
}

/// Writes the exports; the first error is returned after all were tried.
fn write_exports(
    a: &BenchArgs,
    json: &serde_json::Value,
    record: &perfhive_core::bench::BenchRecord,
) -> anyhow::Result<()> {
    let mut first = None;
    let mut write = |p: &Option<PathBuf>, text: String| {
        if let Some(p) = p {
            if let Err(e) =
                std::fs::write(p, text).with_context(|| format!("cannot write `{}`", p.display()))
            {
                first.get_or_insert(e);
            }
        }
    };
    write(&a.export_json, serde_json::to_string_pretty(json)?);
    write(&a.export_csv, perfhive_report::bench::csv(record));
    write(&a.export_markdown, perfhive_report::bench::markdown(record));
    first.map_or(Ok(()), Err)
}

/// Runs `perfhive bench`.
pub fn exec(a: BenchArgs, history: &History, out: &mut Printer) -> anyhow::Result<Code> {
    let opts = options(&a)?;
    let planned = perfhive_bench::plan(&opts)?;
    let name = a.record.name_or(
        &planned
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(" vs "),
    );
    let fp = fingerprint();
    let baseline = a
        .baseline
        .as_ref()
        .map(|r| load_side(r, history, Some(&name)));
    let baseline = baseline.transpose()?;
    let mut recording = Recording::begin(history, &a.record, RecordKind::Bench, &name, &fp, out);
    let stop = Arc::new(AtomicBool::new(false));
    // a second signal also kills a `--cleanup` that hangs
    let kill = Arc::new(AtomicBool::new(false));
    let (s, k) = (stop.clone(), kill.clone());
    let interrupts = crate::interrupt::Interrupts::install();
    interrupts.on_signal(move |_, n| {
        s.store(true, std::sync::atomic::Ordering::SeqCst);
        if n >= 2 {
            k.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let date = perfhive_store::now_rfc3339();
    let measured = {
        let mut watch = BenchProgress::new(Mode::of(a.quiet, out), recording.as_mut());
        perfhive_bench::run_killable(&opts, &mut watch, &stop, &kill)?
    };
    let mut record = perfhive_bench::analysis::build_record(
        &measured,
        perfhive_bench::analysis::RecordInfo {
            name: &name,
            date,
            metric: opts.metric,
            interleaved: opts.interleave,
            shell: a.shell.clone().filter(|s| s != "none"),
            notes: a.record.note.clone(),
        },
    );
    record.fingerprint = Some(fp);
    let measures = perfhive_core::measure::of_bench(&record);
    record.comparison = baseline.map(|base| comparison_block(&base, &measures));
    let json = serde_json::to_value(&record)?;
    // what was measured goes out first, whatever happens to the history
    let exported = write_exports(&a, &json, &record);
    let status = if measured.interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Passed
    };
    let run_id = recording.and_then(|r| r.finish(status, &json, &measures, out));
    if !a.quiet {
        let color = out.color(a.json);
        let w = if a.json { out.err() } else { out.out() };
        perfhive_report::bench::render(&record, w, perfhive_report::Style { color })?;
        if let Some(id) = run_id {
            writeln!(w, "\n  stored in the history as run {id}")?;
        }
    }
    if a.json {
        writeln!(out.out(), "{}", serde_json::to_string_pretty(&json)?)?;
    }
    exported?;
    Ok(interrupts.code_for(status))
}
