//! The recommendation passes. First every top finding is given a recommendation derived from
//! its evidence when its investigator wrote none ([`complete`]): it names the thing to change
//! (the function, statement or request the finding is joined on), or says which evidence is
//! missing and how to get it (only evidence that was not gathered); generic "profile it" advice
//! is replaced by the hottest function once a profile ran, and advice to start with the
//! profile's hottest functions names them. Then P0 and P1 fix the two best-ranked problems
//! (findings grouped by what they are about, [`super::problem`]) with the most specific advice each problem's
//! findings carry, and P2 is the cheapest of the rest (a quick win); a static finding no
//! runtime evidence confirms is listed, never prioritised. Each gain is labelled for what it is ([`GainKind`]): measured by a
//! sweep, or the Amdahl bound 1 / (1 − p) of removing the finding's share p. The roadmap,
//! risks and alternatives are in [`super::roadmap`].

use std::collections::BTreeSet;

use super::join::is_static;
use super::problem::{eligible, fix, problems};
use super::round3;
use crate::data::{HotFunction, InvestigatorData, ProfileData};
use crate::model::{Effort, Finding, InvestigatorName, InvestigatorResult, Recommendation};
use crate::report::{Gain, GainKind, JoinKey, Prioritized, Priority, RankedFinding};

/// Above this, a measured throughput ratio means the current setting completed (almost)
/// nothing in its level: not a number to promise.
const MAX_CREDIBLE_RATIO: f64 = 1000.0;

/// The risk of a recommendation that only measures: such a recommendation has no gain.
pub(super) const MEASURES_ONLY: &str = "none: this only measures";

/// From this share of time on, the Amdahl bound is too large to be informative.
pub(super) const MAX_AMDAHL_SHARE: f64 = 0.95;

/// How many of the best-ranked findings are made sure to carry a recommendation.
const COMPLETED: usize = 3;

/// The profile's data, when a profile ran and measured stacks.
fn profile(results: &[InvestigatorResult]) -> Option<&ProfileData> {
    results.iter().find_map(|r| match &r.data {
        Some(InvestigatorData::Profile(p)) if p.samples > 0 => Some(p),
        _ => None,
    })
}

/// The first evidence in words (`db share: 99.2%`).
fn first_evidence(f: &Finding) -> Option<String> {
    f.evidence.first().map(|e| {
        let unit = match e.unit.trim() {
            "" => String::new(),
            "%" => "%".into(),
            u => format!(" {u}"),
        };
        format!("{}: {}{unit}", e.label, e.value)
    })
}

/// What the investigators that name a request, statement or function gathered.
#[derive(Clone, Copy)]
struct Ran {
    /// `None`: no traces investigator; `Some(false)`: it received no span.
    traces: Option<bool>,
    profile: bool,
}

/// Where to find what no investigator named: the evidence not gathered and how to get it, or,
/// when the traces and the profile both measured, where in their results to look.
fn missing(ran: Ran) -> &'static str {
    match (ran.traces, ran.profile) {
        (None, true) => "add `traces:` to the plan (OpenTelemetry spans name the request, statement and function), then run again",
        (None, false) => "add `traces:` (OpenTelemetry spans name the request, statement and function) and `profile:` (the hot functions) to the plan, then run again",
        (Some(false), true) => "make the target send OpenTelemetry spans (none arrived: the traces investigator's verdict says how), then run again",
        (Some(false), false) => "make the target send OpenTelemetry spans (none arrived: the traces investigator's verdict says how) and add `profile:` (the hot functions) to the plan, then run again",
        (Some(true), false) => "add `profile:` to the plan (the hot functions, with file and line), then run again",
        (Some(true), true) => "the traces and the profile ran: read the slowest traces and the flame graph (flamegraph.svg) for the spans and stacks under it",
    }
}

