//! Utilization, saturation and errors of the target's processes, sampled from `/proc` at
//! 10–100 Hz: the data for Brendan Gregg's USE method ("for every resource, check utilization,
//! saturation, and errors", <https://www.brendangregg.com/usemethod.html>) as far as one process
//! tree can show it.
//!
//! | USE                | resource | source (`proc(5)`)                                                 |
//! |--------------------|----------|--------------------------------------------------------------------|
//! | utilization        | CPU      | `/proc/<pid>/stat` fields 14–15 `utime`, `stime` (clock ticks)     |
//! | saturation         | CPU      | `/proc/<pid>/task/<tid>/schedstat` field 2 `run_delay` (ns), involuntary context switches |
//! | saturation         | disk     | threads in state `D` (`/proc/<pid>/task/<tid>/stat` field 3)       |
//! | utilization        | disk     | `/proc/<pid>/io` `read_bytes`, `write_bytes`                       |
//! | capacity / leaks   | memory   | `/proc/<pid>/statm` field 2 (resident pages)                       |
//! | capacity / leaks   | fds      | the entries of `/proc/<pid>/fd`                                     |
//! | lock or sleep wait | —        | `/proc/<pid>/task/<tid>/status` `voluntary_ctxt_switches`, `nonvoluntary_ctxt_switches`; threads in `S` |
//!
//! **What is observed.** The processes a [`ProcessSelector`] names and all their descendants
//! ([`crate::tree`]: from `/proc/<pid>/task/<tid>/children` when the kernel has it
//! (`CONFIG_PROC_CHILDREN`), otherwise from a scan of every `/proc/<pid>/stat` for parent ids);
//! the tree, with each process's role and runtime, and the selector are refreshed every
//! [`TREE_REFRESH`] (a name selector every [`RESOLVE_EVERY`]), and at once when every known
//! process is gone.
//!
//! **Per process and per thread.** Every reading also goes into the window accounts of
//! [`crate::window`] ([`UseSampler::window`]): each process's and thread's CPU over the window,
//! thread demand (CPU + run-queue wait), and at each tree refresh the processes' PSS and USS from
//! `smaps_rollup` (read once a second: the kernel walks the page tables for it).
//!
//! **Cumulative counters stay cumulative.** CPU time, run delay, context switches and I/O bytes are
//! kept per process (keyed by pid and start time, so a reused pid is a new process) and per thread
//! (tid and start time); when one exits its last-seen values move into a retired total, so the
//! sums in [`UseSample`] never go backwards when a worker or a child exits, and [`summarize`] can
//! take plain differences. A process found later (a new child) brings its CPU time since it
//! started. CPU time is read per process because the process `stat` includes the threads that
//! already exited; context switches and run delay exist only per thread. Not seen at all: a child
//! that starts and exits between two tree refreshes, and the switches and run delay of a thread
//! that lives less than one sampling period.
//!
//! **Files are read directly**, not through the `procfs` crate (used here only for the page size
//! and, through [`crate::ticks_per_second`], `CLK_TCK`): one `open` + one `read` into reused
//! buffers per file, parsing only the fields above (see `procread.rs`). A file that cannot be read
//! because its process or thread exited mid-sample is skipped. `/proc/<pid>/io` needs ptrace
//! access to the process; when it is denied the bytes are not counted and
//! [`UseSample::io_readable`] is false.
//!
//! **Cost.** One sample reads 4 files and 2 directories per process and 3 files per thread.
//! Measured by the `sample_cost` test on a 2-vCPU VM (Linux 6.18) against a Python process with 21
//! threads at a few percent CPU: about 0.3 ms of sampler CPU per sample in a release build and
//! 0.5 ms in a debug build, i.e. 3–5% of one core at 100 Hz (the test fails above 5 ms). The
//! once-a-second tree refresh adds about 0.3–0.5 ms here (71 processes on the machine, scanned for
//! parent ids because this kernel has no `children` files); it grows with the machine's process
//! count.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::procread::{self, ProcReader};
use crate::tree::{InfoCache, ProcessTree, TreeWalker};
pub use crate::use_summary::{summarize, UseSummary};
use crate::window::{Accounts, ProcReading, TreeWindow};
use crate::{ticks_per_second, ProcessSelector, RESOLVE_EVERY};

