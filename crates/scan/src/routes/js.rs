//! Routes of JavaScript and TypeScript servers: Express (and express-like routers) and Fastify.

use super::{
    arguments, join_path, last_segment, string_value, Cx, Framework, LineRange, RouteEntry,
};
use crate::lang::function_name;
use std::collections::HashMap;
use tree_sitter::Node;

const METHODS: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "all",
];

/// HTTP clients, whose `get('/x', …)` is a request made, not a route served.
const CLIENTS: &[&str] = &[
    "axios",
    "http",
    "https",
    "request",
    "superagent",
    "got",
    "ky",
    "$",
    "jQuery",
    "fetch",
    "client",
    "cy",
];

/// The object and property of a method call `obj.prop(…)`.
fn member<'t>(cx: &Cx<'_>, call: Node<'t>) -> Option<(Node<'t>, String)> {
    let f = call
        .child_by_field_name("function")
        .filter(|f| f.kind() == "member_expression")?;
    let obj = f.child_by_field_name("object")?;
    let prop = f.child_by_field_name("property")?;
    Some((obj, cx.text_of(prop).to_string()))
}

/// A handler: its name and, for an inline function, its lines.
type Handler = (Option<String>, Option<LineRange>);

/// The handler an argument stands for: an inline function, a name, `controller.method`, a
/// wrapper call around one (`asyncHandler(async (req, res) => …)`), or an options object's
/// `handler`.
fn handler(cx: &Cx<'_>, n: Node<'_>) -> Option<Handler> {
    match n.kind() {
        "arrow_function" | "function_expression" | "function" | "generator_function" => {
            Some((function_name(n, cx.src), Some(LineRange::of(n))))
        }
        "identifier" => Some((Some(cx.text_of(n).to_string()), None)),
        "member_expression" => n
            .child_by_field_name("property")
            .map(|p| (Some(cx.text_of(p).to_string()), None)),
        "call_expression" => arguments(n).last().and_then(|a| handler(cx, *a)),
        "object" => {
            let mut c = n.walk();
            let found = n.named_children(&mut c).find_map(|p| match p.kind() {
                "pair"
                    if p.child_by_field_name("key").map(|k| cx.text_of(k)) == Some("handler") =>
                {
                    p.child_by_field_name("value")
                }
                "shorthand_property_identifier" if cx.text_of(p) == "handler" => Some(p),
                "method_definition"
                    if p.child_by_field_name("name").map(|k| cx.text_of(k)) == Some("handler") =>
                {
                    Some(p)
                }
                _ => None,
            })?;
            match found.kind() {
                "shorthand_property_identifier" => Some((Some("handler".into()), None)),
                "method_definition" => Some((Some("handler".into()), Some(LineRange::of(found)))),
                _ => handler(cx, found),
            }
        }
        _ => None,
    }
}

/// Prefixes routers are mounted under in the file: `app.use('/api', router)`.
fn prefixes(cx: &Cx<'_>, nodes: &[Node<'_>]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for &n in nodes {
        if n.kind() == "call_expression" && member(cx, n).is_some_and(|(_, p)| p == "use") {
            let a = arguments(n);
            if let (Some(p), Some(r)) = (a.first().and_then(|p| string_value(cx, *p)), a.get(1)) {
                if r.kind() == "identifier" {
                    out.insert(cx.text_of(*r).to_string(), p);
                }
            }
        }
    }
    out
}

/// The routes of a JavaScript or TypeScript file whose calls and classes are `nodes` (see
/// [`super::route_kinds`]).
pub(super) fn routes(cx: &Cx<'_>, nodes: &[Node<'_>]) -> Vec<RouteEntry> {
    let prefixes = prefixes(cx, nodes);
    let fastify_file = cx.text.contains("fastify");
    let mut out = Vec::new();
    for &n in nodes {
        match n.kind() {
            "call_expression" => call(cx, n, &prefixes, fastify_file, &mut out),
            "class_declaration" | "class" => nest_controller(cx, n, &mut out),
            _ => {}
        }
    }
    out
}

/// A decorator's name and its first argument's string value (`@Get(':id')`).
fn decorator(cx: &Cx<'_>, d: Node<'_>) -> Option<(String, Option<String>)> {
    let e = d.named_child(0)?;
    match e.kind() {
        "call_expression" => {
            let f = e.child_by_field_name("function")?;
            let arg = arguments(e).first().and_then(|a| string_value(cx, *a));
            Some((last_segment(cx.text_of(f)).to_string(), arg))
        }
        _ => Some((last_segment(cx.text_of(e)).to_string(), None)),
    }
}

