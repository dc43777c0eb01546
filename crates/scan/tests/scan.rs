//! `scan()` over a real temporary tree: the walker's skip rules, findings in several languages,
//! and every output format (JSON against the checked-in schema, SARIF against the official
//! SARIF 2.1.0 schema, Markdown, terminal).

use perfhive_scan::{scan, NoteKind, ScanOptions, ScanReport, Severity};
use serde_json::Value;
use std::path::Path;

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// A tree with findings in Python, JavaScript, Go, Java and Rust, plus files to skip.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "app/users.py",
        "def names(cursor, user_ids):\n    out = []\n    for uid in user_ids:\n        cursor.execute(\"SELECT name FROM users WHERE id = %s\", (uid,))\n        out.append(cursor.fetchone())\n    return out\n",
    );
    write(
        r,
        "web/load.js",
        "async function load(orderIds) {\n  for (const id of orderIds) {\n    await fetch(`/api/${id}`);\n    await sendReceipt(id);\n  }\n}\n",
    );
    write(
        r,
        "svc/main.go",
        "package main\n\nfunc f(lines []string) {\n\tfor _, l := range lines {\n\t\tregexp.MustCompile(`a+`).MatchString(l)\n\t}\n}\n",
    );
    write(
        r,
        "java/A.java",
        "class A {\n  String f(java.util.List<String> xs) {\n    String s = \"\";\n    for (String x : xs) { s += x; }\n    return s;\n  }\n}\n",
    );
    write(
        r,
        "src/lib.rs",
        "async fn handler() -> String {\n    std::fs::read_to_string(\"a.toml\").unwrap()\n}\n",
    );
    // ignored, binary, minified, broken, huge
    write(r, ".gitignore", "generated/\n");
    write(
        r,
        "generated/gen.py",
        "for i in x:\n    cursor.execute('SELECT 1')\n",
    );
    write(r, "bin/blob.py", b"cursor.execute\x00\x01\x02");
    write(
        r,
        "web/bundle.js",
        format!(
            "for(const a of b){{await fetch(a)}};{}\n",
            "var x=1;".repeat(1000)
        ),
    );
    write(
        r,
        "app/broken.py",
        "def f(cursor, user_ids):\n    for i in user_ids:\n        cursor.execute('SELECT 1')\n\nx = (1,\n",
    );
    write(
        r,
        "app/huge.py",
        format!("# {}\n", "x".repeat(3 * 1024 * 1024)),
    );
    dir
}

fn run(root: &Path) -> ScanReport {
    let opts = ScanOptions {
        paths: vec![root.to_path_buf()],
        threads: 2,
        ..ScanOptions::default()
    };
    scan(&opts).expect("scan runs")
}

