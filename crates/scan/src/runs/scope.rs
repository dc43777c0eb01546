//! The run context one enclosing function or class gives, in Python and in JavaScript or
//! TypeScript: route and task decorators, start-up hooks, request parameters, view, command and
//! consumer base classes, schedulers that name the function.

use super::{data_migration, first_line, re, RunContext, Verdict};
use regex::Regex;
use std::sync::OnceLock;
use tree_sitter::Node;

/// The run context a Python function or class `a` (inside `parent`) gives, if any.
pub(super) fn python_scope<'t>(
    a: Node<'t>,
    parent: Option<Node<'t>>,
    src: &[u8],
    text: impl Fn(Node<'t>) -> &'t str,
) -> Option<Verdict> {
    static ROUTE: OnceLock<Regex> = OnceLock::new();
    static TASK: OnceLock<Regex> = OnceLock::new();
    static CLI: OnceLock<Regex> = OnceLock::new();
    static STARTUP_DECO: OnceLock<Regex> = OnceLock::new();
    static VIEW_BASE: OnceLock<Regex> = OnceLock::new();
    static TASK_BASE: OnceLock<Regex> = OnceLock::new();
    static MIGRATION_DECO: OnceLock<Regex> = OnceLock::new();
    let decorators = |p: Option<Node<'t>>| -> Vec<&'t str> {
        let Some(p) = p.filter(|p| p.kind() == "decorated_definition") else {
            return Vec::new();
        };
        let mut c = p.walk();
        p.children(&mut c)
            .filter(|d| d.kind() == "decorator")
            .map(&text)
            .collect()
    };
    match a.kind() {
        "function_definition" => {
            // what a decorator says of its function, the first that matches; a schema upgrade
            // registered with the store (FlexGet's `@db_schema.upgrade('backlog')`,
            // `@migration(…)`) runs once per upgrade
            let by_decorator: [(&OnceLock<Regex>, &str, RunContext); 5] = [
                (
                    &ROUTE,
                    r"^@[\w.]*\b(route|get|post|put|patch|delete|api_view|action|websocket|require_(GET|POST|safe|http_methods)|login_required|permission_required|csrf_exempt|never_cache|cache_page|vary_on_\w+|user_passes_test|staff_member_required|xframe_options_\w+|require_admin_access|simple_tag|inclusion_tag|filter)\b",
                    RunContext::Request,
                ),
                (
                    &TASK,
                    r"^@[\w.]*\b(task|shared_task|periodic_task|job|cron|actor|scheduled_job|\w*background_process)\b",
                    RunContext::Background,
                ),
                (
                    &STARTUP_DECO,
                    r#"^@[\w.]*\b(on_event\(\s*["']startup|before_first_request|before_serving|on_startup)\b"#,
                    RunContext::Startup,
                ),
                (
                    &MIGRATION_DECO,
                    r"^@[\w.]*\b(upgrade|downgrade|migration|migrate|schema_upgrade)\b",
                    RunContext::Migration,
                ),
                (&CLI, r"^@[\w.]*\b(command|group|cli)\b", RunContext::Script),
            ];
            for d in decorators(parent) {
                if let Some((_, _, context)) = by_decorator
                    .iter()
                    .find(|(cell, pattern, _)| re(cell, pattern).is_match(d))
                {
                    return Some((*context, format!("decorated {}", first_line(d))));
                }
            }
            let name = a.child_by_field_name("name").map(&text).unwrap_or("");
            if let Some(by) = scheduled_by(src, name) {
                return Some((RunContext::Background, format!("`{name}` is run by {by}()")));
            }
            // `AppConfig.ready()` and startup handlers run once per process, as do Home
            // Assistant's set-up, migration and unload hooks of an integration
            if matches!(
                name,
                "ready"
                    | "on_startup"
                    | "lifespan"
                    | "async_setup_entry"
                    | "async_setup_platform"
                    | "setup_platform"
                    | "async_setup_scanner"
                    | "setup_scanner"
                    | "async_migrate_entry"
                    | "async_unload_entry"
                    | "async_remove_entry"
            ) {
                return Some((RunContext::Startup, format!("in start-up hook `{name}`")));
            }
            let params = a.child_by_field_name("parameters").map(&text).unwrap_or("");
            let p = params.trim_start_matches('(').trim_start();
            let p = p
                .strip_prefix("self")
                .map_or(p, |r| r.trim_start_matches([',', ' ']));
            if p.starts_with("request") && !p.starts_with("requests") {
                let name = a.child_by_field_name("name").map(&text).unwrap_or("");
                return Some((RunContext::Request, format!("`{name}` takes the request")));
            }
            data_migration(name)
        }
        "class_definition" => {
            let bases = a
                .child_by_field_name("superclasses")
                .map(&text)
                .unwrap_or("");
            let name = a.child_by_field_name("name").map(&text).unwrap_or("");
            let view = re(
                &VIEW_BASE,
                r"(View|ViewSet|APIView|Serializer|Middleware|Consumer|Endpoint|Handler|Form|Resource)\b",
            );
            if view.is_match(bases) || view.is_match(name) {
                return Some((
                    RunContext::Request,
                    format!(
                        "in class {name}({bases})",
                        bases = bases.trim_matches(['(', ')'])
                    ),
                ));
            }
            if bases.contains("BaseCommand") {
                return Some((RunContext::Command, format!("in management command {name}")));
            }
            if re(&TASK_BASE, r"\b(Task|PeriodicTask|Job|Worker)\b").is_match(bases) {
                return Some((RunContext::Background, format!("in task class {name}")));
            }
            if bases.contains("TestCase") || name.starts_with("Test") {
                return Some((RunContext::Test, format!("in test class {name}")));
            }
            if bases.contains("Migration") {
                return Some((RunContext::Migration, format!("in migration class {name}")));
            }
            None
        }
        _ => None,
    }
}

