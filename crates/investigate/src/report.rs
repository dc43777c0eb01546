//! The investigation report: executive summary with where the time goes,
//! ranked findings, prioritised recommendations, per-investigator summaries, consensus, roadmap,
//! risks, the validation plan as runnable commands, and appendices. Serialised as report.json;
//! the Markdown and HTML renderings only ever print numbers taken from it.

use crate::data::DataOf;
use crate::model::{Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation};
use perfhive_core::record::{RunRecord, RunStatus};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What report.json is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// An investigation report (the only kind).
    #[default]
    Investigation,
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("investigation")
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Format version.
    pub schema_version: String,
    /// `investigation`.
    pub kind: ReportKind,
    /// `passed`, `failed` (a success criterion failed on the baseline) or `interrupted` (a
    /// partial report: see `interruption`). Reports written before it existed read as passed.
    #[serde(default = "passed")]
    pub status: RunStatus,
    /// What an interrupted investigation did not do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruption: Option<Interruption>,
    /// Investigation name.
    pub name: String,
    /// Start, RFC 3339.
    pub date: String,
    /// The target's base URL.
    pub target: String,
    /// Wall-clock length, s.
    pub duration_s: f64,
    /// The critical discovery and where the time goes.
    pub executive_summary: ExecutiveSummary,
    /// The plan's success criteria, evaluated on the baseline.
    #[serde(default)]
    pub criteria: Vec<perfhive_core::record::CriterionResult>,
    /// All findings, best first.
    pub findings: Vec<RankedFinding>,
    /// P0, P1, P2 (quick win) recommendations.
    pub recommendations: Vec<Prioritized>,
    /// What each investigator returned.
    pub investigators: Vec<InvestigatorResult>,
    /// Where investigators agree and disagree.
    pub consensus: Consensus,
    /// Phases with success criteria.
    pub roadmap: Vec<RoadmapPhase>,
    /// Risk table.
    pub risks: Vec<Risk>,
    /// Commands that re-measure the baseline and verify each step.
    pub validation_plan: Vec<ValidationStep>,
    /// Data for the charts.
    pub charts: Charts,
    /// Configuration recommendations, alternatives rejected, data files.
    pub appendices: Appendices,
    /// The before/after of applying the top recommendations, when it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_after: Option<BeforeAfter>,
}

fn passed() -> RunStatus {
    RunStatus::Passed
}

impl Report {
    /// Whether this is a partial report of an interrupted investigation.
    pub fn is_partial(&self) -> bool {
        self.status == RunStatus::Interrupted
    }

    /// An investigator's result, by name.
    pub fn investigator(&self, name: InvestigatorName) -> Option<&InvestigatorResult> {
        self.investigators.iter().find(|i| i.name == name)
    }

    /// The baseline's run record (the load investigator's).
    pub fn baseline(&self) -> Option<&RunRecord> {
        self.investigators.load_data().map(|d| &d.record)
    }

    /// Marks the report partial: `stage` was not run, or cut short, because of an interrupt.
    pub fn interrupt(&mut self, stage: &str) {
        self.status = RunStatus::Interrupted;
        let after_s = self.duration_s;
        self.interruption
            .get_or_insert_with(|| Interruption {
                after_s,
                not_run: Vec::new(),
            })
            .not_run
            .push(stage.to_string());
    }
}

/// An interrupted investigation: when it stopped, and what it did not run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interruption {
    /// Seconds after the start.
    pub after_s: f64,
    /// The stages not run or cut short (`the parameter sweep`, `the before/after measurement`).
    pub not_run: Vec<String>,
}

impl Interruption {
    /// The banner every rendering shows first: the report is partial, and why.
    pub fn banner(&self) -> String {
        let mut s = format!(
            "Interrupted after {:.1} s: this report is partial, built from what was measured until then.",
            self.after_s
        );
        if !self.not_run.is_empty() {
            s.push_str(&format!(
                " Not run or cut short: {}.",
                self.not_run.join(", ")
            ));
        }
        s
    }
}

/// The critical discovery.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExecutiveSummary {
    /// One sentence: what is and what is not the bottleneck.
    pub headline: String,
    /// Where the time goes, largest first.
    pub time_breakdown: Vec<PhaseShare>,
    /// Where the breakdown comes from (Server-Timing, traces, …).
    pub breakdown_source: String,
    /// The P0: what to change, and its gain labelled for what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p0: Option<String>,
}

/// A share of request time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseShare {
    /// Phase name.
    pub name: String,
    /// Percent of the total.
    pub share_pct: f64,
    /// Mean time per request in this phase, ms.
    pub mean_ms: f64,
}

