//! Tests of the integrator: the whole report from hand-made results, and each pass alone.

use super::*;
use crate::data::{InvestigatorData, LoadData, PhaseTime, ResourcesData, TracesData};
use crate::model::{Effort, Evidence, Finding, InvestigatorName, Recommendation, Verdict};
use perfhive_core::record::RunStatus;
use perfhive_core::route::Route;
use perfhive_core::trace::{PhaseStat, TraceSummary};
use InvestigatorName as N;

/// A recorded report (a baseline against a closed port), for its run record.
const RECORDED: &str = include_str!("../../tests/fixtures/recorded/unreachable.report.json");

/// A load investigator's data: a recorded baseline with this Server-Timing breakdown
/// (phase, share %, mean ms).
pub(super) fn load_data(phases: &[(&str, f64, f64)]) -> Option<InvestigatorData> {
    let report: serde_json::Value = serde_json::from_str(RECORDED).unwrap();
    let record = serde_json::from_value(report["investigators"][0]["data"]["record"].clone());
    Some(
        LoadData {
            record: record.unwrap(),
            server_timing: Some(Default::default()),
            breakdown: Some(
                phases
                    .iter()
                    .map(|&(phase, share_pct, mean_ms)| PhaseTime {
                        phase: phase.into(),
                        share_pct,
                        mean_ms,
                    })
                    .collect(),
            ),
        }
        .into(),
    )
}

/// A resources investigator's data: the demo's recorded summary at this CPU utilisation.
fn resources_data(cpu_utilization: f64) -> Option<InvestigatorData> {
    let recorded: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/demo-recorded.json")).unwrap();
    let mut summary: perfhive_probe::UseSummary =
        serde_json::from_value(recorded["resources"]["summary"].clone()).unwrap();
    summary.cpu_utilization = cpu_utilization;
    Some(
        ResourcesData::Observed {
            summary,
            verdicts: Vec::new(),
            rss_per_second: Vec::new(),
            growth: None,
            cpu: None,
            threads: Vec::new(),
            memory: None,
            processes: Vec::new(),
            noise: None,
        }
        .into(),
    )
}

/// A trace investigator's data: `traces` traces with these phases (name, share %, critical ms).
fn traces_data(traces: u64, phases: &[(&str, f64, f64)]) -> Option<InvestigatorData> {
    let phases = phases
        .iter()
        .map(|&(name, share_pct, critical_ms)| PhaseStat {
            name: name.into(),
            share_pct,
            critical_ms,
            self_ms: critical_ms,
            count: traces,
            p50_ms: 1.0,
            p95_ms: 1.0,
            function: None,
            file: None,
            statement: None,
        })
        .collect();
    Some(
        TracesData {
            endpoint: "http://127.0.0.1:4318".into(),
            summary: TraceSummary {
                traces,
                phases,
                ..TraceSummary::default()
            },
        }
        .into(),
    )
}

