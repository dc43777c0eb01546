//! One call from received spans to the [`TraceSummary`] stored in records and reports, and the
//! dependency metrics (`payments_p95_ms`) that criteria evaluate.

use perfhive_core::trace::TraceSummary;
use perfhive_core::{Metric, MetricSource};

use crate::analysis::breakdown;
use crate::deps::Dependencies;
use crate::model::Span;
use crate::nplusone::detect_n_plus_one;
use crate::receiver::RunningReceiver;
use std::time::{Duration, Instant};

/// Most phases kept in a summary (the long tail adds nothing a reader acts on).
pub const MAX_PHASES: usize = 20;

/// Analyses `spans` (a span posted twice counts once): the phase breakdown (top [`MAX_PHASES`]), every dependency, the `budgets`
/// (`(name, p95 budget ms)`) checked, and N+1 patterns of at least `n_plus_one` repetitions.
pub fn summarize(
    spans: &[Span],
    budgets: &[(String, f64)],
    dropped: u64,
    n_plus_one: usize,
) -> TraceSummary {
    let b = breakdown(spans);
    let deps = Dependencies::from_spans(spans);
    let statements = crate::db::statements(spans, &b);
    let mut phases = b.phases;
    phases.truncate(MAX_PHASES);
    TraceSummary {
        spans: crate::model::distinct(spans).count() as u64,
        traces: b.traces as u64,
        dropped,
        phases,
        total_critical_ms: b.total_critical_ms,
        dependencies: deps.stats(),
        budgets: deps.check_budgets(budgets),
        n_plus_one: detect_n_plus_one(spans, n_plus_one),
        statements,
        sequential: crate::calls::sequential_calls(spans),
        routes: crate::calls::routes(spans),
    }
}

/// How long an exporter must stay silent after its last export before the spans are final.
pub const QUIET: Duration = Duration::from_secs(1);

/// Waits for the last spans of a finished workload, then takes every span received. Exporters
/// batch (the OpenTelemetry batch processor sends every 5 s by default), so this returns
/// [`QUIET`] after the first export that arrives during the wait, or after `max_wait`.
pub fn collect_after(rx: &RunningReceiver, max_wait: Duration) -> Vec<Span> {
    let start = Instant::now();
    let before = rx.requests();
    let mut seen = before;
    let mut last_change = start;
    while start.elapsed() < max_wait {
        std::thread::sleep(Duration::from_millis(50));
        let now = rx.requests();
        if now != seen {
            seen = now;
            last_change = Instant::now();
        }
        if seen != before && last_change.elapsed() >= QUIET {
            break;
        }
    }
    rx.take_spans()
}

/// What the receiver of a load test collected once the load ended.
pub struct AfterRun {
    /// The dependency metrics (`payments_p95_ms`) the run's criteria evaluate.
    pub dependencies: Dependencies,
    /// The summary stored in the run's record.
    pub summary: TraceSummary,
}

/// Waits for a load test's last spans ([`collect_after`], at most `max_wait`) and analyses
/// them: the dependencies, and the summary with the scenario's `budgets` checked and N+1
/// patterns of [`crate::DEFAULT_THRESHOLD`] repetitions.
pub fn after_run(rx: &RunningReceiver, max_wait: Duration, budgets: &[(String, f64)]) -> AfterRun {
    let spans = collect_after(rx, max_wait);
    AfterRun {
        dependencies: Dependencies::from_spans(&spans),
        summary: summarize(&spans, budgets, rx.dropped(), crate::DEFAULT_THRESHOLD),
    }
}

impl MetricSource for Dependencies {
    /// Dependency latency metrics; every other metric is not the traces' to answer.
    fn metric(&self, m: &Metric) -> Option<f64> {
        match m {
            Metric::DependencyLatency { dependency, stat } => self.latency_ms(dependency, *stat),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfhive_core::trace::BudgetVerdict;
    use perfhive_core::Criterion;
    use std::collections::BTreeMap;

    fn span(id: u8, parent: Option<u8>, name: &str, ms: u64, attrs: &[(&str, &str)]) -> Span {
        Span {
            trace_id: [7; 16],
            span_id: [id; 8],
            parent: parent.map(|p| [p; 8]),
            name: name.into(),
            service: "svc".into(),
            kind: if attrs.iter().any(|a| a.0 == "peer.service") {
                3
            } else {
                1
            },
            start_ns: 1_000_000,
            end_ns: 1_000_000 + ms * 1_000_000,
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn summary_and_dependency_criteria() {
        let spans = vec![
            span(1, None, "POST /checkout", 400, &[]),
            span(2, Some(1), "charge", 180, &[("peer.service", "payments")]),
            span(
                3,
                Some(1),
                "render",
                20,
                &[
                    ("code.function.name", "render_cart"),
                    ("code.file.path", "/srv/shop/cart.py"),
                ],
            ),
        ];
        let s = summarize(&spans, &[("payments".into(), 150.0)], 0, 5);
        assert_eq!((s.spans, s.traces), (3, 1));
        // the same spans posted again (an exporter's retry) change nothing
        let twice: Vec<Span> = spans.iter().chain(spans.iter()).cloned().collect();
        let again = summarize(&twice, &[("payments".into(), 150.0)], 0, 5);
        assert_eq!(again, s, "a span posted twice counts once everywhere");
        assert_eq!(Dependencies::from_spans(&twice).stats()[0].count, 1);
        assert_eq!(s.budgets[0].verdict, BudgetVerdict::Fail);
        assert_eq!(s.dependencies.len(), 1, "{:?}", s.dependencies);
        assert_eq!(s.dependencies[0].name, "payments");
        let render = s.phases.iter().find(|p| p.name == "render").unwrap();
        assert_eq!(render.function.as_deref(), Some("render_cart"));
        assert_eq!(render.file.as_deref(), Some("/srv/shop/cart.py"));
        let deps = Dependencies::from_spans(&spans);
        let c = Criterion::parse("payments_p95_ms <= 150").unwrap();
        let (value, passed) = c.evaluate(&deps);
        assert!((value.unwrap() - 180.0).abs() < 2.0, "{value:?}");
        assert_eq!(passed, Some(false));
        // a budget may also name the span itself
        let (v, _) = Criterion::parse("charge_max_ms < 1000")
            .unwrap()
            .evaluate(&deps);
        assert!(v.is_some());
        assert_eq!(
            Criterion::parse("ghost_p95_ms < 1")
                .unwrap()
                .evaluate(&deps),
            (None, None)
        );
    }

    #[test]
    fn a_run_without_spans_has_an_empty_summary_and_no_dependency_values() {
        let rx = crate::spawn(crate::ReceiverOptions {
            bind: "127.0.0.1:0".parse().unwrap(),
            grpc_bind: None,
            ..Default::default()
        })
        .unwrap();
        let got = after_run(
            &rx,
            Duration::from_millis(200),
            &[("payments".into(), 150.0)],
        );
        assert_eq!((got.summary.spans, got.summary.dropped), (0, 0));
        assert!(got.summary.dependencies.is_empty());
        let c = Criterion::parse("payments_p95_ms <= 150").unwrap();
        assert_eq!(c.evaluate(&got.dependencies), (None, None));
    }
}
