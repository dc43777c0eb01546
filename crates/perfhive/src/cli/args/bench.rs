//! The flags of `perfhive bench`; their doc comments are the help text.

use crate::cli::positive_duration;
use crate::recording::RecordArgs;
use clap::Args;
use std::path::PathBuf;
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
