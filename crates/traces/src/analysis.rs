//! Where the time goes in a set of traces: self time, critical path and per-phase statistics.
//!
//! Pure functions over [`Span`]s, no I/O.
//!
//! - **Self time** of a span is its duration minus the *union* of its children's intervals,
//!   each clipped to the span. Summing child durations instead would count parallel work twice
//!   and could make self time negative.
//! - **Critical path** follows Jaeger's algorithm (jaeger-ui, `getCriticalPath`, "Critical path
//!   in Jaeger traces", Jaeger 1.50): children are first clipped to their parent (a child
//!   entirely outside its parent is dropped with its subtree); starting at the root's end, the
//!   walk descends into the *last-finishing* child, attributes the gap between that child's end
//!   and the current bound to the parent, and, once a span has no child finishing before the
//!   bound, attributes the rest of the span down to its start and returns to the parent with the
//!   span's start as the new bound. Only the chain that actually delays the root is counted:
//!   of parallel children, the ones finishing earlier are off the path.
//! - The **Amdahl bound** (Amdahl, 1967) on the end-to-end speedup from improving a phase that
//!   takes a fraction `p` of the critical path: `1 / (1 − p)` if the phase vanished, or
//!   `1 / ((1 − p) + p / s)` if it became `s` times faster.
//!
//! Spans are grouped by trace id; within a trace, spans whose parent is absent (root spans and
//! orphans of a partially received trace) each start a tree. A duplicated span id keeps its first
//! occurrence; a span whose parent is itself counts as a root.

use std::collections::{BTreeMap, HashMap};

pub use perfhive_core::trace::{amdahl, amdahl_with, PhaseStat};
use perfhive_core::LatencyHistogram;
use serde::Serialize;

use crate::model::Span;
use crate::semconv::{statement_of, Normalizer};
use perfhive_core::sql::Fingerprint;

/// The phase breakdown of a set of traces.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Breakdown {
    /// Phases, largest critical-path share first.
    pub phases: Vec<PhaseStat>,
    /// Number of distinct traces analysed.
    pub traces: usize,
    /// Total critical-path time over all traces, milliseconds.
    pub total_critical_ms: f64,
}

/// One trace as a forest: spans, children per span and roots.
pub(crate) struct TraceTree<'a> {
    /// The trace's spans (duplicates removed).
    pub spans: Vec<&'a Span>,
    /// Indices of each span's children in `spans`.
    pub children: Vec<Vec<usize>>,
    /// The parent index of each span, if present in the trace.
    pub parent: Vec<Option<usize>>,
    /// Spans without a parent in the trace.
    pub roots: Vec<usize>,
}

/// Groups spans by trace id (in id order) and builds each trace's tree.
pub(crate) fn traces(spans: &[Span]) -> Vec<TraceTree<'_>> {
    let mut by_trace: BTreeMap<[u8; 16], Vec<&Span>> = BTreeMap::new();
    for s in spans {
        by_trace.entry(s.trace_id).or_default().push(s);
    }
    by_trace.into_values().map(TraceTree::build).collect()
}

impl<'a> TraceTree<'a> {
    fn build(all: Vec<&'a Span>) -> Self {
        let mut index: HashMap<[u8; 8], usize> = HashMap::with_capacity(all.len());
        let mut spans = Vec::with_capacity(all.len());
        for s in all {
            if let std::collections::hash_map::Entry::Vacant(e) = index.entry(s.span_id) {
                e.insert(spans.len());
                spans.push(s);
            }
        }
        let mut children = vec![Vec::new(); spans.len()];
        let mut parent = vec![None; spans.len()];
        let mut roots = Vec::new();
        for (i, s) in spans.iter().enumerate() {
            match s
                .parent
                .filter(|p| *p != s.span_id)
                .and_then(|p| index.get(&p))
            {
                Some(&p) => {
                    children[p].push(i);
                    parent[i] = Some(p);
                }
                None => roots.push(i),
            }
        }
        Self {
            spans,
            children,
            parent,
            roots,
        }
    }
}