/// How often the process tree (root pids and their descendants) is refreshed.
pub const TREE_REFRESH: Duration = Duration::from_secs(1);

/// One sampling instant, summed over the selected processes, their descendants and all their
/// threads. Counters marked cumulative include processes and threads that have since exited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UseSample {
    /// Time since the sampler was created.
    pub t: Duration,
    /// Processes read in this sample.
    pub pids: usize,
    /// Threads read in this sample.
    pub threads: usize,
    /// Cumulative user-mode CPU seconds (`utime / CLK_TCK`).
    pub cpu_user_s: f64,
    /// Cumulative kernel-mode CPU seconds (`stime / CLK_TCK`).
    pub cpu_system_s: f64,
    /// Cumulative seconds threads spent runnable but waiting for a CPU (`schedstat` run delay).
    pub run_delay_s: f64,
    /// Cumulative voluntary context switches (the thread blocked: I/O, locks, sleeps).
    pub voluntary_cs: u64,
    /// Cumulative involuntary context switches (the thread was preempted).
    pub involuntary_cs: u64,
    /// Threads running or runnable (`R`) now.
    pub threads_running: usize,
    /// Threads in uninterruptible sleep (`D`, usually disk I/O) now.
    pub threads_d_state: usize,
    /// Threads in interruptible sleep (`S`) now.
    pub threads_sleeping: usize,
    /// Resident set size now, in bytes.
    pub rss_bytes: u64,
    /// Open file descriptors now.
    pub fds: usize,
    /// Cumulative bytes read from storage (processes whose `io` was readable).
    pub read_bytes: u64,
    /// Cumulative bytes written to storage (processes whose `io` was readable).
    pub write_bytes: u64,
    /// Whether `/proc/<pid>/io` was readable for every process in this sample.
    pub io_readable: bool,
}

/// Cumulative per-process counters.
#[derive(Debug, Default, Clone, Copy)]
struct ProcCounters {
    utime: u64,
    stime: u64,
    read_bytes: u64,
    write_bytes: u64,
}

impl ProcCounters {
    fn add(&mut self, o: &Self) {
        self.utime += o.utime;
        self.stime += o.stime;
        self.read_bytes += o.read_bytes;
        self.write_bytes += o.write_bytes;
    }
}

/// Cumulative per-thread counters.
#[derive(Debug, Default, Clone, Copy)]
struct TaskCounters {
    run_delay_ns: u64,
    vcs: u64,
    ivcs: u64,
}

impl TaskCounters {
    fn add(&mut self, o: &Self) {
        self.run_delay_ns += o.run_delay_ns;
        self.vcs += o.vcs;
        self.ivcs += o.ivcs;
    }
}

/// Counters of one process or thread, with the sample that last saw it.
#[derive(Debug)]
struct Tracked<C> {
    counters: C,
    seen: u64,
}

/// Gauges of one sample.
#[derive(Debug, Default)]
struct Gauges {
    pids: usize,
    threads: usize,
    running: usize,
    d_state: usize,
    sleeping: usize,
    rss_pages: u64,
    fds: usize,
    io_readable: bool,
}

/// Samples the USE metrics of a process tree; see the module docs.
#[derive(Debug)]
pub struct UseSampler {
    selector: ProcessSelector,
    start: Instant,
    roots: Vec<i32>,
    roots_at: Option<Instant>,
    /// Roots and descendants, sorted.
    pids: Vec<i32>,
    tree_at: Option<Instant>,
    tree: ProcessTree,
    walker: TreeWalker,
    info: InfoCache,
    procs: HashMap<(i32, u64), Tracked<ProcCounters>>,
    tasks: HashMap<(i32, u64), Tracked<TaskCounters>>,
    retired_procs: ProcCounters,
    retired_tasks: TaskCounters,
    accounts: Accounts,
    generation: u64,
    reader: ProcReader,
    tids: Vec<i32>,
    page_size: u64,
    ticks: f64,
}

