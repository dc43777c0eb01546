//! perfhive's CPU profiler: the hot code of a service, in the service's own language, as a
//! flame graph and a ranked list.
//!
//! [`profile`] samples a command, or a running process *and its descendants*, with the profiler
//! that fits each process's runtime ([`service`]): py-spy for CPython ([`pyspy`]: Python
//! functions with file and line, every pre-forked worker), `perf record -e cpu-clock -g` for
//! everything else ([`perf`]), with V8's perf map for Node.js ([`node`]). Every frame is sorted
//! into application, library, runtime or kernel ([`classify`], [`stack`]) so that
//! [`Profile::hot`] ranks the application's own functions first — not
//! `_PyEval_EvalFrameDefault`, not the kernel — with file and line (native ones from their
//! debug information, [`srcline`], which also tells a native executable's linked dependencies
//! from its own code). Stacks are folded (Brendan Gregg's format),
//! rendered as an SVG flame graph with inferno's port of `flamegraph.pl` ([`flame`]), and
//! thread states and wait channels are sampled from `/proc` meanwhile for a light off-CPU view
//! ([`offcpu`]).
//!
//! Artefacts written to the output directory: `perf.data` (when perf ran), `py-spy-<pid>.txt`
//! (py-spy's raw stacks, when it ran), `out.folded` (the merged folded stacks) and
//! `flamegraph.svg` (self-contained, interactive).
//!
//! A profiler that cannot run does not stop the profile: each problem is a [`ProfilerIssue`]
//! (which profiler, which process, why, the command that fixes it, who took over). Only when no
//! profiler recorded anything is it an error: [`ProfileError::ProfilersFailed`] with the
//! issues, or the perf error itself when perf was the only profiler and failed.

pub mod classify;
pub mod collapse;
mod error;
pub mod flame;
pub mod issue;
pub mod node;
pub mod offcpu;
pub mod perf;
pub mod pyspy;
pub mod render;
pub mod service;
pub mod srcline;
pub mod stack;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub use collapse::{top_functions, top_inclusive, FunctionShare};
pub use error::{perf_event_paranoid, ProfileError, PARANOID_PATH};
pub use flame::flamegraph_svg;
pub use issue::{IssueKind, ProfilerIssue};
pub use node::node_options;
pub use offcpu::OffCpu;
pub use perf::{record, record_with, Recording, Target};
/// Runtime detection lives in the probe (the resources investigator needs it too).
pub use perfhive_probe::runtime::{self, Runtime};
pub use pyspy::PY_SPY_VERSION;
pub use service::ProcessProfile;
pub use stack::{FrameKind, ProfilerKind};

/// Default stack sampling rate: 99 Hz, off the beat of periodic activity (as Brendan Gregg
/// recommends).
pub const DEFAULT_HZ: u32 = 99;

/// How many functions [`Profile::top`] holds.
pub const TOP_N: usize = 20;

/// Knobs for [`profile_with`].
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// The perf binary (a path, or a name looked up on `PATH`). Default `perf`.
    pub perf: PathBuf,
    /// The py-spy binary for CPython processes (a path, or a name looked up on `PATH`);
    /// `None` profiles Python with perf only. Default `py-spy`.
    pub py_spy: Option<PathBuf>,
    /// Start command targets with `NODE_OPTIONS` carrying V8's perf-map flags
    /// ([`node::node_options`]). Default true.
    pub node_perf_map: bool,
    /// Stack sampling rate. Default [`DEFAULT_HZ`].
    pub frequency_hz: u32,
    /// Off-CPU sampling rate (clamped to 20–100 Hz); `None` turns the off-CPU view off.
    /// Default 50.
    pub offcpu_hz: Option<u32>,
    /// Title of the flame graph. Default derived from the target.
    pub title: Option<String>,
    /// When set, ends the recording early (perf gets SIGINT and writes what it sampled).
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        Self {
            perf: PathBuf::from("perf"),
            py_spy: Some(PathBuf::from("py-spy")),
            node_perf_map: true,
            frequency_hz: DEFAULT_HZ,
            offcpu_hz: Some(50),
            title: None,
            stop: None,
        }
    }
}

/// The result of [`profile`].
#[derive(Debug, Clone)]
pub struct Profile {
    /// Folded stacks of every profiled process (also written to `out.folded`).
    pub folded: String,
    /// The top [`TOP_N`] functions with the application's first: application functions by
    /// attributed share (see [`stack`]), then the others by self share. Each carries its file
    /// and line where the profiler knows them.
    pub hot: Vec<FunctionShare>,
    /// The top [`TOP_N`] functions by self share.
    pub top: Vec<FunctionShare>,
    /// The top [`TOP_N`] functions by inclusive share.
    pub top_inclusive: Vec<FunctionShare>,
    /// How each process of the service was profiled, most samples first.
    pub processes: Vec<ProcessProfile>,
    /// What kept a profiler from doing its job, and what to do about it.
    pub issues: Vec<ProfilerIssue>,
    /// Path of the flame graph SVG (`<out_dir>/flamegraph.svg`).
    pub flamegraph: PathBuf,
    /// Path of the folded stacks (`<out_dir>/out.folded`).
    pub folded_path: PathBuf,
    /// Path of perf's recording (`<out_dir>/perf.data`), when perf ran.
    pub perf_data: Option<PathBuf>,
    /// py-spy's raw outputs (`<out_dir>/py-spy-<pid>.txt`), one per process it attached to.
    pub py_spy_raw: Vec<PathBuf>,
    /// Number of stack samples.
    pub samples: u64,
    /// Thread states and wait channels, when they could be sampled.
    pub offcpu: Option<OffCpu>,
}

