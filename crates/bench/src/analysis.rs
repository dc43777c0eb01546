//! From samples to the benchmark record: per-command summaries (mean ± sd, median with its
//! order-statistic 95% CI, min, max), outliers by modified z-score (flagged and warned, never
//! dropped), and each command against the reference on the primary metric: the ratio of means
//! with a bootstrap 95% CI, Mann–Whitney U with the Hodges–Lehmann shift, and Holm–Bonferroni
//! adjustment when several comparisons are made.
//!
//! Outliers are kept in every statistic and listed in the record; they are *warned* about only
//! when they change a conclusion: the mean leaves its own 95% interval without them, or a
//! comparison with the reference changes significance or direction without them.

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

/// `1 run`, `3 runs`.
fn plural(n: usize, noun: &str) -> String {
    perfhive_core::text::count(n, noun, &format!("{noun}s"))
}

/// `1 of 29 runs is an outlier`, `2 of 29 runs are outliers`.
fn outlier_count(k: usize, n: usize) -> String {
    if k == 1 {
        format!("1 of {n} runs is an outlier (modified z-score > {OUTLIER_Z})")
    } else {
        format!("{k} of {n} runs are outliers (modified z-score > {OUTLIER_Z})")
    }
}

fn without(xs: &[f64], drop: &[usize]) -> Vec<f64> {
    xs.iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, x)| *x)
        .collect()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

fn show(metric: Metric, v: f64) -> String {
    match metric {
        Metric::Rss => format!("{v:.1} MiB"),
        _ if v.abs() >= 1.0 => format!("{v:.3} s"),
        _ if v.abs() >= 1e-3 => format!("{:.2} ms", v * 1e3),
        _ => format!("{:.1} µs", v * 1e6),
    }
}

/// How the outliers move the mean, when they move it out of its own 95% interval without them
/// (the interval of the mean of the other runs: ±1.96 standard errors).
fn mean_effect(xs: &[f64], outliers: &[usize], metric: Metric) -> Option<String> {
    if outliers.is_empty() {
        return None;
    }
    let clean = without(xs, outliers);
    if clean.len() < 2 {
        return None;
    }
    let (with, without) = (mean(xs), mean(&clean));
    let sd = stats::summarize(&clean).map_or(0.0, |s| s.stdev);
    let half = 1.96 * sd / (clean.len() as f64).sqrt();
    ((with - without).abs() > half).then(|| {
        let verb = if outliers.len() == 1 { "moves" } else { "move" };
        format!(
            "and {verb} the mean: {} with, {} without",
            show(metric, with),
            show(metric, without)
        )
    })
}

/// What the outliers change in a comparison: its significance (p < 0.05) or its direction.
fn comparison_effect(a: &[f64], oa: &[usize], b: &[f64], ob: &[usize]) -> Option<String> {
    let (ca, cb) = (without(a, oa), without(b, ob));
    let p = |x: &[f64], y: &[f64]| stats::mann_whitney_u(x, y).map(|m| m.p_value);
    let (with, clean) = (p(a, b)?, p(&ca, &cb)?);
    let verb = if oa.len() + ob.len() == 1 {
        "changes"
    } else {
        "change"
    };
    if (with < 0.05) != (clean < 0.05) {
        let (yes, no) = if with < 0.05 {
            ("with them", "without")
        } else {
            ("without them", "with")
        };
        return Some(format!(
            "{verb} the conclusion: the difference is significant {yes}, not {no} (p = {with:.3} with, {clean:.3} without)"
        ));
    }
    let up = |x: &[f64], y: &[f64]| mean(y) > mean(x);
    (with < 0.05 && up(a, b) != up(&ca, &cb))
        .then(|| format!("{verb} the direction of the difference"))
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
            if let Some(effect) = mean_effect(&primary, &outliers, metric) {
                warnings.push(format!("`{}`: {} {effect} (kept in every statistic; a quieter machine or more warm-up may help)", c.name, outlier_count(outliers.len(), runs.len())));
            }
            let failures = runs.iter().filter(|s| s.exit_code != 0).count() as u64;
            if failures > 0 {
                warnings.push(format!("`{}`: {} exited non-zero (--ignore-failure)", c.name, plural(failures as usize, "run")));
            }
            if runs.len() < 5 {
                warnings.push(format!("`{}`: only {}; intervals are wide", c.name, plural(runs.len(), "run")));
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
        for (i, cand) in rest.iter().enumerate() {
            let b: Vec<f64> = cand.iter().map(|s| metric.of(s)).collect();
            let (oa, ob) = (&commands[0].outliers, &commands[i + 1].outliers);
            if oa.is_empty() && ob.is_empty() {
                continue;
            }
            if let Some(change) = comparison_effect(&a, oa, &b, ob) {
                let who = [(0, oa), (i + 1, ob)]
                    .iter()
                    .filter(|(_, o)| !o.is_empty())
                    .map(|(k, o)| {
                        format!(
                            "{} of `{}`",
                            outlier_count(o.len(), m.samples[*k].len()),
                            commands[*k].name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" and ");
                warnings.push(format!(
                    "`{}` against `{}`: {who} {change} (kept in every statistic)",
                    commands[i + 1].name,
                    commands[0].name
                ));
            }
        }
    }
    BenchRecord {
        schema_version: perfhive_core::SCHEMA_VERSION.to_string(),
        kind: perfhive_core::record::RecordKind::Bench,
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
