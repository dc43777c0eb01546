//! Tests of how the report reads top-down: reconciled findings, priorities by gain, one
//! consensus line per subject, roadmap targets that follow from the action.

use super::tests::{finding, inputs, result};
use super::tests_problems::db_on;
use super::*;
use crate::model::{Effort, Evidence, Finding, InvestigatorName};
use perfhive_core::route::Route;
use InvestigatorName as N;

/// Server-Timing says 98% of request time is in `db`, the traces' critical path 73%: the
/// traces win, and the load finding says so in its title and share, ranks below the traces
/// finding and is not confirmed by the traces it contradicts.
#[test]
fn a_superseded_share_is_restated_ranked_below_its_winner_and_not_confirmed_by_it() {
    let mut n_plus_one = finding(
        N::Traces,
        "traces.n-plus-one.0",
        "database",
        0.8,
        Some(0.25),
        false,
        None,
    );
    n_plus_one.routes = vec![Route::parse("POST /ingest")];
    let mut batch = finding(
        N::Sweep,
        "sweep.parameter.batch_size",
        "database",
        0.3,
        None,
        false,
        None,
    );
    batch.routes = vec![Route::parse("POST /ingest")];
    // Server-Timing on both requests, the traces' db phase reported by one of them
    let mut load = db_on(N::Load, "load.phase.db", "POST /ingest", Some(0.977));
    load.routes.push(Route::parse("GET /items"));
    let r = integrate(
        vec![
            result(N::Load, vec![load], None),
            result(
                N::Traces,
                vec![
                    db_on(N::Traces, "traces.phase.db", "GET /items", Some(0.734)),
                    n_plus_one,
                ],
                None,
            ),
            result(N::Sweep, vec![batch], None),
        ],
        inputs(),
    );
    let get = |id: &str| r.findings.iter().find(|f| f.finding.id == id).unwrap();
    let (load, traces) = (get("load.phase.db"), get("traces.phase.db"));
    assert_eq!(load.finding.time_share, Some(0.734));
    assert!(
        load.finding
            .title
            .starts_with("73% of request time is in `db`")
            && load.finding.title.contains("(`traces.phase.db`)")
            && load.finding.title.contains("load's 98% is superseded"),
        "{}",
        load.finding.title
    );
    assert!(
        load.finding
            .detail
            .contains("superseded by `traces.phase.db`"),
        "{}",
        load.finding.detail
    );
    // its own observation stays in its evidence
    assert_eq!(load.finding.evidence, own_evidence_of(&r, "load.phase.db"));
    assert!(
        load.rank > traces.rank,
        "load #{} above traces #{}",
        load.rank,
        traces.rank
    );
    // the sweep on the same request still confirms it; the traces, which contradict it, do not
    assert_eq!(load.confirmed_by, [N::Sweep]);
    assert!(traces.confirmed_by.is_empty(), "{:?}", traces.joins);
    // the winner is untouched
    assert_eq!(traces.finding.time_share, Some(0.734));
    assert_eq!(traces.finding.title, "traces.phase.db title");
}

/// The evidence the investigator gave a finding, from the report's investigators.
fn own_evidence_of(r: &Report, id: &str) -> Vec<crate::model::Evidence> {
    r.investigators
        .iter()
        .flat_map(|i| i.findings.iter())
        .find(|f| f.id == id)
        .map(|f| f.evidence.clone())
        .unwrap()
}

/// A ranked finding at `rank`, joined to runtime evidence when `joined` (so that a static
/// finding may be prioritised).
fn ranked(f: Finding, rank: usize, joined: bool) -> RankedFinding {
    RankedFinding {
        rank,
        score: 1.0 / rank as f64,
        confirmed_by: Vec::new(),
        joined_on: Vec::new(),
        joins: if joined {
            vec![Join {
                investigator: N::Traces,
                finding: "traces.x".into(),
                key: JoinKey::Route(Route::parse("GET /products/popular")),
            }]
        } else {
            Vec::new()
        },
        subject_from: None,
        finding: f,
    }
}

