//! HTTP routes in one spelling, so a route seen by one layer finds the same route seen by
//! another: the template a framework declares (Flask `/orders/<int:id>`, FastAPI and Spring
//! `/orders/{id}`, Express and Fastify `/orders/:id`, Django `orders/<int:pk>/` or
//! `^orders/(?P<pk>\d+)/$`, Go 1.22 `GET /orders/{id}`), the `http.route` attribute of a
//! server span, and the concrete path a load test requested (`/orders/42?limit=5`).
//!
//! A template is normalised to segments where every parameter is `{}`; two templates are the
//! same route when their normalised forms are equal, and a concrete path belongs to a template
//! when its segments match one by one (a `{}` matches any one non-empty segment; a trailing
//! catch-all such as `{path:path}`, `*` or `<path:p>` matches the rest). Methods compare
//! case-insensitively; a route without a method matches any method. No I/O.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A route: an optional method and a normalised path template.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    /// Upper-case method, or `None` for any.
    pub method: Option<String>,
    /// The normalised template: `/orders/{}/items`, `/files/{*}` for a catch-all tail.
    pub template: String,
}

impl Route {
    /// A route from a method (empty or `*` for any) and a template in any framework's syntax.
    pub fn new(method: Option<&str>, template: &str) -> Route {
        let method = method
            .map(str::trim)
            .filter(|m| !m.is_empty() && *m != "*")
            .map(str::to_ascii_uppercase);
        Route {
            method,
            template: normalize_template(template),
        }
    }

    /// Parses `GET /orders/{id}` (a method, a space, a template) or a bare template.
    pub fn parse(text: &str) -> Route {
        let text = text.trim();
        match text.split_once(char::is_whitespace) {
            Some((m, rest))
                if !m.starts_with('/') && m.chars().all(|c| c.is_ascii_alphabetic()) =>
            {
                Route::new(Some(m), rest.trim())
            }
            _ => Route::new(None, text),
        }
    }

    /// Whether a request `method path` (a concrete path, query string allowed) is this route.
    pub fn matches_request(&self, method: &str, path: &str) -> bool {
        self.method_agrees(Some(method)) && template_matches(&self.template, path)
    }

    /// Whether two routes are the same: same template, methods equal or either one any.
    pub fn same_as(&self, other: &Route) -> bool {
        self.template == other.template && self.method_agrees(other.method.as_deref())
    }

    fn method_agrees(&self, method: Option<&str>) -> bool {
        match (&self.method, method) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b.trim()),
            _ => true,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            Some(m) => write!(f, "{m} {}", self.template),
            None => f.write_str(&self.template),
        }
    }
}

