//! Tests of reachability: request entry points, one-off callers, migration signals.
use super::*;

#[test]
fn reach_follows_calls_from_request_files_two_hops() {
    let py = Language::Python;
    let files = vec![
        facts(
            py,
            "app/views.py",
            "def index(request):\n    return load_pages(request.user)\n",
            true,
            None,
        ),
        facts(
            py,
            "app/services.py",
            "def load_pages(user):\n    return fetch_rows(user)\n",
            false,
            None,
        ),
        facts(
            py,
            "app/db.py",
            "def fetch_rows(u):\n    pass\ndef unused_helper():\n    pass\n",
            false,
            None,
        ),
    ];
    let r = Reach::new(&files);
    assert_eq!(
        r.lookup(Some("load_pages"), None).unwrap().0,
        RunContext::Request
    );
    assert!(r
        .lookup(Some("fetch_rows"), None)
        .unwrap()
        .1
        .contains("another file"));
    assert!(r.lookup(Some("unused_helper"), None).is_none());
    assert!(r.lookup(Some("get"), None).is_none());
}

#[test]
fn the_caller_a_reason_names_does_not_depend_on_the_order_files_were_walked() {
    let py = Language::Python;
    let view = |file: &str| facts(py, file, "def v(request):\n    load_rows()\n", true, None);
    let mut files = vec![view("app/b_views.py"), view("app/a_views.py")];
    let first = Reach::new(&files).lookup(Some("load_rows"), None).unwrap();
    files.reverse();
    let second = Reach::new(&files).lookup(Some("load_rows"), None).unwrap();
    assert_eq!(first, second);
    assert!(first.1.ends_with("app/a_views.py"), "{}", first.1);
}

#[test]
fn code_called_only_from_one_off_files_or_migration_signals_is_one_off() {
    let py = Language::Python;
    let files = vec![
        facts(
            py,
            "app/migrations/0012_events.py",
            "def forwards(apps, schema_editor):\n    adjust_addon_events(apps)\n",
            false,
            Some(RunContext::Migration),
        ),
        facts(
            py,
            "app/utils.py",
            "def adjust_addon_events(apps):\n    pass\ndef shared_helper():\n    pass\n",
            false,
            None,
        ),
        facts(
            py,
            "app/management/commands/fix.py",
            "def handle():\n    shared_helper()\n",
            false,
            Some(RunContext::Command),
        ),
        facts(
            py,
            "app/views.py",
            "def index(request):\n    return shared_helper()\n",
            true,
            None,
        ),
        facts(
            py,
            "app/apps.py",
            "class A(AppConfig):\n    def ready(self):\n        post_migrate.connect(setup_lang, sender=self)\n\n@receiver(post_migrate)\ndef create_defaults(sender, **kw):\n    pass\n",
            false,
            None,
        ),
    ];
    let r = Reach::new(&files);
    // a method definition is not a call of itself; a call on a line of its own is
    let js = Language::JavaScript;
    let f = facts(
        js,
        "s.js",
        "class S {\n  async importWorkflows(ws, id) {\n    await this.save(ws);\n    helper(ws);\n  }\n}\n",
        false,
        None,
    );
    assert!(
        !f.calls.iter().any(|c| c == "importWorkflows"),
        "{:?}",
        f.calls
    );
    assert!(f.calls.iter().any(|c| c == "helper"));
    let f = facts(
        js,
        "t.js",
        "doWork(items, async () => {\n  x();\n});\n",
        false,
        None,
    );
    assert!(f.calls.iter().any(|c| c == "doWork"), "{:?}", f.calls);
    // text around calls may be any UTF-8
    let f = facts(
        py,
        "a.py",
        "x = \"—\" —(1)\n→ def  f(é) ✅ g(2)\n",
        false,
        None,
    );
    assert_eq!(f.calls, ["g"]);
    let v = r.one_off(Some("adjust_addon_events")).unwrap();
    assert_eq!(v.0, RunContext::Migration);
    assert!(v.1.contains("0012_events.py"), "{}", v.1);
    // also called from a view: not one-off
    assert!(r.one_off(Some("shared_helper")).is_none());
    assert_eq!(
        r.one_off(Some("setup_lang")).unwrap().0,
        RunContext::Migration
    );
    assert_eq!(
        r.one_off(Some("create_defaults")).unwrap().0,
        RunContext::Migration
    );
    assert!(r.one_off(Some("index")).is_none());
    // one-off files are not request entries, nor a second hop
    assert!(r.lookup(Some("adjust_addon_events"), None).is_none());
    let files = vec![
        facts(
            py,
            "app/views.py",
            "def index(request):\n    return run_import()\n",
            true,
            None,
        ),
        facts(
            py,
            "app/commands/importer.py",
            "def run_import():\n    import_rows()\n",
            false,
            Some(RunContext::Script),
        ),
        facts(
            py,
            "app/importing.py",
            "def import_rows():\n    pass\n",
            false,
            None,
        ),
    ];
    let r = Reach::new(&files);
    assert!(r.lookup(Some("import_rows"), None).is_none());
    assert_eq!(
        r.one_off(Some("import_rows")).unwrap().0,
        RunContext::Script
    );
}

