//! Tests of the engine over small sources, of rule-file errors, and of every built-in rule
//! against its `rule-tests/<lang>/<id>.yaml` cases.

use super::*;
use crate::rule::Source;

/// Findings of `rules` (YAML text) on `code` in `lang`.
fn run(rules_yaml: &str, lang: Language, code: &str) -> Vec<Finding> {
    let mut sources = vec![Source {
        path: "test.yaml".into(),
        text: rules_yaml.into(),
    }];
    sources.extend(builtin_sources(false));
    let rules = rule::load(&sources).unwrap_or_else(|e| panic!("{e}"));
    findings_of(&rules, lang, code)
}

/// Findings of the built-in rule `rule` on `code` in `lang`, read as a scan of one file reads
/// them with every built-in rule.
pub(crate) fn builtin_findings(rule: &str, lang: Language, code: &str) -> Vec<Finding> {
    findings_of(&builtin_rules(), lang, code)
        .into_iter()
        .filter(|f| f.rule_id == rule)
        .collect()
}

fn findings_of(rules: &[Rule], lang: Language, code: &str) -> Vec<Finding> {
    let engine = engine::Engine::new(rules, &[lang]);
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang.grammar()).unwrap();
    let mut r = engine.scan(
        lang,
        &mut parser,
        "snippet",
        code,
        None,
        routes::Wanted::default(),
        engine::Project::Unknown,
    );
    // the list views of the snippet decide its serializer findings, as in a scan
    let views = crate::drf::list_views("snippet", code);
    crate::drf::keep_unloaded(&mut r.findings, &mut r.classes, &views, &|_| {
        Some(code.to_string())
    });
    // and its models the relations its loops read
    let models = crate::relations::declared(code);
    crate::relations::keep_unloaded(&mut r.findings, &mut r.classes, [&models], &|_| {
        Some(code.to_string())
    });
    crate::relations::admin::keep_unloaded(&mut r.findings, &mut r.classes, [&models], &|_| {
        Some(code.to_string())
    });
    r.findings
}

#[test]
fn patterns_match_structurally_with_metavariables() {
    let rule = r#"
id: t
language: python
message: "add $A"
rule: { pattern: "$A + $A" }
"#;
    let f = run(
        rule,
        Language::Python,
        "x = a + a\ny = a + b\nz = (f(1)) + f(1)\n",
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].line, f[0].column), (1, 5));
    assert_eq!(f[0].message, "add a");
    assert_eq!(f[0].snippet, "a + a");

    let rule = r#"
id: t
language: javascript
message: m
rule: { pattern: "foo($A, $$$REST)" }
"#;
    let f = run(
        rule,
        Language::JavaScript,
        "foo(1);\nfoo(1, 2, 3);\nfoo();\nbar(1);\n",
    );
    assert_eq!(
        f.iter().map(|f| f.line).collect::<Vec<_>>(),
        [1, 2],
        "{f:?}"
    );
}

#[test]
fn comments_and_whitespace_do_not_matter() {
    let rule = "id: t\nlanguage: go\nmessage: m\nrule: { pattern: 'regexp.MustCompile($P)' }\n";
    let f = run(
        rule,
        Language::Go,
        "package p\nvar r = regexp.MustCompile( /* c */ `a+` )\n",
    );
    assert_eq!(f.len(), 1, "{f:?}");
}

#[test]
fn inside_with_field_stop_by_and_context() {
    let rule = r#"
id: t
language: python
message: m
context: loop
rule:
  pattern: $F()
  inside:
    kind: for_statement
    field: body
    stopBy: { kind: function_definition }
"#;
    let code =
        "def outer():\n    for x in g():\n        h()\n        def inner():\n            k()\n";
    let f = run(rule, Language::Python, code);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].snippet, "h()");
    assert_eq!(f[0].function.as_deref(), Some("outer"));
    let c = f[0].context.as_ref().unwrap();
    assert_eq!(
        (c.kind.as_str(), c.line, c.text.as_str()),
        ("loop", 2, "for x in g():")
    );
}

