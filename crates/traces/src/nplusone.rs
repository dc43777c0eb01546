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

use serde::Serialize;

use crate::analysis::traces;
use crate::model::Span;

/// The default number of identical sibling database spans that makes an N+1.
pub const DEFAULT_THRESHOLD: usize = 5;

const STATEMENT_KEYS: &[&str] = &["db.statement", "db.query.text"];
const SYSTEM_KEYS: &[&str] = &["db.system", "db.system.name"];

/// One N+1 pattern, aggregated over traces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NPlusOne {
    /// Name of the parent span issuing the repeated statement.
    pub parent_name: String,
    /// The repeated statement (or the span name for database spans without one).
    pub statement: String,
    /// The largest number of repetitions under one parent span.
    pub count: usize,
    /// Number of distinct traces in which it occurred.
    pub traces_affected: usize,
}

/// (largest count under one parent, traces affected) of one (parent name, statement).
type Occurrences = (usize, BTreeSet<[u8; 16]>);

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
            let mut groups: HashMap<&str, usize> = HashMap::new();
            for &c in kids {
                let s = t.spans[c];
                let key = match s.attr_any(STATEMENT_KEYS) {
                    Some(stmt) => stmt,
                    None if s.attr_any(SYSTEM_KEYS).is_some() => s.name.as_str(),
                    None => continue,
                };
                *groups.entry(key).or_default() += 1;
            }
            for (stmt, n) in groups {
                if n >= threshold {
                    let parent = t.spans[p];
                    let e = found
                        .entry((parent.name.clone(), stmt.to_owned()))
                        .or_default();
                    e.0 = e.0.max(n);
                    e.1.insert(parent.trace_id);
                }
            }
        }
    }
    let mut out: Vec<NPlusOne> = found
        .into_iter()
        .map(|((parent_name, statement), (count, tr))| NPlusOne {
            parent_name,
            statement,
            count,
            traces_affected: tr.len(),
        })
        .collect();
    out.sort_by(|a, b| {
        b.traces_affected
            .cmp(&a.traces_affected)
            .then(b.count.cmp(&a.count))
    });
    out
}
