//! The investigation report (MISSION.md's format): executive summary with where the time goes,
//! ranked findings, prioritised recommendations, per-investigator summaries, consensus, roadmap,
//! risks, the validation plan as runnable commands, and appendices. Serialised as report.json;
//! the Markdown and HTML renderings only ever print numbers taken from it.

use crate::model::{Evidence, Finding, InvestigatorResult, Recommendation};
use serde::{Deserialize, Serialize};

/// The whole report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Format version.
    pub schema_version: String,
    /// `investigation`.
    pub kind: String,
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
    pub confirmed_by: Vec<String>,
    /// Functions this finding shares with other investigators' findings (a hot frame that is
    /// also a trace phase or a code-scan match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined_on: Vec<String>,
    /// The finding.
    pub finding: Finding,
}

impl RankedFinding {
    /// "Confirmed by" in words: the other investigators, and the functions joined on.
    pub fn confirmation(&self) -> String {
        if self.confirmed_by.is_empty() {
            return "no other investigator".to_string();
        }
        let mut s = self.confirmed_by.join(", ");
        if !self.joined_on.is_empty() {
            let f: Vec<String> = self.joined_on.iter().map(|f| format!("`{f}`")).collect();
            s.push_str(&format!(" (same function: {})", f.join(", ")));
        }
        s
    }
}

/// A recommendation with its priority.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Prioritized {
    /// `P0`, `P1`, `P2 quick win`.
    pub priority: String,
    /// The finding it addresses.
    pub finding_id: String,
    /// Why this priority.
    pub rationale: String,
    /// The recommendation.
    pub recommendation: Recommendation,
    /// Evidence (copied from the finding).
    pub evidence: Vec<Evidence>,
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
    /// low / medium / high.
    pub likelihood: String,
    /// low / medium / high.
    pub impact: String,
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
