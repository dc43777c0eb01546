//! The priorities put in the order of their expected gains, one per problem. The recommend
//! pass chooses the fixes of the two best-ranked problems and a quick win; a finding's rank
//! says how sure and how broad the evidence is, not how much its fix gains. So the P0 is the
//! one of the two whose expected gain is the larger — a measured gain (a sweep, a
//! before/after) over an Amdahl bound, a larger bound over a smaller one — and a quick win
//! about a problem already prioritised (the same request, statement or function, and the same
//! subject) is not listed again.

use std::cmp::Ordering;

use super::join::related;
use super::problem::same_problem;
use crate::report::{GainKind, Prioritized, Priority, RankedFinding};

/// From this share of time on, the Amdahl bound is too large to state (the recommend pass
/// leaves such a gain out): it is larger than any bound it states.
const UNSTATED_AMDAHL_SHARE: f64 = 0.95;

/// The risk a recommendation that only gathers evidence carries: it has no gain.
const MEASURES_ONLY: &str = "none: this only measures";

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

/// The recommendations one per problem, the P0 and the P1 in the order of their expected
/// gains (see the module docs); the quick win stays last.
pub(super) fn by_gain(recs: Vec<Prioritized>, ranked: &[RankedFinding]) -> Vec<Prioritized> {
    let mut out = one_per_problem(recs, ranked);
    let prioritized = out
        .iter()
        .take_while(|p| p.priority != Priority::P2QuickWin)
        .count();
    if prioritized < 2 {
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

/// The recommendations without one about a problem an earlier one addresses: about the same
/// request, statement or function ([`same_problem`]) and the same subject (an N+1's code match
/// after the N+1 seen in the traces). Advice about another subject of the same request (the
/// concurrency to run it at, after fixing its statements) is another problem.
fn one_per_problem(recs: Vec<Prioritized>, ranked: &[RankedFinding]) -> Vec<Prioritized> {
    let finding = |id: &str| {
        ranked
            .iter()
            .find(|r| r.finding.id == id)
            .map(|r| &r.finding)
    };
    let mut out: Vec<Prioritized> = Vec::new();
    for p in recs {
        let repeats = out
            .iter()
            .any(|q| match (finding(&q.finding_id), finding(&p.finding_id)) {
                (Some(a), Some(b)) => same_problem(a, b) && related(&a.subject, &b.subject),
                _ => false,
            });
        if !repeats {
            out.push(p);
        }
    }
    out
}