fn validate(schema: &Value, instance: &Value) {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn finds_anti_patterns_and_skips_what_it_should() {
    let dir = tree();
    let report = run(dir.path());
    let rel = |f: &str| {
        f.strip_prefix(&dir.path().display().to_string())
            .unwrap_or(f)
            .trim_start_matches('/')
            .to_string()
    };
    let found: Vec<(String, String, u32)> = report
        .findings
        .iter()
        .map(|f| (rel(&f.file), f.rule_id.clone(), f.line))
        .collect();
    let expect = [
        ("app/users.py", "py-n-plus-one-query", 4),
        ("app/broken.py", "py-n-plus-one-query", 3),
        ("web/load.js", "js-await-in-loop", 4),
        ("web/load.js", "js-http-call-in-loop", 3),
        ("svc/main.go", "go-regexp-in-loop", 5),
        ("java/A.java", "java-string-concat-in-loop", 4),
        ("src/lib.rs", "rust-blocking-call-in-async", 2),
    ];
    for (file, rule, line) in expect {
        assert!(
            found
                .iter()
                .any(|(f, r, l)| f == file && r == rule && *l == line),
            "{file}:{line} {rule} missing from {found:#?}"
        );
    }
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    assert!(!found.iter().any(|(f, _, _)| f.starts_with("generated/")));

    let py = report
        .findings
        .iter()
        .find(|f| f.rule_id == "py-n-plus-one-query" && f.file.ends_with("users.py"))
        .unwrap();
    assert_eq!(py.function.as_deref(), Some("names"));
    assert_eq!(py.severity, Severity::High);
    let ctx = py.context.as_ref().unwrap();
    assert_eq!(
        (ctx.kind.as_str(), ctx.line, ctx.text.as_str()),
        ("loop", 3, "for uid in user_ids:")
    );
    assert_eq!(py.column, 9);
    assert!(py.snippet.starts_with("cursor.execute("));

    let note = |kind: NoteKind| {
        report
            .notes
            .iter()
            .find(|n| n.kind == kind)
            .map(|n| rel(&n.file))
            .unwrap_or_else(|| panic!("no {kind:?} note in {:#?}", report.notes))
    };
    assert_eq!(note(NoteKind::Binary), "bin/blob.py");
    assert_eq!(note(NoteKind::Minified), "web/bundle.js");
    assert_eq!(note(NoteKind::TooLarge), "app/huge.py");
    assert_eq!(note(NoteKind::ParseErrors), "app/broken.py");
    assert_eq!(report.summary.files_skipped, 3);
    assert_eq!(report.summary.files_with_syntax_errors, 1);
    assert_eq!(report.count_at_least(Severity::High), 4);
}

#[test]
fn json_report_matches_the_checked_in_schema() {
    let dir = tree();
    let report = run(dir.path());
    let mut buf = Vec::new();
    report.render_json(&mut buf).unwrap();
    let v: Value = serde_json::from_slice(&buf).unwrap();
    assert_eq!(v["schema_version"], perfhive_scan::SCHEMA_VERSION);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schema/scan-report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    validate(&schema, &v);
    let back: ScanReport = serde_json::from_value(v).unwrap();
    assert_eq!(back, report);
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let dir = tree();
    let report = run(dir.path());
    let mut buf = Vec::new();
    report.render_sarif(&mut buf).unwrap();
    let v: Value = serde_json::from_slice(&buf).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sarif-2.1.0-rtm.5.json"
        ))
        .unwrap(),
    )
    .unwrap();
    validate(&schema, &v);
    // the schema allows a lot; check what consumers rely on
    let run = &v["runs"][0];
    assert_eq!(v["version"], "2.1.0");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), report.rules.len());
    assert!(rules
        .iter()
        .all(|r| r["id"].is_string() && r["shortDescription"]["text"].is_string()));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    for (res, f) in results.iter().zip(&report.findings) {
        assert_eq!(res["ruleId"], f.rule_id.as_str());
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], f.rule_id.as_str());
        let level = res["level"].as_str().unwrap();
        assert_eq!(rules[i]["defaultConfiguration"]["level"], level);
        let region = &res["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], f.line);
        assert_eq!(region["startColumn"], f.column);
        assert!(region["snippet"]["text"].is_string());
    }
    let high = results
        .iter()
        .find(|r| {
            r["ruleId"] == "py-n-plus-one-query"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("users.py"))
        })
        .unwrap();
    assert_eq!(high["level"], "error");
    assert_eq!(high["locations"][0]["logicalLocations"][0]["name"], "names");
    assert!(!run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn relative_roots_give_relative_sarif_uris() {
    let dir = tree();
    let cwd = std::env::current_dir().unwrap();
    let rel = pathdiff(dir.path(), &cwd);
    let opts = ScanOptions {
        paths: vec![rel.clone()],
        ..ScanOptions::default()
    };
    let report = scan(&opts).unwrap();
    let v = report.sarif();
    let uri =
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"].clone();
    assert_eq!(uri["uriBaseId"], "%SRCROOT%", "{uri}");
    assert!(!uri["uri"].as_str().unwrap().starts_with('/'));
}

/// `target` relative to `base` through `..` segments.
fn pathdiff(target: &Path, base: &Path) -> std::path::PathBuf {
    let t: Vec<_> = target.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

#[test]
fn markdown_and_terminal_renderings() {
    let dir = tree();
    let report = run(dir.path());
    let mut md = Vec::new();
    report.render_markdown(&mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("| Severity | Confidence | Runs | Rule | Location | Function | Finding |"));
    assert!(md.contains("`py-n-plus-one-query`"), "{md}");
    assert!(md.contains("## Notes"));

    let mut plain = Vec::new();
    report.render_terminal(&mut plain, false).unwrap();
    let plain = String::from_utf8(plain).unwrap();
    assert!(!plain.contains('\x1b'));
    assert!(
        plain.contains("in names · loop at line 3: for uid in user_ids:"),
        "{plain}"
    );
    let mut color = Vec::new();
    report.render_terminal(&mut color, true).unwrap();
    assert!(String::from_utf8(color).unwrap().contains("\x1b[31;1mhigh"));
}

#[test]
fn user_rules_and_language_filter() {
    let dir = tree();
    let rules = tempfile::tempdir().unwrap();
    write(
        rules.path(),
        "python/no-print.yaml",
        "id: team-no-print\nlanguage: python\nseverity: low\nmessage: print in $F\nrule:\n  pattern: print($$$)\n  inside: { kind: function_definition, stopBy: end }\n",
    );
    write(dir.path(), "app/p.py", "def f():\n    print('x')\n");
    let opts = ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        rule_dirs: vec![rules.path().to_path_buf()],
        builtin: false,
        languages: vec![perfhive_scan::Language::Python],
        ..ScanOptions::default()
    };
    let report = scan(&opts).unwrap();
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["team-no-print"]);
    assert_eq!(report.rules.len(), 1);
    assert_eq!(report.findings[0].function.as_deref(), Some("f"));
}

