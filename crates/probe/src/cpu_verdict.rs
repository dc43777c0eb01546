//! One CPU verdict for a service, from its per-thread use over a window.
//!
//! "CPU-bound" means two different things that a report must not confuse: the service uses
//! (nearly) every core, or one thread uses a whole core while the others are idle — a GIL-bound
//! Python worker or a Node.js event loop at 100 % on a half-idle machine. Process-level CPU alone
//! tells the first and misses the second ("45 % of 2 cores: not CPU-bound" while one thread sat
//! at 100 %); [`CpuVerdict::assess`] decides between them in one place, in this order:
//!
//! 1. **CPU-bound overall** when the tree's CPU reaches [`CPU_BOUND_SHARE`] of the cores, or
//!    when it has that share of the cores in *saturated threads* (rounded up: 2 on a 2-core
//!    host) — threads that would fill the machine if other processes left them the cores;
//! 2. else **one saturated thread** when the busiest thread's demand (CPU + run-queue wait, see
//!    [`crate::window`]) reaches [`SATURATED_THREAD_PCT`] of one core — demand rather than CPU,
//!    so a thread that never blocks still counts on a host where other processes take part of
//!    its core;
//! 3. else **not CPU-bound**.
//!
//! The tree's summed demand is not a criterion: on a busy host every wake-up of every idle
//! thread waits a little on a run queue, and fifty mostly-idle threads would add up to "cores"
//! of demand that no thread actually wanted.
//!
//! The cause of a saturated thread, and so its fix, follows from the thread's runtime, its
//! server and the service's worker count ([`SaturationCause`]). A CPython ASGI server
//! ([`crate::asgi`]) runs its asyncio event loop in each worker's main thread, so its loop is
//! the cause only when the saturated thread is that main thread (tid = pid) and no other thread
//! of the process is busy ([`LOOP_COMPANION_PCT`]); a saturated executor thread (a sync `def`
//! handler in the thread pool), or a loop sharing the interpreter with busy threads, is the GIL.

use serde::{Deserialize, Serialize};

use crate::asgi::AsgiServer;
use crate::runtime::Runtime;
use crate::tree::ProcessRole;
use crate::window::{ThreadUsage, TreeWindow};

/// A thread whose demand reaches this percentage of one core is saturated.
pub const SATURATED_THREAD_PCT: f64 = 85.0;

/// A tree whose CPU, or whose saturated threads, reach this share of the cores is CPU-bound
/// overall.
pub const CPU_BOUND_SHARE: f64 = 0.8;

/// Another thread of an ASGI worker at this percentage of one core or more makes a saturated
/// event loop a GIL verdict: the interpreter is shared by threads doing work. Below it are
/// background threads such as a span exporter's, which take a few percent.
pub const LOOP_COMPANION_PCT: f64 = 10.0;

/// Shortest window a verdict is given for, seconds.
pub const MIN_WINDOW_S: f64 = 0.5;

/// Why one thread caps the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaturationCause {
    /// A multi-threaded CPython process: its threads share one global interpreter lock.
    Gil,
    /// Node.js: JavaScript runs on one event-loop thread per process.
    EventLoop,
    /// The main thread of a CPython ASGI server's worker, the one busy thread of its process:
    /// every request's coroutine runs on this one asyncio event loop, so CPU work in an
    /// `async def` handler blocks them all.
    AsyncioEventLoop(AsgiServer),
    /// One worker process with one busy thread serves everything.
    SingleWorker,
    /// One thread of a multi-threaded (or multi-process) native service does the work.
    SingleThread,
}

impl SaturationCause {
    /// `GIL`, `event loop`, `asyncio event loop`, `single worker`, `single thread`.
    pub fn label(self) -> &'static str {
        match self {
            SaturationCause::Gil => "GIL",
            SaturationCause::EventLoop => "event loop",
            SaturationCause::AsyncioEventLoop(_) => "asyncio event loop",
            SaturationCause::SingleWorker => "single worker",
            SaturationCause::SingleThread => "single thread",
        }
    }
}

