//! Profiling a service as a tree of processes, each with the profiler that fits its runtime.
//!
//! 1. **Find the processes.** A pid target is the process and its descendants
//!    ([`perfhive_probe::ProcessTree`]); launchers (the `sh -c` a target runs through) are not
//!    profiled, their children are. A command target is started under `perf record` (so native
//!    code is sampled from its first instruction), with `NODE_OPTIONS` carrying the perf-map
//!    flags ([`crate::node`]); its tree is watched while it runs.
//! 2. **Pick a profiler per process.** The topmost CPython process of each branch gets
//!    `py-spy record --subprocesses` (its workers come with it) after a `py-spy dump` checked
//!    that py-spy can read it; every other process — and a Python process py-spy cannot read —
//!    is recorded by perf. A Node.js process without a perf map, or a JVM, is recorded by perf
//!    with a [`ProfilerIssue`] saying its JIT frames have no names and how to fix that.
//! 3. **Merge.** py-spy's stacks replace perf's for the processes py-spy covered; the rest come
//!    from perf. Every failure becomes a [`ProfilerIssue`] with the profiler that took over.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use perfhive_probe::{ProcessRole, ProcessTree, Runtime, TreeReader};
use serde::{Deserialize, Serialize};

use crate::issue::{IssueKind, ProfilerIssue};
use crate::offcpu::{self, OffCpu};
use crate::perf::{self, Workload};
use crate::pyspy::{self, Recorder};
use crate::stack::{ProfilerKind, Stack};
use crate::{ProfileError, ProfileOptions, Target};

/// How one process of the service was profiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessProfile {
    /// Process id.
    pub pid: i32,
    /// Process name.
    pub process: String,
    /// Its runtime.
    pub runtime: Runtime,
    /// Its role in the tree.
    pub role: ProcessRole,
    /// The profiler whose stacks represent it (`None`: no profiler could).
    pub profiler: Option<ProfilerKind>,
    /// Stack samples of it.
    pub samples: u64,
}

/// Everything the profilers produced.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub stacks: Vec<Stack>,
    pub processes: Vec<ProcessProfile>,
    pub issues: Vec<ProfilerIssue>,
    pub perf_data: Option<PathBuf>,
    pub raw_files: Vec<PathBuf>,
    pub offcpu: Option<OffCpu>,
    /// perf's own error, when it failed.
    pub perf_error: Option<ProfileError>,
}

/// Profiles `target` into `out_dir`.
pub(crate) fn collect(
    target: &Target,
    out_dir: &Path,
    options: &ProfileOptions,
) -> Result<Collected, ProfileError> {
    match target {
        Target::Pid { pid, duration } => collect_tree(*pid, *duration, out_dir, options),
        Target::Command(argv) => collect_command(argv, out_dir, options),
    }
}

/// How long after its start a CPython process may still be initialising: py-spy cannot find the
/// interpreter's version and state before that ("Failed to find python version"), so an attach
/// that fails earlier is retried rather than reported.
const PYTHON_STARTUP: Duration = Duration::from_secs(3);

/// py-spy recorders attached so far, and the pids they cover.
#[derive(Debug, Default)]
struct PySpies {
    recorders: Vec<Recorder>,
    covered: HashSet<i32>,
    tried: HashSet<(i32, u64)>,
    issues: Vec<ProfilerIssue>,
    /// A Python process was too young to attach to in the last [`PySpies::attach`].
    pending: bool,
}

impl PySpies {
    /// Attaches py-spy to each topmost Python process of `tree` not yet covered or tried.
    fn attach(
        &mut self,
        tree: &ProcessTree,
        out_dir: &Path,
        options: &ProfileOptions,
        duration: Option<Duration>,
    ) {
        let Some(py_spy) = options.py_spy.as_deref() else {
            return;
        };
        for root in tree.topmost() {
            if !root.runtime.is_python() || self.covered.contains(&root.pid) {
                continue;
            }
            if !self.tried.insert((root.pid, root.starttime)) {
                continue;
            }
            let output = out_dir.join(format!("py-spy-{}.txt", root.pid));
            let started = pyspy::preflight(py_spy, root.pid, &root.runtime).and_then(|()| {
                pyspy::start(
                    py_spy,
                    root.pid,
                    &root.runtime,
                    &output,
                    options.frequency_hz,
                    duration,
                )
            });
            match started {
                Ok(rec) => self.recorders.push(rec),
                Err(issue)
                    if issue.kind == IssueKind::AttachFailed && root.age() < PYTHON_STARTUP =>
                {
                    // Still starting: try again on a later look.
                    self.tried.remove(&(root.pid, root.starttime));
                    self.pending = true;
                }
                Err(issue) => self.issues.push(issue),
            }
        }
        self.cover(tree);
    }

