//! Per-process and per-thread use over a sampling window: which processes of the tree used the
//! CPU and memory, and which threads were busiest.
//!
//! The [`crate::UseSampler`] feeds every reading into the accounts kept here. Each process is
//! keyed by `(pid, starttime)` and each thread by `(tid, starttime)`, so a restarted worker is a
//! new entry and the one it replaced stays in the window with what it used until it exited.
//!
//! * **Thread CPU** is `schedstat` field 1 (nanoseconds on a CPU, `sched_info`), precise where the
//!   `stat` tick counters are 10 ms coarse. **Demand** adds field 2, the time the thread was
//!   runnable but waiting for a CPU: a thread that never blocks has a demand of 100 % of a core
//!   even when other processes take half of that core from it — the figure that tells "one
//!   thread saturated" on a busy host, where CPU % alone would not.
//! * **Baselines**: a process or thread that already ran when the window opened counts from its
//!   first reading; one that started inside the window (its `starttime` is after the window's
//!   start on `CLOCK_BOOTTIME`, the clock `starttime` is measured on) counts from zero, so a
//!   worker forked mid-window brings all its CPU.
//! * **Memory without double counting**: pre-forked workers share most of their pages with their
//!   master (copy-on-write), so summing RSS counts those pages once per worker. The tree's memory
//!   is therefore also given as the sum of PSS (`smaps_rollup`: each shared page divided among
//!   the processes mapping it) and of USS (pages private to one process); both need the same
//!   access as ptrace-reading the process and are `None` when any process refused.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::asgi::AsgiServer;
use crate::procread::Rollup;
use crate::runtime::Runtime;
use crate::tree::{ProcessRole, ProcessTree};

/// How many threads [`TreeWindow::threads`] keeps (the busiest by demand).
pub const TOP_THREADS: usize = 32;

/// Thread accounts kept at most; beyond it, exited threads with the least CPU are dropped.
const MAX_THREAD_ACCOUNTS: usize = 4096;

/// One thread's use over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadUsage {
    /// The process the thread belongs to.
    pub pid: i32,
    /// Thread id.
    pub tid: i32,
    /// Thread name (`comm` of the task).
    pub name: String,
    /// The process's name.
    pub process: String,
    /// The process's runtime.
    pub runtime: Runtime,
    /// CPU seconds in the window.
    pub cpu_s: f64,
    /// Seconds runnable but waiting for a CPU.
    pub wait_s: f64,
    /// CPU in percent of one core over the window.
    pub cpu_pct: f64,
    /// CPU plus run-queue wait, in percent of one core: how much CPU the thread wanted.
    pub demand_pct: f64,
    /// Whether the thread was still alive at the last sample.
    pub alive: bool,
}

/// One process's use over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Start time (clock ticks after boot).
    pub starttime: u64,
    /// Process name.
    pub comm: String,
    /// Role in the tree.
    pub role: ProcessRole,
    /// Language runtime.
    pub runtime: Runtime,
    /// The ASGI server it runs (CPython processes serving on an asyncio event loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asgi_server: Option<AsgiServer>,
    /// CPU seconds (user + system) in the window.
    pub cpu_s: f64,
    /// CPU in percent of one core over the window.
    pub cpu_pct: f64,
    /// Resident set size at the last reading, bytes.
    pub rss_bytes: u64,
    /// Proportional set size at the last memory reading, bytes.
    pub pss_bytes: Option<u64>,
    /// Unique (private) set size at the last memory reading, bytes.
    pub uss_bytes: Option<u64>,
    /// Threads at the last reading.
    pub threads: usize,
    /// Open file descriptors at the last reading.
    pub fds: usize,
    /// Bytes read from storage in the window (`None`: `io` not readable).
    pub read_bytes: Option<u64>,
    /// Bytes written to storage in the window (`None`: `io` not readable).
    pub write_bytes: Option<u64>,
    /// Whether the process was alive at the last sample (false: it exited or was replaced).
    pub alive: bool,
    /// Seconds from the window's start to its first reading (0 for processes there from the
    /// start; later for workers that replaced others).
    pub first_seen_s: f64,
}

