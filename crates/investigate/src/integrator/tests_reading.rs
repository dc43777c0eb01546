//! Tests of how the report reads top-down: reconciled findings, priorities by gain, one
//! consensus line per subject, roadmap targets that follow from the action.

use super::tests::{db_on, finding, inputs, result};
use super::*;
use crate::model::InvestigatorName;
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