#[test]
fn has_not_any_and_constraints() {
    let rule = r#"
id: t
language: python
message: m
rule:
  kind: function_definition
  has:
    stopBy: end
    pattern: time.sleep($S)
  not:
    has: { stopBy: end, pattern: print($$$) }
constraints:
  S: { kind: integer }
"#;
    let code = "def a():\n    time.sleep(1)\ndef b():\n    time.sleep(x)\ndef c():\n    time.sleep(2)\n    print()\n";
    let f = run(rule, Language::Python, code);
    assert_eq!(f.iter().map(|f| f.line).collect::<Vec<_>>(), [1], "{f:?}");
}

#[test]
fn metavariables_are_shared_across_relations() {
    // `$S += ...` where S was initialised from a string in the same function
    let rule = r#"
id: t
language: python
message: "concat $S"
rule:
  pattern: $S += $X
  inside:
    kind: function_definition
    stopBy: end
    has: { stopBy: end, pattern: "$S = $V" }
constraints:
  V: { kind: string }
"#;
    let code =
        "def f(xs):\n    s = ''\n    n = 0\n    for x in xs:\n        s += x\n        n += 1\n";
    let f = run(rule, Language::Python, code);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].message, "concat s");
}

#[test]
fn enclosing_function_names() {
    let rule = "id: t\nlanguage: [javascript, typescript]\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "const load = async () => { q(); };\nclass A { run() { q(); } }\nfunction named() { [1].map(() => q()); }\n";
    let f = run(rule, Language::JavaScript, code);
    let names: Vec<_> = f.iter().map(|f| f.function.clone()).collect();
    assert_eq!(
        names,
        [
            Some("load".into()),
            Some("run".into()),
            Some("named".into())
        ],
        "{f:?}"
    );
    let f = run(
        rule,
        Language::TypeScript,
        "function t(a: number): void { q(); }\n",
    );
    assert_eq!(f[0].function.as_deref(), Some("t"));
}

