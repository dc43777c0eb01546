//! Command-line interface: one file per subcommand, each with its clap args and an `exec`
//! that builds options for a library call. Library crates never see clap.

mod run;
mod target;

use crate::exit::Code;
use crate::output::Printer;
use clap::{Parser, Subcommand};

/// perfhive: measure, diagnose, compare, gate and report performance, with evidence.
#[derive(Parser, Debug)]
#[command(name = "perfhive", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load-test an HTTP service from a YAML scenario or a URL.
    Run(Box<run::RunArgs>),
    /// Serve the built-in demo HTTP target on 127.0.0.1.
    Target(target::TargetArgs),
}

/// Runs the chosen subcommand.
pub fn exec(cli: Cli, out: &mut Printer) -> anyhow::Result<Code> {
    match cli.command {
        Command::Run(a) => run::exec(*a, out),
        Command::Target(a) => target::exec(a, out),
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
