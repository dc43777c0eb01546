//! The record of a command benchmark (`perfhive bench`): per command, every run's wall, user
//! and system time, peak RSS and context switches measured for that child alone (wait4), their
//! summaries, outliers, and pairwise comparisons with the reference command.

use crate::record::{Comparison, Environment, ToolInfo};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One benchmark invocation.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct BenchRecord {
    /// Record format version (semver).
    pub schema_version: String,
    /// `bench`.
    pub kind: crate::record::RecordKind,
    /// Producing tool.
    pub tool: ToolInfo,
    /// Benchmark name (`--name`, or the commands).
    pub name: String,
    /// Start, RFC 3339 UTC.
    pub date: String,
    /// Wall-clock length of the whole invocation, s.
    pub duration_s: f64,
    /// `passed`, `interrupted`, or `failed` when a command failed without `--ignore-failure`.
    pub status: crate::record::RunStatus,
    /// The primary metric: `wall`, `cpu` or `rss`.
    pub metric: String,
    /// Runs were interleaved (A B A B …).
    pub interleaved: bool,
    /// Shell used to run commands, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    /// Measured spawn overhead of the shell, s, subtracted from wall times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell_overhead_s: Option<f64>,
    /// The smallest peak RSS a command can report here (the process that forks the commands),
    /// MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_floor_mb: Option<f64>,
    /// Per command.
    pub commands: Vec<CommandResult>,
    /// Each command against the first (the reference).
    pub comparisons: Vec<PairComparison>,
    /// Where it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Environment>,
    /// Comparison with a baseline run (`--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// Warnings (outliers, failures, few runs).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// One benchmarked command.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CommandResult {
    /// Display name.
    pub name: String,
    /// The command line as run.
    pub command: String,
    /// Parameter values of a scan (`-P`, `-L`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Every measured run, in order.
    pub runs: Vec<Sample>,
    /// Wall time, s (shell overhead subtracted).
    pub wall_s: SampleSummary,
    /// User CPU, s.
    pub user_s: SampleSummary,
    /// System CPU, s.
    pub system_s: SampleSummary,
    /// Peak resident memory of the child, MiB.
    pub max_rss_mb: SampleSummary,
    /// Indices of runs flagged as outliers of the primary metric (modified z-score > 3.5).
    pub outliers: Vec<usize>,
    /// Runs with a non-zero exit status.
    pub failures: u64,
}

/// One run of a command, measured for that child alone.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Sample {
    /// Wall time, s.
    pub wall_s: f64,
    /// User CPU, s.
    pub user_s: f64,
    /// System CPU, s.
    pub system_s: f64,
    /// Peak RSS of this child, KiB (wait4 ru_maxrss).
    pub max_rss_kb: u64,
    /// Voluntary context switches.
    pub voluntary_cs: u64,
    /// Involuntary context switches.
    pub involuntary_cs: u64,
    /// Exit code (-signal when killed by a signal).
    pub exit_code: i32,
}

/// Descriptive statistics of one metric.
#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct SampleSummary {
    /// Count.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub stdev: f64,
    /// Median.
    pub median: f64,
    /// 95% distribution-free confidence interval of the median (order statistics).
    pub median_ci: (f64, f64),
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

/// A command against the reference, on the primary metric.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PairComparison {
    /// Reference command name.
    pub reference: String,
    /// Compared command name.
    pub candidate: String,
    /// Mean of candidate / mean of reference.
    pub ratio: f64,
    /// 95% bootstrap interval of the ratio.
    pub ratio_ci: (f64, f64),
    /// Mann–Whitney U two-sided p-value.
    pub p_value: Option<f64>,
    /// Holm–Bonferroni adjusted p-value over all comparisons of the invocation.
    pub p_adjusted: Option<f64>,
    /// Hodges–Lehmann shift (candidate − reference), in the metric's unit.
    pub shift: Option<f64>,
    /// 95% confidence interval of the shift.
    pub shift_ci: Option<(f64, f64)>,
}
