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
//! server (an ASGI server such as uvicorn runs an asyncio event loop) and the service's worker
//! count ([`SaturationCause`]).

use serde::{Deserialize, Serialize};

use crate::runtime::Runtime;
use crate::tree::ProcessRole;
use crate::window::{ThreadUsage, TreeWindow};

/// A thread whose demand reaches this percentage of one core is saturated.
pub const SATURATED_THREAD_PCT: f64 = 85.0;

/// A tree whose CPU, or whose saturated threads, reach this share of the cores is CPU-bound
/// overall.
pub const CPU_BOUND_SHARE: f64 = 0.8;

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
    /// A CPython ASGI server (uvicorn, hypercorn, daphne, granian): every request's coroutine
    /// runs on one asyncio event loop per process, so CPU work in a handler blocks them all.
    AsyncioEventLoop,
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
            SaturationCause::AsyncioEventLoop => "asyncio event loop",
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
        let threads_of_process = window.process(hot.pid).map_or(1, |p| p.threads);
        let cause = match hot.runtime {
            Runtime::Node => SaturationCause::EventLoop,
            Runtime::CPython { .. } if is_asgi_server(&hot.process) => {
                SaturationCause::AsyncioEventLoop
            }
            Runtime::CPython { .. } if threads_of_process > 1 || busy_threads_of_process > 1 => {
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

/// Process names of CPython ASGI servers, which serve requests on an asyncio event loop.
const ASGI_SERVERS: &[&str] = &["uvicorn", "hypercorn", "daphne", "granian"];

/// Whether a CPython process is an ASGI server (by its process name: the server's script).
fn is_asgi_server(process: &str) -> bool {
    let p = process.to_ascii_lowercase();
    ASGI_SERVERS.iter().any(|s| p.starts_with(s))
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
        SaturationCause::AsyncioEventLoop => format!(
            "{} (pid {}) runs every request on one asyncio event loop ({} process(es) now), and \
             CPU work in an `async def` handler blocks the loop for all of them: offload it \
             (`await loop.run_in_executor(pool, f, …)` with a ProcessPoolExecutor for \
             pure-Python CPU work, or a plain `def` handler, which FastAPI runs in its thread \
             pool) or run more worker processes (`uvicorn --workers {target}`)",
            thread.process, thread.pid, workers
        ),
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
mod tests {
    use super::*;
    use crate::window::{ProcessUsage, TreeMemory};

    fn thread(pid: i32, tid: i32, runtime: Runtime, cpu: f64, demand: f64) -> ThreadUsage {
        ThreadUsage {
            pid,
            tid,
            name: format!("t{tid}"),
            process: "svc".into(),
            runtime,
            cpu_s: cpu / 100.0,
            wait_s: (demand - cpu) / 100.0,
            cpu_pct: cpu,
            demand_pct: demand,
            alive: true,
        }
    }

    fn process(pid: i32, runtime: Runtime, role: ProcessRole, threads: usize) -> ProcessUsage {
        ProcessUsage {
            pid,
            ppid: 1,
            starttime: 1,
            comm: "svc".into(),
            role,
            runtime,
            cpu_s: 0.0,
            cpu_pct: 0.0,
            rss_bytes: 0,
            pss_bytes: None,
            uss_bytes: None,
            threads,
            fds: 0,
            read_bytes: None,
            write_bytes: None,
            alive: true,
            first_seen_s: 0.0,
        }
    }

    fn window(processes: Vec<ProcessUsage>, threads: Vec<ThreadUsage>) -> TreeWindow {
        TreeWindow {
            duration_s: 1.0,
            cpu_s: threads.iter().map(|t| t.cpu_s).sum(),
            wait_s: threads.iter().map(|t| t.wait_s).sum(),
            processes,
            threads,
            memory: TreeMemory {
                rss_bytes: 0,
                pss_bytes: None,
                uss_bytes: None,
            },
            exited: 0,
            started: 0,
        }
    }

    fn py() -> Runtime {
        Runtime::CPython {
            version: Some("3.11".into()),
            libpython: None,
        }
    }

    #[test]
    fn one_python_thread_on_a_half_idle_machine_is_the_gil() {
        // 60% on CPU + 38% waiting for a CPU taken by other processes: saturated all the same.
        let w = window(
            vec![process(10, py(), ProcessRole::Service, 4)],
            vec![
                thread(10, 11, py(), 60.0, 98.0),
                thread(10, 12, py(), 1.0, 1.0),
            ],
        );
        let v = CpuVerdict::assess(&w, 2);
        let CpuVerdict::SingleThreadSaturated { cause, workers, .. } = &v else {
            panic!("{v:?}");
        };
        assert_eq!((*cause, *workers), (SaturationCause::Gil, 1));
        assert!(
            v.headline().starts_with("CPU-bound on one thread (GIL)"),
            "{}",
            v.headline()
        );
        assert!(
            v.fix().expect("fix").contains("gunicorn -w 2"),
            "{:?}",
            v.fix()
        );
        assert!(v.is_cpu_limited());
    }

    /// One uvicorn process running a CPU-bound `async def` handler: its event loop, not the
    /// GIL, is what caps it, and the fix is offloading or `uvicorn --workers`.
    #[test]
    fn one_saturated_uvicorn_thread_is_its_asyncio_event_loop() {
        let mut hot = thread(30, 30, py(), 95.0, 96.0);
        hot.process = "uvicorn".into();
        let mut idle = thread(30, 31, py(), 1.0, 1.0);
        idle.process = "uvicorn".into();
        let w = window(
            vec![process(30, py(), ProcessRole::Service, 4)],
            vec![hot, idle],
        );
        let v = CpuVerdict::assess(&w, 2);
        let CpuVerdict::SingleThreadSaturated { cause, .. } = &v else {
            panic!("{v:?}");
        };
        assert_eq!(*cause, SaturationCause::AsyncioEventLoop);
        let (headline, fix) = (v.headline(), v.fix().expect("fix"));
        assert!(
            headline.contains("event loop") && !headline.contains("GIL"),
            "{headline}"
        );
        for word in ["event loop", "run_in_executor", "uvicorn --workers 2"] {
            assert!(fix.contains(word), "{word}: {fix}");
        }
        for word in ["GIL", "gunicorn", "uWSGI"] {
            assert!(!fix.contains(word), "{word}: {fix}");
        }
        assert!(is_asgi_server("hypercorn") && !is_asgi_server("gunicorn"));
    }

    #[test]
    fn node_event_loop_and_single_native_worker() {
        let w = window(
            vec![process(20, Runtime::Node, ProcessRole::Service, 11)],
            vec![thread(20, 20, Runtime::Node, 97.0, 99.0)],
        );
        let v = CpuVerdict::assess(&w, 4);
        assert!(matches!(
            v,
            CpuVerdict::SingleThreadSaturated {
                cause: SaturationCause::EventLoop,
                ..
            }
        ));
        assert!(v.fix().expect("fix").contains("worker_threads"));

        let w = window(
            vec![process(30, Runtime::Native, ProcessRole::Service, 1)],
            vec![thread(30, 30, Runtime::Native, 99.0, 99.0)],
        );
        let v = CpuVerdict::assess(&w, 4);
        assert!(matches!(
            v,
            CpuVerdict::SingleThreadSaturated {
                cause: SaturationCause::SingleWorker,
                ..
            }
        ));
        let w = window(
            vec![process(30, Runtime::Native, ProcessRole::Service, 8)],
            vec![
                thread(30, 30, Runtime::Native, 99.0, 99.0),
                thread(30, 31, Runtime::Native, 20.0, 20.0),
            ],
        );
        assert!(matches!(
            CpuVerdict::assess(&w, 4),
            CpuVerdict::SingleThreadSaturated {
                cause: SaturationCause::SingleThread,
                ..
            }
        ));
    }

    #[test]
    fn all_cores_busy_is_cpu_bound_not_one_thread() {
        let w = window(
            vec![
                process(1, py(), ProcessRole::Worker, 1),
                process(2, py(), ProcessRole::Worker, 1),
            ],
            vec![
                thread(1, 1, py(), 95.0, 99.0),
                thread(2, 2, py(), 90.0, 99.0),
            ],
        );
        let v = CpuVerdict::assess(&w, 2);
        assert!(
            matches!(
                v,
                CpuVerdict::CpuBound {
                    saturated_threads: 2,
                    ..
                }
            ),
            "{v:?}"
        );
        assert!(v
            .headline()
            .starts_with("CPU-bound: the service uses 1.85 of 2 cores"));
    }

    #[test]
    fn many_wakeful_idle_threads_on_a_busy_host_are_not_cpu_bound() {
        // 40 threads, each 0.5% on CPU and 15% waiting for a core after its wake-ups.
        let threads: Vec<ThreadUsage> = (0..40)
            .map(|i| thread(1, 100 + i, Runtime::Jvm, 0.5, 15.0))
            .collect();
        let w = window(
            vec![process(1, Runtime::Jvm, ProcessRole::Service, 40)],
            threads,
        );
        assert!(w.demand_cores() > 5.0);
        let v = CpuVerdict::assess(&w, 2);
        assert!(matches!(v, CpuVerdict::NotCpuBound { .. }), "{v:?}");
    }

    #[test]
    fn idle_and_short_windows() {
        let w = window(
            vec![process(1, py(), ProcessRole::Service, 2)],
            vec![thread(1, 1, py(), 30.0, 35.0)],
        );
        let v = CpuVerdict::assess(&w, 2);
        assert!(matches!(v, CpuVerdict::NotCpuBound { .. }), "{v:?}");
        assert!(v.fix().is_none() && !v.is_cpu_limited());
        assert!(
            v.headline().contains("wants 35% of a core"),
            "{}",
            v.headline()
        );
        let mut short = w.clone();
        short.duration_s = 0.1;
        assert!(matches!(
            CpuVerdict::assess(&short, 2),
            CpuVerdict::InsufficientData { .. }
        ));
        let empty = window(Vec::new(), Vec::new());
        assert!(matches!(
            CpuVerdict::assess(&empty, 2),
            CpuVerdict::InsufficientData { .. }
        ));
    }
}
