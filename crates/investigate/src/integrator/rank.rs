//! The ranking pass: every finding scored and ranked, best first.
//!
//! Score = severity × share of time affected × (1 + 0.5 per other investigator confirming it)
//! × 0.5 for an unconfirmed heuristic × 1.5 when joined on a function × 1.5 for a measured
//! gain of 2× or more. An unmeasured share is the measured share of the finding's subject
//! (from any investigator), else 0.3; a static code finding takes its joined function's
//! measured share, else [`STATIC_SHARE`].

use super::join::{is_static, related, shared_functions};
use super::Integration;
use crate::model::{Finding, InvestigatorName};
use crate::report::RankedFinding;

/// The share of time assumed for a static code finding no runtime evidence confirms.
pub const STATIC_SHARE: f64 = 0.1;

/// The share of time assumed for a finding whose subject nobody measured.
const UNMEASURED_SHARE: f64 = 0.3;

/// How the other investigators' findings bear on one finding.
struct Confirmation {
    /// Investigators confirming it, by subject or function, sorted.
    by: Vec<InvestigatorName>,
    /// The functions it is joined on, sorted.
    joined_on: Vec<String>,
    /// The largest measured share of a finding joined to it by function.
    joined_share: Option<f64>,
}

/// What confirms `f` among `all`: a finding of another investigator about the same function,
/// or — unless either side is a static code finding, which is about one place — about a
/// related subject.
fn confirmation(f: &Finding, all: &[&Finding]) -> Confirmation {
    let mut c = Confirmation {
        by: Vec::new(),
        joined_on: Vec::new(),
        joined_share: None,
    };
    for g in all.iter().filter(|g| g.investigator != f.investigator) {
        let shared = shared_functions(f, g);
        let joined = !shared.is_empty();
        c.joined_on.extend(shared);
        if joined && !g.heuristic {
            if let Some(t) = g.time_share {
                c.joined_share = Some(c.joined_share.map_or(t, |j: f64| j.max(t)));
            }
        }
        let static_side = is_static(f) || is_static(g);
        if joined || (!static_side && related(&g.subject, &f.subject)) {
            c.by.push(g.investigator);
        }
    }
    c.by.sort();
    c.by.dedup();
    c.joined_on.sort();
    c.joined_on.dedup();
    c
}

/// One finding's score (see the module docs), rounded to three decimals.
fn score(f: &Finding, c: &Confirmation, ctx: &Integration<'_>) -> f64 {
    let confirmed_at_runtime = !c.joined_on.is_empty();
    let share = match f.time_share {
        Some(s) => s,
        // the measured share of its function's phase, once joined; else a small prior
        None if is_static(f) => c.joined_share.unwrap_or(STATIC_SHARE),
        None => ctx.measured_share(&f.subject).unwrap_or(UNMEASURED_SHARE),
    };
    let mut score = f.severity * share.max(0.05) * (1.0 + 0.5 * c.by.len() as f64);
    // a rule of thumb counts half, unless runtime evidence names the same function
    if f.heuristic && !confirmed_at_runtime {
        score *= 0.5;
    }
    if confirmed_at_runtime {
        score *= 1.5; // the same function seen by two kinds of evidence
    }
    if f.recommendation
        .as_ref()
        .and_then(|r| r.expected_speedup)
        .is_some_and(|s| s >= 2.0)
    {
        score *= 1.5; // a measured large gain
    }
    (score * 1000.0).round() / 1000.0
}

/// Every finding, scored and ranked (1 = most important).
pub(super) fn rank(ctx: &Integration<'_>) -> Vec<RankedFinding> {
    let mut ranked: Vec<RankedFinding> = ctx
        .findings
        .iter()
        .map(|f| {
            let c = confirmation(f, &ctx.findings);
            RankedFinding {
                rank: 0,
                score: score(f, &c, ctx),
                confirmed_by: c.by,
                joined_on: c.joined_on,
                finding: (*f).clone(),
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    ranked
}