/// Length of the union of `intervals` clipped to `[lo, hi]`.
pub fn union_len(lo: u64, hi: u64, intervals: impl IntoIterator<Item = (u64, u64)>) -> u64 {
    let mut clipped: Vec<(u64, u64)> = intervals
        .into_iter()
        .map(|(s, e)| (s.max(lo), e.min(hi)))
        .filter(|(s, e)| s < e)
        .collect();
    clipped.sort_unstable();
    let mut total = 0;
    let mut cur: Option<(u64, u64)> = None;
    for (s, e) in clipped {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    total + cur.map_or(0, |(s, e)| e - s)
}

impl TraceTree<'_> {
    /// Self time of span `i`: its duration minus the union of its children, clipped to it.
    pub fn self_time_ns(&self, i: usize) -> u64 {
        let s = self.spans[i];
        let busy = union_len(
            s.start_ns,
            s.end_ns,
            self.children[i]
                .iter()
                .map(|&c| (self.spans[c].start_ns, self.spans[c].end_ns)),
        );
        s.duration_ns().saturating_sub(busy)
    }

    /// The critical path of the tree under `root`, as `(span index, nanoseconds)` sections
    /// (a span may appear several times).
    pub fn critical_path(&self, root: usize) -> Vec<(usize, u64)> {
        // Clip top-down: each child to its (clipped) parent; children entirely outside their
        // parent are dropped with their subtree. `kids` are sorted by clipped end, latest first.
        let n = self.spans.len();
        let mut window: Vec<Option<(u64, u64)>> = vec![None; n];
        let mut kids: Vec<Vec<usize>> = vec![Vec::new(); n];
        let r = self.spans[root];
        window[root] = Some((r.start_ns, r.end_ns.max(r.start_ns)));
        let mut stack = vec![root];
        while let Some(p) = stack.pop() {
            let Some((plo, phi)) = window[p] else {
                continue;
            };
            for &c in &self.children[p] {
                let cs = self.spans[c];
                if cs.start_ns > phi || cs.end_ns < plo || window[c].is_some() {
                    continue;
                }
                let lo = cs.start_ns.max(plo);
                window[c] = Some((lo, cs.end_ns.min(phi).max(lo)));
                kids[p].push(c);
                stack.push(c);
            }
            kids[p].sort_by_key(|&c| std::cmp::Reverse(window[c].map_or(0, |w| w.1)));
        }
        let up = |i: usize| self.parent[i].filter(|_| i != root);

        let mut path = Vec::new();
        let mut cur = root;
        let mut bound: Option<u64> = None;
        // Every step either descends or strictly lowers the bound at a parent; the cap only
        // protects against malformed input.
        for _ in 0..(4 * n + 16) {
            let (lo, hi) = window[cur].unwrap_or((0, 0));
            let end = bound.unwrap_or(hi);
            let next = match bound {
                None => kids[cur].first().copied(),
                Some(b) => kids[cur]
                    .iter()
                    .copied()
                    .find(|&c| window[c].is_some_and(|w| w.1 < b)),
            };
            if let Some(c) = next {
                let cend = window[c].map_or(end, |w| w.1);
                if end > cend {
                    path.push((cur, end - cend));
                }
                cur = c;
                bound = None;
            } else {
                if end > lo {
                    path.push((cur, end - lo));
                }
                match up(cur) {
                    Some(p) => {
                        bound = Some(lo);
                        cur = p;
                    }
                    None => break,
                }
            }
        }
        path
    }
}

#[derive(Default)]
struct Acc {
    count: u64,
    self_ns: u64,
    critical_ns: u64,
    hist: LatencyHistogram,
    functions: BTreeMap<String, u64>,
    files: BTreeMap<String, u64>,
    statement: Option<Fingerprint>,
}

