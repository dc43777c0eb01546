//! Routes of Spring controllers (Java) and Go servers (net/http, chi, gin, echo, gorilla/mux).

use super::{
    arguments, join_path, last_segment, string_value, Cx, Framework, LineRange, RouteEntry,
};
use crate::lang::function_name;
use tree_sitter::Node;

/// The annotations of a declaration (its `modifiers` child).
fn annotations(n: Node<'_>) -> Vec<Node<'_>> {
    let mut c = n.walk();
    let Some(m) = n.children(&mut c).find(|c| c.kind() == "modifiers") else {
        return Vec::new();
    };
    let mut c = m.walk();
    m.named_children(&mut c)
        .filter(|a| matches!(a.kind(), "annotation" | "marker_annotation"))
        .collect()
}

/// A Spring mapping annotation: its name and its elements (`value`/`path` and `method`).
struct Mapping {
    name: String,
    paths: Vec<String>,
    methods: Vec<String>,
}

fn values(cx: &Cx<'_>, v: Node<'_>) -> Vec<String> {
    if v.kind() == "element_value_array_initializer" {
        let mut c = v.walk();
        return v
            .named_children(&mut c)
            .flat_map(|e| values(cx, e))
            .collect();
    }
    match string_value(cx, v) {
        Some(s) => vec![s],
        // `RequestMethod.GET`, `GET` (static import)
        None => vec![last_segment(cx.text_of(v)).to_string()],
    }
}

fn mapping(cx: &Cx<'_>, a: Node<'_>) -> Option<Mapping> {
    let name = last_segment(cx.text_of(a.child_by_field_name("name")?)).to_string();
    if !name.ends_with("Mapping") {
        return None;
    }
    let mut m = Mapping {
        name,
        paths: Vec::new(),
        methods: Vec::new(),
    };
    if let Some(args) = a.child_by_field_name("arguments") {
        let mut c = args.walk();
        for e in args.named_children(&mut c) {
            if e.kind() == "element_value_pair" {
                let (Some(k), Some(v)) =
                    (e.child_by_field_name("key"), e.child_by_field_name("value"))
                else {
                    continue;
                };
                match cx.text_of(k) {
                    "value" | "path" => m.paths.extend(values(cx, v)),
                    "method" => m.methods.extend(values(cx, v)),
                    _ => {}
                }
            } else if e.kind() != "comment" {
                m.paths.extend(values(cx, e));
            }
        }
    }
    Some(m)
}

/// The routes of a Java file: methods mapped by Spring annotations under their class's
/// `@RequestMapping`.
pub(super) fn spring_routes(cx: &Cx<'_>, nodes: &[Node<'_>]) -> Vec<RouteEntry> {
    let mut out = Vec::new();
    for &n in nodes {
        if n.kind() == "class_declaration" {
            class(cx, n, &mut out);
        }
    }
    out
}

fn class(cx: &Cx<'_>, n: Node<'_>, out: &mut Vec<RouteEntry>) {
    let prefixes: Vec<String> = annotations(n)
        .into_iter()
        .filter_map(|a| mapping(cx, a))
        .filter(|m| m.name == "RequestMapping")
        .flat_map(|m| m.paths)
        .collect();
    let prefixes = if prefixes.is_empty() {
        vec![String::new()]
    } else {
        prefixes
    };
    let Some(body) = n.child_by_field_name("body") else {
        return;
    };
    let mut c = body.walk();
    for meth in body
        .named_children(&mut c)
        .filter(|m| m.kind() == "method_declaration")
    {
        let name = function_name(meth, cx.src);
        for a in annotations(meth) {
            let Some(m) = mapping(cx, a) else {
                continue;
            };
            let methods = match m.name.strip_suffix("Mapping") {
                Some("Request") => m.methods.clone(),
                Some(v @ ("Get" | "Post" | "Put" | "Delete" | "Patch")) => vec![v.to_string()],
                _ => continue,
            };
            let methods = if methods.is_empty() {
                vec![String::new()]
            } else {
                methods
            };
            let paths = if m.paths.is_empty() {
                vec![String::new()]
            } else {
                m.paths.clone()
            };
            for prefix in &prefixes {
                for p in &paths {
                    let full = join_path(prefix, p);
                    let full = if full.is_empty() { "/".into() } else { full };
                    for method in &methods {
                        out.push(cx.route(
                            Framework::Spring,
                            Some(method),
                            &full,
                            name.clone(),
                            Some(LineRange::of(meth)),
                            a,
                        ));
                    }
                }
            }
        }
    }
}

