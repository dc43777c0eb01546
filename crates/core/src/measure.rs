//! Measures: the comparable view of any record. Each record kind says which named scalars it
//! has, in which unit and direction, what statistic each one is (a mean, a quantile, a
//! maximum, a proportion), whose behaviour it describes (the target's or the load
//! generator's), with raw samples where they exist (bench runs, per-second throughput), a
//! histogram where one exists (load latency) and per-second values of the same statistic where
//! the run recorded them. `compare`, the history's metric index and change-point detection all
//! work on measures.

use crate::bench::{BenchRecord, CommandResult};
use crate::import::ImportRecord;
use crate::investigation::{Baseline, StoredInvestigation};
use crate::record::RunRecord;
use serde::{Deserialize, Serialize};

/// Whose behaviour a measure describes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The system under test.
    #[default]
    Target,
    /// The load generator itself (its own CPU): reported, never a verdict on the target.
    Generator,
}

impl Role {
    fn is_target(&self) -> bool {
        *self == Role::Target
    }
}

/// What statistic a measure's value is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// A mean (of the samples, when there are samples).
    #[default]
    Mean,
    /// The quantile `q` of a distribution (with the histogram, when there is one).
    Quantile(f64),
    /// A maximum: no distribution-free interval exists for it.
    Maximum,
    /// A percentage of `count` events.
    Proportion,
}

impl Statistic {
    fn is_mean(&self) -> bool {
        *self == Statistic::Mean
    }
}

/// One named scalar of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// Stable name, e.g. `latency_p95_ms`, `throughput_rps`, `sleep 0.1/wall_s`.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Point value (mean for samples).
    pub value: f64,
    /// Direction.
    pub lower_is_better: bool,
    /// What statistic the value is.
    #[serde(default, skip_serializing_if = "Statistic::is_mean")]
    pub statistic: Statistic,
    /// Whose behaviour it describes.
    #[serde(default, skip_serializing_if = "Role::is_target")]
    pub role: Role,
    /// Raw samples, when they exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<f64>,
    /// Number of observations behind a proportion or a quantile (for intervals without samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Encoded HDR histogram the value comes from, with its quantile, for order-statistic
    /// intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<(String, f64)>,
    /// The same statistic over consecutive one-second batches of the run (per-second p50 and
    /// p99 of a load run), for a batch-means interval: requests of one run are not
    /// independent, and the spread between seconds shows by how much.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub batches: Vec<f64>,
}

impl Measure {
    /// A measure of a value alone (a mean, of the target, lower is better unless said).
    pub fn new(name: impl Into<String>, unit: &str, value: f64, lower_is_better: bool) -> Measure {
        Measure {
            name: name.into(),
            unit: unit.into(),
            value,
            lower_is_better,
            statistic: Statistic::Mean,
            role: Role::Target,
            samples: Vec::new(),
            count: None,
            histogram: None,
            batches: Vec::new(),
        }
    }

    /// This measure with its samples.
    pub fn with_samples(mut self, samples: Vec<f64>) -> Measure {
        self.samples = samples;
        self
    }

    /// This measure as another statistic.
    pub fn of_statistic(mut self, statistic: Statistic) -> Measure {
        self.statistic = statistic;
        self
    }
}