#[test]
fn a_workflow_nodes_helpers_called_through_call_are_on_the_request_path() {
    let js = Language::JavaScript;
    let files = vec![
        facts(
            js,
            "nodes/Airtable/Airtable.node.js",
            "class Airtable {\n  async execute() {\n    const items = this.getInputData();\n    const rows = await downloadRecordAttachments.call(this, items);\n    return rows;\n  }\n}\n",
            false,
            None,
        ),
        facts(
            js,
            "nodes/Airtable/GenericFunctions.js",
            "async function downloadRecordAttachments(records) {\n  for (const r of records) { await this.helpers.request(r.url); }\n}\n",
            false,
            None,
        ),
    ];
    assert!(
        files[0].entry,
        "a file reading a workflow's input items serves it"
    );
    assert!(files[0]
        .calls
        .contains(&"downloadRecordAttachments".to_string()));
    let r = Reach::new(&files);
    assert_eq!(
        r.lookup(Some("downloadRecordAttachments"), None).unwrap().0,
        RunContext::Request
    );
}

#[test]
fn what_background_files_call_runs_in_background_one_call_deep() {
    let js = Language::JavaScript;
    let bg = |file: &str, text: &str| {
        let mut f = facts(js, file, text, false, None);
        f.background = true;
        f
    };
    let files = vec![
        bg(
            "src/handlers/transfers/handler.js",
            "const fulfil = async (error, messages) => {\n  await processFulfilMessage(messages)\n  await sharedLookup(1)\n}\n",
        ),
        facts(
            js,
            "src/domain/fulfil.js",
            "const processFulfilMessage = async (m) => {\n  await savePosition(m)\n}\n",
            false,
            None,
        ),
        facts(
            js,
            "src/api/routes.js",
            "router.get('/x', async (req, res) => res.json(await sharedLookup(2)))\n",
            true,
            None,
        ),
        // a background file defining a name the request side calls does not carry the
        // request path on to what it calls
        bg(
            "src/handlers/notify/handler.js",
            "const sharedLookup = async (id) => {\n  await sendNotification(id)\n}\n",
        ),
    ];
    let r = Reach::new(&files);
    let v = r.lookup(Some("processFulfilMessage"), None).unwrap();
    assert_eq!(v.0, RunContext::Background);
    assert!(
        v.1.contains("background work in src/handlers/transfers/handler.js"),
        "{}",
        v.1
    );
    // two calls away from background work: not claimed
    assert!(r.lookup(Some("savePosition"), None).is_none());
    // called from both: the request path wins
    assert_eq!(
        r.lookup(Some("sharedLookup"), None).unwrap().0,
        RunContext::Request
    );
    // what that background file calls is its own background work
    assert_eq!(
        r.lookup(Some("sendNotification"), None).unwrap().0,
        RunContext::Background
    );
}