/// A NestJS controller: `@Controller('orders')` on the class, `@Get(':id')` on its methods.
fn nest_controller(cx: &Cx<'_>, class: Node<'_>, out: &mut Vec<RouteEntry>) {
    let decorators_of = |n: Node<'_>| -> Vec<(String, Option<String>)> {
        let mut c = n.walk();
        n.children(&mut c)
            .filter(|d| d.kind() == "decorator")
            .filter_map(|d| decorator(cx, d))
            .collect()
    };
    let mut own = decorators_of(class);
    if let Some(p) = class.parent().filter(|p| p.kind() == "export_statement") {
        own.extend(decorators_of(p));
    }
    let Some(prefix) = own
        .into_iter()
        .find(|(name, _)| name == "Controller")
        .map(|(_, p)| p.unwrap_or_default())
    else {
        return;
    };
    let prefix = join_path("/", &prefix);
    let Some(body) = class.child_by_field_name("body") else {
        return;
    };
    let mut pending: Vec<(String, Option<String>, Node<'_>)> = Vec::new();
    let mut c = body.walk();
    for n in body.named_children(&mut c) {
        match n.kind() {
            "decorator" => {
                if let Some((name, arg)) = decorator(cx, n) {
                    pending.push((name, arg, n));
                }
            }
            "method_definition" => {
                // decorators are the method's children in JavaScript, its siblings in TypeScript
                let mut inner: Vec<(String, Option<String>, Node<'_>)> = {
                    let mut c = n.walk();
                    n.children(&mut c)
                        .filter(|d| d.kind() == "decorator")
                        .filter_map(|d| decorator(cx, d).map(|(a, b)| (a, b, d)))
                        .collect()
                };
                inner.append(&mut pending);
                let name = function_name(n, cx.src);
                for (dec, arg, at) in inner {
                    let method = dec.to_ascii_lowercase();
                    if !METHODS.contains(&method.as_str()) {
                        continue;
                    }
                    let path = join_path(&prefix, arg.as_deref().unwrap_or(""));
                    out.push(cx.route(
                        Framework::Nest,
                        Some(&method),
                        &path,
                        name.clone(),
                        Some(LineRange::of(n)),
                        at,
                    ));
                }
            }
            _ => pending.clear(),
        }
    }
}

fn call(
    cx: &Cx<'_>,
    n: Node<'_>,
    prefixes: &HashMap<String, String>,
    fastify_file: bool,
    out: &mut Vec<RouteEntry>,
) {
    let Some((obj, prop)) = member(cx, n) else {
        return;
    };
    let obj_text = cx.text_of(obj);
    if CLIENTS.contains(&last_segment(obj_text)) {
        return;
    }
    let framework = if obj_text.contains("fastify") || fastify_file {
        Framework::Fastify
    } else {
        Framework::Express
    };
    let args = arguments(n);
    if prop == "route" && args.len() == 1 && args[0].kind() == "object" {
        return fastify_route(cx, n, args[0], out);
    }
    if !METHODS.contains(&prop.as_str()) {
        return;
    }
    let prefix = prefixes.get(obj_text).map_or("", String::as_str);
    let path = args
        .first()
        .and_then(|a| string_value(cx, *a))
        .filter(|p| p.starts_with('/') || p == "*");
    let (path, handler_args) = match path {
        Some(p) if args.len() >= 2 => (join_path(prefix, &p), &args[1..]),
        Some(_) => return,
        // `app.route('/x').get(h).post(h)`
        None => match chained_route(cx, obj) {
            Some(p) if !args.is_empty() => (p, &args[..]),
            _ => return,
        },
    };
    let Some((name, lines)) = handler_args.last().and_then(|h| handler(cx, *h)) else {
        return;
    };
    out.push(cx.route(framework, Some(&prop), &path, name, lines, n));
}

/// The path of `app.route('/x')` under a chain of `.get(…)`/`.post(…)` calls.
fn chained_route(cx: &Cx<'_>, mut o: Node<'_>) -> Option<String> {
    while o.kind() == "call_expression" {
        let (inner, prop) = member(cx, o)?;
        if prop == "route" {
            return arguments(o)
                .first()
                .and_then(|a| string_value(cx, *a))
                .filter(|p| p.starts_with('/'));
        }
        if !METHODS.contains(&prop.as_str()) {
            return None;
        }
        o = inner;
    }
    None
}

/// `fastify.route({ method: 'GET', url: '/x', handler })`.
fn fastify_route(cx: &Cx<'_>, call: Node<'_>, opts: Node<'_>, out: &mut Vec<RouteEntry>) {
    let (mut methods, mut url) = (Vec::new(), None);
    let mut c = opts.walk();
    for p in opts.named_children(&mut c).filter(|p| p.kind() == "pair") {
        let (Some(k), Some(v)) = (p.child_by_field_name("key"), p.child_by_field_name("value"))
        else {
            continue;
        };
        match cx.text_of(k).trim_matches(['"', '\'']) {
            "method" => {
                methods = match string_value(cx, v) {
                    Some(m) => vec![m],
                    None => {
                        let mut c = v.walk();
                        v.named_children(&mut c)
                            .filter_map(|e| string_value(cx, e))
                            .collect()
                    }
                }
            }
            "url" | "path" => url = string_value(cx, v),
            _ => {}
        }
    }
    let (Some(url), Some((name, lines))) = (url, handler(cx, opts)) else {
        return;
    };
    if methods.is_empty() {
        methods.push(String::new());
    }
    for m in &methods {
        out.push(cx.route(Framework::Fastify, Some(m), &url, name.clone(), lines, call));
    }
}