/// The scheduler a Python function is handed to by name in its file, if any: a repeating
/// timer (`clock.looping_call(self.f, ms)`), a background process or update
/// (`run_as_background_process("name", self.f)`, `register_background_update_handler(…)`), a
/// job scheduler (`add_job(f, "interval")`, `every(10).minutes.do(f)`), a thread's target.
/// The function is the argument itself, not a call of it (`self.f,` or `self.f)`).
fn scheduled_by(src: &[u8], name: &str) -> Option<String> {
    static SCHED: OnceLock<Regex> = OnceLock::new();
    if name.is_empty() {
        return None;
    }
    let text = std::str::from_utf8(src).ok()?;
    let sched = re(
        &SCHED,
        r"(?:\b(looping_call(?:_now)?|call_later|run_as_background_process|register_background_\w*handler|add_job|add_periodic_task|Thread|Timer)|(\.do))\s*\(",
    );
    for m in sched.captures_iter(text) {
        let (Some(all), Some(what)) = (m.get(0), m.get(1).or_else(|| m.get(2))) else {
            continue;
        };
        // not in a comment, not a class or function of that name
        let line = text[..all.start()].rsplit('\n').next().unwrap_or("");
        let head = line.trim_start();
        if line.contains('#') || head.starts_with("class ") || head.starts_with("def ") {
            continue;
        }
        let Some(args) = crate::lang::call_arguments(&text[all.end()..]) else {
            continue;
        };
        let named = args.match_indices(name).any(|(i, _)| {
            let before = &args[..i];
            let ident = |c: char| c.is_alphanumeric() || c == '_';
            let after = args[i + name.len()..].trim_start().chars().next();
            let owner_ok = match before.strip_suffix('.') {
                None => !before.chars().next_back().is_some_and(ident),
                Some(b) => ["self", "cls"].iter().any(|o| {
                    b.strip_suffix(o)
                        .is_some_and(|r| !r.chars().next_back().is_some_and(ident))
                }),
            };
            owner_ok && matches!(after, None | Some(',') | Some(')'))
        });
        if named {
            return Some(what.as_str().trim_start_matches('.').to_string());
        }
    }
    None
}

