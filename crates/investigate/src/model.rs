//! What investigators return: findings with evidence, verdicts that may say "insufficient
//! data", recommendations, and each investigator's typed data ([`crate::data`]). The helpers
//! here ([`Evidence::measured`], [`Finding::new`] and its builders, the
//! [`InvestigatorResult`] constructors) are the one way every investigator builds them.

use crate::data::InvestigatorData;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The investigators perfhive runs; serialised as their lower-case names (`load`, `sweep`, …),
/// which name the raw data files (`load.json`) too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestigatorName {
    /// The baseline load test (HTTP targets).
    Load,
    /// USE-method sampling of the target's processes.
    Resources,
    /// Concurrency and parameter sweeps.
    Sweep,
    /// Repeated runs of a command target (the bench engine).
    Command,
    /// perf CPU stacks of the target.
    Profile,
    /// OpenTelemetry spans received during the baseline.
    Traces,
    /// The static anti-pattern scan of the target's source.
    Code,
}

impl InvestigatorName {
    /// The name as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            InvestigatorName::Load => "load",
            InvestigatorName::Resources => "resources",
            InvestigatorName::Sweep => "sweep",
            InvestigatorName::Command => "command",
            InvestigatorName::Profile => "profile",
            InvestigatorName::Traces => "traces",
            InvestigatorName::Code => "code",
        }
    }

    /// The raw data file of this investigator in the report folder.
    pub fn data_file(self) -> String {
        format!("{}.json", self.as_str())
    }
}

impl fmt::Display for InvestigatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Alphabetical by name, as reports list them.
impl Ord for InvestigatorName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for InvestigatorName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

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
    /// The investigation was interrupted (SIGINT, SIGTERM) before this investigator returned.
    Interrupted,
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

impl Evidence {
    /// A measured value, rounded to three decimals, with the JSON pointer to its data inside
    /// the investigator's own `data` (`record/metrics/error_rate_pct`): the integrator turns it
    /// into a pointer into report.json once the investigator's position there is known.
    pub fn measured(label: impl Into<String>, value: f64, unit: &str, data_path: &str) -> Self {
        Evidence {
            label: label.into(),
            value: (value * 1000.0).round() / 1000.0,
            unit: unit.into(),
            pointer: data_pointer(data_path),
        }
    }
}

/// The placeholder pointer to `path` inside an investigator's data: `/investigators/_/data/…`,
/// whose `_` the integrator replaces with the investigator's index in report.json.
pub fn data_pointer(path: &str) -> String {
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        "/investigators/_/data".into()
    } else {
        format!("/investigators/_/data/{path}")
    }
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
    pub investigator: InvestigatorName,
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
    /// function around a code-scan match, a route's handler): findings of different
    /// investigators naming the same function are joined and confirm each other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<String>,
    /// Source files it is about (a code-scan match's file, a trace phase's `code.file.path`):
    /// when both sides of a function join name files, they must agree too, so two `get`s in
    /// different modules are not joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Requests it is about (`GET /orders/{}`: a load request, a server span's `http.route`,
    /// a route the code declares, in [`perfhive_core::route`]'s one spelling): findings about
    /// the same route are joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<perfhive_core::route::Route>,
    /// SQL statements it is about, as [`perfhive_core::sql`] fingerprints (a trace's
    /// `db.statement`, a statement the database reports, a SQL string in the code): findings
    /// about the same statement are joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<perfhive_core::sql::Fingerprint>,
    /// What to do.
    pub recommendation: Option<Recommendation>,
}

impl Finding {
    /// A measured finding of `investigator` (`<investigator>.<what>` ids), of severity 0.5
    /// about `subject`, with no time share, evidence, function, file or recommendation yet:
    /// the builder methods below add them.
    pub fn new(
        investigator: InvestigatorName,
        id: impl Into<String>,
        subject: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Finding {
            id: id.into(),
            investigator,
            title: title.into(),
            detail: detail.into(),
            severity: 0.5,
            time_share: None,
            subject: subject.into(),
            evidence: Vec::new(),
            heuristic: false,
            functions: Vec::new(),
            files: Vec::new(),
            routes: Vec::new(),
            statements: Vec::new(),
            recommendation: None,
        }
    }

