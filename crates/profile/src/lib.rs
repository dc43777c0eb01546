//! perfhive's CPU profiler: hot code, as a flame graph and a ranked list.
//!
//! [`profile`] samples a command or a running process with `perf record -e cpu-clock -g`
//! ([`perf`]), folds the stacks from `perf script` with inferno's port of Brendan Gregg's
//! `stackcollapse-perf.pl` ([`collapse`]), renders an SVG flame graph with inferno's port of
//! `flamegraph.pl` ([`flame`]), ranks functions by self and inclusive share, and — at the same
//! time — samples thread states and wait channels from `/proc` for a light off-CPU view
//! ([`offcpu`]).
//!
//! Artefacts written to the output directory: `perf.data` (perf's recording), `out.folded`
//! (folded stacks, one `a;b;c COUNT` line per distinct stack) and `flamegraph.svg`
//! (self-contained, interactive).
//!
//! When perf is missing or not permitted the error says what to install or change
//! ([`ProfileError::PerfMissing`], [`ProfileError::NotPermitted`]); callers show it as a finding
//! and carry on.

pub mod collapse;
mod error;
pub mod flame;
pub mod offcpu;
pub mod perf;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use collapse::{top_functions, top_inclusive, FunctionShare};
pub use error::{perf_event_paranoid, ProfileError, PARANOID_PATH};
pub use flame::flamegraph_svg;
pub use offcpu::OffCpu;
pub use perf::{record, record_with, Recording, Target};

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
    /// Folded stacks (also written to `out.folded`).
    pub folded: String,
    /// The top [`TOP_N`] functions by self share.
    pub top: Vec<FunctionShare>,
    /// The top [`TOP_N`] functions by inclusive share.
    pub top_inclusive: Vec<FunctionShare>,
    /// Path of the flame graph SVG (`<out_dir>/flamegraph.svg`).
    pub flamegraph: PathBuf,
    /// Path of the folded stacks (`<out_dir>/out.folded`).
    pub folded_path: PathBuf,
    /// Path of perf's recording (`<out_dir>/perf.data`).
    pub perf_data: PathBuf,
    /// Number of stack samples.
    pub samples: u64,
    /// Thread states and wait channels, when they could be sampled.
    pub offcpu: Option<OffCpu>,
}

/// Profiles `target` at `hz` with default options; see [`profile_with`].
pub fn profile(target: &Target, out_dir: &Path, hz: u32) -> Result<Profile, ProfileError> {
    let options = ProfileOptions {
        frequency_hz: hz,
        ..ProfileOptions::default()
    };
    profile_with(target, out_dir, &options)
}

/// Profiles `target`, writing `perf.data`, `out.folded` and `flamegraph.svg` into `out_dir`
/// (created if needed).
pub fn profile_with(
    target: &Target,
    out_dir: &Path,
    options: &ProfileOptions,
) -> Result<Profile, ProfileError> {
    std::fs::create_dir_all(out_dir).map_err(|source| ProfileError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let offcpu_hz = options.offcpu_hz;
    let stopped = || {
        options
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::SeqCst))
    };
    let observe = |perf_pid: u32| -> Option<OffCpu> {
        let hz = offcpu_hz?;
        match target {
            Target::Pid { pid, duration } => {
                offcpu::sample_until(*pid, *duration, hz, stopped).ok()
            }
            Target::Command(_) => {
                let child = offcpu::find_child(perf_pid, Duration::from_secs(5))?;
                // Runs until the command exits (perf reaps it); a day is just a bound.
                offcpu::sample(child, Duration::from_secs(86_400), hz).ok()
            }
        }
    };
    let (recording, offcpu) = perf::record_observed(
        &options.perf,
        target,
        out_dir,
        options.frequency_hz,
        options.stop.as_deref(),
        observe,
    );
    let recording = recording?;
    let offcpu = offcpu.flatten();

    let folded = collapse::collapse_perf_script(&recording.script)?;
    let samples = collapse::total_samples(&folded);
    if samples == 0 {
        return Err(ProfileError::NoSamples);
    }
    let folded_path = out_dir.join("out.folded");
    write(&folded_path, &folded)?;

    let title = options
        .title
        .clone()
        .unwrap_or_else(|| default_title(target));
    let svg = flame::flamegraph_svg(&folded, &title)?;
    let flamegraph = out_dir.join("flamegraph.svg");
    write(&flamegraph, &svg)?;

    let shares = collapse::function_shares(&folded);
    let top = shares.iter().take(TOP_N).cloned().collect();
    let top_inclusive = collapse::top_inclusive(&folded, TOP_N);
    Ok(Profile {
        folded,
        top,
        top_inclusive,
        flamegraph,
        folded_path,
        perf_data: recording.perf_data,
        samples,
        offcpu,
    })
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
                "CPU flame graph: pid {pid}, {:.1} s",
                duration.as_secs_f64()
            )
        }
    }
}
