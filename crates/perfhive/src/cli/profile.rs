//! `perfhive profile`: where a command, or a running service and its child processes, spends
//! its CPU — in the service's own language (py-spy for CPython, perf with V8's perf map for
//! Node.js, perf for native code), the application's functions first with file:line, a flame
//! graph, and a light off-CPU view.

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
    write!(
        out.out(),
        "{}",
        perfhive_profile::render::text(&p, a.hz, a.top)
    )?;
    Ok(Code::OK)
}