/// The CPU verdict of a window; see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum CpuVerdict {
    /// One thread near a full core while the service as a whole is not CPU-bound.
    SingleThreadSaturated {
        /// The saturated thread.
        thread: ThreadUsage,
        /// Why one thread caps the service.
        cause: SaturationCause,
        /// Worker processes of the thread's runtime.
        workers: usize,
        /// Cores of the host.
        cores: usize,
        /// CPU of the whole tree, cores.
        busy_cores: f64,
    },
    /// The service's demand reaches most of the cores.
    CpuBound {
        /// CPU of the whole tree, cores.
        busy_cores: f64,
        /// CPU + run-queue wait of the tree, cores.
        demand_cores: f64,
        /// Cores of the host.
        cores: usize,
        /// How many threads were saturated.
        saturated_threads: usize,
    },
    /// Neither.
    NotCpuBound {
        /// CPU of the whole tree, cores.
        busy_cores: f64,
        /// Cores of the host.
        cores: usize,
        /// The busiest thread, if any thread was read.
        busiest: Option<ThreadUsage>,
    },
    /// Too short a window, or nothing read.
    InsufficientData {
        /// What was missing.
        reason: String,
    },
}

impl CpuVerdict {
    /// Decides the verdict for `window` on a host with `cores` CPUs.
    pub fn assess(window: &TreeWindow, cores: usize) -> Self {
        let cores = cores.max(1);
        if window.duration_s < MIN_WINDOW_S {
            return CpuVerdict::InsufficientData {
                reason: format!(
                    "the window lasted {:.2} s (at least {MIN_WINDOW_S} s is needed)",
                    window.duration_s
                ),
            };
        }
        if window.processes.is_empty() {
            return CpuVerdict::InsufficientData {
                reason: "no process of the target was read".into(),
            };
        }
        let busy_cores = window.busy_cores();
        let demand_cores = window.demand_cores();
        let saturated: Vec<&ThreadUsage> = window
            .threads
            .iter()
            .filter(|t| t.demand_pct >= SATURATED_THREAD_PCT)
            .collect();
        let bound = CPU_BOUND_SHARE * cores as f64;
        if busy_cores >= bound || saturated.len() as f64 >= bound.ceil() {
            return CpuVerdict::CpuBound {
                busy_cores,
                demand_cores,
                cores,
                saturated_threads: saturated.len(),
            };
        }
        let Some(&hot) = saturated.first() else {
            return CpuVerdict::NotCpuBound {
                busy_cores,
                cores,
                busiest: window.threads.first().cloned(),
            };
        };
        let workers = window
            .processes
            .iter()
            .filter(|p| p.alive && matches!(p.role, ProcessRole::Worker | ProcessRole::Service))
            .filter(|p| p.runtime.same_family(&hot.runtime))
            .count()
            .max(1);
        let busy_threads_of_process = window
            .threads
            .iter()
            .filter(|t| t.pid == hot.pid && t.cpu_pct >= 5.0)
            .count();
        let hot_process = window.process(hot.pid);
        let threads_of_process = hot_process.map_or(1, |p| p.threads);
        let loop_alone = hot.tid == hot.pid
            && !window
                .threads
                .iter()
                .any(|t| t.pid == hot.pid && t.tid != hot.tid && t.cpu_pct >= LOOP_COMPANION_PCT);
        let asgi = hot_process
            .and_then(|p| p.asgi_server)
            .filter(|_| loop_alone);
        let cause = match (&hot.runtime, asgi) {
            (Runtime::Node, _) => SaturationCause::EventLoop,
            (Runtime::CPython { .. }, Some(server)) => SaturationCause::AsyncioEventLoop(server),
            (Runtime::CPython { .. }, None)
                if threads_of_process > 1 || busy_threads_of_process > 1 =>
            {
                SaturationCause::Gil
            }
            _ if workers == 1 && busy_threads_of_process <= 1 => SaturationCause::SingleWorker,
            _ => SaturationCause::SingleThread,
        };
        CpuVerdict::SingleThreadSaturated {
            thread: hot.clone(),
            cause,
            workers,
            cores,
            busy_cores,
        }
    }

