//! perfhive-probe: observing the processes behind a target, and perfhive's own resource use.
//!
//! * [`ProcessSelector`] names the processes to watch (a pid, a pid file, or a process name) and
//!   resolves them against `/proc`.
//! * [`ProcessObserver`] samples them like `top(1)` does: CPU as the change in `utime + stime`
//!   (`/proc/<pid>/stat`, in clock ticks, see `proc(5)`) divided by wall time, in percent of one
//!   core; memory as resident set size. Processes that vanish between listing and reading are
//!   skipped, and the selector is re-resolved when the target restarts.
//! * [`self_cpu_time`], [`thread_cpu_time`] and [`self_peak_rss_bytes`] report the load generator's
//!   own cost from `getrusage(2)`, so a report can say whether the client was the bottleneck.
//!
//! Linux only: everything reads procfs or Linux `getrusage` flavours (`RUSAGE_THREAD`).

pub mod env;
mod error;
mod observer;
mod procread;
mod rusage;
mod selector;
pub mod use_sampler;
mod use_summary;

pub use error::ProbeError;
pub use observer::{ObservedPoint, ProcessObserver, ProcessSample, RESOLVE_EVERY};
pub use rusage::{self_cpu_time, self_peak_rss_bytes, thread_cpu_time, ticks_per_second};
pub use selector::ProcessSelector;
pub use use_sampler::{sample_for, summarize, UseSample, UseSampler, UseSummary};
