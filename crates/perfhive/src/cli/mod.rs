//! Command-line interface: one file per subcommand, each with its clap args and an `exec`
//! that builds options for a library call. Library crates never see clap.
//!
//! History options: `--history` and `--no-history` may come before the subcommand; the
//! commands that store runs (`run`, `bench`, `import`, `investigate`) share `RecordArgs`
//! (`--name`, `--tag`, `--note`, `--history`, `--no-history`), the commands that read the
//! history (`history`, `compare`) take `--history`, and the others have none.

mod args;
mod audit;
mod bench;
pub mod compare;
mod completions;
mod help;
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
use crate::recording::{GlobalHistoryArgs, History};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// perfhive: measure, diagnose, compare, gate and report performance, with evidence.
#[derive(Parser, Debug)]
#[command(name = "perfhive", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    history: GlobalHistoryArgs,
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
    /// Profile a command or process (py-spy for CPython, perf for native code and Node.js): a flame graph, top functions.
    Profile(profile::ProfileArgs),
    /// Receive OpenTelemetry traces (OTLP/HTTP and OTLP/gRPC) and show where the time goes.
    Traces(traces::TracesArgs),
    /// Scan source code for performance anti-patterns (tree-sitter rules).
    Scan(scan::ScanArgs),
    /// Audit a database: statements, plans, verified indexes, configuration (audit db DSN).
    Audit(audit::AuditArgs),
    /// Serve the built-in testbed (HTTP endpoints of known behaviour) on 127.0.0.1.
    #[command(alias = "target")]
    Testbed(testbed::TestbedArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command to a folder.
    Man(completions::ManArgs),
}

/// The command tree, with one placeholder style for every value (see `help.rs`).
pub fn command() -> clap::Command {
    help::normalise(Cli::command())
}

/// Parses the process's arguments against [`command`]; exits with clap's message on a usage
/// error (code 2).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Runs the chosen subcommand.
pub fn exec(cli: Cli, out: &mut Printer) -> anyhow::Result<Code> {
    let global = &cli.history;
    match cli.command {
        Command::Run(a) => {
            let h = History::recording(global, &a.record);
            run::exec(*a, &h, out)
        }
        Command::Bench(a) => {
            let h = History::recording(global, &a.record);
            bench::exec(*a, &h, out)
        }
        Command::Compare(a) => {
            let h = History::reading(global, &a.history);
            compare::exec(a, &h, out)
        }
        Command::History(a) => {
            let h = History::reading(global, &a.history);
            history::exec(a, &h, out)
        }
        Command::Import(a) => {
            let h = History::recording(global, &a.record);
            import::exec(a, &h, out)
        }
        Command::Investigate(a) => {
            let h = History::recording(global, &a.record);
            investigate::exec(*a, &h, out)
        }
        Command::Scan(a) => scan::exec(a, out),
        Command::Audit(a) => audit::exec(a, out),
        Command::Testbed(a) => testbed::exec(a, out),
        Command::Profile(a) => profile::exec(a, out),
        Command::Traces(a) => traces::exec(a, out),
        Command::Completions(a) => completions::completions(a, out),
        Command::Man(a) => completions::man(a, out),
    }
}

/// Parses a duration like `30s`, `2m`, `500ms` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return std::time::Duration::try_from_secs_f64(secs)
                .map_err(|_| format!("`{s}` seconds is too long"));
        }
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("expected a duration such as 30s, 2m or 500ms: {e}"))
}

/// Parses a duration above zero.
pub fn positive_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("must be above zero".into());
    }
    Ok(d)
}
