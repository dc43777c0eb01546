//! Routes of Python web frameworks: Flask and FastAPI decorators, Django URLconfs.

use super::{join_path, last_segment, string_value, Cx, Framework, LineRange, RouteEntry};
use crate::lang::Language;
use std::collections::HashMap;
use tree_sitter::Node;

const METHODS: &[&str] = &["get", "post", "put", "delete", "patch", "head", "options"];

/// The keyword arguments of a call by name, and its positional arguments.
fn call_args<'t>(cx: &Cx<'_>, call: Node<'t>) -> (Vec<Node<'t>>, HashMap<String, Node<'t>>) {
    let (mut pos, mut kw) = (Vec::new(), HashMap::new());
    if let Some(a) = call.child_by_field_name("arguments") {
        let mut c = a.walk();
        for ch in a.named_children(&mut c) {
            match ch.kind() {
                "keyword_argument" => {
                    if let (Some(k), Some(v)) = (
                        ch.child_by_field_name("name"),
                        ch.child_by_field_name("value"),
                    ) {
                        kw.insert(cx.text_of(k).to_string(), v);
                    }
                }
                "comment" => {}
                _ => pos.push(ch),
            }
        }
    }
    (pos, kw)
}

/// The string values of a list or tuple of strings (or of one string).
fn strings(cx: &Cx<'_>, n: Node<'_>) -> Vec<String> {
    if let Some(s) = string_value(cx, n) {
        return vec![s];
    }
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter_map(|e| string_value(cx, e))
        .collect()
}

/// `url_prefix`/`prefix` of blueprints and routers assigned to names in the file, with the
/// prefix they are registered under (`register_blueprint`, `include_router`) joined.
fn prefixes(cx: &Cx<'_>, nodes: &[Node<'_>]) -> HashMap<String, String> {
    let mut own: HashMap<String, String> = HashMap::new();
    let mut registered: HashMap<String, String> = HashMap::new();
    // nothing to read when no name below is in the text
    if ![
        "Blueprint",
        "APIRouter",
        "register_blueprint",
        "include_router",
    ]
    .iter()
    .any(|w| cx.text.contains(w))
    {
        return own;
    }
    for &n in nodes {
        match n.kind() {
            "assignment" => {
                let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    continue;
                };
                if l.kind() != "identifier" || r.kind() != "call" {
                    continue;
                }
                let f = r
                    .child_by_field_name("function")
                    .map(|f| cx.text_of(f))
                    .unwrap_or("");
                if matches!(last_segment(f), "Blueprint" | "APIRouter") {
                    let (_, kw) = call_args(cx, r);
                    let p = kw
                        .get("url_prefix")
                        .or_else(|| kw.get("prefix"))
                        .and_then(|v| string_value(cx, *v))
                        .unwrap_or_default();
                    own.insert(cx.text_of(l).to_string(), p);
                }
            }
            "call" => {
                let f = n
                    .child_by_field_name("function")
                    .map(|f| cx.text_of(f))
                    .unwrap_or("");
                if matches!(last_segment(f), "register_blueprint" | "include_router") {
                    let (pos, kw) = call_args(cx, n);
                    let p = kw
                        .get("url_prefix")
                        .or_else(|| kw.get("prefix"))
                        .and_then(|v| string_value(cx, *v));
                    if let (Some(var), Some(p)) = (pos.first(), p) {
                        registered.insert(cx.text_of(*var).to_string(), p);
                    }
                }
            }
            _ => {}
        }
    }
    for (var, p) in registered {
        let o = own.remove(&var).unwrap_or_default();
        own.insert(var, join_path(&p, &o));
    }
    own
}

/// The routes of a Python file whose assignments, calls and decorated definitions are `nodes`
/// (see [`super::route_kinds`]).
pub(super) fn routes(cx: &Cx<'_>, nodes: &[Node<'_>]) -> Vec<RouteEntry> {
    debug_assert_eq!(cx.lang, Language::Python);
    let prefixes = prefixes(cx, nodes);
    let fastapi = cx.text.contains("fastapi");
    let django = cx.text.contains("urlpatterns") || cx.text.contains("django.urls");
    let mut out = Vec::new();
    for &n in nodes {
        match n.kind() {
            "decorated_definition" => decorated(cx, n, &prefixes, fastapi, &mut out),
            "call" => {
                if django {
                    django_route(cx, n, &mut out);
                }
                url_rule(cx, n, &prefixes, fastapi, &mut out);
            }
            _ => {}
        }
    }
    out
}