/// The recommendations of `list` as the report orders them.
fn priorities(list: &[RankedFinding]) -> Vec<Prioritized> {
    priority::prioritized(list, &Default::default())
}

/// The field catalog: the best-ranked problem is an N+1 whose statements take 0.2% of the
/// time (up to 1.002×), the next three calls made one after another on the slowest request
/// (nearly all of its time); the sequential calls come first, and the N+1's code match, about
/// the same problem, is not listed again as the quick win.
#[test]
fn the_p0_is_the_larger_expected_gain_and_no_problem_is_listed_twice() {
    let popular = |mut f: Finding| {
        f.routes = vec![Route::parse("GET /products/popular")];
        f
    };
    let code = popular(finding(
        N::Code,
        "code.js-n-plus-one-query.0",
        "database",
        0.8,
        None,
        true,
        Some((Effort::Low, None)),
    ));
    let mut n_plus_one = popular(finding(
        N::Traces,
        "traces.n-plus-one.0",
        "database",
        0.8,
        Some(0.0023),
        false,
        Some((Effort::Medium, None)),
    ));
    n_plus_one.statements = vec![perfhive_core::sql::fingerprint(
        "SELECT stars FROM reviews WHERE product_id = 1",
    )];
    let mut sequential = finding(
        N::Traces,
        "traces.sequential-calls.0",
        "127.0.0.1",
        0.6,
        Some(1.0),
        false,
        Some((Effort::Medium, None)),
    );
    sequential.routes = vec![Route::parse("GET /products/{}/page")];
    let list = vec![
        ranked(code, 1, true),
        ranked(sequential, 2, false),
        ranked(n_plus_one, 3, false),
    ];
    // as chosen by rank: the N+1 first, its code match again as the quick win
    let by_rank: Vec<(Priority, String)> = recommend::prioritize(&list, &Default::default())
        .into_iter()
        .map(|p| (p.priority, p.finding_id))
        .collect();
    assert_eq!(by_rank[0].1, "traces.n-plus-one.0");
    let p = priorities(&list);
    let ids: Vec<(Priority, &str)> = p
        .iter()
        .map(|p| (p.priority, p.finding_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            (Priority::P0, "traces.sequential-calls.0"),
            (Priority::P1, "traces.n-plus-one.0"),
        ]
    );
    assert!(
        p[0].rationale.contains("first for its expected gain")
            && p[0]
                .rationale
                .contains("larger than that of `traces.n-plus-one.0`"),
        "{}",
        p[0].rationale
    );
    // one roadmap phase per problem; the alternative says why it comes later
    assert_eq!(roadmap::roadmap(&p, &list, None).len(), 2);
    let alternatives = roadmap::alternatives(&p, &list);
    assert!(
        alternatives[0].contains("whose expected gain is larger"),
        "{alternatives:?}"
    );
}

/// A measured gain outranks a larger Amdahl bound; a recommendation that only gathers evidence
/// has no gain and keeps its place, whatever its finding's share.
#[test]
fn a_measured_gain_comes_before_a_bound_and_no_gain_keeps_the_rank_order() {
    let a = finding(
        N::Traces,
        "traces.phase.db",
        "database",
        0.9,
        Some(0.7),
        false,
        Some((Effort::Medium, None)),
    );
    let sweep = finding(
        N::Sweep,
        "sweep.parameter.pool",
        "pool",
        0.5,
        None,
        false,
        Some((Effort::Low, Some(2.0))),
    );
    let p = priorities(&[ranked(a.clone(), 1, false), ranked(sweep, 2, false)]);
    assert_eq!(p[0].finding_id, "sweep.parameter.pool");
    assert_eq!(p[0].priority, Priority::P0);
    assert_eq!(p[1].finding_id, "traces.phase.db");
    assert_eq!(p[1].priority, Priority::P1);
    // evidence to gather, about 97% of the time: no gain to compare
    let mut gather = finding(
        N::Load,
        "load.phase.app",
        "app",
        0.9,
        Some(0.97),
        false,
        Some((Effort::Low, None)),
    );
    gather.recommendation.as_mut().unwrap().risk = "none: this only measures".into();
    let p = priorities(&[ranked(a, 1, false), ranked(gather, 2, false)]);
    assert_eq!(p[0].finding_id, "traces.phase.db");
    assert!(
        !p[0].rationale.contains("expected gain"),
        "{}",
        p[0].rationale
    );
}

