//! Host noise during a measurement window: CPU stolen by the hypervisor and CPU used by
//! processes that are neither the target nor perfhive.
//!
//! A measurement on a shared machine is only as good as the machine was quiet. Two sources:
//!
//! * **Steal time**: `/proc/stat`'s `steal` column (`proc(5)`): time a virtual CPU was ready to
//!   run but the hypervisor ran something else. It is reported as a share of all the host's CPU
//!   time (`Δsteal / Δ(all columns but guest)`).
//! * **Other processes**: the host's busy CPU (`user + nice + system + irq + softirq` of
//!   `/proc/stat`) minus the target tree's and perfhive's own (perfhive's process and every
//!   descendant that is not the target: its profilers). Because `/proc/stat` also counts
//!   processes that started and exited inside the window, this difference is the authoritative
//!   figure; the processes named in [`HostNoise::top_others`] come from differencing every
//!   `/proc/<pid>/stat` between the window's ends (pid and start time matched, a process that
//!   started inside the window counted from zero), as `top` does.
//!
//! [`HostNoise::confidence`] turns the two into a factor an investigator multiplies its
//! confidence by.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::procread::{self, ProcReader};
use crate::ticks_per_second;

/// Steal at or above this share of the host's CPU makes a window noisy.
pub const NOISY_STEAL_PCT: f64 = 5.0;

/// Other processes using at least this share of the host's cores make a window noisy.
pub const NOISY_OTHERS_SHARE: f64 = 0.25;

/// How many other processes [`HostNoise::top_others`] names.
const TOP_OTHERS: usize = 5;

/// Another process's CPU during the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherProcess {
    /// Process id.
    pub pid: i32,
    /// Process name.
    pub comm: String,
    /// CPU in cores (1.0 = one core all the window).
    pub cores: f64,
}

/// What the host did besides the measurement, over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostNoise {
    /// Window length, seconds.
    pub duration_s: f64,
    /// CPUs of the host (`/proc/stat` per-CPU lines).
    pub cores: usize,
    /// Steal time, percent of the host's CPU time.
    pub steal_pct: f64,
    /// Busy CPU of the whole host, cores.
    pub host_busy_cores: f64,
    /// CPU of the target tree, cores.
    pub target_cores: f64,
    /// CPU of perfhive and the tools it started (load generator, profilers), cores.
    pub own_cores: f64,
    /// CPU of every other process, cores.
    pub other_cores: f64,
    /// The busiest other processes, busiest first.
    pub top_others: Vec<OtherProcess>,
}

impl HostNoise {
    /// Share of the host's cores other processes used (0–1).
    pub fn others_share(&self) -> f64 {
        self.other_cores / self.cores.max(1) as f64
    }

    /// Whether steal or other processes reached the noisy thresholds ([`NOISY_STEAL_PCT`],
    /// [`NOISY_OTHERS_SHARE`]).
    pub fn is_noisy(&self) -> bool {
        self.steal_pct >= NOISY_STEAL_PCT || self.others_share() >= NOISY_OTHERS_SHARE
    }

    /// A factor in `[0.5, 1]` to multiply a confidence by: `1 / (1 + 4·steal + 2·others)`, with
    /// steal and others as shares of the host's CPU; a quiet host gives 1, 10 % steal or a
    /// quarter of the cores busy elsewhere give about 0.7.
    pub fn confidence(&self) -> f64 {
        let steal = (self.steal_pct / 100.0).max(0.0);
        (1.0 / (1.0 + 4.0 * steal + 2.0 * self.others_share().max(0.0))).clamp(0.5, 1.0)
    }

    /// One sentence: `steal 3.1%, other processes 0.6 of 2 cores (rustc 0.4, …)`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "steal {:.1}% of the host's CPU, other processes {:.2} of {} cores",
            self.steal_pct, self.other_cores, self.cores
        );
        if !self.top_others.is_empty() {
            let names: Vec<String> = self
                .top_others
                .iter()
                .take(3)
                .map(|o| format!("{} {:.2}", o.comm, o.cores))
                .collect();
            s.push_str(&format!(" ({})", names.join(", ")));
        }
        s
    }
}

