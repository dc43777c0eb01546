//! field/shop: Flask + SQLAlchemy over SQLite under gunicorn -w 4, `opentelemetry-instrument`.

use crate::{
    about_route, any_of, cites_line, def_lines, expect_finding, field_env, investigate,
    p0_identity, recommended, sampled_workers, shared, summary, unsupported_confirmations,
    wrong_kind_of_fix, App, READ_FIX, WRITE_FIX,
};

/// The shop's gunicorn workers (`-w 4` in its plan).
const WORKERS: usize = 4;

/// The investigation ran to its end, the pre-forked workers' spans reached the receiver and
/// py-spy sampled them: the ground the other checks stand on.
#[test]
fn shop_investigation_gets_spans_and_stacks_from_the_workers() {
    let Some(i) = shared(App::Shop, "field::shop_investigation_gets_spans_and_stacks") else {
        return;
    };
    let r = &i.report;
    assert_eq!(i.exit, Some(0), "stderr:\n{}", i.stderr);
    // a generous bound: the plan's budget is 90–100 s
    assert!(
        i.wall_s < 240.0,
        "{:.0} s (report in {})",
        i.wall_s,
        i.folder.display()
    );
    assert_eq!(r["status"], "passed");
    crate::expect_verdicts(
        r,
        &["load", "traces", "profile", "code", "resources", "sweep"],
    );
    crate::expect_request_spans(
        &i.report,
        &[
            "/orders/recent",
            "/import",
            "/events/search",
            "/reports/loyalty",
        ],
    );
    assert!(i.markdown.contains("field-shop"), "{}", i.markdown);
    // py-spy sampled every pre-forked worker, not only the supervisor
    let workers = sampled_workers(r);
    assert!(
        workers.len() >= WORKERS,
        "the profile sampled {} of the {WORKERS} workers ({workers:?}): {}",
        workers.len(),
        r["investigators"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["name"] == "profile")
            .map_or(String::new(), |p| p["data"]["processes"].to_string())
    );
}

/// `GET /orders/recent` loads each order's customer lazily: one SELECT per order.
#[test]
fn shop_n_plus_one_read_is_named_by_route_with_an_eager_load_fix() {
    let Some(i) = shared(App::Shop, "field::shop_n_plus_one_read") else {
        return;
    };
    expect_finding(
        &i.report,
        "the N+1 read of GET /orders/recent",
        |t| {
            t.contains("/orders/recent")
                && any_of(t, &["n+1", "n + 1", "per order", "one select per"])
        },
        |fix| {
            any_of(
                fix,
                &[
                    "join",
                    "selectinload",
                    "joinedload",
                    "prefetch",
                    "eager",
                    " in (",
                    "where id in",
                    "in clause",
                    "in-list",
                ],
            )
        },
    );
}

/// `POST /import` inserts and commits one row at a time.
#[test]
fn shop_n_plus_one_write_is_named_by_route_with_a_batch_fix() {
    let Some(i) = shared(App::Shop, "field::shop_n_plus_one_write") else {
        return;
    };
    expect_finding(
        &i.report,
        "the row-by-row INSERT of POST /import",
        |t| t.contains("/import") && t.contains("insert"),
        |fix| {
            any_of(
                fix,
                &[
                    "batch",
                    "executemany",
                    "bulk",
                    "one transaction",
                    "single transaction",
                    "add_all",
                    "multi-row",
                ],
            )
        },
    );
}

/// No finding about the write route advises a read fix (an eager load, `IN (…)`), and none
/// about a read route advises batching inserts: advice of the wrong kind for the route's
/// statements.
#[test]
fn shop_reads_and_writes_get_fixes_of_their_own_kind() {
    let Some(i) = shared(App::Shop, "field::shop_fix_kinds") else {
        return;
    };
    let on_write = wrong_kind_of_fix(
        &i.report,
        |f| about_route(f, "POST", "/import"),
        READ_FIX,
        WRITE_FIX,
    );
    assert!(
        on_write.is_empty(),
        "read fixes for POST /import, which writes:\n{}\nall findings:\n{}",
        on_write.join("\n"),
        summary(&i.report)
    );
    let on_reads = wrong_kind_of_fix(
        &i.report,
        |f| {
            ["/orders/recent", "/events/search", "/reports/loyalty"]
                .iter()
                .any(|t| about_route(f, "GET", t))
        },
        WRITE_FIX,
        READ_FIX,
    );
    assert!(
        on_reads.is_empty(),
        "batched-insert fixes for read routes:\n{}\nall findings:\n{}",
        on_reads.join("\n"),
        summary(&i.report)
    );
}

/// `GET /events/search` filters 200k rows on `events.sku`, which has no index.
#[test]
fn shop_slow_statement_gets_an_index_on_the_filtered_column() {
    let Some(i) = shared(App::Shop, "field::shop_slow_statement") else {
        return;
    };
    expect_finding(
        &i.report,
        "the full scan of events on sku (GET /events/search)",
        |t| t.contains("events") && t.contains("sku"),
        |fix| fix.contains("index") && fix.contains("sku"),
    );
}

/// `loyalty_score` is a pure-Python hashing loop: the report names it with its file and line.
#[test]
fn shop_cpu_heavy_function_is_named_with_file_and_line() {
    let Some(i) = shared(App::Shop, "field::shop_cpu_function") else {
        return;
    };
    let source = std::fs::read_to_string(App::Shop.source().join("app.py")).unwrap();
    let lines = def_lines(&source, "loyalty_score");
    let f = expect_finding(
        &i.report,
        "the CPU-heavy function loyalty_score",
        |t| t.contains("loyalty_score"),
        |fix| fix.contains("loyalty_score"),
    );
    let text = format!("{}", f["finding"]);
    assert!(
        cites_line(&text, "app.py", lines),
        "the finding names loyalty_score but not app.py:{}-{}: {text}\nall findings:\n{}",
        lines.0,
        lines.1,
        summary(&i.report)
    );
    let fix = recommended(&f);
    assert!(
        cites_line(&fix, "app.py", lines),
        "the fix names loyalty_score but not app.py:{}-{}: {fix}",
        lines.0,
        lines.1
    );
}

/// A confirmation joins findings on the same route, statement or function, never on a broad
/// subject alone.
#[test]
fn shop_confirmations_join_only_findings_about_the_same_thing() {
    let Some(i) = shared(App::Shop, "field::shop_confirmations") else {
        return;
    };
    let bad = unsupported_confirmations(&i.report);
    assert!(bad.is_empty(), "false confirmations:\n{}", bad.join("\n"));
}

/// Two identical investigations of the same service put the same problem first.
#[test]
fn shop_two_identical_investigations_give_the_same_p0() {
    let Some(first) = shared(App::Shop, "field::shop_same_p0") else {
        return;
    };
    let Some(env) = field_env(App::Shop, "field::shop_same_p0") else {
        return;
    };
    let second = investigate(App::Shop, &env).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (p0_identity(&first.report), p0_identity(&second.report));
    assert!(
        a.is_some(),
        "no P0 in the first report:\n{}",
        summary(&first.report)
    );
    assert_eq!(
        a,
        b,
        "first report:\n{}\nsecond report:\n{}",
        summary(&first.report),
        summary(&second.report)
    );
}
