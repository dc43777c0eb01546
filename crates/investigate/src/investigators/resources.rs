//! The resources investigator, after Brendan Gregg's USE method (utilisation, saturation,
//! errors per resource): /proc sampled at 10–100 Hz for the target's processes and their
//! children while the other investigators drive load. Verdicts: CPU-bound, waiting on storage
//! (threads in D state, write throughput), lock- or sleep-bound (low CPU, many voluntary
//! context switches), memory or descriptor growth (Theil–Sen slope with a Mann–Kendall test,
//! over at least 30 s and 10% growth, so cache warm-up is not called a leak), or not enough data.

use crate::data::{ResourcesData, UseVerdict};
use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_probe::{CpuVerdict, HostNoise, ProcessSelector, UseSample, UseSummary};
use std::time::{Duration, Instant};

const RESOURCES: InvestigatorName = InvestigatorName::Resources;

/// Observes the target's processes.
pub struct ResourcesInvestigator {
    /// Which processes.
    pub selector: ProcessSelector,
    /// Samples per second (10..=100).
    pub hz: u32,
    /// How long to observe at most.
    pub duration: Duration,
}

/// Evidence at `path` inside the data (not the summary).
fn evp(label: &str, value: f64, unit: &str, path: &str) -> Evidence {
    Evidence::measured(label, value, unit, path)
}

fn ev(label: &str, value: f64, unit: &str, field: &str) -> Evidence {
    Evidence::measured(label, value, unit, &format!("summary/{field}"))
}

fn finding(id: &str, subject: &str, title: String, detail: impl Into<String>) -> Finding {
    Finding::new(RESOURCES, format!("resources.{id}"), subject, title, detail)
}

/// RSS per whole second (mean of the samples in it), for the trend test.
fn per_second_rss(samples: &[UseSample]) -> (Vec<f64>, Vec<f64>) {
    let mut t = Vec::new();
    let mut y = Vec::new();
    let mut sec = None;
    let (mut sum, mut n) = (0.0, 0.0);
    for s in samples {
        let k = s.t.as_secs();
        if sec.is_some_and(|c| c != k) {
            t.push(sec.unwrap_or(0) as f64);
            y.push(sum / n);
            sum = 0.0;
            n = 0.0;
        }
        sec = Some(k);
        sum += s.rss_bytes as f64 / 1048576.0;
        n += 1.0;
    }
    if n > 0.0 {
        t.push(sec.unwrap_or(0) as f64);
        y.push(sum / n);
    }
    (t, y)
}

/// The finding of the one CPU verdict, when it says the CPU limits the service: the tree
/// uses most of the cores, or one thread a whole core (with its cause and the fix that fits
/// its runtime).
fn cpu_finding(s: &UseSummary, cpu: &CpuVerdict) -> Option<(UseVerdict, Finding)> {
    let fix = cpu.fix()?;
    let (verdict, id, severity, share, evidence) = match cpu {
        CpuVerdict::SingleThreadSaturated { thread, cores, .. } => (
            UseVerdict::CpuBoundOneThread,
            "cpu-one-thread",
            0.8,
            (thread.demand_pct / 100.0 / *cores as f64).clamp(0.0, 1.0),
            vec![
                evp(
                    "busiest thread demand",
                    thread.demand_pct,
                    "% of a core",
                    "cpu/thread/demand_pct",
                ),
                evp(
                    "busiest thread CPU",
                    thread.cpu_pct,
                    "% of a core",
                    "cpu/thread/cpu_pct",
                ),
            ],
        ),
        CpuVerdict::CpuBound {
            busy_cores, cores, ..
        } => (
            UseVerdict::CpuBound,
            "cpu-bound",
            0.8,
            (busy_cores / *cores as f64).clamp(0.0, 1.0),
            vec![evp("CPU busy", *busy_cores, "cores", "cpu/busy_cores")],
        ),
        _ => return None,
    };
    let finding = finding(
        id,
        "cpu",
        cpu.headline(),
        format!(
            "{:.2} cores busy over the baseline; run-queue wait {:.2} thread-s per s",
            s.cpu_busy_cores, s.run_queue_wait_ratio
        ),
    )
    .severity(severity)
    .share(share)
    .evidence(evidence)
    .evidence([ev(
        "run-queue wait",
        s.run_queue_wait_ratio,
        "thread-s/s",
        "run_queue_wait_ratio",
    )])
    .recommend(Recommendation {
        action: fix,
        impact: "throughput scales with the cores the service can use, or the CPU saved".into(),
        expected_speedup: None,
        effort: Effort::Medium,
        risk: "more processes use more memory; optimised code can change behaviour".into(),
        mitigation: "measure memory per worker and compare before/after with perfhive compare"
            .into(),
    });
    Some((verdict, finding))
}

