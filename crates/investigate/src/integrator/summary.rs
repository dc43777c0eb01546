//! The summary passes: where the time goes (trace phases on the critical path when spans
//! arrived, else the Server-Timing breakdown, or a command's user / system / waiting split),
//! the headline (what is and what is not the bottleneck), the success criteria of the
//! baseline, the report's status, and the chart data — each read from the investigators'
//! typed data.

use super::{round1, round3};
use crate::data::{DataOf, PhaseTime, ResourcesData};
use crate::investigators::load::subject_of_phase;
use crate::model::{InvestigatorName, InvestigatorResult};
use crate::report::{
    Charts, ExecutiveSummary, Interruption, PhaseShare, Prioritized, Priority, RankedFinding,
    RequestRow,
};
use perfhive_core::record::{CriterionResult, RunStatus};

/// Trace phases below this share of the critical path are left out of the breakdown.
const MIN_PHASE_PCT: f64 = 0.5;

/// Above this CPU utilisation the headline does not say "CPU is not the bottleneck".
const CPU_BUSY: f64 = 0.6;

/// Where the breakdown came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BreakdownSource {
    /// No investigator measured phases.
    None,
    /// The trace investigator's critical path.
    Traces,
    /// The command investigator's wait4 rusage.
    Rusage,
    /// The load investigator's Server-Timing samples.
    ServerTiming,
}

impl BreakdownSource {
    fn describe(self) -> &'static str {
        match self {
            BreakdownSource::None => "no phase data (the target sends neither OpenTelemetry spans nor Server-Timing headers)",
            BreakdownSource::Traces => "OpenTelemetry traces: each span name's share of the critical path (Jaeger's algorithm), per request",
            BreakdownSource::Rusage => "each run's wait4 rusage: user CPU, system CPU, and the rest of the wall time waiting",
            BreakdownSource::ServerTiming => "the target's Server-Timing headers, weighted by the request mix",
        }
    }
}

/// The trace investigator's phases: share of the critical path, and critical-path ms per trace.
fn trace_phases(results: &[InvestigatorResult]) -> Vec<PhaseShare> {
    let Some(t) = results.traces_data() else {
        return Vec::new();
    };
    let traces = (t.summary.traces as f64).max(1.0);
    t.summary
        .phases
        .iter()
        .map(|p| PhaseShare {
            name: p.name.clone(),
            share_pct: round1(p.share_pct),
            mean_ms: round3(p.critical_ms / traces),
        })
        .filter(|p| p.share_pct >= MIN_PHASE_PCT)
        .collect()
}

fn shares(phases: &[PhaseTime]) -> Vec<PhaseShare> {
    phases
        .iter()
        .map(|p| PhaseShare {
            name: p.phase.clone(),
            share_pct: round1(p.share_pct),
            mean_ms: round3(p.mean_ms),
        })
        .collect()
}

/// Where the time goes, and where that comes from.
pub(super) fn time_breakdown(results: &[InvestigatorResult]) -> (Vec<PhaseShare>, BreakdownSource) {
    let traces = trace_phases(results);
    if !traces.is_empty() {
        return (traces, BreakdownSource::Traces);
    }
    let measured = results
        .load_data()
        .and_then(|d| d.breakdown.as_deref())
        .or_else(|| results.command_data().map(|d| d.breakdown.as_slice()))
        .map(shares)
        .unwrap_or_default();
    let source = if measured.is_empty() {
        BreakdownSource::None
    } else if results.iter().any(|r| r.name == InvestigatorName::Command) {
        BreakdownSource::Rusage
    } else {
        BreakdownSource::ServerTiming
    };
    (measured, source)
}

/// One sentence: what is the bottleneck (the top finding, with its phase's share) and, when
/// the resources investigator saw an idle CPU, what is not.
fn headline(
    results: &[InvestigatorResult],
    ranked: &[RankedFinding],
    breakdown: &[PhaseShare],
) -> String {
    match (ranked.first(), breakdown.first()) {
        (Some(top), _) => {
            // the CPU verdict decides: one saturated thread is not an idle CPU
            let cpu = match results.resources_data() {
                Some(r @ ResourcesData::Observed { summary, .. })
                    if !r.cpu_verdict().is_some_and(|c| c.is_cpu_limited()) =>
                {
                    Some(summary.cpu_utilization)
                }
                _ => None,
            };
            let not = cpu
                .filter(|u| *u < CPU_BUSY && top.finding.subject != "cpu")
                .map(|u| format!("; CPU is not ({:.0}% busy)", u * 100.0))
                .unwrap_or_default();
            let share = breakdown
                .iter()
                .find(|p| subject_of_phase(&p.name) == top.finding.subject)
                .map(|p| format!(" ({:.0}% of request time, in `{}`)", p.share_pct, p.name))
                .unwrap_or_default();
            format!(
                "The bottleneck is {}{share}: {}{}.",
                top.finding.subject, top.finding.title, not
            )
        }
        (None, Some(p)) => format!(
            "No investigator found a problem; most time is in `{}` ({:.0}%).",
            p.name, p.share_pct
        ),
        (None, None) => "No investigator found a problem, and the data is not enough to say where the time goes.".into(),
    }
}