impl UseSampler {
    /// A sampler of the processes `selector` names and their descendants. Nothing is read until
    /// the first [`UseSampler::sample`]; [`UseSample::t`] counts from now.
    pub fn new(selector: ProcessSelector) -> Self {
        Self {
            selector,
            start: Instant::now(),
            roots: Vec::new(),
            roots_at: None,
            pids: Vec::new(),
            tree_at: None,
            tree: ProcessTree::default(),
            walker: TreeWalker::default(),
            info: InfoCache::default(),
            procs: HashMap::new(),
            tasks: HashMap::new(),
            retired_procs: ProcCounters::default(),
            retired_tasks: TaskCounters::default(),
            accounts: Accounts::default(),
            generation: 0,
            reader: ProcReader::default(),
            tids: Vec::new(),
            page_size: procfs::page_size().max(1),
            ticks: ticks_per_second() as f64,
        }
    }

    /// The selector being sampled.
    pub fn selector(&self) -> &ProcessSelector {
        &self.selector
    }

    /// The processes (roots and descendants) the next sample will read.
    pub fn pids(&self) -> &[i32] {
        &self.pids
    }

    /// The tree as of the latest refresh (every [`TREE_REFRESH`]), with roles and runtimes.
    pub fn tree(&self) -> &ProcessTree {
        &self.tree
    }

    /// Per-process and per-thread use from the first sample to the latest (see
    /// [`crate::window`]).
    pub fn window(&self) -> TreeWindow {
        self.accounts.window(self.ticks)
    }

    /// Every process identity `(pid, starttime)` seen since the first sample (what
    /// [`crate::HostNoiseMeter::finish`] counts as the target).
    pub fn identities(&self) -> Vec<(i32, u64)> {
        self.accounts.identities()
    }

    /// Samples now. `None` when no process matches (none was ever found, or all have exited and
    /// no replacement matches the selector).
    pub fn sample(&mut self) -> Option<UseSample> {
        let now = Instant::now();
        let mut refreshed = self.tree_at.is_none_or(|at| now - at >= TREE_REFRESH);
        if refreshed {
            self.refresh_tree(now, false);
        }
        self.accounts.begin(now);
        let mut gauges = self.read_all();
        if gauges.pids == 0 && !refreshed {
            // Everything we knew is gone: follow a restart or a new process at once.
            self.refresh_tree(now, true);
            refreshed = true;
            gauges = self.read_all();
        }
        if refreshed {
            self.read_memory();
            self.accounts.prune();
        }
        let gen = self.generation;
        let (retired_procs, retired_tasks) = (&mut self.retired_procs, &mut self.retired_tasks);
        self.procs.retain(|_, p| {
            let keep = p.seen == gen;
            if !keep {
                retired_procs.add(&p.counters);
            }
            keep
        });
        self.tasks.retain(|_, t| {
            let keep = t.seen == gen;
            if !keep {
                retired_tasks.add(&t.counters);
            }
            keep
        });
        if gauges.pids == 0 {
            return None;
        }
        let mut procs = self.retired_procs;
        self.procs.values().for_each(|p| procs.add(&p.counters));
        let mut tasks = self.retired_tasks;
        self.tasks.values().for_each(|t| tasks.add(&t.counters));
        Some(UseSample {
            t: now - self.start,
            pids: gauges.pids,
            threads: gauges.threads,
            cpu_user_s: procs.utime as f64 / self.ticks,
            cpu_system_s: procs.stime as f64 / self.ticks,
            run_delay_s: tasks.run_delay_ns as f64 / 1e9,
            voluntary_cs: tasks.vcs,
            involuntary_cs: tasks.ivcs,
            threads_running: gauges.running,
            threads_d_state: gauges.d_state,
            threads_sleeping: gauges.sleeping,
            rss_bytes: gauges.rss_pages * self.page_size,
            fds: gauges.fds,
            read_bytes: procs.read_bytes,
            write_bytes: procs.write_bytes,
            io_readable: gauges.io_readable,
        })
    }

    /// Re-resolves the selector when due (or `force`d) and re-reads the tree below the roots.
    fn refresh_tree(&mut self, now: Instant, force: bool) {
        let resolve_due = force
            || self.roots.is_empty()
            || !self.selector.is_by_name()
            || self.roots_at.is_none_or(|at| now - at >= RESOLVE_EVERY);
        if resolve_due {
            // An unreadable pid file or /proc means "nothing to observe right now"; retried later.
            self.roots = self.selector.resolve().unwrap_or_default();
            self.roots_at = Some(now);
        }
        self.tree = self.walker.tree(&self.roots, &mut self.info);
        let live: Vec<(i32, u64)> = self
            .tree
            .processes
            .iter()
            .map(|p| (p.pid, p.starttime))
            .collect();
        self.info.retain(&live);
        self.pids = self.tree.pids();
        self.pids.sort_unstable();
        self.pids.dedup();
        self.tree_at = Some(now);
    }

