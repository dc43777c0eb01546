//! `perfhive scan` with what the user has already judged: `perfhive: ignore` comments and a
//! baseline report, and the exit codes a CI gate reads from them.

use crate::{perfhive, repo, tempdir};
use serde_json::Value;
use std::path::Path;

const VIEWS: &str = r#"from django.http import JsonResponse
from .models import Customer, Order


def open_orders(request):
    names = []
    for order in Order.objects.filter(open=True):
        names.append(Customer.objects.get(pk=order.customer_id).name)
    return JsonResponse({"names": names})


def refunds(request):
    names = []
    # perfhive: ignore[py-n-plus-one-query] -- a handful of refunds a day
    for order in Order.objects.filter(refunded=True):
        names.append(Customer.objects.get(pk=order.customer_id).name)
    return JsonResponse({"names": names})


def health(request):
    return JsonResponse({})  # perfhive: ignore[py-n-plus-one]
"#;

const NEW_LOOP: &str = r#"

def every_order(request):
    for order in Order.objects.all():
        Customer.objects.get(pk=order.customer_id)
    return JsonResponse({})
"#;

fn scan(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = perfhive()
        .current_dir(dir)
        .arg("scan")
        .arg("app")
        .args(args)
        .output()
        .expect("perfhive runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = scan(dir, &all);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schema/scan-report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    assert!(validator.is_valid(&v), "report does not match its schema");
    (code, v)
}

fn project() -> std::path::PathBuf {
    let d = tempdir();
    std::fs::create_dir_all(d.join("app")).unwrap();
    std::fs::write(d.join("app/views.py"), VIEWS).unwrap();
    d
}

#[test]
fn an_ignore_comment_suppresses_its_loop_and_a_misspelt_rule_is_a_note() {
    let _serial = crate::exclusive();
    let d = project();
    let (code, v) = json(&d, &["--fail-on", "high"]);
    let listed = v["findings"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{v:#}");
    assert_eq!(listed[0]["function"], "open_orders");
    assert_eq!(
        code,
        Some(1),
        "the finding that is not suppressed fails the gate"
    );
    assert_eq!(v["summary"]["findings_suppressed"], 1);
    let fp = listed[0]["fingerprint"].as_str().unwrap();
    assert!(
        fp.len() == 16 && fp.chars().all(|c| c.is_ascii_hexdigit()),
        "{fp}"
    );
    let notes: Vec<&Value> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "suppression")
        .collect();
    assert_eq!(notes.len(), 1, "{v:#}");
    let msg = notes[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("line 21") && msg.contains("py-n-plus-one"),
        "{msg}"
    );

    // listed when asked for, marked with the comment's line and reason, never failing
    let (_, v) = json(&d, &["--include-suppressed"]);
    let sup: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_object())
        .collect();
    assert_eq!(sup.len(), 1, "{v:#}");
    assert_eq!(sup[0]["function"], "refunds");
    assert_eq!(sup[0]["suppressed"]["line"], 14);
    assert_eq!(sup[0]["suppressed"]["reason"], "a handful of refunds a day");
    std::fs::write(
        d.join("app/views.py"),
        VIEWS.replace(
            "    for order in Order.objects.filter(open=True):",
            "    # perfhive: ignore\n    for order in Order.objects.filter(open=True):",
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = scan(&d, &["--include-suppressed", "--fail-on", "low"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("suppressed by `perfhive: ignore` at line 15: a handful of refunds a day"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 suppressed by `perfhive: ignore` (listed, never failing)"),
        "{stdout}"
    );
}

#[test]
fn a_baseline_lists_only_new_findings_whatever_moved() {
    let _serial = crate::exclusive();
    let d = project();
    let (code, stdout, stderr) = scan(&d, &["--format", "json", "--out", "base.json"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    // lines move: the old finding is still the baseline's
    std::fs::write(d.join("app/views.py"), format!("# moved\n\n\n{VIEWS}")).unwrap();
    let (code, v) = json(&d, &["--baseline", "base.json", "--fail-on", "high"]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["baseline"]["unchanged"], 1);
    assert_eq!(v["summary"]["baseline"]["absent"], 0);

    // a new loop is the only finding listed, and fails the gate
    std::fs::write(
        d.join("app/views.py"),
        format!("# moved\n\n\n{VIEWS}{NEW_LOOP}"),
    )
    .unwrap();
    let out = perfhive()
        .current_dir(&d)
        .args([
            "scan",
            "app",
            "--baseline",
            "base.json",
            "--fail-on",
            "high",
        ])
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("crates/scan/tests/fixtures/sarif-2.1.0-rtm.5.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("SARIF schema compiles");
    assert!(
        validator.is_valid(&sarif),
        "not valid SARIF 2.1.0: {sarif:#}"
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif:#}");
    assert_eq!(results[0]["baselineState"], "new");
    assert_eq!(
        results[0]["locations"][0]["logicalLocations"][0]["name"],
        "every_order"
    );
    assert!(results[0]["partialFingerprints"]["perfhiveFinding/v1"].is_string());

    // the old loop fixed: the baseline's finding is absent
    std::fs::write(
        d.join("app/views.py"),
        VIEWS.replace(
            "names.append(Customer.objects.get(pk=order.customer_id).name)\n    return JsonResponse({\"names\": names})\n\n\ndef refunds",
            "names.append(order.customer_name)\n    return JsonResponse({\"names\": names})\n\n\ndef refunds",
        ),
    )
    .unwrap();
    let (code, v) = json(&d, &["--baseline", "base.json", "--fail-on", "low"]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["summary"]["baseline"]["unchanged"], 0);
    assert_eq!(v["summary"]["baseline"]["absent"], 1);
}

#[test]
fn a_baseline_that_is_not_a_report_is_an_input_error() {
    let _serial = crate::exclusive();
    let d = project();
    std::fs::write(
        d.join("bad.json"),
        "{\"findings\": [\n  {\"rule_id\": 3}\n]}\n",
    )
    .unwrap();
    let (code, _, stderr) = scan(&d, &["--baseline", "bad.json"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.json:2:") && stderr.contains("not a perfhive scan JSON report"),
        "{stderr}"
    );
    let (code, _, stderr) = scan(&d, &["--baseline", "missing.json"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing.json"), "{stderr}");
    // an endless file is refused, not read until memory runs out
    let (code, _, stderr) = scan(&d, &["--baseline", "/dev/zero"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("/dev/zero: the baseline report is a character device, not a file"),
        "{stderr}"
    );
}
