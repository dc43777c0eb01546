//! field/quotes: FastAPI on one uvicorn worker, `opentelemetry-instrument`; an `async` handler
//! runs a CPU-bound loop on the event loop, the one thread that serves every request.

use crate::{
    any_of, cites_line, def_lines, expect_finding, ranked, recommended, shared, summary,
    unsupported_confirmations, App,
};

/// The investigation ran to its end with spans from the FastAPI instrumentation and stacks from
/// py-spy.
#[test]
fn quotes_investigation_gets_spans_and_stacks() {
    let Some(i) = shared(
        App::Quotes,
        "field::quotes_investigation_gets_spans_and_stacks",
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
    crate::expect_request_spans(&i.report, &["/quote", "/health"]);
}

/// One thread does all the work and is saturated: the fix is more workers or moving the CPU
/// work off the event loop.
#[test]
fn quotes_single_saturated_thread_gets_a_workers_or_offload_fix() {
    let Some(i) = shared(App::Quotes, "field::quotes_single_saturated_thread") else {
        return;
    };
    expect_finding(
        &i.report,
        "the one saturated thread (the event loop)",
        |t| {
            any_of(
                t,
                &[
                    "one thread",
                    "single thread",
                    "1 thread",
                    "event loop",
                    "saturat",
                    "one core",
                    "single core",
                    "1 core",
                ],
            )
        },
        |fix| {
            any_of(
                fix,
                &[
                    "worker",
                    "offload",
                    "run_in_executor",
                    "threadpool",
                    "thread pool",
                    "process pool",
                    "processes",
                    "to_thread",
                ],
            )
        },
    );
}

/// The resources investigator names the one saturated thread as uvicorn's event loop (not the
/// GIL) and fixes it with an offload or more uvicorn workers, not gunicorn or uWSGI.
#[test]
fn quotes_one_thread_finding_names_the_event_loop_with_an_asyncio_fix() {
    let Some(i) = shared(App::Quotes, "field::quotes_one_thread_event_loop") else {
        return;
    };
    let f = ranked(&i.report)
        .into_iter()
        .find(|f| {
            f["finding"]["investigator"] == "resources"
                && f["finding"]["id"]
                    .as_str()
                    .is_some_and(|id| id.contains("one-thread"))
        })
        .unwrap_or_else(|| {
            panic!(
                "no one-thread CPU finding from resources; the report's findings:\n{}",
                summary(&i.report)
            )
        });
    let (title, fix) = (
        f["finding"]["title"].as_str().unwrap_or("").to_lowercase(),
        recommended(f),
    );
    assert!(
        title.contains("event loop") && !title.contains("gil"),
        "{title}"
    );
    assert!(fix.contains("event loop"), "{fix}");
    assert!(
        any_of(
            &fix,
            &["run_in_executor", "process pool", "processpoolexecutor"]
        ) && fix.contains("uvicorn --workers"),
        "{fix}"
    );
    assert!(
        !any_of(&fix, &["gunicorn", "uwsgi", "gil"]),
        "a pre-fork or GIL fix for an asyncio service: {fix}"
    );
}

/// `price_portfolio` is the CPU-heavy function: named with its file and line.
#[test]
fn quotes_cpu_heavy_function_is_named_with_file_and_line() {
    let Some(i) = shared(App::Quotes, "field::quotes_cpu_function") else {
        return;
    };
    let source = std::fs::read_to_string(App::Quotes.source().join("main.py")).unwrap();
    let lines = def_lines(&source, "price_portfolio");
    let f = expect_finding(
        &i.report,
        "the CPU-heavy function price_portfolio",
        |t| t.contains("price_portfolio"),
        |fix| fix.contains("price_portfolio"),
    );
    let text = format!("{}", f["finding"]);
    assert!(
        cites_line(&text, "main.py", lines),
        "the finding names price_portfolio but not main.py:{}-{}: {text}\nall findings:\n{}",
        lines.0,
        lines.1,
        summary(&i.report)
    );
    let fix = recommended(&f);
    assert!(
        cites_line(&fix, "main.py", lines),
        "the fix names price_portfolio but not main.py:{}-{}: {fix}",
        lines.0,
        lines.1
    );
}

/// Confirmations only between findings about the same route, statement or function.
#[test]
fn quotes_confirmations_join_only_findings_about_the_same_thing() {
    let Some(i) = shared(App::Quotes, "field::quotes_confirmations") else {
        return;
    };
    let bad = unsupported_confirmations(&i.report);
    assert!(bad.is_empty(), "false confirmations:\n{}", bad.join("\n"));
}
