//! Problems: the ranked findings grouped by what they are about, so that the priorities name
//! problems, not symptoms. Several investigators see one slow request: a trace phase, the
//! slowest request of the load, the sweep's queueing, an N+1 in the same statement. Which of
//! them ranks first can change from one run to the next (their scores are close); the problem
//! does not, and neither should its fix. So a problem is led by its best-ranked finding and
//! holds every finding about the same problem ([`same_problem`]); its fix is the most specific
//! advice any of them carries ([`Specificity`]), the best-ranked one on a tie.

use std::collections::BTreeSet;

use super::join::{is_static, join_keys};
use crate::model::{Finding, InvestigatorName};
use crate::report::{JoinKey, RankedFinding};

/// How specific a finding's advice is, for choosing the fix of a problem (larger is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Specificity {
    /// Derived by the integrator from what the finding is about ("cut the time of `GET /x`").
    Derived,
    /// The investigator's own advice.
    Own,
    /// The investigator's own advice about a statement or a function it names (an N+1 fix for
    /// the ORM seen in the spans, an index on the filtered column, the hot function).
    OwnPrecise,
    /// A change whose gain a sweep or a command experiment measured.
    Measured,
}

/// Whether a finding names no statement and no function: it is about its request as a whole.
fn whole_request(f: &Finding) -> bool {
    f.statements.is_empty() && f.functions.is_empty()
}

/// Whether two findings are about the same problem: they share a statement or a function, or
/// a request when one of them is about that request as a whole (two functions in one handler
/// are two problems; the handler's latency is a symptom of both).
pub(super) fn same_problem(a: &Finding, b: &Finding) -> bool {
    join_keys(a, b).iter().any(|k| match k {
        JoinKey::Route(_) => whole_request(a) || whole_request(b),
        JoinKey::Statement(_) | JoinKey::Function(_) => true,
    })
}

/// The ranked findings grouped into problems, best first: each problem is led by the
/// best-ranked finding not in a better problem and holds the findings about the same problem
/// as its lead (indices into `ranked`, in rank order). A finding about several requests as a
/// whole (the load's slowest requests, slowest first) stands for its first one: otherwise
/// whether it or one request's finding ranks first would merge two requests' problems in one
/// run and not in the next, and change which fix comes first.
pub(super) fn problems(ranked: &[RankedFinding]) -> Vec<Vec<usize>> {
    let mut taken = vec![false; ranked.len()];
    let mut out = Vec::new();
    let about: Vec<_> = ranked.iter().map(|r| first_request(&r.finding)).collect();
    for lead in 0..ranked.len() {
        if taken[lead] {
            continue;
        }
        taken[lead] = true;
        let mut members = vec![lead];
        for other in lead + 1..ranked.len() {
            if !taken[other] && same_problem(&about[lead], &about[other]) {
                taken[other] = true;
                members.push(other);
            }
        }
        out.push(members);
    }
    out
}

/// `f` as grouping sees it: a finding about several requests as a whole stands for the
/// first (its slowest); any other finding as it is.
fn first_request(f: &Finding) -> std::borrow::Cow<'_, Finding> {
    if whole_request(f) && f.routes.len() > 1 {
        let mut one = f.clone();
        one.routes.truncate(1);
        std::borrow::Cow::Owned(one)
    } else {
        std::borrow::Cow::Borrowed(f)
    }
}

/// Whether a finding's advice may be prioritised: it has some, and a static code finding
/// only when runtime evidence is joined to it.
pub(super) fn eligible(r: &RankedFinding) -> bool {
    r.finding.recommendation.is_some() && (!is_static(&r.finding) || !r.joins.is_empty())
}

/// How specific `r`'s advice is; `derived` holds the ids whose advice the integrator wrote.
pub(super) fn specificity(r: &RankedFinding, derived: &BTreeSet<String>) -> Specificity {
    let f = &r.finding;
    if derived.contains(&f.id) {
        return Specificity::Derived;
    }
    let measured = matches!(
        f.investigator,
        InvestigatorName::Sweep | InvestigatorName::Command
    ) && f
        .recommendation
        .as_ref()
        .is_some_and(|r| r.expected_speedup.is_some());
    if measured {
        Specificity::Measured
    } else if whole_request(f) {
        Specificity::Own
    } else {
        Specificity::OwnPrecise
    }
}

/// The fix of a problem: among its eligible findings, the most specific advice, the
/// best-ranked on a tie; `None` when none carries advice.
pub(super) fn fix(
    ranked: &[RankedFinding],
    problem: &[usize],
    derived: &BTreeSet<String>,
) -> Option<usize> {
    problem
        .iter()
        .copied()
        .filter(|&i| eligible(&ranked[i]))
        // max_by_key keeps the last maximum: iterate worst-ranked first
        .rev()
        .max_by_key(|&i| specificity(&ranked[i], derived))
}
