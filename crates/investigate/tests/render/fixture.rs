//! A realistic report of the demo service, built by hand: unbatched SQLite commits take 61% of
//! the request time, serialisation 17%, the N+1 reads 14%; three investigators, one with
//! insufficient data and one failed.

use perfhive_core::record::RunStatus;
use perfhive_investigate::model::{
    Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation, Verdict,
};
use perfhive_investigate::report::{
    Appendices, AppliedChange, BeforeAfter, Charts, Consensus, Disagreement, ExecutiveSummary,
    Gain, GainKind, Join, JoinKey, Level, PhaseShare, Prioritized, Priority, RankedFinding, Report,
    ReportKind, RequestRow, Risk, RoadmapPhase, ValidationStep,
};

/// Text a user could have written, with markup and a URL that must stay escaped text.
pub const USER_TEXT: &str = "Checkout <staging> & friends, see https://example.com/runbook";

/// The target URL (user text too).
pub const TARGET: &str = "http://127.0.0.1:8089";

pub const HEADLINE: &str = "The bottleneck is the unbatched SQLite commits (one fsync per \
    record, 61% of request time), not the CPU or the connection pool";

pub const FAILED_ERROR: &str =
    "perf_event_open failed: permission denied (kernel.perf_event_paranoid = 3)";

fn ev(label: &str, value: f64, unit: &str, pointer: &str) -> Evidence {
    Evidence {
        label: label.into(),
        value,
        unit: unit.into(),
        pointer: pointer.into(),
    }
}