/// The USE verdicts and findings from a summary, the CPU verdict of the same window and the
/// per-second RSS series (pure: tested on recorded data). The CPU verdict is the only CPU
/// statement: the other rules never call the CPU idle when it says the CPU is the limit.
pub fn assess(
    s: &UseSummary,
    cpu: &CpuVerdict,
    t: &[f64],
    y: &[f64],
) -> (Vec<Finding>, Vec<UseVerdict>, Option<perfhive_stats::Trend>) {
    let mut findings = Vec::new();
    let mut verdicts = Vec::new();
    if let Some((verdict, f)) = cpu_finding(s, cpu) {
        verdicts.push(verdict);
        findings.push(f);
    }
    let cpu_idle = !cpu.is_cpu_limited() && s.cpu_utilization < 0.5;
    if s.d_state_fraction >= 0.05 || (s.write_mb_per_s >= 1.0 && cpu_idle) {
        verdicts.push(UseVerdict::IoWait);
        findings.push(
            finding(
                "io-wait",
                "storage-io",
                format!(
                    "threads wait on storage: {:.0}% in D state, {:.1} MiB/s written",
                    100.0 * s.d_state_fraction,
                    s.write_mb_per_s
                ),
                format!(
                    "{:.0}% of the threads' samples in uninterruptible I/O waits (fsync, writes)",
                    100.0 * s.d_state_fraction
                ),
            )
            .severity(0.7)
            .share(s.d_state_fraction.clamp(0.0, 1.0))
            .evidence([
                ev(
                    "threads in D state",
                    100.0 * s.d_state_fraction,
                    "%",
                    "d_state_fraction",
                ),
                ev("writes", s.write_mb_per_s, "MiB/s", "write_mb_per_s"),
            ]),
        );
    }
    if cpu_idle && s.vcs_per_s >= 1000.0 && s.d_state_fraction < 0.05 {
        verdicts.push(UseVerdict::LockOrSleepBound);
        findings.push(
            finding(
                "waiting",
                "waiting",
                format!(
                    "threads mostly wait: {:.0} voluntary context switches/s at {:.0}% CPU",
                    s.vcs_per_s,
                    100.0 * s.cpu_utilization
                ),
                "low CPU with many voluntary switches: locks, sleeps or calls downstream dominate",
            )
            .evidence([ev(
                "voluntary context switches",
                s.vcs_per_s,
                "/s",
                "vcs_per_s",
            )])
            .heuristic(),
        );
    }
    let growth = perfhive_stats::trend(t, y);
    if let Some(g) = &growth {
        // caches warm up in the first seconds: only a long enough window with real relative
        // growth counts as a trend
        let long_enough = s.duration_s >= 30.0;
        let relative = s.rss_end_mb >= 1.1 * s.rss_start_mb;
        if long_enough && relative && g.p_value < 0.01 && g.slope_per_s * 60.0 >= 1.0 {
            verdicts.push(UseVerdict::MemoryGrowth);
            findings.push(
                finding(
                    "memory-growth",
                    "memory",
                    format!("memory grows {:.1} MiB/min", g.slope_per_s * 60.0),
                    format!(
                        "RSS {:.1} → {:.1} MiB; Theil–Sen slope, Mann–Kendall p = {:.2e}",
                        s.rss_start_mb, s.rss_end_mb, g.p_value
                    ),
                )
                .severity(0.6)
                .evidence([ev("RSS at end", s.rss_end_mb, "MiB", "rss_end_mb")]),
            );
        }
    }
    if s.fds_end > s.fds_start + 20 {
        findings.push(
            finding(
                "fd-growth",
                "descriptors",
                format!("open descriptors grew {} → {}", s.fds_start, s.fds_end),
                "descriptors opened faster than closed during the run",
            )
            .severity(0.4)
            .evidence([ev("fds at end", s.fds_end as f64, "", "fds_end")]),
        );
    }
    (findings, verdicts, growth)
}

impl Investigator for ResourcesInvestigator {
    fn name(&self) -> InvestigatorName {
        RESOURCES
    }

