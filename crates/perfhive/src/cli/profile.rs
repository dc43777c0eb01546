//! `perfhive profile`: where a command or process spends its CPU — perf samples, a flame graph,
//! the top functions by self and inclusive share, and a light off-CPU view.

use crate::cli::parse_duration;
use crate::exit::Code;
use crate::output::Printer;
use anyhow::{bail, Context};
use clap::Args;
use perfhive_profile::{profile_with, ProfileOptions, Target};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `perfhive profile`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  perfhive profile -- ./my-server --port 8080\n  perfhive profile --pid 4242 --duration 10s --out prof/\n\n\
Needs perf (Debian: apt-get install linux-perf) and permission to use it (root, or kernel.perf_event_paranoid <= 1)."
)]
pub struct ProfileArgs {
    /// Profile this running process instead of a command.
    #[arg(long, conflicts_with = "command")]
    pub pid: Option<i32>,
    /// How long to profile a running process.
    #[arg(long, default_value = "10s", value_parser = parse_duration, requires = "pid")]
    pub duration: Duration,
    /// Where to write perf.data, out.folded and flamegraph.svg.
    #[arg(short, long, default_value = "perfhive-profile", value_name = "DIR")]
    pub out: PathBuf,
    /// Stack samples per second.
    #[arg(long, default_value_t = 99)]
    pub hz: u32,
    /// Functions to list.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// The command to profile, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Runs `perfhive profile`.
pub fn exec(a: ProfileArgs, out: &mut Printer) -> anyhow::Result<Code> {
    let target = match (a.pid, a.command.is_empty()) {
        (Some(pid), _) => Target::Pid {
            pid,
            duration: a.duration,
        },
        (None, false) => Target::Command(a.command.clone()),
        (None, true) => bail!("give a command after `--`, or --pid"),
    };
    if !(1..=10_000).contains(&a.hz) {
        bail!("--hz must be between 1 and 10000");
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create `{}`", a.out.display()))?;
    let p = profile_with(
        &target,
        &a.out,
        &ProfileOptions {
            frequency_hz: a.hz,
            ..ProfileOptions::default()
        },
    )?;
    let w = out.out();
    writeln!(w, "{} samples at {} Hz", p.samples, a.hz)?;
    writeln!(
        w,
        "\n  {:>7} {:>9}  function (by self time)",
        "self", "inclusive"
    )?;
    for f in p.top.iter().take(a.top) {
        writeln!(
            w,
            "  {:>6.1}% {:>8.1}%  {}",
            f.self_pct, f.inclusive_pct, f.function
        )?;
    }
    writeln!(
        w,
        "\n  {:>9} {:>7}  function (by inclusive time)",
        "inclusive", "self"
    )?;
    for f in p.top_inclusive.iter().take(a.top) {
        writeln!(
            w,
            "  {:>8.1}% {:>6.1}%  {}",
            f.inclusive_pct, f.self_pct, f.function
        )?;
    }
    if let Some(o) = &p.offcpu {
        writeln!(
            w,
            "\n  thread states: {:.0}% running, {:.0}% sleeping, {:.0}% disk wait ({} rounds)",
            o.running_pct, o.sleeping_pct, o.disk_wait_pct, o.rounds
        )?;
        for wc in o.top_wchan.iter().take(5) {
            writeln!(w, "    waiting in {}: {:.0}%", wc.wchan, wc.pct)?;
        }
    }
    writeln!(
        w,
        "\n  flame graph: {}\n  folded stacks: {}",
        p.flamegraph.display(),
        p.folded_path.display()
    )?;
    Ok(Code::OK)
}
