//! perfhive-probe: observing the processes behind a target, and perfhive's own resource use.
//!
//! * [`ProcessSelector`] names the processes to watch (a pid, a pid file, or a process name) and
//!   resolves them against `/proc`.
//! * [`ProcessTree`] finds the processes behind a target — the named processes and all their
//!   descendants — with each one's [`Runtime`] (CPython, Node.js, JVM, native) and
//!   [`ProcessRole`] (launcher shell, pre-fork supervisor, worker, service).
//! * [`AsgiServer`] tells which ASGI server (uvicorn, hypercorn, daphne, granian, gunicorn with
//!   uvicorn workers) a CPython process runs, from its name and command line.
//! * [`ProcessObserver`] samples a tree like `top(1)` does: CPU as the change in `utime + stime`
//!   (`/proc/<pid>/stat`, in clock ticks, see `proc(5)`) divided by wall time, in percent of one
//!   core; memory as resident and proportional set size. Processes that vanish between listing
//!   and reading are skipped, and the selector is re-resolved when the target restarts.
//! * [`UseSampler`] / [`sample_for`] sample the USE metrics of a tree at 10–100 Hz;
//!   [`UseSampler::window`] gives what each process and thread used ([`TreeWindow`]), and
//!   [`observe_for`] adds the [`CpuVerdict`] (one saturated thread, CPU-bound overall, or not
//!   CPU-bound) and the host's noise ([`HostNoise`]: steal time, other processes' CPU) over the
//!   same window.
//! * [`self_cpu_time`], [`thread_cpu_time`] and [`self_peak_rss_bytes`] report the load generator's
//!   own cost from `getrusage(2)`, so a report can say whether the client was the bottleneck.
//!
//! Linux only: everything reads procfs or Linux `getrusage` flavours (`RUSAGE_THREAD`).

pub mod asgi;
pub mod cpu_verdict;
pub mod env;
mod error;
pub mod host;
mod observe;
mod observer;
mod procread;
pub mod runtime;
mod rusage;
mod selector;
pub mod tree;
pub mod use_sampler;
mod use_summary;
pub mod window;

pub use asgi::AsgiServer;
pub use cpu_verdict::{CpuVerdict, SaturationCause};
pub use error::ProbeError;
pub use host::{HostNoise, HostNoiseMeter, OtherProcess};
pub use observe::{observe_for, Observation};
pub use observer::{ObservedPoint, ProcessObserver, ProcessSample, RESOLVE_EVERY};
pub use runtime::Runtime;
pub use rusage::{self_cpu_time, self_peak_rss_bytes, thread_cpu_time, ticks_per_second};
pub use selector::ProcessSelector;
pub use tree::{ProcessRole, ProcessTree, TreeProcess, TreeReader};
pub use use_sampler::{sample_for, summarize, UseSample, UseSampler, UseSummary};
pub use window::{ProcessUsage, ThreadUsage, TreeMemory, TreeWindow};