    fn run(
        &mut self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        let max = self
            .duration
            .min(deadline.saturating_duration_since(Instant::now()));
        let obs = perfhive_probe::observe_for(self.selector.clone(), self.hz, max, &ctx.stop);
        let samples = &obs.samples;
        let cores = obs.cores;
        let Some(s) = perfhive_probe::summarize(samples, cores).filter(|s| s.samples >= 10) else {
            let summary = format!(
                "{} samples of {}: not enough to judge",
                samples.len(),
                self.selector.describe()
            );
            let data = ResourcesData::TooFewSamples {
                samples: samples.len(),
            };
            return Ok(InvestigatorResult::insufficient(
                RESOURCES,
                summary,
                Some(data.into()),
            ));
        };
        let (t, y) = per_second_rss(samples);
        let (mut findings, verdicts, growth) = assess(&s, &obs.cpu, &t, &y);
        lower_confidence(&mut findings, &obs.noise);
        let names: Vec<&str> = verdicts.iter().map(|v| v.as_str()).collect();
        let workers = obs
            .window
            .processes
            .iter()
            .filter(|p| p.alive && !matches!(p.role, perfhive_probe::ProcessRole::Launcher))
            .count();
        let summary = format!(
            "{} samples over {:.1} s of {} process(es) ({}): {}; run-queue wait {:.2}, {:.0}% threads in D state, {:.0} vcs/s, memory {:.1} MiB (RSS {:.1} → {:.1} MiB), writes {:.2} MiB/s; host: {}; verdict: {}",
            s.samples,
            s.duration_s,
            workers,
            busiest_threads(&obs.window.threads),
            obs.cpu.headline(),
            s.run_queue_wait_ratio,
            100.0 * s.d_state_fraction,
            s.vcs_per_s,
            obs.window.memory.footprint_bytes() as f64 / 1048576.0,
            s.rss_start_mb,
            s.rss_end_mb,
            s.write_mb_per_s,
            obs.noise.describe(),
            if names.is_empty() { "no resource saturated".to_string() } else { names.join(", ") }
        );
        let data = ResourcesData::Observed {
            summary: s,
            verdicts,
            rss_per_second: y,
            growth,
            cpu: Some(obs.cpu),
            threads: obs
                .window
                .threads
                .iter()
                .take(TOP_THREADS)
                .cloned()
                .collect(),
            memory: Some(obs.window.memory),
            processes: obs.window.processes,
            noise: Some(obs.noise),
        };
        Ok(InvestigatorResult::from_findings(
            RESOURCES,
            summary,
            findings,
            Some(data.into()),
        ))
    }
}

/// How many of the busiest threads the data keeps.
const TOP_THREADS: usize = 10;

/// The three busiest threads: `MainThread of python3 97%, …`.
fn busiest_threads(threads: &[perfhive_probe::ThreadUsage]) -> String {
    let top: Vec<String> = threads
        .iter()
        .take(3)
        .map(|t| {
            format!(
                "{} ({}) of {} pid {} {:.0}%",
                t.name, t.tid, t.process, t.pid, t.demand_pct
            )
        })
        .collect();
    if top.is_empty() {
        "no thread read".into()
    } else {
        format!("busiest threads by demand: {}", top.join(", "))
    }
}

/// On a noisy host (steal time, other processes' CPU), every finding's severity is lowered by
/// the noise's confidence factor and says why; a finding of its own reports the noise.
pub fn lower_confidence(findings: &mut Vec<Finding>, noise: &HostNoise) {
    if !noise.is_noisy() {
        return;
    }
    let c = noise.confidence();
    for f in findings.iter_mut() {
        f.severity *= c;
        f.detail.push_str(&format!(
            "; confidence lowered to {:.0}% by host noise ({})",
            100.0 * c,
            noise.describe()
        ));
    }
    findings.push(
        finding(
            "host-noise",
            "host-noise",
            format!(
                "the host was noisy during the measurement: {}",
                noise.describe()
            ),
            "other processes and steal time take CPU from the service and the load generator: \
             figures vary between runs; measure on a quiet host to confirm",
        )
        .severity(0.2)
        .evidence([
            evp("steal", noise.steal_pct, "%", "noise/steal_pct"),
            evp(
                "other processes",
                noise.other_cores,
                "cores",
                "noise/other_cores",
            ),
        ]),
    );
}
