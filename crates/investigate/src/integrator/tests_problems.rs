//! Tests of the integrator: one problem seen by several investigators — static findings joined
//! to measured ones by function, confirmation by route or statement, the shares reconciled, the fix and the priorities each problem gets.

use super::tests::*;
use super::*;
use crate::model::{Effort, Finding, InvestigatorName};
use perfhive_core::route::Route;
use InvestigatorName as N;

/// The report's recommendations: (priority, finding id), in order.
fn priorities(r: &Report) -> Vec<(Priority, &str)> {
    r.recommendations
        .iter()
        .map(|p| (p.priority, p.finding_id.as_str()))
        .collect()
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
        let ids = priorities(&r);
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
    let ids = priorities(&r);
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

/// The load's slowest requests, slowest first, stand for the first: whether that finding or
/// the slowest request's own ranks first, the P0 is the fix of the slowest request, not of
/// another request the load finding also names.
#[test]
fn a_finding_about_several_requests_stands_for_its_first() {
    let ranked = |f: &Finding, rank: usize| RankedFinding {
        rank,
        score: 1.0 / rank as f64,
        confirmed_by: Vec::new(),
        joined_on: Vec::new(),
        joins: Vec::new(),
        subject_from: None,
        finding: f.clone(),
    };
    let mut slowest = finding(
        N::Load,
        "load.slowest",
        "latency",
        0.8,
        None,
        false,
        Some((Effort::Medium, None)),
    );
    slowest.routes = vec![
        Route::parse("GET /orders/recent"),
        Route::parse("POST /import"),
    ];
    let n1 = |id: &str, route: &str, sql: &str| {
        let mut f = finding(
            N::Traces,
            id,
            "database",
            0.8,
            Some(0.3),
            false,
            Some((Effort::Low, None)),
        );
        f.routes = vec![Route::parse(route)];
        f.statements = vec![perfhive_core::sql::fingerprint(sql)];
        f
    };
    let reads = n1(
        "traces.n-plus-one.reads",
        "GET /orders/recent",
        "SELECT * FROM items WHERE order_id = ?",
    );
    let writes = n1(
        "traces.n-plus-one.writes",
        "POST /import",
        "INSERT INTO stock (sku, qty) VALUES (?, ?)",
    );
    let p0 = |list: Vec<RankedFinding>| {
        recommend::prioritize(&list, &Default::default())[0]
            .finding_id
            .clone()
    };
    let load_first = vec![ranked(&slowest, 1), ranked(&writes, 2), ranked(&reads, 3)];
    let request_first = vec![ranked(&reads, 1), ranked(&slowest, 2), ranked(&writes, 3)];
    assert_eq!(p0(load_first), "traces.n-plus-one.reads");
    assert_eq!(p0(request_first), "traces.n-plus-one.reads");
}