/// A recommendation derived from what a finding is joined on and its evidence: the function,
/// the statement or the request to change; else what evidence is missing.
fn derived(r: &RankedFinding, ran: Ran) -> Recommendation {
    let f = &r.finding;
    let measured = first_evidence(f).unwrap_or_else(|| f.title.clone());
    let function = f.functions.first().cloned().or_else(|| {
        r.joins.iter().find_map(|j| match &j.key {
            JoinKey::Function(n) => Some(n.clone()),
            _ => None,
        })
    });
    let (action, effort) = if let Some(func) = function {
        let place = f
            .files
            .first()
            .map(|file| format!(" ({file})"))
            .unwrap_or_default();
        (
            format!("cut the time spent in `{func}`{place}"),
            Effort::Medium,
        )
    } else if let Some(s) = f.statements.first() {
        (
            format!(
                "speed up or batch statement `{s}` (its plan, an index, fewer calls per request)"
            ),
            Effort::Medium,
        )
    } else if let Some(route) = f.routes.first() {
        (format!("cut the time of `{route}`"), Effort::Medium)
    } else {
        return Recommendation {
            action: format!(
                "find which request, statement or function the `{}` time is in (no investigator names one): {}",
                f.subject,
                missing(ran)
            ),
            impact: format!("evidence so far: {measured}"),
            expected_speedup: None,
            effort: Effort::Low,
            risk: MEASURES_ONLY.into(),
            mitigation: "-".into(),
        };
    };
    Recommendation {
        action,
        impact: format!("measured: {measured}"),
        expected_speedup: None,
        effort,
        risk: "a change to a hot path can change its results as well as its speed".into(),
        mitigation: "compare before and after with `perfhive compare`; keep the tests green".into(),
    }
}

/// The hottest function the profile measured, as the thing to change, instead of advice to
/// run a profiler that already ran.
fn from_profile(rec: &mut Recommendation, p: &ProfileData) {
    if let Some(hot) = p.top.iter().find(|f| !is_kernel(f)) {
        rec.action = format!(
            "cut the CPU time of `{}` ({:.0}% of the CPU samples, self; {:.0}% inclusive), the hottest function the profile measured",
            hot.function, hot.self_pct, hot.inclusive_pct
        );
    }
}

/// A kernel function: where the service's system calls spend their time, never code to change.
fn is_kernel(f: &HotFunction) -> bool {
    f.kind.as_deref() == Some("kernel")
}

/// The words of a whole-service CPU finding's advice that point at the profile.
const HOTTEST: &str = "the profile's hottest application functions";

