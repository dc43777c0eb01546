//! The trace investigator: OpenTelemetry spans received during the baseline (perfhive-traces'
//! OTLP receiver), analysed into where the time goes by phase — each span name's share of the
//! critical path (Jaeger's algorithm) with p50/p95 and the Amdahl bound — N+1 query patterns
//! (many sibling database spans with one statement) and dependency latency against budgets.
//! Phases carry the `code.function.name` of their spans, which joins them to profile frames
//! and code-scan findings. Without spans the verdict is "insufficient data" and says how to
//! send them.

use crate::data::TracesData;
use crate::investigators::load::subject_of_phase;
use crate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::trace::{BudgetVerdict, TraceSummary};
use perfhive_traces::{RunningReceiver, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TRACES: InvestigatorName = InvestigatorName::Traces;

/// How long an interrupted investigation still waits for spans already on their way.
const STOPPED_WAIT: Duration = Duration::from_millis(300);

/// Phases below this share of the critical path are not findings.
const MIN_SHARE_PCT: f64 = 10.0;

/// Analyses the spans received while the baseline runs.
pub struct TracesInvestigator {
    /// The receiver, started before the target so a started target is told where it is.
    pub receiver: Arc<RunningReceiver>,
    /// How long the baseline runs.
    pub duration: Duration,
    /// Longest wait for the last spans afterwards.
    pub wait: Duration,
    /// Dependency budgets on p95, ms.
    pub budgets: Vec<(String, f64)>,
    /// Repetitions that make an N+1 pattern.
    pub n_plus_one: usize,
    /// How the target was told to report (for the "no spans" verdict).
    pub how_to_send: String,
}

fn ev(label: String, value: f64, unit: &str, path: String) -> Evidence {
    Evidence::measured(label, value, unit, &path)
}

/// Span names whose spans describe database calls.
fn database_phases(spans: &[Span]) -> BTreeSet<&str> {
    spans
        .iter()
        .filter(|s| {
            s.attr_any(&[
                "db.system",
                "db.system.name",
                "db.statement",
                "db.query.text",
            ])
            .is_some()
        })
        .map(|s| s.name.as_str())
        .collect()
}

/// The span name of each database statement, for the share of time its repetitions take.
fn statement_spans(spans: &[Span]) -> BTreeMap<&str, &str> {
    spans
        .iter()
        .filter_map(|s| {
            Some((
                s.attr_any(&["db.statement", "db.query.text"])?,
                s.name.as_str(),
            ))
        })
        .collect()
}

/// The findings a trace summary supports. `database` names the phases of database spans;
/// `statement_span` maps a repeated statement to its spans' name (the phase whose share of the
/// critical path the repetitions take).
pub fn findings(
    t: &TraceSummary,
    database: &BTreeSet<&str>,
    statement_span: &BTreeMap<&str, &str>,
) -> Vec<Finding> {
    let per_trace = t.traces.max(1) as f64;
    let mut out = Vec::new();
    for (i, p) in t.phases.iter().enumerate() {
        if p.share_pct < MIN_SHARE_PCT {
            continue;
        }
        let subject = if database.contains(p.name.as_str()) {
            "database".to_string()
        } else {
            subject_of_phase(&p.name)
        };
        out.push(Finding::new(
            TRACES,
            format!("traces.phase.{}", p.name),
            subject,
            format!(
                "{:.0}% of the critical path is in `{}` ({:.2} ms per request)",
                p.share_pct,
                p.name,
                p.critical_ms / per_trace
            ),
            format!(
                "{} spans in {} traces: p50 {:.2} ms, p95 {:.2} ms, self time {:.2} ms per span; removing it would speed requests up {:.2}× at most (Amdahl){}",
                p.count,
                t.traces,
                p.p50_ms,
                p.p95_ms,
                p.self_ms / p.count.max(1) as f64,
                p.amdahl_bound(),
                p.function.as_deref().map(|f| format!("; reported by `{f}`")).unwrap_or_default()
            ))
            .severity(if i == 0 { 0.9 } else { 0.6 })
            .share(p.share_pct / 100.0)
            .evidence([
                ev(format!("{} critical-path share", p.name), p.share_pct, "%", format!("summary/phases/{i}/share_pct")),
                ev(format!("{} p95", p.name), p.p95_ms, "ms", format!("summary/phases/{i}/p95_ms")),
            ])
            .functions(p.function.iter().cloned())
            .files(p.file.iter().cloned()),
        );
    }
    for (i, n) in t.n_plus_one.iter().enumerate() {
        let phase = statement_spans_phase(t, statement_span, &n.statement);
        let whose = match &n.function {
            Some(f) => format!("`{f}`"),
            None => format!("`{}`", n.parent_name),
        };
        out.push(Finding::new(
            TRACES,
            format!("traces.n-plus-one.{i}"),
            "database",
            format!(
                "N+1 queries: {whose} runs the same statement {}× in one request",
                n.count
            ),
            format!(
                "`{}` repeated under one `{}` span in {} traces{}",
                n.statement,
                n.parent_name,
                n.traces_affected,
                phase
                    .map(|p| format!("; these `{}` spans are {:.1}% of the critical path", p.name, p.share_pct))
                    .unwrap_or_default()
            ))
            .severity(0.8)
            // the time the repeated statements take, not the whole database phase
            .share(phase.map_or(0.0, |p| p.share_pct / 100.0))
            .evidence([ev(
                "repetitions in one request".into(),
                n.count as f64,
                "queries",
                format!("summary/n_plus_one/{i}/count"),
            )])
            .functions(n.function.iter().cloned())
            .files(n.file.iter().cloned())
            .recommend(Recommendation {
                action: format!("fetch what `{}` needs in one query (a JOIN, or `WHERE id IN (…)`) instead of one query per item", n.parent_name),
                impact: format!("{} queries per request → 1", n.count),
                expected_speedup: None,
                effort: Effort::Medium,
                risk: "one larger result set per request".into(),
                mitigation: "paginate the parent query; compare before and after with `perfhive compare`".into(),
            }),
        );
    }
    for (i, b) in t.budgets.iter().enumerate() {
        let (BudgetVerdict::Fail, Some(p95)) = (b.verdict, b.p95_ms) else {
            continue;
        };
        out.push(
            Finding::new(
                TRACES,
                format!("traces.budget.{}", b.name),
                b.name.clone(),
                format!(
                    "`{}` p95 is {p95:.1} ms, over its {} ms budget",
                    b.name, b.budget_ms
                ),
                format!("{} spans of `{}` during the baseline", b.count, b.name),
            )
            .severity((0.5 + 0.1 * p95 / b.budget_ms).min(0.9))
            .evidence([ev(
                format!("{} p95", b.name),
                p95,
                "ms",
                format!("summary/budgets/{i}/p95_ms"),
            )]),
        );
    }
    out
}

fn statement_spans_phase<'t>(
    t: &'t TraceSummary,
    statement_span: &BTreeMap<&str, &str>,
    statement: &str,
) -> Option<&'t perfhive_core::trace::PhaseStat> {
    let name = statement_span.get(statement)?;
    t.phases.iter().find(|p| p.name == *name)
}