fn decorated(
    cx: &Cx<'_>,
    n: Node<'_>,
    prefixes: &HashMap<String, String>,
    fastapi: bool,
    out: &mut Vec<RouteEntry>,
) {
    let Some(def) = n.child_by_field_name("definition") else {
        return;
    };
    if def.kind() != "function_definition" {
        return;
    }
    let name = def
        .child_by_field_name("name")
        .map(|x| cx.text_of(x).to_string());
    let mut c = n.walk();
    for d in n.named_children(&mut c).filter(|d| d.kind() == "decorator") {
        let Some(call) = d.named_child(0).filter(|e| e.kind() == "call") else {
            continue;
        };
        let Some(f) = call
            .child_by_field_name("function")
            .filter(|f| f.kind() == "attribute")
        else {
            continue;
        };
        let (Some(obj), Some(attr)) = (
            f.child_by_field_name("object"),
            f.child_by_field_name("attribute"),
        ) else {
            continue;
        };
        let attr = cx.text_of(attr);
        let (pos, kw) = call_args(cx, call);
        let methods: Vec<String> = if METHODS.contains(&attr) {
            vec![attr.to_string()]
        } else if attr == "route" || attr == "api_route" {
            kw.get("methods")
                .map(|m| strings(cx, *m))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| vec!["GET".into()])
        } else {
            continue;
        };
        let path = pos
            .first()
            .copied()
            .or_else(|| kw.get("rule").or_else(|| kw.get("path")).copied())
            .and_then(|p| string_value(cx, p));
        let prefix = prefixes.get(cx.text_of(obj)).map_or("", String::as_str);
        let Some(path) = path.filter(|p| p.starts_with('/') || p.is_empty() && !prefix.is_empty())
        else {
            continue;
        };
        let full = join_path(prefix, &path);
        let fw = if fastapi {
            Framework::Fastapi
        } else {
            Framework::Flask
        };
        for m in &methods {
            out.push(cx.route(
                fw,
                Some(m),
                &full,
                name.clone(),
                Some(LineRange::of(def)),
                d,
            ));
        }
    }
}

/// `path("orders/<int:pk>/", views.order_detail)`, `re_path(r"^x/$", View.as_view())`.
fn django_route(cx: &Cx<'_>, n: Node<'_>, out: &mut Vec<RouteEntry>) {
    let Some(f) = n.child_by_field_name("function") else {
        return;
    };
    let fname = last_segment(cx.text_of(f));
    if !matches!(fname, "path" | "re_path" | "url") {
        return;
    }
    let (pos, kw) = call_args(cx, n);
    let Some(route) = pos.first().and_then(|p| string_value(cx, *p)) else {
        return;
    };
    let Some(view) = pos.get(1).copied().or_else(|| kw.get("view").copied()) else {
        return;
    };
    let handler = match view.kind() {
        "identifier" | "attribute" => Some(last_segment(cx.text_of(view)).to_string()),
        "call" => {
            let vf = view.child_by_field_name("function");
            match vf.filter(|v| v.kind() == "attribute") {
                Some(a)
                    if a.child_by_field_name("attribute").map(|x| cx.text_of(x))
                        == Some("as_view") =>
                {
                    a.child_by_field_name("object")
                        .map(|o| last_segment(cx.text_of(o)).to_string())
                }
                // include("app.urls") and other views built by calls: not a handler here
                _ => return,
            }
        }
        _ => return,
    };
    let path = if fname == "path" {
        join_path("/", &route)
    } else {
        route
    };
    out.push(cx.route(Framework::Django, None, &path, handler, None, n));
}

/// `app.add_url_rule("/x", view_func=f, methods=[…])` (Flask, `View.as_view("name")` too) and
/// `app.add_api_route("/x", f, methods=[…])` (FastAPI).
fn url_rule(
    cx: &Cx<'_>,
    n: Node<'_>,
    prefixes: &HashMap<String, String>,
    fastapi: bool,
    out: &mut Vec<RouteEntry>,
) {
    let Some(f) = n
        .child_by_field_name("function")
        .filter(|f| f.kind() == "attribute")
    else {
        return;
    };
    let attr = f.child_by_field_name("attribute").map(|a| cx.text_of(a));
    let (flask, api) = (attr == Some("add_url_rule"), attr == Some("add_api_route"));
    if !flask && !api {
        return;
    }
    let (pos, kw) = call_args(cx, n);
    let Some(path) = pos
        .first()
        .copied()
        .or_else(|| kw.get("rule").or_else(|| kw.get("path")).copied())
        .and_then(|p| string_value(cx, p))
    else {
        return;
    };
    let view = if flask {
        kw.get("view_func").copied().or_else(|| pos.get(2).copied())
    } else {
        kw.get("endpoint").copied().or_else(|| pos.get(1).copied())
    };
    let handler = view.and_then(|v| match v.kind() {
        "identifier" | "attribute" => Some(last_segment(cx.text_of(v)).to_string()),
        // `OrderView.as_view("orders")`: the class
        "call" => v
            .child_by_field_name("function")
            .filter(|g| g.kind() == "attribute")
            .and_then(|g| g.child_by_field_name("object"))
            .map(|o| last_segment(cx.text_of(o)).to_string()),
        _ => None,
    });
    let methods = kw
        .get("methods")
        .map(|m| strings(cx, *m))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| vec!["GET".into()]);
    let prefix = f
        .child_by_field_name("object")
        .and_then(|o| prefixes.get(cx.text_of(o)))
        .map_or("", String::as_str);
    let full = join_path(prefix, &path);
    let fw = if fastapi || api {
        Framework::Fastapi
    } else {
        Framework::Flask
    };
    for m in &methods {
        out.push(cx.route(fw, Some(m), &full, handler.clone(), None, n));
    }
}
