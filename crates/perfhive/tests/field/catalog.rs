//! field/catalog: Node.js express + knex over better-sqlite3,
//! `@opentelemetry/auto-instrumentations-node`.

use crate::{
    any_of, expect_finding, ranked, recommended, shared, summary, unsupported_confirmations, App,
};

/// The investigation ran to its end with spans from the http, express and knex
/// instrumentations and stacks from perf with V8's perf map.
#[test]
fn catalog_investigation_gets_spans_and_stacks() {
    let Some(i) = shared(
        App::Catalog,
        "field::catalog_investigation_gets_spans_and_stacks",
    ) else {
        return;
    };
    assert_eq!(i.exit, Some(0), "stderr:\n{}", i.stderr);
    // a generous bound: the plan's budget is 90–100 s
    assert!(
        i.wall_s < 240.0,
        "{:.0} s (report in {})",
        i.wall_s,
        i.folder.display()
    );
    assert_eq!(i.report["status"], "passed");
    crate::expect_verdicts(
        &i.report,
        &["load", "traces", "profile", "code", "resources", "sweep"],
    );
    crate::expect_request_spans(&i.report, &["/products/popular", "/products/:id/page"]);
}

/// `GET /products/popular` reads each product's reviews with a query of its own.
#[test]
fn catalog_n_plus_one_read_is_named_by_route_with_a_join_or_in_fix() {
    let Some(i) = shared(App::Catalog, "field::catalog_n_plus_one_read") else {
        return;
    };
    expect_finding(
        &i.report,
        "the N+1 read of GET /products/popular",
        |t| t.contains("/products/popular") && any_of(t, &["n+1", "n + 1", "per product"]),
        |fix| {
            any_of(
                fix,
                &[
                    "join",
                    "wherein",
                    "where in",
                    " in (",
                    "in clause",
                    "in-list",
                    "prefetch",
                    "eager",
                    "one query",
                ],
            )
        },
    );
}

/// `GET /products/:id/page` awaits three independent downstream calls one after the other.
#[test]
fn catalog_sequential_downstream_calls_get_a_concurrency_fix() {
    let Some(i) = shared(App::Catalog, "field::catalog_sequential_calls") else {
        return;
    };
    let f = expect_finding(
        &i.report,
        "the sequential downstream calls of GET /products/:id/page",
        |t| {
            any_of(
                t,
                &[
                    "/products/{}/page",
                    "/products/:id/page",
                    "/products/17/page",
                ],
            ) && any_of(
                t,
                &[
                    "sequential",
                    "serial",
                    "one after another",
                    "one after the other",
                    "in turn",
                ],
            )
        },
        |fix| {
            any_of(
                fix,
                &[
                    "parallel",
                    "concurrent",
                    "promise.all",
                    "at once",
                    "together",
                ],
            )
        },
    );
    // measured against the page's route, not the internal routes it calls in the same trace,
    // and each call named by what it requested, not by the host they share
    let routes: Vec<String> = f["finding"]["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| format!("{} {}", r["method"], r["template"]).replace('"', ""))
        .collect();
    assert_eq!(routes, ["GET /products/{}/page"], "{}", f["finding"]);
    let fix = recommended(&f);
    for call in [
        "/internal/inventory/",
        "/internal/pricing/",
        "/internal/shipping/",
    ] {
        assert!(fix.contains(call), "{call} not named: {fix}");
    }
}

/// Express's handler spans (`request handler - /x`) are phases about their route.
#[test]
fn catalog_handler_phases_carry_their_route() {
    let Some(i) = shared(App::Catalog, "field::catalog_handler_routes") else {
        return;
    };
    let handlers: Vec<&serde_json::Value> = ranked(&i.report)
        .into_iter()
        .filter(|f| {
            f["finding"]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("traces.phase.request handler - /"))
        })
        .collect();
    assert!(
        !handlers.is_empty(),
        "no phase finding for a request handler:\n{}",
        summary(&i.report)
    );
    for f in handlers {
        assert!(
            f["finding"]["routes"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "a handler phase without its route: {}",
            f["finding"]
        );
    }
}

/// Confirmations only between findings about the same route, statement or function.
#[test]
fn catalog_confirmations_join_only_findings_about_the_same_thing() {
    let Some(i) = shared(App::Catalog, "field::catalog_confirmations") else {
        return;
    };
    let bad = unsupported_confirmations(&i.report);
    assert!(bad.is_empty(), "false confirmations:\n{}", bad.join("\n"));
}