    /// Attaches to `root`'s tree, re-reading it while a Python process is still too young for
    /// py-spy, for at most [`PYTHON_STARTUP`].
    fn attach_settled(
        &mut self,
        root: i32,
        tree: &mut ProcessTree,
        out_dir: &Path,
        options: &ProfileOptions,
        duration: Option<Duration>,
    ) {
        let deadline = Instant::now() + PYTHON_STARTUP;
        let mut reader = TreeReader::new();
        loop {
            self.pending = false;
            self.attach(tree, out_dir, options, duration);
            if !self.pending || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
            *tree = reader.read(&[root]);
        }
    }

    /// Marks every Python process below an attached root as covered.
    fn cover(&mut self, tree: &ProcessTree) {
        for p in &tree.processes {
            if p.runtime.is_python() && self.recorders.iter().any(|r| tree.is_below(p.pid, r.pid()))
            {
                self.covered.insert(p.pid);
            }
        }
    }

    /// Waits for every recorder (interrupting those still running after `grace`).
    fn finish(self, grace: Duration, name_of: &dyn Fn(i32) -> String) -> PySpyResult {
        let deadline = Instant::now() + grace;
        let mut result = PySpyResult {
            covered: self.covered,
            issues: self.issues,
            ..PySpyResult::default()
        };
        for mut rec in self.recorders {
            result.raw_files.push(rec.output().to_path_buf());
            wait_or_interrupt(&mut rec, deadline);
            let root = rec.pid();
            match rec.finish(name_of) {
                Ok(stacks) => {
                    result.covered.extend(stacks.iter().map(|s| s.pid));
                    result.stacks.extend(stacks);
                }
                Err(issue) => {
                    result.covered.remove(&root);
                    result.issues.push(issue);
                }
            }
        }
        result
    }
}

#[derive(Debug, Default)]
struct PySpyResult {
    stacks: Vec<Stack>,
    covered: HashSet<i32>,
    issues: Vec<ProfilerIssue>,
    raw_files: Vec<PathBuf>,
}