/// Names the profile's hottest application functions (else its hottest functions by self
/// time), with file:line, where advice points at them without naming them.
fn name_hottest(rec: &mut Recommendation, p: &ProfileData) {
    let app: Vec<&HotFunction> = p
        .hot
        .iter()
        .filter(|f| f.kind.as_deref() == Some("application"))
        .take(3)
        .collect();
    let named: Vec<&HotFunction> = if app.is_empty() {
        p.top.iter().filter(|f| !is_kernel(f)).take(3).collect()
    } else {
        app
    };
    if named.is_empty() || !rec.action.contains(HOTTEST) {
        return;
    }
    let list = named
        .iter()
        .map(|f| {
            let pct = f.attributed_pct.unwrap_or(f.self_pct);
            match (&f.file, f.line) {
                (Some(file), Some(line)) => format!("`{}` ({file}:{line}, {pct:.0}%)", f.function),
                (Some(file), None) => format!("`{}` ({file}, {pct:.0}%)", f.function),
                _ => format!("`{}` ({pct:.0}%)", f.function),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    rec.action = rec
        .action
        .replacen(HOTTEST, &format!("{HOTTEST}: {list}"), 1);
}

/// Makes sure the best-ranked findings and the leads of the first problems carry a
/// recommendation (see the module docs), and that none advises running the profiler once a
/// profile ran. Returns the ids of the findings whose recommendation it derived.
pub(super) fn complete(
    ranked: &mut [RankedFinding],
    results: &[InvestigatorResult],
) -> BTreeSet<String> {
    let profile = profile(results);
    let ran = Ran {
        traces: results
            .iter()
            .find(|r| r.name == InvestigatorName::Traces)
            .map(|r| match &r.data {
                Some(InvestigatorData::Traces(t)) => t.summary.spans > 0,
                _ => !r.findings.is_empty(),
            }),
        profile: results
            .iter()
            .any(|r| r.name == InvestigatorName::Profile && r.data.is_some()),
    };
    let leads: BTreeSet<usize> = problems(ranked)
        .iter()
        .take(COMPLETED)
        .map(|p| p[0])
        .collect();
    let mut derived_ids = BTreeSet::new();
    for (i, r) in ranked.iter_mut().enumerate() {
        if let (Some(rec), Some(p)) = (r.finding.recommendation.as_mut(), profile) {
            if rec.action.contains("perfhive profile") {
                from_profile(rec, p);
            }
            name_hottest(rec, p);
        }
        let wanted = i < COMPLETED || leads.contains(&i);
        if wanted && r.finding.recommendation.is_none() && !is_static(&r.finding) {
            r.finding.recommendation = Some(derived(r, ran));
            derived_ids.insert(r.finding.id.clone());
        }
    }
    derived_ids
}

/// The gain of a recommendation, labelled: measured by a sweep (a parameter or concurrency
/// sweep's throughput ratio), else the Amdahl bound of its finding's share.
fn gain(r: &RankedFinding, rec: &mut Recommendation) -> Option<Gain> {
    if rec.risk == MEASURES_ONLY {
        return None;
    }
    let measured_by_sweep = matches!(
        r.finding.investigator,
        InvestigatorName::Sweep | InvestigatorName::Command
    );
    if let Some(s) = rec.expected_speedup {
        if measured_by_sweep {
            if s.is_finite() && s <= MAX_CREDIBLE_RATIO {
                return Some(Gain {
                    factor: round3(s),
                    kind: GainKind::Sweep,
                });
            }
            // the current value completed (almost) nothing: the ratio is not a number
            rec.expected_speedup = None;
            rec.impact = format!(
                "{}; the current setting completed almost no request in its level, so the ratio is not a credible number",
                rec.impact
            );
            return None;
        }
    }
    let p = r.finding.time_share.filter(|p| *p > 0.0)?;
    if p >= MAX_AMDAHL_SHARE {
        // 1 / (1 − p) grows without bound: not a number to promise
        rec.expected_speedup = None;
        rec.impact = format!(
            "{}; the phase is {:.0}% of request time, so the Amdahl bound (1 / (1 − p)) says nothing useful: measure the change",
            rec.impact,
            p * 100.0
        );
        return None;
    }
    let bound = round3(1.0 / (1.0 - p));
    rec.expected_speedup = Some(bound);
    Some(Gain {
        factor: bound,
        kind: GainKind::AmdahlBound,
    })
}

/// A prioritised recommendation for `r`, with its labelled gain.
fn prioritized(priority: Priority, r: &RankedFinding, rationale: String) -> Option<Prioritized> {
    let mut rec = r.finding.recommendation.clone()?;
    let gain = gain(r, &mut rec);
    Some(Prioritized {
        priority,
        finding_id: r.finding.id.clone(),
        rationale,
        recommendation: rec,
        gain,
        evidence: r.finding.evidence.clone(),
    })
}

/// A whole-service finding (CPU-bound, memory growth: no request, statement or function)
/// yields the first place to the best problem that names one, when that problem scores at
/// least [`SPECIFIC_YIELD`] of it: saturation is what the requests' work adds up to, its own
/// advice is to start with the hottest code, and the two score alike, so which ranked first
/// changed from run to run. A service-wide finding twice as strong as any specific problem
/// keeps its place.
fn specific_first(ranked: &[RankedFinding], groups: &mut Vec<Vec<usize>>) {
    let names_a_subject = |f: &crate::model::Finding| {
        !f.routes.is_empty() || !f.statements.is_empty() || !f.functions.is_empty()
    };
    let Some(first) = groups.first() else {
        return;
    };
    let lead = &ranked[first[0]];
    if names_a_subject(&lead.finding) {
        return;
    }
    let better = groups.iter().position(|g| {
        let l = &ranked[g[0]];
        names_a_subject(&l.finding) && l.score >= SPECIFIC_YIELD * lead.score
    });
    if let Some(k) = better {
        let g = groups.remove(k);
        groups.insert(0, g);
    }
}

/// How strong a specific problem must be, against a whole-service finding, to come first.
const SPECIFIC_YIELD: f64 = 0.5;

/// P0, P1 and P2 (quick win) from the ranked findings: P0 and P1 fix the first two problems
/// ([`problems`]) with their most specific advice ([`fix`]), never the same advice twice; P2
/// is the cheapest of the rest,
/// never advice the integrator derived for a problem already prioritised. `derived` holds
/// the ids whose advice the integrator wrote ([`complete`]).
pub(super) fn prioritize(ranked: &[RankedFinding], derived: &BTreeSet<String>) -> Vec<Prioritized> {
    let mut groups = problems(ranked);
    specific_first(ranked, &mut groups);
    let mut out = Vec::new();
    let mut covered: Vec<&[usize]> = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    let action_of = |i: usize| ranked[i].finding.recommendation.as_ref().map(|x| &x.action);
    for group in &groups {
        if chosen.len() == 2 {
            break;
        }
        let Some(i) = fix(ranked, group, derived) else {
            continue;
        };
        let lead = &ranked[group[0]];
        let r = &ranked[i];
        // the same advice for another problem (more workers for two queueing requests) is
        // given once, for the better-ranked one
        if chosen.iter().any(|&c| action_of(c) == action_of(i)) {
            continue;
        }
        let mut rationale = if chosen.is_empty() {
            format!(
                "rank {} of {} (score {}), confirmed by {}",
                lead.rank,
                ranked.len(),
                lead.score,
                lead.confirmation()
            )
        } else {
            format!("rank {} (score {})", lead.rank, lead.score)
        };
        if i != group[0] {
            rationale.push_str(&format!(
                "; the fix is that of `{}` (rank {}), the most specific advice about the same problem",
                r.finding.id, r.rank
            ));
        }
        let priority = if chosen.is_empty() {
            Priority::P0
        } else {
            Priority::P1
        };
        out.extend(prioritized(priority, r, rationale));
        covered.push(group);
        chosen.push(i);
    }
    let redundant = |i: usize| {
        chosen
            .iter()
            .any(|&c| c == i || action_of(c) == action_of(i))
            || (derived.contains(&ranked[i].finding.id) && covered.iter().any(|g| g.contains(&i)))
    };
    let cheapest = (0..ranked.len())
        .filter(|&i| eligible(&ranked[i]) && !redundant(i))
        .min_by_key(
            |&i| match ranked[i].finding.recommendation.as_ref().map(|x| x.effort) {
                Some(Effort::Low) => 0,
                Some(Effort::Medium) => 1,
                _ => 2,
            },
        );
    if let Some(i) = cheapest {
        let r = &ranked[i];
        let rationale = format!("low effort, rank {}", r.rank);
        out.extend(prioritized(Priority::P2QuickWin, r, rationale));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::integrate;
    use super::super::tests::{finding, inputs, result};
    use crate::data::{HotFunction, ProfileData, TracesData};
    use crate::model::{Effort, InvestigatorName as N, Recommendation};
    use perfhive_core::trace::TraceSummary;

    fn profile_data() -> ProfileData {
        let hot = |function: &str, line: u32, pct: f64, kind: &str| HotFunction {
            function: function.into(),
            self_pct: pct,
            inclusive_pct: pct,
            samples: None,
            file: Some("app.py".into()),
            line: Some(line),
            kind: Some(kind.into()),
            attributed_pct: Some(pct),
        };
        ProfileData {
            samples: 4000,
            top: Vec::new(),
            top_inclusive: Vec::new(),
            flamegraph: "flamegraph.svg".into(),
            offcpu: None,
            hot: vec![
                hot("loyalty_score", 81, 23.0, "application"),
                hot("PyEval_EvalFrame", 0, 40.0, "runtime"),
            ],
            processes: Vec::new(),
            issues: Vec::new(),
        }
    }

    /// The resources investigator's CPU-bound finding with advice `action`.
    fn cpu_bound(action: &str) -> crate::model::Finding {
        let mut cpu = finding(
            N::Resources,
            "resources.cpu-bound",
            "cpu",
            0.8,
            Some(0.8),
            false,
            None,
        );
        cpu.recommendation = Some(Recommendation {
            action: action.into(),
            impact: "i".into(),
            expected_speedup: None,
            effort: Effort::Medium,
            risk: "r".into(),
            mitigation: "m".into(),
        });
        cpu
    }

    /// With traces and a profile, nothing advises adding `traces:`, and the CPU-bound advice
    /// to start with the hottest functions names them with file:line.
    #[test]
    fn advice_names_the_hot_functions_and_asks_only_for_evidence_not_gathered() {
        let cpu = cpu_bound("the 2 cores are the limit: cut the CPU each request costs (start with the profile's hottest application functions) or run on more cores");
        let errors = finding(
            N::Load,
            "load.errors",
            "errors",
            0.7,
            Some(0.5),
            false,
            None,
        );
        let traces = TracesData {
            endpoint: "http://127.0.0.1:4318".into(),
            summary: TraceSummary {
                spans: 120,
                ..Default::default()
            },
        };
        let r = integrate(
            vec![
                result(N::Resources, vec![cpu], None),
                result(N::Load, vec![errors], None),
                result(N::Profile, Vec::new(), Some(profile_data().into())),
                result(N::Traces, Vec::new(), Some(traces.into())),
            ],
            inputs(),
        );
        let action = |id: &str| {
            r.findings
                .iter()
                .find(|f| f.finding.id == id)
                .and_then(|f| f.finding.recommendation.as_ref())
                .map(|x| x.action.clone())
                .unwrap_or_else(|| panic!("no recommendation for {id}"))
        };
        let cpu = action("resources.cpu-bound");
        assert!(
            cpu.contains("functions: `loyalty_score` (app.py:81, 23%)) or run"),
            "{cpu}"
        );
        assert!(!cpu.contains("PyEval_EvalFrame"), "{cpu}");
        let errors = action("load.errors");
        assert!(!errors.contains("add `traces:`"), "{errors}");
        assert!(errors.contains("flame graph"), "{errors}");
    }

    /// Without hot application functions the advice names the hottest by self time, never a
    /// kernel function.
    #[test]
    fn kernel_functions_are_never_named_as_code_to_change() {
        let cpu = cpu_bound("cut the CPU each request costs (start with the profile's hottest application functions)");
        let mut p = profile_data();
        let top = |function: &str, pct: f64, kind: &str| HotFunction {
            function: function.into(),
            self_pct: pct,
            inclusive_pct: pct,
            samples: None,
            file: None,
            line: None,
            kind: Some(kind.into()),
            attributed_pct: None,
        };
        p.hot.clear();
        p.top = vec![
            top("iowrite16", 30.0, "kernel"),
            top("sqlite3VdbeExec", 20.0, "library"),
        ];
        let r = integrate(
            vec![
                result(N::Resources, vec![cpu], None),
                result(N::Profile, Vec::new(), Some(p.into())),
            ],
            inputs(),
        );
        let action = r
            .findings
            .iter()
            .find(|f| f.finding.id == "resources.cpu-bound")
            .and_then(|f| f.finding.recommendation.as_ref())
            .map(|x| x.action.clone())
            .unwrap();
        assert!(action.contains("`sqlite3VdbeExec` (20%)"), "{action}");
        assert!(!action.contains("iowrite16"), "{action}");
    }

    /// Without traces, the advice asks for them; with a traces investigator that received no
    /// span, for the spans; with spans but no profile, for the profile.
    #[test]
    fn missing_evidence_is_asked_for_by_what_did_not_run() {
        let run = |spans: Option<u64>| {
            let errors = finding(
                N::Load,
                "load.errors",
                "errors",
                0.7,
                Some(0.5),
                false,
                None,
            );
            let mut results = vec![result(N::Load, vec![errors], None)];
            if let Some(spans) = spans {
                let traces = TracesData {
                    endpoint: "e".into(),
                    summary: TraceSummary {
                        spans,
                        ..Default::default()
                    },
                };
                results.push(result(N::Traces, Vec::new(), Some(traces.into())));
            }
            let r = integrate(results, inputs());
            r.findings[0].finding.recommendation.clone().unwrap().action
        };
        let without = run(None);
        assert!(
            without.contains("add `traces:`") && without.contains("`profile:`"),
            "{without}"
        );
        let no_spans = run(Some(0));
        assert!(
            !no_spans.contains("add `traces:`")
                && no_spans.contains("send OpenTelemetry spans")
                && no_spans.contains("add `profile:`"),
            "{no_spans}"
        );
        let with = run(Some(50));
        assert!(
            !with.contains("add `traces:`")
                && !with.contains("send OpenTelemetry")
                && with.contains("add `profile:`"),
            "{with}"
        );
    }
}
