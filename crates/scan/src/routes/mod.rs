//! The route table of a code base and the SQL strings in its code, read from the syntax trees
//! the scanner parses, so that a finding of the scan can be joined to what runs at request
//! time: a trace's `http.route` names a route, the route table names its handler, and a
//! finding inside that handler is about that route; a trace's `db.statement` has a
//! fingerprint, and a SQL string with the same fingerprint names the function that sends it.
//!
//! Routes are read from the declarations frameworks document: Flask and FastAPI decorators
//! (`@app.route`, `@bp.get`, `@router.post`, with `Blueprint(url_prefix=…)` and
//! `APIRouter(prefix=…)` of the same file), Django URLconfs (`path`, `re_path`, `url`, class
//! views by `as_view()`), Express and Fastify calls (`app.get(path, …handlers)`,
//! `app.route(path).get(…)`, `fastify.route({method, url, handler})`, `app.use(prefix,
//! router)` of the same file), NestJS controllers (`@Controller` / `@Get`), Spring's
//! `@GetMapping`…`@RequestMapping` with the class's prefix, and Go's `HandleFunc`/`Handle` (Go 1.22 `METHOD /path/{id}` patterns) and the
//! `Get`/`GET`-style methods of chi, gin and echo. Every template is normalised by
//! [`perfhive_core::route`], so it compares equal to the trace's.
//!
//! SQL strings are string literals whose text is a DML statement (see [`sql`]); each is
//! fingerprinted by [`perfhive_core::sql`] as the driver's statement is.

mod go_java;
mod js;
mod python;
pub(crate) mod sql;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod wanted_tests;

use crate::finding::Finding;
use crate::lang::{function_name, Language};
use perfhive_core::route::{normalize_template, Route};
use perfhive_core::sql::Fingerprint;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::{Node, Tree};

/// The framework whose declaration a route was read from.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    /// Flask (`@app.route`, `@bp.get`).
    Flask,
    /// FastAPI (`@app.get`, `@router.post`).
    Fastapi,
    /// Django URLconf (`path`, `re_path`, `url`).
    Django,
    /// Express (or an express-like router: koa-router).
    Express,
    /// Fastify.
    Fastify,
    /// NestJS controllers (`@Controller`, `@Get` …).
    Nest,
    /// Spring MVC / WebFlux annotations.
    Spring,
    /// Go's net/http `ServeMux` (`HandleFunc`, `Handle`).
    GoNetHttp,
    /// A Go router with per-method registration (chi, gin, echo, gorilla/mux `.Methods`).
    GoRouter,
}

/// A 1-based, inclusive range of lines.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct LineRange {
    /// First line.
    pub start: u32,
    /// Last line.
    pub end: u32,
}

impl LineRange {
    fn of(n: Node<'_>) -> LineRange {
        LineRange {
            start: n.start_position().row as u32 + 1,
            end: n.end_position().row as u32 + 1,
        }
    }

    /// Whether `line` is in the range.
    pub fn contains(&self, line: u32) -> bool {
        (self.start..=self.end).contains(&line)
    }
}

/// One route a code base declares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteEntry {
    /// The upper-case HTTP method; absent when the route takes any method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path as declared, with the prefixes of its blueprint, router or class joined.
    pub path: String,
    /// The normalised template (`/orders/{}`), as a trace's `http.route` normalises.
    pub template: String,
    /// The handler: a function or method name, or the class of a class-based view; absent
    /// for an anonymous inline handler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// The framework.
    pub framework: Framework,
    /// The file that declares the route.
    pub file: String,
    /// 1-based line of the declaration.
    pub line: u32,
    /// The handler's lines, when it is defined in the same file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler_lines: Option<LineRange>,
}

impl RouteEntry {
    /// The route as the integrator compares routes.
    pub fn route(&self) -> Route {
        Route::new(self.method.as_deref(), &self.template)
    }
}

/// A string literal in the code that is a SQL statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SqlString {
    /// The file.
    pub file: String,
    /// 1-based line of the literal.
    pub line: u32,
    /// 1-based column of the literal, in Unicode code points.
    pub column: u32,
    /// The nearest enclosing named function, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The lines of the innermost enclosing function (an inline handler's too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_lines: Option<LineRange>,
    /// The normalised statement.
    pub text: String,
    /// Its fingerprint: equal to the fingerprint of the statement the driver sends.
    pub fingerprint: Fingerprint,
}

