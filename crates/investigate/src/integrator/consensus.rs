//! The consensus pass: where investigators agree (one short line per subject: the
//! investigators whose findings are joined, and on which key), where they disagree and how it
//! was resolved — two shares of time for the same phase are reconciled (the source that wins,
//! and why); a heuristic finding about a subject measured at under 10% of the time is
//! overruled — and which investigators' views are missing (failed, timed out, interrupted,
//! insufficient data).

use super::join::related;
use super::Integration;
use crate::model::{Finding, InvestigatorName, Verdict};
use crate::report::{Consensus, Disagreement, RankedFinding};

/// Below this measured share of time, a heuristic about the subject is overruled.
const OVERRULED_BELOW: f64 = 0.1;

/// Agreements and disagreements.
pub(super) fn consensus(ctx: &Integration<'_>, ranked: &[RankedFinding]) -> Consensus {
    Consensus {
        agreements: agreements(ranked),
        disagreements: contradictions(ctx)
            .into_iter()
            .chain(overruled(ctx))
            .chain(missing(ctx))
            .collect(),
    }
}

/// One short line per subject (related subjects together) on which findings of different
/// investigators are joined: who agrees, on which key.
fn agreements(ranked: &[RankedFinding]) -> Vec<String> {
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for r in ranked {
        let s = r.finding.subject.as_str();
        match groups.iter_mut().find(|g| g.iter().any(|t| related(t, s))) {
            Some(g) if !g.contains(&s) => g.push(s),
            Some(_) => {}
            None => groups.push(vec![s]),
        }
    }
    let mut out = Vec::new();
    for g in groups {
        let members: Vec<&RankedFinding> = ranked
            .iter()
            .filter(|r| g.contains(&r.finding.subject.as_str()))
            .collect();
        // each pair of investigators joined, with the keys, once
        let mut pairs: Vec<(String, String)> = Vec::new();
        let in_group = |id: &str| {
            ranked
                .iter()
                .any(|o| o.finding.id == id && g.contains(&o.finding.subject.as_str()))
        };
        for r in &members {
            for j in r.joins.iter().filter(|j| in_group(&j.finding)) {
                let (a, b) = if r.finding.investigator <= j.investigator {
                    (r.finding.investigator, j.investigator)
                } else {
                    (j.investigator, r.finding.investigator)
                };
                let pair = (format!("{a} and {b}"), j.key.to_string());
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
        if pairs.is_empty() {
            continue;
        }
        let mut by_pair: Vec<(String, Vec<String>)> = Vec::new();
        for (who, key) in pairs {
            match by_pair.iter_mut().find(|p| p.0 == who) {
                Some(p) => p.1.push(key),
                None => by_pair.push((who, vec![key])),
            }
        }
        let joined: Vec<String> = by_pair
            .iter()
            .map(|(who, keys)| format!("{who} ({})", keys.join(", ")))
            .collect();
        let mut unjoined: Vec<&str> = members
            .iter()
            .filter(|r| !r.joins.iter().any(|j| in_group(&j.finding)))
            .map(|r| r.finding.investigator.as_str())
            .filter(|n| !joined.iter().any(|j| j.contains(n)))
            .collect();
        unjoined.sort();
        unjoined.dedup();
        let subjects: Vec<String> = g.iter().map(|s| format!("`{s}`")).collect();
        let mut line = format!("{}: {}", subjects.join(" / "), joined.join("; "));
        if !unjoined.is_empty() {
            line.push_str(&format!(
                "; also reported by {}, joined to nothing",
                unjoined.join(", ")
            ));
        }
        out.push(line);
    }
    out
}

/// Which investigator's share of time wins when two disagree, and why; the lower index wins.
const SHARE_SOURCES: &[(InvestigatorName, &str)] = &[
    (
        InvestigatorName::Traces,
        "the critical path of every traced request under the baseline's load",
    ),
    (
        InvestigatorName::Load,
        "Server-Timing durations the service reports for a few sequential requests, where phases may overlap and queueing is not seen",
    ),
    (
        InvestigatorName::Command,
        "wait4 rusage of every run",
    ),
];

/// Shares that differ by more than this (absolute) about the same phase are a contradiction.
const SHARE_TOLERANCE: f64 = 0.1;

/// The phase a finding gives a share of (`load.phase.db`, `traces.phase.db` → `db`).
fn phase_of(id: &str) -> Option<&str> {
    id.split_once(".phase.").map(|(_, p)| p)
}

/// The finding whose share of the same phase supersedes `f`'s: one of a source that wins
/// ([`SHARE_SOURCES`]) giving a share that differs by more than the tolerance.
pub(super) fn superseded_by<'a>(f: &Finding, all: &[&'a Finding]) -> Option<&'a Finding> {
    let own = f.time_share?;
    let phase = phase_of(&f.id)?;
    let mine = source_rank(f.investigator).unwrap_or(usize::MAX);
    all.iter()
        .copied()
        .filter(|g| g.investigator != f.investigator && phase_of(&g.id) == Some(phase))
        .filter(|g| source_rank(g.investigator).unwrap_or(usize::MAX) < mine)
        .find(|g| {
            g.time_share
                .is_some_and(|s| (s - own).abs() > SHARE_TOLERANCE)
        })
}

