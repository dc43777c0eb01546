//! Where the code of a finding runs: on the request path (route handlers, views, and the
//! services they call), in background jobs, or once (migrations, management commands, CLI
//! scripts, tests, build code). A per-item query in a migration that runs once at deploy time
//! is not the problem the same query is in a view; findings in one-off code are shown at low
//! severity and rank below the rest.
//!
//! Three sources, the most specific first: the enclosing functions and classes (route
//! decorators, a `request` parameter, `(req, res)` handlers, view and command base classes),
//! then the file (its path and a few content markers: `class Migration`, knex's `up`/`down`,
//! `if __name__ == "__main__"`), and last, for code still unknown, reachability by name: a
//! function called from request-handling files (or from files those reach) runs on the request
//! path (see [`crate::reach::Reach`]). The rules are conventions of Django, Flask, FastAPI, DRF, Celery,
//! express, koa, fastify, NestJS, knex and the common test runners, read from names: a guess
//! that says why it was made (`run_context_reason`).

use crate::lang::Language;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use tree_sitter::Node;

/// Where the code of a finding runs.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RunContext {
    /// Serving requests: route handlers, views, middleware, serializers, template tags, and
    /// the functions they call.
    Request,
    /// Background work that runs repeatedly: task queues, schedulers, workers.
    Background,
    /// Not known.
    #[default]
    Unknown,
    /// A schema or data migration, or a seed (one-off).
    Migration,
    /// A management command (one-off).
    Command,
    /// A CLI script or tool (one-off).
    Script,
    /// Test code (one-off).
    Test,
    /// Build, packaging or documentation code (one-off).
    Build,
    /// Start-up code: runs once when the process starts (`AppConfig.ready`, `onModuleInit`,
    /// an `initialize()` method, a startup event handler) (one-off).
    Startup,
}

impl RunContext {
    /// Whether nothing is known of where the code runs.
    pub fn is_unknown(&self) -> bool {
        *self == RunContext::Unknown
    }

    /// Whether the code runs once (or only in development): findings there matter little.
    pub fn is_one_off(self) -> bool {
        matches!(
            self,
            RunContext::Migration
                | RunContext::Command
                | RunContext::Script
                | RunContext::Test
                | RunContext::Build
                | RunContext::Startup
        )
    }

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            RunContext::Request => "request",
            RunContext::Background => "background",
            RunContext::Unknown => "unknown",
            RunContext::Migration => "migration",
            RunContext::Command => "command",
            RunContext::Script => "script",
            RunContext::Test => "test",
            RunContext::Build => "build",
            RunContext::Startup => "startup",
        }
    }

    /// A phrase for reports ("on the request path", "in a migration").
    pub fn phrase(self) -> &'static str {
        match self {
            RunContext::Request => "on the request path",
            RunContext::Background => "in background work",
            RunContext::Unknown => "where it runs is unknown",
            RunContext::Migration => "in a migration (one-off)",
            RunContext::Command => "in a management command (one-off)",
            RunContext::Script => "in a script (one-off)",
            RunContext::Test => "in test code (one-off)",
            RunContext::Build => "in build code (one-off)",
            RunContext::Startup => "at start-up (one-off)",
        }
    }

    /// Rank weight: request path 1, background and unknown below it, one-off code far below.
    pub fn weight(self) -> f64 {
        match self {
            RunContext::Request => 1.0,
            RunContext::Background => 0.7,
            RunContext::Unknown => 0.6,
            _ => 0.1,
        }
    }
}

/// A classification and why it was made.
pub(crate) type Verdict = (RunContext, String);

pub(crate) fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid run-context regex"))
}

/// The path segments under the scan root (lowercase), with the file name last.
fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether the path is test code (a test file, or under a test folder), and why.
pub(crate) fn test_path(path: &str) -> Option<Verdict> {
    let segs = segments(path);
    let (name, dirs) = segs.split_last()?;
    static TEST_FILE: OnceLock<Regex> = OnceLock::new();
    let test_file = re(
        &TEST_FILE,
        r"^(test_.*\.py|.*_tests?\.py|tests\.py|conftest\.py|.*[.\-_](test|spec|e2e)\.[cm]?[jt]sx?|test\.[cm]?[jt]s)$",
    );
    if test_file.is_match(name) {
        return Some((RunContext::Test, format!("test file {name}")));
    }
    test_dir(dirs).map(|d| (RunContext::Test, format!("under {d}/")))
}