/// Python nested 520 levels deep around a string: tree-sitter-python's scanner would assert
/// and abort the process. The file is skipped with a note; the rest of the tree is scanned.
#[test]
fn deeply_indented_python_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut deep = String::new();
    for i in 0..520 {
        deep.push_str(&" ".repeat(i));
        deep.push_str("if x:\n");
    }
    // a query in a loop at the deepest level, so the literal prefilter lets the file through
    deep.push_str(&" ".repeat(520));
    deep.push_str("for i in user_ids:\n");
    deep.push_str(&" ".repeat(524));
    deep.push_str("cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (i,))\n");
    write(dir.path(), "deep.py", &deep);
    write(
        dir.path(),
        "ok.py",
        "def f(cursor, user_ids):\n    for i in user_ids:\n        cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (i,))\n",
    );
    let report = run(dir.path());
    let note = report
        .notes
        .iter()
        .find(|n| n.file.ends_with("deep.py"))
        .expect("a note for deep.py");
    assert_eq!(note.kind, NoteKind::Unparsable);
    assert_eq!(report.summary.files_skipped, 1);
    assert_eq!(report.summary.files, 2);
    assert_eq!(report.findings.len(), 1);
    assert!(report.findings[0].file.ends_with("ok.py"));
}

/// The in-memory entry points the fuzz targets use: rules from one YAML text, a scan of one text.
#[test]
fn rules_from_text_and_scan_of_text() {
    let rules = perfhive_scan::rules_from_str(
        "mine.yaml",
        "id: t\nlanguage: python\nseverity: low\nmessage: m\nrule: { pattern: print($$$) }\n",
    )
    .unwrap();
    let (f, note) = perfhive_scan::scan_text(
        &rules,
        perfhive_scan::Language::Python,
        "app/x.py",
        "print(1)\n",
    );
    assert_eq!(f.len(), 1);
    assert!(note.is_none());
    let (none, _) = perfhive_scan::scan_text(
        &rules,
        perfhive_scan::Language::Go,
        "app/x.go",
        "package x\n",
    );
    assert!(none.is_empty());
    let e = perfhive_scan::rules_from_str("bad.yaml", "id: [")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.yaml"), "{e}");
}

/// Per-item rules: a loop over data is listed, a loop over a handful of things by nature is
/// not reported, and one whose names do not tell its size is counted, listed only when asked
/// for and then at low confidence.
#[test]
fn loops_are_sized_by_their_names() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "svc.py",
        "def a(cursor, orders):\n    for order in orders:\n        cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (order,))\n\
         \ndef b(cursor, environments):\n    for env in environments:\n        cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (env,))\n\
         \ndef c(cursor, candidates):\n    for c in candidates:\n        cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (c,))\n",
    );
    let opts = ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        ..ScanOptions::default()
    };
    let r = scan(&opts).unwrap();
    let lines: Vec<u32> = r.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, [3], "{:#?}", r.findings);
    let ctx = r.findings[0].context.as_ref().unwrap();
    assert_eq!(ctx.size, Some(perfhive_scan::LoopSize::Data));
    assert_eq!(ctx.size_name.as_deref(), Some("order"));
    assert_eq!(r.summary.findings_unsized_hidden, 1);
    // a rule of high confidence, so that the loop of unknown size is seen to lower it
    let mut rules = perfhive_scan::builtin_rules();
    for r in &mut rules {
        if r.id == "py-n-plus-one-query" {
            r.confidence = perfhive_scan::Confidence::High;
        }
    }
    let all = perfhive_scan::scan_with(
        &rules,
        &ScanOptions {
            include_unsized: true,
            ..opts
        },
    )
    .unwrap();
    let lines: Vec<(u32, perfhive_scan::Confidence)> = all
        .findings
        .iter()
        .map(|f| (f.line, f.confidence))
        .collect();
    assert_eq!(
        lines,
        [
            (3, perfhive_scan::Confidence::High),
            (11, perfhive_scan::Confidence::Low)
        ],
        "{:#?}",
        all.findings
    );
    assert_eq!(all.summary.findings_unsized_hidden, 0);
}

