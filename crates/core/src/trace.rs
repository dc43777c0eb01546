//! What trace analysis yields, as stored in result records and reports: the phase breakdown
//! (critical-path share, self time, duration percentiles per span name), dependency latency with
//! budget checks, and N+1 query patterns. The analysis itself lives in perfhive-traces; these
//! are its results, shared by the records, the investigation report and the renderers.
//!
//! The Amdahl bound (Amdahl, 1967) on the end-to-end speed-up from improving a phase that takes
//! a fraction `p` of the critical path: `1 / (1 − p)` if the phase vanished, or
//! `1 / ((1 − p) + p / s)` if it became `s` times faster.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Statistics of one phase (all spans sharing a name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseStat {
    /// The span name.
    pub name: String,
    /// Share of the total critical path spent in this phase, in percent (0..=100).
    pub share_pct: f64,
    /// Time on the critical path, summed over traces, in milliseconds.
    pub critical_ms: f64,
    /// Self time (duration minus the union of child intervals), summed, in milliseconds.
    pub self_ms: f64,
    /// Number of spans with this name.
    pub count: u64,
    /// Median span duration, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile of span duration, milliseconds.
    pub p95_ms: f64,
    /// The code function these spans report (`code.function.name`, or `code.function`), the
    /// most frequent one when they differ: the key that joins a phase to profile frames and
    /// code-scan findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The source file these spans report (`code.file.path`, or `code.filepath`), the most
    /// frequent one when they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl PhaseStat {
    /// The Amdahl bound on end-to-end speedup if this phase took no time at all.
    pub fn amdahl_bound(&self) -> f64 {
        amdahl(self.share_pct / 100.0)
    }
}

/// Upper bound on the overall speedup when a fraction `share` (0..=1, clamped) of the time
/// disappears entirely: `1 / (1 − share)`; infinite when `share` is 1.
pub fn amdahl(share: f64) -> f64 {
    amdahl_with(share, f64::INFINITY)
}

/// Overall speedup when a fraction `share` (0..=1, clamped) of the time becomes `factor` times
/// faster: `1 / ((1 − share) + share / factor)`.
pub fn amdahl_with(share: f64, factor: f64) -> f64 {
    let p = if share.is_nan() {
        0.0
    } else {
        share.clamp(0.0, 1.0)
    };
    let rest = (1.0 - p) + if factor > 0.0 { p / factor } else { p };
    if rest <= 0.0 {
        f64::INFINITY
    } else {
        1.0 / rest
    }
}

/// Latency of one downstream dependency, from its spans.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DependencyStat {
    /// Dependency name (`peer.service`, `server.address`, `db.system` or the span name).
    pub name: String,
    /// Number of spans.
    pub count: u64,
    /// Median span duration, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile of span duration, milliseconds.
    pub p95_ms: f64,
    /// Longest span, milliseconds.
    pub max_ms: f64,
}

/// Outcome of one budget check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BudgetVerdict {
    /// p95 within budget.
    Pass,
    /// p95 over budget.
    Fail,
    /// No span of this dependency was received.
    NoData,
}

/// A dependency's p95 latency against its budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BudgetCheck {
    /// Dependency name as declared.
    pub name: String,
    /// The budget, milliseconds.
    pub budget_ms: f64,
    /// Observed p95, milliseconds (absent without spans).
    pub p95_ms: Option<f64>,
    /// Spans observed.
    pub count: u64,
    /// The outcome.
    pub verdict: BudgetVerdict,
}

/// A repeated database statement under one parent span: an N+1 query pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NPlusOne {
    /// Name of the parent span issuing the repeated statement.
    pub parent_name: String,
    /// The repeated statement (or the span name for database spans without one).
    pub statement: String,
    /// The largest number of repetitions under one parent span.
    pub count: usize,
    /// Number of distinct traces in which it occurred.
    pub traces_affected: usize,
    /// The code function issuing the statements, when the spans say (`code.function.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The source file issuing them, when the spans say (`code.file.path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Everything the traces received during a run say, as stored in the run's record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TraceSummary {
    /// Spans analysed.
    pub spans: u64,
    /// Distinct traces.
    pub traces: u64,
    /// Spans refused because the receiver's store was full.
    pub dropped: u64,
    /// Phases by critical-path share, largest first.
    pub phases: Vec<PhaseStat>,
    /// Total critical-path time over all traces, milliseconds.
    pub total_critical_ms: f64,
    /// Every dependency seen, slowest p95 first.
    pub dependencies: Vec<DependencyStat>,
    /// The scenario's dependency budgets, checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetCheck>,
    /// N+1 query patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub n_plus_one: Vec<NPlusOne>,
}