#[test]
fn start_up_hooks_are_one_off() {
    let js = "id: t\nlanguage: javascript\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "class Bus { async initialize() { q(); }\n async handle(m) { q(); } }\n";
    let f = run(js, Language::JavaScript, code);
    let rc: Vec<_> = f.iter().map(|f| f.run_context).collect();
    assert_eq!(rc, [RunContext::Startup, RunContext::Unknown], "{f:?}");
    assert!(RunContext::Startup.is_one_off());
    let py = "id: t\nlanguage: python\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "class LangConfig(AppConfig):\n    def ready(self):\n        q()\n\n@app.on_event(\"startup\")\nasync def warm():\n    q()\n";
    let f = run(py, Language::Python, code);
    assert!(
        f.iter().all(|f| f.run_context == RunContext::Startup),
        "{f:?}"
    );
    assert_eq!(f.len(), 2);
    // a Home Assistant integration's set-up and unload hooks; its service handlers are not
    let ha = "async def async_setup_entry(hass, entry):\n    q()\n\nasync def async_unload_entry(hass, entry):\n    q()\n\nasync def async_handle_refresh(call):\n    q()\n";
    let rc: Vec<_> = run(py, Language::Python, ha)
        .iter()
        .map(|f| f.run_context)
        .collect();
    assert_eq!(
        rc,
        [
            RunContext::Startup,
            RunContext::Startup,
            RunContext::Unknown
        ]
    );
}

#[test]
fn functions_named_as_data_migrations_are_one_off() {
    let py = "id: t\nlanguage: python\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "async def migrate_passwords_to_scrypt():\n    q()\n\nasync def rotate_credentials_master_key(new_key):\n    q()\n\ndef _user_table_migration():\n    q()\n\nasync def migrated_count():\n    q()\n\nasync def rotate_logs():\n    q()\n";
    let f = run(py, Language::Python, code);
    let rc: Vec<_> = f.iter().map(|f| f.run_context).collect();
    let m = RunContext::Migration;
    let u = RunContext::Unknown;
    assert_eq!(rc, [m, m, m, u, u], "{f:?}");
    let js = "id: t\nlanguage: javascript\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "class Keys { async rotateEncryptionKey(k) { q(); }\n async backfillUsers() { q(); }\n async migrations() { q(); }\n async rotateApiKey(u) { q(); }\n async getMigration(id) { q(); }\n async migrateCart(req, res) { q(); } }\n";
    let f = run(js, Language::JavaScript, code);
    let rc: Vec<_> = f.iter().map(|f| f.run_context).collect();
    assert_eq!(rc, [m, m, u, u, u, RunContext::Request], "{f:?}");
    let code = "def needs_migration(x):\n    q()\n\ndef migrate_cart(request):\n    q()\n";
    let rc: Vec<_> = run(py, Language::Python, code)
        .iter()
        .map(|f| f.run_context)
        .collect();
    assert_eq!(rc, [u, RunContext::Request]);
}

#[test]
fn functions_named_as_synchronisations_are_background_work() {
    let py = "id: t\nlanguage: python\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "class Backend:\n    def pull_images(self):\n        q()\n\n    def _sync_users(self):\n        def save(row):\n            q()\n\n    def resync(self):\n        q()\n\n    def pullout(self):\n        q()\n\n    def sync_contacts(self, request):\n        q()\n\n    def pull_request_merged(self):\n        q()\n\n    def sync_wrapper(self):\n        q()\n\n\nclass OrgView(View):\n    def _sync_permissions(self):\n        q()\n\n\nclass TestSync(TestCase):\n    def sync_fixtures(self):\n        q()\n\n\n@router.post('/pull')\nasync def pull():\n    q()\n";
    let f = run(py, Language::Python, code);
    let rc: Vec<_> = f.iter().map(|f| f.run_context).collect();
    let (bg, u, r) = (
        RunContext::Background,
        RunContext::Unknown,
        RunContext::Request,
    );
    assert_eq!(rc, [bg, bg, bg, u, r, u, u, r, RunContext::Test, r]);
    assert_eq!(
        f[1].run_context_reason,
        "`_sync_users` synchronises with another system, by its name"
    );
    let js = "id: t\nlanguage: javascript\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "class Sync { async syncConnectedPayouts() { q(); }\n async reconcileLeases() { q(); }\n async pollJobs() { q(); }\n async pullRequestMerged(pr) { q(); }\n async syncHandler(req, res) { q(); }\n async synchronized() { q(); }\n syncWrapper(f) { q(); } }\n";
    let rc: Vec<_> = run(js, Language::JavaScript, code)
        .iter()
        .map(|f| f.run_context)
        .collect();
    assert_eq!(rc, [bg, bg, bg, u, r, u, u]);
}

#[test]
fn functions_handed_to_a_scheduler_are_background_work() {
    let py = "id: t\nlanguage: python\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "class ExpiryHandler:\n    def __init__(self, hs):\n        hs.clock.looping_call(self._send_mails, 30 * 60 * 1000)\n        hs.run_as_background_process(\"prune\", self._prune, 1)\n        threading.Thread(target=worker_loop).start()\n        self.later(lambda: self._serve(1))\n\n    async def _send_mails(self):\n        q()\n\n    async def _prune(self):\n        q()\n\n    async def _serve(self):\n        q()\n\n\ndef worker_loop():\n    q()\n\n\n@wrap_as_background_process(\"censor\")\nasync def censor():\n    q()\n";
    let f = run(py, Language::Python, code);
    let rc: Vec<_> = f
        .iter()
        .map(|f| (f.function.clone().unwrap_or_default(), f.run_context))
        .collect();
    let bg = RunContext::Background;
    assert_eq!(
        rc,
        [
            ("_send_mails".to_string(), bg),
            ("_prune".to_string(), bg),
            // called, not handed over: the class decides
            ("_serve".to_string(), RunContext::Request),
            ("worker_loop".to_string(), bg),
            ("censor".to_string(), bg),
        ],
        "{f:?}"
    );
    // a `(` in a string does not stretch a call's arguments over the rest of the file; the
    // `schedule` library's chain; a class named Timer is not a call
    let code = "threading.Thread(target=run, args=(\"(\",)).start()\n\ndef cleanup():\n    q()\n\natexit.register(cleanup)\nschedule.every().day.at(\"10:30\").do(job)\n\ndef job():\n    q()\n\nclass Timer(Base):\n    pass\n\ndef Base():\n    q()\n";
    let rc: Vec<_> = run(py, Language::Python, code)
        .iter()
        .map(|f| (f.function.clone().unwrap_or_default(), f.run_context))
        .collect();
    assert_eq!(
        rc,
        [
            ("cleanup".to_string(), RunContext::Unknown),
            ("job".to_string(), bg),
            ("Base".to_string(), RunContext::Unknown),
        ]
    );
    let js = "id: t\nlanguage: javascript\nmessage: m\nrule: { pattern: 'q()' }\n";
    let code = "setInterval(async () => { q(); }, 60000);\ncron.schedule('0 * * * *', async () => { q(); });\nrouter.get('/x', async (req, res) => { q(); });\n";
    let rc: Vec<_> = run(js, Language::JavaScript, code)
        .iter()
        .map(|f| f.run_context)
        .collect();
    assert_eq!(rc, [bg, bg, RunContext::Request]);
}

#[test]
fn loops_in_a_hook_of_one_write_are_not_sized_by_their_names() {
    let js = "id: t\nlanguage: [javascript, typescript]\nmessage: m\nper-item: true\nrule:\n  pattern: q($X)\n  inside: { kind: for_in_statement, stopBy: end }\n";
    let code = "class S {\n  async onBeforeDelete(deleteBy) {\n    const items = await this.findBy(deleteBy.query);\n    for (const item of items) { q(item); }\n  }\n  async purge(users) {\n    for (const user of users) { q(user); }\n  }\n}\n";
    let f = run(js, Language::TypeScript, code);
    let sizes: Vec<_> = f
        .iter()
        .map(|f| f.context.as_ref().and_then(|c| c.size))
        .collect();
    assert_eq!(
        sizes,
        [
            Some(crate::size::LoopSize::Unknown),
            Some(crate::size::LoopSize::Data)
        ],
        "{f:?}"
    );
    assert_eq!(f[0].confidence, Confidence::Low);
    // the hook holds for a loop nested in its loop over data too
    let code = "class S {\n  async onBeforeDelete(q2) {\n    for (const user of users) { for (const r of user.roles) { q(r); } }\n  }\n}\n";
    let f = run(js, Language::TypeScript, code);
    assert_eq!(
        f[0].context.as_ref().and_then(|c| c.size),
        Some(crate::size::LoopSize::Unknown)
    );
}

#[test]
fn a_loop_inside_a_loop_over_data_is_sized_by_it() {
    let py = "id: t\nlanguage: python\nmessage: m\nper-item: true\nrule:\n  pattern: q($X)\n  inside: { kind: for_statement, stopBy: end }\n";
    let code = "def f(users, f):\n    for user in users:\n        for order in user.orders.all():\n            q(order)\n    for row in DictReader(f):\n        q(row)\n";
    let sizes: Vec<_> = run(py, Language::Python, code)
        .iter()
        .map(|f| f.context.as_ref().and_then(|c| c.size))
        .collect();
    assert_eq!(
        sizes,
        [
            Some(crate::size::LoopSize::Data),
            Some(crate::size::LoopSize::Data)
        ]
    );
}

#[test]
fn a_loop_over_a_query_s_rows_is_data_unless_part_of_one_parent() {
    let rule = |rows: &str| {
        format!("id: t\nlanguage: python\nmessage: m\nper-item: true\n{rows}rule:\n  pattern: q($X)\n  inside: {{ kind: for_statement, stopBy: end }}\n")
    };
    let code = "def f(org, n):\n    qs = Project.objects.filter(active=True)\n    for p in qs:\n        q(p)\n    for d in Demand.objects.filter(demander=org):\n        q(d)\n    for c in candidates:\n        q(c)\n    for env in Env.objects.all():\n        q(env)\n";
    let sized = |rows: &str| -> Vec<_> {
        run(&rule(rows), Language::Python, code)
            .iter()
            .map(|f| f.context.as_ref().map(|c| (c.size, c.size_name.clone())))
            .collect()
    };
    use crate::size::LoopSize::{Data, Unknown};
    assert_eq!(
        sized("walks-rows: true\n"),
        [
            Some((Some(Data), Some("qs".to_string()))),
            // the rows of one parent: of unknown size
            Some((Some(Unknown), None)),
            // the rule vouches that its loops walk rows, whatever they are called
            Some((Some(Data), Some("candidates".to_string()))),
        ]
    );
    // without it, names alone tell (and environments are a handful either way)
    assert_eq!(
        sized(""),
        [
            Some((Some(Unknown), None)),
            Some((Some(Unknown), None)),
            Some((Some(Unknown), None)),
        ]
    );
    // the rows of one parent as last assigned to the name, and a handful by name inside a loop
    // of unknown size, stay of unknown size; a table's rows by its class
    let more = "def g(order, projects_qs):\n    qs = Ticket.objects.filter(order=order)\n    for t in qs:\n        q(t)\n    for p in projects_qs:\n        for t in TaskType.objects.all():\n            q(t)\n    for x in Project.objects.filter(active=True).iterator():\n        q(x)\n";
    let f = run(&rule("walks-rows: true\n"), Language::Python, more);
    let got: Vec<_> = f
        .iter()
        .map(|f| f.context.as_ref().map(|c| (c.size, c.size_name.clone())))
        .collect();
    assert_eq!(
        got,
        [
            Some((Some(Unknown), None)),
            Some((Some(Unknown), None)),
            Some((Some(Data), Some("Project".to_string()))),
        ]
    );
    // a hook of one write walks the rows of that write, whatever the rule says
    let hook = "def after_update(self, qs):\n    for p in qs:\n        q(p)\n";
    let f = run(&rule("walks-rows: true\n"), Language::Python, hook);
    assert_eq!(f[0].context.as_ref().and_then(|c| c.size), Some(Unknown));
    let e = load_err(&rule("walks-rows: true\n").replace("per-item: true\n", ""));
    assert!(e.to_string().contains("needs `per-item: true`"), "{e}");
}

#[test]
fn rule_regexes_are_ascii_unless_asked_for_unicode() {
    let rule = |re: &str| {
        format!(
            "id: t\nlanguage: python\nmessage: m\nrule: {{ kind: identifier, regex: '{re}' }}\n"
        )
    };
    let code = "größe = 1\nsize = 2\n";
    let lines = |re: &str| -> Vec<u32> {
        run(&rule(re), Language::Python, code)
            .iter()
            .map(|f| f.line)
            .collect()
    };
    assert_eq!(lines(r"^\w+$"), [2], "\\w is ASCII");
    assert_eq!(lines(r"^(?u:\w)+$"), [1, 2], "(?u:\\w) is Unicode");
    assert_eq!(lines("(?i)^SIZE$"), [2]);
}

#[test]
fn with_languages_named_only_their_built_in_rules_are_compiled_and_the_same_ones() {
    let ids = |languages: Vec<Language>| -> Vec<String> {
        let mut v: Vec<String> = select_rules(&ScanOptions {
            languages,
            ..ScanOptions::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
        v.sort();
        v
    };
    let all = ids(Vec::new());
    for langs in [
        vec![Language::Python],
        vec![Language::TypeScript],
        vec![Language::Go, Language::Rust],
    ] {
        let want: Vec<String> = select_rules(&ScanOptions::default())
            .unwrap()
            .into_iter()
            .filter(|r| r.languages.iter().any(|l| langs.contains(l)))
            .map(|r| r.id)
            .collect();
        let mut want = want;
        want.sort();
        assert!(!want.is_empty() && want.len() < all.len());
        assert_eq!(ids(langs.clone()), want, "{langs:?}");
    }
    assert!(builtin_covers(
        "<builtin>/javascript/x.yaml",
        &[Language::Tsx]
    ));
    assert!(!builtin_covers(
        "<builtin>/python/x.yaml",
        &[Language::JavaScript]
    ));
}

#[test]
fn rules_off_by_default_run_only_when_asked_for() {
    let ids = |all_rules: bool| -> Vec<String> {
        select_rules(&ScanOptions {
            all_rules,
            ..ScanOptions::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
    };
    let default = ids(false);
    let all = ids(true);
    for off in ["py-string-concat-in-loop", "js-blocking-call-in-async"] {
        assert!(!default.iter().any(|i| i == off), "{off} runs by default");
        assert!(all.iter().any(|i| i == off), "{off} missing with all_rules");
    }
    assert!(default.iter().any(|i| i == "py-n-plus-one-query"));
    let yaml = "id: t\nlanguage: python\nenabled: false\nmessage: m\nrule: { pattern: 'q()' }\n";
    let r = rule::load(&[Source {
        path: "t.yaml".into(),
        text: yaml.into(),
    }])
    .unwrap();
    assert!(!r[0].enabled);
}

fn load_err(yaml: &str) -> RuleError {
    let sources = [Source {
        path: "bad.yaml".into(),
        text: yaml.into(),
    }];
    rule::load(&sources).expect_err("an error")
}

#[test]
fn a_graphql_resolver_with_several_queries_is_one_finding() {
    let rules = builtin_rules();
    let code = "export const Product = {\n  async media(product, _, { modules }) {\n    const a = await modules.products.media.findA({ id: product._id });\n    const b = await modules.products.media.findB({ id: product._id });\n    return [a, b];\n  },\n};\n";
    let lines: Vec<u32> = findings_of(&rules, Language::JavaScript, code)
        .into_iter()
        .filter(|f| f.rule_id == "js-query-per-graphql-field")
        .map(|f| f.line)
        .collect();
    assert_eq!(
        lines,
        vec![3],
        "one finding for the resolver, at its first query"
    );
}

#[test]
fn follows_walks_back_over_siblings_until_stop_by() {
    // a TypeScript method whose decorators sit before it in the class body
    let rule = r#"
id: t
language: typescript
message: "field resolver"
rule:
  kind: method_definition
  follows:
    kind: decorator
    regex: "^@ResolveField"
    stopBy: { not: { kind: decorator } }
"#;
    let code = "class R {\n  @ResolveField()\n  @UseGuards(G)\n  a() {}\n  @Query()\n  b() {}\n  c() {}\n}\n";
    let lines: Vec<u32> = run(rule, Language::TypeScript, code)
        .iter()
        .map(|f| f.line)
        .collect();
    assert_eq!(
        lines,
        vec![4],
        "only `a` follows @ResolveField within its decorators"
    );
    // neighbor (the default): only the previous sibling is tested
    let near = rule.replace("    stopBy: { not: { kind: decorator } }\n", "");
    assert!(run(&near, Language::TypeScript, code).is_empty());
    let field = rule.replace("    stopBy:", "    field: body\n    stopBy:");
    let err = rule::load(&[Source {
        path: "t.yaml".into(),
        text: field,
    }])
    .expect_err("`field` in `follows` is an error")
    .to_string();
    assert!(err.contains("`follows` takes no `field`"), "{err}");
}

#[test]
fn rule_errors_point_at_file_line_column() {
    let e = load_err("id: t\nlanguage: python\nmessage: m\nrule:\n  patern: foo()\n");
    assert_eq!((e.line, e.column), (Some(5), Some(3)), "{e}");
    assert!(
        e.to_string()
            .starts_with("bad.yaml:5:3: rule: unknown field `patern`"),
        "{e}"
    );

    let e = load_err("id: t\nlanguage: python\nmessage: m\nrule:\n  kind: for_statment\n");
    assert_eq!((e.line, e.column), (Some(5), Some(9)), "{e}");
    assert!(e.message.contains("not a node kind"), "{e}");

    let e = load_err("id: t\nlanguage: cobol\nmessage: m\nrule: { kind: x }\n");
    assert_eq!(e.line, Some(2), "{e}");

    let e =
        load_err("id: t\nlanguage: python\nmessage: m\nseverity: fatal\nrule: { kind: call }\n");
    assert_eq!(e.line, Some(4), "{e}");

    let e = load_err("id: t\nlanguage: python\nmessage: m\nrule:\n  regex: '(unclosed'\n");
    assert_eq!(e.line, Some(5), "{e}");

    let e = load_err("id: t\nlanguage: python\nmessage: m\nrule:\n  pattern: 'def (:'\n");
    assert_eq!(e.line, Some(5), "{e}");
    assert!(e.message.contains("not valid python"), "{e}");

    let e = load_err("id: t\nlanguage: python\nmessage: m\nrule:\n  matches: nowhere\n");
    assert!(e.message.contains("no utility rule `nowhere`"), "{e}");

    let e = load_err("id: t\nlanguage: python\nmessage: m\nrule:\n  kind: call\n  stopBy: end\n");
    assert!(e.message.contains("belong inside"), "{e}");

    let e = load_err("id: t\nlanguage: python\nrule: { kind: call }\n");
    assert!(e.message.contains("missing `message`"), "{e}");

    let e = load_err("id: t\nlanguage: python\nmessage: m\nrule: { not: { kind: call } }\n");
    assert!(e.message.contains("positive key"), "{e}");

    let twice = "id: t\nlanguage: python\nmessage: m\nrule: { kind: call }\n---\nid: t\nlanguage: python\nmessage: m\nrule: { kind: call }\n";
    assert!(load_err(twice).message.contains("duplicate rule id"));
}

// ---------------------------------------------------------------------------------------------
// The built-in rules against their test cases.

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleTest {
    id: String,
    /// Languages to parse the snippets as (default: all of the rule's).
    #[serde(default)]
    language: Vec<String>,
    valid: Vec<String>,
    invalid: Vec<String>,
}

fn rule_tests() -> Vec<(std::path::PathBuf, RuleTest)> {
    fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("rule-tests"),
        &mut files,
    );
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let t: RuleTest =
                serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, t)
        })
        .collect()
}

#[test]
fn every_builtin_rule_passes_its_valid_and_invalid_cases() {
    let rules = builtin_rules();
    assert!(!rules.is_empty());
    let tests = rule_tests();
    let mut failures = Vec::new();
    for rule in &rules {
        let Some((path, t)) = tests.iter().find(|(_, t)| t.id == rule.id) else {
            failures.push(format!("{}: no rule-tests file", rule.id));
            continue;
        };
        if t.valid.len() < 2 || t.invalid.len() < 2 {
            failures.push(format!(
                "{}: needs at least 2 valid and 2 invalid cases",
                path.display()
            ));
        }
        let langs: Vec<Language> = if t.language.is_empty() {
            rule.languages.clone()
        } else {
            t.language
                .iter()
                .map(|l| Language::from_name(l).unwrap())
                .collect()
        };
        let one = std::slice::from_ref(rule);
        for lang in langs {
            for (i, code) in t.invalid.iter().enumerate() {
                let f = findings_of(one, lang, code);
                if f.is_empty() {
                    failures.push(format!(
                        "{} ({lang}): invalid[{i}] not flagged:\n{code}",
                        rule.id
                    ));
                }
            }
            for (i, code) in t.valid.iter().enumerate() {
                let f = findings_of(one, lang, code);
                if let Some(x) = f.first() {
                    failures.push(format!(
                        "{} ({lang}): valid[{i}] flagged at line {}: {}\n{code}",
                        rule.id, x.line, x.snippet
                    ));
                }
            }
        }
    }
    for (path, t) in &tests {
        if !rules.iter().any(|r| r.id == t.id) {
            failures.push(format!("{}: no built-in rule `{}`", path.display(), t.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn builtin_rules_have_unique_ids_and_a_test_per_language_folder() {
    let rules = builtin_rules();
    for r in &rules {
        assert!(
            !r.message.is_empty() && r.fix.is_some(),
            "{}: message and fix",
            r.id
        );
        let folder = r.source.split('/').nth(1).unwrap();
        assert!(
            r.languages.iter().any(|l| l.name() == folder
                || (folder == "javascript" && matches!(l, Language::TypeScript | Language::Tsx))),
            "{} is in rules/{folder}",
            r.id
        );
    }
}

/// The checked-in schema matches the report types. Regenerate with
/// `UPDATE_SCHEMA=1 cargo test -p perfhive-scan schema`.
#[test]
fn checked_in_schema_is_current() {
    let path = format!(
        "{}/../../schema/scan-report.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let generated = serde_json::to_string_pretty(&report::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "schema/scan-report.schema.json is out of date: run UPDATE_SCHEMA=1 cargo test -p perfhive-scan schema"
    );
}

/// The routes and SQL strings read from the nodes the engine's walk collects (where rules
/// match, and where none can) are those a walk of their own reads.
#[test]
fn the_engine_walk_collects_what_the_route_extractors_read() {
    let cases = [
        (Language::Python, "bp = Blueprint('b', __name__, url_prefix='/api')\n@bp.route('/o/<id>')\ndef o(id):\n    for x in xs:\n        db.execute(\"SELECT * FROM t WHERE id = %s\", x)\n"),
        (Language::JavaScript, "app.use('/api', r);\nr.get('/u/:id', async (req, res) => {\n  for (const u of us) { await db.query('SELECT * FROM u WHERE id = $1', [u]); }\n});\nconst A = class {};\n"),
        (Language::TypeScript, "@Controller('o')\nexport class O {\n  @Get(':id')\n  find(id: string) { return this.repo.findOne(id); }\n}\n"),
        (Language::Go, "package main\nfunc main() {\n\thttp.HandleFunc(\"GET /o/{id}\", getOrder)\n}\n"),
        (Language::Java, "@RequestMapping(\"/api\")\nclass C {\n  @GetMapping(\"/x/{id}\")\n  String x() { return \"\"; }\n}\n"),
    ];
    let builtin = builtin_rules();
    for (lang, code) in cases {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let wanted = routes::wanted(lang, code);
        let tree = parser.parse(code, None).unwrap();
        let alone = routes::extract(lang, "f", code, &tree, wanted);
        assert!(!alone.routes.is_empty(), "{code}");
        for rules in [&builtin[..], &[]] {
            let r = engine::Engine::new(rules, &[lang]).scan(
                lang,
                &mut parser,
                "f",
                code,
                None,
                wanted,
                engine::Project::Unknown,
            );
            assert!(r.parsed && r.extracted.routes == alone.routes, "{code}");
            assert_eq!(r.extracted.sql, alone.sql, "{code}");
        }
    }
}
