//! Sampling CPU and memory of observed processes and their descendants, `top(1)`-style.
//!
//! The processes a selector names are roots: every sample also reads their descendants (see
//! [`crate::tree`]), so a service started through `sh -c`, or a pre-forking server's workers, are
//! observed rather than the shell or the master alone.
//!
//! CPU% is `Δ(utime + stime) / ticks_per_second / Δwall × 100`, percent of one core, computed
//! only over processes present in both samples — each identified by `(pid, starttime)` so a
//! reused pid is never mistaken for the old process. RSS is `/proc/<pid>/stat` `rss` pages times
//! the page size, summed; PSS (`smaps_rollup`) is summed too, so pages that pre-forked workers
//! share with their master count once ([`ObservedPoint::memory_mb`]). Samples are cheap (a
//! `stat` and an `smaps_rollup` read per pid and one walk for descendants); resolution by name,
//! which scans all of `/proc`, is repeated only every [`RESOLVE_EVERY`] or when every known pid
//! is gone.

use std::time::{Duration, Instant};

use procfs::process::Process;
use serde::{Deserialize, Serialize};

use crate::procread::{self, ProcReader};
use crate::tree::TreeWalker;
use crate::{ticks_per_second, ProcessSelector};

/// How often a [`ProcessSelector::Name`] is re-resolved to pick up new processes.
pub const RESOLVE_EVERY: Duration = Duration::from_secs(5);

const MIB: f64 = 1024.0 * 1024.0;

/// Raw totals over the observed processes at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSample {
    /// When the sample was taken.
    pub at: Instant,
    /// `utime + stime` summed over the processes, in clock ticks ([`ticks_per_second`]).
    pub cpu_ticks: u64,
    /// Resident set size summed over the processes, in bytes.
    pub rss_bytes: u64,
    /// Proportional set size summed over the processes, in bytes (`None`: some process's
    /// `smaps_rollup` was not readable).
    pub pss_bytes: Option<u64>,
    /// Threads summed over the processes.
    pub threads: u64,
    /// How many of the processes were alive and readable.
    pub alive: usize,
}

/// One observation, as reported: CPU percent, resident memory and process count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObservedPoint {
    /// CPU use since the previous sample in percent of one core (200 = two cores busy), like
    /// `top`; `None` on the first sample or after the processes were replaced.
    pub cpu_pct: Option<f64>,
    /// Resident set size in MiB, summed over the processes (shared pages counted once per
    /// process).
    pub rss_mb: f64,
    /// Proportional set size in MiB, summed over the processes (shared pages split among them);
    /// `None` when some process's `smaps_rollup` was not readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pss_mb: Option<f64>,
    /// How many processes were observed.
    pub pids: usize,
}

impl ObservedPoint {
    /// The memory the processes use together: Σ PSS when readable, else Σ RSS.
    pub fn memory_mb(&self) -> f64 {
        self.pss_mb.unwrap_or(self.rss_mb)
    }
}

/// CPU ticks of one process, keyed by pid and start time (pids are reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PidTicks {
    pid: i32,
    starttime: u64,
    ticks: u64,
}

#[derive(Debug, Clone)]
struct Snapshot {
    sample: ProcessSample,
    per_pid: Vec<PidTicks>,
}

/// Watches the processes a [`ProcessSelector`] names, across restarts.
#[derive(Debug)]
pub struct ProcessObserver {
    name: String,
    selector: ProcessSelector,
    roots: Vec<i32>,
    pids: Vec<i32>,
    resolved_at: Option<Instant>,
    last: Option<Snapshot>,
    walker: TreeWalker,
    reader: ProcReader,
}

impl ProcessObserver {
    /// An observer labelled `name` (for reports) watching what `selector` names. Nothing is read
    /// until the first [`ProcessObserver::sample`].
    pub fn new(name: impl Into<String>, selector: ProcessSelector) -> Self {
        Self {
            name: name.into(),
            selector,
            roots: Vec::new(),
            pids: Vec::new(),
            resolved_at: None,
            last: None,
            walker: TreeWalker::default(),
            reader: ProcReader::default(),
        }
    }

    /// The label given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The selector being observed.
    pub fn selector(&self) -> &ProcessSelector {
        &self.selector
    }

    /// The pids observed by the latest sample (the roots and their descendants).
    pub fn pids(&self) -> &[i32] {
        &self.pids
    }

    /// The raw totals of the latest successful sample.
    pub fn last_sample(&self) -> Option<&ProcessSample> {
        self.last.as_ref().map(|s| &s.sample)
    }

