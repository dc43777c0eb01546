//! Measures: the comparable view of any record. Each record kind says which named scalars it
//! has, in which unit and direction, with raw samples where they exist (bench runs, per-second
//! throughput) and a histogram where one exists (load latency). `compare`, the history's
//! metric index and change-point detection all work on measures.

use crate::bench::BenchRecord;
use crate::record::RunRecord;
use serde::{Deserialize, Serialize};

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
}

impl Measure {
    fn new(name: impl Into<String>, unit: &str, value: f64, lower_is_better: bool) -> Measure {
        Measure {
            name: name.into(),
            unit: unit.into(),
            value,
            lower_is_better,
            samples: Vec::new(),
            count: None,
            histogram: None,
        }
    }
}

/// Measures of a load run: latency percentiles (with the histogram), throughput (per-second
/// samples of the measured phases), error rate, observed CPU and memory.
pub fn of_load(r: &RunRecord) -> Vec<Measure> {
    let mut out = Vec::new();
    if let Some(l) = &r.metrics.latency_ms {
        for (label, q, v) in [
            ("p50", 0.5, l.p50),
            ("p90", 0.9, l.p90),
            ("p95", 0.95, l.p95),
            ("p99", 0.99, l.p99),
            ("p99_9", 0.999, l.p99_9),
        ] {
            let mut m = Measure::new(format!("latency_{label}_ms"), "ms", v, true);
            m.count = Some(l.count);
            m.histogram = r.histograms.latency.clone().map(|h| (h, q));
            out.push(m);
        }
        let mut max = Measure::new("latency_max_ms", "ms", l.max, true);
        max.count = Some(l.count);
        out.push(max);
        let mut mean = Measure::new("latency_mean_ms", "ms", l.mean, true);
        mean.count = Some(l.count);
        out.push(mean);
    }
    let measured: Vec<&str> = r
        .phases
        .iter()
        .filter(|p| p.measured)
        .map(|p| p.name.as_str())
        .collect();
    let per_second: Vec<f64> = r
        .timeseries
        .iter()
        .filter(|p| measured.contains(&p.phase.as_str()) && p.t.fract() == 0.0)
        .map(|p| p.requests as f64)
        .collect();
    let mut thr = Measure::new("throughput_rps", "req/s", r.metrics.throughput_rps, false);
    thr.samples = per_second;
    out.push(thr);
    let mut err = Measure::new("error_rate_pct", "%", r.metrics.error_rate_pct, true);
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
            out.push(Measure::new(format!("{}_rss_mb", o.name), "MiB", max, true));
        }
    }
    out.push(Measure::new(
        "generator_cpu_pct",
        "%",
        r.generator.cpu_pct,
        true,
    ));
    out
}

/// Measures of a bench run: per command, wall, user, system time and peak RSS with samples.
pub fn of_bench(r: &BenchRecord) -> Vec<Measure> {
    let mut out = Vec::new();
    for c in &r.commands {
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
            let mut m = Measure::new(format!("{}/{metric}", c.name), unit, mean, true);
            m.samples = samples;
            out.push(m);
        }
    }
    out
}