    /// The verdict in one line, with its numbers.
    pub fn headline(&self) -> String {
        match self {
            CpuVerdict::SingleThreadSaturated {
                thread,
                cause,
                cores,
                busy_cores,
                ..
            } => format!(
                "CPU-bound on one thread ({}): thread {} ({}) of {} pid {} wants {:.0}% of a core \
                 ({:.0}% on CPU) while the service uses {:.2} of {} cores",
                cause.label(),
                thread.tid,
                thread.name,
                thread.process,
                thread.pid,
                thread.demand_pct,
                thread.cpu_pct,
                busy_cores,
                cores
            ),
            CpuVerdict::CpuBound {
                busy_cores,
                demand_cores,
                cores,
                ..
            } => format!(
                "CPU-bound: the service uses {busy_cores:.2} of {cores} cores \
                 (demand {demand_cores:.2} cores including run-queue wait)"
            ),
            CpuVerdict::NotCpuBound {
                busy_cores,
                cores,
                busiest,
            } => {
                let mut s =
                    format!("not CPU-bound: the service uses {busy_cores:.2} of {cores} cores");
                if let Some(t) = busiest {
                    s.push_str(&format!(
                        "; its busiest thread ({} of {}) wants {:.0}% of a core",
                        t.name, t.process, t.demand_pct
                    ));
                }
                s
            }
            CpuVerdict::InsufficientData { reason } => format!("no CPU verdict: {reason}"),
        }
    }

    /// What to change, fitted to the runtime; `None` when the CPU is not the limit.
    pub fn fix(&self) -> Option<String> {
        match self {
            CpuVerdict::SingleThreadSaturated {
                thread,
                cause,
                workers,
                cores,
                ..
            } => Some(saturation_fix(thread, *cause, *workers, *cores)),
            CpuVerdict::CpuBound { cores, .. } => Some(format!(
                "the {cores} cores are the limit: cut the CPU each request costs (start with the \
                 profile's hottest application functions) or run on more cores"
            )),
            CpuVerdict::NotCpuBound { .. } | CpuVerdict::InsufficientData { .. } => None,
        }
    }

    /// Whether the verdict says the CPU limits the service (overall or on one thread).
    pub fn is_cpu_limited(&self) -> bool {
        matches!(
            self,
            CpuVerdict::SingleThreadSaturated { .. } | CpuVerdict::CpuBound { .. }
        )
    }
}

fn saturation_fix(
    thread: &ThreadUsage,
    cause: SaturationCause,
    workers: usize,
    cores: usize,
) -> String {
    let target = cores.max(2);
    match cause {
        SaturationCause::Gil => format!(
            "CPython runs one thread at a time per process (the GIL), so {} (pid {}) cannot use \
             more than one core whatever its thread count; run more worker processes ({} now) — \
             e.g. gunicorn -w {target} or uWSGI --processes {target} — or move the CPU-heavy \
             function to a process pool or native code",
            thread.process, thread.pid, workers
        ),
        SaturationCause::EventLoop => format!(
            "Node.js runs JavaScript on one event-loop thread per process ({} process(es) now): \
             run one process per core (node:cluster, or PM2 -i {target}), move the CPU-heavy work \
             to worker_threads, or offload it from the request path",
            workers
        ),
        SaturationCause::AsyncioEventLoop(server) => {
            let who = if thread.process == server.label() {
                format!("{} (pid {})", thread.process, thread.pid)
            } else {
                format!(
                    "{} (pid {}, {})",
                    thread.process,
                    thread.pid,
                    server.label()
                )
            };
            format!(
                "{who} runs every request on one asyncio event loop ({workers} process(es) \
                 now), and CPU work in an `async def` handler blocks the loop for all of them: \
                 offload it (`await loop.run_in_executor(pool, f, …)` with a \
                 ProcessPoolExecutor for pure-Python CPU work, or a plain `def` handler, which \
                 FastAPI runs in its thread pool) or {}",
                server.more_workers(target)
            )
        }
        SaturationCause::SingleWorker => match thread.runtime {
            Runtime::CPython { .. } => format!(
                "one CPython worker process serves every request: run {target} worker processes \
                 (gunicorn -w {target}, uWSGI --processes {target})"
            ),
            Runtime::Jvm => format!(
                "one JVM thread serves every request: raise the server's worker thread pool \
                 (at least {target}) or make the handler asynchronous"
            ),
            _ => format!(
                "one single-threaded worker process serves every request: run {target} workers \
                 (the server's worker or thread setting)"
            ),
        },
        SaturationCause::SingleThread => format!(
            "one thread ({}, tid {}) does the work while the other threads and {} process(es) \
             wait: the work is serialised (a single consumer, a global lock, one connection) — \
             spread it across threads or processes",
            thread.name, thread.tid, workers
        ),
    }
}

#[cfg(test)]
mod tests;
