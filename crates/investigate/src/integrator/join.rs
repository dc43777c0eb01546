//! Joining findings of different investigators. A finding confirms another only when both
//! are about the same request (a [`Route`]: same method and normalised template), the same SQL
//! statement (a [`perfhive_core::sql`] fingerprint) or the same code function (a hot profile
//! frame, a trace phase's `code.function.name` and a code-scan match naming the same function
//! — and the same file when both name one) — never through a shared subject alone: two
//! findings about `database` on different routes are two problems, not one confirmed twice.
//! Related subjects (`database` and `storage-io` are evidence of the same cause) share a
//! measured share of time and make two pieces of advice one problem.

use crate::model::{Finding, InvestigatorName};
use crate::report::JoinKey;
use perfhive_core::route::{template_matches, Route};

/// Subjects that are evidence of the same cause.
const RELATED: &[&[&str]] = &[&["database", "storage-io"], &["serialization", "cpu"]];

/// Whether two subjects are the same or evidence of the same cause.
pub(super) fn related(a: &str, b: &str) -> bool {
    a == b || RELATED.iter().any(|g| g.contains(&a) && g.contains(&b))
}

/// A finding from reading code (the code-scan investigator), not from running it.
pub(super) fn is_static(f: &Finding) -> bool {
    f.investigator == InvestigatorName::Code
}

/// A function name reduced to what every source spells the same way: the last path segment
/// (`perfhive_demo::render::render_item_slow` from a profile frame, `app.views.load_items` from
/// a trace attribute), without generics, a closure marker, a Rust symbol hash or an argument
/// list, lower-cased.
pub fn function_key(name: &str) -> String {
    let name = name.trim();
    let name = name.find('(').map_or(name, |i| &name[..i]);
    // drop generic arguments, which may themselves hold paths
    let mut plain = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut parts: Vec<&str> = plain
        .split("::")
        .flat_map(|p| p.split('.'))
        .filter(|p| !p.is_empty() && !p.starts_with('{'))
        .collect();
    // a trailing Rust legacy-mangling hash: h followed by 16 hex digits
    if parts.last().is_some_and(|p| {
        p.len() == 17 && p.starts_with('h') && p[1..].chars().all(|c| c.is_ascii_hexdigit())
    }) {
        parts.pop();
    }
    parts.last().copied().unwrap_or("").to_ascii_lowercase()
}

/// Whether two source paths can name the same file: the shorter one's components are the
/// tail of the longer one's (`app/views.py` and `/srv/app/views.py`; not `a/views.py` and
/// `b/views.py`), after resolving `.` and `..`.
pub fn same_file(a: &str, b: &str) -> bool {
    // lexically normalised; a leading `..` only says the path is relative to somewhere
    let parts = |p: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in p.split(['/', '\\']) {
            match c {
                "" | "." => {}
                ".." if out.last().is_some_and(|l| l != "..") => {
                    out.pop();
                }
                _ => out.push(c.to_owned()),
            }
        }
        out.retain(|c| c != "..");
        out
    };
    let (a, b) = (parts(a), parts(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty() && long.ends_with(&short)
}

/// Whether the files two findings name allow a join: either names none, or some pair agrees.
fn files_agree(a: &Finding, b: &Finding) -> bool {
    a.files.is_empty()
        || b.files.is_empty()
        || a.files
            .iter()
            .any(|x| b.files.iter().any(|y| same_file(x, y)))
}

/// The functions two findings share, by [`function_key`], when their files agree.
pub(super) fn shared_functions(a: &Finding, b: &Finding) -> Vec<String> {
    if !files_agree(a, b) {
        return Vec::new();
    }
    a.functions
        .iter()
        .filter(|f| {
            let k = function_key(f);
            !k.is_empty() && b.functions.iter().any(|g| function_key(g) == k)
        })
        .cloned()
        .collect()
}

/// Whether two routes are one request: the same template (or a concrete path of one side
/// matching the other's template), methods equal or either one any.
pub(super) fn same_route(a: &Route, b: &Route) -> bool {
    let methods = match (&a.method, &b.method) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    };
    a.same_as(b)
        || (methods
            && (template_matches(&a.template, &b.template)
                || template_matches(&b.template, &a.template)))
}

/// The routes two findings share (see [`same_route`]).
fn shared_routes(a: &Finding, b: &Finding) -> Vec<Route> {
    a.routes
        .iter()
        .filter(|r| b.routes.iter().any(|s| same_route(r, s)))
        .cloned()
        .collect()
}

/// Everything that joins two findings: shared routes, statements and functions (see the
/// module docs); empty when they are about different things, whatever their subjects.
pub(super) fn join_keys(a: &Finding, b: &Finding) -> Vec<JoinKey> {
    let mut keys: Vec<JoinKey> = shared_routes(a, b)
        .into_iter()
        .map(JoinKey::Route)
        .collect();
    keys.extend(
        a.statements
            .iter()
            .filter(|s| b.statements.contains(s))
            .map(|s| JoinKey::Statement(*s)),
    );
    keys.extend(
        shared_functions(a, b)
            .iter()
            .map(|f| JoinKey::Function(function_key(f))),
    );
    keys.sort();
    keys.dedup();
    keys
}
