//! What trace analysis yields, as stored in result records and reports: the phase breakdown
//! (critical-path share, self time, duration percentiles per span name), dependency latency with
//! budget checks, and N+1 query patterns. The analysis itself lives in perfhive-traces; these
//! are its results, shared by the records, the investigation report and the renderers.
//!
//! The Amdahl bound (Amdahl, 1967) on the end-to-end speed-up from improving a phase that takes
//! a fraction `p` of the critical path: `1 / (1 − p)` if the phase vanished, or
//! `1 / ((1 − p) + p / s)` if it became `s` times faster.

use crate::sql::Fingerprint;
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
    /// For a phase of database spans: the fingerprint of their normalised statement (the
    /// phase's name is then that normalised text, not the span name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<Fingerprint>,
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    /// The repeated statement's fingerprint, when the spans carry its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Fingerprint>,
    /// Whether the repeated statement reads or writes.
    #[serde(default, skip_serializing_if = "Access::is_other")]
    pub access: Access,
    /// The data-access framework issuing it, when the spans tell (`sqlalchemy`, `django`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The routes (`GET /orders/{}`) of the requests it occurred in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
    /// Time per affected request spent by the repeated statements, mean, milliseconds (0
    /// when not measured: reports recorded before it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mean_ms: f64,
}

/// Whether a statement reads or writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// SELECT.
    Read,
    /// INSERT, UPDATE, DELETE.
    Write,
    /// Anything else, or no statement text.
    #[default]
    Other,
}

impl Access {
    /// Neither a read nor a write (the default, left out of JSON).
    pub fn is_other(&self) -> bool {
        *self == Access::Other
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Database time of one normalised statement (literals and parameters as `?`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatementStat {
    /// The statement's fingerprint.
    pub fingerprint: Fingerprint,
    /// The normalised statement.
    pub statement: String,
    /// One statement as a span reported it (with its literal values, when the
    /// instrumentation records them): what the database investigator plans.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub example: String,
    /// `db.system` / `db.system.name`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Whether it reads or writes.
    pub access: Access,
    /// Spans.
    pub count: u64,
    /// Summed span duration, milliseconds.
    pub total_ms: f64,
    /// Time on the critical path, milliseconds.
    pub critical_ms: f64,
    /// Share of the total critical path, percent.
    pub share_pct: f64,
    /// Median span duration, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile of span duration, milliseconds.
    pub p95_ms: f64,
    /// Self time of the parent spans lying between two consecutive spans of this statement
    /// under one parent, summed, milliseconds: rows fetched and objects built outside the
    /// database span, not the handler's own work.
    #[serde(default)]
    pub between_ms: f64,
    /// The names of the spans issuing it, most frequent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// The routes of the requests running it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
}

/// Downstream calls of one parent made one after another on the critical path, none
/// starting before the previous one ended: candidates to run concurrently.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SequentialCalls {
    /// The parent span's name.
    pub parent_name: String,
    /// The calls, in order (dependency or span names).
    pub calls: Vec<String>,
    /// Traces where they ran one after another.
    pub traces_affected: usize,
    /// Mean summed duration per trace, milliseconds.
    pub sum_ms: f64,
    /// Mean duration of the longest call per trace, milliseconds.
    pub max_ms: f64,
    /// The routes of these requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
}

impl SequentialCalls {
    /// The most that running them concurrently saves per request: sum − max, milliseconds.
    pub fn gain_ms(&self) -> f64 {
        (self.sum_ms - self.max_ms).max(0.0)
    }
}

/// Server-side time of one route (SERVER spans with `http.route`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RouteStat {
    /// The route (`GET /orders/{}`).
    pub route: String,
    /// SERVER spans.
    pub count: u64,
    /// Mean server span duration, milliseconds.
    pub mean_ms: f64,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// Mean duration of the CLIENT spans that are these SERVER spans' parents (the caller's
    /// view, when the caller is traced too), milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_mean_ms: Option<f64>,
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
    /// Database time per normalised statement, largest critical-path share first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementStat>,
    /// Downstream calls made one after another that could run concurrently.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequential: Vec<SequentialCalls>,
    /// Server time per route.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteStat>,
}
