//! A light off-CPU view: where threads are when they are *not* on a CPU.
//!
//! A CPU profile (perf's `cpu-clock` samples) only sees running code; time spent blocked on
//! locks, sleeping, or waiting for the disk is invisible in it. This module samples each
//! thread's scheduler state (field 3 of `/proc/<pid>/task/<tid>/stat`: `R` running or
//! runnable, `S` interruptible sleep, `D` uninterruptible — usually disk — wait) and its wait
//! channel (`/proc/<pid>/task/<tid>/wchan`, the kernel function it sleeps in, e.g.
//! `do_epoll_wait`, `futex_wait_queue`, `hrtimer_nanosleep`) at 20–100 Hz, and reports
//! per-thread state shares and the most frequent wait channels. This is the "thread state
//! sampling" idea behind Brendan Gregg's off-CPU analysis, without needing eBPF or sched
//! tracepoints (and so without privileges for one's own processes).
//!
//! Wait channels read as `0` when the kernel hides them (kptr_restrict without privileges)
//! or the thread is running; such samples only count towards the state shares.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::ProfileError;

/// Lowest and highest sampling rates accepted (requests outside are clamped).
pub const HZ_RANGE: (u32, u32) = (20, 100);

/// Per-thread state shares.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadStates {
    /// Thread id.
    pub tid: i32,
    /// Thread name (`comm`), as last seen.
    pub name: String,
    /// Number of times this thread was sampled.
    pub samples: u64,
    /// Percentage of samples in state `R` (on a CPU or waiting for one).
    pub running_pct: f64,
    /// Percentage of samples in state `S` (interruptible sleep: timers, sockets, locks…).
    pub sleeping_pct: f64,
    /// Percentage of samples in state `D` (uninterruptible sleep, usually disk I/O).
    pub disk_wait_pct: f64,
    /// Percentage of samples in any other state (stopped, traced, zombie, idle).
    pub other_pct: f64,
}

/// How often a wait channel was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct WchanShare {
    /// The kernel function threads were sleeping in.
    pub wchan: String,
    /// Number of thread samples sleeping there.
    pub samples: u64,
    /// Percentage of all thread samples (of all threads).
    pub pct: f64,
}

/// The result of [`sample`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffCpu {
    /// The process observed.
    pub pid: i32,
    /// The sampling rate used.
    pub hz: u32,
    /// Number of sampling rounds (each round looks at every thread).
    pub rounds: u64,
    /// How long sampling actually lasted (shorter if the process exited).
    pub elapsed: Duration,
    /// Shares over all thread samples: running (`R`).
    pub running_pct: f64,
    /// Shares over all thread samples: sleeping (`S`).
    pub sleeping_pct: f64,
    /// Shares over all thread samples: disk wait (`D`).
    pub disk_wait_pct: f64,
    /// Per thread, busiest (most running) first.
    pub threads: Vec<ThreadStates>,
    /// The most frequent wait channels (at most 10), most frequent first.
    pub top_wchan: Vec<WchanShare>,
}

#[derive(Default)]
struct Counts {
    name: String,
    running: u64,
    sleeping: u64,
    disk: u64,
    other: u64,
}

impl Counts {
    fn total(&self) -> u64 {
        self.running + self.sleeping + self.disk + self.other
    }
}

/// Samples the threads of `pid` at `hz` (clamped to [`HZ_RANGE`]) for `duration`, or until the
/// process exits.
///
/// Fails with [`ProfileError::NoSuchProcess`] if the process cannot be read at the start.
pub fn sample(pid: i32, duration: Duration, hz: u32) -> Result<OffCpu, ProfileError> {
    sample_until(pid, duration, hz, || false)
}

/// Like [`sample`], also stopping as soon as `stop()` returns true (checked every round).
pub fn sample_until(
    pid: i32,
    duration: Duration,
    hz: u32,
    stop: impl Fn() -> bool,
) -> Result<OffCpu, ProfileError> {
    sample_pids_until(&[pid], duration, hz, stop)
}

/// Samples the threads of every process in `pids` together (the processes of a service tree),
/// until `duration` passes, `stop()` is true, or all have exited. [`OffCpu::pid`] is the first.
pub fn sample_pids_until(
    pids: &[i32],
    duration: Duration,
    hz: u32,
    stop: impl Fn() -> bool,
) -> Result<OffCpu, ProfileError> {
    let first = pids.first().copied().unwrap_or(-1);
    let hz = hz.clamp(HZ_RANGE.0, HZ_RANGE.1);
    let period = Duration::from_secs_f64(1.0 / f64::from(hz));
    let start = Instant::now();
    let mut threads: HashMap<i32, Counts> = HashMap::new();
    let mut wchans: HashMap<String, u64> = HashMap::new();
    let mut rounds = 0u64;
    let mut next = start;
    loop {
        let mut any = false;
        for &pid in pids {
            let task_dir = format!("/proc/{pid}/task");
            let Some(tids) = list_tids(Path::new(&task_dir)) else {
                continue;
            };
            for tid in tids {
                let Some((name, state)) = read_stat(&format!("{task_dir}/{tid}/stat")) else {
                    continue; // the thread exited meanwhile
                };
                if matches!(state, 'Z' | 'X') {
                    continue; // exited, not yet reaped
                }
                any = true;
                let c = threads.entry(tid).or_default();
                c.name = name;
                match state {
                    'R' => c.running += 1,
                    'S' => c.sleeping += 1,
                    'D' => c.disk += 1,
                    _ => c.other += 1,
                }
                if state != 'R' {
                    if let Ok(w) = fs::read_to_string(format!("{task_dir}/{tid}/wchan")) {
                        let w = w.trim();
                        if !w.is_empty() && w != "0" {
                            *wchans.entry(w.to_owned()).or_default() += 1;
                        }
                    }
                }
            }
        }
        if !any {
            if rounds == 0 {
                return Err(ProfileError::NoSuchProcess { pid: first });
            }
            break;
        }
        rounds += 1;
        next += period;
        let now = Instant::now();
        if now.duration_since(start) >= duration || stop() {
            break;
        }
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now; // fell behind: do not burst to catch up
        }
    }
    Ok(summarise(
        first,
        hz,
        rounds,
        start.elapsed(),
        threads,
        wchans,
    ))
}