/// A function named as a synchronisation is background work only where nothing stronger
/// places it: in a request-handling file it serves requests.
#[test]
fn synchronisations_by_name_yield_to_the_file_that_serves_requests() {
    let dir = tempfile::tempdir().unwrap();
    let query = "        cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (order,))\n";
    let sync = format!("def sync_orders(cursor, orders):\n    for order in orders:\n{query}");
    write(dir.path(), "shop/views.py", &sync);
    write(dir.path(), "shop/backend.py", &sync);
    let r = scan(&ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        include_off_request: true,
        ..ScanOptions::default()
    })
    .unwrap();
    let mut contexts: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.file.rsplit('/').next().unwrap().to_string(),
                f.run_context,
            )
        })
        .collect();
    contexts.sort();
    assert_eq!(
        contexts,
        [
            (
                "backend.py".to_string(),
                perfhive_scan::RunContext::Background
            ),
            ("views.py".to_string(), perfhive_scan::RunContext::Request)
        ],
        "{:#?}",
        r.findings
    );
}

/// Code that serves requests: findings in its background jobs are counted, and listed when
/// asked for; code the scanner could not place is listed; a scan of code that serves no
/// request lists everything.
#[test]
fn findings_in_background_work_are_counted_when_the_code_serves_requests() {
    let dir = tempfile::tempdir().unwrap();
    let query = "        cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (order,))\n";
    write(
        dir.path(),
        "app.py",
        format!(
            "from flask import Flask\nfrom celery import shared_task\napp = Flask(__name__)\n\n@app.route(\"/orders\")\ndef orders_view():\n    for order in load_orders():\n{query}\
             \n@shared_task\ndef nightly_export(cursor, orders):\n    for order in orders:\n{query}\
             \ndef tally(cursor, orders):\n    for order in orders:\n{query}"
        ),
    );
    let opts = ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        ..ScanOptions::default()
    };
    let r = scan(&opts).unwrap();
    let functions: Vec<_> = r.findings.iter().map(|f| f.function.clone()).collect();
    assert_eq!(
        functions,
        [Some("orders_view".to_string()), Some("tally".to_string())],
        "{:#?}",
        r.findings
    );
    assert_eq!(
        r.findings[1].run_context,
        perfhive_scan::RunContext::Unknown
    );
    assert_eq!(r.summary.findings_off_request_hidden, 1);
    let all = scan(&ScanOptions {
        include_off_request: true,
        ..opts.clone()
    })
    .unwrap();
    assert_eq!(all.findings.len(), 3, "{:#?}", all.findings);
    // the same background function alone: no request-handling code, nothing held back
    let lib = tempfile::tempdir().unwrap();
    write(
        lib.path(),
        "export.py",
        format!("def nightly_export(cursor, orders):\n    for order in orders:\n{query}"),
    );
    let r = scan(&ScanOptions {
        paths: vec![lib.path().to_path_buf()],
        ..opts
    })
    .unwrap();
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    assert_eq!(r.summary.findings_off_request_hidden, 0);
}

/// A loop over a handful inside a loop over data runs per item of the data: listed.
#[test]
fn a_small_loop_inside_a_data_loop_is_sized_by_the_data() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "svc.py",
        "def a(cursor, orders, styles):\n    for order in orders:\n        for style in styles:\n            cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (style,))\n",
    );
    let r = scan(&ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        ..ScanOptions::default()
    })
    .unwrap();
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let ctx = r.findings[0].context.as_ref().unwrap();
    assert_eq!(ctx.size, Some(perfhive_scan::LoopSize::Data));
    assert_eq!(ctx.size_name.as_deref(), Some("order"));
}

