//! The integrator: one ranked report from the investigators' findings, in named passes over
//! an [`Integration`] (the results and all their findings), each in its own module and
//! testable alone:
//!
//! 1. **pointers** — evidence points into report.json at its investigator's index.
//! 2. **rank** (`rank.rs`) — score = severity × share of time affected (0.3 when unmeasured)
//!    × (1 + 0.5 per other investigator whose finding is joined to it: the same request,
//!    statement or function, `join.rs` — never a shared subject alone) × (0.5 when heuristic);
//!    a static code finding confirmed at runtime loses the heuristic discount and takes the
//!    measured share it is joined to; a finding without a subject of its own takes the subject
//!    of the evidence joined to it; a finding whose share of a phase another source
//!    supersedes is restated with the winning share and ranks below the winner.
//! 3. **consensus** (`consensus.rs`) — agreements per subject and join key; contradicting
//!    shares of one phase reconciled; heuristics overruled by measurements; investigators
//!    whose view is missing.
//! 4. **recommend** (`recommend.rs`) — the top findings completed with recommendations from
//!    their evidence; findings grouped into problems (`problem.rs`: the same statement or
//!    function, or the same request for a finding about the request as a whole), each fixed
//!    with the most specific advice its findings carry; P0/P1/P2 with labelled gains (measured by a sweep, or the Amdahl bound
//!    1 / (1 − p)); `priority.rs` puts the P0 and P1 in the order of their expected gains
//!    (measured over bounds) and lists each problem once; then (`roadmap.rs`) the roadmap with target criteria, the risks, the
//!    alternatives.
//! 5. **summary** (`summary.rs`) — where the time goes, the headline, the P0 with its gain,
//!    the criteria and status, the charts.

mod consensus;
mod join;
mod priority;
mod problem;
mod rank;
mod recommend;
mod roadmap;
mod summary;

pub use join::{function_key, same_file};
pub use rank::STATIC_SHARE;

use crate::data::DataOf;
use crate::model::{Finding, InvestigatorResult};
use crate::report::*;
use join::related;

/// What the integrator needs besides the investigators' results.
pub struct Inputs<'a> {
    /// Investigation name.
    pub name: &'a str,
    /// Start, RFC 3339.
    pub date: String,
    /// Target URL.
    pub target: &'a str,
    /// Wall-clock length, s.
    pub duration_s: f64,
    /// Commands of the validation plan.
    pub validation: Vec<ValidationStep>,
    /// Raw data files written next to the report.
    pub data_files: Vec<String>,
    /// Set when the investigation was interrupted: the report is partial.
    pub interruption: Option<Interruption>,
}

/// What every pass reads: the investigators' results and all their findings.
pub struct Integration<'a> {
    /// The results, in report order.
    pub results: &'a [InvestigatorResult],
    /// Every finding of every investigator.
    pub findings: Vec<&'a Finding>,
}

impl<'a> Integration<'a> {
    /// The context of `results`.
    pub fn new(results: &'a [InvestigatorResult]) -> Self {
        Integration {
            results,
            findings: results.iter().flat_map(|r| r.findings.iter()).collect(),
        }
    }

    /// The largest share of time measured (not inferred) about `subject` or a related one, by
    /// any investigator.
    pub fn measured_share(&self, subject: &str) -> Option<f64> {
        self.findings
            .iter()
            .filter(|f| !f.heuristic && related(&f.subject, subject))
            .filter_map(|f| f.time_share)
            .reduce(f64::max)
    }
}

/// Points evidence into `/investigators/<index>/data/...`: investigators write a placeholder
/// for their position, known only here.
fn fix_pointers(results: &mut [InvestigatorResult]) {
    for (i, r) in results.iter_mut().enumerate() {
        for e in r.findings.iter_mut().flat_map(|f| f.evidence.iter_mut()) {
            if let Some(rest) = e.pointer.strip_prefix("/investigators/") {
                let tail = rest.split_once('/').map(|x| x.1).unwrap_or("");
                e.pointer = format!("/investigators/{i}/{tail}");
            }
        }
    }
}

/// Writes the report: the passes of the module docs, in order.
pub fn integrate(mut results: Vec<InvestigatorResult>, inputs: Inputs<'_>) -> Report {
    fix_pointers(&mut results);
    let ctx = Integration::new(&results);
    let mut findings = rank::rank(&ctx);
    let derived = recommend::complete(&mut findings, &results);
    let consensus = consensus::consensus(&ctx, &findings);
    let recommendations = priority::prioritized(&findings, &derived);
    let roadmap = roadmap::roadmap(&recommendations, &findings, results.sweep_data());
    let risks = roadmap::risks(&recommendations);
    let alternatives = roadmap::alternatives(&recommendations, &findings);
    let executive_summary = summary::executive_summary(&results, &findings, &recommendations);
    let criteria = summary::criteria(&results);
    let status = summary::status(&criteria, inputs.interruption.as_ref());
    let charts = summary::charts(&results);
    Report {
        schema_version: "1.0.0".into(),
        kind: ReportKind::Investigation,
        status,
        interruption: inputs.interruption,
        name: inputs.name.to_string(),
        date: inputs.date,
        target: inputs.target.to_string(),
        duration_s: round3(inputs.duration_s),
        executive_summary,
        criteria,
        findings,
        recommendations,
        investigators: results,
        consensus,
        roadmap,
        risks,
        validation_plan: inputs.validation,
        charts,
        appendices: Appendices {
            configuration: Vec::new(),
            alternatives_rejected: alternatives,
            data_files: inputs.data_files,
        },
        before_after: None,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_problems;
#[cfg(test)]
mod tests_reading;
#[cfg(test)]
mod tests_summary;
