//! The roadmap, the risks and the alternatives, from the prioritised recommendations and the
//! findings they address: one phase per recommendation, named by its action, with success
//! criteria that are targets derived from the measured evidence (a throughput to reach, a
//! share to get under), not copies of the observation.

use super::priority::expected;
use crate::model::Effort;
use crate::report::{GainKind, Level, Prioritized, Priority, RankedFinding, Risk, RoadmapPhase};

/// The target a phase must reach, from its gain and evidence.
fn target(p: &Prioritized, finding: Option<&RankedFinding>) -> String {
    let throughput: Vec<f64> = p
        .evidence
        .iter()
        .filter(|e| e.unit.trim() == "req/s")
        .map(|e| e.value)
        .collect();
    match (&p.gain, finding.and_then(|f| f.finding.time_share)) {
        (Some(g), _) if g.kind != GainKind::AmdahlBound && !throughput.is_empty() => {
            let best = throughput.iter().copied().fold(f64::MIN, f64::max);
            format!(
                "throughput at least {:.0} req/s under the same load (80% of the {:.0} req/s measured at the new setting)",
                0.8 * best,
                best
            )
        }
        (_, Some(share)) if share > 0.0 && share < 1.0 => {
            let subject = finding.map_or("the phase", |f| f.finding.subject.as_str());
            format!(
                "{subject} under {:.0}% of request time (now {:.0}%): requests at least {:.2}× faster",
                50.0 * share,
                100.0 * share,
                1.0 / (1.0 - share / 2.0)
            )
        }
        _ => match p.evidence.first() {
            Some(e) if e.unit.trim() == "req/s" => format!(
                "{} at least {:.1} req/s (now {:.1})",
                e.label,
                1.5 * e.value,
                e.value
            ),
            Some(e) if e.value > 0.0 => format!(
                "{} at most {} {} (now {})",
                e.label,
                round_sig(e.value / 2.0),
                e.unit.trim(),
                round_sig(e.value)
            ),
            _ => format!("the finding `{}` no longer reported", p.finding_id),
        },
    }
}

/// Three significant digits.
fn round_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let d = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.d$}")
}

/// One roadmap phase per recommendation, with how to know it worked.
pub(super) fn roadmap(recs: &[Prioritized], ranked: &[RankedFinding]) -> Vec<RoadmapPhase> {
    recs.iter()
        .map(|p| {
            let finding = ranked.iter().find(|r| r.finding.id == p.finding_id);
            RoadmapPhase {
                name: p.recommendation.action.clone(),
                actions: vec![p.recommendation.action.clone()],
                success_criteria: vec![
                    target(p, finding),
                    "no error-rate increase, p99 not worse (perfhive compare --fail-on-regression)"
                        .into(),
                ],
            }
        })
        .collect()
}

/// The risk table: one row per recommendation, as likely as its effort is large, of high
/// impact for the P0.
pub(super) fn risks(recs: &[Prioritized]) -> Vec<Risk> {
    recs.iter()
        .map(|p| Risk {
            risk: format!("{}: {}", p.recommendation.action, p.recommendation.risk),
            likelihood: match p.recommendation.effort {
                Effort::Low => Level::Low,
                Effort::Medium => Level::Medium,
                Effort::High => Level::High,
            },
            impact: if p.priority == Priority::P0 {
                Level::High
            } else {
                Level::Medium
            },
            mitigation: p.recommendation.mitigation.clone(),
        })
        .collect()
}

/// The alternatives to the P0 the findings offer, and why each comes later: the other
/// recommendations with their gains (after the P0 for its larger expected gain, else for its
/// better-ranked finding), and scaling out when the concurrency sweep measured a peak.
pub(super) fn alternatives(recs: &[Prioritized], ranked: &[RankedFinding]) -> Vec<String> {
    let Some(p0) = recs.first() else {
        return Vec::new();
    };
    let p0_gain = p0
        .gain
        .as_ref()
        .map_or("no computed gain".to_string(), |g| g.describe());
    let p0_expected = expected(p0, ranked);
    let mut out: Vec<String> = recs
        .iter()
        .skip(1)
        .map(|p| {
            let gain = p
                .gain
                .as_ref()
                .map_or("no computed gain".to_string(), |g| g.describe());
            let why = match (p0_expected, expected(p, ranked)) {
                (Some(a), Some(b)) if a.cmp(b).is_gt() => format!(
                    "whose expected gain is larger ({})",
                    super::priority::describe(p0)
                ),
                _ => format!("whose finding ranks higher ({p0_gain})"),
            };
            format!(
                "{} as the first step ({gain}): it comes after the P0, {why}",
                p.recommendation.action
            )
        })
        .collect();
    if let Some(s) = ranked.iter().find(|r| r.finding.id == "sweep.scalability") {
        out.push(format!(
            "more instances or workers: the concurrency sweep measured {}, so more concurrency adds queueing, not throughput",
            s.finding.title
        ));
    }
    out
}