/// The share of time a finding's phase has once contradictions are reconciled: the share of
/// the finding that supersedes it ([`superseded_by`]), else its own.
pub(super) fn reconciled_share(f: &Finding, all: &[&Finding]) -> Option<f64> {
    superseded_by(f, all)
        .and_then(|w| w.time_share)
        .or(f.time_share)
}

/// A finding superseded by `winner` restated with the reconciled share: its title names the
/// winning share and the finding it comes from, its detail says why, its own share is kept
/// only in its evidence.
pub(super) fn restate_superseded(f: &mut Finding, winner: &Finding) {
    let (Some(phase), Some(own), Some(share)) = (
        phase_of(&f.id).map(str::to_owned),
        f.time_share,
        winner.time_share,
    ) else {
        return;
    };
    f.title = format!(
        "{:.0}% of request time is in `{phase}` by {} (`{}`); {}'s {:.0}% is superseded",
        share * 100.0,
        winner.investigator,
        winner.id,
        f.investigator,
        own * 100.0
    );
    f.detail = format!(
        "{}; superseded by `{}`, from {}: {}",
        f.detail,
        winner.id,
        winner.investigator,
        why(winner.investigator)
    );
    f.time_share = Some(share);
}

/// Where a source's shares come from, as said in the consensus.
fn why(n: InvestigatorName) -> &'static str {
    SHARE_SOURCES
        .iter()
        .find(|s| s.0 == n)
        .map_or("its own measurement", |s| s.1)
}

/// A source's place in [`SHARE_SOURCES`] (lower wins).
fn source_rank(n: InvestigatorName) -> Option<usize> {
    SHARE_SOURCES.iter().position(|s| s.0 == n)
}

/// Two findings giving different shares of time for the same phase: reconciled, saying which
/// source wins and why.
fn contradictions(ctx: &Integration<'_>) -> Vec<Disagreement> {
    let rank_of = source_rank;
    let mut out = Vec::new();
    let shares: Vec<(&str, &Finding, f64)> = ctx
        .findings
        .iter()
        .filter_map(|f| Some((phase_of(&f.id)?, *f, f.time_share?)))
        .collect();
    for (i, (phase, a, sa)) in shares.iter().enumerate() {
        for (phase_b, b, sb) in &shares[i + 1..] {
            if phase != phase_b
                || a.investigator == b.investigator
                || (sa - sb).abs() <= SHARE_TOLERANCE
            {
                continue;
            }
            let (win, lose) = match (rank_of(a.investigator), rank_of(b.investigator)) {
                (Some(x), Some(y)) if y < x => ((b, sb), (a, sa)),
                (_, Some(_)) if rank_of(a.investigator).is_none() => ((b, sb), (a, sa)),
                _ => ((a, sa), (b, sb)),
            };
            out.push(Disagreement {
                subject: format!("share of time in `{phase}`"),
                claims: vec![
                    format!("{}: {:.0}% ({})", win.0.investigator, win.1 * 100.0, why(win.0.investigator)),
                    format!("{}: {:.0}% ({})", lose.0.investigator, lose.1 * 100.0, why(lose.0.investigator)),
                ],
                resolution: format!(
                    "{} wins: {:.0}% is the share this report ranks by, as {} is the more complete measurement; {}'s {:.0}% is kept only as its own observation",
                    win.0.investigator,
                    win.1 * 100.0,
                    win.0.investigator,
                    lose.0.investigator,
                    lose.1 * 100.0
                ),
            });
        }
    }
    out
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
