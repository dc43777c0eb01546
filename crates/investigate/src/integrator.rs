//! The integrator: one ranked report from the investigators' findings.
//!
//! - Score = severity × share of time affected (0.3 when unmeasured) × (1 + 0.5 per other
//!   investigator confirming the same subject) × (0.5 when heuristic).
//! - Subjects that describe the same cause confirm each other (`database` and `storage-io`:
//!   time in the database phase and threads waiting on storage).
//! - Disagreements are resolved by measured evidence over heuristics: a heuristic finding about a
//!   subject whose measured share of time is small is ranked low and the consensus says why.
//! - Findings naming the same code function (a hot profile frame, a trace phase's
//!   `code.function.name`, the function around a code-scan match) confirm each other and rank
//!   1.5× higher; a static code finding is joined only that way, and one confirmed at runtime
//!   loses the heuristic discount (and takes its function's measured share), so it ranks far
//!   above an unconfirmed one.
//! - Expected gains: the Amdahl bound 1 / (1 − p) for removing a phase with share p, or the
//!   speed-up a sweep measured.

use crate::model::{Effort, Finding, InvestigatorResult, Verdict};
use crate::report::*;

/// Subjects that are evidence of the same cause.
const RELATED: &[&[&str]] = &[&["database", "storage-io"], &["serialization", "cpu"]];

fn related(a: &str, b: &str) -> bool {
    a == b || RELATED.iter().any(|g| g.contains(&a) && g.contains(&b))
}

/// The share of time assumed for a static code finding no runtime evidence confirms.
const STATIC_SHARE: f64 = 0.1;

/// A finding from reading code (the code-scan investigator), not from running it.
fn is_static(f: &Finding) -> bool {
    f.investigator == "code"
}

/// A function name reduced to what every source spells the same way: the last path segment
/// (`perfhive_demo::render::render_item_slow` from a profile frame, `app.views.load_items` from
/// a trace attribute), without generics, a closure marker, a Rust symbol hash or an argument
/// list, lower-cased.
pub fn function_key(name: &str) -> String {
    let name = name.trim();
    let name = name.find('(').map_or(name, |i| &name[..i]);
    // drop generic arguments, which may themselves hold paths
    let mut plain = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut parts: Vec<&str> = plain
        .split("::")
        .flat_map(|p| p.split('.'))
        .filter(|p| !p.is_empty() && !p.starts_with('{'))
        .collect();
    // a trailing Rust legacy-mangling hash: h followed by 16 hex digits
    if parts.last().is_some_and(|p| {
        p.len() == 17 && p.starts_with('h') && p[1..].chars().all(|c| c.is_ascii_hexdigit())
    }) {
        parts.pop();
    }
    parts.last().copied().unwrap_or("").to_ascii_lowercase()
}

/// Whether two source paths can name the same file: the shorter one's components are the
/// tail of the longer one's (`app/views.py` and `/srv/app/views.py`; not `a/views.py` and
/// `b/views.py`), after resolving `.` and `..`.
pub fn same_file(a: &str, b: &str) -> bool {
    // lexically normalised; a leading `..` only says the path is relative to somewhere
    let parts = |p: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in p.split(['/', '\\']) {
            match c {
                "" | "." => {}
                ".." if out.last().is_some_and(|l| l != "..") => {
                    out.pop();
                }
                _ => out.push(c.to_owned()),
            }
        }
        out.retain(|c| c != "..");
        out
    };
    let (a, b) = (parts(a), parts(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty() && long.ends_with(&short)
}

/// Whether the files two findings name allow a join: either names none, or some pair agrees.
fn files_agree(a: &Finding, b: &Finding) -> bool {
    a.files.is_empty()
        || b.files.is_empty()
        || a.files
            .iter()
            .any(|x| b.files.iter().any(|y| same_file(x, y)))
}

/// The functions two findings share, by [`function_key`], when their files agree.
fn shared_functions(a: &Finding, b: &Finding) -> Vec<String> {
    if !files_agree(a, b) {
        return Vec::new();
    }
    a.functions
        .iter()
        .filter(|f| {
            let k = function_key(f);
            !k.is_empty() && b.functions.iter().any(|g| function_key(g) == k)
        })
        .cloned()
        .collect()
}

/// What the integrator needs besides the investigators' results.
pub struct Inputs<'a> {
    /// Investigation name.
    pub name: &'a str,
    /// Start, RFC 3339.
    pub date: String,
    /// Target URL.
    pub target: &'a str,
    /// Wall-clock length, s.
    pub duration_s: f64,
    /// Commands of the validation plan.
    pub validation: Vec<ValidationStep>,
    /// Raw data files written next to the report.
    pub data_files: Vec<String>,
}