/// What one file declares.
#[derive(Default, Debug)]
pub(crate) struct Extracted {
    pub(crate) routes: Vec<RouteEntry>,
    pub(crate) sql: Vec<SqlString>,
}

/// What a file may hold, by a look at its text before any tree is walked: routes (a route
/// decorator, a router call whose literal path starts with `/`, a fastify route object, a
/// Django URL table, `add_url_rule`) and SQL strings (a quote followed
/// by a statement's first word, and later by the clause that word needs). Each is a superset of what the extractors find, so a file
/// that fails both is neither parsed for them nor walked again.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Wanted {
    pub(crate) routes: bool,
    pub(crate) sql: bool,
}

impl Wanted {
    /// Whether anything is to be extracted.
    pub(crate) fn any(self) -> bool {
        self.routes || self.sql
    }
}

/// What `text` in `lang` may declare (see [`Wanted`]).
pub(crate) fn wanted(lang: Language, text: &str) -> Wanted {
    static PY: OnceLock<Regex> = OnceLock::new();
    static PY_ROUTE: OnceLock<Regex> = OnceLock::new();
    static DJANGO: OnceLock<Regex> = OnceLock::new();
    static JS: OnceLock<Regex> = OnceLock::new();
    let cell = |c: &'static OnceLock<Regex>, p: &str| -> &'static Regex {
        c.get_or_init(|| Regex::new(p).expect("valid regex"))
    };
    let routes = match lang {
        // a Django URL table (`path(…)` where the file names `urlpatterns` or `django.urls`,
        // as the extractor asks), `add_url_rule`, a route decorator given its path as a string
        // that starts with `/` or is empty (not `@mock.patch("module.name")`)
        Language::Python => {
            text.contains("add_url_rule")
                || text.contains("add_api_route")
                || text.contains("route") && cell(&PY_ROUTE, r"\.\s*(?:api_)?route\s*\(").is_match(text)
                // (anywhere on a line: a regex anchored at every line start is scanned several
                // times slower, and the extractor reads decorators only)
                || cell(
                    &PY,
                    r#"@[^\n]*\.\s*(?:get|post|put|delete|patch|head|options|websocket)\s*\((?:\s|#[^\n]*)*(?:[rRuUbBfF]{0,2}(?:"[/"]|'[/'])|[^)]*(?-u:\b)(?:path|rule)\s*=)"#,
                )
                .is_match(text)
                || (text.contains("urlpatterns") || text.contains("django.urls"))
                    && cell(&DJANGO, r"(?-u:\b)(?:re_path|path|url)\s*\(").is_match(text)
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => cell(
            &JS,
            r#"\.\s*(?:get|post|put|delete|patch|head|options|all|route)\s*\(\s*(?:['"`][/*\\]|\{)|@(?:Controller|Get|Post|Put|Delete|Patch|All|Head|Options)\s*\("#,
        )
        .is_match(text),
        Language::Go | Language::Java => {
            ["Mapping", "Handle", "GET(", "POST(", "PUT(", "DELETE(", "PATCH(", "Get(", "Post("]
                .iter()
                .any(|m| text.contains(m))
        }
        Language::Rust => false,
    };
    // a string literal that may be a statement (`sql::is_sql` read from the text alone)
    let sql = sql::may_hold_sql(lang, text);
    Wanted { routes, sql }
}

/// The node kinds the route extractors of `lang` read; every other node is passed over. The
/// engine's walk of a file's tree collects them for [`extract_from`] (routes cost no walk of
/// their own).
pub(crate) fn route_kinds(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::Python => &["assignment", "call", "decorated_definition"],
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            &["call_expression", "class_declaration", "class"]
        }
        Language::Go => &["call_expression"],
        Language::Java => &["class_declaration"],
        Language::Rust => &[],
    }
}

