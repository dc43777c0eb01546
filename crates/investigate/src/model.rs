//! What investigators return and what the integrator writes: findings with evidence, verdicts
//! that may say "insufficient data", recommendations, and the report (serialised as
//! report.json, from which every number in the Markdown and HTML comes).

use serde::{Deserialize, Serialize};

/// An investigator's overall outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Found something worth acting on.
    Found,
    /// Looked and found nothing wrong.
    Clean,
    /// Not enough data to say: never a guess dressed as a result.
    InsufficientData,
    /// The investigator failed; the reason is in `error`.
    Failed,
    /// The investigator ran out of its time budget.
    TimedOut,
}

/// A measured fact behind a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was measured.
    pub label: String,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// JSON pointer into report.json where the underlying data is.
    pub pointer: String,
}

/// How much work a recommendation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effort {
    /// A setting or a few lines.
    Low,
    /// A focused change.
    Medium,
    /// A redesign.
    High,
}

/// What to do about a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The action.
    pub action: String,
    /// Expected impact in words (current → target).
    pub impact: String,
    /// Upper bound of the speed-up of the affected path (Amdahl), when it can be computed.
    pub expected_speedup: Option<f64>,
    /// Effort.
    pub effort: Effort,
    /// Risks of the change.
    pub risk: String,
    /// How to contain them.
    pub mitigation: String,
}

/// One finding of one investigator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id (`load.error-rate`, `resources.cpu-bound`, …).
    pub id: String,
    /// The investigator.
    pub investigator: String,
    /// One line.
    pub title: String,
    /// The explanation, quantified.
    pub detail: String,
    /// 0..1: how bad it is where it applies.
    pub severity: f64,
    /// 0..1: share of the request time (or of the resource) it affects, when measured.
    pub time_share: Option<f64>,
    /// What it is about (`database`, `cpu`, `connections`, a function name): findings of
    /// different investigators about the same subject confirm each other.
    pub subject: String,
    /// The data behind it.
    pub evidence: Vec<Evidence>,
    /// True when inferred by a rule of thumb rather than measured on this target.
    pub heuristic: bool,
    /// Code functions it is about (a hot frame, a trace phase's `code.function.name`, the
    /// function around a code-scan match): findings of different investigators naming the same
    /// function are joined and confirm each other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<String>,
    /// Source files it is about (a code-scan match's file, a trace phase's `code.file.path`):
    /// when both sides of a function join name files, they must agree too, so two `get`s in
    /// different modules are not joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// What to do.
    pub recommendation: Option<Recommendation>,
}

/// What one investigator returned.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InvestigatorResult {
    /// Name.
    pub name: String,
    /// Outcome.
    pub verdict: Verdict,
    /// Key results in one paragraph.
    pub summary: String,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Raw data (referenced by evidence pointers).
    pub data: serde_json::Value,
    /// Time taken, s.
    pub duration_s: f64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl InvestigatorResult {
    /// A result for an investigator that failed or timed out.
    pub fn failed(name: &str, verdict: Verdict, error: String, duration_s: f64) -> Self {
        InvestigatorResult {
            name: name.to_string(),
            verdict,
            summary: format!("{name} did not complete: {error}"),
            findings: Vec::new(),
            data: serde_json::Value::Null,
            duration_s,
            error: Some(error),
        }
    }
}