/// A finding with its rank.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RankedFinding {
    /// 1 = most important.
    pub rank: usize,
    /// severity × share of time × confirmation × (measured or heuristic).
    pub score: f64,
    /// Other investigators whose findings are about the same subject or the same function.
    pub confirmed_by: Vec<InvestigatorName>,
    /// Functions this finding shares with other investigators' findings (a hot frame that is
    /// also a trace phase or a code-scan match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined_on: Vec<String>,
    /// Every confirmation: the other investigator's finding and the key that joins them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<Join>,
    /// When the finding named no subject of its own (a parameter sweep without `subject:`),
    /// the finding whose subject it took: the best-ranked measured one joined to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_from: Option<String>,
    /// The finding.
    pub finding: Finding,
}

/// What joins two findings: the same request, the same SQL statement or the same function —
/// never a shared subject alone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinKey {
    /// The same route (method and normalised template).
    Route(perfhive_core::route::Route),
    /// The same normalised SQL statement.
    Statement(perfhive_core::sql::Fingerprint),
    /// The same code function (by [`crate::integrator::function_key`]).
    Function(String),
}

impl fmt::Display for JoinKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinKey::Route(r) => write!(f, "same request `{r}`"),
            JoinKey::Statement(s) => write!(f, "same statement `{s}`"),
            JoinKey::Function(n) => write!(f, "same function `{n}`"),
        }
    }
}

/// One confirmation of a finding: another investigator's finding, and what joins them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Join {
    /// The other finding's investigator.
    pub investigator: InvestigatorName,
    /// The other finding's id.
    pub finding: String,
    /// What joins them.
    pub key: JoinKey,
}

impl RankedFinding {
    /// "Confirmed by" in words: each other investigator with the keys that join them
    /// (`traces (same request `POST /ingest`), code (same function `load_items`)`).
    pub fn confirmation(&self) -> String {
        if self.confirmed_by.is_empty() {
            return "no other investigator".to_string();
        }
        let parts: Vec<String> = self
            .confirmed_by
            .iter()
            .map(|n| {
                let mut keys: Vec<String> = self
                    .joins
                    .iter()
                    .filter(|j| j.investigator == *n)
                    .map(|j| j.key.to_string())
                    .collect();
                keys.sort();
                keys.dedup();
                if keys.is_empty() {
                    n.to_string()
                } else {
                    format!("{n} ({})", keys.join(", "))
                }
            })
            .collect();
        parts.join("; ")
    }
}

/// A recommendation's priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Priority {
    /// Do first: the best-ranked finding with a recommendation.
    P0,
    /// Next.
    P1,
    /// The cheapest of the rest.
    #[serde(rename = "P2 quick win")]
    P2QuickWin,
}

impl Priority {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2QuickWin => "P2 quick win",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Low, medium or high: a risk's likelihood and impact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        })
    }
}

/// A recommendation with its priority.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Prioritized {
    /// `P0`, `P1`, `P2 quick win`.
    pub priority: Priority,
    /// The finding it addresses.
    pub finding_id: String,
    /// Why this priority.
    pub rationale: String,
    /// The recommendation.
    pub recommendation: Recommendation,
    /// The expected gain and what kind of number it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain: Option<Gain>,
    /// Evidence (copied from the finding).
    pub evidence: Vec<Evidence>,
}

/// An expected or measured gain, labelled for what it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gain {
    /// Throughput ratio, or speed-up of the affected path.
    pub factor: f64,
    /// Where the number comes from.
    pub kind: GainKind,
}

/// Where a gain comes from: never one called the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GainKind {
    /// Measured by a sweep: the throughput at the recommended value over the current one.
    Sweep,
    /// Measured before and after applying the change.
    BeforeAfter,
    /// An upper bound: 1 / (1 − p) if the phase with share p vanished (Amdahl).
    AmdahlBound,
}

impl Gain {
    /// `33.2× (measured by a sweep)`, `up to 1.4× (Amdahl bound)`.
    pub fn describe(&self) -> String {
        let d = if self.factor >= 10.0 { 0 } else { 1 };
        let x = format!("{:.*}×", d, self.factor);
        match self.kind {
            GainKind::Sweep => format!("{x} throughput (measured by a sweep)"),
            GainKind::BeforeAfter => format!("{x} throughput (measured before/after)"),
            GainKind::AmdahlBound => {
                format!("up to {x} on the affected path (Amdahl bound, not measured)")
            }
        }
    }
}