/// For each node kind id of `lang`'s grammar, whether it is one of [`route_kinds`] (named or
/// anonymous: a node's `kind_id` is the grammar's id for its kind's name).
pub(crate) fn route_kind_ids(lang: Language) -> Vec<bool> {
    let grammar = lang.grammar();
    let mut out = vec![false; grammar.node_kind_count()];
    for k in route_kinds(lang) {
        for named in [true, false] {
            let id = grammar.id_for_node_kind(k, named);
            if let Some(b) = out.get_mut(id as usize).filter(|_| id != 0) {
                *b = true;
            }
        }
    }
    out
}

/// Reads the routes and SQL strings of one parsed file (its nodes of [`route_kinds`] found by
/// a walk of the tree).
#[cfg(test)]
pub(crate) fn extract(
    lang: Language,
    file: &str,
    text: &str,
    tree: &Tree,
    wanted: Wanted,
) -> Extracted {
    let kinds = route_kinds(lang);
    let mut nodes = Vec::new();
    if wanted.routes {
        visit(tree.root_node(), &mut |n| {
            if kinds.contains(&n.kind()) {
                nodes.push(n);
            }
            true
        });
    }
    extract_from(lang, file, text, tree, wanted, &nodes)
}

/// Reads the routes and SQL strings of one parsed file; `nodes` are its nodes of
/// [`route_kinds`], in document order (read only when `wanted.routes`).
pub(crate) fn extract_from(
    lang: Language,
    file: &str,
    text: &str,
    tree: &Tree,
    wanted: Wanted,
    nodes: &[Node<'_>],
) -> Extracted {
    let cx = Cx {
        lang,
        file,
        src: text.as_bytes(),
        text,
    };
    let root = tree.root_node();
    let mut out = Extracted::default();
    if wanted.routes {
        out.routes = match lang {
            Language::Python => python::routes(&cx, nodes),
            Language::JavaScript | Language::TypeScript | Language::Tsx => js::routes(&cx, nodes),
            Language::Java => go_java::spring_routes(&cx, nodes),
            Language::Go => go_java::go_routes(&cx, nodes),
            Language::Rust => Vec::new(),
        };
    }
    if wanted.sql {
        out.sql = sql::strings(&cx, root);
    }
    // handlers named, not inline: their lines from the file's definitions (one more walk,
    // only for files that declare such routes)
    if out
        .routes
        .iter()
        .any(|r| r.handler_lines.is_none() && r.handler.is_some())
    {
        let defs = definitions(lang, root, text.as_bytes());
        for r in &mut out.routes {
            if r.handler_lines.is_none() {
                r.handler_lines = r.handler.as_deref().and_then(|h| defs.get(h).copied());
            }
        }
    }
    out
}

/// One file being read.
pub(crate) struct Cx<'a> {
    pub(crate) lang: Language,
    pub(crate) file: &'a str,
    pub(crate) src: &'a [u8],
    pub(crate) text: &'a str,
}

impl Cx<'_> {
    pub(crate) fn text_of(&self, n: Node<'_>) -> &str {
        n.utf8_text(self.src).unwrap_or("")
    }

    /// A route of this file; `None` when `path` is not a path.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn route(
        &self,
        framework: Framework,
        method: Option<&str>,
        path: &str,
        handler: Option<String>,
        handler_lines: Option<LineRange>,
        at: Node<'_>,
    ) -> RouteEntry {
        let method = method
            .map(|m| m.trim().to_ascii_uppercase())
            .filter(|m| !m.is_empty() && m != "*" && m != "ALL" && m != "ANY");
        RouteEntry {
            method,
            path: path.to_string(),
            template: normalize_template(path),
            handler,
            framework,
            file: self.file.to_string(),
            line: at.start_position().row as u32 + 1,
            handler_lines,
        }
    }
}