    /// Reads `smaps_rollup` of every process of the tree (once per refresh: the kernel walks the
    /// page tables for it) and gives roles and runtimes to the accounts.
    fn read_memory(&mut self) {
        self.accounts.describe(&self.tree);
        for p in &self.tree.processes {
            let rollup = self
                .reader
                .read(p.pid, None, "smaps_rollup")
                .and_then(procread::parse_smaps_rollup);
            self.accounts.memory(p.pid, p.starttime, rollup);
        }
    }

    /// Reads every known process; marks what it saw with a new generation.
    fn read_all(&mut self) -> Gauges {
        self.generation += 1;
        let mut gauges = Gauges {
            io_readable: true,
            ..Gauges::default()
        };
        for i in 0..self.pids.len() {
            let pid = self.pids[i];
            self.read_process(pid, &mut gauges);
        }
        gauges
    }

    /// Reads one process and its threads into `gauges` and the counter maps; a process that is
    /// gone or a zombie adds nothing.
    fn read_process(&mut self, pid: i32, gauges: &mut Gauges) {
        let gen = self.generation;
        let Some(text) = self.reader.read(pid, None, "stat") else {
            return;
        };
        let Some(stat) = procread::parse_stat(text) else {
            return;
        };
        if matches!(stat.state, b'Z' | b'X') {
            return;
        }
        let mut comm = [0u8; 16];
        let comm_len = copy_comm(text, &mut comm);
        let mut counters = ProcCounters {
            utime: stat.utime,
            stime: stat.stime,
            ..ProcCounters::default()
        };
        let io = self
            .reader
            .read(pid, None, "io")
            .and_then(procread::parse_io);
        match io {
            Some((read, write)) => (counters.read_bytes, counters.write_bytes) = (read, write),
            None => gauges.io_readable = false,
        }
        gauges.pids += 1;
        let rss_pages = self
            .reader
            .read(pid, None, "statm")
            .and_then(procread::parse_statm_resident)
            .unwrap_or(0);
        gauges.rss_pages += rss_pages;
        let fds = self.reader.count_entries(pid, "fd").unwrap_or(0);
        gauges.fds += fds;
        let threads_before = gauges.threads;
        self.procs.insert(
            (pid, stat.starttime),
            Tracked {
                counters,
                seen: gen,
            },
        );

        let mut tids = std::mem::take(&mut self.tids);
        if self.reader.list_ids(pid, "task", &mut tids) {
            for &tid in &tids {
                self.read_task(pid, tid, gauges);
            }
        }
        self.tids = tids;
        self.accounts.process(&ProcReading {
            pid,
            starttime: stat.starttime,
            ticks: stat.utime + stat.stime,
            io,
            rss_bytes: rss_pages * self.page_size,
            fds,
            threads: gauges.threads - threads_before,
            comm: &comm[..comm_len],
            ppid: stat.ppid,
        });
    }

    fn read_task(&mut self, pid: i32, tid: i32, gauges: &mut Gauges) {
        let Some(text) = self.reader.read(pid, Some(tid), "stat") else {
            return;
        };
        let Some(stat) = procread::parse_stat(text) else {
            return;
        };
        let mut comm = [0u8; 16];
        let comm_len = copy_comm(text, &mut comm);
        let sched = self
            .reader
            .read(pid, Some(tid), "schedstat")
            .and_then(procread::parse_schedstat);
        if let Some(sched) = sched {
            self.accounts
                .thread(pid, tid, stat.starttime, &comm[..comm_len], sched);
        }
        let run_delay_ns = sched.map(|(_, delay)| delay);
        let switches = self
            .reader
            .read(pid, Some(tid), "status")
            .and_then(procread::parse_ctxt_switches);
        let key = (tid, stat.starttime);
        let previous = self.tasks.get(&key).map(|t| t.counters);
        // A file that vanished mid-read keeps the thread's last-known value.
        let counters = TaskCounters {
            run_delay_ns: run_delay_ns
                .or(previous.map(|p| p.run_delay_ns))
                .unwrap_or(0),
            vcs: switches
                .map(|s| s.0)
                .or(previous.map(|p| p.vcs))
                .unwrap_or(0),
            ivcs: switches
                .map(|s| s.1)
                .or(previous.map(|p| p.ivcs))
                .unwrap_or(0),
        };
        self.tasks.insert(
            key,
            Tracked {
                counters,
                seen: self.generation,
            },
        );
        gauges.threads += 1;
        match stat.state {
            b'R' => gauges.running += 1,
            b'D' => gauges.d_state += 1,
            b'S' => gauges.sleeping += 1,
            _ => {}
        }
    }
}

