//! The record of an import (`perfhive import`): another tool's result file (hyperfine, k6,
//! `go test -bench`, criterion, pytest-benchmark) as the history stores it, versioned like
//! every record and described by the checked-in `schema/import-record.schema.json`. Each
//! benchmark is one metric of one benchmark in one unit, with the raw samples when the tool kept
//! them.

use crate::record::RecordKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One imported result file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImportRecord {
    /// Record format version (semver).
    pub schema_version: String,
    /// `import`.
    pub kind: RecordKind,
    /// The name in the history (`--name`, or derived from the file).
    pub name: String,
    /// When the results were produced, RFC 3339, if the file says.
    #[serde(default)]
    pub date: Option<String>,
    /// The tool's format: `hyperfine`, `k6-summary`, `go-bench`, `criterion`,
    /// `pytest-benchmark`.
    pub format: String,
    /// The file it was read from.
    pub source: String,
    /// What the file says about where it ran (machine, toolchain, commit), as the tool wrote it.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// One entry per (benchmark, metric), in the file's order.
    pub benchmarks: Vec<ImportedBenchmark>,
}

/// One metric of one imported benchmark.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImportedBenchmark {
    /// The command, benchmark id or metric name with its tags.
    pub name: String,
    /// What was measured: `wall_time`, `ns_per_op`, `http_req_duration`, …
    pub metric: String,
    /// Unit of the samples and statistics (`s`, `ns`, `ms`, `B`, …); empty when unknown.
    #[serde(default)]
    pub unit: String,
    /// Whether a smaller value is an improvement.
    #[serde(default = "yes")]
    pub lower_is_better: bool,
    /// Raw samples, when the file has them.
    #[serde(default)]
    pub samples: Vec<f64>,
    /// Arithmetic mean.
    #[serde(default)]
    pub mean: Option<f64>,
    /// Median.
    #[serde(default)]
    pub median: Option<f64>,
    /// Standard deviation.
    #[serde(default)]
    pub stddev: Option<f64>,
    /// Smallest value.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest value.
    #[serde(default)]
    pub max: Option<f64>,
    /// Other numbers the tool reported (percentiles, user/system time, …).
    #[serde(default)]
    pub extra: BTreeMap<String, f64>,
}

fn yes() -> bool {
    true
}

impl ImportedBenchmark {
    /// The value that stands for the benchmark: the mean, else the median, else the mean of
    /// the samples.
    pub fn value(&self) -> Option<f64> {
        self.mean.or(self.median).or_else(|| {
            (!self.samples.is_empty())
                .then(|| self.samples.iter().sum::<f64>() / self.samples.len() as f64)
        })
    }
}

/// The JSON Schema of [`ImportRecord`], as checked in at `schema/import-record.schema.json`.
pub fn json_schema() -> serde_json::Value {
    crate::record::titled(
        schemars::schema_for!(ImportRecord),
        "import-record",
        "perfhive import record",
    )
}
