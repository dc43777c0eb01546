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
use perfhive_core::route::Route;
use perfhive_core::trace::{Access, BudgetVerdict, StatementStat, TraceSummary};
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
        let subject = if p.statement.is_some() || database.contains(p.name.as_str()) {
            "database".to_string()
        } else {
            subject_of_phase(&p.name)
        };
        let stat = p
            .statement
            .and_then(|fp| t.statements.iter().find(|s| s.fingerprint == fp));
        // the phase's self time that lies between two spans of one statement it issues
        let between: Vec<&StatementStat> = t
            .statements
            .iter()
            .filter(|s| s.between_ms > 0.0 && s.parents.contains(&p.name))
            .filter(|s| s.between_ms >= 0.2 * p.self_ms)
            .collect();
        let between_note = between
            .iter()
            .map(|s| format!(
                "; {:.2} ms of its self time per request lies between consecutive `{}` spans: rows read and objects built outside the database span (the cursor's fetches, the ORM's materialisation), not the handler's own code",
                s.between_ms / per_trace,
                s.statement
            ))
            .collect::<String>();
        let routes: Vec<Route> = stat
            .map(|s| s.routes.iter().map(|r| Route::parse(r)).collect())
            .unwrap_or_else(|| route_of_phase(t, &p.name));
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
            ) + &between_note)
            .severity(if i == 0 { 0.9 } else { 0.6 })
            .share(p.share_pct / 100.0)
            .evidence([
                ev(format!("{} critical-path share", p.name), p.share_pct, "%", format!("summary/phases/{i}/share_pct")),
                ev(format!("{} p95", p.name), p.p95_ms, "ms", format!("summary/phases/{i}/p95_ms")),
            ])
            .functions(p.function.iter().cloned())
            .files(p.file.iter().cloned())
            .routes(routes)
            .statements(p.statement.into_iter().chain(between.iter().map(|s| s.fingerprint))),
        );
    }
    for (i, n) in t.n_plus_one.iter().enumerate() {
        let phase = t
            .phases
            .iter()
            .find(|p| p.statement.is_some() && p.statement == n.fingerprint)
            .or_else(|| statement_spans_phase(t, statement_span, &n.statement));
        let whose = match &n.function {
            Some(f) => format!("`{f}`"),
            None => format!("`{}`", n.parent_name),
        };
        let what = match n.access {
            Access::Write => "N+1 writes",
            _ => "N+1 queries",
        };
        out.push(Finding::new(
            TRACES,
            format!("traces.n-plus-one.{i}"),
            "database",
            format!(
                "{what}: {whose} runs the same statement {}× in one request",
                n.count
            ),
            format!(
                "`{}` repeated under one `{}` span in {} traces ({:.2} ms per request in these statements){}",
                n.statement,
                n.parent_name,
                n.traces_affected,
                n.mean_ms,
                phase
                    .map(|p| format!("; these statements are {:.1}% of the critical path", p.share_pct))
                    .unwrap_or_default()
            ))
            .severity(0.8)
            // the time the repeated statements take, not the whole database phase
            .share(phase.map_or(0.0, |p| p.share_pct / 100.0))
            .evidence([
                ev("repetitions in one request".into(), n.count as f64, "queries", format!("summary/n_plus_one/{i}/count")),
                ev("time in the repeated statements per request".into(), n.mean_ms, "ms", format!("summary/n_plus_one/{i}/mean_ms")),
            ])
            .functions(n.function.iter().cloned())
            .files(n.file.iter().cloned())
            .routes(n.routes.iter().map(|r| Route::parse(r)))
            .statements(n.fingerprint)
            .recommend(super::traces_fix::n_plus_one(n, phase.map(|p| p.share_pct / 100.0))),
        );
    }
    for (i, q) in t.sequential.iter().enumerate() {
        let route_ms = q
            .routes
            .iter()
            .find_map(|r| t.routes.iter().find(|s| &s.route == r))
            .map(|r| r.mean_ms);
        let share = route_ms
            .filter(|m| *m > 0.0)
            .map(|m| (q.gain_ms() / m).min(1.0));
        out.push(
            Finding::new(
                TRACES,
                format!("traces.sequential-calls.{i}"),
                q.calls.first().cloned().unwrap_or_default(),
                format!(
                    "`{}` calls {} one after another: {:.1} ms that could take {:.1} ms",
                    q.parent_name,
                    q.calls.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                    q.sum_ms,
                    q.max_ms
                ),
                format!(
                    "in {} traces none of these calls started before the previous one ended, and all are on the critical path; if none needs another's result, running them concurrently saves up to {:.1} ms per request (sum − max){}",
                    q.traces_affected,
                    q.gain_ms(),
                    route_ms
                        .map(|m| format!(" of the route's {m:.1} ms"))
                        .unwrap_or_default()
                ),
            )
            .severity(0.6)
            .share(share.unwrap_or(0.0))
            .evidence([
                ev("calls' summed duration per request".into(), q.sum_ms, "ms", format!("summary/sequential/{i}/sum_ms")),
                ev("longest call per request".into(), q.max_ms, "ms", format!("summary/sequential/{i}/max_ms")),
            ])
            .routes(q.routes.iter().map(|r| Route::parse(r)))
            .recommend(Recommendation {
                action: format!(
                    "issue {} concurrently (asyncio.gather, Promise.all, a thread pool, tokio::join!) and wait for all of them",
                    q.calls.join(", ")
                ),
                impact: format!("{:.1} ms → {:.1} ms per request in these calls", q.sum_ms, q.max_ms),
                expected_speedup: share.map(perfhive_core::trace::amdahl),
                effort: Effort::Medium,
                risk: "a call that needs another's result cannot move; more concurrent load on the called services".into(),
                mitigation: "check the calls' inputs first; bound the concurrency; compare with `perfhive compare`".into(),
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

/// Name prefixes of web frameworks' handler spans, which name the route they handle: Express's
/// `request handler - /orders/:id`, Koa's router `router - /orders/:id`.
const HANDLER_PREFIXES: &[&str] = &["request handler - ", "router - "];

/// The route of a phase named by a SERVER span (`GET /orders/{id}`), or by a framework's
/// handler span (`request handler - /orders/:id`, whose method is that of the SERVER spans with
/// the same route), when the traces know it.
fn route_of_phase(t: &TraceSummary, name: &str) -> Vec<Route> {
    let server_routes = || t.routes.iter().map(|r| Route::parse(&r.route));
    let phase = Route::parse(name);
    let named: Vec<Route> = server_routes()
        .filter(|r| phase.method.is_some() && r.same_as(&phase))
        .collect();
    if !named.is_empty() {
        return named;
    }
    let Some(template) = HANDLER_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .filter(|t| t.starts_with('/'))
    else {
        return named;
    };
    let handler = Route::new(None, template);
    server_routes().filter(|r| r.same_as(&handler)).collect()
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

/// A gap between the client's latency and the handler's time this large (ms, and relative to
/// the handler's time) is reported as queueing before the handler.
const QUEUE_MIN_MS: f64 = 5.0;
const QUEUE_MIN_RATIO: f64 = 0.5;

/// Client latency against server time per route: the load investigator's per-request means
/// (uncorrected: what each request took once sent) against the SERVER spans' mean per route,
/// or a traced caller's CLIENT spans against them. A large gap is time before the handler runs
/// — queueing for a worker or thread (too few workers, a single-threaded development server),
/// or the network — and becomes a finding, with the numbers. `load` is the load investigator's
/// data when it ran.
pub fn queueing(t: &TraceSummary, load: Option<&perfhive_core::record::RunRecord>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, r) in t.routes.iter().enumerate() {
        let route = Route::parse(&r.route);
        // the load's requests for this route, by their `METHOD url`
        let from_load = load.and_then(|rec| {
            let (mut n, mut sum) = (0u64, 0.0);
            for (j, req) in rec.requests.iter().enumerate() {
                let Some(mix) = rec.target.requests.iter().find(|m| m.name == req.name) else {
                    continue;
                };
                let Some((method, url)) = mix.request.split_once(' ') else {
                    continue;
                };
                let path = url.find("://").map_or(url, |k| {
                    url[k + 3..].find('/').map_or("/", |s| &url[k + 3 + s..])
                });
                let lat = req
                    .latency_uncorrected_ms
                    .as_ref()
                    .or(req.latency_ms.as_ref());
                if let (true, Some(l)) = (route.matches_request(method, path), lat) {
                    n += l.count;
                    sum += l.mean * l.count as f64;
                    let _ = j;
                }
            }
            (n > 0).then(|| (sum / n as f64, "the load test's requests"))
        });
        let client = from_load.or(r
            .client_mean_ms
            .map(|m| (m, "the calling service's client spans")));
        let Some((client_ms, whose)) = client else {
            continue;
        };
        let gap = client_ms - r.mean_ms;
        if gap < QUEUE_MIN_MS || gap < QUEUE_MIN_RATIO * r.mean_ms {
            continue;
        }
        let share = (gap / client_ms).clamp(0.0, 1.0);
        out.push(
            Finding::new(
                TRACES,
                format!("traces.queueing.{}", r.route),
                "queueing",
                format!(
                    "`{}` takes {client_ms:.1} ms at the client but {:.1} ms in the handler: {gap:.1} ms ({:.0}%) is spent before the handler runs",
                    r.route,
                    r.mean_ms,
                    share * 100.0
                ),
                format!(
                    "mean of {whose} {client_ms:.1} ms against the mean of {} SERVER spans {:.1} ms (p95 {:.1} ms): the request waits for a worker or thread before the handler starts — too few workers or threads, a single-threaded development server, or a full accept queue — or crosses a slow network",
                    r.count, r.mean_ms, r.p95_ms
                ),
            )
            .severity((0.5 + 0.4 * share).min(0.9))
            .share(share)
            .evidence([
                ev(format!("{} server time", r.route), r.mean_ms, "ms", format!("summary/routes/{i}/mean_ms")),
                Evidence {
                    label: format!("{} client latency", r.route),
                    value: (client_ms * 1000.0).round() / 1000.0,
                    unit: "ms".into(),
                    pointer: String::new(),
                },
            ])
            .routes([route])
            .recommend(Recommendation {
                action: "give the server more workers or threads (gunicorn `--workers`/`--threads`, uvicorn `--workers`, Puma threads), or replace a development server with a production one".into(),
                impact: format!("up to {gap:.1} ms less per request on `{}`", r.route),
                expected_speedup: Some(perfhive_core::trace::amdahl(share)),
                effort: Effort::Low,
                risk: "more workers use more memory and more database connections".into(),
                mitigation: "size workers to the cores and the connection pool; confirm with the sweep".into(),
            }),
        );
    }
    out
}

/// Adds the [`queueing`] findings to the trace investigator's result once the baseline's
/// results are in (the load investigator ran beside it).
pub fn add_queueing(results: &mut [InvestigatorResult]) {
    use crate::data::DataOf;
    let Some(summary) = results.traces_data().map(|d| &d.summary) else {
        return;
    };
    let found = queueing(summary, results.load_data().map(|d| &d.record));
    let Some(traces) = results.iter_mut().find(|r| r.name == TRACES) else {
        return;
    };
    if !found.is_empty() {
        traces.verdict = crate::model::Verdict::Found;
        traces.findings.extend(found);
    }
}

#[cfg(test)]
#[path = "traces_tests.rs"]
mod tests;