    /// Samples now. Re-resolves the selector when all known pids are gone (process restarted) or
    /// every ~5 s for Name selectors. Returns None when no process matches.
    pub fn sample(&mut self) -> Option<ObservedPoint> {
        let now = Instant::now();
        let due = self.roots.is_empty()
            || (self.selector.is_by_name()
                && self
                    .resolved_at
                    .is_none_or(|at| now.duration_since(at) >= RESOLVE_EVERY));
        if due {
            self.resolve(now);
        }
        let mut snap = self.read_tree(now);
        if snap.sample.alive == 0 && !due {
            // Every known process is gone: follow a restart.
            self.resolve(now);
            snap = self.read_tree(now);
        }
        self.pids = snap.per_pid.iter().map(|p| p.pid).collect();
        if snap.sample.alive == 0 {
            self.last = None;
            return None;
        }
        let cpu_pct = self.last.as_ref().and_then(|prev| cpu_pct(prev, &snap));
        let point = ObservedPoint {
            cpu_pct,
            rss_mb: snap.sample.rss_bytes as f64 / MIB,
            pss_mb: snap.sample.pss_bytes.map(|b| b as f64 / MIB),
            pids: snap.sample.alive,
        };
        self.last = Some(snap);
        Some(point)
    }

    fn resolve(&mut self, now: Instant) {
        // An unreadable pid file or /proc means "nothing to observe right now"; the next sample
        // retries, so a service that writes its pid file late is picked up.
        self.roots = self.selector.resolve().unwrap_or_default();
        self.resolved_at = Some(now);
    }

    /// Reads the roots and their descendants as they are now.
    fn read_tree(&mut self, at: Instant) -> Snapshot {
        let mut pids = self.roots.clone();
        self.walker.expand(&mut pids);
        read(&pids, at, &mut self.reader)
    }
}

/// Reads `/proc/<pid>/stat` and `smaps_rollup` of each pid, skipping processes that vanished or
/// became zombies.
fn read(pids: &[i32], at: Instant, reader: &mut ProcReader) -> Snapshot {
    let page = procfs::page_size();
    let mut sample = ProcessSample {
        at,
        cpu_ticks: 0,
        rss_bytes: 0,
        pss_bytes: Some(0),
        threads: 0,
        alive: 0,
    };
    let mut per_pid = Vec::with_capacity(pids.len());
    for &pid in pids {
        let Ok(stat) = Process::new(pid).and_then(|p| p.stat()) else {
            continue;
        };
        if matches!(stat.state, 'Z' | 'X') {
            continue;
        }
        let ticks = stat.utime + stat.stime;
        sample.cpu_ticks += ticks;
        sample.rss_bytes += stat.rss * page;
        let pss = reader
            .read(pid, None, "smaps_rollup")
            .and_then(procread::parse_smaps_rollup)
            .map(|r| r.pss);
        sample.pss_bytes = sample.pss_bytes.zip(pss).map(|(a, b)| a + b);
        sample.threads += u64::try_from(stat.num_threads).unwrap_or(0);
        sample.alive += 1;
        per_pid.push(PidTicks {
            pid,
            starttime: stat.starttime,
            ticks,
        });
    }
    Snapshot { sample, per_pid }
}

/// CPU percent of one core between two snapshots, over the processes present in both.
fn cpu_pct(prev: &Snapshot, cur: &Snapshot) -> Option<f64> {
    let wall = cur
        .sample
        .at
        .checked_duration_since(prev.sample.at)?
        .as_secs_f64();
    if wall <= 0.0 {
        return None;
    }
    let mut common = 0usize;
    let mut ticks = 0u64;
    for p in &cur.per_pid {
        let before = prev
            .per_pid
            .iter()
            .find(|q| q.pid == p.pid && q.starttime == p.starttime);
        if let Some(before) = before {
            common += 1;
            ticks += p.ticks.saturating_sub(before.ticks);
        }
    }
    if common == 0 {
        return None;
    }
    Some(ticks as f64 / ticks_per_second() as f64 / wall * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(at: Instant, per_pid: &[(i32, u64, u64)]) -> Snapshot {
        let per_pid: Vec<PidTicks> = per_pid
            .iter()
            .map(|&(pid, starttime, ticks)| PidTicks {
                pid,
                starttime,
                ticks,
            })
            .collect();
        Snapshot {
            sample: ProcessSample {
                at,
                cpu_ticks: per_pid.iter().map(|p| p.ticks).sum(),
                rss_bytes: 0,
                pss_bytes: None,
                threads: 0,
                alive: per_pid.len(),
            },
            per_pid,
        }
    }

    #[test]
    fn cpu_over_common_processes_only() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(2);
        let tps = ticks_per_second();
        let prev = snap(t0, &[(1, 10, 0), (2, 10, 500)]);
        // pid 1 used one core for 2 s; pid 2 was replaced (new start time); pid 3 is new.
        let cur = snap(t1, &[(1, 10, 2 * tps), (2, 99, 1), (3, 5, 7)]);
        let pct = cpu_pct(&prev, &cur).expect("common pid");
        assert!((pct - 100.0).abs() < 1e-9, "{pct}");
        assert_eq!(
            cpu_pct(&prev, &snap(t1, &[(2, 99, 1)])),
            None,
            "nothing in common"
        );
        assert_eq!(cpu_pct(&cur, &prev), None, "time going backwards");
    }
}