impl Profile {
    /// The profilers that recorded stacks, in a stable order.
    pub fn profilers(&self) -> Vec<ProfilerKind> {
        let mut used: Vec<ProfilerKind> =
            self.processes.iter().filter_map(|p| p.profiler).collect();
        used.sort_by_key(|p| p.as_str());
        used.dedup();
        used
    }
}

/// Profiles `target` at `hz` with default options; see [`profile_with`].
pub fn profile(target: &Target, out_dir: &Path, hz: u32) -> Result<Profile, ProfileError> {
    let options = ProfileOptions {
        frequency_hz: hz,
        ..ProfileOptions::default()
    };
    profile_with(target, out_dir, &options)
}

/// Profiles `target` — a command, or a process with its descendants — writing the artefacts
/// listed in the crate docs into `out_dir` (created if needed).
pub fn profile_with(
    target: &Target,
    out_dir: &Path,
    options: &ProfileOptions,
) -> Result<Profile, ProfileError> {
    std::fs::create_dir_all(out_dir).map_err(|source| ProfileError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut collected = service::collect(target, out_dir, options)?;
    let samples = stack::total(&collected.stacks);
    if samples == 0 {
        return Err(no_samples(collected.issues, collected.perf_error));
    }
    // a dependency linked into a native executable is not the application's code
    let mut locations = srcline::classify(&mut collected.stacks);
    let folded = stack::fold(&collected.stacks);
    let folded_path = out_dir.join("out.folded");
    write(&folded_path, &folded)?;

    let title = options
        .title
        .clone()
        .unwrap_or_else(|| default_title(target));
    let svg = flame::flamegraph_svg(&folded, &title)?;
    let flamegraph = out_dir.join("flamegraph.svg");
    write(&flamegraph, &svg)?;

    let mut hot = stack::hot_functions(&collected.stacks, TOP_N);
    srcline::resolve(&mut hot, &collected.stacks, &mut locations);
    let mut top = stack::shares(&collected.stacks);
    top.truncate(TOP_N);
    let mut top_inclusive = stack::top_inclusive(&collected.stacks, TOP_N);
    for share in top.iter_mut().chain(top_inclusive.iter_mut()) {
        if let Some(known) = hot
            .iter()
            .find(|h| share.file.is_none() && h.function == share.function && h.kind == share.kind)
        {
            share.file.clone_from(&known.file);
            share.line = known.line;
        }
    }
    Ok(Profile {
        hot,
        top,
        top_inclusive,
        folded,
        processes: collected.processes,
        issues: collected.issues,
        flamegraph,
        folded_path,
        perf_data: collected.perf_data,
        py_spy_raw: collected.raw_files,
        samples,
        offcpu: collected.offcpu,
    })
}

/// The error for a profile without samples: the perf error when perf was the only profiler and
/// failed (as before py-spy existed), the list of issues when several failed, `NoSamples` when
/// the profilers ran and the service was idle.
fn no_samples(mut issues: Vec<ProfilerIssue>, perf_error: Option<ProfileError>) -> ProfileError {
    issues.retain(|i| i.kind != IssueKind::NoJitMap);
    let only_perf = issues.iter().all(|i| i.profiler == ProfilerKind::Perf);
    match (issues.len(), perf_error) {
        (0, _) => ProfileError::NoSamples,
        (1, Some(perf)) if only_perf => perf,
        _ => ProfileError::ProfilersFailed { issues },
    }
}

fn write(path: &Path, contents: &str) -> Result<(), ProfileError> {
    std::fs::write(path, contents).map_err(|source| ProfileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn default_title(target: &Target) -> String {
    match target {
        Target::Command(argv) => format!("CPU flame graph: {}", argv.join(" ")),
        Target::Pid { pid, duration } => {
            format!(
                "CPU flame graph: pid {pid} and its children, {:.1} s",
                duration.as_secs_f64()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without_perf() -> ProfileOptions {
        ProfileOptions {
            perf: PathBuf::from("/nonexistent/perf"),
            py_spy: None,
            offcpu_hz: None,
            ..ProfileOptions::default()
        }
    }

    #[test]
    fn only_perf_missing_is_perfs_own_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = profile_with(
            &Target::Command(vec!["true".into()]),
            dir.path(),
            &without_perf(),
        )
        .expect_err("no profiler");
        assert!(matches!(err, ProfileError::PerfMissing { .. }), "{err:?}");
        assert!(
            err.to_string().contains("apt-get install linux-perf"),
            "{err}"
        );
    }

    #[test]
    fn every_profiler_missing_lists_each_with_its_remedy() {
        let python = Path::new("/usr/bin/python3.11");
        if !python.exists() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let options = ProfileOptions {
            py_spy: Some(PathBuf::from("/nonexistent/py-spy")),
            ..without_perf()
        };
        let target = Target::Command(vec![
            python.to_string_lossy().into_owned(),
            "-c".into(),
            "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass".into(),
        ]);
        let err = profile_with(&target, dir.path(), &options).expect_err("no profiler");
        let ProfileError::ProfilersFailed { issues } = &err else {
            panic!("{err:?}");
        };
        let profilers: Vec<ProfilerKind> = issues.iter().map(|i| i.profiler).collect();
        assert_eq!(
            profilers,
            [ProfilerKind::PySpy, ProfilerKind::Perf],
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains(&pyspy::install_command()), "{text}");
        assert!(text.contains("apt-get install linux-perf"), "{text}");
    }
}