/// The `cpu` line of `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct CpuTimes {
    busy: u64,
    steal: u64,
    total: u64,
}

/// A process at one end of the window.
#[derive(Debug, Clone)]
struct Proc {
    ppid: i32,
    ticks: u64,
    comm: String,
}

/// Measures [`HostNoise`] between [`HostNoiseMeter::start`] and [`HostNoiseMeter::finish`].
#[derive(Debug)]
pub struct HostNoiseMeter {
    at: Instant,
    boot_ticks: u64,
    cpu: CpuTimes,
    procs: HashMap<(i32, u64), Proc>,
}

impl HostNoiseMeter {
    /// Opens the window now (reads `/proc/stat` and every `/proc/<pid>/stat`).
    pub fn start() -> Self {
        Self {
            at: Instant::now(),
            boot_ticks: crate::window::boot_ticks(),
            cpu: read_cpu_times().unwrap_or_default(),
            procs: read_all_processes(),
        }
    }

    /// Closes the window. `target` holds the `(pid, starttime)` of every process of the target
    /// tree seen during the window; `target_cpu_s`, when known (a [`crate::TreeWindow`]'s
    /// `cpu_s`), also counts target processes that exited before the window closed.
    pub fn finish(self, target: &[(i32, u64)], target_cpu_s: Option<f64>) -> HostNoise {
        let end_cpu = read_cpu_times().unwrap_or_default();
        let end = read_all_processes();
        let duration_s = self.at.elapsed().as_secs_f64();
        let cores = host_cores();
        let tps = ticks_per_second() as f64;
        let cores_of = |ticks: u64| {
            if duration_s > 0.0 {
                ticks as f64 / tps / duration_s
            } else {
                0.0
            }
        };
        let d_total = end_cpu.total.saturating_sub(self.cpu.total);
        let d_busy = end_cpu.busy.saturating_sub(self.cpu.busy);
        let d_steal = end_cpu.steal.saturating_sub(self.cpu.steal);
        let steal_pct = if d_total > 0 {
            d_steal as f64 * 100.0 / d_total as f64
        } else {
            0.0
        };
        // /proc/stat counts every CPU: busy ticks over all CPUs, as cores.
        let host_busy_cores = if d_total > 0 {
            d_busy as f64 / d_total as f64 * cores as f64
        } else {
            0.0
        };
        let target: HashSet<(i32, u64)> = target.iter().copied().collect();
        let own = own_processes(&end, &target);
        let (mut target_ticks, mut own_ticks) = (0u64, 0u64);
        let mut others = Vec::new();
        for (key, p) in &end {
            let base = match self.procs.get(key) {
                Some(before) => before.ticks,
                None if key.1 >= self.boot_ticks => 0,
                // Already running but missed at the start (the scan raced its creation).
                None => p.ticks,
            };
            let used = p.ticks.saturating_sub(base);
            if target.contains(key) {
                target_ticks += used;
            } else if own.contains(key) {
                own_ticks += used;
            } else if used > 0 {
                others.push(OtherProcess {
                    pid: key.0,
                    comm: p.comm.clone(),
                    cores: cores_of(used),
                });
            }
        }
        others.sort_by(|a, b| b.cores.total_cmp(&a.cores).then(a.pid.cmp(&b.pid)));
        let named_others: f64 = others.iter().map(|o| o.cores).sum();
        others.truncate(TOP_OTHERS);
        let known = target_cpu_s.map_or(0.0, |s| {
            if duration_s > 0.0 {
                s / duration_s
            } else {
                0.0
            }
        });
        let (target_cores, own_cores) = (cores_of(target_ticks).max(known), cores_of(own_ticks));
        let other_cores = (host_busy_cores - target_cores - own_cores)
            .max(named_others)
            .max(0.0);
        HostNoise {
            duration_s,
            cores,
            steal_pct,
            host_busy_cores,
            target_cores,
            own_cores,
            other_cores,
            top_others: others,
        }
    }
}