pub(super) fn finding(
    inv: InvestigatorName,
    id: &str,
    subject: &str,
    severity: f64,
    share: Option<f64>,
    heuristic: bool,
    rec: Option<(Effort, Option<f64>)>,
) -> Finding {
    Finding {
        id: id.into(),
        investigator: inv,
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
        routes: Vec::new(),
        statements: Vec::new(),
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
pub(super) fn inputs() -> Inputs<'static> {
    Inputs {
        name: "t",
        date: "d".into(),
        target: "u",
        duration_s: 0.0,
        validation: vec![],
        data_files: vec![],
        interruption: None,
    }
}

pub(super) fn result(
    name: InvestigatorName,
    findings: Vec<Finding>,
    data: Option<InvestigatorData>,
) -> InvestigatorResult {
    InvestigatorResult::from_findings(name, "s", findings, data)
}

#[test]
fn measured_and_confirmed_findings_rank_first_and_heuristics_are_overruled() {
    let load = result(
        N::Load,
        vec![
            finding(
                N::Load,
                "load.phase.db",
                "database",
                0.9,
                Some(0.61),
                false,
                None,
            ),
            finding(
                N::Load,
                "load.phase.serialize",
                "serialization",
                0.6,
                Some(0.17),
                false,
                Some((Effort::Medium, None)),
            ),
        ],
        load_data(&[
            ("db", 61.0, 30.0),
            ("serialize", 17.0, 8.0),
            ("cache", 4.0, 2.0),
        ]),
    );
    let resources = result(
        N::Resources,
        vec![finding(
            N::Resources,
            "resources.io-wait",
            "storage-io",
            0.7,
            Some(0.2),
            false,
            None,
        )],
        resources_data(0.17),
    );
    let mut batch = finding(
        N::Sweep,
        "sweep.parameter.batch_size",
        "database",
        0.9,
        None,
        false,
        Some((Effort::Low, Some(20.0))),
    );
    batch.routes = vec![Route::parse("POST /ingest")];
    let sweep = result(N::Sweep, vec![batch], None);
    // a rule of thumb about the cache, which the measurement puts at 4%
    let config = result(
        N::Resources,
        vec![finding(
            N::Resources,
            "config.cache",
            "cache",
            0.8,
            None,
            true,
            Some((Effort::Low, None)),
        )],
        None,
    );
    let mut failed = InvestigatorResult::failed(
        N::Profile,
        Verdict::Failed,
        "perf is not permitted".into(),
        0.1,
    );
    failed.findings.clear();
    let load_with_cache = {
        let mut l = load.clone();
        // the database phase is reported by the ingest request, a concrete path
        l.findings[0].routes = vec![Route::parse("POST http://127.0.0.1:1/ingest?x=1")];
        l.findings.push(finding(
            N::Load,
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
            interruption: None,
        },
    );
    // the sweep's measured 20× on the database, confirmed by load and resources, ranks first
    assert_eq!(r.findings[0].finding.id, "sweep.parameter.batch_size");
    // joined on the request; resources, about the same subject but no request, does not confirm
    assert_eq!(r.findings[0].confirmed_by, [N::Load]);
    assert!(
        r.findings[0]
            .confirmation()
            .contains("load (same request `POST /ingest`)"),
        "{}",
        r.findings[0].confirmation()
    );
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
    assert_eq!(r.recommendations[0].priority, Priority::P0);
    assert_eq!(
        r.recommendations[0].finding_id,
        "sweep.parameter.batch_size"
    );
    // the database phase had no recommendation: one is derived from what it is about, the
    // request; but it is the P0's problem (the same request), so the P1 is the next problem
    assert_eq!(
        r.findings[1]
            .finding
            .recommendation
            .as_ref()
            .map(|x| x.action.as_str()),
        Some("cut the time of `POST /ingest`")
    );
    let p1 = &r.recommendations[1];
    assert_eq!(p1.finding_id, "resources.io-wait");
    // nothing names where its I/O wait is: the advice says which evidence to get
    assert!(
        p1.recommendation.action.contains("add `traces:`"),
        "{}",
        p1.recommendation.action
    );
    assert_eq!(r.recommendations[2].priority, Priority::P2QuickWin);
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
        N::Profile,
        "profile.hot.0",
        "serialization",
        0.6,
        None,
        false,
        None,
    );
    hot.functions = vec!["perfhive_demo::render::render_item_slow::h0123456789abcdef".into()];
    let mut phase = finding(
        N::Traces,
        "traces.phase.serialize",
        "serialization",
        0.6,
        Some(0.4),
        false,
        None,
    );
    phase.functions = vec!["render_item_slow".into()];
    let lone = finding(
        N::Load,
        "load.phase.parse",
        "parsing",
        0.6,
        Some(0.4),
        false,
        None,
    );
    let traces = traces_data(10, &[("serialize", 40.0, 80.0), ("GET /items", 0.2, 0.4)]);
    let r = integrate(
        vec![
            result(N::Profile, vec![hot], None),
            result(N::Traces, vec![phase], traces),
            result(N::Load, vec![lone], load_data(&[("parse", 100.0, 1.0)])),
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
    assert_eq!(top.confirmed_by, [N::Profile]);
    assert!(top
        .confirmation()
        .contains("profile (same function `render_item_slow`)"));
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
    let mut f = finding(N::Code, id, "database", 0.8, None, true, None);
    f.functions = vec![func.into()];
    f.files = file.map(|f| vec![f.to_string()]).unwrap_or_default();
    f
}

/// Integrates code findings with one measured SELECT phase (half the time) that reports
/// `func` (and `file`).
fn joined_with_select_phase(code: Vec<Finding>, func: &str, file: Option<&str>) -> Report {
    let mut phase = finding(
        N::Traces,
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
            result(N::Code, code, None),
            result(N::Traces, vec![phase], None),
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
    assert_eq!(hit.confirmed_by, [N::Traces]);
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
    assert_eq!(get("code.orders").confirmed_by, [N::Traces]);
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

#[test]
fn an_unconfirmed_static_finding_is_never_prioritised_and_p2_is_the_cheapest_rest() {
    let rec = |effort| Some((effort, None));
    let ranked = |f: Finding, rank: usize, joined: bool| RankedFinding {
        rank,
        score: 1.0 / rank as f64,
        confirmed_by: Vec::new(),
        joined_on: if joined { vec!["f".into()] } else { Vec::new() },
        joins: if joined {
            vec![Join {
                investigator: N::Traces,
                finding: "traces.x".into(),
                key: JoinKey::Function("f".into()),
            }]
        } else {
            Vec::new()
        },
        subject_from: None,
        finding: f,
    };
    let list = vec![
        ranked(
            finding(
                N::Code,
                "code.a",
                "database",
                0.9,
                None,
                true,
                rec(Effort::Low),
            ),
            1,
            false,
        ),
        ranked(
            finding(
                N::Load,
                "load.a",
                "x",
                0.9,
                Some(0.5),
                false,
                rec(Effort::High),
            ),
            2,
            false,
        ),
        ranked(
            finding(
                N::Code,
                "code.b",
                "database",
                0.9,
                None,
                true,
                rec(Effort::Medium),
            ),
            3,
            true,
        ),
        ranked(
            finding(
                N::Traces,
                "traces.a",
                "y",
                0.9,
                None,
                false,
                rec(Effort::High),
            ),
            4,
            false,
        ),
        ranked(
            finding(N::Sweep, "sweep.a", "z", 0.9, None, false, rec(Effort::Low)),
            5,
            false,
        ),
    ];
    let p = recommend::prioritize(&list, &Default::default());
    let ids: Vec<(Priority, &str)> = p
        .iter()
        .map(|p| (p.priority, p.finding_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            (Priority::P0, "load.a"),
            (Priority::P1, "code.b"),
            (Priority::P2QuickWin, "sweep.a")
        ]
    );
    // the P0's share of time gives its Amdahl bound: 1 / (1 − 0.5)
    assert_eq!(p[0].recommendation.expected_speedup, Some(2.0));
    let risks = roadmap::risks(&p);
    assert_eq!(risks[0].impact, Level::High);
    assert_eq!(risks[0].likelihood, Level::High);
    assert_eq!(risks[2].likelihood, Level::Low);
    assert_eq!(roadmap::roadmap(&p, &list, None).len(), 3);
}

#[test]
fn investigators_without_a_view_are_listed_in_the_consensus() {
    let results = vec![
        result(N::Load, vec![], None),
        InvestigatorResult::failed(N::Sweep, Verdict::Interrupted, "interrupted".into(), 1.0),
        InvestigatorResult::not_applicable(N::Profile, "no process to profile"),
    ];
    let c = consensus::consensus(&Integration::new(&results), &[]);
    let subjects: Vec<&str> = c.disagreements.iter().map(|d| d.subject.as_str()).collect();
    assert_eq!(subjects, ["sweep", "profile"]);
    assert!(c.disagreements[0].claims[0].contains("Interrupted"));
}

#[test]
fn the_status_says_interrupted_first_then_failed_criteria() {
    let results = vec![result(N::Load, vec![], load_data(&[]))];
    let mut criteria = summary::criteria(&results);
    assert_eq!(summary::status(&criteria, None), RunStatus::Passed);
    criteria.push(perfhive_core::record::CriterionResult {
        expr: "p95_latency_ms <= 1".into(),
        value: Some(2.0),
        passed: Some(false),
        note: None,
    });
    assert_eq!(summary::status(&criteria, None), RunStatus::Failed);
    let stopped = Interruption {
        after_s: 1.0,
        not_run: vec!["the sweep".into()],
    };
    assert_eq!(
        summary::status(&criteria, Some(&stopped)),
        RunStatus::Interrupted
    );
    let report = integrate(
        results,
        Inputs {
            interruption: Some(stopped),
            ..inputs()
        },
    );
    assert!(report.is_partial());
    assert!(report
        .interruption
        .unwrap()
        .banner()
        .contains("Not run or cut short: the sweep."));
}

#[test]
fn the_breakdown_prefers_traces_then_server_timing() {
    let load = result(
        N::Load,
        vec![],
        load_data(&[("db", 70.0, 7.0), ("render", 30.0, 3.0)]),
    );
    let (phases, source) = summary::time_breakdown(std::slice::from_ref(&load));
    assert_eq!(source, summary::BreakdownSource::ServerTiming);
    assert_eq!(phases[0].name, "db");
    let traces = result(
        N::Traces,
        vec![],
        traces_data(2, &[("SELECT items", 90.0, 18.0)]),
    );
    let (phases, source) = summary::time_breakdown(&[load.clone(), traces]);
    assert_eq!(source, summary::BreakdownSource::Traces);
    assert_eq!(
        (phases[0].name.as_str(), phases[0].mean_ms),
        ("SELECT items", 9.0)
    );
    // no spans, no Server-Timing: nothing to say
    let (phases, source) = summary::time_breakdown(&[result(N::Load, vec![], load_data(&[]))]);
    assert!(phases.is_empty());
    assert_eq!(source, summary::BreakdownSource::None);
}

/// A measured database finding of `inv` about `route`.
pub(super) fn db_on(inv: InvestigatorName, id: &str, route: &str, share: Option<f64>) -> Finding {
    let mut f = finding(inv, id, "database", 0.9, share, false, None);
    f.routes = vec![Route::parse(route)];
    f
}

#[test]
fn a_shared_subject_on_different_routes_does_not_confirm() {
    let r = integrate(
        vec![
            result(
                N::Traces,
                vec![db_on(N::Traces, "traces.phase.db", "GET /items", Some(0.7))],
                None,
            ),
            result(
                N::Load,
                vec![db_on(N::Load, "load.phase.db", "POST /ingest", Some(0.7))],
                None,
            ),
        ],
        inputs(),
    );
    for f in &r.findings {
        assert!(f.confirmed_by.is_empty(), "{}: {:?}", f.finding.id, f.joins);
        assert!(f.joins.is_empty());
    }
    // no agreement is claimed either
    assert!(
        r.consensus.agreements.is_empty(),
        "{:?}",
        r.consensus.agreements
    );
}

#[test]
fn the_same_route_or_statement_confirms_and_ranks_higher() {
    let statement = perfhive_core::sql::fingerprint("SELECT * FROM items WHERE id = 1");
    let mut by_statement = finding(
        N::Traces,
        "traces.n-plus-one.0",
        "database",
        0.8,
        Some(0.3),
        false,
        None,
    );
    by_statement.statements = vec![statement];
    let mut code = finding(N::Code, "code.sql.0", "database", 0.8, None, true, None);
    code.statements = vec![perfhive_core::sql::fingerprint(
        "select * from items where id = 7",
    )];
    let joined = db_on(N::Load, "load.phase.db", "GET /items/{id}", Some(0.3));
    let mut same = db_on(N::Traces, "traces.phase.db", "GET /items/42", Some(0.3));
    same.id = "traces.phase.db".into();
    let alone = db_on(N::Resources, "resources.x", "GET /other", Some(0.3));
    let r = integrate(
        vec![
            result(N::Load, vec![joined], None),
            result(N::Traces, vec![same, by_statement], None),
            result(N::Resources, vec![alone], None),
            result(N::Code, vec![code], None),
        ],
        inputs(),
    );
    let get = |id: &str| r.findings.iter().find(|f| f.finding.id == id).unwrap();
    let load = get("load.phase.db");
    assert_eq!(load.confirmed_by, [N::Traces]);
    assert!(matches!(load.joins[0].key, JoinKey::Route(_)));
    assert!(load.score > get("resources.x").score);
    // the same statement, normalised, joins code and traces
    let code = get("code.sql.0");
    assert_eq!(code.confirmed_by, [N::Traces]);
    assert!(
        code.confirmation().contains("same statement"),
        "{}",
        code.confirmation()
    );
    // the consensus says which key joined them, in one line for the subject
    assert_eq!(
        r.consensus.agreements.len(),
        1,
        "{:?}",
        r.consensus.agreements
    );
    assert!(
        r.consensus.agreements[0].contains("same request `GET /items/{}`"),
        "{:?}",
        r.consensus.agreements
    );
}

#[test]
fn a_sweep_without_a_subject_takes_the_subject_of_the_evidence_joined_to_it() {
    let mut batch = finding(
        N::Sweep,
        "sweep.parameter.batch_size",
        "batch_size",
        0.9,
        None,
        false,
        Some((Effort::Low, Some(30.0))),
    );
    batch.routes = vec![Route::parse("POST /ingest")];
    let r = integrate(
        vec![
            result(N::Sweep, vec![batch], None),
            result(
                N::Traces,
                vec![db_on(
                    N::Traces,
                    "traces.phase.db",
                    "POST /ingest",
                    Some(0.7),
                )],
                None,
            ),
        ],
        inputs(),
    );
    let top = &r.findings[0];
    assert_eq!(top.finding.id, "sweep.parameter.batch_size");
    assert_eq!(top.finding.subject, "database");
    assert_eq!(top.subject_from.as_deref(), Some("traces.phase.db"));
    // the P0 is labelled a measured sweep, and named in the summary with its gain
    let p0 = &r.recommendations[0];
    assert_eq!(p0.gain.as_ref().unwrap().kind, GainKind::Sweep);
    let summary = r.executive_summary.p0.as_deref().unwrap();
    assert!(
        summary.contains("P0: fix sweep.parameter.batch_size"),
        "{summary}"
    );
    assert!(summary.contains("(measured by a sweep)"), "{summary}");
    assert!(!summary.contains("Amdahl"), "{summary}");
}

#[test]
fn two_shares_for_one_phase_are_reconciled_in_favour_of_the_traces() {
    let r = integrate(
        vec![
            result(
                N::Load,
                vec![db_on(N::Load, "load.phase.db", "POST /ingest", Some(0.99))],
                None,
            ),
            result(
                N::Traces,
                vec![db_on(
                    N::Traces,
                    "traces.phase.db",
                    "POST /ingest",
                    Some(0.73),
                )],
                None,
            ),
        ],
        inputs(),
    );
    let d = r
        .consensus
        .disagreements
        .iter()
        .find(|d| d.subject == "share of time in `db`")
        .expect("the contradiction is detected");
    assert!(
        d.resolution.starts_with("traces wins: 73%"),
        "{}",
        d.resolution
    );
    assert!(d.claims[1].starts_with("load: 99%"), "{:?}", d.claims);
}

#[test]
fn the_top_finding_always_carries_a_recommendation_from_its_evidence() {
    let mut phase = finding(
        N::Traces,
        "traces.phase.render",
        "serialization",
        0.9,
        Some(0.6),
        false,
        None,
    );
    phase.functions = vec!["app::render_items".into()];
    let lone = finding(
        N::Load,
        "load.errors",
        "errors",
        0.9,
        Some(0.5),
        false,
        None,
    );
    let r = integrate(
        vec![
            result(N::Traces, vec![phase], None),
            result(N::Load, vec![lone], None),
        ],
        inputs(),
    );
    let top = &r.findings[0].finding;
    let rec = top.recommendation.as_ref().expect("a recommendation");
    assert!(rec.action.contains("`app::render_items`"), "{}", rec.action);
    assert_eq!(
        r.recommendations[0].gain.as_ref().unwrap().kind,
        GainKind::AmdahlBound
    );
    // without a function, statement or route: what evidence is missing (the traces ran, the
    // profile did not) and how to get it
    let errors = &r.findings[1].finding;
    let rec = errors.recommendation.as_ref().unwrap();
    assert!(
        rec.action.contains("add `profile:`") && !rec.action.contains("add `traces:`"),
        "{}",
        rec.action
    );
    // the roadmap's criteria are targets, not the observation; headings carry no "Phase"
    assert!(!r.roadmap[0].name.starts_with("Phase"));
    assert!(
        r.roadmap[0].success_criteria[0].contains("under 30% of request time (now 60%)"),
        "{:?}",
        r.roadmap[0].success_criteria
    );
}

/// The shop's `GET /orders/recent`: a trace phase, the sweep's queueing and an N+1 are one
/// problem whichever of them ranks first, and its fix is the N+1's (the most specific advice);
/// the P1 is another problem.
#[test]
fn one_problem_seen_by_several_investigators_gets_its_most_specific_fix_whichever_ranks_first() {
    let statement = perfhive_core::sql::fingerprint("SELECT * FROM items WHERE order_id = 1");
    let route = "GET /orders/recent";
    let mut phase = db_on(
        N::Traces,
        "traces.phase.GET /orders/recent",
        route,
        Some(0.38),
    );
    phase.statements = vec![statement];
    let mut n_plus_one = finding(
        N::Traces,
        "traces.n-plus-one.GET /orders/recent",
        "database",
        0.6,
        None,
        false,
        Some((Effort::Medium, None)),
    );
    n_plus_one.routes = vec![Route::parse(route)];
    n_plus_one.statements = vec![statement];
    let queueing = db_on(N::Sweep, "sweep.queueing", route, None);
    let mut scalability = finding(
        N::Sweep,
        "sweep.scalability",
        "concurrency",
        0.5,
        None,
        false,
        Some((Effort::Low, None)),
    );
    scalability.routes = vec![Route::parse(route)];
    let cpu = finding(
        N::Resources,
        "resources.cpu-bound",
        "cpu",
        0.8,
        Some(0.3),
        false,
        Some((Effort::High, None)),
    );
    // the same findings with the phase or the queueing ranked first
    for queueing_severity in [0.1, 5.0] {
        let mut q = queueing.clone();
        q.severity = queueing_severity;
        let r = integrate(
            vec![
                result(N::Traces, vec![phase.clone(), n_plus_one.clone()], None),
                result(N::Sweep, vec![q, scalability.clone()], None),
                result(N::Resources, vec![cpu.clone()], None),
            ],
            inputs(),
        );
        let first = &r.findings[0].finding.id;
        assert!(
            first == "sweep.queueing" || first.starts_with("traces.phase"),
            "{first}"
        );
        let ids: Vec<(Priority, &str)> = r
            .recommendations
            .iter()
            .map(|p| (p.priority, p.finding_id.as_str()))
            .collect();
        assert_eq!(
            ids[..2],
            [
                (Priority::P0, "traces.n-plus-one.GET /orders/recent"),
                (Priority::P1, "resources.cpu-bound"),
            ],
            "first: {first}"
        );
        assert!(
            r.recommendations[0]
                .rationale
                .contains("the most specific advice about the same problem"),
            "{}",
            r.recommendations[0].rationale
        );
        // the quick win is the sweep's own advice, not advice derived for the P0's problem
        assert_eq!(
            ids[2],
            (Priority::P2QuickWin, "sweep.scalability"),
            "first: {first}"
        );
    }
}

#[test]
fn two_functions_on_one_request_are_two_problems_and_the_request_is_a_symptom_of_both() {
    let route = "GET /report";
    let on = |id: &str, func: Option<&str>| {
        let mut f = finding(
            N::Profile,
            id,
            "cpu",
            0.8,
            Some(0.3),
            false,
            Some((Effort::Medium, None)),
        );
        f.routes = vec![Route::parse(route)];
        f.functions = func.iter().map(|s| s.to_string()).collect();
        f
    };
    let a = on("profile.a", Some("app.render"));
    let b = on("profile.b", Some("app.score"));
    let whole = on("load.slowest", None);
    assert!(!problem::same_problem(&a, &b));
    assert!(problem::same_problem(&a, &whole));
    assert!(problem::same_problem(&whole, &b));
}

/// Two requests queueing behind one saturated worker give the same advice: it is the P0 once,
/// and the P1 is another problem's.
#[test]
fn the_same_advice_for_two_problems_is_prioritised_once() {
    let queueing = |route: &str, severity: f64| {
        let mut f = finding(
            N::Traces,
            &format!("traces.queueing.{route}"),
            "queueing",
            severity,
            Some(0.4),
            false,
            Some((Effort::Low, None)),
        );
        f.routes = vec![Route::parse(route)];
        f.recommendation.as_mut().unwrap().action = "give the server more workers".into();
        f
    };
    let cpu = finding(
        N::Profile,
        "profile.hot.0",
        "cpu",
        0.3,
        Some(0.3),
        false,
        Some((Effort::Medium, None)),
    );
    let r = integrate(
        vec![
            result(
                N::Traces,
                vec![queueing("GET /quote", 0.9), queueing("GET /health", 0.8)],
                None,
            ),
            result(N::Profile, vec![cpu], None),
        ],
        inputs(),
    );
    let ids: Vec<(Priority, &str)> = r
        .recommendations
        .iter()
        .map(|p| (p.priority, p.finding_id.as_str()))
        .collect();
    assert_eq!(
        ids[..2],
        [
            (Priority::P0, "traces.queueing.GET /quote"),
            (Priority::P1, "profile.hot.0")
        ]
    );
    // nor is it the quick win
    assert!(
        ids.len() < 3 || ids[2].1 != "traces.queueing.GET /health",
        "{ids:?}"
    );
}

/// A whole-service saturation and a request's N+1 score alike, and which ranked first changed
/// from run to run: the specific problem comes first unless the saturation is twice as strong.
#[test]
fn a_whole_service_finding_yields_p0_to_a_comparable_specific_problem() {
    let ranked = |f: Finding, rank: usize, score: f64| RankedFinding {
        rank,
        score,
        confirmed_by: Vec::new(),
        joined_on: Vec::new(),
        joins: Vec::new(),
        subject_from: None,
        finding: f,
    };
    let cpu = finding(
        N::Resources,
        "resources.cpu-bound",
        "cpu",
        0.8,
        None,
        false,
        Some((Effort::Medium, None)),
    );
    let mut n1 = finding(
        N::Traces,
        "traces.n-plus-one.0",
        "database",
        0.8,
        Some(0.35),
        false,
        Some((Effort::Low, None)),
    );
    n1.routes = vec![perfhive_core::route::Route::parse("GET /orders/recent")];
    n1.statements = vec![perfhive_core::sql::fingerprint(
        "SELECT * FROM orders WHERE id = ?",
    )];
    let p0 = |cpu_score: f64, n1_score: f64| -> String {
        let list = vec![
            ranked(cpu.clone(), 1, cpu_score),
            ranked(n1.clone(), 2, n1_score),
        ];
        recommend::prioritize(&list, &Default::default())[0]
            .finding_id
            .clone()
    };
    assert_eq!(p0(0.30, 0.28), "traces.n-plus-one.0");
    assert_eq!(p0(0.30, 0.16), "traces.n-plus-one.0");
    // twice as strong: the saturation keeps P0
    assert_eq!(p0(0.30, 0.14), "resources.cpu-bound");
}
