//! The recommendation passes: P0 is the best-ranked finding with a recommendation, P1 the
//! next, P2 the cheapest of the rest (a quick win); a static finding no runtime evidence
//! confirms is listed, never prioritised. A recommendation without a measured speed-up gets the
//! Amdahl bound 1 / (1 − p) of removing its finding's share p. Then the roadmap (one phase per
//! recommendation, with success criteria) and the risk table.

use super::join::is_static;
use super::round3;
use crate::model::Effort;
use crate::report::{Level, Prioritized, Priority, RankedFinding, Risk, RoadmapPhase};

/// A prioritised recommendation for `r`, its impact bounded by Amdahl when not measured.
fn prioritized(priority: Priority, r: &RankedFinding, rationale: String) -> Option<Prioritized> {
    let mut rec = r.finding.recommendation.clone()?;
    if rec.expected_speedup.is_none() {
        if let Some(p) = r.finding.time_share.filter(|p| *p > 0.0 && *p < 1.0) {
            rec.expected_speedup = Some(round3(1.0 / (1.0 - p)));
            rec.impact = format!(
                "{} (Amdahl bound if the phase vanished: {:.2}×)",
                rec.impact,
                1.0 / (1.0 - p)
            );
        }
    }
    Some(Prioritized {
        priority,
        finding_id: r.finding.id.clone(),
        rationale,
        recommendation: rec,
        evidence: r.finding.evidence.clone(),
    })
}

/// P0, P1 and P2 (quick win) from the ranked findings.
pub(super) fn prioritize(ranked: &[RankedFinding]) -> Vec<Prioritized> {
    let with_rec: Vec<&RankedFinding> = ranked
        .iter()
        .filter(|r| r.finding.recommendation.is_some())
        .filter(|r| !is_static(&r.finding) || !r.joined_on.is_empty())
        .collect();
    let mut out = Vec::new();
    if let Some(r) = with_rec.first() {
        let rationale = format!(
            "rank {} of {} (score {}), confirmed by {}",
            r.rank,
            ranked.len(),
            r.score,
            if r.confirmed_by.is_empty() {
                "no other investigator".to_string()
            } else {
                let names: Vec<&str> = r.confirmed_by.iter().map(|n| n.as_str()).collect();
                names.join(", ")
            }
        );
        out.extend(prioritized(Priority::P0, r, rationale));
    }
    if let Some(r) = with_rec.get(1) {
        let rationale = format!("rank {} (score {})", r.rank, r.score);
        out.extend(prioritized(Priority::P1, r, rationale));
    }
    let cheapest = with_rec.iter().skip(2).min_by_key(|r| {
        match r.finding.recommendation.as_ref().map(|x| x.effort) {
            Some(Effort::Low) => 0,
            Some(Effort::Medium) => 1,
            _ => 2,
        }
    });
    if let Some(r) = cheapest {
        let rationale = format!("low effort, rank {}", r.rank);
        out.extend(prioritized(Priority::P2QuickWin, r, rationale));
    }
    out
}

/// One roadmap phase per recommendation, with how to know it worked.
pub(super) fn roadmap(recommendations: &[Prioritized]) -> Vec<RoadmapPhase> {
    recommendations
        .iter()
        .enumerate()
        .map(|(i, p)| RoadmapPhase {
            name: format!("Phase {}: {}", i + 1, p.recommendation.action),
            actions: vec![p.recommendation.action.clone()],
            success_criteria: vec![
                match p.recommendation.expected_speedup {
                    Some(s) => format!(
                        "throughput ≥ {:.1}× the baseline, or the affected time cut by {:.0}%",
                        (1.0 + (s - 1.0) / 2.0),
                        100.0 * (1.0 - 1.0 / s)
                    ),
                    None => p.recommendation.impact.clone(),
                },
                "no error-rate increase, p99 not worse (perfhive compare --fail-on-regression)"
                    .into(),
            ],
        })
        .collect()
}

/// The risk table: one row per recommendation, as likely as its effort is large, of high
/// impact for the P0.
pub(super) fn risks(recommendations: &[Prioritized]) -> Vec<Risk> {
    recommendations
        .iter()
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