/// The first of `dirs` that is a folder of tests.
fn test_dir(dirs: &[String]) -> Option<String> {
    dirs.iter()
        .find(|d| {
            [
                "test",
                "tests",
                "__tests__",
                "__mocks__",
                "testing",
                "spec",
                "specs",
                "e2e",
                "fixtures",
                "test_utils",
                "testutils",
                "test-utils",
                "benchmarks",
            ]
            .contains(&d.as_str())
        })
        .cloned()
}

/// Whether the test verdict `v` of the `lang` file at `path` rests on a Python module's name
/// alone (`db/test_results.py`, `models/connection_test.py`, in no test folder), which its
/// text can refute.
pub(crate) fn named_like_a_python_test(lang: Language, path: &str, v: &Verdict) -> bool {
    let segs = segments(path);
    lang == Language::Python
        && v.1.starts_with("test file ")
        && segs
            .split_last()
            .is_some_and(|(_, dirs)| test_dir(dirs).is_none())
}

/// Whether a Python module holds tests: a test function, a test case, or a test framework
/// named. A module named like a test without any (`db/test_results.py`, the data layer of a
/// test-results feature; `commands/database/test_connection.py`) is application code.
pub(crate) fn holds_python_tests(text: &str) -> bool {
    static TESTS: OnceLock<Regex> = OnceLock::new();
    re(
        &TESTS,
        r"(?m)^[ \t]*(async[ \t]+)?def[ \t]+test|\bTestCase\b|\b(pytest|unittest|nose)\b",
    )
    .is_match(text)
}