/// Memory of the whole tree at the last memory reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreeMemory {
    /// Σ RSS: shared pages counted once per process that maps them.
    pub rss_bytes: u64,
    /// Σ PSS: shared pages split among their processes; the tree's own footprint.
    pub pss_bytes: Option<u64>,
    /// Σ USS: pages private to one process of the tree.
    pub uss_bytes: Option<u64>,
}

impl TreeMemory {
    /// The best figure for "memory the service uses": Σ PSS when readable, else Σ RSS.
    pub fn footprint_bytes(&self) -> u64 {
        self.pss_bytes.unwrap_or(self.rss_bytes)
    }
}

/// What the tree used over a window; see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeWindow {
    /// Seconds from the first to the last sample.
    pub duration_s: f64,
    /// Every process seen in the window, alive first, then by CPU.
    pub processes: Vec<ProcessUsage>,
    /// The [`TOP_THREADS`] threads with the highest demand, highest first.
    pub threads: Vec<ThreadUsage>,
    /// CPU seconds of the whole tree, including processes that exited.
    pub cpu_s: f64,
    /// Run-queue wait seconds of all the tree's threads.
    pub wait_s: f64,
    /// Memory at the last reading.
    pub memory: TreeMemory,
    /// Processes (not launchers) that exited during the window.
    pub exited: usize,
    /// Processes (not launchers) that started during the window.
    pub started: usize,
}

impl TreeWindow {
    /// CPU of the tree in cores (1.0 = one core busy all the window).
    pub fn busy_cores(&self) -> f64 {
        per_second(self.cpu_s, self.duration_s)
    }

    /// CPU plus run-queue wait of the tree, in cores: what it would have used with no
    /// competition for the CPUs.
    pub fn demand_cores(&self) -> f64 {
        per_second(self.cpu_s + self.wait_s, self.duration_s)
    }

    /// The process with this pid (the latest one, if the pid was reused).
    pub fn process(&self, pid: i32) -> Option<&ProcessUsage> {
        self.processes.iter().find(|p| p.pid == pid)
    }
}

fn per_second(v: f64, duration_s: f64) -> f64 {
    if duration_s > 0.0 {
        v / duration_s
    } else {
        0.0
    }
}

#[derive(Debug)]
struct ProcAccount {
    usage: ProcessUsage,
    base_ticks: u64,
    last_ticks: u64,
    base_io: Option<(u64, u64)>,
    last_io: Option<(u64, u64)>,
    seen: u64,
}

#[derive(Debug)]
struct ThreadAccount {
    pid: i32,
    tid: i32,
    name: String,
    base: (u64, u64),
    last: (u64, u64),
    seen: u64,
}

/// The accounts a sampler keeps for its window.
#[derive(Debug, Default)]
pub(crate) struct Accounts {
    first_at: Option<Instant>,
    last_at: Option<Instant>,
    start_boot_ticks: u64,
    generation: u64,
    procs: HashMap<(i32, u64), ProcAccount>,
    threads: HashMap<(i32, u64), ThreadAccount>,
}

/// One reading of a process, as the sampler makes it.
pub(crate) struct ProcReading<'a> {
    pub pid: i32,
    pub starttime: u64,
    pub ticks: u64,
    pub io: Option<(u64, u64)>,
    pub rss_bytes: u64,
    pub fds: usize,
    pub threads: usize,
    pub comm: &'a [u8],
    pub ppid: i32,
}

impl Accounts {
    /// Starts a sample taken at `now` (the first one opens the window).
    pub fn begin(&mut self, now: Instant) {
        if self.first_at.is_none() {
            self.first_at = Some(now);
            self.start_boot_ticks = boot_ticks();
        }
        self.last_at = Some(now);
        self.generation += 1;
    }

    fn started_inside(&self, starttime: u64) -> bool {
        self.generation > 1 && starttime >= self.start_boot_ticks
    }

