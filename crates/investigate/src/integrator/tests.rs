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