/// The run context a file's path and content give, if they give one.
pub(crate) fn of_file(lang: Language, path: &str, text: &str) -> Option<Verdict> {
    if let Some(v) = test_path(path) {
        if !named_like_a_python_test(lang, path, &v) || holds_python_tests(text) {
            return Some(v);
        }
    }
    let segs = segments(path);
    let (name, dirs) = segs.split_last()?;
    // `_migrations/` is a migrations folder too
    let dir = |set: &[&str]| {
        dirs.iter()
            .find(|d| set.contains(&d.trim_start_matches('_')))
            .cloned()
    };
    let why_dir = |d: String| format!("under {d}/");
    // `upgrades/`: schema upgrade steps run by an upgrade command (Trac's `upgrades/db45.py`,
    // Plone's profile upgrades)
    if let Some(d) = dir(&[
        "migrations",
        "migration",
        "migrate",
        "alembic",
        "upgrades",
        "seeds",
        "seeders",
        "seed",
    ]) {
        return Some((RunContext::Migration, why_dir(d)));
    }
    // a module of data migrations outside a migrations folder (`storage/migration.py`,
    // `ipam/utils/migrations.py`), run by an upgrade command
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_start_matches('_');
    if ["migration", "migrations", "migrate"].contains(&stem) {
        return Some((RunContext::Migration, format!("module {name}")));
    }
    if dirs
        .windows(2)
        .any(|w| w[0] == "management" && w[1] == "commands")
    {
        return Some((RunContext::Command, "under management/commands/".into()));
    }
    if let Some(d) = dir(&["scripts", "script", "bin", "cli", "commands"]) {
        return Some((RunContext::Script, why_dir(d)));
    }
    static BUILD_FILE: OnceLock<Regex> = OnceLock::new();
    let build_file = re(
        &BUILD_FILE,
        r"^(setup\.py|noxfile\.py|fabfile\.py|conf\.py|(gulpfile|gruntfile|webpack\.config|rollup\.config|vite\.config|babel\.config|jest\.config|vitest\.config|eslint\.config|\.eslintrc|karma\.conf)(\.[\w-]+)?\.[cm]?[jt]s)$",
    );
    if build_file.is_match(name) {
        return Some((RunContext::Build, format!("build file {name}")));
    }
    if let Some(d) = dir(&["build", "docs", "doc", "examples", "example"]) {
        return Some((RunContext::Build, why_dir(d)));
    }
    // one-off by content
    match lang {
        Language::Python => {
            static MIG: OnceLock<Regex> = OnceLock::new();
            if re(&MIG, r"(?m)^class Migration\(\s*migrations\.Migration\s*\)").is_match(text) {
                return Some((RunContext::Migration, "a Django migration".into()));
            }
            static ALEMBIC: OnceLock<Regex> = OnceLock::new();
            if re(&ALEMBIC, r"(?m)^down_revision\b[^=\n]*=").is_match(text)
                && text.contains("def upgrade(")
            {
                return Some((RunContext::Migration, "an Alembic migration".into()));
            }
            static CMD: OnceLock<Regex> = OnceLock::new();
            if re(&CMD, r"(?m)^class Command\(\s*[\w.]*BaseCommand\s*\)").is_match(text) {
                return Some((RunContext::Command, "a management command".into()));
            }
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            static KNEX: OnceLock<Regex> = OnceLock::new();
            if re(
                &KNEX,
                r"(?m)^(exports\.up\s*=|export\s+(async\s+)?function\s+up\s*\(|(module\.)?exports\s*=\s*\{\s*(async\s+)?up\b)",
            )
            .is_match(text)
            {
                return Some((RunContext::Migration, "a migration (exports up/down)".into()));
            }
        }
        _ => {}
    }
    // a message consumer's handlers run per message, wherever the file is
    if let Some(why) = crate::consumer::registration(lang, text) {
        return Some((RunContext::Background, why));
    }
    // request or background by path
    static REQUEST_FILE: OnceLock<Regex> = OnceLock::new();
    let request_file = re(
        &REQUEST_FILE,
        r"^(views?|urls|api|serializers?|middlewares?|context_processors|viewsets|routes?|router|resolvers?|controllers?|handlers?|endpoints?)\.[a-z]+$|^\w+_(views?|api|serializers?)\.py$|[.\-_](controller|routes?|router|resolver|handler|middleware)\.[cm]?[jt]s$",
    );
    if request_file.is_match(name) {
        return Some((RunContext::Request, format!("request-handling file {name}")));
    }
    // a helper module under a request folder (`api/utils/`) runs where its callers run: the
    // calls decide (`reach`), not the folder
    const REQUEST_DIRS: &[&str] = &[
        "views",
        "view",
        "api",
        "apis",
        "controllers",
        "controller",
        "routes",
        "routers",
        "router",
        "handlers",
        "endpoints",
        "middleware",
        "middlewares",
        "resolvers",
        "graphql",
        "serializers",
        "templatetags",
        "viewsets",
    ];
    let helper_below = dirs
        .iter()
        .position(|d| REQUEST_DIRS.contains(&d.as_str()))
        .is_some_and(|i| {
            dirs[i + 1..].iter().any(|d| {
                matches!(
                    d.as_str(),
                    "utils" | "util" | "helpers" | "helper" | "lib" | "common" | "shared"
                )
            })
        });
    if let Some(d) = dir(REQUEST_DIRS).filter(|_| !helper_below) {
        return Some((RunContext::Request, why_dir(d)));
    }
    static BG_FILE: OnceLock<Regex> = OnceLock::new();
    if re(
        &BG_FILE,
        r"^(tasks|celery|jobs?|workers?|cron|scheduler|consumers)\.[a-z]+$",
    )
    .is_match(name)
    {
        return Some((
            RunContext::Background,
            format!("background-work file {name}"),
        ));
    }
    if let Some(d) = dir(&[
        "tasks",
        "jobs",
        "workers",
        "worker",
        "cron",
        "scheduler",
        "queues",
    ]) {
        return Some((RunContext::Background, why_dir(d)));
    }
    if lang == Language::Python {
        static MAIN: OnceLock<Regex> = OnceLock::new();
        if re(&MAIN, r#"(?m)^if\s+__name__\s*==\s*['"]__main__['"]\s*:"#).is_match(text) {
            return Some((RunContext::Script, "runs as a script (`__main__`)".into()));
        }
    }
    None
}

