//! The roadmap, the risks and the alternatives, from the prioritised recommendations and the
//! findings they address: one phase per recommendation, named by its action, with success
//! criteria that are targets derived from the measured evidence and the action (a throughput
//! to reach, a share to get under, the throughput at the advised concurrency, concurrent calls
//! as long as the longest), not copies of the observation; none when nothing follows.

use super::join::is_static;
use super::priority::expected;
use crate::data::SweepData;
use crate::model::Effort;
use crate::report::{GainKind, Level, Prioritized, Priority, RankedFinding, Risk, RoadmapPhase};

/// The target a phase must reach, from its gain, its finding's share and what its action
/// changes; `None` when nothing measured says what reaching it would look like (a target
/// made by halving an unrelated number, such as the USL's σ, is no target).
fn target(
    p: &Prioritized,
    finding: Option<&RankedFinding>,
    sweep: Option<&SweepData>,
) -> Option<String> {
    let throughput: Vec<f64> = p
        .evidence
        .iter()
        .filter(|e| e.unit.trim() == "req/s")
        .map(|e| e.value)
        .collect();
    match (&p.gain, finding.and_then(|f| f.finding.time_share)) {
        (Some(g), _) if g.kind != GainKind::AmdahlBound && !throughput.is_empty() => {
            let best = throughput.iter().copied().fold(f64::MIN, f64::max);
            Some(format!(
                "throughput at least {:.0} req/s under the same load (80% of the {:.0} req/s measured at the new setting)",
                0.8 * best,
                best
            ))
        }
        (_, Some(share)) if share > 0.0 && share < 1.0 => {
            let subject = finding.map_or("the phase", |f| f.finding.subject.as_str());
            Some(format!(
                "{subject} under {}% of request time (now {}%): requests at least {}× faster",
                pct(50.0 * share),
                pct(100.0 * share),
                factor(1.0 / (1.0 - share / 2.0))
            ))
        }
        _ if p.finding_id == "sweep.scalability" => advised_concurrency(p, sweep?),
        _ if p.finding_id.starts_with("traces.sequential-calls.") => concurrent_calls(p),
        _ => match p.evidence.first() {
            Some(e) if e.unit.trim() == "req/s" => Some(format!(
                "{} at least {:.1} req/s (now {:.1})",
                e.label,
                1.5 * e.value,
                e.value
            )),
            Some(e) if e.value > 0.0 && TIME_UNITS.contains(&e.unit.trim()) => Some(format!(
                "{} at most {} {} (now {})",
                e.label,
                round_sig(e.value / 2.0),
                e.unit.trim(),
                round_sig(e.value)
            )),
            _ if finding.is_some_and(|f| is_static(&f.finding)) => Some(format!(
                "the finding `{}` no longer reported (`perfhive scan` no longer matches it)",
                p.finding_id
            )),
            _ => None,
        },
    }
}

/// Units of evidence whose half is a target: the time something takes.
const TIME_UNITS: &[&str] = &["ms", "s", "µs", "us", "%"];

/// Advice to run at the concurrency the sweep found: the throughput it measured there as the
/// target (80% of it, as for a measured gain), and its p99 when the level completed enough
/// requests for one.
fn advised_concurrency(p: &Prioritized, sweep: &SweepData) -> Option<String> {
    let label: String = p
        .recommendation
        .action
        .strip_prefix("run at about ")?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let level = sweep.levels.iter().find(|l| l.label == label)?;
    let users = if label == "1" {
        "1 concurrent request".to_string()
    } else {
        format!("{label} concurrent requests")
    };
    let p99 = if level.enough_requests() {
        format!(", p99 at most {} ms", round_sig(level.p99_ms))
    } else {
        String::new()
    };
    Some(format!(
        "at {users}: throughput at least {} req/s (80% of the {} req/s the sweep measured there){p99}",
        round_sig(0.8 * level.throughput),
        round_sig(level.throughput)
    ))
}

/// Advice to make calls concurrently: together they then take as long as the longest.
fn concurrent_calls(p: &Prioritized) -> Option<String> {
    let of = |label: &str| {
        p.evidence
            .iter()
            .find(|e| e.label.starts_with(label) && e.unit.trim() == "ms")
            .map(|e| e.value)
    };
    let (sum, max) = (of("calls' summed duration")?, of("longest call")?);
    Some(format!(
        "these calls at most {} ms per request, about their longest call (now {} ms one after another)",
        round_sig(1.1 * max),
        round_sig(sum)
    ))
}

/// A percentage: whole from 10% on, else with the digits that make it non-zero (`0.12`).
fn pct(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A speed-up factor: two decimals, three when it is that close to 1.
fn factor(v: f64) -> String {
    if v < 1.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.2}")
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

/// One roadmap phase per recommendation, with how to know it worked: its target, when one
/// follows from its finding, and no regression.
pub(super) fn roadmap(
    recs: &[Prioritized],
    ranked: &[RankedFinding],
    sweep: Option<&SweepData>,
) -> Vec<RoadmapPhase> {
    recs.iter()
        .map(|p| {
            let finding = ranked.iter().find(|r| r.finding.id == p.finding_id);
            RoadmapPhase {
                name: p.recommendation.action.clone(),
                actions: vec![p.recommendation.action.clone()],
                success_criteria: target(p, finding, sweep)
                    .into_iter()
                    .chain(std::iter::once(
                        "no error-rate increase, p99 not worse (perfhive compare --fail-on-regression)"
                            .to_string(),
                    ))
                    .collect(),
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
