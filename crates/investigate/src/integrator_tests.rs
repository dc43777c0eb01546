//! Tests of the integrator.

use super::*;
use crate::model::{Evidence, Finding, Recommendation};

fn finding(
    inv: &str,
    id: &str,
    subject: &str,
    severity: f64,
    share: Option<f64>,
    heuristic: bool,
    rec: Option<(Effort, Option<f64>)>,
) -> Finding {
    Finding {
        id: id.into(),
        investigator: inv.into(),
        title: format!("{id} title"),
        detail: "d".into(),
        severity,
        time_share: share,
        subject: subject.into(),
        evidence: vec![Evidence {
            label: "x".into(),
            value: 1.0,
            unit: "".into(),
            pointer: "/".into(),
        }],
        heuristic,
        functions: Vec::new(),
        files: Vec::new(),
        recommendation: rec.map(|(effort, speedup)| Recommendation {
            action: format!("fix {id}"),
            impact: "better".into(),
            expected_speedup: speedup,
            effort,
            risk: "r".into(),
            mitigation: "m".into(),
        }),
    }
}

/// Minimal report inputs.
fn inputs() -> Inputs<'static> {
    Inputs {
        name: "t",
        date: "d".into(),
        target: "u",
        duration_s: 0.0,
        validation: vec![],
        data_files: vec![],
    }
}

fn result(name: &str, findings: Vec<Finding>, data: serde_json::Value) -> InvestigatorResult {
    InvestigatorResult {
        name: name.into(),
        verdict: Verdict::Found,
        summary: "s".into(),
        findings,
        data,
        duration_s: 1.0,
        error: None,
    }
}

#[test]
fn measured_and_confirmed_findings_rank_first_and_heuristics_are_overruled() {
    let load = result(
        "load",
        vec![
            finding(
                "load",
                "load.phase.db",
                "database",
                0.9,
                Some(0.61),
                false,
                None,
            ),
            finding(
                "load",
                "load.phase.serialize",
                "serialization",
                0.6,
                Some(0.17),
                false,
                Some((Effort::Medium, None)),
            ),
        ],
        serde_json::json!({"breakdown": [{"phase": "db", "share_pct": 61.0, "mean_ms": 30.0}, {"phase": "serialize", "share_pct": 17.0, "mean_ms": 8.0}, {"phase": "cache", "share_pct": 4.0, "mean_ms": 2.0}]}),
    );
    let resources = result(
        "resources",
        vec![finding(
            "resources",
            "resources.io-wait",
            "storage-io",
            0.7,
            Some(0.2),
            false,
            None,
        )],
        serde_json::json!({"summary": {"cpu_utilization": 0.17}}),
    );
    let sweep = result(
        "sweep",
        vec![finding(
            "sweep",
            "sweep.parameter.batch_size",
            "database",
            0.9,
            None,
            false,
            Some((Effort::Low, Some(20.0))),
        )],
        serde_json::Value::Null,
    );
    // a rule of thumb about the cache, which the measurement puts at 4%
    let config = result(
        "config",
        vec![finding(
            "config",
            "config.cache",
            "cache",
            0.8,
            None,
            true,
            Some((Effort::Low, None)),
        )],
        serde_json::Value::Null,
    );
    let mut failed = InvestigatorResult::failed(
        "profile",
        Verdict::Failed,
        "perf is not permitted".into(),
        0.1,
    );
    failed.findings.clear();
    let load_with_cache = {
        let mut l = load.clone();
        l.findings.push(finding(
            "load",
            "load.phase.cache",
            "cache",
            0.3,
            Some(0.04),
            false,
            None,
        ));
        l
    };
    let r = integrate(
        vec![load_with_cache, resources, sweep, config, failed],
        Inputs {
            name: "t",
            date: "2026-01-01T00:00:00Z".into(),
            target: "http://127.0.0.1:1",
            duration_s: 10.0,
            validation: vec![],
            data_files: vec![],
        },
    );
    // the sweep's measured 20× on the database, confirmed by load and resources, ranks first
    assert_eq!(r.findings[0].finding.id, "sweep.parameter.batch_size");
    assert_eq!(r.findings[0].confirmed_by, ["load", "resources"]);
    assert_eq!(r.findings[1].finding.id, "load.phase.db");
    let cache = r
        .findings
        .iter()
        .find(|f| f.finding.id == "config.cache")
        .unwrap();
    assert!(
        cache.rank > 3,
        "the heuristic cache finding ranks low: {}",
        cache.rank
    );
    assert!(r
        .consensus
        .disagreements
        .iter()
        .any(|d| d.subject == "cache" && d.resolution.contains("measured evidence")));
    assert!(r
        .consensus
        .disagreements
        .iter()
        .any(|d| d.subject == "profile"));
    assert!(r
        .consensus
        .agreements
        .iter()
        .any(|a| a.contains("`database`")));
    assert_eq!(r.recommendations[0].priority, "P0");
    assert_eq!(
        r.recommendations[0].finding_id,
        "sweep.parameter.batch_size"
    );
    // the serialisation fix gets its Amdahl bound: 1 / (1 − 0.17)
    let p1 = &r.recommendations[1];
    assert_eq!(p1.finding_id, "load.phase.serialize");
    assert!((p1.recommendation.expected_speedup.unwrap() - 1.0 / 0.83).abs() < 1e-3);
    assert_eq!(r.recommendations[2].priority, "P2 quick win");
    assert!(
        r.executive_summary
            .headline
            .starts_with("The bottleneck is database (61% of request time, in `db`)"),
        "{}",
        r.executive_summary.headline
    );
    assert!(r
        .executive_summary
        .headline
        .contains("CPU is not (17% busy)"));
    assert_eq!(r.executive_summary.time_breakdown[0].name, "db");
    assert_eq!(r.roadmap.len(), 3);
    assert_eq!(r.risks.len(), 3);
}