/// The run context the functions and classes around a match give, innermost first.
pub(crate) fn of_function(lang: Language, ancestors: &[Node<'_>], src: &[u8]) -> Option<Verdict> {
    let text = |n: Node<'_>| n.utf8_text(src).unwrap_or("");
    for (i, &a) in ancestors.iter().enumerate().rev() {
        let parent = i.checked_sub(1).map(|p| ancestors[p]);
        let v = match lang {
            Language::Python => python_scope(a, parent, src, text),
            Language::JavaScript | Language::TypeScript | Language::Tsx => {
                js_scope(a, parent, ancestors.get(i.wrapping_sub(2)).copied(), text)
            }
            _ => None,
        };
        if v.is_some() {
            return v;
        }
    }
    None
}

/// A function named as a data migration runs once per upgrade or maintenance action, wherever
/// it is defined: `migrate_passwords`, `backfillUsers`, `_user_table_migration`,
/// `rotate_credentials_master_key` (re-encrypting what is stored under a new key). Names that
/// read or test a migration (`get_migration`, `needs_migration`, `handleMigration`) and the
/// rotation of a user's own keys (`rotate_api_key`) are not; neither is a function that takes
/// the request (checked first).
fn data_migration(name: &str) -> Option<Verdict> {
    static NAME: OnceLock<Regex> = OnceLock::new();
    static ACCESSOR: OnceLock<Regex> = OnceLock::new();
    let migration = re(
        &NAME,
        r"^_*(?:(?:migrate|backfill|reencrypt|re_encrypt)(?:_|[A-Z]|$)|rotate\w*(?i:master|encryption|signing|secret)\w*(?:_key|Key)s?$)|\w(?:_migration|Migration)$",
    );
    let accessor = re(
        &ACCESSOR,
        r"^_*(?:get|list|fetch|find|load|read|check|is|has|needs?|should|can|validate|handle|use|on)(?:_|[A-Z]|$)",
    );
    (migration.is_match(name) && !accessor.is_match(name)).then(|| {
        (
            RunContext::Migration,
            format!("`{name}` is a data migration, by its name"),
        )
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

fn python_scope<'t>(
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
            for d in decorators(parent) {
                if re(
                    &ROUTE,
                    r"^@[\w.]*\b(route|get|post|put|patch|delete|api_view|action|websocket|require_(GET|POST|safe|http_methods)|login_required|permission_required|csrf_exempt|never_cache|cache_page|vary_on_\w+|user_passes_test|staff_member_required|xframe_options_\w+|require_admin_access|simple_tag|inclusion_tag|filter)\b",
                )
                .is_match(d)
                {
                    return Some((RunContext::Request, format!("decorated {}", first_line(d))));
                }
                if re(
                    &TASK,
                    r"^@[\w.]*\b(task|shared_task|periodic_task|job|cron|actor|scheduled_job|\w*background_process)\b",
                )
                .is_match(d)
                {
                    return Some((
                        RunContext::Background,
                        format!("decorated {}", first_line(d)),
                    ));
                }
                if re(
                    &STARTUP_DECO,
                    r#"^@[\w.]*\b(on_event\(\s*["']startup|before_first_request|before_serving|on_startup)\b"#,
                )
                .is_match(d)
                {
                    return Some((RunContext::Startup, format!("decorated {}", first_line(d))));
                }
                if re(&CLI, r"^@[\w.]*\b(command|group|cli)\b").is_match(d) {
                    return Some((RunContext::Script, format!("decorated {}", first_line(d))));
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

fn js_scope<'t>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_classified_by_path_and_content() {
        let c = |lang, p: &str, t: &str| of_file(lang, p, t).map(|v| v.0);
        let py = Language::Python;
        let js = Language::JavaScript;
        assert_eq!(c(py, "app/tests/test_views.py", ""), Some(RunContext::Test));
        // a module named like a test is one when it holds a test
        let case = "from django.test import TestCase\n\nclass T(TestCase):\n    pass\n";
        assert_eq!(c(py, "app/test_views.py", case), Some(RunContext::Test));
        let pytest = "def test_views(client):\n    assert client.get('/')\n";
        assert_eq!(c(py, "app/views_test.py", pytest), Some(RunContext::Test));
        assert_eq!(
            c(py, "app/conftest.py", "import pytest\n"),
            Some(RunContext::Test)
        );
        let feature = "class TestResultsConnectorComponent(base.DBConnectorComponent):\n    def getTestResults(self):\n        pass\n";
        assert_eq!(c(py, "app/db/test_results.py", feature), None);
        // a folder of tests and a JavaScript spec stay tests whatever they hold
        assert_eq!(
            c(py, "app/tests/helpers.py", feature),
            Some(RunContext::Test)
        );
        assert_eq!(c(js, "src/users.spec.js", ""), Some(RunContext::Test));
        assert_eq!(
            c(py, "app/migrations/0001_initial.py", ""),
            Some(RunContext::Migration)
        );
        assert_eq!(
            c(py, "app/management/commands/sync.py", ""),
            Some(RunContext::Command)
        );
        assert_eq!(
            c(
                py,
                "server/database/_migrations/versions/2022_07_06_x.py",
                ""
            ),
            Some(RunContext::Migration)
        );
        let alembic = "revision = \"4cdc2ba709a4\"\ndown_revision: str = \"1c9390e2f9c6\"\n\ndef upgrade():\n    pass\n";
        assert_eq!(
            c(py, "app/db/versions/4cdc.py", alembic),
            Some(RunContext::Migration)
        );
        assert_eq!(
            c(py, "pkg/storage/event_log/migration.py", ""),
            Some(RunContext::Migration)
        );
        assert_eq!(c(js, "lib/db/_migrate.js", ""), Some(RunContext::Migration));
        assert_eq!(
            c(
                py,
                "trac/upgrades/db45.py",
                "def do_upgrade(env, version, cursor):\n"
            ),
            Some(RunContext::Migration)
        );
        assert_eq!(c(py, "app/utils/migration_helpers.py", ""), None);
        assert_eq!(c(py, "app/views.py", ""), Some(RunContext::Request));
        // a helper module under a request folder: its callers decide
        assert_eq!(c(py, "app/api/utils/backfill.py", ""), None);
        assert_eq!(c(py, "app/api/v1/flows.py", ""), Some(RunContext::Request));
        assert_eq!(
            c(py, "app/api/utils/views.py", ""),
            Some(RunContext::Request)
        );
        assert_eq!(
            c(py, "app/admin/views/pages.py", ""),
            Some(RunContext::Request)
        );
        assert_eq!(c(py, "app/tasks.py", ""), Some(RunContext::Background));
        assert_eq!(c(py, "setup.py", ""), Some(RunContext::Build));
        assert_eq!(
            c(
                py,
                "app/tool.py",
                "def f():\n    pass\n\nif __name__ == '__main__':\n    f()\n"
            ),
            Some(RunContext::Script)
        );
        assert_eq!(c(py, "app/models.py", ""), None);
        assert_eq!(c(js, "src/routes/users.js", ""), Some(RunContext::Request));
        assert_eq!(
            c(js, "src/users.controller.ts", ""),
            Some(RunContext::Request)
        );
        assert_eq!(c(js, "src/users.test.ts", ""), Some(RunContext::Test));
        assert_eq!(
            c(
                js,
                "db/20240101-add.js",
                "export async function up(knex) {}\n"
            ),
            Some(RunContext::Migration)
        );
        assert_eq!(c(js, "src/services/items.js", ""), None);
    }

    /// The run context of the function holding the first occurrence of `needle` in `code`.
    fn context_at(lang: Language, code: &str, needle: &str) -> Option<RunContext> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let at = code.find(needle).expect("needle in code");
        let mut n = tree
            .root_node()
            .descendant_for_byte_range(at, at + needle.len())
            .unwrap();
        let mut stack = vec![n];
        while let Some(p) = n.parent() {
            stack.push(p);
            n = p;
        }
        stack.reverse();
        of_function(lang, &stack, code.as_bytes()).map(|v| v.0)
    }

    #[test]
    fn a_workflow_nodes_execute_runs_per_workflow_execution() {
        let js = Language::JavaScript;
        let node = "class Airtable {\n  constructor() { this.description = { name: 'airtable' }; }\n  async execute() {\n    const items = this.getInputData();\n    for (const item of items) { await apiRequest.call(this, item); }\n  }\n}\n";
        assert_eq!(
            context_at(js, node, "apiRequest"),
            Some(RunContext::Request)
        );
        let ts = "export class Slack implements INodeType {\n  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {\n    return [await send(this)];\n  }\n}\n";
        assert_eq!(
            context_at(Language::TypeScript, ts, "send"),
            Some(RunContext::Request)
        );
        // another class's execute(): its callers decide
        let other = "class Migration {\n  async execute(db) {\n    await db.run('x');\n  }\n}\n";
        assert_eq!(context_at(js, other, "db.run"), None);
    }
}