/// The arguments of a call (`arguments` field), comments left out.
fn arguments(n: Node<'_>) -> Vec<Node<'_>> {
    let Some(a) = n.child_by_field_name("arguments") else {
        return Vec::new();
    };
    let mut c = a.walk();
    a.named_children(&mut c)
        .filter(|x| x.kind() != "comment")
        .collect()
}

/// Every named function and class of a file, with its lines.
fn definitions(lang: Language, root: Node<'_>, src: &[u8]) -> HashMap<String, LineRange> {
    let kinds = lang.function_kinds();
    let mut out = HashMap::new();
    visit(root, &mut |n| {
        let name = if kinds.contains(&n.kind()) {
            function_name(n, src)
        } else if n.kind().contains("class") && n.kind() != "class_body" {
            n.child_by_field_name("name")
                .and_then(|c| c.utf8_text(src).ok())
                .map(str::to_string)
        } else {
            None
        };
        if let Some(name) = name {
            out.entry(name).or_insert_with(|| LineRange::of(n));
        }
        true
    });
    out
}

/// Visits `n` and its descendants in document order; `f` returns whether to descend.
pub(crate) fn visit<'t>(n: Node<'t>, f: &mut dyn FnMut(Node<'t>) -> bool) {
    let mut cur = n.walk();
    let mut descend = f(n);
    loop {
        if descend && cur.goto_first_child() {
            descend = f(cur.node());
            continue;
        }
        loop {
            if cur.node() == n {
                return;
            }
            if cur.goto_next_sibling() {
                descend = f(cur.node());
                break;
            }
            if !cur.goto_parent() {
                return;
            }
        }
    }
}

/// The value of a string literal without interpolation, in any supported language.
pub(crate) fn string_value(cx: &Cx<'_>, n: Node<'_>) -> Option<String> {
    sql::literal(cx, n, None)
}

/// The last segment of a dotted or `::` name.
pub(crate) fn last_segment(name: &str) -> &str {
    name.rsplit(['.', ':']).next().unwrap_or(name)
}

/// Joins a prefix and a path with one `/` between them.
pub(crate) fn join_path(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        return path.to_string();
    }
    if path.is_empty() || path == "/" && !prefix.ends_with('/') {
        return if path.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
    }
    format!(
        "{}/{}",
        prefix.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Fills each finding's routes and SQL fingerprints: the routes whose handler contains it
/// (by line range when the handler's lines are known, else by the name of its function or
/// class) and the fingerprints of the SQL strings in its function. `classes[i]` is the class
/// enclosing `findings[i]`.
///
/// A handler known only by name (`router.delete('/x', controller.remove)`) matches a function
/// of that name in another file only when `unique` says one file defines the name: a `remove`
/// defined in twenty files is no evidence.
pub(crate) fn attach(
    findings: &mut [Finding],
    classes: &[Option<String>],
    routes: &[RouteEntry],
    sql: &[SqlString],
    unique: &dyn Fn(Language, &str) -> bool,
) {
    for (i, f) in findings.iter_mut().enumerate() {
        let class = classes.get(i).and_then(|c| c.as_deref());
        let mut rs: Vec<String> = routes
            .iter()
            .filter(|r| handles(r, f, class, unique))
            .map(|r| r.route().to_string())
            .collect();
        rs.sort();
        rs.dedup();
        let mut fps: Vec<Fingerprint> = sql
            .iter()
            .filter(|s| {
                s.file == f.file
                    && (s.function.is_some() && s.function == f.function
                        || s.function_lines.is_some_and(|l| l.contains(f.line)))
            })
            .map(|s| s.fingerprint)
            .collect();
        fps.sort();
        fps.dedup();
        f.routes = rs;
        f.sql_fingerprints = fps;
    }
}

/// Whether a finding is in a route's handler.
fn handles(
    r: &RouteEntry,
    f: &Finding,
    class: Option<&str>,
    unique: &dyn Fn(Language, &str) -> bool,
) -> bool {
    if let Some(lines) = r.handler_lines {
        return r.file == f.file && lines.contains(f.line);
    }
    let Some(h) = r.handler.as_deref() else {
        return false;
    };
    // by name only within one language (JavaScript and TypeScript are one)
    let route_lang = Language::from_path(std::path::Path::new(&r.file));
    if route_lang.map(Language::family) != Some(f.language.family()) {
        return false;
    }
    let h = last_segment(h);
    if r.file != f.file && !unique(f.language.family(), h) {
        return false;
    }
    f.function.as_deref().is_some_and(|g| last_segment(g) == h) || class == Some(h)
}
