//! Database time per normalised statement, the routes of each trace, and the parent's self
//! time that lies between two spans of one statement (rows read and objects built outside
//! the database span: a cursor's fetches, an ORM's materialisation).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use perfhive_core::sql::Fingerprint;
use perfhive_core::trace::{Access, StatementStat};
use perfhive_core::LatencyHistogram;

use crate::analysis::{union_len, Breakdown, TraceTree};
use crate::model::Span;
use crate::semconv::{route_of, statement_of, Normalizer, SYSTEM_KEYS};

/// The routes of a trace's SERVER spans that report `http.route`, earliest first, in the
/// one spelling of [`perfhive_core::route`].
pub(crate) fn trace_routes(t: &TraceTree<'_>) -> Vec<String> {
    let mut servers: Vec<(u64, String)> = t
        .spans
        .iter()
        .filter_map(|s| Some((s.start_ns, route_of(s)?.to_string())))
        .collect();
    servers.sort();
    let mut seen = BTreeSet::new();
    servers
        .into_iter()
        .filter(|(_, r)| seen.insert(r.clone()))
        .map(|(_, r)| r)
        .collect()
}

#[derive(Default)]
struct Acc {
    statement: String,
    example: String,
    access: Access,
    system: Option<String>,
    total_ns: u64,
    between_ns: u64,
    hist: LatencyHistogram,
    parents: BTreeMap<String, u64>,
    routes: BTreeSet<String>,
}

/// Database time per normalised statement, the critical-path figures taken from the
/// `breakdown` (whose database phases are keyed by normalised statement), largest share first.
pub fn statements<'a>(spans: &'a [Span], breakdown: &Breakdown) -> Vec<StatementStat> {
    let mut norm: Normalizer<'a> = Normalizer::default();
    let mut acc: HashMap<Fingerprint, Acc> = HashMap::new();
    for t in crate::analysis::traces(spans) {
        let routes = trace_routes(&t);
        let fp: Vec<Option<Fingerprint>> = t
            .spans
            .iter()
            .map(|s| norm.of_text(statement_of(s)).map(|(n, _)| n.fingerprint))
            .collect();
        for (i, s) in t.spans.iter().enumerate() {
            let Some(text) = statement_of(s) else {
                continue;
            };
            let (n, access) = norm.get(text);
            let a = acc.entry(n.fingerprint).or_default();
            if a.statement.is_empty() {
                a.statement = n.text.clone();
                a.example = text.to_owned();
                a.access = *access;
            }
            if a.system.is_none() {
                a.system = s.attr_any(SYSTEM_KEYS).map(str::to_owned);
            }
            a.total_ns += s.duration_ns();
            a.hist.record_micros(s.duration_ns() / 1000);
            if let Some(p) = t.parent[i] {
                *a.parents.entry(t.spans[p].name.clone()).or_default() += 1;
            }
            a.routes.extend(routes.iter().cloned());
        }
        // the parent's self time between two consecutive children running one statement
        for (p, kids) in t.children.iter().enumerate() {
            let mut kids = kids.clone();
            kids.sort_by_key(|&c| (t.spans[c].start_ns, t.spans[c].end_ns));
            for w in kids.windows(2) {
                let (a, b) = (w[0], w[1]);
                let (Some(fa), Some(fb)) = (fp[a], fp[b]) else {
                    continue;
                };
                let (lo, hi) = (t.spans[a].end_ns, t.spans[b].start_ns);
                if fa != fb || hi <= lo {
                    continue;
                }
                let (plo, phi) = (t.spans[p].start_ns, t.spans[p].end_ns);
                let (lo, hi) = (lo.max(plo), hi.min(phi));
                if hi <= lo {
                    continue;
                }
                let busy = union_len(
                    lo,
                    hi,
                    t.children[p]
                        .iter()
                        .map(|&c| (t.spans[c].start_ns, t.spans[c].end_ns)),
                );
                if let Some(e) = acc.get_mut(&fa) {
                    e.between_ns += (hi - lo).saturating_sub(busy);
                }
            }
        }
    }
    let ms = |ns: u64| ns as f64 / 1e6;
    let mut out: Vec<StatementStat> = acc
        .into_iter()
        .map(|(fingerprint, a)| {
            let phase = breakdown
                .phases
                .iter()
                .find(|p| p.statement == Some(fingerprint));
            let mut parents: Vec<(String, u64)> = a.parents.into_iter().collect();
            parents.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            StatementStat {
                fingerprint,
                statement: a.statement,
                example: a.example,
                system: a.system,
                access: a.access,
                count: a.hist.len(),
                total_ms: ms(a.total_ns),
                critical_ms: phase.map_or(0.0, |p| p.critical_ms),
                share_pct: phase.map_or(0.0, |p| p.share_pct),
                p50_ms: a.hist.quantile_ms(0.5).unwrap_or(0.0),
                p95_ms: a.hist.quantile_ms(0.95).unwrap_or(0.0),
                between_ms: ms(a.between_ns),
                parents: parents.into_iter().map(|(n, _)| n).collect(),
                routes: a.routes.into_iter().collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.share_pct
            .total_cmp(&a.share_pct)
            .then(b.total_ms.total_cmp(&a.total_ms))
            .then_with(|| a.statement.cmp(&b.statement))
    });
    out
}