/// A rule path that is a device, or a rule file past the size limit, is an error, read no
/// further than the limit.
#[test]
fn rule_files_are_read_with_a_size_limit() {
    let e = perfhive_scan::load_rules(Path::new("/dev/zero")).unwrap_err();
    assert!(
        e.to_string().contains("is a character device, not a file"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((16 << 20) + 1)
        .unwrap();
    let e = perfhive_scan::load_rules(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains("larger than the 16 MiB limit"),
        "{e}"
    );
}

#[test]
fn a_python_module_named_like_a_test_is_read_unless_it_holds_a_test() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let n_plus_one = "def names(cursor, user_ids):\n    out = []\n    for uid in user_ids:\n        cursor.execute(\"SELECT name FROM users WHERE id = %s\", (uid,))\n        out.append(cursor.fetchone())\n    return out\n";
    // the data layer of a test-results feature: application code
    write(r, "app/db/test_results.py", n_plus_one);
    // a test module, and a helper in a test folder
    write(
        r,
        "app/test_users.py",
        format!("{n_plus_one}\n\ndef test_names(cursor):\n    assert names(cursor, [1]) == []\n"),
    );
    write(r, "app/tests/helpers.py", n_plus_one);
    let report = run(r);
    let files: Vec<&str> = report.findings.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("app/db/test_results.py"), "{files:?}");
    assert_eq!(report.summary.files_test_skipped, 2);
}

/// A message consumer's handlers, and what they call, run per message in background work:
/// listed only when asked for in code that serves requests, whatever their folder says.
#[test]
fn a_message_consumer_is_background_work_wherever_it_is() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/handlers/transfers/handler.js",
        "const Consumer = require('./consumer')\n\
         const { processTransfers } = require('../../domain/transfers')\n\
         const onMessage = async (error, messages) => {\n  await processTransfers(messages)\n}\n\
         const register = async () => {\n  await Consumer.createHandler('topic-transfer', {}, onMessage)\n}\n\
         module.exports = { register }\n",
    );
    write(
        dir.path(),
        "src/domain/transfers.js",
        "const processTransfers = async (orders) => {\n  for (const order of orders) {\n    await positionService.updatePosition(order.id)\n  }\n}\n\
         module.exports = { processTransfers }\n",
    );
    write(
        dir.path(),
        "src/api/routes.js",
        "router.get('/accounts', async (req, res) => {\n  for (const account of req.body.accounts) {\n    await accountService.getBalance(account.id)\n  }\n})\n",
    );
    let opts = ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        ..ScanOptions::default()
    };
    let r = scan(&opts).unwrap();
    let listed: Vec<&str> = r.findings.iter().map(|f| f.file.as_str()).collect();
    assert!(
        listed.len() == 1 && listed[0].ends_with("src/api/routes.js"),
        "{:#?}",
        r.findings
    );
    assert_eq!(r.summary.findings_off_request_hidden, 1);
    let all = scan(&ScanOptions {
        include_off_request: true,
        ..opts
    })
    .unwrap();
    let f = all
        .findings
        .iter()
        .find(|f| f.file.ends_with("domain/transfers.js"))
        .expect("the consumer's per-transfer await");
    assert_eq!(f.run_context, perfhive_scan::RunContext::Background);
    assert!(
        f.run_context_reason
            .contains("`processTransfers` is called from background work in"),
        "{}",
        f.run_context_reason
    );
}

/// A relation read per row is judged by the models of the whole scanned tree: the model's
/// file declares the ForeignKey (on a base class), the view's file only reads it. Scanned
/// alone, the view's file does not show the relation, and nothing is reported.
#[test]
fn relations_read_per_row_are_judged_by_the_models_of_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "shop/models.py",
        "from django.db import models\n\n\nclass Owned(models.Model):\n    customer = models.ForeignKey(\"Customer\", on_delete=models.CASCADE)\n\n    class Meta:\n        abstract = True\n\n\nclass Order(Owned):\n    paid = models.BooleanField()\n",
    );
    write(
        r,
        "shop/views.py",
        "from .models import Order\n\n\ndef paid_orders(request):\n    orders = Order.objects.filter(paid=True)\n    rows = []\n    for order in orders:\n        rows.append((order.pk, order.customer.name, order.customer.email))\n    for order in orders.select_related(\"customer\"):\n        rows.append(order.customer.name)\n    return rows\n",
    );
    let report = run(r);
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "py-relation-per-row")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    let f = found[0];
    assert!(f.file.ends_with("shop/views.py"), "{}", f.file);
    assert_eq!((f.line, f.snippet.as_str()), (8, "order.customer"));
    assert_eq!(f.context.as_ref().map(|c| c.line), Some(7));

    let alone = run(&r.join("shop/views.py"));
    assert!(
        alone
            .findings
            .iter()
            .all(|f| f.rule_id != "py-relation-per-row"),
        "{:#?}",
        alone.findings
    );
}

