//! A stored investigation as the history reads it: the parts of an investigation's report.json
//! that `history show` prints and `compare` measures — its summary, its P0, its criteria and
//! the baseline each investigator measured. Every field is optional on reading, so reports
//! written before or after a change of the report's own types still read; what the report
//! lacks is `None`, never an error.

use crate::bench::CommandResult;
use crate::record::{CriterionResult, RunRecord};
use serde::Deserialize;

/// The readable view of an investigation record.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct StoredInvestigation {
    /// Investigation (plan) name.
    pub name: String,
    /// Start, RFC 3339.
    pub date: String,
    /// The target.
    pub target: String,
    /// Wall-clock length, s.
    pub duration_s: f64,
    /// Whether it was interrupted before the end (absent in older reports).
    pub partial: Option<bool>,
    /// The critical discovery and where the time goes.
    pub executive_summary: Summary,
    /// Success criteria evaluated on the baseline.
    pub criteria: Vec<CriterionResult>,
    /// P0, P1, P2 recommendations.
    pub recommendations: Vec<Priority>,
    /// Ranked findings (only counted here).
    pub findings: Vec<serde::de::IgnoredAny>,
    /// What each investigator returned.
    pub investigators: Vec<Investigator>,
}

/// The executive summary.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// One sentence.
    pub headline: String,
    /// Where the time goes, largest first.
    pub time_breakdown: Vec<Share>,
    /// Where the breakdown comes from.
    pub breakdown_source: String,
}

/// A share of request time.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Share {
    /// Phase.
    pub name: String,
    /// Percent of the total.
    pub share_pct: f64,
    /// Mean per request, ms.
    pub mean_ms: f64,
}

/// A prioritised recommendation.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Priority {
    /// `P0`, `P1`, `P2 quick win`.
    pub priority: String,
    /// The finding it addresses.
    pub finding_id: String,
    /// The recommendation.
    pub recommendation: Action,
}

/// What to do.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Action {
    /// The action.
    pub action: String,
    /// Expected impact in words.
    pub impact: String,
    /// Upper bound of the speed-up, when computed.
    pub expected_speedup: Option<f64>,
}

/// One investigator's outcome, with the raw data it measured.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Investigator {
    /// Name (`load`, `command`, …).
    pub name: String,
    /// Outcome (`found`, `clean`, `insufficient_data`, `failed`, `timed_out`).
    pub verdict: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Its raw data.
    pub data: serde_json::Value,
}

/// What an investigation measured as its baseline.
#[derive(Clone, Debug)]
pub enum Baseline {
    /// The load investigator's baseline run (HTTP targets).
    Load(Box<RunRecord>),
    /// The command investigator's benchmarked commands (command targets).
    Commands(Vec<CommandResult>),
}

impl StoredInvestigation {
    /// The P0 recommendation, if any.
    pub fn p0(&self) -> Option<&Priority> {
        self.recommendations.iter().find(|r| r.priority == "P0")
    }

    /// The baseline the investigation measured, or why there is none.
    pub fn baseline(&self) -> Result<Baseline, String> {
        let find = |name: &str| self.investigators.iter().find(|i| i.name == name);
        if let Some(load) = find("load") {
            return match load.data.get("record") {
                Some(v) => serde_json::from_value::<RunRecord>(v.clone())
                    .map(|r| Baseline::Load(Box::new(r)))
                    .map_err(|e| format!("its load baseline does not read as a run record: {e}")),
                None => Err(format!(
                    "its load investigator measured no baseline ({}{})",
                    load.verdict,
                    load.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                )),
            };
        }
        if let Some(command) = find("command") {
            return match command.data.get("commands") {
                Some(v) => serde_json::from_value::<Vec<CommandResult>>(v.clone())
                    .map(Baseline::Commands)
                    .map_err(|e| format!("its command baseline does not read: {e}")),
                None => Err(format!(
                    "its command investigator measured nothing ({})",
                    command.verdict
                )),
            };
        }
        Err("it ran neither the load nor the command investigator, so it has no baseline".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_without_a_baseline_says_why() {
        let v = serde_json::json!({
            "name": "checkout", "date": "2026-01-01T00:00:00Z",
            "executive_summary": {"headline": "the database is the bottleneck"},
            "recommendations": [{"priority": "P1", "finding_id": "x"},
                                {"priority": "P0", "finding_id": "db", "recommendation": {"action": "batch the inserts"}}],
            "investigators": [{"name": "load", "verdict": "failed", "error": "connection refused", "data": null}],
            "an_unknown_field": 1
        });
        let s: StoredInvestigation = serde_json::from_value(v).unwrap();
        assert_eq!(s.p0().unwrap().recommendation.action, "batch the inserts");
        let why = s.baseline().unwrap_err();
        assert!(why.contains("failed: connection refused"), "{why}");
        let empty: StoredInvestigation = serde_json::from_value(serde_json::json!({})).unwrap();
        assert!(empty.baseline().unwrap_err().contains("neither"));
    }
}