    /// Every process identity seen in the window.
    pub fn identities(&self) -> Vec<(i32, u64)> {
        self.procs.keys().copied().collect()
    }

    /// Records a process reading.
    pub fn process(&mut self, r: &ProcReading<'_>) {
        let inside = self.started_inside(r.starttime);
        let first = self.first_at.unwrap_or_else(Instant::now);
        let now = self.last_at.unwrap_or(first);
        let gen = self.generation;
        let acc = self
            .procs
            .entry((r.pid, r.starttime))
            .or_insert_with(|| ProcAccount {
                usage: ProcessUsage {
                    pid: r.pid,
                    ppid: r.ppid,
                    starttime: r.starttime,
                    comm: String::from_utf8_lossy(r.comm).into_owned(),
                    role: ProcessRole::Service,
                    runtime: Runtime::Unknown,
                    asgi_server: None,
                    cpu_s: 0.0,
                    cpu_pct: 0.0,
                    rss_bytes: 0,
                    pss_bytes: None,
                    uss_bytes: None,
                    threads: 0,
                    fds: 0,
                    read_bytes: None,
                    write_bytes: None,
                    alive: true,
                    first_seen_s: (now - first).as_secs_f64(),
                },
                base_ticks: if inside { 0 } else { r.ticks },
                last_ticks: r.ticks,
                base_io: if inside { Some((0, 0)) } else { r.io },
                last_io: r.io,
                seen: gen,
            });
        if acc.usage.comm.as_bytes() != r.comm {
            acc.usage.comm = String::from_utf8_lossy(r.comm).into_owned();
        }
        acc.last_ticks = r.ticks;
        acc.base_io = acc.base_io.or(r.io);
        acc.last_io = r.io.or(acc.last_io);
        acc.usage.rss_bytes = r.rss_bytes;
        acc.usage.fds = r.fds;
        acc.usage.threads = r.threads;
        acc.seen = gen;
    }

    /// Records a thread reading: `sched` is `(ns on CPU, ns waiting)` from `schedstat`.
    pub fn thread(&mut self, pid: i32, tid: i32, starttime: u64, comm: &[u8], sched: (u64, u64)) {
        let inside = self.started_inside(starttime);
        let gen = self.generation;
        let acc = self
            .threads
            .entry((tid, starttime))
            .or_insert_with(|| ThreadAccount {
                pid,
                tid,
                name: String::from_utf8_lossy(comm).into_owned(),
                base: if inside { (0, 0) } else { sched },
                last: sched,
                seen: gen,
            });
        if acc.name.as_bytes() != comm {
            acc.name = String::from_utf8_lossy(comm).into_owned();
        }
        acc.last = sched;
        acc.seen = gen;
    }

    /// Records a memory reading of a process.
    pub fn memory(&mut self, pid: i32, starttime: u64, rollup: Option<Rollup>) {
        if let Some(acc) = self.procs.get_mut(&(pid, starttime)) {
            acc.usage.pss_bytes = rollup.map(|r| r.pss);
            acc.usage.uss_bytes = rollup.map(|r| r.private);
        }
    }

    /// Takes roles, runtimes and ASGI servers from a fresh tree snapshot.
    pub fn describe(&mut self, tree: &ProcessTree) {
        for p in &tree.processes {
            if let Some(acc) = self.procs.get_mut(&(p.pid, p.starttime)) {
                acc.usage.role = p.role;
                acc.usage.runtime = p.runtime.clone();
                acc.usage.asgi_server = crate::asgi::server_of(tree, p);
                acc.usage.ppid = p.ppid;
            }
        }
    }

