//! `perfhive scan`: findings in several languages from a real tree, the skip notes, every
//! output format, `--fail-on` exit codes and rule-file errors.

use crate::{perfhive, repo, tempdir};
use serde_json::Value;
use std::path::Path;

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn tree() -> std::path::PathBuf {
    let d = tempdir();
    write(
        &d,
        "app/orders.py",
        "def totals(cursor, users):\n    for u in users:\n        cursor.execute(\"SELECT total FROM orders WHERE user_id = %s\", (u,))\n",
    );
    write(
        &d,
        "web/sync.ts",
        "export async function sync(userIds: string[]) {\n  for (const id of userIds) {\n    await fetch(`/api/${id}`);\n    await sendReceipt(id);\n  }\n}\n",
    );
    write(
        &d,
        "svc/match.go",
        "package svc\n\nfunc f(xs []string) {\n\tfor _, x := range xs {\n\t\tregexp.MustCompile(\"a+\").MatchString(x)\n\t}\n}\n",
    );
    write(&d, ".gitignore", "vendor/\n");
    write(
        &d,
        "vendor/lib.py",
        "for u in us:\n    cursor.execute('SELECT 1')\n",
    );
    write(&d, "data/blob.py", b"\x00\x01cursor.execute");
    write(&d, "web/app.min.js", "for(const a of b){await fetch(a)}");
    // a syntax error in a file some rule could match (the literal prefilter lets it through)
    write(
        &d,
        "app/broken.py",
        "def f(:\n    for u in users:\n        cursor.execute(q)\n",
    );
    d
}

fn scan(args: &[&str]) -> std::process::Output {
    perfhive()
        .arg("scan")
        .args(args)
        .output()
        .expect("perfhive runs")
}

fn validate(schema_path: &str, v: &Value) {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo(schema_path)).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn json_report_has_findings_in_three_languages_and_skip_notes() {
    let _serial = crate::exclusive();
    let d = tree();
    let out = scan(&[d.to_str().unwrap(), "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    validate("schema/scan-report.schema.json", &v);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for r in [
        "py-n-plus-one-query",
        "js-await-in-loop",
        "js-http-call-in-loop",
        "go-regexp-in-loop",
    ] {
        assert!(rules.contains(&r), "{r} in {rules:?}");
    }
    assert!(
        !v["findings"].to_string().contains("vendor/"),
        "gitignored file scanned"
    );
    let py = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap_or("").ends_with("orders.py"))
        .expect("the finding in orders.py");
    assert_eq!(py["function"], "totals");
    assert_eq!(py["context"]["text"], "for u in users:");
    let notes: Vec<(String, String)> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["file"].as_str().unwrap().to_string(),
                n["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (file, kind) in [
        ("blob.py", "binary"),
        ("app.min.js", "minified"),
        ("broken.py", "parse_errors"),
    ] {
        assert!(
            notes.iter().any(|(f, k)| f.ends_with(file) && k == kind),
            "{file} {kind} in {notes:?}"
        );
    }
}