#[test]
fn a_function_seen_by_profile_and_traces_is_joined_and_ranks_higher() {
    let mut hot = finding(
        "profile",
        "profile.hot.0",
        "serialization",
        0.6,
        None,
        false,
        None,
    );
    hot.functions = vec!["perfhive_demo::render::render_item_slow::h0123456789abcdef".into()];
    let mut phase = finding(
        "traces",
        "traces.phase.serialize",
        "serialization",
        0.6,
        Some(0.4),
        false,
        None,
    );
    phase.functions = vec!["render_item_slow".into()];
    let lone = finding(
        "load",
        "load.phase.parse",
        "parsing",
        0.6,
        Some(0.4),
        false,
        None,
    );
    let traces_data = serde_json::json!({"summary": {"traces": 10, "phases": [
        {"name": "serialize", "share_pct": 40.0, "critical_ms": 80.0},
        {"name": "GET /items", "share_pct": 0.2, "critical_ms": 0.4}
    ]}});
    let r = integrate(
        vec![
            result("profile", vec![hot], serde_json::Value::Null),
            result("traces", vec![phase], traces_data),
            result(
                "load",
                vec![lone],
                serde_json::json!({"breakdown": [{"phase": "parse", "share_pct": 100.0, "mean_ms": 1.0}]}),
            ),
        ],
        inputs(),
    );
    let ids: Vec<&str> = r.findings.iter().map(|f| f.finding.id.as_str()).collect();
    assert_eq!(
        ids[2], "load.phase.parse",
        "the joined findings rank first: {ids:?}"
    );
    let top = r
        .findings
        .iter()
        .find(|f| f.finding.id == "traces.phase.serialize")
        .unwrap();
    assert_eq!(top.joined_on, ["render_item_slow"]);
    assert_eq!(top.confirmed_by, ["profile"]);
    assert!(top
        .confirmation()
        .contains("same function: `render_item_slow`"));
    let parse = r
        .findings
        .iter()
        .find(|f| f.finding.id == "load.phase.parse")
        .unwrap();
    assert!(parse.joined_on.is_empty() && parse.score < top.score);
    // the breakdown comes from the traces, tiny phases left out
    assert_eq!(r.executive_summary.time_breakdown.len(), 1);
    assert_eq!(r.executive_summary.time_breakdown[0].name, "serialize");
    assert_eq!(r.executive_summary.time_breakdown[0].mean_ms, 8.0);
    assert!(r
        .executive_summary
        .breakdown_source
        .contains("critical path"));
}