    /// Bounds the thread accounts (a server starting a thread per request would grow them).
    pub fn prune(&mut self) {
        if self.threads.len() <= MAX_THREAD_ACCOUNTS {
            return;
        }
        let gen = self.generation;
        let mut dead: Vec<((i32, u64), u64)> = self
            .threads
            .iter()
            .filter(|(_, t)| t.seen != gen)
            .map(|(k, t)| (*k, t.last.0.saturating_sub(t.base.0)))
            .collect();
        dead.sort_by_key(|&(_, cpu)| cpu);
        let excess = self.threads.len() - MAX_THREAD_ACCOUNTS / 2;
        for (k, _) in dead.into_iter().take(excess) {
            self.threads.remove(&k);
        }
    }

    /// The window so far.
    pub fn window(&self, ticks_per_second: f64) -> TreeWindow {
        let duration_s = match (self.first_at, self.last_at) {
            (Some(a), Some(b)) => (b - a).as_secs_f64(),
            _ => 0.0,
        };
        let gen = self.generation;
        let pct = |s: f64| per_second(s, duration_s) * 100.0;
        let mut processes: Vec<ProcessUsage> = self
            .procs
            .values()
            .map(|a| {
                let mut u = a.usage.clone();
                u.cpu_s = a.last_ticks.saturating_sub(a.base_ticks) as f64 / ticks_per_second;
                u.cpu_pct = pct(u.cpu_s);
                u.alive = a.seen == gen;
                if let (Some(b), Some(l)) = (a.base_io, a.last_io) {
                    u.read_bytes = Some(l.0.saturating_sub(b.0));
                    u.write_bytes = Some(l.1.saturating_sub(b.1));
                }
                u
            })
            .collect();
        processes.sort_by(|a, b| {
            b.alive
                .cmp(&a.alive)
                .then(b.cpu_s.total_cmp(&a.cpu_s))
                .then(a.pid.cmp(&b.pid))
        });
        let by_pid: HashMap<i32, &ProcessUsage> =
            processes.iter().rev().map(|p| (p.pid, p)).collect();
        let (mut wait_ns, mut threads) = (0u64, Vec::with_capacity(self.threads.len()));
        for t in self.threads.values() {
            let cpu_ns = t.last.0.saturating_sub(t.base.0);
            let wait = t.last.1.saturating_sub(t.base.1);
            wait_ns += wait;
            let (cpu_s, wait_s) = (cpu_ns as f64 / 1e9, wait as f64 / 1e9);
            let owner = by_pid.get(&t.pid);
            threads.push(ThreadUsage {
                pid: t.pid,
                tid: t.tid,
                name: t.name.clone(),
                process: owner.map(|p| p.comm.clone()).unwrap_or_default(),
                runtime: owner.map_or(Runtime::Unknown, |p| p.runtime.clone()),
                cpu_s,
                wait_s,
                cpu_pct: pct(cpu_s),
                demand_pct: pct(cpu_s + wait_s),
                alive: t.seen == gen,
            });
        }
        threads.sort_by(|a, b| {
            b.demand_pct
                .total_cmp(&a.demand_pct)
                .then(b.cpu_pct.total_cmp(&a.cpu_pct))
                .then(a.tid.cmp(&b.tid))
        });
        threads.truncate(TOP_THREADS);
        let alive: Vec<&ProcessUsage> = processes.iter().filter(|p| p.alive).collect();
        let memory = TreeMemory {
            rss_bytes: alive.iter().map(|p| p.rss_bytes).sum(),
            pss_bytes: alive.iter().map(|p| p.pss_bytes).sum(),
            uss_bytes: alive.iter().map(|p| p.uss_bytes).sum(),
        };
        let counted = |p: &&ProcessUsage| p.role != ProcessRole::Launcher;
        TreeWindow {
            duration_s,
            cpu_s: processes.iter().map(|p| p.cpu_s).sum(),
            wait_s: wait_ns as f64 / 1e9,
            memory,
            exited: processes
                .iter()
                .filter(counted)
                .filter(|p| !p.alive)
                .count(),
            started: processes
                .iter()
                .filter(counted)
                .filter(|p| p.first_seen_s > 0.0 && self.started_inside(p.starttime))
                .count(),
            threads,
            processes,
        }
    }
}

