//! `perfhive profile`: where a command, or a running service and its child processes, spends
//! its CPU — in the service's own language (py-spy for CPython, perf with V8's perf map for
//! Node.js, perf for native code), the application's functions first with file:line, a flame
//! graph, and a light off-CPU view.

use crate::cli::parse_duration;
use crate::exit::Code;
use crate::output::Printer;
use anyhow::{bail, Context};
use clap::Args;
use perfhive_profile::{profile_with, FrameKind, FunctionShare, ProfileOptions, Target};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `perfhive profile`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  perfhive profile -- ./my-server --port 8080\n  \
perfhive profile -- python3 app.py\n  perfhive profile --pid 4242 --duration 10s --out prof/\n\n\
A pid is profiled with its child processes (the service under a `sh -c`, every pre-forked \
worker). CPython processes are sampled with py-spy (pip install py-spy), everything else \
with perf (Debian: apt-get install linux-perf; root, or kernel.perf_event_paranoid <= 1). A \
command is started with NODE_OPTIONS carrying V8's perf-map flags, so Node.js functions have \
names. When a profiler cannot run, the output says why and what to install."
)]
pub struct ProfileArgs {
    /// Profile this running process and its child processes instead of a command.
    #[arg(long, conflicts_with = "command")]
    pub pid: Option<i32>,
    /// How long to profile a running process.
    #[arg(long, default_value = "10s", value_parser = parse_duration, requires = "pid")]
    pub duration: Duration,
    /// Where to write out.folded, flamegraph.svg, perf.data and py-spy's raw stacks.
    #[arg(short, long, default_value = "perfhive-profile", value_name = "DIR")]
    pub out: PathBuf,
    /// Stack samples per second.
    #[arg(long, default_value_t = 99)]
    pub hz: u32,
    /// Functions to list.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// The py-spy to sample CPython with.
    #[arg(
        long,
        env = "PERFHIVE_PY_SPY",
        default_value = "py-spy",
        value_name = "PATH"
    )]
    pub py_spy: PathBuf,
    /// Profile every process with perf, Python included (no py-spy).
    #[arg(long)]
    pub perf_only: bool,
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
            py_spy: (!a.perf_only).then(|| a.py_spy.clone()),
            ..ProfileOptions::default()
        },
    )?;
    for issue in &p.issues {
        out.warn(&issue.to_string());
    }
    let w = out.out();
    let profilers: Vec<&str> = p.profilers().iter().map(|k| k.as_str()).collect();
    writeln!(
        w,
        "{} samples at {} Hz ({})",
        p.samples,
        a.hz,
        profilers.join(", ")
    )?;
    let sampled: Vec<_> = p.processes.iter().filter(|pr| pr.samples > 0).collect();
    if !sampled.is_empty() {
        writeln!(
            w,
            "\n  {:>8} {:<16} {:<12} {:<10} {:<8} {:>7}",
            "pid", "process", "runtime", "role", "profiler", "samples"
        )?;
        for pr in sampled {
            writeln!(
                w,
                "  {:>8} {:<16} {:<12} {:<10} {:<8} {:>7}",
                pr.pid,
                pr.process,
                pr.runtime.label(),
                pr.role.as_str(),
                pr.profiler.map_or("-", |k| k.as_str()),
                pr.samples
            )?;
        }
        let idle = p.processes.iter().filter(|pr| pr.samples == 0).count();
        if idle > 0 {
            writeln!(w, "  ({idle} more process(es) of the tree had no samples)")?;
        }
    }
    writeln!(
        w,
        "\n  {:>7} {:>7}  {:<11}  hot function (application first)",
        "app", "self", "kind"
    )?;
    for f in p.hot.iter().take(a.top) {
        writeln!(
            w,
            "  {:>7} {:>6.1}%  {:<11}  {}",
            app_share(f),
            f.self_pct,
            f.kind.map_or("", FrameKind::as_str),
            f.location()
        )?;
    }
    writeln!(
        w,
        "\n  {:>7} {:>9}  function (by self time)",
        "self", "inclusive"
    )?;
    for f in p.top.iter().take(a.top) {
        writeln!(
            w,
            "  {:>6.1}% {:>8.1}%  {}",
            f.self_pct,
            f.inclusive_pct,
            f.location()
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
            f.inclusive_pct,
            f.self_pct,
            f.location()
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

/// The attributed share of an application function (the time its own code and what it called
/// took); blank for other frames.
fn app_share(f: &FunctionShare) -> String {
    if f.kind == Some(FrameKind::Application) {
        format!("{:.1}%", f.attributed_pct)
    } else {
        String::new()
    }
}