/// A static N+1 finding of the code investigator about `func` (in `file`, when given).
fn code_finding(id: &str, func: &str, file: Option<&str>) -> Finding {
    let mut f = finding("code", id, "database", 0.8, None, true, None);
    f.functions = vec![func.into()];
    f.files = file.map(|f| vec![f.to_string()]).unwrap_or_default();
    f
}

/// Integrates code findings with one measured SELECT phase (half the time) that reports
/// `func` (and `file`).
fn joined_with_select_phase(code: Vec<Finding>, func: &str, file: Option<&str>) -> Report {
    let mut phase = finding(
        "traces",
        "traces.phase.SELECT",
        "database",
        0.6,
        Some(0.5),
        false,
        None,
    );
    phase.functions = vec![func.into()];
    phase.files = file.map(|f| vec![f.to_string()]).unwrap_or_default();
    integrate(
        vec![
            result("code", code, serde_json::Value::Null),
            result("traces", vec![phase], serde_json::Value::Null),
        ],
        inputs(),
    )
}

#[test]
fn a_static_finding_confirmed_at_runtime_ranks_far_above_one_that_is_not() {
    let r = joined_with_select_phase(
        vec![
            code_finding("code.n1.a", "load_item", None),
            code_finding("code.n1.b", "export_all", None),
        ],
        "app.repo.load_item",
        None,
    );
    let get = |id: &str| r.findings.iter().find(|f| f.finding.id == id).unwrap();
    let (hit, miss) = (get("code.n1.a"), get("code.n1.b"));
    assert_eq!(hit.joined_on, ["load_item"]);
    assert_eq!(hit.confirmed_by, ["traces"]);
    // same subject, but a static finding is joined only by its function
    assert!(miss.confirmed_by.is_empty(), "{:?}", miss.confirmed_by);
    assert!(
        hit.score > 10.0 * miss.score,
        "{} vs {}",
        hit.score,
        miss.score
    );
}

#[test]
fn a_function_name_in_another_file_is_not_joined() {
    // the span says which `get`: an absolute path on the service's machine
    let r = joined_with_select_phase(
        vec![
            code_finding("code.orders", "get", Some("orders/views.py")),
            code_finding("code.users", "get", Some("users/views.py")),
        ],
        "OrderView.get",
        Some("/srv/shop/orders/views.py"),
    );
    let get = |id: &str| r.findings.iter().find(|f| f.finding.id == id).unwrap();
    assert_eq!(get("code.orders").confirmed_by, ["traces"]);
    assert!(get("code.users").confirmed_by.is_empty());
}

#[test]
fn same_file_compares_path_tails() {
    assert!(same_file("app/views.py", "/srv/app/views.py"));
    assert!(same_file("./views.py", "views.py"));
    assert!(same_file("C:\\srv\\app\\views.py", "app/views.py"));
    assert!(!same_file("a/views.py", "b/views.py"));
    assert!(same_file("/srv/x/../app/views.py", "/srv/app/views.py"));
    assert!(same_file("../app/views.py", "/srv/app/views.py"));
    assert!(!same_file("views.py", "myviews.py"));
    assert!(!same_file("", "views.py"));
}

#[test]
fn function_keys() {
    assert_eq!(
        function_key("perfhive_demo::render::render_item_slow"),
        "render_item_slow"
    );
    assert_eq!(function_key("app.views.load_items"), "load_items");
    assert_eq!(
        function_key("core::ptr::drop_in_place<alloc::vec::Vec<u8>>"),
        "drop_in_place"
    );
    assert_eq!(
        function_key("render_items::h0123456789abcdef"),
        "render_items"
    );
    assert_eq!(function_key("handler::{{closure}}"), "handler");
    assert_eq!(function_key("LoadItems(ctx, db)"), "loaditems");
    assert_eq!(function_key(""), "");
}

#[test]
fn nothing_found_says_so() {
    let r = integrate(vec![], inputs());
    assert!(r.findings.is_empty() && r.recommendations.is_empty());
    assert!(r.executive_summary.headline.contains("not enough to say"));
}
