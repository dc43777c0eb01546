//! The consensus pass: where investigators agree (one short line per subject: the
//! investigators whose findings are joined, and on which requests, statements, functions), where they disagree and how it
//! was resolved — two shares of time for the same phase are reconciled (the source that wins,
//! and why); a heuristic finding about a subject measured at under 10% of the time is
//! overruled — and which investigators' views are missing (failed, timed out, interrupted,
//! insufficient data).

use super::join::same_route;
use super::Integration;
use crate::model::{Finding, InvestigatorName, Verdict};
use crate::report::{Consensus, Disagreement, Join, JoinKey, RankedFinding};

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

/// One short line per subject on which findings of different investigators are joined: who
/// agrees, and on which requests, statements and functions. Each subject has its own line
/// (`database` and `storage-io` are evidence of the same cause, but two lines read better than
/// one that lists both).
fn agreements(ranked: &[RankedFinding]) -> Vec<String> {
    let mut subjects: Vec<&str> = Vec::new();
    for r in ranked {
        if !subjects.contains(&r.finding.subject.as_str()) {
            subjects.push(&r.finding.subject);
        }
    }
    let mut out = Vec::new();
    for subject in subjects {
        let about = |id: &str, n: InvestigatorName| {
            ranked.iter().any(|o| {
                o.finding.id == id && o.finding.investigator == n && o.finding.subject == subject
            })
        };
        let mut who: Vec<InvestigatorName> = Vec::new();
        let mut keys: Vec<&JoinKey> = Vec::new();
        let mut alone: Vec<InvestigatorName> = Vec::new();
        for r in ranked.iter().filter(|r| r.finding.subject == subject) {
            let joins: Vec<&Join> = r
                .joins
                .iter()
                .filter(|j| about(&j.finding, j.investigator))
                .collect();
            if joins.is_empty() {
                alone.push(r.finding.investigator);
            }
            for j in joins {
                who.extend([r.finding.investigator, j.investigator]);
                add_key(&mut keys, &j.key);
            }
        }
        if keys.is_empty() {
            continue;
        }
        who.sort();
        who.dedup();
        alone.retain(|n| !who.contains(n));
        alone.sort();
        alone.dedup();
        let mut line = format!(
            "`{subject}`: {} agree on the same {}",
            and_list(&who.iter().map(|n| n.to_string()).collect::<Vec<_>>()),
            on_keys(&keys)
        );
        if !alone.is_empty() {
            let names: Vec<String> = alone.iter().map(|n| n.to_string()).collect();
            line.push_str(&format!("; {} also, joined to nothing", and_list(&names)));
        }
        out.push(line);
    }
    out
}

/// Adds `key` to `keys` unless it is there already; one request named by a template and by a
/// concrete path (`GET /items/{}`, `GET /items/42`) is named once, by its template.
fn add_key<'a>(keys: &mut Vec<&'a JoinKey>, key: &'a JoinKey) {
    let template = |k: &JoinKey| matches!(k, JoinKey::Route(r) if r.template.contains('{'));
    let same = keys.iter().position(|k| match (k, key) {
        (JoinKey::Route(a), JoinKey::Route(b)) => same_route(a, b),
        _ => *k == key,
    });
    match same {
        Some(i) if template(key) && !template(keys[i]) => keys[i] = key,
        Some(_) => {}
        None => keys.push(key),
    }
}

/// At most this many requests, statements or functions are named in an agreement.
const NAMED_KEYS: usize = 3;

/// `requests `POST /ingest`, `GET /items` and function `f``: the keys by kind.
fn on_keys(keys: &[&JoinKey]) -> String {
    let kinds: [(&str, Vec<String>); 3] = [
        (
            "request",
            keys.iter()
                .filter_map(|k| match k {
                    JoinKey::Route(r) => Some(format!("`{r}`")),
                    _ => None,
                })
                .collect(),
        ),
        (
            "statement",
            keys.iter()
                .filter_map(|k| match k {
                    JoinKey::Statement(s) => Some(format!("`{s}`")),
                    _ => None,
                })
                .collect(),
        ),
        (
            "function",
            keys.iter()
                .filter_map(|k| match k {
                    JoinKey::Function(f) => Some(format!("`{f}`")),
                    _ => None,
                })
                .collect(),
        ),
    ];
    let parts: Vec<String> = kinds
        .into_iter()
        .filter(|(_, named)| !named.is_empty())
        .map(|(kind, mut named)| {
            let plural = if named.len() > 1 { "s" } else { "" };
            if named.len() > NAMED_KEYS {
                let more = named.len() - NAMED_KEYS;
                named.truncate(NAMED_KEYS);
                named.push(format!("{more} more"));
            }
            format!("{kind}{plural} {}", named.join(", "))
        })
        .collect();
    and_list(&parts)
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
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
pub(super) fn phase_of(id: &str) -> Option<&str> {
    id.split_once(".phase.").map(|(_, p)| p)
}

/// The finding whose share of the same phase supersedes `f`'s: one of a source that wins
/// ([`SHARE_SOURCES`]) giving a share that differs by more than the tolerance.
pub(super) fn superseded_by<'a>(f: &Finding, all: &[&'a Finding]) -> Option<&'a Finding> {
    let own = f.time_share?;
    let phase = phase_of(&f.id)?;
    all.iter()
        .copied()
        .filter(|g| g.investigator != f.investigator && phase_of(&g.id) == Some(phase))
        .filter(|g| outranks(g, f))
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

/// Whether `g`'s share of time is the better measurement than `f`'s: its source ranks before
/// (a ranked source before an unranked one).
fn outranks(g: &Finding, f: &Finding) -> bool {
    let rank = |x: &Finding| source_rank(x.investigator).unwrap_or(usize::MAX);
    rank(g) < rank(f)
}

/// Two findings giving different shares of time for the same phase: reconciled, saying which
/// source wins and why.
fn contradictions(ctx: &Integration<'_>) -> Vec<Disagreement> {
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
            let (win, lose) = if outranks(b, a) {
                ((b, sb), (a, sa))
            } else {
                ((a, sa), (b, sb))
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
