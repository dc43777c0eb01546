//! Tests of the run-context reading: files, functions and scopes.
use super::*;

#[test]
fn files_are_classified_by_path_and_content() {
    let c = |lang, p: &str, t: &str| of_file(lang, p, t).map(|v| v.0);
    let py = Language::Python;
    let js = Language::JavaScript;
    assert_eq!(c(py, "app/tests/test_views.py", ""), Some(RunContext::Test));
    // builders of test data, in a folder of their own
    assert_eq!(
        c(py, "project/develop/testhelpers/corebuilder.py", ""),
        Some(RunContext::Test)
    );
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

#[test]
fn upgrade_steps_jobs_and_command_lines_are_told_by_path_and_content() {
    let c = |lang, p: &str, t: &str| of_file(lang, p, t).map(|v| v.0);
    let py = Language::Python;
    let ts = Language::TypeScript;
    // the steps from one version to the next
    assert_eq!(c(ts, "src/upgrade.ts", ""), Some(RunContext::Migration));
    assert_eq!(
        c(py, "app/core/auth/upgrade.py", ""),
        Some(RunContext::Migration)
    );
    assert_eq!(c(py, "app/core/upgrade_plan.py", ""), None);
    // background work by folder
    let job = "class _TempFilesCleanerType(JobType):\n    def _execute(self, job):\n        pass\n";
    assert_eq!(
        c(py, "crm/core/crm_jobs/temp_files_cleaner.py", job),
        Some(RunContext::Background)
    );
    // a job board's `saved_jobs/` declares no job class
    assert_eq!(
        c(
            py,
            "board/saved_jobs/services.py",
            "def saved(user):\n    pass\n"
        ),
        None
    );
    assert_eq!(
        c(py, "server/background/scheduled/gateways.py", ""),
        Some(RunContext::Background)
    );
    assert_eq!(c(py, "app/jobs_board/listing.py", ""), None);
    // a module of click or Typer commands, unless it also declares routes
    let click = "import click\n\n@click.group()\ndef cli():\n    pass\n\n@cli.command()\n@click.argument(\"path\")\ndef attach(path):\n    pass\n";
    assert_eq!(
        c(py, "app/harvest/commands.py", click),
        Some(RunContext::Script)
    );
    let typer = "import typer\napp = typer.Typer()\n\n@app.command()\ndef sync():\n    pass\n";
    assert_eq!(c(py, "app/manage.py", typer), Some(RunContext::Script));
    let flask = format!("{click}\n@app.route(\"/items\")\ndef items():\n    pass\n");
    assert_eq!(c(py, "app/app.py", &flask), None);
    let imported_only = "import click\n\ndef echo(msg):\n    click.echo(msg)\n";
    assert_eq!(c(py, "app/output.py", imported_only), None);
    // a module that serves requests as well: Flask's per-request database helpers beside an
    // `init-db` command, an application factory with a command and request hooks, a FastAPI
    // application with a middleware
    let flaskr = "import click\nfrom flask import current_app, g\n\ndef get_db():\n    return g.db\n\n@click.command(\"init-db\")\ndef init_db_command():\n    pass\n";
    assert_eq!(c(py, "flaskr/db.py", flaskr), None);
    let factory = "import click\n\ndef create_app(app):\n    @app.cli.command()\n    def seed():\n        pass\n\n    @app.before_request\n    def load_user():\n        pass\n";
    assert_eq!(c(py, "app/__init__.py", factory), None);
    let fastapi = "import typer\ncli = typer.Typer()\n\n@cli.command()\ndef serve():\n    pass\n\n@app.middleware(\"http\")\nasync def timing(request, call_next):\n    pass\n";
    assert_eq!(c(py, "svc/main.py", fastapi), None);
    let clickhouse = "import clickhouse_driver\n\n@cli.command()\ndef load():\n    pass\n";
    assert_eq!(c(py, "svc/load.py", clickhouse), None);
}

#[test]
fn a_plan_upgrade_page_or_route_is_no_migration() {
    let c = |lang, p: &str, t: &str| of_file(lang, p, t).map(|v| v.0);
    let py = Language::Python;
    let js = Language::JavaScript;
    let routes = "@router.post(\"/upgrade\")\ndef upgrade(plan):\n    pass\n";
    assert_eq!(
        c(py, "billing/api/upgrade.py", routes),
        Some(RunContext::Request)
    );
    assert_eq!(c(py, "billing/upgrade.py", routes), None);
    assert_eq!(
        c(js, "src/routes/upgrade.js", ""),
        Some(RunContext::Request)
    );
    let express = "router.post('/upgrade', async (req, res) => {});\n";
    assert_eq!(c(js, "src/upgrade.js", express), None);
    assert_eq!(c(Language::Tsx, "src/components/Upgrade.tsx", ""), None);
    assert_eq!(c(Language::TypeScript, "src/pages/upgrade.ts", ""), None);
    // a front end's `components/background/` is no background work
    assert_eq!(
        c(
            Language::TypeScript,
            "src/components/background/index.ts",
            ""
        ),
        None
    );
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

#[test]
fn a_schema_upgrade_registered_by_a_decorator_is_a_migration() {
    let py = Language::Python;
    let flexget = "@db_schema.upgrade('backlog')\ndef upgrade(ver, session):\n    for row in session.execute(q):\n        session.execute(u(row))\n";
    assert_eq!(
        context_at(py, flexget, "session.execute(u"),
        Some(RunContext::Migration)
    );
    let bare = "@migration(2)\ndef to_v2(db):\n    for r in db.rows():\n        db.save(r)\n";
    assert_eq!(context_at(py, bare, "db.save"), Some(RunContext::Migration));
    // a route or a plain function that mentions upgrades is not
    let view =
        "@app.post('/upgrade')\ndef upgrade_plan(request):\n    billing.charge(request.user)\n";
    assert_eq!(context_at(py, view, "billing"), Some(RunContext::Request));
    let helper = "@cached\ndef upgrades_available(ver):\n    return fetch(ver)\n";
    assert_ne!(context_at(py, helper, "fetch"), Some(RunContext::Migration));
}
