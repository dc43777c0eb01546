//! `perfhive bench`: benchmark commands (hyperfine's job, with per-child memory and real
//! statistics).

use crate::cli::positive_duration;
use crate::exit::Code;
use crate::output::Printer;
use crate::recording::{fingerprint, History, RecordArgs, Recording};
use anyhow::{bail, Context};
use clap::Args;
use perfhive_bench::{BenchOptions, CommandSpec, Io, Launcher, Metric, Observer, Param, Planned};
use perfhive_core::bench::Sample;
use perfhive_core::record::{RecordKind, RunStatus};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `perfhive bench`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  perfhive bench 'sleep 0.05' 'sleep 0.1'\n  \
perfhive bench -w 3 -P threads 1 8 'make -j {threads}'\n  perfhive bench --shell sh 'grep -c x big.txt | wc -l' --export-json out.json\n\n\
Commands run directly (no shell) unless --shell is given; the shell's spawn time is then measured and subtracted.\n\n\
--name names the benchmark in the history, and a single command too (unless -n names it), so two benchmarks of \
one name compare (`perfhive compare latest~1 latest`) whatever their command lines."
)]
pub struct BenchArgs {
    /// Commands to benchmark.
    #[arg(required = true, value_name = "COMMAND")]
    pub commands: Vec<String>,
    /// Warm-up runs per command, not measured.
    #[arg(short, long, default_value_t = 0, value_name = "N")]
    pub warmup: usize,
    /// Exact number of runs per command, at least 1 [default: adaptive].
    #[arg(short, long, value_name = "N", conflicts_with_all = ["min_runs", "max_runs"], value_parser = at_least(1))]
    pub runs: Option<usize>,
    /// Adaptive: at least this many runs (2 or more).
    #[arg(short = 'm', long, default_value_t = 10, value_name = "N", value_parser = at_least(2))]
    pub min_runs: usize,
    /// Adaptive: at most this many runs (at least --min-runs).
    #[arg(short = 'M', long, value_name = "N", value_parser = at_least(2))]
    pub max_runs: Option<usize>,
    /// Adaptive: time budget per command, above zero.
    #[arg(long, default_value = "3s", value_name = "DURATION", value_parser = positive_duration)]
    pub max_time: Duration,
    /// Run before every timed run (once, or once per command).
    #[arg(short, long, value_name = "CMD")]
    pub prepare: Vec<String>,
    /// Run once before each command's runs.
    #[arg(short, long, value_name = "CMD")]
    pub setup: Option<String>,
    /// Run once after each command's runs.
    #[arg(short, long, value_name = "CMD")]
    pub cleanup: Option<String>,
    /// Numeric parameter scan: NAME MIN MAX, substituted for {NAME}.
    #[arg(short = 'P', long, num_args = 3, value_names = ["NAME", "MIN", "MAX"])]
    pub parameter_scan: Vec<String>,
    /// Step of --parameter-scan, above zero.
    #[arg(short = 'D', long, default_value_t = 1.0, value_name = "STEP", value_parser = positive_number, allow_hyphen_values = true)]
    pub parameter_step_size: f64,
    /// Parameter list: NAME a,b,c (repeatable).
    #[arg(short = 'L', long, num_args = 2, value_names = ["NAME", "VALUES"])]
    pub parameter_list: Vec<String>,
    /// Run commands through this shell (e.g. sh, bash) instead of executing them directly.
    #[arg(short = 'S', long, value_name = "SHELL")]
    pub shell: Option<String>,
    /// Feed this file to every command's stdin.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Display name of each command, in order (supports {param}).
    #[arg(short = 'n', long = "command-name", value_name = "NAME")]
    pub command_names: Vec<String>,
    /// Keep measuring commands that exit non-zero.
    #[arg(short, long)]
    pub ignore_failure: bool,
    /// Run all runs of one command before the next instead of A B A B …
    #[arg(long)]
    pub no_interleave: bool,
    /// Primary metric for outliers and comparisons.
    #[arg(long, default_value = "wall", value_name = "METRIC", value_parser = ["wall", "cpu", "rss"])]
    pub metric: String,
    /// Show the commands' output instead of discarding it.
    #[arg(long)]
    pub show_output: bool,
    /// Write the record as JSON.
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,
    /// Write one row per run as CSV.
    #[arg(long, value_name = "FILE")]
    pub export_csv: Option<PathBuf>,
    /// Write the summary table as Markdown.
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
    /// Compare with a baseline run (id, latest, latest~N, latest@BRANCH, or a file) and fill
    /// `comparison`.
    #[arg(long, value_name = "REF")]
    pub baseline: Option<String>,
    /// Print the record (JSON) to stdout; the summary goes to stderr.
    #[arg(long)]
    pub json: bool,
    /// No progress and no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// `--name` names the benchmark in the history, and a single command with it.
    #[command(flatten)]
    pub record: RecordArgs,
}

/// A count of at least `min`.
fn at_least(min: usize) -> impl Fn(&str) -> Result<usize, String> + Clone {
    move |s: &str| {
        let n: usize = s
            .parse()
            .map_err(|_| format!("expected a whole number of at least {min}"))?;
        if n < min {
            return Err(format!("must be at least {min}"));
        }
        Ok(n)
    }
}

/// A finite number above zero.
fn positive_number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("expected a number above zero".into()),
    }
}