/// Measures of a load run: latency percentiles (with the histogram), throughput (per-second
/// samples of the measured phases), error rate, observed CPU and memory.
pub fn of_load(r: &RunRecord) -> Vec<Measure> {
    let mut out = Vec::new();
    let measured: Vec<&str> = r
        .phases
        .iter()
        .filter(|p| p.measured)
        .map(|p| p.name.as_str())
        .collect();
    let seconds: Vec<&crate::record::TimePoint> = r
        .timeseries
        .iter()
        .filter(|p| measured.contains(&p.phase.as_str()))
        .collect();
    // A second with fewer than half the requests of a typical one (the partial last second)
    // is no batch of the same size.
    let mut counts: Vec<u64> = seconds.iter().map(|p| p.requests).collect();
    counts.sort_unstable();
    let typical = counts.get(counts.len() / 2).copied().unwrap_or(0);
    let full = |p: &&&crate::record::TimePoint| p.requests > 0 && 2 * p.requests >= typical;
    let per_second = |f: fn(&crate::record::TimePoint) -> Option<f64>| -> Vec<f64> {
        seconds.iter().filter(full).filter_map(|p| f(p)).collect()
    };
    if let Some(l) = &r.metrics.latency_ms {
        for (label, q, v) in [
            ("p50", 0.5, l.p50),
            ("p90", 0.9, l.p90),
            ("p95", 0.95, l.p95),
            ("p99", 0.99, l.p99),
            ("p99_9", 0.999, l.p99_9),
        ] {
            let mut m = Measure::new(format!("latency_{label}_ms"), "ms", v, true)
                .of_statistic(Statistic::Quantile(q));
            m.count = Some(l.count);
            m.histogram = r.histograms.latency.clone().map(|h| (h, q));
            m.batches = match label {
                "p50" => per_second(|p| p.p50_ms),
                "p99" => per_second(|p| p.p99_ms),
                _ => Vec::new(),
            };
            out.push(m);
        }
        let mut max =
            Measure::new("latency_max_ms", "ms", l.max, true).of_statistic(Statistic::Maximum);
        max.count = Some(l.count);
        out.push(max);
        let mut mean = Measure::new("latency_mean_ms", "ms", l.mean, true);
        mean.count = Some(l.count);
        out.push(mean);
    }
    let thr = Measure::new("throughput_rps", "req/s", r.metrics.throughput_rps, false)
        .with_samples(per_second(|p| Some(p.requests as f64)));
    out.push(thr);
    let mut err = Measure::new("error_rate_pct", "%", r.metrics.error_rate_pct, true)
        .of_statistic(Statistic::Proportion);
    err.count = Some(r.metrics.requests);
    out.push(err);
    for o in r.observed.iter().filter(|o| o.found) {
        let cpu: Vec<f64> = r
            .timeseries
            .iter()
            .filter(|p| measured.contains(&p.phase.as_str()))
            .filter_map(|p| p.processes.get(&o.name).and_then(|x| x.cpu_pct))
            .collect();
        if let Some(mean) = o.cpu_pct_mean {
            let mut m = Measure::new(format!("{}_cpu_pct", o.name), "%", mean, true);
            m.samples = cpu;
            out.push(m);
        }
        if let Some(max) = o.rss_mb_max {
            out.push(
                Measure::new(format!("{}_rss_mb", o.name), "MiB", max, true)
                    .of_statistic(Statistic::Maximum),
            );
        }
    }
    let mut generator = Measure::new("generator_cpu_pct", "%", r.generator.cpu_pct, true);
    generator.role = Role::Generator;
    out.push(generator);
    out
}

/// Measures of a bench run: per command, wall, user, system time and peak RSS with samples.
pub fn of_bench(r: &BenchRecord) -> Vec<Measure> {
    of_commands(&r.commands)
}

/// Measures of benchmarked commands: `<command>/wall_s`, `user_s`, `system_s`, `max_rss_mb`,
/// each the mean of its per-run samples.
pub fn of_commands(commands: &[CommandResult]) -> Vec<Measure> {
    let mut out = Vec::new();
    for c in commands {
        let series: [(&str, &str, Vec<f64>); 4] = [
            ("wall_s", "s", c.runs.iter().map(|s| s.wall_s).collect()),
            ("user_s", "s", c.runs.iter().map(|s| s.user_s).collect()),
            ("system_s", "s", c.runs.iter().map(|s| s.system_s).collect()),
            (
                "max_rss_mb",
                "MiB",
                c.runs
                    .iter()
                    .map(|s| s.max_rss_kb as f64 / 1024.0)
                    .collect(),
            ),
        ];
        for (metric, unit, samples) in series {
            if samples.is_empty() {
                continue;
            }
            let mean = samples.iter().sum::<f64>() / samples.len() as f64;
            out.push(
                Measure::new(format!("{}/{metric}", c.name), unit, mean, true)
                    .with_samples(samples),
            );
        }
    }
    out
}

/// Measures of an import: `<benchmark>/<metric>`, with samples where the file had them.
pub fn of_import(r: &ImportRecord) -> Vec<Measure> {
    r.benchmarks
        .iter()
        .filter_map(|b| {
            Some(
                Measure::new(
                    format!("{}/{}", b.name, b.metric),
                    &b.unit,
                    b.value()?,
                    b.lower_is_better,
                )
                .with_samples(b.samples.clone()),
            )
        })
        .collect()
}

/// Measures of an investigation: those of its baseline (the load run, or the benchmarked
/// commands), or why it has none.
pub fn of_investigation(r: &StoredInvestigation) -> Result<Vec<Measure>, String> {
    Ok(match r.baseline()? {
        Baseline::Load(run) => of_load(&run),
        Baseline::Commands(commands) => of_commands(&commands),
    })
}