#[test]
fn sarif_to_a_file_is_valid_and_fail_on_sets_the_exit_code() {
    let _serial = crate::exclusive();
    let d = tree();
    let sarif = d.join("out.sarif");
    let out = scan(&[
        d.to_str().unwrap(),
        "--format",
        "sarif",
        "--out",
        sarif.to_str().unwrap(),
        "--fail-on",
        "high",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    validate("crates/scan/tests/fixtures/sarif-2.1.0-rtm.5.json", &v);
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "py-n-plus-one-query");

    // only the Go file: its finding is medium, below --fail-on high
    let go = d.join("svc");
    let out = scan(&[go.to_str().unwrap(), "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(0));
    let out = scan(&[go.to_str().unwrap(), "--fail-on", "medium"]);
    assert_eq!(out.status.code(), Some(1));
    // without --fail-on findings never fail the command
    assert_eq!(scan(&[d.to_str().unwrap()]).status.code(), Some(0));
}

/// A rule's confidence is its measured precision on held-out code: the report carries the
/// figures, and `--min-confidence` lists (and fails on) only what reaches the level asked for.
#[test]
fn min_confidence_lists_and_fails_on_what_reaches_it() {
    let _serial = crate::exclusive();
    let d = tree();
    let app = d.join("app/orders.py");
    let out = scan(&[app.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let rule = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "py-n-plus-one-query")
        .expect("the N+1 rule ran");
    let (labelled, worth) = (
        rule["held_out"]["labelled"].as_u64().unwrap(),
        rule["held_out"]["worth_changing"].as_u64().unwrap(),
    );
    assert!(labelled >= 10 && worth <= labelled, "{rule}");
    // the confidence the figures earn (high from 70%, medium from 40%)
    let earned = match worth * 10 {
        k if k >= 7 * labelled => "high",
        k if k >= 4 * labelled => "medium",
        _ => "low",
    };
    assert_eq!(rule["confidence"], earned);
    assert_eq!(v["findings"][0]["confidence"], earned);
    let text = String::from_utf8_lossy(&scan(&[app.to_str().unwrap()]).stdout).to_string();
    let phrase = format!(
        "py-n-plus-one-query {}% of {labelled}",
        worth * 100 / labelled
    );
    assert!(text.contains(&phrase), "{phrase} in {text}");
    let md =
        String::from_utf8_lossy(&scan(&[app.to_str().unwrap(), "--format", "markdown"]).stdout)
            .to_string();
    assert!(md.contains(&phrase), "{phrase} in {md}");

    // the N+1 finding is high severity: it fails `--fail-on high` unless held back
    let fail = |extra: &[&str]| {
        let mut args = vec![
            app.to_str().unwrap(),
            "--fail-on",
            "high",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = scan(&args);
        let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
        validate("schema/scan-report.schema.json", &v);
        (out.status.code(), v)
    };
    let (code, v) = fail(&[]);
    assert_eq!(code, Some(1));
    assert!(v["summary"].get("findings_low_confidence_hidden").is_none());
    let (code, v) = fail(&["--min-confidence", "high"]);
    if earned == "high" {
        assert_eq!(code, Some(1));
    } else {
        assert_eq!(code, Some(0), "{v}");
        assert_eq!(v["findings"].as_array().unwrap().len(), 0);
        assert_eq!(v["summary"]["findings_low_confidence_hidden"], 1);
        let out = scan(&[app.to_str().unwrap(), "--min-confidence", "high"]);
        let line = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            line.contains("1 finding below the confidence asked for not listed (--min-confidence)"),
            "{line}"
        );
    }
    let out = scan(&[app.to_str().unwrap(), "--min-confidence", "certain"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn markdown_and_terminal_output() {
    let _serial = crate::exclusive();
    let d = tree();
    let out = scan(&[
        d.to_str().unwrap(),
        "--format",
        "markdown",
        "--lang",
        "python",
    ]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains("| Severity | Confidence | Runs | Rule | Location | Function | Finding |"),
        "{md}"
    );
    assert!(md.contains("`py-n-plus-one-query`"));
    assert!(!md.contains("go-regexp-in-loop"), "--lang python");

    let out = scan(&[d.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "NO_COLOR is set by the harness");
    assert!(text.contains("orders.py"), "{text}");
    assert!(
        text.contains("in totals · loop at line 2: for u in users:"),
        "{text}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("note: ") && err.contains("binary"), "{err}");
}

#[test]
fn a_malformed_user_rule_is_an_input_error_with_its_location() {
    let _serial = crate::exclusive();
    let d = tree();
    let rules = tempdir();
    write(
        &rules,
        "bad.yaml",
        "id: bad\nlanguage: python\nmessage: m\nrule:\n  kind: call\n  insde: { kind: for_statement }\n",
    );
    let out = scan(&[d.to_str().unwrap(), "--rules", rules.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}:6:3: rule: unknown field `insde`",
        rules.join("bad.yaml").display()
    );
    assert!(err.contains(&expected), "{err}");

    let out = scan(&[d.join("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = scan(&["--no-builtin", d.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_rules_names_every_builtin_rule() {
    let _serial = crate::exclusive();
    let out = scan(&["--list-rules"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for lang in ["py-", "js-", "go-", "java-", "rust-"] {
        assert!(
            text.lines().any(|l| l.starts_with(lang)),
            "{lang} in {text}"
        );
    }
    // rules off by default are listed, and marked
    let line = text
        .lines()
        .find(|l| l.starts_with("py-string-concat-in-loop"))
        .unwrap_or_else(|| panic!("py-string-concat-in-loop in {text}"));
    assert!(line.ends_with("(off by default)"), "{line}");
    assert!(text
        .lines()
        .any(|l| l.starts_with("py-n-plus-one-query") && !l.contains("off by default")));
    // with what it did on held-out code, where measured
    let n1 = text
        .lines()
        .find(|l| l.starts_with("py-n-plus-one-query"))
        .unwrap();
    assert!(n1.contains("% of "), "{n1}");
    let go = text
        .lines()
        .find(|l| l.starts_with("go-n-plus-one-query"))
        .unwrap();
    assert!(!go.contains("% of "), "{go}");
}

/// Python nested ~510 levels deep around a string literal: tree-sitter-python's scanner asserts
/// (SIGABRT) on it. The scan must complete, skip that file with a note in every output, and
/// still report the other files.
#[test]
fn a_file_the_parser_cannot_take_is_skipped_with_a_note() {
    let d = tempdir();
    let mut deep = String::new();
    for i in 0..520 {
        deep.push_str(&" ".repeat(i));
        deep.push_str("if x:\n");
    }
    // a loop with a query: the literal prefilter sends the file to the parser
    deep.push_str(&" ".repeat(520));
    deep.push_str("for u in users:\n");
    deep.push_str(&" ".repeat(521));
    deep.push_str("cursor.execute(\"SELECT 1\")\n");
    write(&d, "gen/deep.py", &deep);
    write(
        &d,
        "app/orders.py",
        "def totals(cursor, users):\n    for u in users:\n        cursor.execute(\"SELECT total FROM orders WHERE user_id = %s\", (u,))\n",
    );
    let dir = d.display().to_string();
    let out = scan(&[&dir, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate("schema/scan-report.schema.json", &v);
    let notes = v["notes"].as_array().unwrap();
    let note = notes
        .iter()
        .find(|n| n["file"].as_str().unwrap().ends_with("gen/deep.py"))
        .unwrap_or_else(|| panic!("no note for deep.py: {notes:?}"));
    assert_eq!(note["kind"], "unparsable");
    assert!(note["message"].as_str().unwrap().contains("indentation"));
    assert_eq!(v["summary"]["files_skipped"], 1);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["file"].as_str().unwrap().ends_with("app/orders.py")));

    let out = scan(&[&dir, "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = v["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes
        .iter()
        .any(|n| n["message"]["text"].as_str().unwrap().contains("deep.py")));

    let out = scan(&[&dir]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deep.py") && err.contains("indentation"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 skipped"));
}
