//! The one error type of the crate, [`ProfileError`].
//!
//! The two "environment" variants ([`ProfileError::PerfMissing`] and
//! [`ProfileError::NotPermitted`]) carry messages written for the user: they say exactly what to
//! install or which setting to change, so callers (the `profile` command, the investigator) can
//! show them as a finding and carry on with everything else.

use std::path::PathBuf;

/// Where perf_event_paranoid lives; named in [`ProfileError::NotPermitted`].
pub const PARANOID_PATH: &str = "/proc/sys/kernel/perf_event_paranoid";

/// Everything that can go wrong while profiling.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The `perf` binary could not be started (or is only Debian's wrapper without a matching
    /// `linux-perf` package).
    #[error(
        "perf is not available ({detail}); install it: `apt-get install linux-perf` (Debian), \
         `apt-get install linux-tools-common linux-tools-$(uname -r)` (Ubuntu), \
         `dnf install perf` (Fedora/RHEL)"
    )]
    PerfMissing {
        /// What happened when we tried to run it (the OS error or perf's own message).
        detail: String,
    },

    /// The kernel refused to let perf sample.
    #[error(
        "perf is not permitted to sample: {PARANOID_PATH} is {paranoid}; allow it with \
         `sysctl -w kernel.perf_event_paranoid=1` (or -1 to also profile other users' processes), \
         or run perfhive as root (or with CAP_PERFMON). perf said: {stderr}",
        paranoid = paranoid.map_or_else(|| "unreadable".to_owned(), |v| v.to_string())
    )]
    NotPermitted {
        /// Current value of `/proc/sys/kernel/perf_event_paranoid`, if readable.
        paranoid: Option<i32>,
        /// perf's stderr (trimmed).
        stderr: String,
    },

    /// perf ran but failed for another reason.
    #[error("`perf {step}` failed ({status}): {stderr}")]
    PerfFailed {
        /// `record` or `script`.
        step: &'static str,
        /// The exit status, as text.
        status: String,
        /// perf's stderr (trimmed).
        stderr: String,
    },

    /// A [`crate::Target::Command`] with no program.
    #[error("no command to profile")]
    EmptyCommand,

    /// perf ran but no stack samples came out (the program exited at once, or was idle).
    #[error("no samples were recorded (did the program exit immediately or stay idle?)")]
    NoSamples,

    /// No profiler recorded a sample; each issue says which profiler failed, why, and what to
    /// install or change.
    #[error("no profiler recorded a sample: {}", issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    ProfilersFailed {
        /// What went wrong, per profiler.
        issues: Vec<crate::ProfilerIssue>,
    },

    /// The process to observe does not exist (or is not readable).
    #[error("process {pid} not found in /proc")]
    NoSuchProcess {
        /// The pid asked for.
        pid: i32,
    },

    /// Collapsing stacks or rendering the flame graph failed inside inferno.
    #[error("inferno failed to {what}: {source}")]
    Inferno {
        /// `collapse perf script output` or `render the flame graph`.
        what: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Reading or writing a file failed.
    #[error("{path}: {source}", path = path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Reads the current value of `/proc/sys/kernel/perf_event_paranoid`.
pub fn perf_event_paranoid() -> Option<i32> {
    std::fs::read_to_string(PARANOID_PATH)
        .ok()?
        .trim()
        .parse()
        .ok()
}
