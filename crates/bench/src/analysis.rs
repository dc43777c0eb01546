//! From samples to the benchmark record: per-command summaries (mean ± sd, median with its
//! order-statistic 95% CI, min, max), outliers by modified z-score (flagged and warned, never
//! dropped), and each command against the reference on the primary metric: the ratio of means
//! with a bootstrap 95% CI, Mann–Whitney U with the Hodges–Lehmann shift, and Holm–Bonferroni
//! adjustment when several comparisons are made.

use crate::{Measured, Metric};
use perfhive_core::bench::{BenchRecord, CommandResult, PairComparison, Sample, SampleSummary};
use perfhive_core::record::{RunStatus, ToolInfo};
use perfhive_stats as stats;

/// Modified z-score above which a run is an outlier (Iglewicz & Hoaglin).
pub const OUTLIER_Z: f64 = 3.5;
/// Bootstrap resamples for the ratio interval.
const RESAMPLES: usize = 10_000;

fn summary(xs: &[f64]) -> SampleSummary {
    match stats::summarize(xs) {
        Some(s) => SampleSummary {
            n: s.n,
            mean: s.mean,
            stdev: s.stdev,
            median: s.median,
            median_ci: s.median_ci,
            min: s.min,
            max: s.max,
        },
        None => SampleSummary::default(),
    }
}

/// Options echoed into the record.
pub struct RecordInfo<'a> {
    /// Benchmark name.
    pub name: &'a str,
    /// Start, RFC 3339.
    pub date: String,
    /// Primary metric.
    pub metric: Metric,
    /// Interleaved?
    pub interleaved: bool,
    /// Shell, if any.
    pub shell: Option<String>,
    /// Notes.
    pub notes: Option<String>,
}

/// Builds the record.
pub fn build_record(m: &Measured, info: RecordInfo<'_>) -> BenchRecord {
    let metric = info.metric;
    let mut warnings = Vec::new();
    let commands: Vec<CommandResult> = m
        .commands
        .iter()
        .zip(&m.samples)
        .map(|(c, runs)| {
            let col = |f: fn(&Sample) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
            let primary: Vec<f64> = runs.iter().map(|s| metric.of(s)).collect();
            let outliers = stats::mad_outliers(&primary, OUTLIER_Z);
            if !outliers.is_empty() {
                warnings.push(format!(
                    "`{}`: {} of {} runs are outliers (modified z-score > {OUTLIER_Z}); they are kept — a quieter machine or more warm-up may help",
                    c.name,
                    outliers.len(),
                    runs.len()
                ));
            }
            let failures = runs.iter().filter(|s| s.exit_code != 0).count() as u64;
            if failures > 0 {
                warnings.push(format!("`{}`: {failures} runs exited non-zero (--ignore-failure)", c.name));
            }
            if runs.len() < 5 {
                warnings.push(format!("`{}`: only {} runs; intervals are wide", c.name, runs.len()));
            }
            CommandResult {
                name: c.name.clone(),
                command: c.line.clone(),
                parameters: c.parameters.clone(),
                runs: runs.clone(),
                wall_s: summary(&col(|s| s.wall_s)),
                user_s: summary(&col(|s| s.user_s)),
                system_s: summary(&col(|s| s.system_s)),
                max_rss_mb: summary(&col(|s| s.max_rss_kb as f64 / 1024.0)),
                outliers,
                failures,
            }
        })
        .collect();
    let mut comparisons = Vec::new();
    if let Some((reference, rest)) = m.samples.split_first() {
        let a: Vec<f64> = reference.iter().map(|s| metric.of(s)).collect();
        for (i, cand) in rest.iter().enumerate() {
            let b: Vec<f64> = cand.iter().map(|s| metric.of(s)).collect();
            let ratio = stats::bootstrap_ratio(
                &a,
                &b,
                stats::Statistic::Mean,
                0.95,
                RESAMPLES,
                0x5eed + i as u64,
            );
            let mw = stats::mann_whitney_u(&a, &b);
            let hl = stats::hodges_lehmann(&a, &b, 0.95);
            comparisons.push(PairComparison {
                reference: m.commands[0].name.clone(),
                candidate: m.commands[i + 1].name.clone(),
                ratio: ratio.as_ref().map_or(f64::NAN, |r| r.ratio),
                ratio_ci: ratio
                    .as_ref()
                    .map_or((f64::NAN, f64::NAN), |r| (r.lo, r.hi)),
                p_value: mw.as_ref().map(|m| m.p_value),
                p_adjusted: None,
                shift: hl.as_ref().map(|h| h.estimate),
                shift_ci: hl.as_ref().map(|h| h.ci),
            });
        }
        let ps: Vec<f64> = comparisons
            .iter()
            .map(|c| c.p_value.unwrap_or(1.0))
            .collect();
        for (c, adj) in comparisons.iter_mut().zip(stats::holm_bonferroni(&ps)) {
            c.p_adjusted = c.p_value.map(|_| adj);
        }
    }
    BenchRecord {
        schema_version: perfhive_core::SCHEMA_VERSION.to_string(),
        kind: "bench".into(),
        tool: ToolInfo {
            name: "perfhive".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        name: info.name.to_string(),
        date: info.date,
        duration_s: m.elapsed.as_secs_f64(),
        status: if m.interrupted {
            RunStatus::Interrupted
        } else {
            RunStatus::Passed
        },
        metric: metric.as_str().into(),
        interleaved: info.interleaved,
        shell: info.shell,
        shell_overhead_s: m.shell_overhead.as_ref().map(|s| s.wall_s),
        rss_floor_mb: m.rss_floor_kb.map(|kb| kb as f64 / 1024.0),
        commands,
        comparisons,
        fingerprint: None,
        comparison: None,
        warnings,
        notes: info.notes,
    }
}
