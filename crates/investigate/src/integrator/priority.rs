//! The priorities one per problem, in the order of their expected gains. The recommend pass
//! chooses the fixes of the two best-ranked problems and a quick win. Advice that repeats a
//! problem already prioritised (the same request, statement or function and the same subject,
//! or another investigator's share of the same phase) is left out, and a P1 that did is
//! replaced by the fix of the next problem. A finding's rank says how sure and how broad the
//! evidence is, not how much its fix gains: so the P0 is the one of the two whose expected gain
//! is the larger — a measured gain (a sweep, a before/after) over an Amdahl bound, a larger
//! bound over a smaller one.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::consensus::phase_of;
use super::join::related;
use super::problem::{problems, same_problem};
use super::recommend::{prioritize, MAX_AMDAHL_SHARE, MEASURES_ONLY};
use crate::model::Finding;
use crate::report::{GainKind, Prioritized, Priority, RankedFinding};

/// From this share of time on, the Amdahl bound is too large to state (the recommend pass
/// leaves such a gain out): it is larger than any bound it states.
const UNSTATED_AMDAHL_SHARE: f64 = MAX_AMDAHL_SHARE;

/// What a recommendation is expected to gain, for ordering.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Expected {
    /// An upper bound, 1 / (1 − p); infinite when too large to state.
    Bound(f64),
    /// A measured gain.
    Measured(f64),
}

impl Expected {
    /// Which of two expected gains is larger: a measured one over a bound, then by factor.
    pub(super) fn cmp(self, other: Expected) -> Ordering {
        match (self, other) {
            (Expected::Measured(a), Expected::Measured(b))
            | (Expected::Bound(a), Expected::Bound(b)) => a.total_cmp(&b),
            (Expected::Measured(_), Expected::Bound(_)) => Ordering::Greater,
            (Expected::Bound(_), Expected::Measured(_)) => Ordering::Less,
        }
    }
}

/// The expected gain of a recommendation in words: its labelled gain, or a bound too large to
/// state.
pub(super) fn describe(p: &Prioritized) -> String {
    p.gain.as_ref().map_or_else(
        || "an Amdahl bound too large to state (the phase is nearly all of request time)".into(),
        |g| g.describe(),
    )
}

/// The expected gain of `p`: its labelled gain, or an Amdahl bound too large to state when
/// its finding's share of time is at least 95%; `None` when nothing says what it gains.
pub(super) fn expected(p: &Prioritized, ranked: &[RankedFinding]) -> Option<Expected> {
    if let Some(g) = &p.gain {
        return Some(match g.kind {
            GainKind::Sweep | GainKind::BeforeAfter => Expected::Measured(g.factor),
            GainKind::AmdahlBound => Expected::Bound(g.factor),
        });
    }
    if p.recommendation.risk == MEASURES_ONLY {
        return None;
    }
    let share = ranked
        .iter()
        .find(|r| r.finding.id == p.finding_id)
        .and_then(|r| r.finding.time_share)?;
    (share >= UNSTATED_AMDAHL_SHARE).then_some(Expected::Bound(f64::INFINITY))
}

/// The recommendations of the recommend pass ([`prioritize`]) one per problem, a P1 of the
/// next problem when the P1 repeated the P0's, and the P0 and the P1 in the order of their
/// expected gains (see the module docs); the quick win stays last.
pub(super) fn prioritized(
    ranked: &[RankedFinding],
    derived: &BTreeSet<String>,
) -> Vec<Prioritized> {
    let mut out = one_per_problem(prioritize(ranked, derived), ranked);
    if fixes(&out) < 2 {
        if let Some(next) = next_problem(&out, ranked, derived) {
            let at = fixes(&out);
            out.insert(at, next);
            out = one_per_problem(out, ranked);
        }
    }
    by_gain(out, ranked)
}

/// How many of `recs` fix a problem (P0, P1), not a quick win.
fn fixes(recs: &[Prioritized]) -> usize {
    recs.iter()
        .take_while(|p| p.priority != Priority::P2QuickWin)
        .count()
}

