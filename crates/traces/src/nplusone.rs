//! N+1 query detection from traces: many sibling database spans doing the same thing under one
//! parent in one request.
//!
//! Database spans are recognised by the OpenTelemetry database semantic conventions
//! (<https://opentelemetry.io/docs/specs/semconv/database/database-spans/>): the statement is
//! `db.statement` (or its successor `db.query.text`); a span with `db.system` (or
//! `db.system.name`) but no statement is keyed by its name. Within one trace, a parent with at
//! least `threshold` children sharing a key is an N+1 occurrence; occurrences are aggregated over
//! traces by (parent name, statement).

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use perfhive_core::trace::NPlusOne;

use crate::analysis::{file_of, function_of, most_frequent, traces};
use crate::model::Span;

/// The default number of identical sibling database spans that makes an N+1.
pub const DEFAULT_THRESHOLD: usize = 5;

const STATEMENT_KEYS: &[&str] = &["db.statement", "db.query.text"];
const SYSTEM_KEYS: &[&str] = &["db.system", "db.system.name"];

/// Per (parent name, statement): the largest repetition count under one parent, the traces
/// affected, and the functions and files the repeated spans report.
type Occurrences = (
    usize,
    BTreeSet<[u8; 16]>,
    BTreeMap<String, u64>,
    BTreeMap<String, u64>,
);

/// Finds N+1 patterns: at least `threshold` (at least 2) sibling database spans with the same
/// statement under one parent in one trace. Most widespread first (traces affected, then count).
pub fn detect_n_plus_one(spans: &[Span], threshold: usize) -> Vec<NPlusOne> {
    let threshold = threshold.max(2);
    let mut found: BTreeMap<(String, String), Occurrences> = BTreeMap::new();
    for t in traces(spans) {
        for (p, kids) in t.children.iter().enumerate() {
            if kids.len() < threshold {
                continue;
            }
            let mut groups: HashMap<&str, (usize, Option<String>, Option<String>)> = HashMap::new();
            for &c in kids {
                let s = t.spans[c];
                let key = match s.attr_any(STATEMENT_KEYS) {
                    Some(stmt) => stmt,
                    None if s.attr_any(SYSTEM_KEYS).is_some() => s.name.as_str(),
                    None => continue,
                };
                let g = groups.entry(key).or_default();
                g.0 += 1;
                if g.1.is_none() {
                    g.1 = function_of(s);
                }
                if g.2.is_none() {
                    g.2 = file_of(s);
                }
            }
            for (stmt, (n, function, file)) in groups {
                if n >= threshold {
                    let parent = t.spans[p];
                    let e = found
                        .entry((parent.name.clone(), stmt.to_owned()))
                        .or_default();
                    e.0 = e.0.max(n);
                    e.1.insert(parent.trace_id);
                    if let Some(f) = function {
                        *e.2.entry(f).or_default() += 1;
                    }
                    if let Some(f) = file {
                        *e.3.entry(f).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut out: Vec<NPlusOne> = found
        .into_iter()
        .map(
            |((parent_name, statement), (count, tr, functions, files))| NPlusOne {
                parent_name,
                statement,
                count,
                traces_affected: tr.len(),
                function: most_frequent(functions),
                file: most_frequent(files),
            },
        )
        .collect();
    out.sort_by(|a, b| {
        b.traces_affected
            .cmp(&a.traces_affected)
            .then(b.count.cmp(&a.count))
    });
    out
}
