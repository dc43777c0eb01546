//! Dependency latency from spans, and latency budgets checked against it.
//!
//! A span's dependency is named, in order of preference, by the OpenTelemetry semantic
//! conventions' `peer.service`, `server.address` (or the older `net.peer.name`), `db.system`
//! (or `db.system.name`), and otherwise by the span name — so a scenario's
//! `dependencies: [{name: payments, latency_budget_ms: 150}]` matches client spans tagged
//! `peer.service=payments` as well as spans simply named `payments`. Latencies go into HDR
//! histograms ([`LatencyHistogram`], microseconds); budgets compare the p95.

use std::collections::{BTreeMap, BTreeSet};

pub use perfhive_core::trace::{BudgetCheck, BudgetVerdict, DependencyStat};
use perfhive_core::{LatencyHistogram, LatencyStat};

use crate::model::{Span, KIND_CLIENT};

const KEYS: &[&str] = &[
    "peer.service",
    "server.address",
    "net.peer.name",
    "db.system",
    "db.system.name",
];

/// The dependency a span is attributed to: its first dependency attribute, else its name.
pub fn dependency_of(span: &Span) -> &str {
    span.attr_any(KEYS).unwrap_or(&span.name)
}

/// Per-dependency latency histograms. A span is recorded under each name it can be matched by
/// (its dependency attributes and its span name), so a budget may name either; only the names
/// given by an attribute, or by a CLIENT span, are listed as dependencies in [`Self::stats`].
#[derive(Clone, Debug, Default)]
pub struct Dependencies {
    hists: BTreeMap<String, LatencyHistogram>,
    listed: BTreeSet<String>,
}

impl Dependencies {
    /// Records every span's duration under each of its names (a span posted twice, once).
    pub fn from_spans(spans: &[Span]) -> Self {
        let mut d = Self::default();
        for s in crate::model::distinct(spans) {
            let micros = s.duration_ns() / 1000;
            let mut names: Vec<&str> = KEYS
                .iter()
                .filter_map(|k| s.attributes.get(*k).map(String::as_str))
                .collect();
            if let Some(first) = names.first() {
                d.listed.insert((*first).to_owned());
            } else if s.kind == KIND_CLIENT {
                d.listed.insert(s.name.clone());
            }
            names.push(&s.name);
            names.sort_unstable();
            names.dedup();
            for n in names {
                d.hists
                    .entry(n.to_owned())
                    .or_default()
                    .record_micros(micros);
            }
        }
        d
    }

    /// The p95 of a dependency in milliseconds (for criteria such as `payments_p95_ms`).
    pub fn p95_ms(&self, name: &str) -> Option<f64> {
        self.latency_ms(name, LatencyStat::Quantile(0.95))
    }

    /// A statistic of a dependency's span durations in milliseconds; `None` without spans.
    pub fn latency_ms(&self, name: &str, stat: LatencyStat) -> Option<f64> {
        let h = self.hists.get(name)?;
        match stat {
            LatencyStat::Quantile(q) => h.quantile_ms(q),
            LatencyStat::Mean => h.mean_ms(),
            LatencyStat::Max => h.max_ms(),
            LatencyStat::Min => h.min_ms(),
        }
    }

    /// Statistics of every dependency, slowest p95 first.
    pub fn stats(&self) -> Vec<DependencyStat> {
        let mut out: Vec<DependencyStat> = self
            .listed
            .iter()
            .filter_map(|name| Some((name, self.hists.get(name)?)))
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