/// The fix of the best problem none of `recs` addresses: the recommend pass over the findings
/// that are not about their problems, as the next priority.
fn next_problem(
    recs: &[Prioritized],
    ranked: &[RankedFinding],
    derived: &BTreeSet<String>,
) -> Option<Prioritized> {
    let groups = problems(ranked);
    let covered = |r: &RankedFinding| {
        recs.iter().any(|q| {
            let group = groups
                .iter()
                .find(|g| g.iter().any(|&i| ranked[i].finding.id == q.finding_id));
            group.is_some_and(|g| g.iter().any(|&i| ranked[i].finding.id == r.finding.id))
                || repeats(q, &r.finding, ranked, &groups)
        })
    };
    let rest: Vec<RankedFinding> = ranked.iter().filter(|r| !covered(r)).cloned().collect();
    let mut next = prioritize(&rest, derived)
        .into_iter()
        .find(|p| p.priority != Priority::P2QuickWin)?;
    next.priority = if fixes(recs) == 0 {
        Priority::P0
    } else {
        Priority::P1
    };
    // ranks are the report's, out of all its findings
    next.rationale = next.rationale.replacen(
        &format!(" of {} (", rest.len()),
        &format!(" of {} (", ranked.len()),
        1,
    );
    Some(next)
}

/// The P0 and the P1 in the order of their expected gains.
fn by_gain(mut out: Vec<Prioritized>, ranked: &[RankedFinding]) -> Vec<Prioritized> {
    if fixes(&out) < 2 {
        return out;
    }
    let (Some(first), Some(second)) = (expected(&out[0], ranked), expected(&out[1], ranked)) else {
        return out;
    };
    if second.cmp(first) != Ordering::Greater {
        return out;
    }
    out.swap(0, 1);
    out[0].priority = Priority::P0;
    out[1].priority = Priority::P1;
    out[0].rationale = format!(
        "{}; first for its expected gain, {}, larger than that of `{}`, {}",
        out[0].rationale,
        describe(&out[0]),
        out[1].finding_id,
        describe(&out[1])
    );
    out
}

/// The recommendations without one about a problem an earlier one addresses ([`repeats`]).
fn one_per_problem(recs: Vec<Prioritized>, ranked: &[RankedFinding]) -> Vec<Prioritized> {
    let groups = problems(ranked);
    let mut out: Vec<Prioritized> = Vec::new();
    for p in recs {
        let finding = ranked.iter().find(|r| r.finding.id == p.finding_id);
        let repeated =
            finding.is_some_and(|f| out.iter().any(|q| repeats(q, &f.finding, ranked, &groups)));
        if !repeated {
            out.push(p);
        }
    }
    out
}

/// Whether advice about `f` repeats the problem `q` fixes: it is `q`'s finding, or about the
/// same request, statement or function ([`same_problem`]) and the same subject (an N+1's code
/// match after the N+1 seen in the traces), or about a phase another investigator measured for
/// `q`'s problem (Server-Timing's `db` after the traces' `db`). Advice about another subject
/// of the same request (the concurrency to run it at, after fixing its statements) is another
/// problem.
fn repeats(q: &Prioritized, f: &Finding, ranked: &[RankedFinding], groups: &[Vec<usize>]) -> bool {
    let Some(own) = ranked.iter().find(|r| r.finding.id == q.finding_id) else {
        return false;
    };
    let own = &own.finding;
    if own.id == f.id && own.investigator == f.investigator {
        return true;
    }
    if same_problem(own, f) && related(&own.subject, &f.subject) {
        return true;
    }
    let group = groups
        .iter()
        .find(|g| g.iter().any(|&i| ranked[i].finding.id == q.finding_id));
    std::iter::once(own)
        .chain(group.into_iter().flatten().map(|&i| &ranked[i].finding))
        .any(|a| same_phase(a, f))
}

/// Whether two investigators' findings give a share of one phase (`traces.phase.db`,
/// `load.phase.db`).
fn same_phase(a: &Finding, b: &Finding) -> bool {
    a.investigator != b.investigator
        && phase_of(&a.id).is_some()
        && phase_of(&a.id) == phase_of(&b.id)
}
