//! N+1 query detection from traces: many sibling database spans running the same statement
//! under one parent in one request.
//!
//! Database spans are recognised by the OpenTelemetry database semantic conventions
//! (<https://opentelemetry.io/docs/specs/semconv/database/database-spans/>), both
//! generations: the statement is `db.query.text` (formerly `db.statement`), normalised by
//! [`perfhive_core::sql`] so `… WHERE id = 7` and `… WHERE id = 8` are one statement; a span
//! with `db.system.name` (formerly `db.system`) but no statement is keyed by its name when that
//! name is itself a statement (`SELECT customers`); other database spans (a connection's
//! `connect`, `COMMIT`) never form a pattern. Within
//! one trace, a parent with at least `threshold` children sharing a key is an N+1 occurrence;
//! occurrences are aggregated over traces by (parent name, statement). Each pattern says
//! whether it reads or writes (the fixes differ: one query that fetches everything, versus
//! one batched write in one transaction), the data-access framework when the spans tell, and
//! the routes of the requests it occurred in.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use perfhive_core::sql::Fingerprint;
use perfhive_core::trace::Access;
pub use perfhive_core::trace::NPlusOne;

use crate::analysis::{file_of, function_of, most_frequent, traces};
use crate::db::trace_routes;
use crate::model::Span;
use crate::semconv::{access_of, framework_of, statement_of, Normalizer, SYSTEM_KEYS};
use perfhive_core::sql::shape;

/// The default number of identical sibling database spans that makes an N+1.
pub const DEFAULT_THRESHOLD: usize = 5;

/// One pattern being aggregated over traces.
#[derive(Default)]
struct Occurrences {
    count: usize,
    traces: BTreeSet<[u8; 16]>,
    functions: BTreeMap<String, u64>,
    files: BTreeMap<String, u64>,
    frameworks: BTreeMap<String, u64>,
    routes: BTreeSet<String>,
    fingerprint: Option<Fingerprint>,
    access: Access,
    total_ns: u64,
    occurrences: u64,
}

/// One group of siblings in one parent.
#[derive(Default)]
struct Group<'a> {
    n: usize,
    spans: Vec<&'a Span>,
    fingerprint: Option<Fingerprint>,
    access: Access,
}

/// Whether a database span without a statement attribute is named by a statement
/// (`SELECT customers`, `INSERT INTO orders …`), and then whether it reads or writes. A
/// connection checkout (`connect`), a transaction's `BEGIN`/`COMMIT` or a driver's internal
/// call is not a query an application repeats per item.
fn name_statement(s: &Span) -> Option<Access> {
    match access_of(shape(&s.name).kind) {
        Access::Other => None,
        a => Some(a),
    }
}

/// Finds N+1 patterns: at least `threshold` (at least 2) sibling database spans with the same
/// normalised statement (or, without one, the same statement as their name) under one parent
/// in one trace. Most widespread first (traces
/// affected, then count).
pub fn detect_n_plus_one(spans: &[Span], threshold: usize) -> Vec<NPlusOne> {
    let threshold = threshold.max(2);
    let mut norm = Normalizer::default();
    let mut found: BTreeMap<(String, String), Occurrences> = BTreeMap::new();
    for t in traces(spans) {
        let mut routes: Option<Vec<String>> = None;
        for (p, kids) in t.children.iter().enumerate() {
            if kids.len() < threshold {
                continue;
            }
            let mut groups: HashMap<String, Group<'_>> = HashMap::new();
            for &c in kids {
                let s = t.spans[c];
                let (key, fp, access) = match norm.of_text(statement_of(s)) {
                    Some((n, a)) => (n.text.clone(), Some(n.fingerprint), *a),
                    None if s.attr_any(SYSTEM_KEYS).is_some() => match name_statement(s) {
                        Some(access) => (s.name.clone(), None, access),
                        None => continue,
                    },
                    None => continue,
                };
                let g = groups.entry(key).or_default();
                g.n += 1;
                g.spans.push(s);
                g.fingerprint = fp;
                g.access = access;
            }
            for (stmt, g) in groups {
                if g.n < threshold {
                    continue;
                }
                let parent = t.spans[p];
                let routes = routes.get_or_insert_with(|| trace_routes(&t));
                let e = found.entry((parent.name.clone(), stmt)).or_default();
                e.count = e.count.max(g.n);
                e.traces.insert(parent.trace_id);
                e.fingerprint = g.fingerprint;
                e.access = g.access;
                e.routes.extend(routes.iter().cloned());
                e.occurrences += 1;
                e.total_ns += g.spans.iter().map(|s| s.duration_ns()).sum::<u64>();
                if let Some(f) = g.spans.iter().find_map(|s| function_of(s)) {
                    *e.functions.entry(f).or_default() += 1;
                }
                if let Some(f) = g.spans.iter().find_map(|s| file_of(s)) {
                    *e.files.entry(f).or_default() += 1;
                }
                // the repeated spans' own scope first, then the parent's (an ORM's span
                // around the driver's)
                let fw = g
                    .spans
                    .iter()
                    .find_map(|s| framework_of(s))
                    .or_else(|| framework_of(parent));
                if let Some(f) = fw {
                    *e.frameworks.entry(f.to_owned()).or_default() += 1;
                }
            }
        }
    }
    let mut out: Vec<NPlusOne> = found
        .into_iter()
        .map(|((parent_name, statement), o)| NPlusOne {
            parent_name,
            statement,
            count: o.count,
            traces_affected: o.traces.len(),
            function: most_frequent(o.functions),
            file: most_frequent(o.files),
            fingerprint: o.fingerprint,
            access: o.access,
            framework: most_frequent(o.frameworks),
            routes: o.routes.into_iter().collect(),
            mean_ms: o.total_ns as f64 / 1e6 / o.occurrences.max(1) as f64,
        })
        .collect();
    out.sort_by(|a, b| {
        b.traces_affected
            .cmp(&a.traces_affected)
            .then(b.count.cmp(&a.count))
    });
    out
}
