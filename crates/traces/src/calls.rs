//! Downstream calls made one after another, and server time per route.
//!
//! **Sequential calls**: under one parent in one trace, CLIENT spans that are not database
//! calls (an HTTP or RPC call to another service), at least two, none starting before the
//! previous one ended, all on the critical path. The traces cannot show whether one call needs
//! another's result, so they are candidates: if they are independent, running them
//! concurrently saves at most `sum − max` of their durations per request.
//!
//! **Routes**: SERVER spans with `http.route` give the handler's time per route; a CLIENT span
//! that is the SERVER span's parent (a traced caller) gives the caller's view of the same call.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use perfhive_core::trace::{RouteStat, SequentialCalls};
use perfhive_core::LatencyHistogram;

use crate::analysis::traces;
use crate::db::trace_routes;
use crate::deps::dependency_of;
use crate::model::{Span, KIND_CLIENT};
use crate::semconv::{is_database, route_of};

#[derive(Default)]
struct Acc {
    traces: BTreeSet<[u8; 16]>,
    sum_ns: u64,
    max_ns: u64,
    occurrences: u64,
    routes: BTreeSet<String>,
}

/// Downstream calls of one parent made one after another on the critical path, largest
/// possible gain first.
pub fn sequential_calls(spans: &[Span]) -> Vec<SequentialCalls> {
    let mut found: BTreeMap<(String, Vec<String>), Acc> = BTreeMap::new();
    for t in traces(spans) {
        let on_path: BTreeSet<usize> = t
            .roots
            .iter()
            .flat_map(|&r| t.critical_path(r))
            .map(|(i, _)| i)
            .collect();
        let mut routes: Option<Vec<String>> = None;
        for (p, kids) in t.children.iter().enumerate() {
            let mut calls: Vec<usize> = kids
                .iter()
                .copied()
                .filter(|&c| t.spans[c].kind == KIND_CLIENT && !is_database(t.spans[c]))
                .collect();
            if calls.len() < 2 {
                continue;
            }
            calls.sort_by_key(|&c| t.spans[c].start_ns);
            let sequential = calls
                .windows(2)
                .all(|w| t.spans[w[1]].start_ns >= t.spans[w[0]].end_ns);
            if !sequential || !calls.iter().all(|c| on_path.contains(c)) {
                continue;
            }
            let names: Vec<String> = calls
                .iter()
                .map(|&c| dependency_of(t.spans[c]).to_owned())
                .collect();
            let durations: Vec<u64> = calls.iter().map(|&c| t.spans[c].duration_ns()).collect();
            let routes = routes.get_or_insert_with(|| trace_routes(&t));
            let a = found.entry((t.spans[p].name.clone(), names)).or_default();
            a.traces.insert(t.spans[p].trace_id);
            a.sum_ns += durations.iter().sum::<u64>();
            a.max_ns += durations.iter().copied().max().unwrap_or(0);
            a.occurrences += 1;
            a.routes.extend(routes.iter().cloned());
        }
    }
    let mut out: Vec<SequentialCalls> = found
        .into_iter()
        .map(|((parent_name, calls), a)| {
            let n = a.occurrences.max(1) as f64;
            SequentialCalls {
                parent_name,
                calls,
                traces_affected: a.traces.len(),
                sum_ms: a.sum_ns as f64 / 1e6 / n,
                max_ms: a.max_ns as f64 / 1e6 / n,
                routes: a.routes.into_iter().collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.gain_ms() * b.traces_affected as f64)
            .total_cmp(&(a.gain_ms() * a.traces_affected as f64))
    });
    out
}

/// Server time per route (SERVER spans with `http.route`), busiest route first.
pub fn routes(spans: &[Span]) -> Vec<RouteStat> {
    #[derive(Default)]
    struct R {
        hist: LatencyHistogram,
        total_ns: u64,
        client_ns: u64,
        clients: u64,
    }
    let mut acc: HashMap<String, R> = HashMap::new();
    for t in traces(spans) {
        for (i, s) in t.spans.iter().enumerate() {
            let Some(route) = route_of(s) else {
                continue;
            };
            let r = acc.entry(route.to_string()).or_default();
            r.hist.record_micros(s.duration_ns() / 1000);
            r.total_ns += s.duration_ns();
            if let Some(p) = t.parent[i].map(|p| t.spans[p]) {
                if p.kind == KIND_CLIENT {
                    r.client_ns += p.duration_ns();
                    r.clients += 1;
                }
            }
        }
    }
    let mut out: Vec<RouteStat> = acc
        .into_iter()
        .map(|(route, r)| {
            let n = r.hist.len();
            RouteStat {
                route,
                count: n,
                mean_ms: r.total_ns as f64 / 1e6 / n.max(1) as f64,
                p50_ms: r.hist.quantile_ms(0.5).unwrap_or(0.0),
                p95_ms: r.hist.quantile_ms(0.95).unwrap_or(0.0),
                client_mean_ms: (r.clients > 0)
                    .then(|| r.client_ns as f64 / 1e6 / r.clients as f64),
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.route.cmp(&b.route)));
    out
}