/// One short line per subject: who agrees and on which requests, statements and functions;
/// `database` and `storage-io` each have their own.
#[test]
fn the_consensus_has_one_short_line_per_subject() {
    let on = |inv, id: &str, subject: &str, routes: &[&str], functions: &[&str]| {
        let mut f = finding(inv, id, subject, 0.8, Some(0.3), false, None);
        f.routes = routes.iter().map(|r| Route::parse(r)).collect();
        f.functions = functions.iter().map(|s| s.to_string()).collect();
        f
    };
    let r = integrate(
        vec![
            result(
                N::Load,
                vec![on(
                    N::Load,
                    "load.phase.db",
                    "database",
                    &["POST /ingest", "GET /items"],
                    &[],
                )],
                None,
            ),
            result(
                N::Traces,
                vec![
                    on(
                        N::Traces,
                        "traces.n-plus-one.0",
                        "database",
                        &["POST /ingest"],
                        &[],
                    ),
                    on(
                        N::Traces,
                        "traces.n-plus-one.1",
                        "database",
                        &["GET /items"],
                        &["load_items"],
                    ),
                    on(
                        N::Traces,
                        "traces.phase.fsync",
                        "storage-io",
                        &[],
                        &["fsync"],
                    ),
                ],
                None,
            ),
            result(
                N::Code,
                vec![on(N::Code, "code.n1", "database", &[], &["load_items"])],
                None,
            ),
            result(
                N::Profile,
                vec![on(
                    N::Profile,
                    "profile.hot.0",
                    "storage-io",
                    &[],
                    &["fsync"],
                )],
                None,
            ),
            result(
                N::Resources,
                vec![on(
                    N::Resources,
                    "resources.io-wait",
                    "storage-io",
                    &[],
                    &[],
                )],
                None,
            ),
        ],
        inputs(),
    );
    let lines = &r.consensus.agreements;
    assert_eq!(lines.len(), 2, "{lines:?}");
    let database = lines.iter().find(|l| l.starts_with("`database`:")).unwrap();
    assert!(
        database.starts_with("`database`: code, load and traces agree on the same requests ")
            && database.contains("`POST /ingest`")
            && database.contains("`GET /items`")
            && database.ends_with(" and function `load_items`"),
        "{database}"
    );
    assert!(!database.contains("storage-io"), "{database}");
    assert_eq!(
        lines.iter().find(|l| l.starts_with("`storage-io`:")).unwrap(),
        "`storage-io`: profile and traces agree on the same function `fsync`; resources also, joined to nothing"
    );
}

/// A level of the concurrency sweep.
fn level(users: u32, throughput: f64, p99_ms: f64, requests: u64) -> crate::data::Level {
    crate::data::Level {
        level: users as f64,
        label: users.to_string(),
        throughput,
        p50_ms: p99_ms / 2.0,
        p99_ms,
        mean_ms: p99_ms / 2.0,
        error_rate_pct: 0.0,
        ttfb_p50_ms: 0.0,
        rss_mb: None,
        requests: Some(requests),
        duration_s: None,
        cpu: None,
    }
}

/// The success criteria of the roadmap phase of a single recommendation `f`.
fn criteria_of(f: Finding, sweep: Option<&crate::data::SweepData>) -> Vec<String> {
    let list = vec![ranked(f, 1, false)];
    let p = priorities(&list);
    roadmap::roadmap(&p, &list, sweep)
        .remove(0)
        .success_criteria
}