fn rec(action: &str, impact: &str, speedup: Option<f64>, effort: Effort) -> Recommendation {
    Recommendation {
        action: action.into(),
        impact: impact.into(),
        expected_speedup: speedup,
        effort,
        risk: format!("{action} changes behaviour under failure"),
        mitigation: "Roll out behind the switch and compare with perfhive compare".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    id: &str,
    investigator: InvestigatorName,
    title: &str,
    severity: f64,
    share: Option<f64>,
    subject: &str,
    evidence: Vec<Evidence>,
    recommendation: Option<Recommendation>,
) -> Finding {
    Finding {
        id: id.into(),
        investigator,
        title: title.into(),
        detail: format!("{title}: measured on the demo service over 60 s at 200 req/s."),
        severity,
        time_share: share,
        subject: subject.into(),
        evidence,
        heuristic: false,
        functions: vec![format!("{subject}_handler")],
        files: Vec::new(),
        routes: Vec::new(),
        statements: Vec::new(),
        recommendation,
    }
}

/// The findings, best first, with their recommendations.
fn findings() -> Vec<Finding> {
    vec![
        finding(
            "traces.db-commit",
            InvestigatorName::Traces,
            "Unbatched SQLite commits dominate POST /ingest",
            0.9,
            Some(0.61),
            "database",
            vec![
                ev(
                    "commit share of request time",
                    61.0,
                    "%",
                    "/investigators/0/data/phases/db",
                ),
                ev(
                    "transactions per request",
                    1.0,
                    "",
                    "/investigators/0/data/stats/tx",
                ),
                ev(
                    "mean commit time",
                    12.34,
                    "ms",
                    "/investigators/0/data/phases/db/mean_ms",
                ),
            ],
            Some(rec(
                "Batch inserts: batch_size 100 and synchronous=NORMAL",
                "ingest throughput 180 → 1400 req/s",
                Some(2.56),
                Effort::Low,
            )),
        ),
        finding(
            "traces.serialization",
            InvestigatorName::Traces,
            "render_item_slow serialises every item twice",
            0.6,
            Some(0.17),
            "serialization",
            vec![ev(
                "serialize share",
                17.0,
                "%",
                "/investigators/0/data/phases/serialize",
            )],
            Some(rec(
                "Switch to fast_serialization",
                "GET /items p99 48 → 39 ms",
                Some(1.2048),
                Effort::Medium,
            )),
        ),
        finding(
            "load.n-plus-one",
            InvestigatorName::Load,
            "N+1 inventory lookups in GET /items",
            0.5,
            Some(0.14),
            "database",
            vec![
                ev(
                    "queries per request",
                    51.0,
                    "",
                    "/investigators/1/data/stats/queries",
                ),
                ev(
                    "p99 at 64 users",
                    48.2,
                    "ms",
                    "/investigators/1/data/sweep/6/p99",
                ),
            ],
            Some(rec(
                "Replace the per-item lookup with one IN (...) query",
                "51 → 2 queries per request",
                Some(1.1628),
                Effort::Low,
            )),
        ),
        finding(
            "load.knee",
            InvestigatorName::Load,
            "Throughput peaks at 16 concurrent users",
            0.4,
            None,
            "serialization",
            vec![ev("USL contention σ", 0.052, "", "/charts/usl/1")],
            None,
        ),
    ]
}

/// The whole report.
pub fn report() -> Report {
    let fs = findings();
    let ranked: Vec<RankedFinding> = fs
        .iter()
        .enumerate()
        .map(|(i, f)| RankedFinding {
            rank: i + 1,
            score: [0.5124, 0.2031, 0.14, 0.0625][i],
            confirmed_by: match i {
                0 => vec![InvestigatorName::Load],
                1 => vec![InvestigatorName::Load],
                _ => vec![],
            },
            joined_on: match i {
                0 => vec!["database_handler".into()],
                _ => vec![],
            },
            joins: match i {
                0 => vec![Join {
                    investigator: InvestigatorName::Load,
                    finding: "load.phase.db".into(),
                    key: JoinKey::Function("database_handler".into()),
                }],
                1 => vec![Join {
                    investigator: InvestigatorName::Load,
                    finding: "load.phase.serialize".into(),
                    key: JoinKey::Route(perfhive_core::route::Route::parse("GET /items")),
                }],
                _ => vec![],
            },
            subject_from: None,
            finding: f.clone(),
        })
        .collect();
    let prioritized: Vec<Prioritized> = [Priority::P0, Priority::P1, Priority::P2QuickWin]
        .iter()
        .zip([0usize, 1, 2])
        .map(|(p, i)| Prioritized {
            priority: *p,
            finding_id: fs[i].id.clone(),
            rationale: format!("{} with the largest measured share", fs[i].title),
            recommendation: fs[i].recommendation.clone().unwrap(),
            gain: fs[i]
                .recommendation
                .as_ref()
                .and_then(|r| r.expected_speedup)
                .map(|factor| Gain {
                    factor,
                    kind: if i == 0 {
                        GainKind::Sweep
                    } else {
                        GainKind::AmdahlBound
                    },
                }),
            evidence: fs[i].evidence.clone(),
        })
        .collect();
    let investigators = vec![
        InvestigatorResult {
            name: InvestigatorName::Traces,
            verdict: Verdict::Found,
            summary: "Server-Timing splits each request into db, serialize and other: the db \
                      commit is 61% of the time."
                .into(),
            findings: fs[..2].to_vec(),
            data: None,
            duration_s: 64.2,
            error: None,
        },
        InvestigatorResult {
            name: InvestigatorName::Load,
            verdict: Verdict::InsufficientData,
            summary: "The concurrency sweep reached 64 users; errors stayed at 0%, but the knee \
                      estimate rests on three points."
                .into(),
            findings: fs[2..].to_vec(),
            data: None,
            duration_s: 118.0,
            error: None,
        },
        InvestigatorResult::failed(
            InvestigatorName::Profile,
            Verdict::Failed,
            FAILED_ERROR.into(),
            0.4,
        ),
    ];
    Report {
        criteria: Vec::new(),
        schema_version: "1.0".into(),
        kind: ReportKind::Investigation,
        status: RunStatus::Passed,
        interruption: None,
        name: "demo-ingest".into(),
        date: "2025-03-14T09:26:53Z".into(),
        target: TARGET.into(),
        duration_s: 182.6,
        executive_summary: ExecutiveSummary {
            headline: HEADLINE.into(),
            time_breakdown: vec![
                PhaseShare { name: "db commit".into(), share_pct: 61.0, mean_ms: 12.34 },
                PhaseShare { name: "serialization".into(), share_pct: 17.0, mean_ms: 3.439 },
                PhaseShare { name: "N+1 lookups".into(), share_pct: 14.0, mean_ms: 2.83 },
                PhaseShare { name: "other".into(), share_pct: 8.0, mean_ms: 0.4567 },
            ],
            breakdown_source: "Server-Timing headers".into(),
            p0: Some("P0: set batch_size to 100 (finding `traces.db-commit`, rank 1): expected gain 7.3× throughput (measured by a sweep).".into()),
        },
        findings: ranked,
        recommendations: prioritized,
        investigators,
        consensus: Consensus {
            agreements: vec![
                "database: traces and load both find the database on the critical path".into(),
                "serialization: traces' phase share and load's knee point at render_item_slow"
                    .into(),
            ],
            disagreements: vec![Disagreement {
                subject: "connections".into(),
                claims: vec![
                    "load (heuristic): the pool of 8 connections is too small".into(),
                    "traces (measured): pool wait is 0.2% of request time".into(),
                ],
                resolution: "Measured evidence wins: pool wait is 0.2% of request time, so the \
                             pool size is not the bottleneck."
                    .into(),
            }],
        },
        roadmap: vec![
            RoadmapPhase {
                name: "Batch the commits".into(),
                actions: vec!["Set batch_size to 100".into(), "Set synchronous=NORMAL".into()],
                success_criteria: vec!["POST /ingest p99 ≤ 20 ms at 200 req/s".into()],
            },
            RoadmapPhase {
                name: "Fix the read path".into(),
                actions: vec!["Enable fast_serialization".into(), "Remove the N+1 loop".into()],
                success_criteria: vec!["GET /items issues 2 queries per request".into()],
            },
        ],
        risks: vec![
            Risk {
                risk: "synchronous=NORMAL loses the last commits on power loss".into(),
                likelihood: Level::Low,
                impact: Level::High,
                mitigation: "Keep FULL for the audit table; WAL mode".into(),
            },
            Risk {
                risk: "Larger batches raise the latency of single writes".into(),
                likelihood: Level::Medium,
                impact: Level::Low,
                mitigation: "Flush every 10 ms".into(),
            },
        ],
        validation_plan: vec![
            ValidationStep {
                purpose: "Re-measure the baseline".into(),
                command: "perfhive run scenarios/ingest.yaml --save baseline".into(),
            },
            ValidationStep {
                purpose: "Verify the batching fix".into(),
                command: "perfhive run scenarios/ingest.yaml --save batched && perfhive compare baseline batched".into(),
            },
        ],
        charts: Charts {
            spectrum: vec![
                (0.0, 1.2),
                (0.5, 9.8),
                (0.9, 21.0),
                (0.99, 48.2),
                (0.999, 95.0),
                (1.0, 130.0),
            ],
            timeseries: (0..60)
                .map(|t| {
                    let t = t as f64;
                    (t, 195.0 + (t * 0.7).sin() * 6.0, 45.0 + (t * 0.3).cos() * 4.0)
                })
                .collect(),
            sweep: [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
                .iter()
                .map(|&n: &f64| {
                    let x = 95.0 * n / (1.0 + 0.052 * (n - 1.0) + 0.0009 * n * (n - 1.0));
                    (n, x * 0.98, 4.0 + n * 0.5, 9.0 + n * 1.5)
                })
                .collect(),
            usl: Some((95.0, 0.052, 0.0009)),
            percentiles: vec![(50.0, 9.8), (90.0, 21.0), (95.0, 30.5), (99.0, 48.2), (99.9, 95.0), (99.99, 128.0)],
            requests: vec![
                RequestRow { name: "ingest".into(), rate_rps: 160.2, requests: 9612, p50_ms: Some(11.0), p95_ms: Some(33.0), p99_ms: Some(51.0), errors: 0, error_rate_pct: 0.0 },
                RequestRow { name: "items".into(), rate_rps: 40.1, requests: 2406, p50_ms: Some(4.2), p95_ms: Some(9.9), p99_ms: Some(14.0), errors: 3, error_rate_pct: 0.125 },
            ],
            parameter: Some((
                "batch_size".into(),
                vec![
                    (1.0, 180.0, 48.0),
                    (10.0, 820.0, 14.0),
                    (50.0, 1310.0, 9.5),
                    (100.0, 1400.0, 9.1),
                    (500.0, 1420.0, 12.0),
                ],
            )),
        },
        appendices: Appendices {
            configuration: vec![
                "PRAGMA journal_mode=WAL".into(),
                format!("Note from the team: {USER_TEXT}"),
            ],
            alternatives_rejected: vec![
                "A bigger connection pool: pool wait is 0.2% of request time".into(),
            ],
            data_files: vec![
                "traces/server-timing.csv".into(),
                "load-sweep.csv".into(),
                "profile/perf-stderr.txt".into(),
                "baseline.json".into(),
            ],
        },
        before_after: Some(BeforeAfter {
            applied: vec![AppliedChange {
                priority: Priority::P0,
                finding_id: "traces.db-commit".into(),
                change: "batch_size = 100".into(),
            }],
            not_applied: vec!["P1 `traces.serialize`".into()],
            throughput_rps: (198.0, 1391.5),
            p95_ms: (30.5, 8.25),
        }),
    }
}

/// The same report with no chart data and no breakdown.
pub fn empty_charts() -> Report {
    let mut r = report();
    r.charts = Charts::default();
    r.executive_summary.time_breakdown.clear();
    r
}