/// The before/after of applying recommendations (the demo's experiment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BeforeAfter {
    /// The recommendations applied, by finding id, with the change made.
    pub applied: Vec<AppliedChange>,
    /// Top-ranked recommendations that had no switch to apply them, by finding id.
    pub not_applied: Vec<String>,
    /// Throughput before and after, req/s.
    pub throughput_rps: (f64, f64),
    /// p95 latency before and after, ms.
    pub p95_ms: (f64, f64),
}

/// One recommendation applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppliedChange {
    /// `P0`, `P1`, …
    pub priority: Priority,
    /// The finding it addresses.
    pub finding_id: String,
    /// What was changed (`batch_size = 50`).
    pub change: String,
}

impl BeforeAfter {
    /// The throughput ratio after / before.
    pub fn factor(&self) -> f64 {
        self.throughput_rps.1 / self.throughput_rps.0.max(1e-9)
    }

    /// One sentence: what was applied, and before → after.
    pub fn sentence(&self) -> String {
        let applied: Vec<String> = self
            .applied
            .iter()
            .map(|a| format!("{} ({}: {})", a.change, a.priority, a.finding_id))
            .collect();
        format!(
            "Applied {}: throughput {:.1} → {:.1} req/s ({:.1}×), p95 {:.1} → {:.1} ms (measured before/after).",
            applied.join(", "),
            self.throughput_rps.0,
            self.throughput_rps.1,
            self.factor(),
            self.p95_ms.0,
            self.p95_ms.1
        )
    }
}

/// Agreement and disagreement between investigators.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Consensus {
    /// Subjects on which several investigators agree.
    pub agreements: Vec<String>,
    /// Conflicts and how they were resolved.
    pub disagreements: Vec<Disagreement>,
}

/// A conflict between investigators.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Disagreement {
    /// What it is about.
    pub subject: String,
    /// The claims.
    pub claims: Vec<String>,
    /// How it was resolved (measured evidence over heuristics).
    pub resolution: String,
}

/// One phase of the roadmap.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoadmapPhase {
    /// Name.
    pub name: String,
    /// What to do.
    pub actions: Vec<String>,
    /// How to know it worked.
    pub success_criteria: Vec<String>,
}

/// One row of the risk table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Risk {
    /// The risk.
    pub risk: String,
    /// How likely it is.
    pub likelihood: Level,
    /// How bad it would be.
    pub impact: Level,
    /// Mitigation.
    pub mitigation: String,
}

/// A validation command.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidationStep {
    /// What it verifies.
    pub purpose: String,
    /// The exact perfhive command.
    pub command: String,
}

/// Chart data.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Charts {
    /// Baseline latency percentile spectrum: (quantile, ms).
    pub spectrum: Vec<(f64, f64)>,
    /// Baseline time series: (t s, req/s, p99 ms).
    pub timeseries: Vec<(f64, f64, f64)>,
    /// Concurrency sweep: (level, req/s, p50 ms, p99 ms).
    pub sweep: Vec<(f64, f64, f64, f64)>,
    /// USL fit of the sweep: (λ, σ, κ).
    pub usl: Option<(f64, f64, f64)>,
    /// Parameter sweep: name and (value, throughput, p99 ms).
    pub parameter: Option<ParameterCurve>,
    /// Baseline latency at the standard percentiles (50, 90, 95, 99, 99.9, 99.99): (percent, ms).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percentiles: Vec<(f64, f64)>,
    /// Per request of the baseline's mix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestRow>,
}

/// One request of the baseline's mix.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestRow {
    /// The request's name in the plan.
    pub name: String,
    /// Completed requests per second.
    pub rate_rps: f64,
    /// Completed requests.
    pub requests: u64,
    /// Median latency, ms (`None` when nothing completed).
    pub p50_ms: Option<f64>,
    /// p95, ms.
    pub p95_ms: Option<f64>,
    /// p99, ms.
    pub p99_ms: Option<f64>,
    /// Failed requests.
    pub errors: u64,
    /// Failed percentage.
    pub error_rate_pct: f64,
}

/// A parameter sweep's curve: the parameter's name and (value, req/s, p99 ms) per value.
pub type ParameterCurve = (String, Vec<(f64, f64, f64)>);

/// Appendices.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Appendices {
    /// Configuration recommendations.
    pub configuration: Vec<String>,
    /// Alternatives considered and rejected, with why.
    pub alternatives_rejected: Vec<String>,
    /// Raw data files in the report folder.
    pub data_files: Vec<String>,
}