/// The advice to run at the concurrency the sweep found is judged by the throughput (and the
/// p99, when reliable) measured there, not by halving the USL's σ; a finding from which no
/// target follows has only the no-regression criterion.
#[test]
fn roadmap_targets_follow_from_the_action_or_are_left_out() {
    let mut scalability = finding(
        N::Sweep,
        "sweep.scalability",
        "concurrency",
        0.8,
        None,
        false,
        Some((Effort::Low, None)),
    );
    scalability.evidence[0].label = "σ".into();
    scalability.evidence[0].value = 0.84;
    scalability.recommendation.as_mut().unwrap().action =
        "run at about 2 concurrent requests (connection pool / worker count)".into();
    let sweep = |requests| crate::data::SweepData {
        levels: vec![
            level(1, 26.0, 50.9, requests),
            level(2, 26.5, 88.7, requests),
            level(4, 28.0, 164.0, requests),
        ],
        usl: None,
        knee: None,
        littles_law_ratio: Vec::new(),
        parameter: None,
        insufficient: None,
        noise: None,
    };
    let criteria = criteria_of(scalability.clone(), Some(&sweep(500)));
    assert_eq!(
        criteria[0],
        "at 2 concurrent requests: throughput at least 21.2 req/s (80% of the 26.5 req/s the sweep measured there), p99 at most 88.7 ms"
    );
    assert!(!criteria.iter().any(|c| c.contains('σ')), "{criteria:?}");
    // too few requests at that level for a p99
    let criteria = criteria_of(scalability.clone(), Some(&sweep(50)));
    assert!(criteria[0].ends_with("measured there)"), "{criteria:?}");
    // no sweep data: nothing to aim at but no regression
    let criteria = criteria_of(scalability, None);
    assert_eq!(criteria.len(), 1, "{criteria:?}");
    assert!(criteria[0].starts_with("no error-rate increase"));
    // calls made one after another: together as long as about the longest
    let mut sequential = finding(
        N::Traces,
        "traces.sequential-calls.0",
        "127.0.0.1",
        0.6,
        Some(1.0),
        false,
        Some((Effort::Medium, None)),
    );
    sequential.evidence = vec![
        Evidence::measured("calls' summed duration per request", 80.2, "ms", "a"),
        Evidence::measured("longest call per request", 28.2, "ms", "b"),
    ];
    let criteria = criteria_of(sequential, None);
    assert_eq!(
        criteria[0],
        "these calls at most 31.0 ms per request, about their longest call (now 80.2 ms one after another)"
    );
}

/// Server-Timing's `db` after the traces' `db` is the same problem: it is not the P1, the next
/// problem is.
#[test]
fn another_share_of_the_same_phase_is_not_a_second_problem() {
    let mut traces = finding(
        N::Traces,
        "traces.phase.db",
        "database",
        0.9,
        Some(0.72),
        false,
        Some((Effort::Medium, None)),
    );
    traces.functions = vec!["ingest".into()];
    let load = finding(
        N::Load,
        "load.phase.db",
        "database",
        0.9,
        Some(0.72),
        false,
        Some((Effort::Low, None)),
    );
    let cpu = finding(
        N::Profile,
        "profile.hot.0",
        "cpu",
        0.5,
        Some(0.3),
        false,
        Some((Effort::High, None)),
    );
    let memory = finding(
        N::Resources,
        "resources.memory-growth",
        "memory",
        0.5,
        None,
        false,
        Some((Effort::Low, None)),
    );
    let list = vec![
        ranked(traces, 1, false),
        ranked(load, 2, false),
        ranked(cpu, 3, false),
        ranked(memory, 4, false),
    ];
    // by rank alone, the load's share of `db` would be the P1
    assert_eq!(
        recommend::prioritize(&list, &Default::default())[1].finding_id,
        "load.phase.db"
    );
    let ids: Vec<(Priority, String)> = priorities(&list)
        .into_iter()
        .map(|p| (p.priority, p.finding_id))
        .collect();
    assert_eq!(
        ids,
        [
            (Priority::P0, "traces.phase.db".to_string()),
            (Priority::P1, "profile.hot.0".to_string()),
            (Priority::P2QuickWin, "resources.memory-growth".to_string()),
        ]
    );
    let p = priorities(&list);
    assert!(
        p[1].rationale.starts_with("rank 3 of 4 (score"),
        "{}",
        p[1].rationale
    );
}