/// `CLOCK_BOOTTIME` in clock ticks: the clock of `starttime` in `/proc/<pid>/stat`.
pub(crate) fn boot_ticks() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes into it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if rc != 0 {
        return 0;
    }
    let tps = crate::ticks_per_second();
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs * tps + nanos * tps / 1_000_000_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn reading(pid: i32, starttime: u64, ticks: u64) -> ProcReading<'static> {
        ProcReading {
            pid,
            starttime,
            ticks,
            io: Some((0, ticks * 10)),
            rss_bytes: 1 << 20,
            fds: 4,
            threads: 1,
            comm: b"worker",
            ppid: 1,
        }
    }

    #[test]
    fn replaced_workers_keep_their_cpu_and_new_ones_count_from_zero() {
        let mut a = Accounts::default();
        let t0 = Instant::now();
        a.begin(t0);
        let old_start = a.start_boot_ticks.saturating_sub(1000);
        a.process(&reading(10, old_start, 500));
        a.thread(10, 10, old_start, b"worker", (1_000_000_000, 0));
        a.begin(t0 + Duration::from_secs(1));
        a.process(&reading(10, old_start, 550));
        a.thread(10, 10, old_start, b"worker", (1_500_000_000, 500_000_000));
        // pid 10 dies; pid 11 starts inside the window with 30 ticks already used.
        a.begin(t0 + Duration::from_secs(2));
        let new_start = a.start_boot_ticks + 1;
        a.process(&reading(11, new_start, 30));
        a.thread(11, 11, new_start, b"worker", (300_000_000, 0));
        a.memory(
            11,
            new_start,
            Some(Rollup {
                rss: 1 << 20,
                pss: 1 << 19,
                private: 1 << 18,
            }),
        );
        let w = a.window(100.0);
        assert!((w.duration_s - 2.0).abs() < 1e-9);
        assert_eq!(w.processes.len(), 2);
        assert_eq!((w.processes[0].pid, w.processes[0].alive), (11, true));
        assert!(
            (w.processes[0].cpu_s - 0.3).abs() < 1e-9,
            "{:?}",
            w.processes[0]
        );
        assert_eq!(w.processes[0].write_bytes, Some(300));
        assert_eq!((w.processes[1].pid, w.processes[1].alive), (10, false));
        assert!((w.processes[1].cpu_s - 0.5).abs() < 1e-9);
        assert!((w.cpu_s - 0.8).abs() < 1e-9);
        assert_eq!((w.exited, w.started), (1, 1));
        let top = &w.threads[0];
        assert_eq!((top.tid, top.name.as_str()), (10, "worker"));
        assert!((top.cpu_pct - 25.0).abs() < 1e-9, "{top:?}");
        assert!((top.demand_pct - 50.0).abs() < 1e-9, "{top:?}");
        assert!(
            (w.demand_cores() - 0.65).abs() < 1e-9,
            "{}",
            w.demand_cores()
        );
        assert_eq!(w.memory.rss_bytes, 1 << 20);
        assert_eq!(w.memory.pss_bytes, Some(1 << 19));
        assert_eq!(w.memory.footprint_bytes(), 1 << 19);
    }

    #[test]
    fn memory_is_none_when_one_process_is_unreadable() {
        let mut a = Accounts::default();
        a.begin(Instant::now());
        a.process(&reading(1, 0, 0));
        a.process(&reading(2, 0, 0));
        a.memory(1, 0, Some(Rollup::default()));
        a.memory(2, 0, None);
        let w = a.window(100.0);
        assert_eq!(w.memory.pss_bytes, None);
        assert_eq!(w.memory.rss_bytes, 2 << 20);
        assert_eq!(w.memory.footprint_bytes(), 2 << 20);
        assert_eq!(w.busy_cores(), 0.0);
    }

    #[test]
    fn boot_clock_is_after_this_process_started() {
        let own = std::fs::read("/proc/self/stat").expect("stat");
        let start = crate::procread::parse_stat(&own).expect("parse").starttime;
        assert!(boot_ticks() >= start);
    }
}