/// A file that only the rules judged by other files' declarations may match (a relation read
/// per row, a field of a rendered serializer) is parsed after the walk, when every model and
/// list view is known, and only where its text could hold what they report: the findings are
/// those of a scan that parses every such file.
#[test]
fn files_waiting_for_the_projects_declarations_are_scanned_after_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "shop/tests/test_orders.py",
        "from shop.models import Order\n\n\ndef test_customers():\n    for order in Order.objects.all():\n        assert order.customer.name\n",
    );
    write(
        r,
        "shop/tests/test_paid.py",
        "from shop.models import Order\n\n\ndef test_paid():\n    orders = Order.objects.filter(paid=True)\n    for order in orders:\n        assert order.paid\n",
    );
    // a `perfhive: ignore` comment is judged by the rules' matches, as before: its file is
    // scanned in the walk, and the comment suppresses the read it stands on
    write(
        r,
        "shop/tests/test_quiet.py",
        "from shop.models import Order\n\n\ndef test_notes():\n    orders = Order.objects.all()\n    for order in orders:\n        print(order.note)  # perfhive: ignore[py-relation-per-row] -- fixture rows\n",
    );
    write(
        r,
        "shop/tests/test_fake.py",
        "from rest_framework import serializers\n\n\nclass FakeSerializer(serializers.ModelSerializer):\n    customer = CustomerSerializer(read_only=True)\n",
    );
    write(
        r,
        "shop/serializers.py",
        "from rest_framework import serializers\n\n\nclass OrderSerializer(serializers.ModelSerializer):\n    customer = CustomerSerializer(read_only=True)\n",
    );
    write(
        r,
        "shop/api.py",
        "from rest_framework import viewsets\nfrom .serializers import OrderSerializer\n\n\nclass OrderViewSet(viewsets.ModelViewSet):\n    queryset = Order.objects.all()\n    serializer_class = OrderSerializer\n",
    );
    write(
        r,
        "shop/models.py",
        "from django.db import models\n\n\nclass Order(models.Model):\n    customer = models.ForeignKey(\"Customer\", on_delete=models.CASCADE)\n    paid = models.BooleanField()\n",
    );
    let report = scan(&ScanOptions {
        paths: vec![r.to_path_buf()],
        threads: 2,
        include_tests: true,
        ..ScanOptions::default()
    })
    .expect("scan runs");
    let mut found: Vec<(String, &str, u32)> = report
        .findings
        .iter()
        .map(|f| {
            let file = f
                .file
                .rsplit("shop/")
                .next()
                .unwrap_or_default()
                .to_string();
            (file, f.rule_id.as_str(), f.line)
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "serializers.py".to_string(),
                "py-relation-per-serialized-row",
                5
            ),
            ("tests/test_orders.py".to_string(), "py-relation-per-row", 6),
        ],
        "{:#?}",
        report.findings
    );
    assert!(report.notes.is_empty(), "{:#?}", report.notes);
    // the two files that can hold neither finding are read but not parsed
    assert_eq!(report.summary.files, 7);
    assert_eq!(report.summary.files_parsed, 3, "{:#?}", report.summary);
}

/// Awaiting a helper of another module that only sleeps (a cooperative yield) is a sleep:
/// the loop's await of it is not reported, while its await of a helper doing I/O is, and a
/// loop awaiting both keeps only the I/O.
#[test]
fn awaits_of_an_imported_helper_that_only_sleeps_are_sleeps() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "app/utils.py",
        "import asyncio\n\n\nasync def cooperative_yield(i, every=64):\n    if i % every == 0:\n        await asyncio.sleep(0)\n\n\nasync def push_document(client, doc):\n    await asyncio.sleep(0)\n    return await client.post(\"/docs\", json=doc)\n",
    );
    write(
        r,
        "app/api/routes.py",
        "from ..utils import cooperative_yield, push_document\n\n\nasync def index_documents(request, documents, client):\n    for i, document in enumerate(documents):\n        await cooperative_yield(i)\n    for document in documents:\n        await cooperative_yield(0)\n        await push_document(client, document)\n",
    );
    let report = run(r);
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "py-await-in-loop")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        (found[0].line, found[0].snippet.as_str()),
        (9, "await push_document(client, document)")
    );
    assert!(found[0].statements.is_empty(), "{:#?}", found[0].statements);
}
