//! Dependency latency from spans, and latency budgets checked against it.
//!
//! A span's dependency is named, in order of preference, by the OpenTelemetry semantic
//! conventions' `peer.service`, `server.address` (or the older `net.peer.name`), `db.system`
//! (or `db.system.name`), and otherwise by the span name — so a scenario's
//! `dependencies: [{name: payments, latency_budget_ms: 150}]` matches client spans tagged
//! `peer.service=payments` as well as spans simply named `payments`. Latencies go into HDR
//! histograms ([`LatencyHistogram`], microseconds); budgets compare the p95.

use std::collections::BTreeMap;

use perfhive_core::LatencyHistogram;
use serde::Serialize;

use crate::model::Span;

const KEYS: &[&str] = &[
    "peer.service",
    "server.address",
    "net.peer.name",
    "db.system",
    "db.system.name",
];

/// The dependency a span is attributed to.
pub fn dependency_of(span: &Span) -> &str {
    span.attr_any(KEYS).unwrap_or(&span.name)
}

/// Latency statistics of one dependency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DependencyStat {
    /// Dependency name.
    pub name: String,
    /// Number of spans.
    pub count: u64,
    /// Median span duration, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// Maximum, milliseconds.
    pub max_ms: f64,
}

/// Outcome of one budget check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetVerdict {
    /// p95 within budget.
    Pass,
    /// p95 over budget.
    Fail,
    /// No span was attributed to this dependency: insufficient data, not a pass.
    NoData,
}

/// One dependency budget checked against its measured p95.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetCheck {
    /// Dependency name, as given in the budget.
    pub name: String,
    /// The budget on p95, milliseconds.
    pub budget_ms: f64,
    /// The measured p95, if any span matched.
    pub p95_ms: Option<f64>,
    /// Number of spans measured.
    pub count: u64,
    /// Pass, fail or no data.
    pub verdict: BudgetVerdict,
}

/// Per-dependency latency histograms.
#[derive(Clone, Debug, Default)]
pub struct Dependencies {
    hists: BTreeMap<String, LatencyHistogram>,
}

impl Dependencies {
    /// Attributes every span to its dependency ([`dependency_of`]) and records its duration.
    pub fn from_spans(spans: &[Span]) -> Self {
        let mut hists: BTreeMap<String, LatencyHistogram> = BTreeMap::new();
        for s in spans {
            hists
                .entry(dependency_of(s).to_owned())
                .or_default()
                .record_micros(s.duration_ns() / 1000);
        }
        Self { hists }
    }

    /// The p95 of a dependency in milliseconds (for criteria such as `payments_p95_ms`).
    pub fn p95_ms(&self, name: &str) -> Option<f64> {
        self.hists.get(name).and_then(|h| h.quantile_ms(0.95))
    }

    /// Statistics of every dependency, slowest p95 first.
    pub fn stats(&self) -> Vec<DependencyStat> {
        let mut out: Vec<DependencyStat> = self
            .hists
            .iter()
            .map(|(name, h)| DependencyStat {
                name: name.clone(),
                count: h.len(),
                p50_ms: h.quantile_ms(0.5).unwrap_or(0.0),
                p95_ms: h.quantile_ms(0.95).unwrap_or(0.0),
                max_ms: h.max_ms().unwrap_or(0.0),
            })
            .collect();
        out.sort_by(|a, b| b.p95_ms.total_cmp(&a.p95_ms).then(a.name.cmp(&b.name)));
        out
    }

    /// Checks `(name, budget_ms)` pairs against each dependency's p95, in the given order.
    pub fn check_budgets<S: AsRef<str>>(&self, budgets: &[(S, f64)]) -> Vec<BudgetCheck> {
        budgets
            .iter()
            .map(|(name, budget_ms)| {
                let name = name.as_ref();
                let h = self.hists.get(name);
                let p95_ms = h.and_then(|h| h.quantile_ms(0.95));
                let verdict = match p95_ms {
                    None => BudgetVerdict::NoData,
                    Some(p) if p <= *budget_ms => BudgetVerdict::Pass,
                    Some(_) => BudgetVerdict::Fail,
                };
                BudgetCheck {
                    name: name.to_owned(),
                    budget_ms: *budget_ms,
                    p95_ms,
                    count: h.map_or(0, LatencyHistogram::len),
                    verdict,
                }
            })
            .collect()
    }
}
