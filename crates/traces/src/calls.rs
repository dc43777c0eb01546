//! Downstream calls made one after another, and server time per route.
//!
//! **Sequential calls**: under one parent in one trace, CLIENT spans that are not database
//! calls (an HTTP or RPC call to another service), at least two, none starting before the
//! previous one ended, all on the critical path. The traces cannot show whether one call needs
//! another's result, so they are candidates: if they are independent, running them
//! concurrently saves at most `sum − max` of their durations per request. Each call is named
//! by what it requested: the route of the SERVER span it reached when the callee is traced too
//! (`GET /internal/pricing/{}`), else its method and URL path with identifiers as `{}`, else
//! its dependency (`peer.service`, the host). The calls belong to the route of the request they
//! are made in: the nearest SERVER span with `http.route` above their parent.
//!
//! **Routes**: SERVER spans with `http.route` give the handler's time per route; a CLIENT span
//! that is the SERVER span's parent (a traced caller) gives the caller's view of the same call.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use perfhive_core::trace::{RouteStat, SequentialCalls};
use perfhive_core::LatencyHistogram;

use crate::analysis::{traces, TraceTree};
use crate::db::trace_routes;
use crate::deps::dependency_of;
use crate::model::{Span, KIND_CLIENT};
use crate::semconv::{is_database, route_of, METHOD_KEYS};

/// The URL path of an HTTP CLIENT span (new and old conventions).
const PATH_KEYS: &[&str] = &["url.path", "http.target"];
/// The full URL of an HTTP CLIENT span (new and old conventions).
const URL_KEYS: &[&str] = &["url.full", "http.url"];

/// The route of the request span `i` is part of: the nearest SERVER span with a route at or
/// above it; else the trace's first route.
pub(crate) fn request_route(t: &TraceTree<'_>, i: usize) -> Option<String> {
    let mut at = Some(i);
    let mut steps = 0;
    while let Some(k) = at {
        if let Some(r) = route_of(t.spans[k]) {
            return Some(r.to_string());
        }
        steps += 1;
        // a malformed trace can loop
        if steps > t.spans.len() {
            break;
        }
        at = t.parent[k];
    }
    trace_routes(t).into_iter().next()
}

/// A path segment that identifies one item (a number, a UUID, a long hex or mixed token)
/// rather than naming a resource.
fn is_identifier(segment: &str) -> bool {
    let digits = segment.chars().filter(char::is_ascii_digit).count();
    !segment.is_empty()
        && (digits == segment.len()
            || (segment.len() >= 8
                && digits > 0
                && segment.chars().all(|c| c.is_ascii_hexdigit() || c == '-')))
}

/// What a CLIENT call requested (see the module docs).
fn call_name(t: &TraceTree<'_>, c: usize) -> String {
    if let Some(r) = t.children[c].iter().find_map(|&k| route_of(t.spans[k])) {
        return r.to_string();
    }
    let s = t.spans[c];
    let path = s.attr_any(PATH_KEYS).map(str::to_owned).or_else(|| {
        let url = s.attr_any(URL_KEYS)?;
        let rest = &url[url.find("://")? + 3..];
        Some(rest.find('/').map_or("/", |k| &rest[k..]).to_owned())
    });
    match (s.attr_any(METHOD_KEYS), path) {
        (Some(method), Some(path)) => {
            let path = path.split(['?', '#']).next().unwrap_or("/");
            let path: Vec<&str> = path
                .split('/')
                .map(|seg| if is_identifier(seg) { "{}" } else { seg })
                .collect();
            format!("{} {}", method.to_ascii_uppercase(), path.join("/"))
        }
        _ => dependency_of(s).to_owned(),
    }
}

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
            let names: Vec<String> = calls.iter().map(|&c| call_name(&t, c)).collect();
            let durations: Vec<u64> = calls.iter().map(|&c| t.spans[c].duration_ns()).collect();
            let route = request_route(&t, p);
            let a = found.entry((t.spans[p].name.clone(), names)).or_default();
            a.traces.insert(t.spans[p].trace_id);
            a.sum_ns += durations.iter().sum::<u64>();
            a.max_ns += durations.iter().copied().max().unwrap_or(0);
            a.occurrences += 1;
            a.routes.extend(route);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KIND_SERVER;
    use std::collections::BTreeMap;

    const MS: u64 = 1_000_000;

    fn span(id: u8, parent: Option<u8>, kind: i32, ms: (u64, u64), attrs: &[(&str, &str)]) -> Span {
        Span {
            trace_id: [3; 16],
            span_id: [id; 8],
            parent: parent.map(|p| [p; 8]),
            name: format!("span {id}"),
            service: "catalog".into(),
            kind,
            start_ns: ms.0 * MS,
            end_ns: ms.1 * MS,
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    /// An Express page handler calls three internal routes of its own service one after
    /// another; the callee's SERVER spans are in the same trace, and sort before the page's
    /// route. The calls belong to the page's route and are named by what they requested.
    #[test]
    fn sequential_calls_carry_their_request_route_and_what_they_requested() {
        let client = |id, parent, ms, path: &str| {
            let url = format!("http://127.0.0.1:18483{path}?full=1");
            span(
                id,
                Some(parent),
                KIND_CLIENT,
                ms,
                &[
                    ("http.method", "GET"),
                    ("http.url", url.as_str()),
                    ("net.peer.name", "127.0.0.1"),
                ],
            )
        };
        let server = |id, parent, ms, route: &str| {
            span(
                id,
                Some(parent),
                KIND_SERVER,
                ms,
                &[("http.method", "GET"), ("http.route", route)],
            )
        };
        let spans = vec![
            span(
                1,
                None,
                KIND_SERVER,
                (0, 100),
                &[("http.method", "GET"), ("http.route", "/products/:id/page")],
            ),
            span(
                2,
                Some(1),
                1,
                (1, 99),
                &[("http.route", "/products/:id/page")],
            ),
            client(3, 2, (10, 29), "/internal/inventory/7"),
            server(4, 3, (11, 28), "/internal/inventory/:id"),
            client(5, 2, (30, 59), "/internal/pricing/7"),
            server(6, 5, (31, 58), "/internal/pricing/:id"),
            // a callee that is not traced: named by its method and path
            client(7, 2, (60, 90), "/internal/shipping/3f2a9c1e-77aa"),
        ];
        let found = sequential_calls(&spans);
        assert_eq!(found.len(), 1, "{found:?}");
        let q = &found[0];
        assert_eq!(
            q.calls,
            [
                "GET /internal/inventory/{}",
                "GET /internal/pricing/{}",
                "GET /internal/shipping/{}"
            ]
        );
        assert_eq!(q.routes, ["GET /products/{}/page"]);
        assert!((q.sum_ms - 78.0).abs() < 1e-9 && (q.max_ms - 30.0).abs() < 1e-9);
    }

    #[test]
    fn identifiers_in_paths() {
        for id in [
            "7",
            "123456",
            "3f2a9c1e-77aa",
            "550e8400-e29b-41d4-a716-446655440000",
        ] {
            assert!(is_identifier(id), "{id}");
        }
        for name in ["internal", "pricing", "v2", "deadbeef", ""] {
            assert!(!is_identifier(name), "{name}");
        }
    }
}