/// perfhive's process and its descendants that are not the target.
fn own_processes(
    procs: &HashMap<(i32, u64), Proc>,
    target: &HashSet<(i32, u64)>,
) -> HashSet<(i32, u64)> {
    let own_pid = i32::try_from(std::process::id()).unwrap_or(-1);
    let key_of: HashMap<i32, (i32, u64)> = procs.keys().map(|k| (k.0, *k)).collect();
    let mut own = HashSet::new();
    for key in procs.keys() {
        let mut pid = key.0;
        // Walk up the parents (bounded: pid 1's parent is 0).
        for _ in 0..64 {
            if pid == own_pid {
                own.insert(*key);
                break;
            }
            let Some(k) = key_of.get(&pid) else { break };
            if target.contains(k) {
                break;
            }
            pid = procs[k].ppid;
            if pid <= 0 {
                break;
            }
        }
    }
    own
}

fn read_cpu_times() -> Option<CpuTimes> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_cpu_line(text.lines().next()?)
}

/// `cpu  user nice system idle iowait irq softirq steal guest guest_nice`; guest time is already
/// inside user and nice, so it is not added again.
fn parse_cpu_line(line: &str) -> Option<CpuTimes> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = v[..] else {
        return None;
    };
    let busy = user + nice + system + irq + softirq;
    Some(CpuTimes {
        busy,
        steal,
        total: busy + idle + iowait + steal,
    })
}

fn host_cores() -> usize {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .map(|t| {
            t.lines()
                .filter(|l| {
                    l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit)
                })
                .count()
        })
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn read_all_processes() -> HashMap<(i32, u64), Proc> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    let mut reader = ProcReader::default();
    for entry in dir.filter_map(Result::ok) {
        let Some(pid) = procread::parse_id(&entry.file_name()) else {
            continue;
        };
        let Some(text) = reader.read(pid, None, "stat") else {
            continue;
        };
        let (Some(stat), Some(comm)) = (procread::parse_stat(text), procread::parse_comm(text))
        else {
            continue;
        };
        out.insert(
            (pid, stat.starttime),
            Proc {
                ppid: stat.ppid,
                ticks: stat.utime + stat.stime,
                comm: String::from_utf8_lossy(comm).into_owned(),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_line() {
        let t = parse_cpu_line("cpu  100 5 50 1000 20 3 2 40 7 0").expect("parses");
        assert_eq!(
            t,
            CpuTimes {
                busy: 160,
                steal: 40,
                total: 1220
            }
        );
        assert_eq!(parse_cpu_line("cpu0 1 2 3 4 5 6 7 8"), None);
        assert_eq!(parse_cpu_line("cpu 1 2"), None);
    }

    #[test]
    fn confidence_and_noise() {
        let mut n = HostNoise {
            duration_s: 2.0,
            cores: 2,
            steal_pct: 0.0,
            host_busy_cores: 1.0,
            target_cores: 1.0,
            own_cores: 0.0,
            other_cores: 0.0,
            top_others: Vec::new(),
        };
        assert_eq!(n.confidence(), 1.0);
        assert!(!n.is_noisy());
        n.other_cores = 0.5;
        assert!(n.is_noisy());
        assert!((n.confidence() - 1.0 / 1.5).abs() < 1e-12);
        n.other_cores = 0.0;
        n.steal_pct = 10.0;
        assert!(n.is_noisy());
        assert!((n.confidence() - 1.0 / 1.4).abs() < 1e-12);
        n.steal_pct = 90.0;
        assert_eq!(n.confidence(), 0.5);
        n.top_others.push(OtherProcess {
            pid: 7,
            comm: "rustc".into(),
            cores: 0.4,
        });
        assert!(n.describe().contains("rustc 0.40"), "{}", n.describe());
    }

    #[test]
    fn own_process_is_not_another() {
        let meter = HostNoiseMeter::start();
        let mut x = 0u64;
        let until = Instant::now() + std::time::Duration::from_millis(200);
        while Instant::now() < until {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
        }
        let noise = meter.finish(&[], None);
        let own = i32::try_from(std::process::id()).expect("pid");
        assert!(noise.top_others.iter().all(|o| o.pid != own), "{noise:?}");
        assert!(noise.cores >= 1);
        assert!(noise.own_cores > 0.0, "{noise:?}");
    }
}