/// Waits for the last spans of the baseline as `perfhive_traces::summary::collect_after` does
/// (until the exporters have been quiet for its `QUIET` after sending, or `max_wait`), but
/// only [`STOPPED_WAIT`] more once the investigation stops; then takes every span received.
fn collect(rx: &RunningReceiver, max_wait: Duration, ctx: &Context) -> Vec<Span> {
    let start = Instant::now();
    let before = rx.requests();
    let (mut seen, mut last_change) = (before, start);
    let mut stopped_at: Option<Instant> = None;
    while start.elapsed() < max_wait {
        if ctx.stopped() && stopped_at.get_or_insert_with(Instant::now).elapsed() >= STOPPED_WAIT {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        let now = rx.requests();
        if now != seen {
            seen = now;
            last_change = Instant::now();
        }
        if seen != before && last_change.elapsed() >= perfhive_traces::summary::QUIET {
            break;
        }
    }
    rx.take_spans()
}

impl Investigator for TracesInvestigator {
    fn name(&self) -> InvestigatorName {
        TRACES
    }

    fn run(
        &mut self,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        // Spans from before the baseline (start-up, readiness probes) are not its.
        drop(self.receiver.take_spans());
        let end = Instant::now() + self.duration;
        while Instant::now() < end && Instant::now() < deadline && !ctx.stopped() {
            std::thread::sleep(Duration::from_millis(100));
        }
        let wait = self
            .wait
            .min(deadline.saturating_duration_since(Instant::now()));
        let spans = collect(&self.receiver, wait, ctx);
        let summary = perfhive_traces::summarize(
            &spans,
            &self.budgets,
            self.receiver.dropped(),
            self.n_plus_one,
        );
        if spans.is_empty() {
            let data = TracesData {
                endpoint: self.receiver.endpoint(),
                summary,
            };
            return Ok(InvestigatorResult::insufficient(
                TRACES,
                format!("no spans arrived during the baseline: {}", self.how_to_send),
                Some(data.into()),
            ));
        }
        let found = findings(&summary, &database_phases(&spans), &statement_spans(&spans));
        let headline = perfhive_report::trace_headline(&summary).unwrap_or_default();
        let text = format!(
            "{} spans in {} traces. {headline}{}",
            summary.spans,
            summary.traces,
            if summary.n_plus_one.is_empty() {
                String::new()
            } else {
                format!("; {} N+1 pattern(s)", summary.n_plus_one.len())
            }
        );
        let data = TracesData {
            endpoint: self.receiver.endpoint(),
            summary,
        };
        Ok(InvestigatorResult::from_findings(
            TRACES,
            text,
            found,
            Some(data.into()),
        ))
    }
}