fn options(a: &BenchArgs) -> anyhow::Result<BenchOptions> {
    if a.command_names.len() > a.commands.len() {
        bail!(
            "more --command-name ({}) than commands ({})",
            a.command_names.len(),
            a.commands.len()
        );
    }
    let mut params = Vec::new();
    for chunk in a.parameter_scan.chunks(3) {
        let num = |s: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .with_context(|| format!("--parameter-scan: `{s}` is not a number"))
        };
        let (from, to) = (num(&chunk[1])?, num(&chunk[2])?);
        if to < from {
            bail!("--parameter-scan {}: expected MIN <= MAX", chunk[0]);
        }
        if (to - from) / a.parameter_step_size > 100_000.0 {
            bail!(
                "--parameter-scan {}: more than 100000 values; use a larger --parameter-step-size",
                chunk[0]
            );
        }
        params.push(Param::Range {
            name: chunk[0].clone(),
            from,
            to,
            step: a.parameter_step_size,
        });
    }
    for chunk in a.parameter_list.chunks(2) {
        if chunk[1].split(',').any(str::is_empty) {
            bail!(
                "--parameter-list {}: `{}` has an empty value",
                chunk[0],
                chunk[1]
            );
        }
        params.push(Param::List {
            name: chunk[0].clone(),
            values: chunk[1].split(',').map(str::to_string).collect(),
        });
    }
    let launcher = match a.shell.as_deref() {
        None | Some("none") => Launcher::Direct,
        Some(sh) => Launcher::Shell(sh.to_string()),
    };
    if let Some(input) = &a.input {
        if !input.is_file() {
            bail!("--input `{}` is not a readable file", input.display());
        }
    }
    if let Some(max) = a.max_runs.filter(|m| *m < a.min_runs) {
        bail!(
            "--max-runs {max} is below --min-runs {}: give at least as many",
            a.min_runs
        );
    }
    Ok(BenchOptions {
        commands: a
            .commands
            .iter()
            .enumerate()
            .map(|(i, c)| CommandSpec {
                name: a.command_names.get(i).cloned(),
                line: c.clone(),
            })
            .collect(),
        name: a.record.name.clone(),
        warmup: a.warmup,
        runs: a.runs,
        min_runs: a.min_runs,
        max_runs: a.max_runs.unwrap_or(10_000).max(a.min_runs),
        max_time: a.max_time,
        prepare: a.prepare.clone(),
        setup: a.setup.clone(),
        cleanup: a.cleanup.clone(),
        params,
        launcher,
        io: Io {
            input: a.input.clone(),
            show_output: a.show_output,
        },
        ignore_failure: a.ignore_failure,
        interleave: !a.no_interleave,
        metric: match a.metric.as_str() {
            "cpu" => Metric::Cpu,
            "rss" => Metric::Rss,
            _ => Metric::Wall,
        },
        spawner: std::env::current_exe()
            .ok()
            .map(|exe| (exe, vec!["__spawn".to_string()])),
    })
}

/// Progress bar and history writer for each sample.
struct Watch {
    bar: Option<indicatif::ProgressBar>,
    names: Vec<String>,
    recording: Option<Recording>,
    store_error: Option<String>,
}

impl Observer for Watch {
    fn start(&mut self, commands: &[Planned]) {
        self.names = commands.iter().map(|c| c.name.clone()).collect();
    }
    fn plan(&mut self, _: &[Planned], total: usize) {
        // the count is known from here on: a bar, and it never changes
        if let Some(bar) = &self.bar {
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {bar:24} {pos}/{len} runs {msg}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            bar.set_length(total as u64);
        }
    }
    fn sample(&mut self, index: usize, seq: usize, s: &Sample) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "{} — {}",
                self.names[index],
                perfhive_report::bench::secs(s.wall_s)
            ));
        }
        if let Some(r) = &self.recording {
            let v = serde_json::to_value(s).unwrap_or_default();
            if let Err(e) = r
                .store
                .append_sample(r.id, &self.names[index], seq as i64, &v)
            {
                self.store_error.get_or_insert(e.to_string());
            }
        }
    }
}

/// A progress display that counts runs until their total is known.
fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::no_length();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} sizing the run count: {pos} measured {msg}",
        )
        .expect("static template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
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
    let baseline = match &a.baseline {
        Some(r) => Some(crate::cli::compare::load_side(r, history, Some(&name))?),
        None => None,
    };
    let recording = Recording::begin(history, &a.record, RecordKind::Bench, &name, &fp, out);
    let interactive = out.interactive() && !a.quiet;
    let mut watch = Watch {
        bar: interactive.then(progress_bar),
        names: Vec::new(),
        recording,
        store_error: None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    crate::interrupt::Interrupts::install()
        .on_signal(move |_, _| s.store(true, std::sync::atomic::Ordering::SeqCst));
    let date = perfhive_store::now_rfc3339();
    let measured = perfhive_bench::run(&opts, &mut watch, &stop)?;
    if let Some(bar) = watch.bar.take() {
        bar.finish_and_clear();
    }
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
    if let Some(base) = &baseline {
        record.comparison = Some(crate::cli::compare::comparison_block(base, &measures));
    }
    let json = serde_json::to_value(&record)?;
    // what was measured goes out first, whatever happens to the history
    let exported = write_exports(&a, &json, &record);
    let status = if measured.interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Passed
    };
    let run_id = watch
        .recording
        .take()
        .and_then(|r| r.finish(status, &json, &measures, out));
    if let Some(e) = watch.store_error {
        out.warn(&format!(
            "some samples could not be written to the history: {e}"
        ));
    }
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
    Ok(if measured.interrupted {
        crate::interrupt::Interrupts::install().code_or(Code::INTERRUPTED)
    } else {
        Code::OK
    })
}