/// Writes the report.
pub fn integrate(mut results: Vec<InvestigatorResult>, inputs: Inputs<'_>) -> Report {
    // Evidence points into `/investigators/<index>/data/...`: investigators write their own
    // position as a placeholder; the real index is only known here.
    for (i, r) in results.iter_mut().enumerate() {
        for f in &mut r.findings {
            for e in &mut f.evidence {
                if let Some(rest) = e.pointer.strip_prefix("/investigators/") {
                    let tail = rest.split_once('/').map(|x| x.1).unwrap_or("");
                    e.pointer = format!("/investigators/{i}/{tail}");
                }
            }
        }
    }
    let all: Vec<&Finding> = results.iter().flat_map(|r| r.findings.iter()).collect();
    // measured time shares per subject (from any investigator)
    let measured_share = |subject: &str| -> Option<f64> {
        all.iter()
            .filter(|f| !f.heuristic && related(&f.subject, subject))
            .filter_map(|f| f.time_share)
            .reduce(f64::max)
    };
    let mut ranked: Vec<RankedFinding> = all
        .iter()
        .map(|f| {
            let mut joined_on: Vec<String> = Vec::new();
            let mut joined_share: Option<f64> = None;
            let mut confirmed_by: Vec<String> = all
                .iter()
                .filter(|g| g.investigator != f.investigator)
                .filter(|g| {
                    let shared = shared_functions(f, g);
                    let joined = !shared.is_empty();
                    joined_on.extend(shared);
                    if joined && !g.heuristic {
                        if let Some(t) = g.time_share {
                            joined_share = Some(joined_share.map_or(t, |j: f64| j.max(t)));
                        }
                    }
                    // a static code finding is about one place: only its function joins it
                    let static_side = is_static(f) || is_static(g);
                    joined || (!static_side && related(&g.subject, &f.subject))
                })
                .map(|g| g.investigator.clone())
                .collect();
            confirmed_by.sort();
            confirmed_by.dedup();
            joined_on.sort();
            joined_on.dedup();
            let confirmed_at_runtime = !joined_on.is_empty();
            let share = match f.time_share {
                Some(s) => s,
                // the measured share of its function's phase, once joined; else a small prior
                None if is_static(f) => joined_share.unwrap_or(STATIC_SHARE),
                None => measured_share(&f.subject).unwrap_or(0.3),
            };
            let mut score = f.severity * share.max(0.05) * (1.0 + 0.5 * confirmed_by.len() as f64);
            // a rule of thumb counts half, unless runtime evidence names the same function
            if f.heuristic && !confirmed_at_runtime {
                score *= 0.5;
            }
            if !joined_on.is_empty() {
                score *= 1.5; // the same function seen by two kinds of evidence
            }
            if f.recommendation
                .as_ref()
                .and_then(|r| r.expected_speedup)
                .is_some_and(|s| s >= 2.0)
            {
                score *= 1.5; // a measured large gain
            }
            RankedFinding {
                rank: 0,
                score: (score * 1000.0).round() / 1000.0,
                confirmed_by,
                joined_on,
                finding: (*f).clone(),
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }

    // Where the time goes: trace phases (critical path) when spans arrived, else the load
    // investigator's Server-Timing breakdown (or the command's rusage split).
    let trace_breakdown = trace_phases(&results);
    let from_traces = !trace_breakdown.is_empty();
    let breakdown: Vec<PhaseShare> = if from_traces {
        trace_breakdown
    } else {
        results
            .iter()
            .find(|r| {
                (r.name == "load" || r.name == "command") && r.data.get("breakdown").is_some()
            })
            .and_then(|r| r.data.get("breakdown"))
            .and_then(|b| b.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|p| {
                        Some(PhaseShare {
                            name: p["phase"].as_str()?.to_string(),
                            share_pct: round1(p["share_pct"].as_f64()?),
                            mean_ms: round3(p["mean_ms"].as_f64()?),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };

    // Consensus.
    let mut consensus = Consensus::default();
    let mut subjects: Vec<&str> = all.iter().map(|f| f.subject.as_str()).collect();
    subjects.sort();
    subjects.dedup();
    for s in &subjects {
        let mut who: Vec<&str> = all
            .iter()
            .filter(|f| related(&f.subject, s))
            .map(|f| f.investigator.as_str())
            .collect();
        who.sort();
        who.dedup();
        if who.len() >= 2
            && !consensus
                .agreements
                .iter()
                .any(|a| a.contains(&format!("`{s}`")))
        {
            consensus.agreements.push(format!(
                "`{s}`: {} agree ({})",
                who.join(" and "),
                all.iter()
                    .filter(|f| related(&f.subject, s))
                    .map(|f| f.title.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    for f in all.iter().filter(|f| f.heuristic) {
        if let Some(share) = measured_share(&f.subject) {
            if share < 0.1 {
                consensus.disagreements.push(Disagreement {
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
                });
            }
        }
    }
    for r in results.iter().filter(|r| {
        matches!(
            r.verdict,
            Verdict::Failed | Verdict::TimedOut | Verdict::InsufficientData
        )
    }) {
        consensus.disagreements.push(Disagreement {
            subject: r.name.clone(),
            claims: vec![format!(
                "{} returned {:?}: {}",
                r.name,
                r.verdict,
                r.error.clone().unwrap_or_else(|| r.summary.clone())
            )],
            resolution:
                "its view is missing from the ranking; the others stand on their own evidence"
                    .into(),
        });
    }

    // Recommendations: P0 the best-ranked with a recommendation, P1 the next, P2 the cheapest of
    // the rest (quick win).
    // A static finding no runtime evidence confirms is listed, never prioritised.
    let with_rec: Vec<&RankedFinding> = ranked
        .iter()
        .filter(|r| r.finding.recommendation.is_some())
        .filter(|r| !is_static(&r.finding) || !r.joined_on.is_empty())
        .collect();
    let mut recommendations = Vec::new();
    let mut push = |priority: &str, r: &RankedFinding, rationale: String| {
        let mut rec = r.finding.recommendation.clone().expect("filtered");
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
        recommendations.push(Prioritized {
            priority: priority.into(),
            finding_id: r.finding.id.clone(),
            rationale,
            recommendation: rec,
            evidence: r.finding.evidence.clone(),
        });
    };
    if let Some(r) = with_rec.first() {
        push(
            "P0",
            r,
            format!(
                "rank {} of {} (score {}), confirmed by {}",
                r.rank,
                ranked.len(),
                r.score,
                if r.confirmed_by.is_empty() {
                    "no other investigator".into()
                } else {
                    r.confirmed_by.join(", ")
                }
            ),
        );
    }
    if let Some(r) = with_rec.get(1) {
        push("P1", r, format!("rank {} (score {})", r.rank, r.score));
    }
    if let Some(r) = with_rec.iter().skip(2).min_by_key(|r| {
        match r.finding.recommendation.as_ref().map(|x| x.effort) {
            Some(Effort::Low) => 0,
            Some(Effort::Medium) => 1,
            _ => 2,
        }
    }) {
        push("P2 quick win", r, format!("low effort, rank {}", r.rank));
    }

    let roadmap = recommendations
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
        .collect();
    let risks = recommendations
        .iter()
        .map(|p| Risk {
            risk: format!("{}: {}", p.recommendation.action, p.recommendation.risk),
            likelihood: match p.recommendation.effort {
                Effort::Low => "low".into(),
                Effort::Medium => "medium".into(),
                Effort::High => "high".into(),
            },
            impact: if p.priority == "P0" {
                "high".into()
            } else {
                "medium".into()
            },
            mitigation: p.recommendation.mitigation.clone(),
        })
        .collect();

    // Headline: what is and what is not the bottleneck.
    let headline = match (ranked.first(), breakdown.first()) {
        (Some(top), _) => {
            let not = results
                .iter()
                .find(|r| r.name == "resources")
                .and_then(|r| r.data.get("summary"))
                .and_then(|s| s["cpu_utilization"].as_f64())
                .filter(|u| *u < 0.6 && top.finding.subject != "cpu")
                .map(|u| format!("; CPU is not ({:.0}% busy)", u * 100.0))
                .unwrap_or_default();
            let share = breakdown
                .iter()
                .find(|p| crate::investigators::load::subject_of_phase(&p.name) == top.finding.subject)
                .map(|p| format!(" ({:.0}% of request time, in `{}`)", p.share_pct, p.name))
                .unwrap_or_default();
            format!("The bottleneck is {}{share}: {}{}.", top.finding.subject, top.finding.title, not)
        }
        (None, Some(p)) => format!("No investigator found a problem; most time is in `{}` ({:.0}%).", p.name, p.share_pct),
        (None, None) => "No investigator found a problem, and the data is not enough to say where the time goes.".into(),
    };
    let charts = charts(&results);
    Report {
        schema_version: "1.0.0".into(),
        kind: "investigation".into(),
        name: inputs.name.to_string(),
        date: inputs.date,
        target: inputs.target.to_string(),
        duration_s: round3(inputs.duration_s),
        executive_summary: ExecutiveSummary {
            headline,
            breakdown_source: if breakdown.is_empty() {
                "no phase data (the target sends neither OpenTelemetry spans nor Server-Timing headers)".into()
            } else if from_traces {
                "OpenTelemetry traces: each span name's share of the critical path (Jaeger's algorithm), per request".into()
            } else if results.iter().any(|r| r.name == "command") {
                "each run's wait4 rusage: user CPU, system CPU, and the rest of the wall time waiting".into()
            } else {
                "the target's Server-Timing headers, weighted by the request mix".into()
            },
            time_breakdown: breakdown,
        },
        criteria: results
            .iter()
            .find(|r| r.name == "load")
            .and_then(|r| r.data.pointer("/record/criteria"))
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default(),
        findings: ranked,
        recommendations,
        investigators: results,
        consensus,
        roadmap,
        risks,
        validation_plan: inputs.validation,
        charts,
        appendices: Appendices {
            configuration: Vec::new(),
            alternatives_rejected: vec!["scaling out before fixing the dominant phase: more instances multiply the same per-request cost".into()],
            data_files: inputs.data_files,
        },
    }
}

fn charts(results: &[InvestigatorResult]) -> Charts {
    let mut c = Charts::default();
    if let Some(load) = results.iter().find(|r| r.name == "load") {
        if let Some(h) = load
            .data
            .pointer("/record/histograms/latency")
            .and_then(|v| v.as_str())
            .and_then(|t| perfhive_core::LatencyHistogram::decode(t).ok())
        {
            c.spectrum = h.spectrum_ms(4);
        }
        if let Some(ts) = load
            .data
            .pointer("/record/timeseries")
            .and_then(|v| v.as_array())
        {
            c.timeseries = ts
                .iter()
                .filter_map(|p| {
                    Some((
                        p["t"].as_f64()?,
                        p["requests"].as_f64()?,
                        p["p99_ms"].as_f64().unwrap_or(0.0),
                    ))
                })
                .collect();
        }
    }
    if let Some(sweep) = results.iter().find(|r| r.name == "sweep") {
        if let Some(levels) = sweep.data.get("levels").and_then(|v| v.as_array()) {
            c.sweep = levels
                .iter()
                .filter_map(|l| {
                    Some((
                        l["level"].as_f64()?,
                        l["throughput"].as_f64()?,
                        l["p50_ms"].as_f64()?,
                        l["p99_ms"].as_f64()?,
                    ))
                })
                .collect();
        }
        if let Some(u) = sweep.data.get("usl").filter(|u| !u.is_null()) {
            c.usl = (|| {
                Some((
                    u["lambda"].as_f64()?,
                    u["sigma"].as_f64()?,
                    u["kappa"].as_f64()?,
                ))
            })();
        }
        if let Some(p) = sweep.data.get("parameter").filter(|p| !p.is_null()) {
            let pts = p["levels"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|l| {
                            Some((
                                l["level"].as_f64()?,
                                l["throughput"].as_f64()?,
                                l["p99_ms"].as_f64()?,
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            c.parameter = Some((p["name"].as_str().unwrap_or_default().to_string(), pts));
        }
    }
    c
}

/// The trace investigator's phases as the report's breakdown: share of the critical path, and
/// critical-path ms per trace.
fn trace_phases(results: &[InvestigatorResult]) -> Vec<PhaseShare> {
    let Some(summary) = results
        .iter()
        .find(|r| r.name == "traces")
        .and_then(|r| r.data.get("summary"))
    else {
        return Vec::new();
    };
    let traces = summary["traces"].as_f64().unwrap_or(0.0).max(1.0);
    summary["phases"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some(PhaseShare {
                        name: p["name"].as_str()?.to_string(),
                        share_pct: round1(p["share_pct"].as_f64()?),
                        mean_ms: round3(p["critical_ms"].as_f64()? / traces),
                    })
                })
                .filter(|p| p.share_pct >= 0.5)
                .collect()
        })
        .unwrap_or_default()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
#[path = "integrator_tests.rs"]
mod tests;
