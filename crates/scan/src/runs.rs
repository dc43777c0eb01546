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
                "testhelpers",
                "test_helpers",
                "test-helpers",
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
            if command_line_module(text) && !web_module(text) {
                return Some((
                    RunContext::Script,
                    "a module of command-line commands".into(),
                ));
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
    // a module of the steps from one version to the next (`src/upgrade.ts`,
    // `core/auth/upgrade.py`), run by an upgrade command; not a page, a component or a route
    // of a plan upgrade (those are told above by their folder, or here by their content)
    if ["upgrade", "upgrades"].contains(&stem)
        && !name.ends_with(".tsx")
        && !name.ends_with(".jsx")
        && !declares_routes(lang, text)
        && !dirs
            .iter()
            .any(|d| ["components", "pages"].contains(&d.as_str()))
    {
        return Some((RunContext::Migration, format!("module {name}")));
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
        // a package's `background/` (a front end's `components/background/` is no Python)
        if let Some(d) = dir(&["background"]) {
            return Some((RunContext::Background, why_dir(d)));
        }
        // a folder of an application's jobs named for it (`creme_jobs/`), in a module that
        // declares a job class: not a job board's `saved_jobs/services.py`
        static JOB_CLASS: OnceLock<Regex> = OnceLock::new();
        if let Some(d) = dirs.iter().find(|d| d.len() > 5 && d.ends_with("_jobs")) {
            if re(
                &JOB_CLASS,
                r"(?m)^class[ \t]+\w+\([ \t]*[\w.]*(Job|JobType|Task|Worker)[ \t]*\)",
            )
            .is_match(text)
            {
                return Some((RunContext::Background, why_dir(d.clone())));
            }
        }
        static MAIN: OnceLock<Regex> = OnceLock::new();
        if re(&MAIN, r#"(?m)^if\s+__name__\s*==\s*['"]__main__['"]\s*:"#).is_match(text) {
            return Some((RunContext::Script, "runs as a script (`__main__`)".into()));
        }
    }
    None
}

/// Whether a file declares HTTP routes: a Python route decorator (`@app.route(…)`,
/// `@router.get(…)`), `add_url_rule`, `include_router`, or a JavaScript router's
/// `app.get(…)`, `router.post(…)`.
fn declares_routes(lang: Language, text: &str) -> bool {
    static PY: OnceLock<Regex> = OnceLock::new();
    static JS: OnceLock<Regex> = OnceLock::new();
    match lang {
        Language::Python => re(
            &PY,
            r"(?m)^[ \t]*@[\w.]+\.(route|get|post|put|patch|delete|websocket|api_route)\(|\.(add_url_rule|include_router)\(",
        )
        .is_match(text),
        Language::JavaScript | Language::TypeScript | Language::Tsx => re(
            &JS,
            r"\b(app|router|server|fastify)\.(get|post|put|patch|delete|use|route)\(",
        )
        .is_match(text),
        _ => false,
    }
}

/// Whether a Python module takes part in serving requests: it imports a web framework, or
/// hooks into the request cycle (`@app.before_request`, an error handler, a middleware, a
/// login manager's user loader), or declares routes.
fn web_module(text: &str) -> bool {
    static WEB: OnceLock<Regex> = OnceLock::new();
    re(
        &WEB,
        r"(?m)^[ \t]*(import|from)[ \t]+(flask|fastapi|starlette|quart|sanic|aiohttp|tornado|django|werkzeug|bottle|falcon|pyramid|litestar)(?-u:\b)|^[ \t]*@[\w.]+\.(before_request|after_request|before_app_request|teardown_request|teardown_appcontext|errorhandler|middleware|user_loader|exception_handler)(?-u:\b)",
    )
    .is_match(text)
        || declares_routes(Language::Python, text)
}

/// Whether a Python module is a command-line interface: it imports click or Typer and declares
/// commands with their decorators (`@cli.command()`, `@grp.group()`, `@app.command()`); a
/// module that also serves requests is not one ([`web_module`]).
fn command_line_module(text: &str) -> bool {
    static IMPORT: OnceLock<Regex> = OnceLock::new();
    static COMMAND: OnceLock<Regex> = OnceLock::new();
    (text.contains("click") || text.contains("typer"))
        && re(
            &IMPORT,
            r"(?m)^[ \t]*(import|from)[ \t]+(click|typer)(?-u:\b)",
        )
        .is_match(text)
        && re(&COMMAND, r"(?m)^[ \t]*@[\w.]+\.(command|group)\(").is_match(text)
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

/// Background work by the name of an enclosing function, innermost first: a synchronisation
/// with another system, which a scheduler runs, not a request (`pull_images`, `_sync_users`,
/// `syncConnectedPayouts`, `reconcile_leases`, `poll_jobs`, `resync`). The weakest evidence of
/// all, asked only when neither the enclosing functions and classes ([`of_function`]) nor the
/// file place the code. Not a pull request (`pullRequest`, `pull_request_merged`), nor `sync`
/// in the sense of synchronous (`sync_wrapper`, `sync_to_async`, `syncCall`).
pub(crate) fn synchronisation(
    lang: Language,
    ancestors: &[Node<'_>],
    src: &[u8],
) -> Option<Verdict> {
    static SYNC: OnceLock<Regex> = OnceLock::new();
    static NOT: OnceLock<Regex> = OnceLock::new();
    let sync = re(
        &SYNC,
        r"^_*(?:pull|sync|resync|reconcile|poll)(?:_|[A-Z]|$)",
    );
    let not = re(
        &NOT,
        r"^_*(?:pull_?[Rr]equest|sync_?(?i:wrap|to_?async|call|func|fn))",
    );
    let function = match lang {
        Language::Python => &["function_definition"][..],
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            &["method_definition", "function_declaration"][..]
        }
        _ => return None,
    };
    ancestors.iter().rev().find_map(|a| {
        let name = function
            .contains(&a.kind())
            .then(|| a.child_by_field_name("name"))
            .flatten()?
            .utf8_text(src)
            .ok()?;
        (sync.is_match(name) && !not.is_match(name)).then(|| {
            (
                RunContext::Background,
                format!("`{name}` synchronises with another system, by its name"),
            )
        })
    })
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

mod scope;
use scope::{js_scope, python_scope};

#[cfg(test)]
#[path = "runs_tests.rs"]
mod tests;