/// The attributes naming the code function a span reports (new and old semantic conventions).
pub const FUNCTION_KEYS: &[&str] = &["code.function.name", "code.function"];

/// The attributes naming the source file a span reports (new and old semantic conventions).
pub const FILE_KEYS: &[&str] = &["code.file.path", "code.filepath"];

/// The source file a span reports.
pub fn file_of(span: &Span) -> Option<String> {
    span.attr_any(FILE_KEYS).map(str::to_owned)
}

/// The function a span reports, qualified with `code.namespace` when that is given separately
/// (old semantic conventions).
pub fn function_of(span: &Span) -> Option<String> {
    let f = span.attr_any(FUNCTION_KEYS)?;
    Some(match span.attributes.get("code.namespace") {
        Some(ns) if !f.contains(ns.as_str()) => format!("{ns}::{f}"),
        _ => f.to_owned(),
    })
}

/// The most frequent entry of a count map.
pub(crate) fn most_frequent(counts: BTreeMap<String, u64>) -> Option<String> {
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(f, _)| f)
}

/// The phase breakdown per span name — database spans with a statement per normalised
/// statement instead (literals and parameters as `?`, so `SELECT … WHERE id = 7` and
/// `… = 8` are one phase, and two statements whose spans are both named `SELECT` are two) —:
/// critical-path share, self time and duration percentiles, sorted by share (then self time,
/// then name).
pub fn breakdown<'a>(spans: &'a [Span]) -> Breakdown {
    let mut norm = Normalizer::default();
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let trees = traces(spans);
    let mut key_of = |s: &'a Span| -> (String, Option<Fingerprint>) {
        match norm.of_text(statement_of(s)) {
            Some((n, _)) => (n.text.clone(), Some(n.fingerprint)),
            None => (s.name.clone(), None),
        }
    };
    let mut total_critical: u64 = 0;
    for t in &trees {
        let keys: Vec<(String, Option<Fingerprint>)> = t.spans.iter().map(|&s| key_of(s)).collect();
        for (i, s) in t.spans.iter().enumerate() {
            let a = acc.entry(keys[i].0.clone()).or_default();
            a.statement = keys[i].1;
            a.count += 1;
            a.self_ns += t.self_time_ns(i);
            a.hist.record_micros(s.duration_ns() / 1000);
            if let Some(f) = function_of(s) {
                *a.functions.entry(f).or_default() += 1;
            }
            if let Some(f) = file_of(s) {
                *a.files.entry(f).or_default() += 1;
            }
        }
        for &root in &t.roots {
            for (i, ns) in t.critical_path(root) {
                acc.entry(keys[i].0.clone()).or_default().critical_ns += ns;
                total_critical += ns;
            }
        }
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    let mut phases: Vec<PhaseStat> = acc
        .into_iter()
        .map(|(name, a)| PhaseStat {
            name,
            statement: a.statement,
            share_pct: if total_critical == 0 {
                0.0
            } else {
                a.critical_ns as f64 * 100.0 / total_critical as f64
            },
            critical_ms: ms(a.critical_ns),
            self_ms: ms(a.self_ns),
            count: a.count,
            p50_ms: a.hist.quantile_ms(0.5).unwrap_or(0.0),
            p95_ms: a.hist.quantile_ms(0.95).unwrap_or(0.0),
            function: most_frequent(a.functions),
            file: most_frequent(a.files),
        })
        .collect();
    phases.sort_by(|a, b| {
        b.share_pct
            .total_cmp(&a.share_pct)
            .then(b.self_ms.total_cmp(&a.self_ms))
            .then_with(|| a.name.cmp(&b.name))
    });
    Breakdown {
        phases,
        traces: trees.len(),
        total_critical_ms: ms(total_critical),
    }
}

#[cfg(test)]
#[path = "analysis_tests.rs"]
mod tests;