/// The run context a JavaScript or TypeScript function, method or class `a` gives, if any.
pub(super) fn js_scope<'t>(
    a: Node<'t>,
    parent: Option<Node<'t>>,
    grandparent: Option<Node<'t>>,
    text: impl Fn(Node<'t>) -> &'t str,
) -> Option<Verdict> {
    static ROUTE_CALL: OnceLock<Regex> = OnceLock::new();
    static TEST_CALL: OnceLock<Regex> = OnceLock::new();
    static BG_CALL: OnceLock<Regex> = OnceLock::new();
    static DECO: OnceLock<Regex> = OnceLock::new();
    static PARAMS: OnceLock<Regex> = OnceLock::new();
    static STARTUP: OnceLock<Regex> = OnceLock::new();
    static NODE_API: OnceLock<Regex> = OnceLock::new();
    if !matches!(
        a.kind(),
        "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "generator_function_declaration"
            | "generator_function"
    ) {
        return None;
    }
    // a callback registered on a router, or given to a test runner
    if let (Some(p), Some(g)) = (parent, grandparent) {
        if p.kind() == "arguments" && g.kind() == "call_expression" {
            let callee = g.child_by_field_name("function").map(&text).unwrap_or("");
            if re(
                &ROUTE_CALL,
                r"(?i)^[\w$.]*\b(app|router|route|routes|server|fastify|api|koa|hono)\.(get|post|put|patch|delete|del|all|use|route|head|options)$",
            )
            .is_match(callee)
            {
                return Some((RunContext::Request, format!("a handler given to {callee}()")));
            }
            if re(
                &BG_CALL,
                r"^(setInterval|[\w$.]*\.(schedule|scheduleJob|every|define)|[\w$.]*[qQ]ueue\.process|cron\.\w+)$",
            )
            .is_match(callee)
            {
                return Some((RunContext::Background, format!("a job given to {callee}()")));
            }
            if re(
                &TEST_CALL,
                r"^(describe|it|test|beforeEach|afterEach|beforeAll|afterAll|suite)(\.\w+)?$",
            )
            .is_match(callee)
            {
                return Some((RunContext::Test, format!("a callback of {callee}()")));
            }
        }
    }
    // NestJS-style decorators on the method (TypeScript source)
    let mut c = a.walk();
    for d in a.children(&mut c).filter(|d| d.kind() == "decorator") {
        let t = text(d);
        if re(&DECO, r"^@(Get|Post|Put|Patch|Delete|All|Head|Options|Query|Mutation|Resolver|Subscription|MessagePattern)\b")
            .is_match(t)
        {
            return Some((RunContext::Request, format!("decorated {}", first_line(t))));
        }
        if t.starts_with("@Cron") || t.starts_with("@Interval") || t.starts_with("@Process") {
            return Some((
                RunContext::Background,
                format!("decorated {}", first_line(t)),
            ));
        }
    }
    // a workflow node's entry point (n8n's `INodeType`): `execute` runs for every execution
    // of a workflow holding the node, `webhook` for every call of its webhook; told from other
    // methods of that name by the node API they are given or call
    if a.kind() == "method_definition" {
        let name = a.child_by_field_name("name").map(&text).unwrap_or("");
        if matches!(name, "execute" | "webhook" | "supplyData") {
            let body = text(a);
            if re(
                &NODE_API,
                r"\b(IExecuteFunctions|IWebhookFunctions|ISupplyDataFunctions)\b|\bthis\.(getInputData|getNodeParameter|getBodyData|getRequestObject)\(",
            )
            .is_match(body)
            {
                return Some((
                    RunContext::Request,
                    format!("workflow node method `{name}` (runs per workflow execution)"),
                ));
            }
        }
    }
    // a start-up hook: runs once per process
    if matches!(a.kind(), "method_definition" | "function_declaration") {
        let name = a.child_by_field_name("name").map(&text).unwrap_or("");
        if re(
            &STARTUP,
            r"^(init|initialize|onModuleInit|onApplicationBootstrap|onBootstrap|bootstrap|startup|onStartup|onInit)$",
        )
        .is_match(name)
        {
            return Some((RunContext::Startup, format!("in start-up hook `{name}`")));
        }
    }
    let params = a
        .child_by_field_name("parameters")
        .or_else(|| a.child_by_field_name("parameter"))
        .map(&text)
        .unwrap_or("");
    if re(
        &PARAMS,
        r"^\(?\s*(req|request)\s*(:[^,]*)?,\s*(res|response|reply|h)\b|^\(?\s*ctx\s*(:[^,]*)?,\s*next\b",
    )
    .is_match(params)
    {
        return Some((RunContext::Request, format!("a handler taking {}", first_line(params))));
    }
    if matches!(a.kind(), "method_definition" | "function_declaration") {
        return data_migration(a.child_by_field_name("name").map(&text).unwrap_or(""));
    }
    None
}