/// The normalised form of a path template (see the module documentation).
pub fn normalize_template(template: &str) -> String {
    let t = template.trim();
    // a full URL: keep its path
    let t = match t.find("://") {
        Some(i) => t[i + 3..].find('/').map_or("/", |j| &t[i + 3 + j..]),
        None => t,
    };
    // the query string or fragment, but not the `?` of a regex group such as `(?P<pk>…)`
    let cut = t
        .char_indices()
        .find(|&(i, c)| c == '#' || (c == '?' && !t[..i].ends_with('(')))
        .map_or(t.len(), |(i, _)| i);
    let t = &t[..cut];
    // Django regex routes: anchors and optional trailing slashes
    let t = t.trim_start_matches('^').trim_end_matches('$');
    let t = t.strip_suffix("/?").unwrap_or(t);
    let mut out = String::new();
    // Go 1.22's `{$}` (the path ends here) is no segment
    for seg in split_segments(t).into_iter().filter(|s| *s != "{$}") {
        out.push('/');
        out.push_str(&normalize_segment(seg));
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Splits a template on `/` outside of `<…>`, `{…}`, `(…)` and `[…]`, so a regex group
/// holding a slash stays one segment; empty segments are dropped.
fn split_segments(t: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in t.char_indices() {
        match c {
            '<' | '{' | '(' | '[' => depth += 1,
            '>' | '}' | ')' | ']' => depth = (depth - 1).max(0),
            '/' if depth == 0 => {
                parts.push(&t[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&t[start..]);
    parts.into_iter().filter(|s| !s.is_empty()).collect()
}

/// One segment: a parameter of any syntax becomes `{}`, a catch-all `{*}`.
fn normalize_segment(seg: &str) -> String {
    let catch_all = seg == "*"
        || seg == "**"
        || seg.starts_with("<path:")
        || seg.ends_with(":path}")
        || (seg.starts_with('{') && seg.ends_with("...}"))
        || (seg.starts_with('{') && seg.contains('*'))
        || (seg.starts_with(':') && seg.ends_with('*'))
        || seg.starts_with("[...")
        || seg.starts_with("(?P<path>");
    if catch_all {
        return "{*}".into();
    }
    let param = (seg.starts_with('<') && seg.ends_with('>'))
        || (seg.starts_with('{') && seg.ends_with('}'))
        || (seg.starts_with(':') && seg.len() > 1)
        || (seg.starts_with('[') && seg.ends_with(']'))
        || seg.starts_with("(?P<")
        || (seg.starts_with('(') && seg.ends_with(')'))
        || seg.contains("\\d")
        || seg.contains("[^/]")
        || seg.contains("[0-9");
    if param {
        // Express's optional or constrained parameters (`:id?`, `:id(\d+)`) included
        return "{}".into();
    }
    seg.to_string()
}

/// Whether a concrete request path belongs to a normalised template.
pub fn template_matches(template: &str, path: &str) -> bool {
    let concrete = normalize_template(path);
    let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = concrete.split('/').filter(|s| !s.is_empty()).collect();
    for (i, seg) in t.iter().enumerate() {
        if *seg == "{*}" {
            return p.len() > i;
        }
        match p.get(i) {
            Some(have) if *seg == "{}" || seg == have => {}
            _ => return false,
        }
    }
    t.len() == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_framework_spells_one_route_the_same() {
        let want = "/orders/{}/items";
        for t in [
            "/orders/<int:order_id>/items", // Flask, Django path()
            "/orders/<order_id>/items",     // Flask default converter
            "/orders/{order_id}/items",     // FastAPI, Spring, Go 1.22
            "/orders/{id:[0-9]+}/items",    // gorilla/mux
            "/orders/:orderId/items",       // Express, Fastify
            "/orders/:id(\\d+)/items",      // Express with a constraint
            "^orders/(?P<pk>\\d+)/items/$", // Django re_path
            "orders/<int:pk>/items/",       // Django path() without the leading slash
            "/orders/[id]/items",           // Next.js
            "http://127.0.0.1:8080/orders/{id}/items",
        ] {
            assert_eq!(normalize_template(t), want, "{t}");
        }
        assert_eq!(normalize_template("/"), "/");
        assert_eq!(normalize_template(""), "/");
        assert_eq!(normalize_template("/files/<path:p>"), "/files/{*}");
        assert_eq!(normalize_template("/static/*"), "/static/{*}");
        // Go 1.22 patterns: a wildcard tail, the end anchor
        assert_eq!(normalize_template("/files/{path...}"), "/files/{*}");
        assert_eq!(normalize_template("/upload/{$}"), "/upload");
        assert_eq!(normalize_template("/{$}"), "/");
    }

    #[test]
    fn concrete_paths_find_their_template() {
        let r = Route::parse("GET /customers/<int:id>/orders");
        assert_eq!(r.to_string(), "GET /customers/{}/orders");
        assert!(r.matches_request("get", "/customers/42/orders?limit=5"));
        assert!(r.matches_request("GET", "/customers/42/orders/"));
        assert!(!r.matches_request("POST", "/customers/42/orders"));
        assert!(!r.matches_request("GET", "/customers/42"));
        assert!(!r.matches_request("GET", "/customers/42/orders/7"));
        assert!(!r.matches_request("GET", "/suppliers/42/orders"));
        let any = Route::parse("/files/{rest:path}");
        assert!(any.matches_request("DELETE", "/files/a/b/c.txt"));
        assert!(!any.matches_request("GET", "/files"));
    }

    #[test]
    fn routes_compare_by_template_and_method() {
        let flask = Route::new(Some("GET"), "/orders/<int:id>");
        let span = Route::parse("/orders/{id}"); // http.route without a method
        let express = Route::new(Some("get"), "/orders/:id");
        assert!(flask.same_as(&span) && span.same_as(&flask));
        assert!(flask.same_as(&express));
        assert!(!flask.same_as(&Route::new(Some("POST"), "/orders/:id")));
        assert!(!flask.same_as(&Route::parse("GET /orders")));
        // a literal segment that happens to look like a word is not a parameter
        assert_eq!(normalize_template("/api/v1/health"), "/api/v1/health");
    }
}
