//! The consensus pass: where investigators agree (several about one subject), where they
//! disagree and how it was resolved — measured evidence over heuristics: a heuristic finding
//! about a subject measured at under 10% of the time is overruled — and which investigators'
//! views are missing (failed, timed out, interrupted, insufficient data).

use super::join::related;
use super::Integration;
use crate::model::Verdict;
use crate::report::{Consensus, Disagreement};

/// Below this measured share of time, a heuristic about the subject is overruled.
const OVERRULED_BELOW: f64 = 0.1;

/// Agreements and disagreements.
pub(super) fn consensus(ctx: &Integration<'_>) -> Consensus {
    Consensus {
        agreements: agreements(ctx),
        disagreements: overruled(ctx).into_iter().chain(missing(ctx)).collect(),
    }
}

/// Subjects (with their related subjects) on which two or more investigators report.
fn agreements(ctx: &Integration<'_>) -> Vec<String> {
    let all = &ctx.findings;
    let mut subjects: Vec<&str> = all.iter().map(|f| f.subject.as_str()).collect();
    subjects.sort();
    subjects.dedup();
    let mut agreements: Vec<String> = Vec::new();
    for s in &subjects {
        let mut who: Vec<&str> = all
            .iter()
            .filter(|f| related(&f.subject, s))
            .map(|f| f.investigator.as_str())
            .collect();
        who.sort();
        who.dedup();
        let listed = agreements.iter().any(|a| a.contains(&format!("`{s}`")));
        if who.len() >= 2 && !listed {
            let titles: Vec<&str> = all
                .iter()
                .filter(|f| related(&f.subject, s))
                .map(|f| f.title.as_str())
                .collect();
            agreements.push(format!(
                "`{s}`: {} agree ({})",
                who.join(" and "),
                titles.join("; ")
            ));
        }
    }
    agreements
}

/// Heuristic findings about a subject the measurements put at a small share of the time.
fn overruled(ctx: &Integration<'_>) -> Vec<Disagreement> {
    ctx.findings
        .iter()
        .filter(|f| f.heuristic)
        .filter_map(|f| {
            let share = ctx.measured_share(&f.subject)?;
            (share < OVERRULED_BELOW).then(|| Disagreement {
                subject: f.subject.clone(),
                claims: vec![
                    format!("{} (heuristic): {}", f.investigator, f.title),
                    format!(
                        "measured: `{}` is {:.0}% of the time",
                        f.subject,
                        share * 100.0
                    ),
                ],
                resolution: "measured evidence outranks the heuristic: ranked low".into(),
            })
        })
        .collect()
}

/// Investigators whose view is missing from the ranking.
fn missing(ctx: &Integration<'_>) -> Vec<Disagreement> {
    ctx.results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                Verdict::Failed
                    | Verdict::TimedOut
                    | Verdict::InsufficientData
                    | Verdict::Interrupted
            )
        })
        .map(|r| Disagreement {
            subject: r.name.to_string(),
            claims: vec![format!(
                "{} returned {:?}: {}",
                r.name,
                r.verdict,
                r.error.clone().unwrap_or_else(|| r.summary.clone())
            )],
            resolution:
                "its view is missing from the ranking; the others stand on their own evidence"
                    .into(),
        })
        .collect()
}
