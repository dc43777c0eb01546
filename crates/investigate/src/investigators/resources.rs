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
use perfhive_probe::{ProcessSelector, UseSample, UseSummary};
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

/// The USE verdicts and findings from a summary and the per-second RSS series (pure: tested on
/// recorded data).
pub fn assess(
    s: &UseSummary,
    cores: usize,
    t: &[f64],
    y: &[f64],
) -> (Vec<Finding>, Vec<UseVerdict>, Option<perfhive_stats::Trend>) {
    let mut findings = Vec::new();
    let mut verdicts = Vec::new();
    if s.cpu_utilization >= 0.85 || s.run_queue_wait_ratio >= 0.5 {
        verdicts.push(UseVerdict::CpuBound);
        findings.push(
            finding(
                "cpu-bound",
                "cpu",
                format!(
                    "CPU-bound: {:.0}% of {} cores busy",
                    100.0 * s.cpu_utilization,
                    cores
                ),
                format!(
                    "{:.2} cores busy; run-queue wait {:.2} thread-s per s (saturation)",
                    s.cpu_busy_cores, s.run_queue_wait_ratio
                ),
            )
            .severity(0.8)
            .share(s.cpu_utilization.min(1.0))
            .evidence([
                ev(
                    "CPU utilisation",
                    100.0 * s.cpu_utilization,
                    "%",
                    "cpu_utilization",
                ),
                ev(
                    "run-queue wait",
                    s.run_queue_wait_ratio,
                    "thread-s/s",
                    "run_queue_wait_ratio",
                ),
            ])
            .recommend(Recommendation {
                action: "profile the hot code and cut CPU per request (perfhive profile)".into(),
                impact: "throughput scales with the CPU saved".into(),
                expected_speedup: None,
                effort: Effort::Medium,
                risk: "behaviour changes in optimised code".into(),
                mitigation: "compare before/after with perfhive compare".into(),
            }),
        );
    }
    if s.d_state_fraction >= 0.05 || (s.write_mb_per_s >= 1.0 && s.cpu_utilization < 0.5) {
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
                    "CPU only {:.0}% busy while threads sit in uninterruptible I/O waits (fsync, writes)",
                    100.0 * s.cpu_utilization
                ),
            )
            .severity(0.7)
            .share(s.d_state_fraction.clamp(0.0, 1.0))
            .evidence([
                ev("threads in D state", 100.0 * s.d_state_fraction, "%", "d_state_fraction"),
                ev("writes", s.write_mb_per_s, "MiB/s", "write_mb_per_s"),
            ]),
        );
    }
    if s.cpu_utilization < 0.5 && s.vcs_per_s >= 1000.0 && s.d_state_fraction < 0.05 {
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
        let samples = perfhive_probe::sample_for(self.selector.clone(), self.hz, max, &ctx.stop);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let Some(s) = perfhive_probe::summarize(&samples, cores).filter(|s| s.samples >= 10) else {
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
        let (t, y) = per_second_rss(&samples);
        let (findings, verdicts, growth) = assess(&s, cores, &t, &y);
        let names: Vec<&str> = verdicts.iter().map(|v| v.as_str()).collect();
        let summary = format!(
            "{} samples over {:.1} s: CPU {:.0}% of {} cores, run-queue wait {:.2}, {:.0}% threads in D state, {:.0} vcs/s, RSS {:.1} → {:.1} MiB, writes {:.2} MiB/s; verdict: {}",
            s.samples,
            s.duration_s,
            100.0 * s.cpu_utilization,
            cores,
            s.run_queue_wait_ratio,
            100.0 * s.d_state_fraction,
            s.vcs_per_s,
            s.rss_start_mb,
            s.rss_end_mb,
            s.write_mb_per_s,
            if names.is_empty() { "no resource saturated".to_string() } else { names.join(", ") }
        );
        let data = ResourcesData::Observed {
            summary: s,
            verdicts,
            rss_per_second: y,
            growth,
        };
        Ok(InvestigatorResult::from_findings(
            RESOURCES,
            summary,
            findings,
            Some(data.into()),
        ))
    }
}
