//! The neutral model every importer produces: one [`Imported`] file holding [`Benchmark`]s,
//! each one metric of one benchmark in one unit, with raw samples when the tool kept them and
//! the summary statistics the tool computed (or, for Go's text output, that we compute from the
//! repeated lines).

use crate::Format;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One imported result file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// The tool that produced the file.
    pub format: Format,
    /// The file it was read from (for a criterion directory, the directory).
    pub source: String,
    /// When the results were produced, RFC 3339, if the file says.
    pub date: Option<String>,
    /// What the file says about where it ran: machine, toolchain version, commit, … Keys are
    /// plain (`cpu`, `goos`, `python_version`, `commit`); values are as the tool wrote them.
    pub context: BTreeMap<String, String>,
    /// One entry per (benchmark, metric), in the file's order.
    pub benchmarks: Vec<Benchmark>,
}

/// One metric of one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benchmark {
    /// The command (hyperfine), benchmark id (Go, criterion, pytest-benchmark) or metric name
    /// with its tags (k6, e.g. `http_req_duration{expected_response:true}`).
    pub name: String,
    /// What was measured: `wall_time`, `ns_per_op`, `bytes_per_op`, `allocs_per_op`,
    /// `http_req_duration`, `http_reqs`, …
    pub metric: String,
    /// The unit of `samples` and of every statistic: `s`, `ns`, `ms`, `B`, `allocs`, `req/s`, …
    /// Empty when the tool does not say (a custom k6 trend that is not a time).
    pub unit: String,
    /// Whether a smaller value is an improvement.
    pub lower_is_better: bool,
    /// Raw samples in `unit`, when the file has them (hyperfine `times`, pytest-benchmark
    /// `data`, one per line of `go test -count=N`, criterion per-iteration times).
    pub samples: Vec<f64>,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// Standard deviation.
    pub stddev: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Other numbers the tool reported: percentiles (`p90`, `p95`), `user`/`system` time,
    /// confidence bounds, iteration counts, … Names are documented by each importer.
    pub extra: BTreeMap<String, f64>,
}

impl Benchmark {
    /// An empty benchmark: no samples, no statistics.
    pub fn new(
        name: impl Into<String>,
        metric: impl Into<String>,
        unit: impl Into<String>,
        lower_is_better: bool,
    ) -> Self {
        Self {
            name: name.into(),
            metric: metric.into(),
            unit: unit.into(),
            lower_is_better,
            samples: Vec::new(),
            mean: None,
            median: None,
            stddev: None,
            min: None,
            max: None,
            extra: BTreeMap::new(),
        }
    }

    /// Fills every statistic that is still `None` from `samples` (sample standard deviation,
    /// n − 1; none for fewer than two samples).
    pub(crate) fn fill_from_samples(&mut self) {
        let n = self.samples.len();
        if n == 0 {
            return;
        }
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        self.mean.get_or_insert(mean);
        self.median.get_or_insert(median);
        self.min.get_or_insert(sorted[0]);
        self.max.get_or_insert(sorted[n - 1]);
        if n >= 2 && self.stddev.is_none() {
            let var = sorted.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
            self.stddev = Some(var.sqrt());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_from_samples_computes_what_is_missing() {
        let mut b = Benchmark::new("x", "wall_time", "s", true);
        b.samples = vec![3.0, 1.0, 2.0, 4.0];
        b.max = Some(10.0);
        b.fill_from_samples();
        assert_eq!(b.mean, Some(2.5));
        assert_eq!(b.median, Some(2.5));
        assert_eq!(b.min, Some(1.0));
        assert_eq!(b.max, Some(10.0), "a value the tool gave is kept");
        let sd = b.stddev.unwrap();
        assert!((sd - 1.2909944487358056).abs() < 1e-12);
    }

    #[test]
    fn one_sample_has_no_stddev() {
        let mut b = Benchmark::new("x", "wall_time", "s", true);
        b.samples = vec![7.0];
        b.fill_from_samples();
        assert_eq!(b.median, Some(7.0));
        assert_eq!(b.stddev, None);
    }
}
