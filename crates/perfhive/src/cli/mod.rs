//! Command-line interface: one file per subcommand, each with its clap args and an `exec`
//! that builds options for a library call. Library crates never see clap.

mod audit;
mod bench;
pub mod compare;
mod history;
pub mod import;
pub mod investigate;
mod profile;
mod run;
mod scan;
mod testbed;
mod traces;

use crate::exit::Code;
use crate::output::Printer;
use clap::{Parser, Subcommand};

/// perfhive: measure, diagnose, compare, gate and report performance, with evidence.
#[derive(Parser, Debug)]
#[command(name = "perfhive", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    history: crate::recording::HistoryArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load-test an HTTP service from a YAML scenario or a URL.
    Run(Box<run::RunArgs>),
    /// Benchmark commands: per-run time, CPU and peak memory, with statistics.
    Bench(Box<bench::BenchArgs>),
    /// Compare two runs metric by metric, with statistics; gate CI on regressions.
    Compare(compare::CompareArgs),
    /// List, show, search, prune the history; find change points.
    History(history::HistoryCmd),
    /// Investigators side by side on one target, one ranked report (try --demo).
    Investigate(Box<investigate::InvestigateArgs>),
    /// Import other tools' results (hyperfine, k6, go test -bench, criterion, pytest-benchmark).
    Import(import::ImportArgs),
    /// Profile a command or process: perf samples, a flame graph, top functions.
    Profile(profile::ProfileArgs),
    /// Receive OpenTelemetry traces (OTLP/HTTP) and show where the time goes by phase.
    Traces(traces::TracesArgs),
    /// Scan source code for performance anti-patterns (tree-sitter rules).
    Scan(scan::ScanArgs),
    /// Audit a database: statements, plans, verified indexes, configuration (audit db DSN).
    Audit(audit::AuditArgs),
    /// Serve the built-in testbed (HTTP endpoints of known behaviour) on 127.0.0.1.
    #[command(alias = "target")]
    Testbed(testbed::TestbedArgs),
}

/// Runs the chosen subcommand.
pub fn exec(cli: Cli, out: &mut Printer) -> anyhow::Result<Code> {
    match cli.command {
        Command::Run(a) => run::exec(*a, &cli.history, out),
        Command::Bench(a) => bench::exec(*a, &cli.history, out),
        Command::Compare(a) => compare::exec(a, &cli.history, out),
        Command::History(a) => history::exec(a, &cli.history, out),
        Command::Import(a) => import::exec(a, &cli.history, out),
        Command::Investigate(a) => investigate::exec(*a, &cli.history, out),
        Command::Scan(a) => scan::exec(a, out),
        Command::Audit(a) => audit::exec(a, out),
        Command::Testbed(a) => testbed::exec(a, out),
        Command::Profile(a) => profile::exec(a, out),
        Command::Traces(a) => traces::exec(a, out),
    }
}

/// Parses a duration like `30s`, `2m`, `500ms` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(std::time::Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("expected a duration such as 30s, 2m or 500ms: {e}"))
}