    /// With this severity (0..1).
    pub fn severity(mut self, severity: f64) -> Self {
        self.severity = severity;
        self
    }

    /// With this measured share of time (0..1).
    pub fn share(mut self, share: f64) -> Self {
        self.time_share = Some(share);
        self
    }

    /// With this evidence.
    pub fn evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Self {
        self.evidence.extend(evidence);
        self
    }

    /// Inferred by a rule of thumb, not measured on this target.
    pub fn heuristic(mut self) -> Self {
        self.heuristic = true;
        self
    }

    /// About these code functions.
    pub fn functions(mut self, functions: impl IntoIterator<Item = String>) -> Self {
        self.functions.extend(functions);
        self
    }

    /// About these source files.
    pub fn files(mut self, files: impl IntoIterator<Item = String>) -> Self {
        self.files.extend(files);
        self
    }

    /// About these routes.
    pub fn routes(mut self, routes: impl IntoIterator<Item = perfhive_core::route::Route>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// About these SQL statements ([`perfhive_core::sql`] fingerprints).
    pub fn statements(
        mut self,
        fingerprints: impl IntoIterator<Item = perfhive_core::sql::Fingerprint>,
    ) -> Self {
        self.statements.extend(fingerprints);
        self
    }

    /// With this recommendation.
    pub fn recommend(mut self, recommendation: Recommendation) -> Self {
        self.recommendation = Some(recommendation);
        self
    }
}

/// What one investigator returned.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "crate::data::RawResult")]
pub struct InvestigatorResult {
    /// Name.
    pub name: InvestigatorName,
    /// Outcome.
    pub verdict: Verdict,
    /// Key results in one paragraph.
    pub summary: String,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Raw data (referenced by evidence pointers; written as `<name>.json`), `null` when the
    /// investigator has none.
    pub data: Option<InvestigatorData>,
    /// Time taken, s.
    pub duration_s: f64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl InvestigatorResult {
    /// A result whose verdict follows its findings: found when there are some, else clean.
    pub fn from_findings(
        name: InvestigatorName,
        summary: impl Into<String>,
        findings: Vec<Finding>,
        data: Option<InvestigatorData>,
    ) -> Self {
        InvestigatorResult {
            name,
            verdict: if findings.is_empty() {
                Verdict::Clean
            } else {
                Verdict::Found
            },
            summary: summary.into(),
            findings,
            data,
            duration_s: 0.0,
            error: None,
        }
    }

    /// "Not enough data to say", with what was gathered (if anything) and why it is not enough.
    pub fn insufficient(
        name: InvestigatorName,
        summary: impl Into<String>,
        data: Option<InvestigatorData>,
    ) -> Self {
        InvestigatorResult {
            name,
            verdict: Verdict::InsufficientData,
            summary: summary.into(),
            findings: Vec::new(),
            data,
            duration_s: 0.0,
            error: None,
        }
    }

    /// An investigator the plan asks for that cannot run on this target: "insufficient
    /// data", saying why and what to do instead.
    pub fn not_applicable(name: InvestigatorName, why: impl Into<String>) -> Self {
        Self::insufficient(name, why, None)
    }

    /// A result for an investigator that failed, timed out or was interrupted.
    pub fn failed(
        name: InvestigatorName,
        verdict: Verdict,
        error: String,
        duration_s: f64,
    ) -> Self {
        InvestigatorResult {
            name,
            verdict,
            summary: format!("{name} did not complete: {error}"),
            findings: Vec::new(),
            data: None,
            duration_s,
            error: Some(error),
        }
    }

    /// The verdict, overridden: insufficient data when `enough` is false.
    pub fn unless_enough(mut self, enough: bool) -> Self {
        if !enough {
            self.verdict = Verdict::InsufficientData;
        }
        self
    }
}