const GO_METHODS: &[&str] = &[
    "Get", "Post", "Put", "Delete", "Patch", "Head", "Options", "GET", "POST", "PUT", "DELETE",
    "PATCH", "HEAD", "OPTIONS",
];

/// The handler a Go argument stands for: a function literal, a name, `s.method`, or the
/// last argument of a wrapping call (`http.HandlerFunc(h)`, `mw(h)`).
fn go_handler(cx: &Cx<'_>, n: Node<'_>) -> Option<(Option<String>, Option<LineRange>)> {
    match n.kind() {
        "func_literal" => Some((None, Some(LineRange::of(n)))),
        "identifier" => Some((Some(cx.text_of(n).to_string()), None)),
        "selector_expression" => n
            .child_by_field_name("field")
            .map(|f| (Some(cx.text_of(f).to_string()), None)),
        "call_expression" => arguments(n).last().and_then(|a| go_handler(cx, *a)),
        _ => None,
    }
}

/// Splits a Go 1.22 pattern `[METHOD ][HOST]/PATH` into its method and path.
fn go_pattern(p: &str) -> Option<(Option<&str>, &str)> {
    let (method, rest) = match p.split_once(' ') {
        Some((m, r)) if m.chars().all(|c| c.is_ascii_uppercase()) => (Some(m), r.trim_start()),
        _ => (None, p),
    };
    let path = &rest[rest.find('/')?..];
    Some((method, path))
}

/// The routes of a Go file.
pub(super) fn go_routes(cx: &Cx<'_>, nodes: &[Node<'_>]) -> Vec<RouteEntry> {
    let mut out = Vec::new();
    for &n in nodes {
        if n.kind() != "call_expression" {
            continue;
        }
        let Some(f) = n
            .child_by_field_name("function")
            .filter(|f| f.kind() == "selector_expression")
        else {
            continue;
        };
        let field = f
            .child_by_field_name("field")
            .map(|x| cx.text_of(x))
            .unwrap_or("");
        let args = arguments(n);
        let (Some(pattern), Some(h)) = (
            args.first().and_then(|a| string_value(cx, *a)),
            args.last().filter(|_| args.len() >= 2),
        ) else {
            continue;
        };
        let Some((name, lines)) = go_handler(cx, *h) else {
            continue;
        };
        if matches!(field, "HandleFunc" | "Handle") {
            let Some((method, path)) = go_pattern(&pattern) else {
                continue;
            };
            // gorilla/mux: `r.HandleFunc("/x", h).Methods("GET", "HEAD")`
            let (fw, methods) = match gorilla_methods(cx, n) {
                Some(ms) => (Framework::GoRouter, ms),
                None => (Framework::GoNetHttp, vec![method.unwrap_or("").to_string()]),
            };
            for m in &methods {
                out.push(cx.route(fw, Some(m), path, name.clone(), lines, n));
            }
        } else if GO_METHODS.contains(&field) && pattern.starts_with('/') {
            out.push(cx.route(Framework::GoRouter, Some(field), &pattern, name, lines, n));
        }
    }
    out
}

/// The methods of `….HandleFunc(…).Methods("GET")`, when the call is so chained.
fn gorilla_methods(cx: &Cx<'_>, call: Node<'_>) -> Option<Vec<String>> {
    let sel = call
        .parent()
        .filter(|p| p.kind() == "selector_expression")?;
    if sel.child_by_field_name("field").map(|f| cx.text_of(f)) != Some("Methods") {
        return None;
    }
    let outer = sel.parent().filter(|p| p.kind() == "call_expression")?;
    let ms: Vec<String> = arguments(outer)
        .into_iter()
        .filter_map(|a| string_value(cx, a))
        .collect();
    (!ms.is_empty()).then_some(ms)
}