/// Gives a recorder until `deadline` to end on its own (its process exited, or its duration
/// passed), then interrupts it (py-spy writes what it has on SIGINT).
fn wait_or_interrupt(rec: &mut Recorder, deadline: Instant) {
    while Instant::now() < deadline {
        if rec.exited() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    rec.interrupt();
}

/// Whether the caller asked the recording to end early ([`ProfileOptions::stop`]).
fn stopped(options: &ProfileOptions) -> bool {
    options
        .stop
        .as_ref()
        .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
}

fn collect_tree(
    pid: i32,
    duration: Duration,
    out_dir: &Path,
    options: &ProfileOptions,
) -> Result<Collected, ProfileError> {
    let mut tree = ProcessTree::of_roots(&[pid]);
    if tree.processes.is_empty() {
        return Err(ProfileError::NoSuchProcess { pid });
    }
    let mut spies = PySpies::default();
    spies.attach_settled(pid, &mut tree, out_dir, options, Some(duration));
    let perf_pids: Vec<i32> = tree
        .service()
        .filter(|p| !spies.covered.contains(&p.pid))
        .map(|p| p.pid)
        .collect();
    let service_pids: Vec<i32> = tree.service().map(|p| p.pid).collect();
    let offcpu_hz = options.offcpu_hz;
    let observe = |_perf_pid: u32| -> Option<OffCpu> {
        offcpu::sample_pids_until(&service_pids, duration, offcpu_hz?, || stopped(options)).ok()
    };
    let (perf_result, offcpu) = if perf_pids.is_empty() {
        (None, observe(0))
    } else {
        let workload = if perf::system_wide_allowed() {
            Workload::System {
                pids: &perf_pids,
                roots: &[pid],
                duration,
            }
        } else {
            Workload::Pids {
                pids: &perf_pids,
                duration,
            }
        };
        let (r, o) = perf::record_workload(
            &options.perf,
            workload,
            out_dir,
            options.frequency_hz,
            options.stop.as_deref(),
            observe,
        );
        (Some(r), o.flatten())
    };
    let name_of = |p: i32| {
        tree.get(p)
            .map_or_else(|| format!("pid {p}"), |t| t.comm.clone())
    };
    // py-spy ends on its own after `duration`; when stopped early it is interrupted at once
    let grace = if stopped(options) {
        Duration::ZERO
    } else {
        Duration::from_secs(5)
    };
    let py = spies.finish(grace, &name_of);
    let mut collected = merge(&tree, perf_result, py, &perf_pids);
    collected.offcpu = offcpu;
    Ok(collected)
}

fn collect_command(
    argv: &[String],
    out_dir: &Path,
    options: &ProfileOptions,
) -> Result<Collected, ProfileError> {
    if argv.is_empty() {
        return Err(ProfileError::EmptyCommand);
    }
    let envs: Vec<(String, String)> = if options.node_perf_map {
        let existing = std::env::var("NODE_OPTIONS").ok();
        vec![(
            "NODE_OPTIONS".to_owned(),
            crate::node::node_options(existing.as_deref()),
        )]
    } else {
        Vec::new()
    };
    let watch = |perf_pid: u32| -> Watched {
        match offcpu::find_child(perf_pid, Duration::from_secs(5)) {
            Some(child) => watch_command(child, out_dir, options),
            None => Watched::default(),
        }
    };
    let (perf_result, watched) = perf::record_workload(
        &options.perf,
        Workload::Command { argv, envs: &envs },
        out_dir,
        options.frequency_hz,
        options.stop.as_deref(),
        watch,
    );
    let mut watched = watched.unwrap_or_default();
    let perf_result = match perf_result {
        // perf could not start the command at all: run it without perf.
        Err(e @ (ProfileError::PerfMissing { .. } | ProfileError::NotPermitted { .. }))
            if watched.root.is_none() =>
        {
            watched = run_direct(argv, &envs, out_dir, options)?;
            Err(e)
        }
        other => other,
    };
    let name_of = |p: i32| {
        watched
            .tree
            .get(p)
            .map_or_else(|| format!("pid {p}"), |t| t.comm.clone())
    };
    let py = watched.spies.finish(Duration::from_secs(3), &name_of);
    let perf_pids: Vec<i32> = watched
        .tree
        .service()
        .filter(|p| !py.covered.contains(&p.pid))
        .map(|p| p.pid)
        .collect();
    let mut collected = merge(&watched.tree, Some(perf_result), py, &perf_pids);
    collected.offcpu = watched.offcpu;
    // The command's Node.js processes have exited and perf has read their maps: remove them
    // rather than leave one file per run in /tmp.
    for p in &watched.tree.processes {
        if p.runtime == Runtime::Node && !Path::new(&format!("/proc/{}", p.pid)).exists() {
            let _ = std::fs::remove_file(crate::node::perf_map_path(p.pid));
        }
    }
    Ok(collected)
}

/// What watching a command's tree produced.
#[derive(Debug, Default)]
struct Watched {
    root: Option<i32>,
    /// Every process seen below the command while it ran.
    tree: ProcessTree,
    spies: PySpies,
    offcpu: Option<OffCpu>,
}

/// Watches the tree below `root` until it is gone: attaches py-spy to Python processes as they
/// appear, samples off-CPU states of the command meanwhile.
fn watch_command(root: i32, out_dir: &Path, options: &ProfileOptions) -> Watched {
    let done = AtomicBool::new(false);
    let mut watched = Watched {
        root: Some(root),
        ..Watched::default()
    };
    let offcpu = std::thread::scope(|scope| {
        let off = options.offcpu_hz.map(|hz| {
            let done = &done;
            scope.spawn(move || {
                // A day is just a bound: sampling ends when the command exits.
                offcpu::sample_until(root, Duration::from_secs(86_400), hz, || {
                    done.load(Ordering::Relaxed)
                })
                .ok()
            })
        });
        let mut reader = TreeReader::new();
        let start = Instant::now();
        loop {
            let tree = reader.read(&[root]);
            if tree.processes.is_empty() {
                break;
            }
            watched.spies.attach(&tree, out_dir, options, None);
            remember(&mut watched.tree, &tree);
            // Fast at first (interpreters start within milliseconds), then at a walk.
            let pause = if start.elapsed() < Duration::from_secs(2) {
                20
            } else {
                200
            };
            std::thread::sleep(Duration::from_millis(pause));
        }
        done.store(true, Ordering::Relaxed);
        off.and_then(|h| h.join().ok().flatten())
    });
    watched.offcpu = offcpu;
    watched
}

/// Adds the processes of `now` not yet in `all` (a process stays known after it exits).
fn remember(all: &mut ProcessTree, now: &ProcessTree) {
    for p in &now.processes {
        match all
            .processes
            .iter_mut()
            .find(|q| q.pid == p.pid && q.starttime == p.starttime)
        {
            Some(q) => *q = p.clone(),
            None => all.processes.push(p.clone()),
        }
    }
}

/// Runs the command without perf (perf is missing or not permitted), watching its tree.
fn run_direct(
    argv: &[String],
    envs: &[(String, String)],
    out_dir: &Path,
    options: &ProfileOptions,
) -> Result<Watched, ProfileError> {
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .spawn()
        .map_err(|source| ProfileError::Io {
            path: PathBuf::from(&argv[0]),
            source,
        })?;
    let root = i32::try_from(child.id()).unwrap_or(-1);
    let watched = watch_command(root, out_dir, options);
    let _ = child.wait();
    Ok(watched)
}

/// Merges py-spy's stacks with perf's (for the processes py-spy did not cover) and reports how
/// each process was profiled.
fn merge(
    tree: &ProcessTree,
    perf_result: Option<Result<perf::Recording, ProfileError>>,
    py: PySpyResult,
    perf_pids: &[i32],
) -> Collected {
    let mut issues = py.issues;
    let mut stacks = py.stacks;
    let mut perf_data = None;
    let mut perf_ok = false;
    let mut perf_error = None;
    match perf_result {
        Some(Ok(rec)) => {
            let runtime_of = |pid: i32| tree.get(pid).map(|p| p.runtime.clone());
            let perf_stacks = perf::parse_script(&rec.script, &runtime_of);
            stacks.extend(
                perf_stacks
                    .into_iter()
                    .filter(|s| !py.covered.contains(&s.pid)),
            );
            perf_data = Some(rec.perf_data);
            perf_ok = true;
        }
        Some(Err(e)) => {
            issues.push(ProfilerIssue::perf_failed(&e));
            perf_error = Some(e);
        }
        None => {}
    }
    for issue in &mut issues {
        if issue.profiler == ProfilerKind::PySpy
            && perf_ok
            && issue.pid.is_some_and(|p| perf_pids.contains(&p))
        {
            issue.fallback = Some(ProfilerKind::Perf);
        }
    }
    for p in tree.service() {
        let has_map = crate::node::has_perf_map(p.pid);
        match p.runtime {
            Runtime::Node if perf_ok && !has_map => {
                issues.push(ProfilerIssue::node_without_map(p.pid))
            }
            Runtime::Jvm if perf_ok && !has_map => {
                issues.push(ProfilerIssue::jvm_without_map(p.pid))
            }
            _ => {}
        }
    }
    let mut processes: Vec<ProcessProfile> = tree
        .service()
        .map(|p| {
            let samples: u64 = stacks
                .iter()
                .filter(|s| s.pid == p.pid)
                .map(|s| s.count)
                .sum();
            let profiler = if py.covered.contains(&p.pid) {
                Some(ProfilerKind::PySpy)
            } else if perf_ok && perf_pids.contains(&p.pid) {
                Some(ProfilerKind::Perf)
            } else {
                None
            };
            ProcessProfile {
                pid: p.pid,
                process: p.comm.clone(),
                runtime: p.runtime.clone(),
                role: p.role,
                profiler,
                samples,
            }
        })
        .collect();
    // Processes the profilers saw that the tree snapshot missed (workers forked later).
    let mut extra: Vec<i32> = stacks
        .iter()
        .map(|s| s.pid)
        .filter(|pid| processes.iter().all(|p| p.pid != *pid))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    for pid in extra {
        let of_pid: Vec<&Stack> = stacks.iter().filter(|s| s.pid == pid).collect();
        let first = of_pid[0];
        processes.push(ProcessProfile {
            pid,
            process: first.process.clone(),
            runtime: if first.profiler == ProfilerKind::PySpy {
                Runtime::CPython {
                    version: None,
                    libpython: None,
                }
            } else {
                Runtime::Unknown
            },
            role: ProcessRole::Worker,
            profiler: Some(first.profiler),
            samples: of_pid.iter().map(|s| s.count).sum(),
        });
    }
    processes.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.pid.cmp(&b.pid)));
    Collected {
        stacks,
        processes,
        issues,
        perf_data,
        raw_files: py.raw_files,
        offcpu: None,
        perf_error,
    }
}
