//! The ranking pass: every finding scored and ranked, best first.
//!
//! Score = severity × share of time affected × (1 + 0.5 per other investigator confirming it
//! on a join key: the same request, statement or function) × 0.5 for an unconfirmed heuristic
//! × 1.5 for a static finding seen running × 1.5 for a measured gain of 2× or more. An
//! unmeasured share is the largest measured share of the findings joined to it, else the
//! measured share of its subject, else 0.3; a static code finding takes its joined share,
//! else [`STATIC_SHARE`]. A finding that names no subject of its own (a parameter sweep
//! without `subject:`) takes the subject of the measured finding joined to it with the
//! largest share. A finding whose share of a phase another source supersedes (Server-Timing
//! against the traces' critical path) is restated with the winning share, ranks below the
//! finding that supersedes it, and the two confirm nothing of each other.

use super::consensus::{reconciled_share, restate_superseded, superseded_by};
use super::join::{is_static, join_keys};
use super::Integration;
use crate::model::{Finding, InvestigatorName};
use crate::report::{Join, JoinKey, RankedFinding};

/// The share of time assumed for a static code finding no runtime evidence confirms.
pub const STATIC_SHARE: f64 = 0.1;

/// The share of time assumed for a finding whose subject nobody measured.
const UNMEASURED_SHARE: f64 = 0.3;

/// How the other investigators' findings bear on one finding.
struct Confirmation {
    /// Investigators confirming it, sorted.
    by: Vec<InvestigatorName>,
    /// Each confirming finding and the key joining it.
    joins: Vec<Join>,
    /// The largest measured share of a finding joined to it.
    joined_share: Option<f64>,
    /// The joined measured finding with the largest share (or severity): whose subject a
    /// finding without one takes.
    best: Option<(String, String)>,
}

/// What confirms `f` among `all`: each finding of another investigator about the same
/// request, statement or function ([`join_keys`]). Two findings giving contradicting shares of
/// one phase confirm nothing of each other: a superseded finding takes no confirmation from
/// the investigator that superseded it, nor the winner from the finding it supersedes.
fn confirmation(f: &Finding, all: &[&Finding]) -> Confirmation {
    let winner = superseded_by(f, all).map(|w| w.investigator);
    let mut c = Confirmation {
        by: Vec::new(),
        joins: Vec::new(),
        joined_share: None,
        best: None,
    };
    let mut best_weight = f64::NEG_INFINITY;
    let contradicts = |g: &Finding| {
        winner == Some(g.investigator) || superseded_by(g, all).is_some_and(|w| same(w, f))
    };
    for g in all
        .iter()
        .filter(|g| g.investigator != f.investigator && !contradicts(g))
    {
        let keys = join_keys(f, g);
        if keys.is_empty() {
            continue;
        }
        c.by.push(g.investigator);
        c.joins.extend(keys.into_iter().map(|key| Join {
            investigator: g.investigator,
            finding: g.id.clone(),
            key,
        }));
        if !g.heuristic {
            if let Some(t) = g.time_share {
                c.joined_share = Some(c.joined_share.map_or(t, |j: f64| j.max(t)));
            }
            let weight = g.time_share.unwrap_or(0.0) + g.severity * 1e-3;
            if weight > best_weight && !names_no_subject(g) {
                best_weight = weight;
                c.best = Some((g.id.clone(), g.subject.clone()));
            }
        }
    }
    c.by.sort();
    c.by.dedup();
    c
}

/// Whether a finding names no subject of its own: a parameter sweep without `subject:` is
/// about its parameter's name until the evidence joined to it says what it is about.
fn names_no_subject(f: &Finding) -> bool {
    f.subject.trim().is_empty()
        || f.id
            .strip_prefix("sweep.parameter.")
            .is_some_and(|p| p == f.subject)
}

/// One finding's score (see the module docs), rounded to three decimals.
fn score(f: &Finding, c: &Confirmation, ctx: &Integration<'_>) -> f64 {
    let confirmed_at_runtime = !c.joins.is_empty();
    let share = match reconciled_share(f, &ctx.findings) {
        Some(s) => s,
        // the measured share of what it is joined to; else a small prior
        None if is_static(f) => c.joined_share.unwrap_or(STATIC_SHARE),
        None => c
            .joined_share
            .or_else(|| ctx.measured_share(&f.subject))
            .unwrap_or(UNMEASURED_SHARE),
    };
    let mut score = f.severity * share.max(0.05) * (1.0 + 0.5 * c.by.len() as f64);
    // a rule of thumb counts half, unless runtime evidence names the same function
    if f.heuristic && !confirmed_at_runtime {
        score *= 0.5;
    }
    if confirmed_at_runtime && is_static(f) {
        score *= 1.5; // a place in the code seen running
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

/// Every finding, scored and ranked (1 = most important). A finding whose share of a phase
/// is superseded by another source's is restated with the reconciled share
/// ([`restate_superseded`]) and ranks below the finding that supersedes it.
pub(super) fn rank(ctx: &Integration<'_>) -> Vec<RankedFinding> {
    let mut ranked: Vec<RankedFinding> = ctx
        .findings
        .iter()
        .map(|f| {
            let c = confirmation(f, &ctx.findings);
            let mut finding = (*f).clone();
            let mut subject_from = None;
            if names_no_subject(f) {
                if let Some((id, subject)) = &c.best {
                    finding.subject = subject.clone();
                    subject_from = Some(id.clone());
                }
            }
            if let Some(winner) = superseded_by(f, &ctx.findings) {
                restate_superseded(&mut finding, winner);
            }
            let joined_on = c
                .joins
                .iter()
                .filter_map(|j| match &j.key {
                    JoinKey::Function(name) => Some(name.clone()),
                    _ => None,
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            RankedFinding {
                rank: 0,
                score: score(f, &c, ctx),
                confirmed_by: c.by,
                joined_on,
                joins: c.joins,
                subject_from,
                finding,
            }
        })
        .collect();
    below_their_winners(&mut ranked, &ctx.findings);
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            // on a tie, the superseded finding after the one that supersedes it
            .then_with(|| superseded(a, ctx).cmp(&superseded(b, ctx)))
    });
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    ranked
}

/// Whether two findings are the same one (ids are unique per investigator).
fn same(a: &Finding, b: &Finding) -> bool {
    a.id == b.id && a.investigator == b.investigator
}

/// Whether the original of a ranked finding is superseded by another source's share.
fn superseded(r: &RankedFinding, ctx: &Integration<'_>) -> bool {
    ctx.findings
        .iter()
        .find(|f| same(f, &r.finding))
        .is_some_and(|f| superseded_by(f, &ctx.findings).is_some())
}

/// Caps each superseded finding's score at the score of the finding that supersedes it,
/// until no cap changes (a chain of sources settles in as many passes as it is long).
fn below_their_winners(ranked: &mut [RankedFinding], all: &[&Finding]) {
    let caps: Vec<(usize, usize)> = (0..ranked.len())
        .filter_map(|i| {
            let original = all.iter().find(|f| same(f, &ranked[i].finding))?;
            let winner = superseded_by(original, all)?;
            let j = ranked.iter().position(|r| same(&r.finding, winner))?;
            Some((i, j))
        })
        .collect();
    for _ in 0..=caps.len() {
        let mut changed = false;
        for &(i, j) in &caps {
            if ranked[i].score > ranked[j].score {
                ranked[i].score = ranked[j].score;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}