/// The P0 in one sentence: what to change, the finding it addresses, and its gain labelled
/// for what it is (or that none was computed).
fn p0_sentence(recs: &[Prioritized], ranked: &[RankedFinding]) -> Option<String> {
    let p0 = recs.iter().find(|p| p.priority == Priority::P0)?;
    let rank = ranked
        .iter()
        .find(|r| r.finding.id == p0.finding_id)
        .map(|r| format!(", rank {}", r.rank))
        .unwrap_or_default();
    let gain = match &p0.gain {
        Some(g) => format!("expected gain {}", g.describe()),
        None => "no gain computed".to_string(),
    };
    Some(format!(
        "P0: {} (finding `{}`{rank}): {gain}.",
        p0.recommendation.action, p0.finding_id
    ))
}

/// The executive summary.
pub(super) fn executive_summary(
    results: &[InvestigatorResult],
    ranked: &[RankedFinding],
    recs: &[Prioritized],
) -> ExecutiveSummary {
    let (time_breakdown, source) = time_breakdown(results);
    ExecutiveSummary {
        headline: headline(results, ranked, &time_breakdown),
        breakdown_source: source.describe().into(),
        time_breakdown,
        p0: p0_sentence(recs, ranked),
    }
}

/// The plan's success criteria, as evaluated on the baseline.
pub(super) fn criteria(results: &[InvestigatorResult]) -> Vec<CriterionResult> {
    results
        .load_data()
        .map(|d| d.record.criteria.clone())
        .unwrap_or_default()
}

/// Interrupted when the investigation was; else failed when a criterion failed; else passed.
pub(super) fn status(
    criteria: &[CriterionResult],
    interruption: Option<&Interruption>,
) -> RunStatus {
    if interruption.is_some() {
        RunStatus::Interrupted
    } else if criteria.iter().any(|c| c.passed == Some(false)) {
        RunStatus::Failed
    } else {
        RunStatus::Passed
    }
}

/// The percentiles a latency table shows.
pub const STANDARD_PERCENTILES: [f64; 6] = [50.0, 90.0, 95.0, 99.0, 99.9, 99.99];

/// The baseline's one-second points, without a last one that covers less than a second (its
/// throughput would read as a drop).
fn whole_seconds(
    record: &perfhive_core::record::RunRecord,
) -> impl Iterator<Item = &perfhive_core::record::TimePoint> {
    let points = &record.timeseries;
    let partial = points.last().is_some_and(|last| {
        let prev = points.len().checked_sub(2).map_or(0.0, |i| points[i].t);
        last.t - prev < 0.999 || record.duration_s + 1e-6 < last.t
    });
    let keep = if partial && points.len() > 1 {
        points.len() - 1
    } else {
        points.len()
    };
    points[..keep].iter()
}

/// One row per request of the baseline's mix: its rate, latency percentiles and errors.
fn request_rows(record: &perfhive_core::record::RunRecord) -> Vec<RequestRow> {
    let total = record.metrics.requests.max(1) as f64;
    record
        .requests
        .iter()
        .map(|q| RequestRow {
            name: q.name.clone(),
            rate_rps: round3(record.metrics.throughput_rps * q.requests as f64 / total),
            requests: q.requests,
            p50_ms: q.latency_ms.as_ref().map(|l| l.p50),
            p95_ms: q.latency_ms.as_ref().map(|l| l.p95),
            p99_ms: q.latency_ms.as_ref().map(|l| l.p99),
            errors: q.errors,
            error_rate_pct: q.error_rate_pct,
        })
        .collect()
}

/// The chart data: the baseline's latency spectrum and time series, the concurrency sweep
/// with its USL fit, and the parameter sweep.
pub(super) fn charts(results: &[InvestigatorResult]) -> Charts {
    let mut c = Charts::default();
    if let Some(load) = results.load_data() {
        if let Some(h) = load
            .record
            .histograms
            .latency
            .as_deref()
            .and_then(|t| perfhive_core::LatencyHistogram::decode(t).ok())
        {
            c.spectrum = h.spectrum_ms(4);
            c.percentiles = STANDARD_PERCENTILES
                .iter()
                .filter_map(|&p| Some((p, round3(h.quantile_ms(p / 100.0)?))))
                .collect();
        }
        c.timeseries = whole_seconds(&load.record)
            .map(|p| (p.t, p.requests as f64, p.p99_ms.unwrap_or(0.0)))
            .collect();
        c.requests = request_rows(&load.record);
    }
    if let Some(sweep) = results.sweep_data() {
        c.sweep = sweep
            .levels
            .iter()
            .map(|l| (l.level, l.throughput, l.p50_ms, l.p99_ms))
            .collect();
        c.usl = sweep.usl.map(|u| (u.lambda, u.sigma, u.kappa));
        c.parameter = sweep.parameter.as_ref().map(|p| {
            let points = p
                .levels
                .iter()
                .map(|l| (l.level, l.throughput, l.p99_ms))
                .collect();
            (p.name.clone(), points)
        });
    }
    c
}