fn summarise(
    pid: i32,
    hz: u32,
    rounds: u64,
    elapsed: Duration,
    threads: HashMap<i32, Counts>,
    wchans: HashMap<String, u64>,
) -> OffCpu {
    let pct = |n: u64, of: u64| {
        if of == 0 {
            0.0
        } else {
            n as f64 * 100.0 / of as f64
        }
    };
    let all: u64 = threads.values().map(Counts::total).sum();
    let sum = |f: fn(&Counts) -> u64| threads.values().map(f).sum::<u64>();
    let (running, sleeping, disk) = (sum(|c| c.running), sum(|c| c.sleeping), sum(|c| c.disk));
    let mut per_thread: Vec<ThreadStates> = threads
        .into_iter()
        .map(|(tid, c)| {
            let n = c.total();
            ThreadStates {
                tid,
                samples: n,
                running_pct: pct(c.running, n),
                sleeping_pct: pct(c.sleeping, n),
                disk_wait_pct: pct(c.disk, n),
                other_pct: pct(c.other, n),
                name: c.name,
            }
        })
        .collect();
    per_thread.sort_by(|a, b| {
        b.running_pct
            .total_cmp(&a.running_pct)
            .then(a.tid.cmp(&b.tid))
    });
    let mut top_wchan: Vec<WchanShare> = wchans
        .into_iter()
        .map(|(wchan, samples)| WchanShare {
            pct: pct(samples, all),
            wchan,
            samples,
        })
        .collect();
    top_wchan.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.wchan.cmp(&b.wchan)));
    top_wchan.truncate(10);
    OffCpu {
        pid,
        hz,
        rounds,
        elapsed,
        running_pct: pct(running, all),
        sleeping_pct: pct(sleeping, all),
        disk_wait_pct: pct(disk, all),
        threads: per_thread,
        top_wchan,
    }
}

fn list_tids(task_dir: &Path) -> Option<Vec<i32>> {
    let entries = fs::read_dir(task_dir).ok()?;
    Some(
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect(),
    )
}

/// Reads `(comm, state)` from a `stat` file. `comm` may contain spaces and parentheses, so
/// the state is the first field after the *last* `)`.
fn read_stat(path: &str) -> Option<(String, char)> {
    let text = fs::read_to_string(path).ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<(String, char)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_owned();
    let state = text.get(close + 1..)?.trim_start().chars().next()?;
    Some((name, state))
}

/// Finds the process that `parent` started (for `perf record -- CMD`, the profiled command),
/// waiting up to `timeout` for it to appear and to have exec'd away from `parent`'s name.
pub(crate) fn find_child(parent: u32, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    let parent_name = read_stat(&format!("/proc/{parent}/stat")).map(|(n, _)| n);
    while Instant::now() < deadline {
        let tids = list_tids(Path::new(&format!("/proc/{parent}/task")))?;
        for tid in tids {
            let Ok(children) = fs::read_to_string(format!("/proc/{parent}/task/{tid}/children"))
            else {
                continue;
            };
            for child in children
                .split_whitespace()
                .filter_map(|c| c.parse::<i32>().ok())
            {
                let name = read_stat(&format!("/proc/{child}/stat")).map(|(n, _)| n);
                let still_perf = name
                    .as_deref()
                    .is_some_and(|n| n.starts_with("perf") || Some(n) == parent_name.as_deref());
                if name.is_some() && !still_perf {
                    return Some(child);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command};

    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn parses_stat_with_odd_names() {
        assert_eq!(
            parse_stat("42 (a) b (c)) S 1 42 42 0 -1"),
            Some(("a) b (c)".to_owned(), 'S'))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn sleep_is_mostly_sleeping() {
        let child = Kill(Command::new("sleep").arg("2").spawn().unwrap());
        let pid = child.0.id() as i32;
        let off = sample(pid, Duration::from_millis(800), 50).unwrap();
        assert!(off.rounds >= 20, "{off:?}");
        assert!(off.sleeping_pct > 90.0, "{off:?}");
        assert_eq!(off.threads.len(), 1);
        assert_eq!(off.threads[0].name, "sleep");
    }

    #[test]
    fn busy_loop_is_mostly_running() {
        let child = Kill(
            Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .spawn()
                .unwrap(),
        );
        let pid = child.0.id() as i32;
        let off = sample(pid, Duration::from_millis(800), 50).unwrap();
        assert!(off.running_pct > 80.0, "{off:?}");
        assert!(off.threads[0].running_pct > 80.0, "{off:?}");
    }

    #[test]
    fn stops_when_process_exits_and_rejects_missing() {
        let mut child = Command::new("sleep").arg("0.2").spawn().unwrap();
        let pid = child.id() as i32;
        let reaper = std::thread::spawn(move || child.wait());
        let off = sample(pid, Duration::from_secs(10), 100).unwrap();
        assert!(off.elapsed < Duration::from_secs(5), "{off:?}");
        reaper.join().unwrap().unwrap();
        assert!(matches!(
            sample(pid, Duration::from_millis(100), 50),
            Err(ProfileError::NoSuchProcess { .. })
        ));
    }
}