/// Copies the command name of a `stat` text into `out` (at most 16 bytes); its length.
fn copy_comm(stat: &[u8], out: &mut [u8; 16]) -> usize {
    let comm = procread::parse_comm(stat).unwrap_or_default();
    let n = comm.len().min(out.len());
    out[..n].copy_from_slice(&comm[..n]);
    n
}

/// Runs a [`UseSampler`] at `hz` samples per second (clamped to 10..=100) on its own thread until
/// `stop` is set or `max` has elapsed, and returns the samples (instants when nothing matched are
/// left out). Memory is bounded: at most `max × hz` samples are kept. Sampling instants are on a
/// fixed grid; if a sample overruns, the missed instants are skipped rather than caught up.
pub fn sample_for(
    selector: ProcessSelector,
    hz: u32,
    max: Duration,
    stop: &AtomicBool,
) -> Vec<UseSample> {
    let mut sampler = UseSampler::new(selector);
    std::thread::scope(|scope| {
        scope
            .spawn(|| run(&mut sampler, hz, max, stop))
            .join()
            .unwrap_or_default()
    })
}

/// The sampling loop of [`sample_for`] on a caller's sampler (`hz` clamped to 10..=100).
pub(crate) fn run(
    sampler: &mut UseSampler,
    hz: u32,
    max: Duration,
    stop: &AtomicBool,
) -> Vec<UseSample> {
    let hz = hz.clamp(10, 100);
    let cap =
        usize::try_from(max.as_nanos() * u128::from(hz) / 1_000_000_000).unwrap_or(usize::MAX);
    let period = Duration::from_secs(1) / hz;
    let begin = Instant::now();
    let end = begin + max;
    let mut out = Vec::with_capacity(cap.min(4096));
    let mut next = begin;
    while out.len() < cap && !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if now < next {
            std::thread::sleep((next - now).min(end - now));
            continue;
        }
        if let Some(sample) = sampler.sample() {
            out.push(sample);
        }
        next += period;
        let after = Instant::now();
        if next < after {
            // Overran: skip the instants already past instead of sampling in a burst.
            let behind = (after - next).as_nanos() / period.as_nanos().max(1) + 1;
            let skip = period * u32::try_from(behind).unwrap_or(u32::MAX);
            next = next.checked_add(skip).unwrap_or(after);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_itself_and_retires_exited_threads() {
        let own = i32::try_from(std::process::id()).expect("pid");
        let mut sampler = UseSampler::new(ProcessSelector::Pid(own));
        let first = sampler.sample().expect("own process");
        assert!(first.pids >= 1 && first.threads >= 1);
        assert!(first.io_readable || first.read_bytes == 0);
        // A short-lived thread that blocks a few times, then exits.
        std::thread::spawn(|| {
            for _ in 0..20 {
                std::thread::sleep(Duration::from_millis(1));
            }
        })
        .join()
        .expect("thread");
        let second = sampler.sample().expect("own process");
        assert!(second.voluntary_cs >= first.voluntary_cs);
        assert!(second.cpu_user_s + second.cpu_system_s >= first.cpu_user_s + first.cpu_system_s);
        assert!(second.t > first.t);
    }

    #[test]
    fn nothing_matches() {
        let mut sampler = UseSampler::new(ProcessSelector::Name(String::new()));
        assert_eq!(sampler.sample(), None);
        assert!(sampler.pids().is_empty());
    }
}
